//! Freezing the core clock from Python (`ossauth.testing.frozen_time` wraps these).

use pyo3::prelude::*;

use std::cell::RefCell;

use pyo3::types::{PyInt, PyString};

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

/// The current second in both signing formats, as Rust and Python strings. Consecutive
/// requests mostly fall in the same second, so each thread keeps the last one it formatted
/// and hands out the same Python objects (as oss2 would create equal ones each time).
struct FormattedNow {
    secs: i64,
    iso8601: String,
    http_date_py: Py<PyString>,
    iso8601_py: Py<PyString>,
}

fn with_now<T>(py: Python<'_>, f: impl FnOnce(&FormattedNow) -> T) -> T {
    thread_local! {
        static LAST: RefCell<Option<FormattedNow>> = const { RefCell::new(None) };
    }
    let secs = clock::now_micros().div_euclid(1_000_000);
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let current = match last.take() {
            Some(l) if l.secs == secs => l,
            _ => {
                let t = UtcDateTime::from_unix(secs);
                let iso8601 = t.iso8601_basic();
                FormattedNow {
                    secs,
                    http_date_py: PyString::new(py, &t.http_date()).unbind(),
                    iso8601_py: PyString::new(py, &iso8601).unbind(),
                    iso8601,
                }
            }
        };
        f(last.insert(current))
    })
}

/// `utils.http_date()`: the RFC 1123 date of the current second.
pub fn http_date_now(py: Python<'_>) -> Bound<'_, PyString> {
    with_now(py, |n| n.http_date_py.clone_ref(py).into_bound(py))
}

/// A short timestamp text, copied out of the per-thread cache without an allocation.
pub struct Stamp {
    buf: [u8; 24],
    len: usize,
}

impl Stamp {
    fn new(text: &str) -> Self {
        let mut buf = [0u8; 24];
        // `YYYYMMDDTHHMMSSZ` is 16 bytes; years past 9999 would only add digits.
        debug_assert!(text.is_ascii());
        let len = text.len().min(buf.len());
        buf[..len].copy_from_slice(&text.as_bytes()[..len]);
        Stamp { buf, len }
    }
}

impl std::ops::Deref for Stamp {
    type Target = str;

    fn deref(&self) -> &str {
        // SAFETY: copied whole from a `str` of ASCII digits and letters (`new` never cuts
        // within a character: the text is ASCII).
        unsafe { std::str::from_utf8_unchecked(&self.buf[..self.len]) }
    }
}

/// `datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")`, as text and as a Python str.
pub fn iso8601_now(py: Python<'_>) -> (Stamp, Bound<'_, PyString>) {
    with_now(py, |n| {
        (
            Stamp::new(&n.iso8601),
            n.iso8601_py.clone_ref(py).into_bound(py),
        )
    })
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
