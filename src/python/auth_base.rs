//! `AuthBase`: the credentials provider every auth holds, and the RTMP push-URL signature,
//! which oss2 computes the same way (V1 style) whatever the auth's version.

use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::clock::absolute_expiration;
use super::params::{for_each_item, url_with_query};
use super::resolve::{resolve, Resolved};
use super::text::{str_of, type_name};
use crate::sign::v1;

/// Holds the credentials provider: any object with `get_credentials()`.
///
/// Frozen, with the provider behind a lock held only to copy or replace the pointer (never
/// across a Python call): oss2 lets `auth.credentials_provider = other` happen at any time,
/// from any thread or from inside the provider's own `get_credentials()`, and each signature
/// reads the provider once, so it uses one provider's credentials throughout.
#[pyclass(subclass, frozen, module = "ossauth", name = "AuthBase")]
pub struct AuthBase {
    provider: Mutex<Py<PyAny>>,
}

impl AuthBase {
    /// An auth holding `provider`, which must have a callable `get_credentials`.
    pub fn new(provider: &Bound<'_, PyAny>) -> PyResult<Self> {
        check_provider(provider)?;
        Ok(Self::with(provider.clone().unbind()))
    }

    /// An auth holding one of ossauth's own providers (no check needed).
    pub fn with(provider: Py<PyAny>) -> Self {
        AuthBase {
            provider: Mutex::new(provider),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Py<PyAny>> {
        // Nothing that can panic runs while the lock is held; a poisoned lock still holds a
        // whole pointer.
        self.provider.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The provider at this instant (a new reference, so a swap cannot free it under us).
    pub fn provider<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.slot().clone_ref(py).into_bound(py)
    }

    /// The credentials of the provider held now, read once for one signature.
    pub fn credentials<'py>(&self, py: Python<'py>) -> PyResult<Resolved<'py>> {
        resolve(&self.provider(py))
    }
}

/// A credentials provider is an object with a callable `get_credentials()`. oss2 takes anything
/// and fails at the first signature (`AttributeError: 'NoneType' object has no attribute
/// 'get_credentials'`); refusing it where the mistake is made says what is wrong and where.
pub fn check_provider(provider: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = provider.py();
    let callable = match provider.getattr(intern!(py, "get_credentials")) {
        Ok(m) => m.is_callable(),
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => false,
        Err(e) => return Err(e),
    };
    if callable {
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "credentials_provider must be an object with a get_credentials() method (such as \
         ossauth.StaticCredentialsProvider or ossauth.DefaultCredentialsProvider), not {}",
        type_name(provider)
    )))
}

#[pymethods]
impl AuthBase {
    /// The credentials provider each signature reads its credentials from.
    #[getter]
    fn get_credentials_provider(&self, py: Python<'_>) -> Py<PyAny> {
        self.slot().clone_ref(py)
    }

    #[setter]
    fn set_credentials_provider(&self, provider: &Bound<'_, PyAny>) -> PyResult<()> {
        // (Deleting it is pyo3's AttributeError: an auth always has a provider.)
        check_provider(provider)?;
        let old = std::mem::replace(&mut *self.slot(), provider.clone().unbind());
        // Dropped once the lock is released: releasing the old provider may run Python code
        // (`__del__`) that reads this auth's provider.
        drop(old);
        Ok(())
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
