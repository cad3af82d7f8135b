//! `AuthBase`: the credentials provider every auth holds, and the RTMP push-URL signature,
//! which oss2 computes the same way (V1 style) whatever the auth's version.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::clock::absolute_expiration;
use super::credentials::{resolve, Resolved};
use super::params::{for_each_item, url_with_query};
use super::text::str_of;
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
    // oss2 sorts the (name, value) pairs in Python: a mix of str and bytes names is its
    // TypeError, and ints sort as numbers, so let Python's own sort decide.
    let pairs = PyList::empty(py);
    if params.is_truthy()? {
        for_each_item(params, |k, v| {
            let unsigned = match k.downcast::<PyString>() {
                Ok(name) => RTMP_UNSIGNED.contains(&str_of(name)?),
                Err(_) => false,
            };
            if !unsigned {
                pairs.append(PyTuple::new(py, [k, v])?)?;
            }
            Ok(())
        })?;
    }
    pairs.sort()?;
    let mut signed: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for pair in pairs.iter() {
        // `'%s:%s' % (k, v)`: str() of each, so b'x' signs as "b'x'" just as in oss2.
        let k = pair.get_item(0)?.str()?.to_cow()?.into_owned();
        let v = pair.get_item(1)?.str()?.to_cow()?.into_owned();
        signed.push((k, v));
    }
    let bucket = bucket_name.str()?.to_cow()?.into_owned();
    let channel = channel_name.str()?.to_cow()?.into_owned();
    let sts = v1::StringToSign::rtmp_in_order(&expiration, &signed, &bucket, &channel);
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
