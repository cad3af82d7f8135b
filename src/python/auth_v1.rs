//! `ProviderAuth` and `Auth`: signature version 1, as oss2 2.19.1 computes it.

use pyo3::intern;
use pyo3::prelude::*;

use super::auth_base::{sign_rtmp_url, AuthBase};
use super::auth_methods::{auth_pymethods, direct_auth, Call, SignVersion};
use super::clock::{absolute_expiration, http_date_now};
use super::explain::SigningDetails;
use super::headers::{HeaderRules, Headers};
use super::params::{url_with_query, ParamRule, Params};
use super::request::{bucket_arg, key_arg, view, Request};
use super::resolve::Resolved;
use super::text::str_of;
use crate::sign::{v1, KeyedMac};
use hmac::Hmac;
use sha1::Sha1;

fn v1_header(name: &str) -> bool {
    name.starts_with("x-oss-") || matches!(name, "content-md5" | "content-type" | "date")
}

/// Computes the V1 signature of `req` as it stands.
fn signature(
    req: &Request<'_>,
    headers: &Headers<'_>,
    params: &Bound<'_, PyAny>,
    bucket_name: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
    creds: &Resolved<'_>,
    mac: &KeyedMac<Hmac<Sha1>>,
) -> PyResult<(v1::StringToSign, String)> {
    let method = req.get_str(intern!(req.py(), "method"))?;
    // In the order oss2 reads them, so that the same error comes first: the resource
    // (sub-resources, bucket, key) is built and encoded before the headers are joined.
    let params = Params::collect(params, ParamRule::SubresourcesOnly)?;
    let bucket = bucket_arg(bucket_name)?;
    let key = key_arg(key, bucket, true)?;
    params.check_encodable()?;
    let headers = headers.collect(
        &v1_header,
        HeaderRules {
            encoded: &["content-md5", "content-type", "x-oss-date"],
            encoded_first: false,
        },
    )?;
    let sts = v1::StringToSign::new(&view(
        str_of(&method)?,
        bucket,
        &key,
        headers.view()?,
        params.view()?,
    ));
    let sig = sts.sign_with(mac.keyed(creds.secret()));
    Ok((sts, sig))
}

/// Signature version 1 with any credentials provider (oss2's `ProviderAuth`).
#[pyclass(extends = AuthBase, subclass, frozen, module = "ossauth", name = "ProviderAuth")]
#[derive(Default)]
pub struct ProviderAuth {
    mac: KeyedMac<Hmac<Sha1>>,
}

impl SignVersion for ProviderAuth {
    const VERSION: &'static str = "v1";

    fn sign_request(&self, call: &Call<'_, '_>) -> PyResult<SigningDetails> {
        let (req, explain) = (&call.req, call.explain);
        let mac = &self.mac;
        let py = req.py();
        let creds = call.base.credentials(py)?;
        let headers = Headers::of(req)?;
        if let Some(token) = creds.token() {
            headers.set(intern!(py, "x-oss-security-token"), token)?;
        }
        headers.set(intern!(py, "date"), http_date_now(py).into_any())?;
        let params = req.get(intern!(py, "params"))?;
        let (sts, sig) = signature(
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            &creds,
            mac,
        )?;
        let authorization = v1::authorization(creds.id(), &sig);
        headers.set_str(intern!(py, "authorization"), &authorization)?;
        SigningDetails::new("v1", explain, &sts, sig, Some(authorization), None)
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
        if let Some(token) = creds.token() {
            params.set_item(intern!(py, "security-token"), token)?;
        }
        let expiration = absolute_expiration(expires)?;
        // oss2 reuses the Date slot of the string to sign for the expiration.
        let headers = Headers::of(req)?;
        headers.set_str(intern!(py, "date"), &expiration)?;
        let (sts, sig) = signature(
            req,
            &headers,
            &params,
            call.bucket_name,
            call.key,
            &creds,
            mac,
        )?;
        params.set_item(intern!(py, "OSSAccessKeyId"), creds.id())?;
        params.set_item(intern!(py, "Expires"), &expiration)?;
        params.set_item(intern!(py, "Signature"), &sig)?;
        let url = url_with_query(str_of(&req.get_str(intern!(py, "url"))?)?, &params)?;
        SigningDetails::new("v1", explain, &sts, sig, None, Some(url)).finish(explain, &creds)
    }
}

auth_pymethods!(ProviderAuth; {});

direct_auth!(
    Auth,
    ProviderAuth,
    "Auth",
    "Signature version 1 with a fixed AccessKey (oss2's `Auth`)."
);
