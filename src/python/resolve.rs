//! Reading credentials from whatever provider an auth object holds: ossauth's own providers
//! and credentials without a Python call, anything else (oss2's, oss-v2's, a user's) through
//! `get_credentials()` and its getters or attributes.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use zeroize::Zeroizing;

use super::credentials::{PyCredentials, PyEnvProvider, PyStaticProvider};
use super::refreshing::PyRefreshing;
use super::text::str_of;

/// Credentials as signing needs them, from whatever provider the auth holds.
pub enum Resolved<'py> {
    Ours(Bound<'py, PyCredentials>),
    Foreign {
        id: String,
        secret: Zeroizing<Vec<u8>>,
        /// The provider's token object when truthy (oss2 tests `if token:`).
        token: Option<Bound<'py, PyAny>>,
    },
}

impl<'py> Resolved<'py> {
    pub fn id(&self) -> &str {
        match self {
            Resolved::Ours(c) => c.get().inner.access_key_id(),
            Resolved::Foreign { id, .. } => id,
        }
    }

    pub fn secret(&self) -> &[u8] {
        match self {
            Resolved::Ours(c) => c.get().inner.access_key_secret().as_bytes(),
            Resolved::Foreign { secret, .. } => secret,
        }
    }

    pub fn token(&self) -> Option<Bound<'py, PyAny>> {
        match self {
            Resolved::Ours(c) => c.get().token_object(c.py()),
            Resolved::Foreign { token, .. } => token.clone(),
        }
    }
}

/// Calls `getter()` if the object has it (oss2 style), else reads `attr` (oss-v2 style).
fn field<'py>(creds: &Bound<'py, PyAny>, getter: &str, attr: &str) -> PyResult<Bound<'py, PyAny>> {
    match creds.getattr(getter) {
        Ok(m) => m.call0(),
        Err(_) => creds.getattr(attr),
    }
}

/// Reads credentials from `provider`: ossauth's providers and credentials without a Python
/// call, any other object through `get_credentials()` and its getters.
pub fn resolve<'py>(provider: &Bound<'py, PyAny>) -> PyResult<Resolved<'py>> {
    let py = provider.py();
    if let Ok(p) = provider.downcast::<PyStaticProvider>() {
        return Ok(Resolved::Ours(p.get().credentials.bind(py).clone()));
    }
    if let Ok(p) = provider.downcast::<PyEnvProvider>() {
        return Ok(Resolved::Ours(p.get().credentials.bind(py).clone()));
    }
    if let Ok(p) = provider.downcast::<PyRefreshing>() {
        // Unless a subclass overrides get_credentials in Python.
        if PyRefreshing::served_directly(p)? {
            return Ok(Resolved::Ours(p.get().current(py)?.into_bound(py)));
        }
    }
    let creds = provider.call_method0(intern!(py, "get_credentials"))?;
    if let Ok(c) = creds.downcast::<PyCredentials>() {
        return Ok(Resolved::Ours(c.clone()));
    }
    foreign(&creds)
}

fn foreign<'py>(creds: &Bound<'py, PyAny>) -> PyResult<Resolved<'py>> {
    if creds.is_none() {
        return Err(PyTypeError::new_err(
            "the credentials provider's get_credentials() returned None",
        ));
    }
    let token = field(creds, "get_security_token", "security_token")?;
    let token = if token.is_truthy()? {
        Some(token)
    } else {
        None
    };
    let id_obj = field(creds, "get_access_key_id", "access_key_id")?;
    let id = id_obj
        .downcast::<PyString>()
        .map_err(|_| PyTypeError::new_err("the access key id must be a str"))?;
    let id = str_of(id)?.to_owned();
    let secret_obj = field(creds, "get_access_key_secret", "access_key_secret")?;
    // Borrowed, not `to_cow()`: under the 3.9 stable ABI that copies through a temporary
    // `bytes`, which Python frees without wiping.
    let secret = if let Ok(s) = secret_obj.downcast::<PyString>() {
        Zeroizing::new(str_of(s)?.as_bytes().to_vec())
    } else if let Ok(b) = secret_obj.downcast::<PyBytes>() {
        Zeroizing::new(b.as_bytes().to_vec())
    } else {
        return Err(PyTypeError::new_err(
            "the access key secret must be str or bytes",
        ));
    };
    Ok(Resolved::Foreign { id, secret, token })
}
