//! `ProviderAuthV4` and `AuthV4`: signature version 4, as oss2 2.19.1 computes it, with the
//! signing key cached per (secret, date, region, product).

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::auth_base::{sign_rtmp_url, AuthBase};
use super::auth_methods::{auth_pymethods, direct_auth, Call, SignVersion};
use super::clock::{iso8601_now, relative_expiration};
use super::errors::client_error;
use super::explain::SigningDetails;
use super::headers::{
    additional_query_value, check_additional, has_unencodable, lower_names_keeping, lowered_set,
    Collected, HeaderRules, Headers,
};
use super::params::{encode_params, url_with_query, Encoded};
use super::request::{bucket_arg, key_arg, view, Request};
use super::resolve::Resolved;
use super::text::{is_exact_str, str_of};
use crate::sign::request::{EncodedParams, ParamList};
use crate::sign::v4::{self, CanonicalRequest, Scope, StringToSign};
use crate::sign::{NameSet, SigningKeyCache};

/// The scope at `datetime`: region is `req.cloudbox_id or req.region or ''`, then `req.product`.
fn scope_for(req: &Request<'_>, datetime: &str) -> PyResult<Scope> {
    let py = req.py();
    let mut region = None;
    for attr in [intern!(py, "cloudbox_id"), intern!(py, "region")] {
        let v = req.get(attr)?;
        if truthy(&v)? {
            region = Some(v.downcast_into::<PyString>().map_err(|_| {
                PyTypeError::new_err("request.region and request.cloudbox_id must be str")
            })?);
            break;
        }
    }
    let region = match &region {
        Some(r) => str_of(r)?,
        None => "",
    };
    let product = req.get_str(intern!(py, "product"))?;
    Ok(Scope::new(datetime, region, str_of(&product)?))
}

/// `bool(v)`, without a call for None and str (what regions and cloudbox ids are).
fn truthy(v: &Bound<'_, PyAny>) -> PyResult<bool> {
    if v.is_none() {
        Ok(false)
    } else if is_exact_str(v) {
        // SAFETY: checked just above.
        Ok(!str_of(unsafe { v.downcast_unchecked() })?.is_empty())
    } else {
        v.is_truthy()
    }
}

fn additional_order(names: &[String]) -> PyResult<Vec<String>> {
    v4::additional_in_header_order(names).map_err(|e| PyIndexError::new_err(e.to_string()))
}

struct Signed {
    /// Kept only when explaining; otherwise the canonical request is hashed as it is built.
    canonical: Option<CanonicalRequest>,
    sts: StringToSign,
    /// The signed parameters, encoded (a presigned URL's query reuses them).
    query: EncodedParams,
    /// Every parameter name and value was exactly str or bytes (see `params::Encoded`).
    plain: bool,
}

#[allow(clippy::too_many_arguments)]
fn signature<'py>(
    cache: &SigningKeyCache,
    req: &Request<'_>,
    headers: &Headers<'py>,
    params: &Bound<'_, PyAny>,
    bucket_name: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
    additional: Option<&[String]>,
    unencodable: &[Bound<'py, PyString>],
    creds: &Resolved<'_>,
    datetime: &str,
    scope: &Scope,
    explain: bool,
    signature_into: &mut String,
) -> PyResult<Signed> {
    let method = req.get_str(intern!(req.py(), "method"))?;
    let extra = additional.unwrap_or_default();
    let extra_set = NameSet::new(extra.iter().map(String::as_str));
    let keep = |n: &str| {
        n.starts_with("x-oss-") || v4::DEFAULT_SIGNED_HEADERS.contains(&n) || extra_set.contains(n)
    };
    // In the order oss2 reads them (URI, query, headers), so that the same error comes first.
    // The parameters are encoded as they are read: V4 signs them only through `query`.
    let bucket = bucket_arg(bucket_name)?;
    let key = key_arg(key, bucket, false)?;
    let Encoded { query, plain } = encode_params(params)?;
    let mut collected = Collected::new();
    headers.collect_into(&keep, HeaderRules::BYTES, unencodable, &mut collected)?;
    check_additional(req.py(), extra)?;
    let request = view(
        str_of(&method)?,
        bucket,
        &key,
        collected.view()?,
        ParamList::new(),
    );
    let (canonical, sts) = if explain {
        let canonical = CanonicalRequest::with_query(&request, &query, additional);
        let sts = StringToSign::new(datetime, scope, &canonical);
        (Some(canonical), sts)
    } else {
        let sts = StringToSign::for_request(&request, &query, additional, datetime, scope);
        (None, sts)
    };
    cache.sign_into(creds.secret(), scope, &sts, signature_into);
    Ok(Signed {
        canonical,
        sts,
        query,
        plain,
    })
}

/// `url?<query>&x-oss-signature=<signature>` (the signature is lower-case hex, which
/// percent-encoding leaves as it is).
fn presigned_url(url: &str, query: &EncodedParams, signature: &str) -> String {
    let mut out = String::with_capacity(url.len() + query.query_len() + signature.len() + 18);
    out.push_str(url);
    out.push('?');
    // SAFETY: only ASCII is appended (an encoded query), so `out` stays UTF-8.
    query.push_in_order(unsafe { out.as_mut_vec() });
    if !query.is_empty() {
        out.push('&');
    }
    out.push_str("x-oss-signature=");
    out.push_str(signature);
    out
}

fn details(
    explain: bool,
    s: Signed,
    signature: String,
    authorization: Option<String>,
    url: Option<String>,
) -> SigningDetails {
    let mut d = SigningDetails::new("v4", explain, &s.sts, signature, authorization, url);
    d.canonical_request = s.canonical.map(|c| c.to_string());
    d
}

/// Signature version 4 with any credentials provider (oss2's `ProviderAuthV4`).
#[pyclass(extends = AuthBase, subclass, frozen, module = "ossauth", name = "ProviderAuthV4")]
#[derive(Default)]
pub struct ProviderAuthV4 {
    keys: SigningKeyCache,
}

impl SignVersion for ProviderAuthV4 {
    const VERSION: &'static str = "v4";

    fn sign_request(&self, call: &Call<'_, '_>) -> PyResult<SigningDetails> {
        let (req, explain) = (&call.req, call.explain);
        let py = req.py();
        if req.get(intern!(py, "region"))?.is_none() {
            return Err(client_error(
                py,
                "The region should not be None in signature version 4.",
            ));
        }
        let creds = call.base.credentials(py)?;
        let headers = Headers::of(req)?;
        if let Some(token) = creds.token() {
            headers.set(intern!(py, "x-oss-security-token"), token)?;
        }
        let (datetime, datetime_py) = iso8601_now(py);
        headers.set(intern!(py, "x-oss-date"), datetime_py.into_any())?;
        headers.set(
            intern!(py, "x-oss-content-sha256"),
            intern!(py, "UNSIGNED-PAYLOAD").clone().into_any(),
        )?;
        let mut unencodable = Vec::new();
        let additional = match call.in_additional_headers {
            Some(w) if !w.is_none() => Some(additional_order(&lower_names_keeping(
                w,
                &mut unencodable,
            )?)?),
            _ => None,
        };
        let scope = scope_for(req, &datetime)?;
        let params = req.get(intern!(py, "params"))?;
        // The signature is written straight into the header.
        let mut authorization = v4::authorization_head(creds.id(), &scope);
        let start = authorization.len();
        let signed = signature(
            &self.keys,
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            additional.as_deref(),
            &unencodable,
            &creds,
            &datetime,
            &scope,
            explain,
            &mut authorization,
        )?;
        let signature = if explain {
            authorization[start..].to_owned()
        } else {
            String::new()
        };
        v4::push_authorization_tail(&mut authorization, additional.as_deref());
        headers.set_str(intern!(py, "authorization"), &authorization)?;
        let authorization = explain.then_some(authorization);
        details(explain, signed, signature, authorization, None).finish(explain, &creds)
    }

    fn sign_url(
        &self,
        call: &Call<'_, '_>,
        expires: &Bound<'_, PyAny>,
    ) -> PyResult<SigningDetails> {
        let (req, explain) = (&call.req, call.explain);
        let py = req.py();
        let creds = call.base.credentials(py)?;
        let params = req.get(intern!(py, "params"))?;
        if let Some(token) = creds.token() {
            params.set_item(intern!(py, "x-oss-security-token"), token)?;
        }
        let headers = Headers::of(req)?;
        let present_names = match call.in_additional_headers {
            Some(w) if !w.is_none() => Some(headers.present_additional_names(&lowered_set(w)?)?),
            _ => None,
        };
        let mut unencodable = Vec::new();
        let present = match &present_names {
            Some(names) => lower_names_keeping(names, &mut unencodable)?,
            None => Vec::new(),
        };
        let additional = additional_order(&present)?;
        let (datetime, datetime_py) = iso8601_now(py);
        params.set_item(intern!(py, "x-oss-date"), datetime_py)?;
        params.set_item(intern!(py, "x-oss-expires"), relative_expiration(expires)?)?;
        params.set_item(
            intern!(py, "x-oss-signature-version"),
            intern!(py, "OSS4-HMAC-SHA256"),
        )?;
        // After those three writes: oss2 builds the scope for x-oss-credential, and a bad
        // region or product fails there with the params already written.
        let scope = scope_for(req, &datetime)?;
        let mut credential = String::with_capacity(creds.id().len() + 1 + scope.as_str().len());
        credential.push_str(creds.id());
        credential.push('/');
        scope.push_to(&mut credential);
        params.set_item(intern!(py, "x-oss-credential"), credential)?;
        if !additional.is_empty() {
            let name = intern!(py, "x-oss-additional-headers");
            match &present_names {
                // A name without a UTF-8 form: written as oss2 writes it, surrogates included,
                // and the query's encoding fails on it where oss2's does.
                Some(names) if has_unencodable(&additional) => params.set_item(
                    name,
                    additional_query_value(names, &v4::DEFAULT_SIGNED_HEADERS)?,
                )?,
                _ => {
                    let mut sorted = additional.clone();
                    sorted.sort_unstable();
                    params.set_item(name, sorted.join(";"))?;
                }
            }
        }
        let mut signature = String::with_capacity(64);
        let signed = self::signature(
            &self.keys,
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            Some(&additional),
            &unencodable,
            &creds,
            &datetime,
            &scope,
            explain,
            &mut signature,
        )?;
        let signature_name = intern!(py, "x-oss-signature");
        // A plain dict appends the signature after what was signed, so the URL's query is the
        // signed parameters, already encoded, then the signature. Otherwise (a signature
        // already there keeps its place; other mappings) encode the parameters again.
        // oss2 writes `k=v` when `v` is truthy, which for exactly str and bytes is when it is
        // non-empty, as in `signed.query`; and no Python code has run since the parameters
        // were read (headers read through requests' `_store`), which the length confirms.
        let appended = signed.plain
            && headers.reads_store()
            && params.is_exact_instance_of::<PyDict>()
            && !params.downcast::<PyDict>()?.contains(signature_name)?;
        params.set_item(signature_name, &signature)?;
        let base = req.get_str(intern!(py, "url"))?;
        let appended = appended && params.len()? == signed.query.count() + 1;
        let url = if appended {
            presigned_url(str_of(&base)?, &signed.query, &signature)
        } else {
            url_with_query(str_of(&base)?, &params)?
        };
        details(explain, signed, signature, None, Some(url)).finish(explain, &creds)
    }
}

auth_pymethods!(ProviderAuthV4, in_additional_headers; {
    /// Number of signing keys currently cached (diagnostics and tests).
    fn _cached_signing_keys(&self) -> usize {
        self.keys.len()
    }
});

direct_auth!(
    AuthV4,
    ProviderAuthV4,
    "AuthV4",
    "Signature version 4 with a fixed AccessKey (oss2's `AuthV4`)."
);
