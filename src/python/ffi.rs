//! Raw CPython calls that pyo3's safe API has no equally fast form for, kept in one place so
//! their contracts are stated once: walking a dict in place with `PyDict_Next`, which hands out
//! references borrowed from the dict (no `items()` list, no reference counting per item).

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::Borrowed;

/// The next `(key, value)` of an in-place walk of `dict`, `None` at the end, as `PyDict_Next`:
/// start with `*pos == 0` and pass the same `pos` back for each step. A dict changed during the
/// walk is still walked safely (`PyDict_Next` reads slot `*pos` bounds-checked), but items may
/// be skipped or seen twice, so callers stop with Python's `RuntimeError` when its size changes.
///
/// # Safety
///
/// - The GIL is held and `dict` is a dict or a subclass of dict. A `Bound<PyDict>` obtained
///   safely guarantees both; `downcast_unchecked` or `Python::assume_gil_acquired` could break
///   them, which the debug assertions catch.
/// - The key and value are borrowed from the dict, not owned: they are valid only while the dict
///   still holds them. The caller uses them only until Python code runs (any call that may run
///   a `__del__`, `__eq__`, `__hash__` or other code that changes the dict), and takes its own
///   reference (`to_owned`) to whatever it keeps beyond that.
#[inline(always)]
pub unsafe fn dict_next<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    pos: &mut ffi::Py_ssize_t,
) -> Option<(Borrowed<'a, 'py, PyAny>, Borrowed<'a, 'py, PyAny>)> {
    if cfg!(debug_assertions) {
        // PyThreadState_GetDict is NULL exactly when this thread has no current thread state,
        // i.e. does not hold the GIL (PyGILState_Check is not in the stable ABI of abi3 builds).
        // SAFETY: callable without the GIL: with no current thread state it returns NULL and
        // touches nothing; with one (the GIL held) it may create the thread's dict, allowed then.
        let state = unsafe { ffi::PyThreadState_GetDict() };
        debug_assert!(!state.is_null(), "dict_next without the GIL");
        // SAFETY: `dict` is a live object (a `Bound`); PyDict_Check only reads its type's flags.
        let is_dict = unsafe { ffi::PyDict_Check(dict.as_ptr()) } != 0;
        debug_assert!(is_dict, "dict_next on a non-dict");
    }
    let py = dict.py();
    let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: the GIL is held and `dict` is a dict (this function's contract); `pos`, `k` and
    // `v` are valid for writes. PyDict_Next only reads the dict.
    if unsafe { ffi::PyDict_Next(dict.as_ptr(), pos, &mut k, &mut v) } == 0 {
        return None;
    }
    // SAFETY: PyDict_Next returned non-zero, so `k` and `v` are non-null references borrowed
    // from `dict`; the lifetime `'a` keeps `dict` itself alive, and the caller's contract keeps
    // them in the dict for as long as they are used.
    Some(unsafe { (Borrowed::from_ptr(py, k), Borrowed::from_ptr(py, v)) })
}
