//! Credentials and the simple providers as Python classes, and reading credentials from any
//! provider (ossauth's own through a fast path, anything else through oss2's getters).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use zeroize::Zeroizing;

use super::errors::credentials_error;
use super::text::str_of;
use crate::clock;
use crate::credentials::{self as core, Provide};

/// Access key id, secret, optional security token and expiration.
///
/// oss2-compatible getters (`get_access_key_id()`, ...) and alibabacloud-oss-v2-compatible
/// attributes (`access_key_id`, ..., `has_keys()`, `is_expired()`).
#[pyclass(frozen, module = "ossauth", name = "Credentials")]
pub struct PyCredentials {
    pub inner: core::Credentials,
    id_py: Py<PyString>,
    token_py: Option<Py<PyString>>,
}

impl PyCredentials {
    pub fn from_core(py: Python<'_>, inner: core::Credentials) -> Self {
        let id_py = PyString::new(py, inner.access_key_id()).unbind();
        let token_py = inner
            .security_token()
            .map(|t| PyString::new(py, t).unbind());
        PyCredentials {
            inner,
            id_py,
            token_py,
        }
    }

    /// The token as a Python string, shared rather than rebuilt per request.
    pub fn token_object<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.token_py
            .as_ref()
            .map(|t| t.bind(py).clone().into_any())
    }
}

/// The token string was made by ossauth: wiped when ossauth lets go of it last.
impl Drop for PyCredentials {
    fn drop(&mut self) {
        if let Some(token) = self.token_py.take() {
            Python::with_gil(|py| super::text::release_wiping(py, token));
        }
    }
}

/// The instants Python's `datetime` can hold (years 1 to 9999), in seconds since the epoch: an
/// expiration outside them could not be read back as a datetime.
const EARLIEST: i64 = -62_135_596_800;
const LATEST: i64 = 253_402_300_799;

/// Seconds since the epoch from None, a number, an aware (or UTC-naive) datetime or an
/// ISO 8601 string, within the years a `datetime` holds.
pub fn expiration_from_py(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    let secs = expiration_secs(value)?;
    if let Some(s) = secs {
        if !(EARLIEST..=LATEST).contains(&s) {
            return Err(PyValueError::new_err(
                "expiration is outside the years 1 to 9999 that a datetime can hold",
            ));
        }
    }
    Ok(secs)
}

fn expiration_secs(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = v.downcast::<PyString>() {
        let text = s.to_cow()?;
        return core::parse_iso8601(&text).map(Some).ok_or_else(|| {
            PyValueError::new_err(format!(
                "expiration {text:?} is not an ISO 8601 instant such as '2024-05-01T12:00:00Z'"
            ))
        });
    }
    if let Ok(secs) = v.extract::<f64>() {
        if !secs.is_finite() {
            return Err(PyValueError::new_err(
                "expiration must be a finite number of seconds",
            ));
        }
        // Out of range here would saturate the cast; the caller rejects it instead.
        let secs = secs.floor();
        if !(EARLIEST as f64..=LATEST as f64).contains(&secs) {
            return Ok(Some(if secs < 0.0 { i64::MIN } else { i64::MAX }));
        }
        return Ok(Some(secs as i64));
    }
    let py = v.py();
    if v.hasattr(intern!(py, "timestamp"))? && v.hasattr(intern!(py, "tzinfo"))? {
        let dt = if v.getattr(intern!(py, "tzinfo"))?.is_none() {
            let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("tzinfo", utc)?;
            v.call_method("replace", (), Some(&kwargs))?
        } else {
            v.clone()
        };
        let secs: f64 = dt.call_method0(intern!(py, "timestamp"))?.extract()?;
        return Ok(Some(secs.floor() as i64));
    }
    Err(PyTypeError::new_err(format!(
        "expiration must be None, epoch seconds, a datetime or an ISO 8601 string, not {}",
        v.get_type().name()?
    )))
}

fn text_arg(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = v.downcast::<PyString>() {
        // Borrowed: `to_cow()` would copy a secret through a temporary `bytes` (3.9 stable ABI).
        return Ok(str_of(s)?.to_owned());
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str, not {}",
        v.get_type().name()?
    )))
}

#[pymethods]
impl PyCredentials {
    #[new]
    #[pyo3(signature = (access_key_id, access_key_secret, security_token=None, expiration=None))]
    fn py_new(
        py: Python<'_>,
        access_key_id: &Bound<'_, PyAny>,
        access_key_secret: &Bound<'_, PyAny>,
        security_token: Option<&Bound<'_, PyAny>>,
        expiration: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let id = text_arg(access_key_id, "access_key_id")?;
        let secret = Zeroizing::new(text_arg(access_key_secret, "access_key_secret")?);
        let token = match security_token.filter(|t| !t.is_none()) {
            Some(t) => Some(text_arg(t, "security_token")?).filter(|t| !t.is_empty()),
            None => None,
        };
        let exp = expiration_from_py(expiration)?;
        Ok(Self::from_core(
            py,
            core::Credentials::new(id, secret.as_str(), token, exp),
        ))
    }

    fn get_access_key_id(&self, py: Python<'_>) -> Py<PyString> {
        self.id_py.clone_ref(py)
    }

    fn get_access_key_secret(&self) -> &str {
        self.inner.access_key_secret()
    }

    fn get_security_token(&self, py: Python<'_>) -> Option<Py<PyString>> {
        self.token_py.as_ref().map(|t| t.clone_ref(py))
    }

    #[getter(access_key_id)]
    fn attr_access_key_id(&self, py: Python<'_>) -> Py<PyString> {
        self.id_py.clone_ref(py)
    }

    #[getter(access_key_secret)]
    fn attr_access_key_secret(&self) -> &str {
        self.inner.access_key_secret()
    }

    #[getter(security_token)]
    fn attr_security_token(&self, py: Python<'_>) -> Option<Py<PyString>> {
        self.get_security_token(py)
    }

    /// Expiration as an aware UTC datetime, or None for long-term keys.
    #[getter(expiration)]
    fn attr_expiration<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(secs) = self.inner.expiration() else {
            return Ok(None);
        };
        // epoch + timedelta rather than fromtimestamp, which the platform may limit.
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let epoch = dt
            .getattr("datetime")?
            .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("seconds", secs)?;
        let delta = dt.getattr("timedelta")?.call((), Some(&kwargs))?;
        Ok(Some(epoch.add(delta)?))
    }

    /// alibabacloud-oss-v2: both halves of the AccessKey are present.
    fn has_keys(&self) -> bool {
        !self.inner.access_key_id().is_empty() && !self.inner.access_key_secret().is_empty()
    }

    /// alibabacloud-oss-v2: True once the expiration has passed (never for long-term keys).
    fn is_expired(&self) -> bool {
        self.inner
            .expiration()
            .is_some_and(|e| clock::now_secs() >= e)
    }

    /// The AccessKey id with all but its first and last 4 characters masked, for display.
    fn masked_access_key_id(&self) -> String {
        self.inner.masked_access_key_id()
    }

    fn __repr__(&self) -> String {
        format!(
            "Credentials(access_key_id='{}', access_key_secret='******', security_token={}, expiration={})",
            self.inner.masked_access_key_id(),
            if self.token_py.is_some() { "'******'" } else { "None" },
            self.inner
                .expiration()
                .map_or_else(|| "None".to_owned(), |e| e.to_string()),
        )
    }
}

/// Fixed credentials, as oss2's `StaticCredentialsProvider` (same constructor).
#[pyclass(frozen, module = "ossauth", name = "StaticCredentialsProvider")]
pub struct PyStaticProvider {
    pub credentials: Py<PyCredentials>,
}

/// An optional str argument (None or absent: empty), with Python's wording for a wrong type.
fn optional_text(v: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<String> {
    match v.filter(|v| !v.is_none()) {
        Some(v) => text_arg(v, what),
        None => Ok(String::new()),
    }
}

impl PyStaticProvider {
    fn build(
        py: Python<'_>,
        id: String,
        secret: Zeroizing<String>,
        token: String,
    ) -> PyResult<Self> {
        let token = Some(token).filter(|t| !t.is_empty());
        let inner = core::Static(core::Credentials::new(id, secret.as_str(), token, None));
        let creds = inner.provide().map_err(|e| credentials_error(&e))?;
        Ok(PyStaticProvider {
            credentials: Py::new(py, PyCredentials::from_core(py, creds))?,
        })
    }
}

/// `StaticCredentialsProvider` as oss2 builds it, empty keys included: `StsAuth` signs with
/// whatever it is given, as oss2's does.
#[pyfunction]
#[pyo3(signature = (access_key_id, access_key_secret, security_token=None))]
pub fn _static_provider(
    py: Python<'_>,
    access_key_id: &Bound<'_, PyAny>,
    access_key_secret: &Bound<'_, PyAny>,
    security_token: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStaticProvider> {
    PyStaticProvider::build(
        py,
        text_arg(access_key_id, "access_key_id")?,
        Zeroizing::new(text_arg(access_key_secret, "access_key_secret")?),
        optional_text(security_token, "security_token")?,
    )
}

#[pymethods]
impl PyStaticProvider {
    #[new]
    #[pyo3(
        signature = (access_key_id=None, access_key_secret=None, security_token=None),
        text_signature = "(access_key_id='', access_key_secret='', security_token='')"
    )]
    fn py_new(
        py: Python<'_>,
        access_key_id: Option<&Bound<'_, PyAny>>,
        access_key_secret: Option<&Bound<'_, PyAny>>,
        security_token: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let id = optional_text(access_key_id, "access_key_id")?;
        let secret = Zeroizing::new(optional_text(access_key_secret, "access_key_secret")?);
        let token = optional_text(security_token, "security_token")?;
        if id.is_empty() && secret.is_empty() {
            // oss2 accepts it and every request then fails with a 403 from OSS.
            return Err(PyValueError::new_err(
                "StaticCredentialsProvider needs an AccessKey: access_key_id and \
                 access_key_secret are both empty (for public-read buckets use \
                 AnonymousAuth instead)",
            ));
        }
        Self::build(py, id, secret, token)
    }

    fn get_credentials(&self, py: Python<'_>) -> Py<PyCredentials> {
        self.credentials.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "StaticCredentialsProvider({})",
            self.credentials.get().__repr__()
        )
    }
}

/// Credentials read from the environment when the provider is created: `OSS_ACCESS_KEY_ID`,
/// `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`, else the `ALIBABA_CLOUD_*` equivalents.
/// A missing variable raises `CredentialsError` naming it.
#[pyclass(
    frozen,
    module = "ossauth",
    name = "EnvironmentVariableCredentialsProvider"
)]
pub struct PyEnvProvider {
    pub credentials: Py<PyCredentials>,
}

#[pymethods]
impl PyEnvProvider {
    #[new]
    fn py_new(py: Python<'_>) -> PyResult<Self> {
        let creds = core::EnvironmentVariable
            .provide()
            .map_err(|e| credentials_error(&e))?;
        Ok(PyEnvProvider {
            credentials: Py::new(py, PyCredentials::from_core(py, creds))?,
        })
    }

    fn get_credentials(&self, py: Python<'_>) -> Py<PyCredentials> {
        self.credentials.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "EnvironmentVariableCredentialsProvider({})",
            self.credentials.get().__repr__()
        )
    }
}

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
    if let Ok(p) = provider.downcast::<super::refreshing::PyRefreshing>() {
        // Unless a subclass overrides get_credentials in Python.
        if super::refreshing::PyRefreshing::served_directly(p)? {
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

impl PyStaticProvider {
    /// `StaticCredentialsProvider(id.strip(), secret.strip())`, as oss2's `Auth*` classes build
    /// theirs (Python's `strip()`, for its exact notion of whitespace).
    pub fn stripped(
        py: Python<'_>,
        access_key_id: &Bound<'_, PyString>,
        access_key_secret: &Bound<'_, PyString>,
    ) -> PyResult<Py<PyAny>> {
        let strip = |s: &Bound<'_, PyString>| -> PyResult<String> {
            let stripped = s.call_method0(intern!(py, "strip"))?;
            Ok(str_of(stripped.downcast::<PyString>()?)?.to_owned())
        };
        let creds =
            core::Credentials::new(strip(access_key_id)?, strip(access_key_secret)?, None, None);
        let provider = PyStaticProvider {
            credentials: Py::new(py, PyCredentials::from_core(py, creds))?,
        };
        Ok(Py::new(py, provider)?.into_any())
    }
}
