//! Freezing the core clock from Python (`ossauth.testing.frozen_time` wraps these).

use pyo3::prelude::*;

use std::cell::RefCell;

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

/// The current second in both signing formats. Consecutive requests mostly fall in the same
/// second, so each thread keeps the last one it formatted.
struct FormattedNow {
    secs: i64,
    http_date: String,
    iso8601: String,
}

fn with_now<T>(f: impl FnOnce(&FormattedNow) -> T) -> T {
    thread_local! {
        static LAST: RefCell<Option<FormattedNow>> = const { RefCell::new(None) };
    }
    let secs = clock::now_micros().div_euclid(1_000_000);
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|l| l.secs != secs) {
            let t = UtcDateTime::from_unix(secs);
            *last = Some(FormattedNow {
                secs,
                http_date: t.http_date(),
                iso8601: t.iso8601_basic(),
            });
        }
        f(last.as_ref().expect("filled above"))
    })
}

/// `utils.http_date()`: the RFC 1123 date of the current second.
pub fn http_date_now() -> String {
    with_now(|n| n.http_date.clone())
}

/// `datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")`.
pub fn iso8601_now() -> String {
    with_now(|n| n.iso8601.clone())
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
