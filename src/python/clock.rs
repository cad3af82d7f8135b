//! Freezing the core clock from Python (`ossauth.testing.frozen_time` wraps these).

use pyo3::prelude::*;

use pyo3::types::PyInt;

use crate::clock;
use crate::sign::UtcDateTime;

/// Pins the clock at `micros` since the epoch; returns the previous frozen value or None.
#[pyfunction]
pub fn _freeze_clock(micros: i64) -> Option<i64> {
    clock::freeze(micros)
}

/// Restores the state returned by `_freeze_clock` (None lets time run).
#[pyfunction]
#[pyo3(signature = (previous=None))]
pub fn _restore_clock(previous: Option<i64>) {
    clock::restore(previous)
}

/// The clock's current reading in microseconds (frozen or live).
#[pyfunction]
pub fn _now_micros() -> i64 {
    clock::now_micros()
}

/// `utils.http_date()`: the RFC 1123 date of the current second.
pub fn http_date_now() -> String {
    UtcDateTime::from_unix(clock::now_micros().div_euclid(1_000_000)).http_date()
}

/// `datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")`.
pub fn iso8601_now() -> String {
    UtcDateTime::from_unix(clock::now_micros().div_euclid(1_000_000)).iso8601_basic()
}

/// `str(int(time.time()) + expires)`: integer arithmetic for ints, Python's own `+` and `str`
/// for anything else (a float `expires` gives oss2's float text).
pub fn absolute_expiration(expires: &Bound<'_, PyAny>) -> PyResult<String> {
    let now = clock::now_secs();
    if expires.is_exact_instance_of::<PyInt>() {
        if let Ok(e) = expires.extract::<i64>() {
            if let Some(sum) = now.checked_add(e) {
                return Ok(sum.to_string());
            }
        }
    }
    let sum = now.into_pyobject(expires.py())?.add(expires)?;
    Ok(sum.str()?.to_cow()?.into_owned())
}

/// `str(expires)`.
pub fn relative_expiration(expires: &Bound<'_, PyAny>) -> PyResult<String> {
    if expires.is_exact_instance_of::<PyInt>() {
        if let Ok(e) = expires.extract::<i64>() {
            return Ok(e.to_string());
        }
    }
    Ok(expires.str()?.to_cow()?.into_owned())
}
