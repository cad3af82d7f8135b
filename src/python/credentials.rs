//! Credentials and the simple providers (static, environment variables) as Python classes.
//! Reading credentials from any provider is `resolve`'s.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use zeroize::Zeroizing;

use super::convert::{expiration_from_py, optional_text, text_arg};
use super::errors::credentials_error;
use super::text::str_of;
use crate::clock;
use crate::credentials::context::Context;
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
        // The process environment, through the one seam every source reads it by.
        let env = core::env::Env::new(core::env::EnvOptions::default(), &Context::process());
        let creds = env.provide().map_err(|e| credentials_error(&e))?;
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
