//! Exceptions raised to Python.
//!
//! ```text
//! ossauth.Error(Exception)
//! ├── CredentialsError
//! │   ├── CredentialsNotConfiguredError   the source is absent
//! │   ├── CredentialsConfigError          its configuration is invalid
//! │   ├── CredentialsServiceError         the service answered with an error
//! │   └── CredentialsTransportError       it could not be reached, or not in time
//! └── SigningError(Error, ValueError)
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::credentials::ErrorKind;

create_exception!(
    ossauth,
    Error,
    PyException,
    "The base of every exception that ossauth raises of its own."
);

create_exception!(
    ossauth,
    CredentialsError,
    Error,
    "Credentials could not be obtained. The message names the source and the cause, never a secret."
);

create_exception!(
    ossauth,
    CredentialsNotConfiguredError,
    CredentialsError,
    "The credential source is not set up at all (no such file, no variable set)."
);

create_exception!(
    ossauth,
    CredentialsConfigError,
    CredentialsError,
    "The credential source's configuration is invalid (a bad role ARN, profile or file, a missing option)."
);

create_exception!(
    ossauth,
    CredentialsServiceError,
    CredentialsError,
    "The credentials service answered with an error, or with a malformed, incomplete or expired answer."
);

create_exception!(
    ossauth,
    CredentialsTransportError,
    CredentialsError,
    "The credentials service could not be reached, or did not answer in time (timeouts included)."
);

const SIGNING_ERROR_DOC: &str =
    "A request cannot be signed (raised instead of oss2's ClientError when oss2 is not installed).";

/// `SigningError(Error, ValueError)`: a `ValueError` as before, and an `ossauth.Error`. Two
/// bases, which `create_exception!` cannot give: made by calling `type` once.
pub fn signing_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: GILOnceCell<Py<PyType>> = GILOnceCell::new();
    TYPE.get_or_try_init(py, || {
        let bases = PyTuple::new(py, [py.get_type::<Error>(), py.get_type::<PyValueError>()])?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "ossauth")?;
        namespace.set_item("__doc__", SIGNING_ERROR_DOC)?;
        let made = py
            .get_type::<PyType>()
            .call1(("SigningError", bases, namespace))?;
        Ok(made.downcast_into::<PyType>()?.unbind())
    })
    .map(|t| t.bind(py))
}

/// oss2 raises `oss2.exceptions.ClientError` for unsignable requests; raise the same class so
/// that callers' `except` clauses keep working. oss2 is imported only here, only when needed.
pub fn client_error(py: Python<'_>, message: &str) -> PyErr {
    match py
        .import("oss2.exceptions")
        .and_then(|m| m.getattr("ClientError"))
        .and_then(|cls| cls.call1((message,)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => match signing_error_type(py).and_then(|t| t.call1((message,))) {
            Ok(exc) => PyErr::from_value(exc),
            Err(e) => e,
        },
    }
}

/// The `ossauth.CredentialsError` subclass for the error's kind, with its message.
pub fn credentials_error(e: &crate::credentials::CredentialsError) -> PyErr {
    let message = e.to_string();
    match e.kind {
        ErrorKind::NotConfigured => CredentialsNotConfiguredError::new_err(message),
        ErrorKind::Config => CredentialsConfigError::new_err(message),
        ErrorKind::Service => CredentialsServiceError::new_err(message),
        ErrorKind::Transport => CredentialsTransportError::new_err(message),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("CredentialsError", py.get_type::<CredentialsError>())?;
    m.add(
        "CredentialsNotConfiguredError",
        py.get_type::<CredentialsNotConfiguredError>(),
    )?;
    m.add(
        "CredentialsConfigError",
        py.get_type::<CredentialsConfigError>(),
    )?;
    m.add(
        "CredentialsServiceError",
        py.get_type::<CredentialsServiceError>(),
    )?;
    m.add(
        "CredentialsTransportError",
        py.get_type::<CredentialsTransportError>(),
    )?;
    m.add("SigningError", signing_error_type(py)?)?;
    Ok(())
}
