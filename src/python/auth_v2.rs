//! `ProviderAuthV2` and `AuthV2`: signature version 2, as oss2 2.19.1 computes it.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyList, PySet};

use super::auth_base::{sign_rtmp_url, AuthBase};
use super::auth_methods::{auth_pymethods, direct_auth, Call, SignVersion};
use super::clock::{absolute_expiration, http_date_now};
use super::explain::SigningDetails;
use super::headers::{check_additional, lowered_set, HeaderRules, Headers};
use super::params::{url_with_query, ParamRule, Params};
use super::request::{bucket_arg, key_arg, view, Request};
use super::resolve::Resolved;
use super::text::str_of;
use crate::sign::{v2, KeyedMac, NameSet};
use hmac::Hmac;
use sha2::Sha256;

/// `set(h.lower() for h in _DEFAULT_ADDITIONAL_HEADERS)`: oss2's default set, built by the
/// same expression so that it iterates in the same order, then lowered as oss2 lowers it on
/// every call. Read-only once built.
fn default_additional<'py>(py: Python<'py>) -> PyResult<&'py Bound<'py, PySet>> {
    static DEFAULT: GILOnceCell<Py<PySet>> = GILOnceCell::new();
    let set = DEFAULT.get_or_try_init(py, || -> PyResult<Py<PySet>> {
        let list = PyList::new(py, ["range", "if-modified-since"])?;
        let default = py.get_type::<PySet>().call1((list,))?;
        Ok(lowered_set(&default)?.unbind())
    })?;
    Ok(set.bind(py))
}

// The parameters are oss2's own, plus what signing needs.
#[allow(clippy::too_many_arguments)]
fn signature(
    req: &Request<'_>,
    headers: &Headers<'_>,
    params: &Bound<'_, PyAny>,
    bucket_name: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
    additional: &[String],
    creds: &Resolved<'_>,
    mac: &KeyedMac<Hmac<Sha256>>,
) -> PyResult<(v2::StringToSign, String)> {
    let method = req.get_str(intern!(req.py(), "method"))?;
    let additional_set = NameSet::new(additional.iter().map(String::as_str));
    let keep = |n: &str| {
        n.starts_with("x-oss-")
            || matches!(n, "content-md5" | "content-type" | "date")
            || additional_set.contains(n)
    };
    let headers = headers.collect(
        &keep,
        HeaderRules {
            encoded: &["content-md5", "content-type"],
            encoded_first: true,
        },
    )?;
    check_additional(req.py(), additional)?;
    // oss2 builds the resource ('/' + bucket + '/' + key) before it encodes the parameters.
    let bucket = bucket_arg(bucket_name)?;
    let key = key_arg(key, bucket, false)?;
    let params = Params::collect(params, ParamRule::AllEncoded)?;
    let names: Vec<&str> = additional.iter().map(String::as_str).collect();
    let request = view(
        str_of(&method)?,
        bucket,
        &key,
        headers.view()?,
        params.view()?,
    );
    let sts = v2::StringToSign::new(&request, &names);
    let sig = sts.sign_with(mac.keyed(creds.secret()));
    Ok((sts, sig))
}

/// Signature version 2 with any credentials provider (oss2's `ProviderAuthV2`).
#[pyclass(extends = AuthBase, subclass, frozen, module = "ossauth", name = "ProviderAuthV2")]
#[derive(Default)]
pub struct ProviderAuthV2 {
    mac: KeyedMac<Hmac<Sha256>>,
}

impl SignVersion for ProviderAuthV2 {
    const VERSION: &'static str = "v2";

    fn sign_request(&self, call: &Call<'_, '_>) -> PyResult<SigningDetails> {
        let (req, explain) = (&call.req, call.explain);
        let mac = &self.mac;
        let py = req.py();
        let creds = call.base.credentials(py)?;
        let headers = Headers::of(req)?;
        if let Some(token) = creds.token() {
            headers.set(intern!(py, "x-oss-security-token"), token)?;
        }
        let wanted = match call.in_additional_headers {
            Some(w) if !w.is_none() => lowered_set(w)?,
            _ => default_additional(py)?.clone(),
        };
        let additional = headers.present_additional(&wanted)?;
        headers.set(intern!(py, "date"), http_date_now(py).into_any())?;
        let params = req.get(intern!(py, "params"))?;
        let (sts, sig) = signature(
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            &additional,
            &creds,
            mac,
        )?;
        let names: Vec<&str> = additional.iter().map(String::as_str).collect();
        let authorization = v2::authorization(creds.id(), &names, &sig);
        headers.set_str(intern!(py, "authorization"), &authorization)?;
        SigningDetails::new("v2", explain, &sts, sig, Some(authorization), None)
            .finish(explain, &creds)
    }

    fn sign_url(
        &self,
        call: &Call<'_, '_>,
        expires: &Bound<'_, PyAny>,
    ) -> PyResult<SigningDetails> {
        let (req, explain) = (&call.req, call.explain);
        let mac = &self.mac;
        let py = req.py();
        let creds = call.base.credentials(py)?;
        let params = req.get(intern!(py, "params"))?;
        let headers = Headers::of(req)?;
        if let Some(token) = creds.token() {
            params.set_item(intern!(py, "security-token"), token)?;
        }
        let additional = match call.in_additional_headers {
            Some(w) if !w.is_none() => headers.present_additional(&lowered_set(w)?)?,
            _ => Vec::new(),
        };
        let expiration = absolute_expiration(expires)?;
        headers.set_str(intern!(py, "date"), &expiration)?;
        params.set_item(intern!(py, "x-oss-signature-version"), "OSS2")?;
        params.set_item(intern!(py, "x-oss-expires"), &expiration)?;
        params.set_item(intern!(py, "x-oss-access-key-id"), creds.id())?;
        if !additional.is_empty() {
            params.set_item(
                intern!(py, "x-oss-additional-headers"),
                additional.join(";"),
            )?;
        }
        let (sts, sig) = signature(
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            &additional,
            &creds,
            mac,
        )?;
        params.set_item(intern!(py, "x-oss-signature"), &sig)?;
        let url = url_with_query(str_of(&req.get_str(intern!(py, "url"))?)?, &params)?;
        SigningDetails::new("v2", explain, &sts, sig, None, Some(url)).finish(explain, &creds)
    }
}

auth_pymethods!(ProviderAuthV2, in_additional_headers; {});

direct_auth!(
    AuthV2,
    ProviderAuthV2,
    "AuthV2",
    "Signature version 2 with a fixed AccessKey (oss2's `AuthV2`)."
);
