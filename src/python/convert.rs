//! Python values as Rust ones, for the credentials classes and sources: durations in seconds,
//! expirations, str arguments (read in place, secrets included), each with the `TypeError` or
//! `ValueError` wording the Python API documents.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::text::str_of;
use crate::credentials as core;

/// The longest timeout or window accepted: ten years. Far beyond any use, and far below what
/// would overflow the clock arithmetic of a deadline (`Instant + Duration`) in the core or in
/// the HTTP client.
const MAX_SECONDS: f64 = 315_360_000.0;

/// Seconds (int or float) as a positive duration of at most [`MAX_SECONDS`].
pub fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    if !(value.is_finite() && value > 0.0) {
        return Err(PyValueError::new_err(format!(
            "{what} must be a positive number of seconds, not {value}"
        )));
    }
    if value > MAX_SECONDS {
        return Err(PyValueError::new_err(format!(
            "{what} is too large: at most {MAX_SECONDS} seconds (ten years)"
        )));
    }
    // Finite, positive and at most ten years: what `from_secs_f64` requires.
    Ok(Duration::from_secs_f64(value))
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

/// A str argument, with Python's wording for a wrong type.
pub fn text_arg(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = v.downcast::<PyString>() {
        // Borrowed: `to_cow()` would copy a secret through a temporary `bytes` (3.9 stable ABI).
        return Ok(str_of(s)?.to_owned());
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str, not {}",
        v.get_type().name()?
    )))
}

/// An optional str argument (None or absent: empty), with Python's wording for a wrong type.
pub fn optional_text(v: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<String> {
    match v.filter(|v| !v.is_none()) {
        Some(v) => text_arg(v, what),
        None => Ok(String::new()),
    }
}
