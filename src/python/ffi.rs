//! Raw CPython calls that pyo3's safe API has no equally fast form for, kept in this one module
//! (as orjson keeps its own) so that their contracts are stated once: safe wrappers where the
//! types guarantee the contract, `unsafe fn`s with a `# Safety` section where the caller must.
//! Walking a dict in place with `PyDict_Next` (references borrowed from the dict: no `items()`
//! list, no reference counting per item); borrowed UTF-8 views of `str`; exact-type checks by
//! pointer; tuple reads and lists filled in place without pyo3's per-call checks.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
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
    debug_assert_gil("dict_next");
    if cfg!(debug_assertions) {
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

// `PyUnicode_AsUTF8AndSize` exists, with this signature, in every CPython 3 build, but joined the
// stable ABI only in 3.10; the limited API before that has no borrowed UTF-8 view of a `str` (pyo3
// then copies through a temporary `bytes`). Outside Windows the wheel targets the 3.9 stable ABI
// and declares the function here: it resolves from the running interpreter.
#[cfg(not(windows))]
extern "C" {
    #[link_name = "PyUnicode_AsUTF8AndSize"]
    fn unicode_as_utf8_and_size(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

// Windows resolves it from python3.dll, which exports only the stable ABI (3.9's lacks it), so the
// extension targets 3.10's there (Cargo.toml) and takes pyo3's declaration, which exists only with
// a 3.10 floor: a Windows build with a 3.9 floor fails to compile here instead of to import.
#[cfg(windows)]
use ffi::PyUnicode_AsUTF8AndSize as unicode_as_utf8_and_size;

/// In debug builds: the GIL is held. `PyThreadState_GetDict` is NULL exactly when this thread
/// has no current thread state (`PyGILState_Check` is not in the stable ABI of abi3 builds).
#[inline(always)]
fn debug_assert_gil(what: &str) {
    if cfg!(debug_assertions) {
        // SAFETY: callable without the GIL: with no current thread state it returns NULL and
        // touches nothing; with one (the GIL held) it may create the thread's dict, allowed then.
        let state = unsafe { ffi::PyThreadState_GetDict() };
        debug_assert!(!state.is_null(), "{what} without the GIL");
    }
}

/// The UTF-8 text of `s`, borrowed from the string object (CPython caches it there); the
/// `UnicodeEncodeError` of a str without a UTF-8 form (a lone surrogate).
#[inline]
pub fn str_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str and the GIL is held (a `Bound`); the returned buffer lives as
    // long as the object, which `'a` borrows. CPython guarantees valid UTF-8 of `size` bytes,
    // or returns NULL with an exception set.
    unsafe {
        let data = unicode_as_utf8_and_size(s.as_ptr(), &mut size);
        if data.is_null() {
            return Err(PyErr::fetch(s.py()));
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        Ok(std::str::from_utf8_unchecked(bytes))
    }
}

/// Releases `s`, first overwriting its text with `*` if `s` is its only reference and ASCII
/// (see `text::release_wiping`). It takes `s` by value, so no borrowed view of the text (a
/// `str_of` result) can outlive the overwrite.
pub fn release_wiping(s: Bound<'_, PyString>) {
    let ptr = s.as_ptr();
    // SAFETY: `ptr` is a live str (`s`) and the GIL is held. With a reference count of 1 that
    // reference (`s`, owned here and dropped at the end) is the only one, and borrows of it
    // ended when it was moved in, so no other code can observe the text while it changes; it
    // is written within the `size` bytes of the object's own UTF-8 buffer, which for an ASCII
    // string (as many code points as bytes) is its text. The hash CPython may have cached is
    // left as it is (a hash of a secret is not the secret).
    unsafe {
        if ffi::Py_REFCNT(ptr) == 1 {
            let mut size: ffi::Py_ssize_t = 0;
            let data = unicode_as_utf8_and_size(ptr, &mut size);
            if data.is_null() {
                ffi::PyErr_Clear();
            } else if ffi::PyUnicode_GetLength(ptr) == size {
                std::ptr::write_bytes(data.cast_mut().cast::<u8>(), b'*', size as usize);
            }
        }
    }
}

/// `v`'s type is exactly `t` (no subclass): a pointer comparison instead of a type-flags call
/// through the stable ABI, for the common cases on the signing path.
#[inline(always)]
fn is_exact(v: &Bound<'_, PyAny>, t: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: `v` is a live object; `ob_type` is part of the stable ABI's object header.
    unsafe { ffi::Py_TYPE(v.as_ptr()) == t }
}

/// `v` is exactly a `str`.
#[inline(always)]
pub fn is_exact_str(v: &Bound<'_, PyAny>) -> bool {
    // `PyUnicode_Type` is an exported static; only its address is taken.
    is_exact(v, std::ptr::addr_of_mut!(ffi::PyUnicode_Type))
}

/// `v` is exactly `bytes`.
#[inline(always)]
pub fn is_exact_bytes(v: &Bound<'_, PyAny>) -> bool {
    is_exact(v, std::ptr::addr_of_mut!(ffi::PyBytes_Type))
}

/// `v` is exactly a tuple.
#[inline(always)]
pub fn is_exact_tuple(v: &Bound<'_, PyAny>) -> bool {
    is_exact(v, std::ptr::addr_of_mut!(ffi::PyTuple_Type))
}

/// The length of the tuple `t`, without pyo3's type check.
///
/// # Safety
///
/// `t` is a tuple (or a subclass), e.g. checked by [`is_exact_tuple`]; the debug assertion
/// catches a caller that did not check.
#[inline(always)]
pub unsafe fn tuple_len(t: &Bound<'_, PyAny>) -> isize {
    if cfg!(debug_assertions) {
        // SAFETY: `t` is a live object; PyTuple_Check only reads its type's flags.
        let is_tuple = unsafe { ffi::PyTuple_Check(t.as_ptr()) } != 0;
        debug_assert!(is_tuple, "tuple_len on a non-tuple");
    }
    // SAFETY: `t` is a tuple (this function's contract) and the GIL is held (a `Bound`).
    unsafe { ffi::PyTuple_Size(t.as_ptr()) }
}

/// Item `index` of the tuple `t`, as a new reference.
///
/// # Safety
///
/// `t` is a tuple (or a subclass) with more than `index` items, e.g. checked by
/// [`is_exact_tuple`] and [`tuple_len`]; the debug assertions catch a caller that did not.
#[inline(always)]
pub unsafe fn tuple_item<'py>(t: &Bound<'py, PyAny>, index: isize) -> Bound<'py, PyAny> {
    if cfg!(debug_assertions) {
        // SAFETY: this function's contract makes `t` a tuple, as `tuple_len` needs.
        let len = unsafe { tuple_len(t) };
        debug_assert!((0..len).contains(&index), "tuple_item out of range");
    }
    // SAFETY: `t` is a tuple with item `index` (the contract) and the GIL is held; the
    // reference PyTuple_GetItem returns is borrowed from the tuple, which `t` keeps alive, and
    // is made owned at once.
    unsafe { Borrowed::from_ptr(t.py(), ffi::PyTuple_GetItem(t.as_ptr(), index)) }.to_owned()
}

/// `(a, b)`, built in one call.
#[inline]
pub fn pair<'py>(a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    // SAFETY: two live objects and the GIL held (`Bound`s); PyTuple_Pack takes its own
    // references to them and returns a new reference (a tuple) or NULL with an error set.
    unsafe {
        Bound::from_owned_ptr_or_err(a.py(), ffi::PyTuple_Pack(2, a.as_ptr(), b.as_ptr()))
            .map(|t| t.downcast_into_unchecked())
    }
}

/// A list of `len` Nones, to be filled in place (e.g. with [`list_put_str`]) (never NULL slots: a
/// list is reachable from other threads through the garbage collector while it is filled).
pub fn list_of_none(py: Python<'_>, len: ffi::Py_ssize_t) -> PyResult<Bound<'_, PyList>> {
    // SAFETY: the GIL is held (`py`). PyList_New returns a new reference (or NULL with an
    // exception set), owned by the Bound from then on. Every slot is set (to a new reference to
    // None, which PyList_SetItem steals) before the list is returned or used.
    unsafe {
        let list = Bound::from_owned_ptr_or_err(py, ffi::PyList_New(len))?;
        let none = ffi::Py_None();
        for i in 0..len {
            ffi::Py_IncRef(none);
            ffi::PyList_SetItem(list.as_ptr(), i, none);
        }
        Ok(list.downcast_into_unchecked::<PyList>())
    }
}

/// `list[index] = text` (a new str), without going through a `Bound` for the string.
#[inline]
pub fn list_put_str(list: &Bound<'_, PyList>, index: usize, text: &str) -> PyResult<()> {
    debug_assert!(index < list.len(), "list_put_str out of range");
    let index = ffi::Py_ssize_t::try_from(index)
        .map_err(|_| pyo3::exceptions::PyIndexError::new_err("list index out of range"))?;
    // SAFETY: the GIL is held and `list` is a list (a `Bound<PyList>`); `text` is valid UTF-8
    // of `len` bytes. The new string (checked for NULL) is stolen by PyList_SetItem, even when
    // it fails (an index out of range: -1 with IndexError set); on success it releases the
    // object it replaces.
    unsafe {
        let s =
            ffi::PyUnicode_FromStringAndSize(text.as_ptr().cast(), text.len() as ffi::Py_ssize_t);
        if s.is_null() || ffi::PyList_SetItem(list.as_ptr(), index, s) != 0 {
            return Err(PyErr::fetch(list.py()));
        }
    }
    Ok(())
}
