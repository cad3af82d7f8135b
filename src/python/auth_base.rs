//! `AuthBase`: the credentials provider every auth holds, and the RTMP push-URL signature,
//! which oss2 computes the same way (V1 style) whatever the auth's version.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::clock::absolute_expiration;
use super::credentials::{resolve, Resolved};
use super::request::{for_each_item, url_with_query};
use crate::sign::v1;

/// Holds the credentials provider: any object with `get_credentials()`.
#[pyclass(subclass, module = "ossauth", name = "AuthBase")]
pub struct AuthBase {
    #[pyo3(get, set)]
    pub credentials_provider: Py<PyAny>,
}

impl AuthBase {
    pub fn new(credentials_provider: Py<PyAny>) -> Self {
        AuthBase {
            credentials_provider,
        }
    }

    pub fn credentials<'py>(&self, py: Python<'py>) -> PyResult<Resolved<'py>> {
        resolve(self.credentials_provider.bind(py))
    }
}

/// The parameters RTMP signing leaves out of its string to sign.
const RTMP_UNSIGNED: [&str; 4] = ["OSSAccessKeyId", "Signature", "Expires", "SecurityToken"];

/// oss2's `AuthBase._sign_rtmp_url`, shared by every auth version.
pub fn sign_rtmp_url(
    creds: &Resolved<'_>,
    url: &Bound<'_, PyAny>,
    bucket_name: &Bound<'_, PyAny>,
    channel_name: &Bound<'_, PyAny>,
    expires: &Bound<'_, PyAny>,
    params: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let py = url.py();
    if let Some(token) = creds.token() {
        params.set_item(intern!(py, "security-token"), token)?;
    }
    let expiration = absolute_expiration(expires)?;
    let mut signed: Vec<(String, String)> = Vec::new();
    if params.is_truthy()? {
        for_each_item(params, |k, v| {
            let name = k.str()?.to_cow()?.into_owned();
            if !RTMP_UNSIGNED.contains(&name.as_str()) || !k.is_instance_of::<PyString>() {
                signed.push((name, v.str()?.to_cow()?.into_owned()));
            }
            Ok(())
        })?;
    }
    let bucket = bucket_name.str()?.to_cow()?.into_owned();
    let channel = channel_name.str()?.to_cow()?.into_owned();
    let sts = v1::StringToSign::rtmp(&expiration, &signed, &bucket, &channel);
    let signature = sts.sign(creds.secret());

    // oss2: `p = params if params else {}`; an empty dict is replaced, not filled.
    let target = if params.is_truthy()? {
        params.clone()
    } else {
        PyDict::new(py).into_any()
    };
    target.set_item(intern!(py, "OSSAccessKeyId"), creds.id())?;
    target.set_item(intern!(py, "Expires"), expiration)?;
    target.set_item(intern!(py, "Signature"), signature)?;
    let url = url
        .downcast::<PyString>()
        .map_err(|_| PyTypeError::new_err("the RTMP url must be str"))?
        .to_cow()?;
    url_with_query(&url, &target)
}
