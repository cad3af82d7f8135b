//! The refreshing cache behind Python: `ossauth._core.CachedProvider`, the base of
//! `RefreshingCredentialsProvider` (a Python fetch function) and of the Rust sources.
//!
//! `get_credentials()` (defined in Python, see `ossauth/_refreshing.py`) asks `_serve()`: on
//! fresh credentials one atomic load and a reference-count increment of the cached
//! `Credentials` object. Python fetch functions run on a Python thread (`_refreshing._start`),
//! Rust sources on a short-lived Rust thread without the GIL. Callers that must wait for a
//! refresh poll `_serve()` from Python, sleeping with the GIL released: no Rust frame is on a
//! stack that waits for the GIL, since CPython < 3.14 ends such threads with `pthread_exit`
//! when the interpreter shuts down, and a forced unwind through Rust frames aborts.

use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyString;
use pyo3::PyTraverseError;

use super::convert::seconds;
use super::credentials::PyCredentials;
use super::errors::credentials_error;
use super::exit;
use super::logs;
use super::sources::{PyRustSource, StagedRole};
use crate::credentials::cache::{Options, RefreshingCache, Served, Ticket};
use crate::credentials::chain::Chain;
use crate::credentials::service_text::escaped;
use crate::credentials::{Credentials, CredentialsError, ErrorKind, Fetched, Provide};

const MICROS: i64 = 1_000_000;

/// A cache entry's value: the Python object callers get, made once.
pub struct Cached {
    object: OnceLock<Py<PyCredentials>>,
    /// For Rust sources: what the object is made from, on first use under a caller's GIL (the
    /// refresh thread takes the GIL only to log, or to call a Python `source=` provider).
    pending: Option<Credentials>,
}

impl Cached {
    fn object(&self, py: Python<'_>) -> PyResult<Py<PyCredentials>> {
        if let Some(o) = self.object.get() {
            return Ok(o.clone_ref(py));
        }
        let creds = self
            .pending
            .clone()
            .ok_or_else(|| PyValueError::new_err("cache entry without credentials"))?;
        let made = Py::new(py, PyCredentials::from_core(py, creds))?;
        // Only one thread holds the GIL: nobody set it meanwhile.
        let _ = self.object.set(made);
        Ok(self.object.get().expect("just set").clone_ref(py))
    }
}

/// A Rust source's result as a cache value.
pub fn fetched_from_rust(creds: Credentials) -> Fetched<Cached> {
    Fetched {
        expires_at: creds.expiration().map(|s| s.saturating_mul(MICROS)),
        value: Cached {
            object: OnceLock::new(),
            pending: Some(creds),
        },
    }
}

/// A Rust source (network I/O without the GIL) in the cache.
pub fn rust_cache(options: Options, source: Box<dyn Provide>) -> RefreshingCache<Cached> {
    RefreshingCache::new(options, move || source.provide().map(fetched_from_rust))
}

/// Wraps a source of credentials in the refreshing cache.
#[pyclass(frozen, subclass, module = "ossauth._core", name = "CachedProvider")]
pub struct PyRefreshing {
    cache: RefreshingCache<Cached>,
    /// The Python fetch function (`None` for Rust sources, or once cleared by the GC).
    fetch: Mutex<Option<Py<PyAny>>>,
    python_source: bool,
    /// The default chain, to say which of its sources worked.
    chain: Option<Arc<Chain>>,
    /// A RAM role with a Python `source=`: `fetch` is the provider's `get_credentials`, and the
    /// role is assumed with what it gives.
    role: Option<StagedRole>,
}

/// The refresh of a Python source, handed to the Python thread that runs `fetch`.
#[pyclass(frozen, module = "ossauth._core", name = "_RefreshTicket")]
pub struct PyTicket {
    ticket: Mutex<Option<Ticket<Cached>>>,
    fetch: Py<PyAny>,
    role: Option<StagedRole>,
}

/// What `_serve()` gives when it is not simply the credentials: those to use now (if any) and
/// the refresh this caller started (if any), which Python starts on a thread of its own.
#[pyclass(frozen, module = "ossauth._core", name = "_Pending")]
pub struct PyPending {
    #[pyo3(get)]
    credentials: Option<Py<PyCredentials>>,
    #[pyo3(get)]
    ticket: Option<Py<PyTicket>>,
}

impl PyTicket {
    fn take(&self) -> Option<Ticket<Cached>> {
        self.ticket.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[pymethods]
impl PyTicket {
    /// Publishes what `fetch` returned (already converted to `ossauth.Credentials`).
    fn complete(&self, py: Python<'_>, credentials: Bound<'_, PyAny>) -> PyResult<()> {
        let Some(ticket) = self.take() else {
            return Ok(());
        };
        let source = ticket.source().to_string();
        if let Some(StagedRole { role, .. }) = &self.role {
            // The role's source credentials: the role is assumed on a Rust thread.
            let Ok(creds) = credentials.downcast::<PyCredentials>() else {
                ticket.finish(Err(
                    role.source_failed(ErrorKind::Config, &"not converted to Credentials")
                ));
                return Ok(());
            };
            let (role, creds) = (role.clone(), creds.get().inner.clone());
            ticket.finish_on_thread(move || role.assume(&creds).map(fetched_from_rust));
            logs::start(py);
            return Ok(());
        }
        let result = match credentials.downcast_into::<PyCredentials>() {
            Err(e) => Err(CredentialsError::config(
                source,
                format!(
                    "fetch() result converted to {}, not Credentials",
                    e.into_inner()
                        .get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ),
            )),
            Ok(creds) => {
                let inner = &creds.get().inner;
                if inner.access_key_id().trim().is_empty()
                    || inner.access_key_secret().trim().is_empty()
                {
                    Err(CredentialsError::service(
                        source,
                        "fetch() returned credentials without an AccessKey id or secret",
                    ))
                } else {
                    let expires_at = inner.expiration().map(|s| s.saturating_mul(MICROS));
                    let object = OnceLock::new();
                    let _ = object.set(creds.unbind());
                    Ok(Fetched {
                        expires_at,
                        value: Cached {
                            object,
                            pending: None,
                        },
                    })
                }
            }
        };
        ticket.finish(result);
        Ok(())
    }

    /// Publishes a failed attempt: `what` raised an exception of type `kind` saying `text`
    /// (formatted in Python, so that no Python code runs under this Rust frame). `quiet`: no
    /// log record (the refresh could not start at interpreter shutdown). `error_kind`: what
    /// kind of credentials error it is ("not_configured", "config", "service" or "transport").
    #[pyo3(signature = (what, kind, text, *, quiet=false, error_kind="service"))]
    fn fail(&self, what: &str, kind: &str, text: &str, quiet: bool, error_kind: &str) {
        if let Some(ticket) = self.take() {
            let error_kind = match error_kind {
                "not_configured" => ErrorKind::NotConfigured,
                "config" => ErrorKind::Config,
                "transport" => ErrorKind::Transport,
                _ => ErrorKind::Service,
            };
            // The exception may quote a service (an SDK's error): escaped like all such text.
            let message = format!("{what} raised {kind}: {}", escaped(text, 500));
            let e = match &self.role {
                Some(StagedRole { role, .. }) => role.source_failed(error_kind, &message),
                None => CredentialsError::new(error_kind, ticket.source().clone(), message),
            };
            if quiet {
                ticket.fail_unlogged(e);
            } else {
                ticket.finish(Err(e));
            }
        }
    }

    /// The fetch function this refresh calls.
    #[getter]
    fn fetch(&self, py: Python<'_>) -> Py<PyAny> {
        self.fetch.clone_ref(py)
    }

    /// What `fetch` is called in messages: `fetch()`, or a role's `<provider>.get_credentials()`.
    #[getter]
    fn fetch_name(&self) -> &str {
        self.role.as_ref().map_or("fetch()", |r| &r.name)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.fetch)
    }
}

/// `RefreshingCredentialsProvider.get_credentials`, the function subclasses inherit: such
/// providers are served by the auth objects straight from the cache.
fn base_get_credentials(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static BASE: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    BASE.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("ossauth._refreshing")?
                .getattr("RefreshingCredentialsProvider")?
                .getattr("get_credentials")?
                .unbind(),
        )
    })
    .map(|c| c.bind(py))
}

impl PyRefreshing {
    /// Whether the auth objects may read `provider` through [`current`](Self::current): it
    /// does not override `get_credentials`.
    pub fn served_directly(provider: &Bound<'_, Self>) -> PyResult<bool> {
        let py = provider.py();
        let method = provider
            .get_type()
            .getattr(intern!(py, "get_credentials"))?;
        Ok(method.is(base_get_credentials(py)?))
    }

    /// A refresh this caller started, for Python to start on a thread of its own (Python
    /// sources); Rust sources run it on a Rust thread at once.
    fn ticket(&self, py: Python<'_>, ticket: Ticket<Cached>) -> PyResult<Option<Py<PyTicket>>> {
        if !self.python_source {
            self.cache.launch(ticket);
            logs::start(py);
            return Ok(None);
        }
        let fetch = self
            .fetch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|f| f.clone_ref(py));
        // Cleared by the GC: the dropped ticket records a failed attempt.
        let Some(fetch) = fetch else { return Ok(None) };
        let ticket = Mutex::new(Some(ticket));
        let role = self.role.clone();
        Py::new(
            py,
            PyTicket {
                ticket,
                fetch,
                role,
            },
        )
        .map(Some)
    }

    /// Non-blocking: the credentials object, or a `_Pending`, or the error.
    fn serve(&self, py: Python<'_>) -> PyResult<PyObject> {
        if let Some(guard) = self.cache.fresh() {
            if let Some(entry) = guard.as_ref() {
                return Ok(entry.value.object(py)?.into_any());
            }
        }
        let (served, ticket) = self.cache.serve();
        let ticket = match ticket {
            Some(t) => self.ticket(py, t)?,
            None => None,
        };
        let credentials = match served {
            Served::Ready(entry) => Some(entry.value.object(py)?),
            Served::Pending => None,
            Served::Failed(e) => return Err(credentials_error(&e)),
        };
        match (credentials, ticket) {
            (Some(c), None) => Ok(c.into_any()),
            (credentials, ticket) => Ok(Py::new(
                py,
                PyPending {
                    credentials,
                    ticket,
                },
            )?
            .into_any()),
        }
    }

    /// Starts a Python source's refresh from Rust (the auth objects' blocking path).
    fn start_from_rust(py: Python<'_>, ticket: Py<PyTicket>) {
        let started = py
            .import("ossauth._refreshing")
            .and_then(|m| m.getattr("_start_soon"))
            .and_then(|start| start.call1((ticket,)));
        if let Err(e) = started {
            log::warn!("cannot start a refresh thread: {e}");
        }
    }

    /// For the auth objects' fast path: blocks (GIL released) in the mandatory window.
    /// Waiting here holds a Rust frame on the stack: at interpreter exit the thread parks
    /// instead of taking the GIL back (see `exit`).
    pub fn current(&self, py: Python<'_>) -> PyResult<Py<PyCredentials>> {
        if let Some(guard) = self.cache.fresh() {
            if let Some(entry) = guard.as_ref() {
                return entry.value.object(py);
            }
        }
        let launch = |ticket| {
            exit::with_gil(|py| match self.ticket(py, ticket) {
                Ok(Some(t)) => Self::start_from_rust(py, t),
                Ok(None) => {}
                Err(e) => log::warn!("{}: {e}", self.cache.source()),
            })
        };
        let entry = exit::allow_threads(py, || self.cache.get_with(&launch))
            .map_err(|e| credentials_error(&e))?;
        entry.value.object(py)
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
        let rust_source = fetch.bind(py).downcast::<PyRustSource>().ok().cloned();
        if rust_source.is_none() && !fetch.bind(py).is_callable() {
            return Err(PyTypeError::new_err(
                "fetch must be callable (it is called with no arguments)",
            ));
        }
        let source = match (name, &rust_source) {
            (Some(n), _) => n,
            (None, Some(r)) => r.get().name.clone(),
            (None, None) => {
                let qualname = fetch
                    .bind(py)
                    .getattr(intern!(py, "__qualname__"))
                    .and_then(|n| Ok(n.downcast_into::<PyString>()?.to_string()))
                    .unwrap_or_else(|_| "fetch".into());
                format!("RefreshingCredentialsProvider({qualname})")
            }
        };
        let options = Options {
            source: source.into(),
            refresh_interval: refresh_interval
                .map(|s| seconds(s, "refresh_interval"))
                .transpose()?,
            timeout: seconds(timeout, "timeout")?,
        };
        if let Some(r) = rust_source {
            let r = r.get();
            let source = r
                .take()
                .ok_or_else(|| PyValueError::new_err("this source is already in a provider"))?;
            if let Some(staged) = &r.staged {
                return Ok(PyRefreshing {
                    cache: RefreshingCache::delegated(options),
                    fetch: Mutex::new(Some(staged.fetch.clone_ref(py))),
                    python_source: true,
                    chain: None,
                    role: Some(staged.role.clone()),
                });
            }
            return Ok(PyRefreshing {
                cache: rust_cache(options, source),
                fetch: Mutex::new(None),
                python_source: false,
                chain: r.chain.clone(),
                role: None,
            });
        }
        Ok(PyRefreshing {
            cache: RefreshingCache::delegated(options),
            fetch: Mutex::new(Some(fetch)),
            python_source: true,
            chain: None,
            role: None,
        })
    }

    /// The credentials to use now, or a `_Pending` (credentials to use now or `None` while a
    /// refresh must be waited for, and a refresh to start), or `CredentialsError`. Never
    /// blocks.
    fn _serve(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.serve(py)
    }

    /// After waiting the whole timeout: the cached credentials while still valid, else
    /// `CredentialsError`.
    fn _timed_out(&self, py: Python<'_>) -> PyResult<Py<PyCredentials>> {
        let entry = self.cache.timed_out().map_err(|e| credentials_error(&e))?;
        entry.value.object(py)
    }

    /// Seconds a caller in the mandatory window waits for a refresh.
    #[getter]
    fn _timeout(&self) -> f64 {
        self.cache.timeout().as_secs_f64()
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
                future.call_method1(intern!(py, "set_result"), (entry.value.object(py)?,))?;
                return Ok(future);
            }
        }
        let method = slf.getattr(intern!(py, "get_credentials"))?;
        event_loop.call_method1(intern!(py, "run_in_executor"), (py.None(), method))
    }

    /// The default chain's source that gave the current credentials (`None` elsewhere).
    fn _chain_source(&self) -> Option<String> {
        self.chain
            .as_ref()
            .and_then(|c| c.last_used().map(str::to_owned))
    }

    /// How many times the source has been asked for credentials (diagnostics and tests).
    fn _fetch_count(&self) -> u64 {
        self.cache.fetch_count()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // try_lock: the GC must not block; the lock is only ever held for a clone.
        if let Ok(fetch) = self.fetch.try_lock() {
            if let Some(f) = fetch.as_ref() {
                visit.call(f)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let taken = self.fetch.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(taken);
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.get();
        let state = match this.cache.peek() {
            Some(entry) => entry.value.object(py)?.bind(py).repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "{}(source={:?}, credentials={state})",
            slf.get_type().name()?,
            this.cache.source()
        ))
    }
}
