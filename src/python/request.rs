//! Reading an oss2 `Request` (method, url, headers, params, region, product, cloudbox_id) into
//! the core's borrowed view, and writing signing results back exactly as oss2's own
//! `__setitem__` would, so insertion order and key case end as oss2 leaves them.

use std::borrow::Cow;

use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyDict, PySet, PyString, PyTuple, PyType};
use pyo3::{ffi, Borrowed};
use smallvec::SmallVec;

use super::text::{bytes_of, expect_str, is_exact_str, str_of, type_name};
use crate::sign::encode::percent_encode_into;
use crate::sign::request::{EncodedParams, HeaderList, ParamList};
use crate::sign::{Header, Param, SignableRequest};

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

/// `v` is exactly a tuple (pointer comparison, as [`is_exact_str`]).
fn is_exact_tuple(v: &Bound<'_, PyAny>) -> bool {
    // SAFETY: as in `is_exact_str`.
    unsafe { ffi::Py_TYPE(v.as_ptr()) == std::ptr::addr_of_mut!(ffi::PyTuple_Type) }
}

/// The length of a tuple.
fn pair_len(t: &Bound<'_, PyAny>) -> isize {
    // SAFETY: callers pass a tuple.
    unsafe { ffi::PyTuple_Size(t.as_ptr()) }
}

/// `(a, b)`, built in one call.
fn pair<'py>(a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    // SAFETY: two live objects; PyTuple_Pack returns a new reference or NULL with an error set.
    unsafe {
        Bound::from_owned_ptr_or_err(a.py(), ffi::PyTuple_Pack(2, a.as_ptr(), b.as_ptr()))
            .map(|t| t.downcast_into_unchecked())
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

/// Bytes owned elsewhere in a [`Collected`].
#[derive(Clone, Copy)]
struct Raw {
    ptr: *const u8,
    len: usize,
}

impl Raw {
    fn of(bytes: &[u8]) -> Self {
        Raw {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
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
}

impl<'py> Collected<'py> {
    fn push(&mut self, name: Raw, value: Text<'py>) {
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
        let mut items = Collected {
            objects: SmallVec::new(),
            lowered: Vec::new(),
            raw: SmallVec::new(),
        };
        let mut type_err: Option<PyErr> = None;
        let mut attr_err: Option<(usize, PyErr)> = None;
        let mut check = |name: &str, value: &Bound<'py, PyAny>| -> PyResult<()> {
            if let Some(rank) = rules.encoded.iter().position(|n| *n == name) {
                if !value.is_instance_of::<PyString>()
                    && attr_err.as_ref().is_none_or(|(r, _)| rank < *r)
                {
                    let msg = format!("'{}' object has no attribute 'encode'", type_name(value));
                    attr_err = Some((rank, PyAttributeError::new_err(msg)));
                }
                if !rules.concatenated(name) {
                    return Ok(());
                }
            }
            if type_err.is_none() && bytes_of(value)?.is_none() {
                type_err = Some(PyTypeError::new_err(format!(
                    "can't concat {} to bytes: header {name:?} is signed and must be str or bytes",
                    type_name(value)
                )));
            }
            Ok(())
        };
        if let Some(store) = &self.store {
            let py = store.py();
            let (mut pos, mut k, mut v) = (0, std::ptr::null_mut(), std::ptr::null_mut());
            // Most headers are not signed: borrowed references spare them any reference
            // counting. SAFETY: PyDict_Next gives references borrowed from the dict, valid
            // while it is unchanged; nothing below runs Python code before taking its own
            // references (`to_owned`) to what it keeps (`check` may, reading a type's name).
            while unsafe { ffi::PyDict_Next(store.as_ptr(), &mut pos, &mut k, &mut v) } != 0 {
                let lower = unsafe { Borrowed::from_ptr(py, k) };
                let lower = if is_exact_str(&lower) {
                    // SAFETY: checked just above.
                    unsafe { lower.downcast_unchecked::<PyString>() }
                } else {
                    lower.downcast::<PyString>()?
                };
                let text = str_of(lower)?;
                if !keep(text) {
                    continue;
                }
                let name = Raw::of(text.as_bytes());
                items.objects.push(lower.to_owned().into_any());
                let pair = unsafe { Borrowed::from_ptr(py, v) };
                let value = if is_exact_tuple(&pair) && pair_len(&pair) == 2 {
                    // SAFETY: a tuple of two; PyTuple_GetItem's reference is borrowed from
                    // it, made owned at once.
                    unsafe { Borrowed::from_ptr(py, ffi::PyTuple_GetItem(pair.as_ptr(), 1)) }
                        .to_owned()
                } else {
                    pair.downcast::<PyTuple>()?.get_item(1)?
                };
                // A str passes every check.
                if !is_exact_str(&value) {
                    check(text, &value)?;
                }
                items.push(name, Text::of_signed(value)?);
            }
        } else {
            let py = self.obj.py();
            for item in self.obj.call_method0(intern!(py, "items"))?.try_iter()? {
                let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
                let k = k.downcast::<PyString>().map_err(|_| {
                    PyTypeError::new_err(format!("header names must be str, not {}", type_name(&k)))
                })?;
                let lower = py_lower(k)?;
                if keep(&lower) {
                    check(&lower, &v)?;
                    let name = Raw::of(lower.as_bytes());
                    items.lowered.push(lower);
                    items.push(name, Text::of_signed(v)?);
                }
            }
        }
        let attr_err = attr_err.map(|(_, e)| e);
        let first = if rules.encoded_first {
            attr_err.or(type_err)
        } else {
            type_err.or(attr_err)
        };
        match first {
            Some(e) => Err(e),
            None => Ok(items),
        }
    }
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
    /// Borrowed headers for the core.
    pub fn view(&self) -> HeaderList<'_> {
        self.raw
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
            .collect()
    }
}

/// What a [`Text`] was made from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Bytes,
    /// Neither: nothing oss2 can sign.
    Other,
}

/// A str or bytes object with its UTF-8 (or raw) bytes, read once: signing reads each
/// header and parameter while collecting and again while signing.
pub struct Text<'py> {
    /// Owns the buffer `ptr` points into.
    obj: Bound<'py, PyAny>,
    ptr: *const u8,
    len: usize,
    kind: Kind,
}

impl<'py> Text<'py> {
    #[inline(always)]
    pub fn of_str(s: Bound<'py, PyString>) -> PyResult<Self> {
        let (ptr, len) = str_of(&s).map(|t| (t.as_ptr(), t.len()))?;
        Ok(Text {
            obj: s.into_any(),
            ptr,
            len,
            kind: Kind::Str,
        })
    }

    /// `v`'s bytes as oss2's `to_bytes()` gives them; for any other type, no bytes and
    /// [`Text::is_signable`] false.
    #[inline(always)]
    pub fn of_signed(v: Bound<'py, PyAny>) -> PyResult<Self> {
        let (kind, bytes) = if is_exact_str(&v) || v.is_instance_of::<PyString>() {
            // SAFETY: checked just above.
            let s = str_of(unsafe { v.downcast_unchecked::<PyString>() })?;
            (Kind::Str, s.as_bytes())
        } else if let Ok(b) = v.downcast::<PyBytes>() {
            (Kind::Bytes, b.as_bytes())
        } else {
            (Kind::Other, &[][..])
        };
        let (ptr, len) = (bytes.as_ptr(), bytes.len());
        Ok(Text {
            obj: v,
            ptr,
            len,
            kind,
        })
    }

    /// Made from a str or bytes.
    #[inline(always)]
    pub fn is_signable(&self) -> bool {
        self.kind != Kind::Other
    }

    pub fn object(&self) -> &Bound<'py, PyAny> {
        &self.obj
    }

    /// The owning object and the bytes' raw parts, for [`Collected`].
    fn into_parts(self) -> (Bound<'py, PyAny>, Raw) {
        let raw = Raw {
            ptr: self.ptr,
            len: self.len,
        };
        (self.obj, raw)
    }

    #[inline(always)]
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the buffer belongs to `obj` (a str's cached UTF-8 or a bytes object's
        // contents), both immutable and alive as long as `obj`, which `self` owns; or it is
        // an empty slice's.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The text of a str; empty for bytes (names are always str).
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        if self.kind != Kind::Str {
            return "";
        }
        // SAFETY: a str's bytes, from `str_of`, which returns valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(self.as_bytes()) }
    }
}

/// Calls `f(key, value)` for each item of a dict (fast) or any mapping with `items()`.
pub fn for_each_item<'py>(
    mapping: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(d) = mapping.downcast::<PyDict>() {
        let py = d.py();
        let (mut pos, mut k, mut v) = (0, std::ptr::null_mut(), std::ptr::null_mut());
        let size = d.len();
        // SAFETY: PyDict_Next gives borrowed references; each is made owned (`to_owned`)
        // before `f`, which may run Python code, sees it. PyDict_Next walks a changed dict
        // safely (by index, bounds-checked); like Python's own iteration we then stop.
        while unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut k, &mut v) } != 0 {
            let (key, value) = unsafe {
                (
                    Borrowed::from_ptr(py, k).to_owned(),
                    Borrowed::from_ptr(py, v).to_owned(),
                )
            };
            f(key, value)?;
            if d.len() != size {
                return Err(PyRuntimeError::new_err(
                    "dictionary changed size during iteration",
                ));
            }
        }
        return Ok(());
    }
    for item in mapping
        .call_method0(intern!(mapping.py(), "items"))?
        .try_iter()?
    {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        f(k, v)?;
    }
    Ok(())
}

/// How a signing version treats parameter values.
#[derive(Clone, Copy)]
pub enum ParamRule {
    /// V1: only sub-resources are read; a falsy value means "no value"; others must be str.
    SubresourcesOnly,
    /// V2/V4: every parameter is percent-encoded; oss2 fails on None, so do we.
    AllEncoded,
}

/// A parameter name and, unless V1 treats it as valueless, its value.
type ParamItem<'py> = (Text<'py>, Option<Text<'py>>);

/// The parameters a version signs, still owned by Python.
pub struct Params<'py> {
    items: SmallVec<[ParamItem<'py>; 8]>,
}

/// V2/V4 parameters encoded as they are read, in the dict's order: oss2 iterates
/// `to_bytes(x)` for each name and value, so anything but str and bytes is its TypeError.
pub fn encode_params(params: &Bound<'_, PyAny>) -> PyResult<EncodedParams> {
    let mut encoded = EncodedParams::with_capacity(256);
    for_each_item(params, |k, v| {
        let (k, v) = (Text::of_signed(k)?, Text::of_signed(v)?);
        check_signable(&k, &v)?;
        encoded.push(k.as_bytes(), Some(v.as_bytes()));
        Ok(())
    })?;
    Ok(encoded)
}

/// A parameter's name and value must be str or bytes to be signed.
fn check_signable(k: &Text<'_>, v: &Text<'_>) -> PyResult<()> {
    for (what, x) in [("name", k), ("value", v)] {
        if !x.is_signable() {
            return Err(PyTypeError::new_err(format!(
                "'{}' object is not iterable: a query parameter {what} must be str or bytes to be signed",
                type_name(x.object())
            )));
        }
    }
    Ok(())
}

impl<'py> Params<'py> {
    pub fn collect(params: &Bound<'py, PyAny>, rule: ParamRule) -> PyResult<Self> {
        let mut items = SmallVec::new();
        for_each_item(params, |k, v| {
            match rule {
                ParamRule::SubresourcesOnly => {
                    // `key in _subresource_key_set`: a bytes or int name is simply not one.
                    let Ok(name) = k.downcast_into::<PyString>() else {
                        return Ok(());
                    };
                    let name = Text::of_str(name)?;
                    if !crate::sign::v1::is_subresource(name.as_bytes()) {
                        return Ok(());
                    }
                    if !v.is_truthy()? {
                        items.push((name, None));
                    } else if v.is_instance_of::<PyString>() {
                        items.push((name, Some(Text::of_signed(v)?)));
                    } else {
                        return Err(PyTypeError::new_err(format!(
                            "can only concatenate str (not \"{}\") to str: query parameter {:?}",
                            type_name(&v),
                            name.as_str()
                        )));
                    }
                }
                ParamRule::AllEncoded => {
                    // oss2 iterates `to_bytes(x)`: str and bytes only.
                    let (k, v) = (Text::of_signed(k)?, Text::of_signed(v)?);
                    check_signable(&k, &v)?;
                    items.push((k, Some(v)));
                }
            }
            Ok(())
        })?;
        Ok(Params { items })
    }

    pub fn view(&self) -> ParamList<'_> {
        self.items
            .iter()
            .map(|(k, v)| Param {
                key: k.as_bytes(),
                value: v.as_ref().map(Text::as_bytes),
            })
            .collect()
    }
}

/// Builds the core's view.
pub fn view<'a>(
    method: &'a str,
    bucket: &'a str,
    key: &'a str,
    headers: HeaderList<'a>,
    params: ParamList<'a>,
) -> SignableRequest<'a> {
    SignableRequest {
        method,
        bucket,
        key,
        headers,
        params,
    }
}

/// bucket_name as oss2 uses it: falsy means "no bucket".
pub fn bucket_arg<'a>(bucket: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    if !bucket.is_truthy()? {
        return Ok("");
    }
    expect_str(bucket, "bucket_name")
}

/// key as oss2 uses it: only read when there is a bucket. V1 formats it with `str()`; V2/V4
/// concatenate it, so anything but str is a TypeError there.
pub fn key_arg<'a>(
    key: &'a Bound<'_, PyAny>,
    bucket: &str,
    format_like_v1: bool,
) -> PyResult<Cow<'a, str>> {
    if bucket.is_empty() {
        return Ok(Cow::Borrowed(""));
    }
    if let Ok(s) = key.downcast::<PyString>() {
        return Ok(Cow::Borrowed(str_of(s)?));
    }
    if format_like_v1 {
        return Ok(Cow::Owned(key.str()?.to_cow()?.into_owned()));
    }
    Err(PyTypeError::new_err(format!(
        "can only concatenate str (not \"{}\") to str: the object key",
        type_name(key)
    )))
}

/// `url + '?' + '&'.join(quote(k, '') [+ '=' + quote(v, '')] for k, v in params.items())`,
/// oss2's `_param_to_quoted_query`, including the bare `?` when there are no parameters.
pub fn url_with_query(url: &str, params: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out: Vec<u8> = Vec::with_capacity(url.len() + 256);
    out.extend_from_slice(url.as_bytes());
    out.push(b'?');
    let mut first = true;
    for_each_item(params, |k, v| {
        if !first {
            out.push(b'&');
        }
        first = false;
        let kb = bytes_of(&k)?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "quote() doesn't support '{}' objects",
                type_name(&k)
            ))
        })?;
        percent_encode_into(kb, false, &mut out);
        if v.is_truthy()? {
            let vb = bytes_of(&v)?.ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "quote() doesn't support '{}' objects",
                    type_name(&v)
                ))
            })?;
            out.push(b'=');
            percent_encode_into(vb, false, &mut out);
        }
        Ok(())
    })?;
    // Everything appended is ASCII and `url` was UTF-8.
    Ok(String::from_utf8(out).expect("percent-encoded query is ASCII"))
}

/// The request being signed: oss2's `http.Request` or anything with the same attributes.
/// Attributes are read with plain attribute lookups: CPython 3.11+ keeps an instance's
/// attributes inline until its `__dict__` is asked for, and reading them directly is cheaper
/// than making that dict.
pub struct Request<'py> {
    obj: Bound<'py, PyAny>,
}

impl<'py> Request<'py> {
    pub fn of(obj: &Bound<'py, PyAny>) -> Self {
        Request { obj: obj.clone() }
    }

    pub fn py(&self) -> Python<'py> {
        self.obj.py()
    }

    /// `req.<name>`.
    pub fn get(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        self.obj.getattr(name)
    }

    /// `req.<name>`, which must be a str (`method`, `url`, `product`).
    pub fn get_str(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
        self.get(name)?.downcast_into::<PyString>().map_err(|e| {
            PyTypeError::new_err(format!(
                "request.{} must be str, not {}",
                name,
                type_name(&e.into_inner())
            ))
        })
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
        let py = wanted.py();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(store) = &self.store {
            // The lowered keys are exactly `_store`'s keys. CPython intersects by walking the
            // smaller set and adding its members found in the other, so when `wanted` is the
            // smaller, walking it against `_store` builds the same set without lowering every
            // header name in Python.
            if store.len() > wanted.len() {
                let found = PySet::empty(py)?;
                for name in wanted.iter() {
                    if store.contains(&name)? {
                        found.add(name)?;
                    }
                }
                return lower_names(&found);
            }
        }
        let lower = intern!(py, "lower");
        let b = PySet::empty(py)?;
        for k in self.obj.call_method0(intern!(py, "keys"))?.try_iter()? {
            b.add(k?.call_method0(lower)?)?;
        }
        lower_names(&wanted.bitand(&b)?)
    }
}

/// `h.lower() for h in names`, as Rust strings, in iteration order.
pub fn lower_names(names: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    for h in names.try_iter()? {
        let h = h?;
        let s = h.downcast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "additional header names must be str, not {}",
                type_name(&h)
            ))
        })?;
        out.push(py_lower(s)?);
    }
    Ok(out)
}

/// `url + '?' + quoted params`, for `AnonymousAuth`.
#[pyfunction]
pub fn _url_with_query(url: &Bound<'_, PyString>, params: &Bound<'_, PyAny>) -> PyResult<String> {
    url_with_query(str_of(url)?, params)
}
