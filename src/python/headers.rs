//! oss2's request headers: requests' `CaseInsensitiveDict` read through its `_store` (and any
//! other mapping through `items()`), the headers each version signs collected from it, and
//! signing results written back exactly as its `__setitem__` would, so insertion order and key
//! case end as oss2 leaves them.

use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError, PyUnicodeEncodeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyList, PySet, PyString, PyTuple, PyType};
use smallvec::SmallVec;

use super::ffi::{dict_next, is_exact_tuple, pair, tuple_item, tuple_len};
use super::params::unpack_pair;
use super::request::Request;
use super::text::{encode_error, expect_str, is_exact_str, str_of, type_name, Buffers, Raw, Text};
use crate::sign::request::HeaderList;
use crate::sign::Header;

/// Python's `str.lower()`: ASCII in Rust, anything else through Python so Unicode casing
/// matches the interpreter's tables exactly.
pub fn py_lower(s: &Bound<'_, PyString>) -> PyResult<String> {
    let text = str_of(s)?;
    if text.is_ascii() {
        Ok(text.to_ascii_lowercase())
    } else {
        let lowered = s.call_method0(intern!(s.py(), "lower"))?;
        Ok(expect_str(&lowered, "str.lower()")?.to_owned())
    }
}

/// requests' `CaseInsensitiveDict` (oss2's header type), once requests is imported.
fn case_insensitive_dict_type(py: Python<'_>) -> Option<&Bound<'_, PyType>> {
    static TYPE: GILOnceCell<Py<PyType>> = GILOnceCell::new();
    if let Some(t) = TYPE.get(py) {
        return Some(t.bind(py));
    }
    // Never import requests ourselves: without it there is no such dict to meet.
    let modules = py.import("sys").ok()?.getattr("modules").ok()?;
    let module = modules.get_item("requests.structures").ok()?;
    let t = module
        .getattr("CaseInsensitiveDict")
        .ok()?
        .downcast_into::<PyType>()
        .ok()?;
    let _ = TYPE.set(py, t.unbind());
    TYPE.get(py).map(|t| t.bind(py))
}

/// A request's headers. For requests' `CaseInsensitiveDict` (exactly that type) we use its
/// `_store`, which maps lower-cased names to `(name, value)`: its `__setitem__` is precisely
/// `self._store[key.lower()] = (key, value)`, and skipping that Python frame halves V1's cost.
pub struct Headers<'py> {
    obj: Bound<'py, PyAny>,
    store: Option<Bound<'py, PyDict>>,
}

/// The headers a version signs; see [`Collected::view`]. Names and values are kept as raw
/// parts next to what owns them (plain words, cheap to push), not as one struct per header.
pub struct Collected<'py> {
    /// Own the buffers of the Python names and values (str UTF-8 and bytes are immutable).
    objects: SmallVec<[Bound<'py, PyAny>; 16]>,
    /// Own the buffers of names lower-cased here (a `String`'s buffer stays put as the
    /// vector moves it).
    lowered: Vec<String>,
    /// Name (UTF-8) and value of each signed header, in the request's order.
    raw: SmallVec<[(Raw, Raw); 8]>,
    /// The first value without a UTF-8 form: reading the headers fails on it (see `view`).
    unencodable: Option<Text<'py>>,
}

impl<'py> Collected<'py> {
    pub fn new() -> Self {
        Collected {
            objects: SmallVec::new(),
            lowered: Vec::new(),
            raw: SmallVec::new(),
            unencodable: None,
        }
    }

    fn push(&mut self, name: Raw, value: Text<'py>) {
        if value.is_unencodable() {
            if self.unencodable.is_none() {
                self.unencodable = Some(value);
            }
            return;
        }
        let (object, value) = value.into_parts();
        self.objects.push(object);
        self.raw.push((name, value));
    }
}

impl<'py> Headers<'py> {
    pub fn of(req: &Request<'py>) -> PyResult<Self> {
        let py = req.py();
        let obj = req.get(intern!(py, "headers"))?;
        let store = match case_insensitive_dict_type(py) {
            Some(t) if obj.get_type().is(t) => obj
                .getattr(intern!(py, "_store"))
                .ok()
                .and_then(|s| s.downcast_into::<PyDict>().ok()),
            _ => None,
        };
        Ok(Headers { obj, store })
    }

    /// `headers[key] = value` for a lower-case `key`.
    pub fn set(&self, key: &Bound<'py, PyString>, value: Bound<'py, PyAny>) -> PyResult<()> {
        match &self.store {
            // Through PyObject_SetItem: `_store` is an OrderedDict, and PyDict_SetItem would
            // bypass its ordering list.
            Some(store) => store.as_any().set_item(key, pair(key.as_any(), &value)?),
            None => self.obj.set_item(key, value),
        }
    }

    /// Headers are read through requests' `_store`, which runs no Python code.
    pub fn reads_store(&self) -> bool {
        self.store.is_some()
    }

    pub fn set_str(&self, key: &Bound<'py, PyString>, value: &str) -> PyResult<()> {
        self.set(key, PyString::new(key.py(), value).into_any())
    }

    /// The headers `keep` selects (by lower-cased name), checked as oss2 checks them. oss2
    /// concatenates signed values as bytes, so a value neither str nor bytes is a TypeError; but
    /// V1 and V2 read the names in `rules.encoded` with `.encode('utf-8')`, so there anything
    /// but str is an AttributeError. `rules.encoded_first` says which of the two oss2 meets first.
    pub fn collect(
        &self,
        keep: &dyn Fn(&str) -> bool,
        rules: HeaderRules,
    ) -> PyResult<Collected<'py>> {
        let mut items = Collected::new();
        self.collect_into(keep, rules, &[], &mut items)?;
        Ok(items)
    }

    /// [`Headers::collect`] into `items` (empty), which the caller keeps in place: the
    /// collection is a few hundred bytes, and moving it out was measurable. `unencodable` are
    /// the lower-cased additional names without a UTF-8 form (see [`lower_names_keeping`]):
    /// V4 signs a header of that name too, and fails encoding it in its place in name order.
    pub fn collect_into(
        &self,
        keep: &dyn Fn(&str) -> bool,
        rules: HeaderRules,
        unencodable: &[Bound<'py, PyString>],
        items: &mut Collected<'py>,
    ) -> PyResult<()> {
        let mut attr_err: Option<(usize, PyErr)> = None;
        // oss2 joins the signed headers sorted by lower-cased name, encoding each name and
        // value and concatenating them as bytes: the error it raises is that of the first
        // failing header in name order (kept with its name; rare, so compared in Python).
        let mut join_err: Option<(Bound<'py, PyString>, PyErr)> = None;
        let mut note = |name: Bound<'py, PyString>, err: PyErr| -> PyResult<()> {
            let first = match &join_err {
                None => true,
                Some((earlier, _)) => name.lt(earlier)?,
            };
            if first {
                join_err = Some((name, err));
            }
            Ok(())
        };
        // The join error of a header, if any, after noting an `.encode` error of the names in
        // `rules.encoded`.
        let mut check = |name: &str, value: &Text<'py>| -> Option<PyErr> {
            if let Some(rank) = rules.encoded.iter().position(|n| *n == name) {
                // `.encode('utf-8')` fails for anything but str, and for a str without UTF-8.
                if (!value.is_str() || value.is_unencodable())
                    && attr_err.as_ref().is_none_or(|(r, _)| rank < *r)
                {
                    let err = if value.is_str() {
                        encode_error(value)
                    } else {
                        PyAttributeError::new_err(format!(
                            "'{}' object has no attribute 'encode'",
                            type_name(value.object())
                        ))
                    };
                    attr_err = Some((rank, err));
                }
                if !rules.concatenated(name) {
                    return None;
                }
            }
            if value.is_unencodable() {
                return Some(encode_error(value));
            }
            if !value.is_signable() {
                return Some(PyTypeError::new_err(format!(
                    "can't concat {} to bytes: header {name:?} is signed and must be str or bytes",
                    type_name(value.object())
                )));
            }
            None
        };
        if let Some(store) = &self.store {
            let mut pos = 0;
            let size = store.len();
            // Most headers are not signed: borrowed references spare them any reference
            // counting. SAFETY: `store` is a dict (a `Bound<PyDict>`) and the GIL is held.
            // Its key and value are borrowed; nothing below runs Python code before taking its
            // own references (`to_owned`) to what it keeps (`check` may, reading a type's name,
            // and so may the checks of a name without a UTF-8 form; a dict changed by them
            // stops the walk, as Python's own iteration would).
            while let Some((lower, item)) = unsafe { dict_next(store, &mut pos) } {
                let lower = if is_exact_str(&lower) {
                    // SAFETY: checked just above.
                    unsafe { lower.downcast_unchecked::<PyString>() }
                } else {
                    lower.downcast::<PyString>()?
                };
                let text = match str_of(lower) {
                    Ok(text) => text,
                    Err(e) => {
                        // Our own reference first: the checks below run Python code (a str
                        // subclass's `startswith` or `__eq__`), which may drop the dict's.
                        let lower = lower.to_owned();
                        if signs_unencodable(&lower, unencodable)? {
                            note(lower, e)?;
                        }
                        if store.len() != size {
                            return Err(PyRuntimeError::new_err(
                                "dictionary changed size during iteration",
                            ));
                        }
                        continue;
                    }
                };
                if !keep(text) {
                    continue;
                }
                let name = Raw::of(text.as_bytes());
                items.objects.push(lower.to_owned().into_any());
                // SAFETY: `tuple_len` only once `is_exact_tuple` holds.
                let value = if is_exact_tuple(&item) && unsafe { tuple_len(&item) } == 2 {
                    // SAFETY: item 1 of a tuple of two.
                    unsafe { tuple_item(&item, 1) }
                } else {
                    item.downcast::<PyTuple>()?.get_item(1)?
                };
                let value = Text::of_signed(value, Buffers::Concatenated)?;
                // Only for other types can `check` run Python code (a type's name).
                let exact = is_exact_str(value.object());
                if let Some(e) = check(text, &value) {
                    note(lower.to_owned(), e)?;
                }
                items.push(name, value);
                if !exact && store.len() != size {
                    return Err(PyRuntimeError::new_err(
                        "dictionary changed size during iteration",
                    ));
                }
            }
        } else {
            let py = self.obj.py();
            for item in self.obj.call_method0(intern!(py, "items"))?.try_iter()? {
                let (k, v) = unpack_pair(item?)?;
                let k = k.downcast::<PyString>().map_err(|_| {
                    PyTypeError::new_err(format!("header names must be str, not {}", type_name(&k)))
                })?;
                let lower = match py_lower(k) {
                    Ok(lower) => lower,
                    Err(e) if e.is_instance_of::<PyUnicodeEncodeError>(py) => {
                        let lowered = k.call_method0(intern!(py, "lower"))?.downcast_into()?;
                        if signs_unencodable(&lowered, unencodable)? {
                            note(lowered, e)?;
                        }
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if keep(&lower) {
                    let value = Text::of_signed(v, Buffers::Concatenated)?;
                    if let Some(e) = check(&lower, &value) {
                        note(PyString::new(py, &lower), e)?;
                    }
                    let name = Raw::of(lower.as_bytes());
                    items.lowered.push(lower);
                    items.push(name, value);
                }
            }
        }
        let attr_err = attr_err.map(|(_, e)| e);
        let join_err = join_err.map(|(_, e)| e);
        let first = if rules.encoded_first {
            attr_err.or(join_err)
        } else {
            join_err.or(attr_err)
        };
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A lower-cased header name without a UTF-8 form (a lone surrogate) is encoded by oss2 only if
/// it signs it: it starts with `x-oss-`, or V4 has it among the additional names
/// (`unencodable`; V1 and V2 encode those when lowering them); any other is skipped.
fn signs_unencodable(
    name: &Bound<'_, PyString>,
    unencodable: &[Bound<'_, PyString>],
) -> PyResult<bool> {
    if starts_x_oss(name)? {
        return Ok(true);
    }
    for u in unencodable {
        if u.as_any().eq(name)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `name.startswith('x-oss-')`, in Python (for names without a UTF-8 form).
fn starts_x_oss(name: &Bound<'_, PyString>) -> PyResult<bool> {
    let py = name.py();
    name.call_method1(intern!(py, "startswith"), (intern!(py, "x-oss-"),))?
        .is_truthy()
}

/// Which signed headers oss2 reads with `.encode('utf-8')` rather than as bytes.
#[derive(Clone, Copy)]
pub struct HeaderRules {
    /// In the order oss2 reads them.
    pub encoded: &'static [&'static str],
    pub encoded_first: bool,
}

impl HeaderRules {
    /// V4 takes every signed value as str or bytes.
    pub const BYTES: HeaderRules = HeaderRules {
        encoded: &[],
        encoded_first: false,
    };

    /// Whether oss2 also concatenates this `.encode`d header (V1's x-oss-date).
    fn concatenated(&self, name: &str) -> bool {
        name.starts_with("x-oss-")
    }
}

impl Collected<'_> {
    /// Borrowed headers for the core; the UnicodeEncodeError of the first value without a
    /// UTF-8 form, where oss2 meets it.
    pub fn view(&self) -> PyResult<HeaderList<'_>> {
        if let Some(t) = &self.unencodable {
            return Err(encode_error(t));
        }
        Ok(self
            .raw
            .iter()
            .map(|(name, value)| {
                // SAFETY: each part points into a buffer `self` owns (see the fields), alive
                // and unchanged while `self` is borrowed; names were UTF-8 `str`s.
                unsafe {
                    Header {
                        name: std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                            name.ptr, name.len,
                        )),
                        value: std::slice::from_raw_parts(value.ptr, value.len),
                    }
                }
            })
            .collect())
    }
}

/// `set(h.lower() for h in wanted)`, the first half of oss2's additional-header selection.
pub fn lowered_set<'py>(wanted: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PySet>> {
    let lower = intern!(wanted.py(), "lower");
    let a = PySet::empty(wanted.py())?;
    for h in wanted.try_iter()? {
        a.add(h?.call_method0(lower)?)?;
    }
    Ok(a)
}

impl Headers<'_> {
    /// oss2's additional-header selection, `wanted & set(k.lower() for k in headers.keys())`
    /// with `wanted` from [`lowered_set`], done with Python sets so that the result iterates in
    /// the very order oss2's does (it joins that set unsorted into the V2 Authorization header,
    /// and V4's first-character sort keeps it).
    pub fn present_additional(&self, wanted: &Bound<'_, PySet>) -> PyResult<Vec<String>> {
        lower_names(&self.present_additional_names(wanted)?)
    }

    /// [`Headers::present_additional`] as the Python set of names, before lowering.
    pub fn present_additional_names<'py>(
        &self,
        wanted: &Bound<'py, PySet>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = wanted.py();
        if wanted.is_empty() {
            return Ok(wanted.clone().into_any());
        }
        if let Some(store) = &self.store {
            // The lowered keys are exactly `_store`'s keys. CPython intersects by walking the
            // smaller set and adding its members found in the other, so when `wanted` is the
            // smaller, walking it against `_store` builds the same set without lowering every
            // header name in Python.
            if store.len() > wanted.len() {
                let found = PySet::empty(py)?;
                // A fallible walk: `contains` may run Python code (a name's `__eq__`) that
                // changes the set, which pyo3's set iterator would turn into a panic.
                for name in wanted.as_any().try_iter()? {
                    let name = name?;
                    if store.contains(&name)? {
                        found.add(name)?;
                    }
                }
                return Ok(found.into_any());
            }
        }
        let lower = intern!(py, "lower");
        let b = PySet::empty(py)?;
        for k in self.obj.call_method0(intern!(py, "keys"))?.try_iter()? {
            b.add(k?.call_method0(lower)?)?;
        }
        wanted.bitand(&b)
    }
}

/// Stands for an additional header name without a UTF-8 form; no header name can be it (a
/// header name has no NUL).
const UNENCODABLE_NAME: &str = "\u{0}(a header name without a UTF-8 form)";

/// Some of `names` (from [`lower_names`]) had no UTF-8 form.
pub fn has_unencodable(names: &[String]) -> bool {
    names.iter().any(|n| n == UNENCODABLE_NAME)
}

/// `';'.join(sorted(h))` over the lowered `names` V4 signs as additional (not `x-oss-*`, not a
/// default signed header), in Python: V4's `_sign_url` writes it to `x-oss-additional-headers`
/// before signing, so a name without a UTF-8 form (which only Python can hold) is in the
/// parameters, where oss2 fails encoding the query, before it reads any header.
pub fn additional_query_value<'py>(
    names: &Bound<'py, PyAny>,
    default_signed: &[&str],
) -> PyResult<Bound<'py, PyAny>> {
    let py = names.py();
    let list = PyList::empty(py);
    for h in names.try_iter()? {
        let lowered = h?.call_method0(intern!(py, "lower"))?;
        let s = lowered.downcast::<PyString>()?;
        let signed_anyway = match str_of(s) {
            Ok(text) => text.starts_with("x-oss-") || default_signed.contains(&text),
            Err(_) => starts_x_oss(s)?,
        };
        if !signed_anyway {
            list.append(lowered)?;
        }
    }
    list.sort()?;
    intern!(py, ";").call_method1(intern!(py, "join"), (list,))
}

/// oss2 encodes the additional header names after joining the headers: the UnicodeEncodeError
/// of one without a UTF-8 form comes there.
pub fn check_additional(py: Python<'_>, names: &[String]) -> PyResult<()> {
    if !has_unencodable(names) {
        return Ok(());
    }
    // The very error Python raises (a UnicodeEncodeError needs its five arguments).
    Err(py
        .eval(c"'\\ud800'.encode('utf-8')", None, None)
        .err()
        .unwrap_or_else(|| PyRuntimeError::new_err("a header name without a UTF-8 form")))
}

/// `h.lower() for h in names`, as Rust strings, in iteration order.
pub fn lower_names(names: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    lower_names_keeping(names, &mut Vec::new())
}

/// [`lower_names`], keeping in `unencodable` the lowered names without a UTF-8 form that it
/// replaces by a placeholder.
pub fn lower_names_keeping<'py>(
    names: &Bound<'py, PyAny>,
    unencodable: &mut Vec<Bound<'py, PyString>>,
) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    for h in names.try_iter()? {
        let h = h?;
        let s = h.downcast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "additional header names must be str, not {}",
                type_name(&h)
            ))
        })?;
        match py_lower(s) {
            Ok(lower) => out.push(lower),
            // Without a UTF-8 form: an `x-oss-` name is signed as a header anyway, and oss2
            // drops it from the additional list (V4) or meets the header first (V2); any
            // other it keeps (sorting, joining) and fails to encode only after the headers
            // are joined: a placeholder stands for it until then (see `check_additional`).
            Err(e) if e.is_instance_of::<PyUnicodeEncodeError>(s.py()) => {
                let lowered = s.call_method0(intern!(s.py(), "lower"))?;
                let lowered = lowered.downcast_into::<PyString>()?;
                if !starts_x_oss(&lowered)? {
                    out.push(UNENCODABLE_NAME.to_owned());
                    unencodable.push(lowered);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
