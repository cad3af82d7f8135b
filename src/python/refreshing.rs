//! `RefreshingCredentialsProvider`: any Python callable inside the core's refreshing cache.
//!
//! `get_credentials()` on fresh credentials is one atomic load and a reference-count increment
//! of the cached `Credentials` object. Refreshes run on the cache's refresh thread, which takes
//! the GIL only to call `fetch`; callers that must wait release the GIL while they do.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyString;

use super::credentials::PyCredentials;
use super::errors::credentials_error;
use crate::credentials::cache::{Options, RefreshingCache};
use crate::credentials::{CredentialsError, Fetched};

const MICROS: i64 = 1_000_000;

/// Wraps a Python callable returning credentials in the refreshing cache.
#[pyclass(
    frozen,
    subclass,
    module = "ossauth",
    name = "RefreshingCredentialsProvider"
)]
pub struct PyRefreshing {
    cache: RefreshingCache<Py<PyCredentials>>,
}

/// `ossauth._convert.to_credentials`, for whatever `fetch` returns besides our `Credentials`.
fn converter(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CONVERT: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    CONVERT
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("ossauth._convert")?
                    .getattr("to_credentials")?
                    .unbind(),
            )
        })
        .map(|c| c.bind(py))
}

/// A Python exception from `fetch` or the conversion, as the cache's error: its type and text.
fn fetch_error(py: Python<'_>, source: &str, what: &str, err: PyErr) -> CredentialsError {
    let kind = err
        .get_type(py)
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let text = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    CredentialsError::new(source.to_owned(), format!("{what} raised {kind}: {text}"))
}

/// Calls `fetch` and turns its result into cached credentials (on the refresh thread).
fn fetch_once(
    py: Python<'_>,
    fetch: &Py<PyAny>,
    source: &str,
) -> Result<Fetched<Py<PyCredentials>>, CredentialsError> {
    let result = fetch
        .bind(py)
        .call0()
        .map_err(|e| fetch_error(py, source, "fetch()", e))?;
    let creds = match result.downcast_into::<PyCredentials>() {
        Ok(c) => c,
        Err(e) => converter(py)
            .and_then(|convert| convert.call1((e.into_inner(),)))
            .and_then(|c| Ok(c.downcast_into::<PyCredentials>()?))
            .map_err(|e| fetch_error(py, source, "reading what fetch() returned", e))?,
    };
    let inner = &creds.get().inner;
    if inner.access_key_id().is_empty() || inner.access_key_secret().is_empty() {
        return Err(CredentialsError::new(
            source.to_owned(),
            "fetch() returned credentials without an AccessKey id or secret",
        ));
    }
    Ok(Fetched {
        expires_at: inner.expiration().map(|s| s.saturating_mul(MICROS)),
        value: creds.unbind(),
    })
}

/// Seconds (int or float) as a positive duration.
fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    if !(value.is_finite() && value > 0.0) {
        return Err(PyValueError::new_err(format!(
            "{what} must be a positive number of seconds, not {value}"
        )));
    }
    Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("{what} is too large: {value}")))
}

impl PyRefreshing {
    /// `get_credentials()`, for the auth objects' fast path too.
    pub fn current(&self, py: Python<'_>) -> PyResult<Py<PyCredentials>> {
        if let Some(guard) = self.cache.fresh() {
            if let Some(entry) = guard.as_ref() {
                return Ok(entry.value.clone_ref(py));
            }
        }
        let entry = py
            .allow_threads(|| self.cache.get())
            .map_err(|e| credentials_error(&e))?;
        Ok(entry.value.clone_ref(py))
    }
}

#[pymethods]
impl PyRefreshing {
    #[new]
    #[pyo3(signature = (fetch, *, refresh_interval=None, timeout=10.0, name=None))]
    fn py_new(
        py: Python<'_>,
        fetch: Py<PyAny>,
        refresh_interval: Option<f64>,
        timeout: f64,
        name: Option<String>,
    ) -> PyResult<Self> {
        if !fetch.bind(py).is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "fetch must be callable (it is called with no arguments)",
            ));
        }
        let source = match name {
            Some(n) => n,
            None => {
                let qualname = fetch
                    .bind(py)
                    .getattr(intern!(py, "__qualname__"))
                    .and_then(|n| Ok(n.downcast_into::<PyString>()?.to_string()))
                    .unwrap_or_else(|_| "fetch".into());
                format!("RefreshingCredentialsProvider({qualname})")
            }
        };
        let options = Options {
            source: source.clone().into(),
            refresh_interval: refresh_interval
                .map(|s| seconds(s, "refresh_interval"))
                .transpose()?,
            timeout: seconds(timeout, "timeout")?,
        };
        let cache = RefreshingCache::new(options, move || {
            if unsafe { pyo3::ffi::Py_IsInitialized() } == 0 {
                return Err(CredentialsError::new(
                    source.clone(),
                    "the interpreter is shutting down",
                ));
            }
            Python::with_gil(|py| fetch_once(py, &fetch, &source))
        });
        Ok(PyRefreshing { cache })
    }

    /// The current credentials: the cached object while fresh, else refreshed as the windows
    /// say. Raises `CredentialsError` when there are no valid credentials to give.
    fn get_credentials(&self, py: Python<'_>) -> PyResult<Py<PyCredentials>> {
        self.current(py)
    }

    /// `await provider.get_credentials_async()`: never blocks the event loop; a refresh that
    /// must be waited for is waited for in the loop's default executor.
    fn get_credentials_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let event_loop = py
            .import(intern!(py, "asyncio"))?
            .call_method0(intern!(py, "get_running_loop"))?;
        if let Some(guard) = slf.get().cache.fresh() {
            if let Some(entry) = guard.as_ref() {
                let future = event_loop.call_method0(intern!(py, "create_future"))?;
                future.call_method1(intern!(py, "set_result"), (entry.value.clone_ref(py),))?;
                return Ok(future);
            }
        }
        let method = slf.getattr(intern!(py, "get_credentials"))?;
        event_loop.call_method1(intern!(py, "run_in_executor"), (py.None(), method))
    }

    /// How many times `fetch` has been called (diagnostics and tests).
    fn _fetch_count(&self) -> u64 {
        self.cache.fetch_count()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let state = match self.cache.peek() {
            Some(entry) => entry.value.bind(py).repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "RefreshingCredentialsProvider(source={:?}, credentials={state})",
            self.cache.source()
        ))
    }
}
