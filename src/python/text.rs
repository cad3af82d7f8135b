//! Zero-copy views of Python `str` and `bytes`.
//!
//! The wheel targets the stable ABI of CPython 3.9, whose limited API has no borrowed UTF-8 view
//! of a `str` (pyo3 then copies through a temporary `bytes`). `PyUnicode_AsUTF8AndSize` joined
//! the stable ABI in 3.10 and exists, with the same signature, in every CPython 3 build, so we
//! declare it ourselves: signing reads a dozen strings per request, and copying them all was the
//! largest cost in the profile.

use std::os::raw::c_char;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

extern "C" {
    #[link_name = "PyUnicode_AsUTF8AndSize"]
    fn unicode_as_utf8_and_size(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 text of `s`, borrowed from the string object (CPython caches it there).
#[inline]
pub fn str_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str; the returned buffer lives as long as the object, which `'a`
    // borrows. CPython guarantees valid UTF-8 (or returns NULL with an exception set, e.g. for
    // lone surrogates).
    unsafe {
        let data = unicode_as_utf8_and_size(s.as_ptr(), &mut size);
        if data.is_null() {
            return Err(PyErr::fetch(s.py()));
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        Ok(std::str::from_utf8_unchecked(bytes))
    }
}

/// `v` is exactly a `str` (no subclass): a pointer comparison instead of a type-flags call
/// through the stable ABI, for the common case on the signing path.
#[inline]
pub fn is_exact_str(v: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `v` is a live object; `ob_type` is part of the stable ABI's object header, and
    // `PyUnicode_Type` is an exported static.
    unsafe { ffi::Py_TYPE(v.as_ptr()) == std::ptr::addr_of_mut!(ffi::PyUnicode_Type) }
}

/// The bytes oss2's `to_bytes()` would sign: UTF-8 of a `str`, the contents of a `bytes`;
/// `None` for any other type.
#[inline]
pub fn bytes_of<'a>(v: &'a Bound<'_, PyAny>) -> PyResult<Option<&'a [u8]>> {
    if is_exact_str(v) {
        // SAFETY: checked just above.
        return str_of(unsafe { v.downcast_unchecked() }).map(|s| Some(s.as_bytes()));
    }
    if let Ok(s) = v.downcast::<PyString>() {
        return str_of(s).map(|s| Some(s.as_bytes()));
    }
    if let Ok(b) = v.downcast::<PyBytes>() {
        return Ok(Some(b.as_bytes()));
    }
    Ok(None)
}

/// `v` as `&str`, or a TypeError naming `what`.
pub fn expect_str<'a>(v: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a str> {
    match v.downcast::<PyString>() {
        Ok(s) => str_of(s),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be str, not {}",
            type_name(v)
        ))),
    }
}

pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}
