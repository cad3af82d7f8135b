//! Exceptions raised to Python.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    ossauth,
    CredentialsError,
    PyException,
    "Credentials could not be obtained. The message names the source and the cause, never a secret."
);

create_exception!(
    ossauth,
    SigningError,
    PyValueError,
    "A request cannot be signed (raised instead of oss2's ClientError when oss2 is not installed)."
);

/// oss2 raises `oss2.exceptions.ClientError` for unsignable requests; raise the same class so
/// that callers' `except` clauses keep working. oss2 is imported only here, only when needed.
pub fn client_error(py: Python<'_>, message: &str) -> PyErr {
    match py
        .import("oss2.exceptions")
        .and_then(|m| m.getattr("ClientError"))
        .and_then(|cls| cls.call1((message,)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => SigningError::new_err(message.to_owned()),
    }
}

pub fn credentials_error(e: &crate::credentials::CredentialsError) -> PyErr {
    CredentialsError::new_err(e.to_string())
}
