//! Reading an oss2 `Request` (method, url, headers, params, region, product, cloudbox_id) into
//! owned parts the core borrows, and writing signing results back through Python's own
//! `__setitem__`, so insertion order and key case end exactly as oss2 leaves them.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyDict, PySet, PyString, PyTuple, PyType};

use crate::sign::encode::percent_encode_into;
use crate::sign::{Header, Param, SignableRequest};

/// A header or parameter value as oss2's `to_bytes()` sees it.
fn value_bytes(v: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(s) = v.downcast::<PyString>() {
        return Ok(Some(s.to_cow()?.into_owned().into_bytes()));
    }
    if let Ok(b) = v.downcast::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    Ok(None)
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Python's `str.lower()`: ASCII in Rust, anything else through Python so Unicode casing
/// matches the interpreter's tables exactly.
pub fn py_lower(s: &Bound<'_, PyString>) -> PyResult<String> {
    let text = s.to_cow()?;
    if text.is_ascii() {
        Ok(text.to_ascii_lowercase())
    } else {
        Ok(s.call_method0(intern!(s.py(), "lower"))?
            .downcast::<PyString>()?
            .to_cow()?
            .into_owned())
    }
}

/// requests' `CaseInsensitiveDict`, whose `_store` maps lower-cased names to
/// `(original name, value)`: reading it directly skips a Python generator per request.
fn case_insensitive_dict_type(py: Python<'_>) -> Option<&Bound<'_, PyType>> {
    static TYPE: GILOnceCell<Py<PyType>> = GILOnceCell::new();
    if let Some(t) = TYPE.get(py) {
        return Some(t.bind(py));
    }
    // Only look once requests is imported (oss2 imports it); never import it ourselves.
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

/// Lower-cased names and values of the headers `keep` selects. A selected header whose value
/// is neither str nor bytes is a TypeError, as it is in oss2 (which concatenates it).
pub fn read_headers(
    headers: &Bound<'_, PyAny>,
    keep: &dyn Fn(&str) -> bool,
) -> PyResult<Vec<(String, Vec<u8>)>> {
    let py = headers.py();
    let mut out = Vec::new();
    let mut push = |name: String, value: Bound<'_, PyAny>| -> PyResult<()> {
        if keep(&name) {
            match value_bytes(&value)? {
                Some(v) => out.push((name, v)),
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "header {name:?} is signed but its value is {}, not str or bytes",
                        type_name(&value)
                    )))
                }
            }
        }
        Ok(())
    };
    if let Some(cid) = case_insensitive_dict_type(py) {
        if headers.get_type().is(cid) {
            let store = headers.getattr(intern!(py, "_store"))?;
            if let Ok(store) = store.downcast::<PyDict>() {
                for (lower, pair) in store.iter() {
                    let name = lower.downcast::<PyString>()?.to_cow()?.into_owned();
                    let pair = pair.downcast::<PyTuple>()?;
                    push(name, pair.get_item(1)?)?;
                }
                return Ok(out);
            }
        }
    }
    let items = headers.call_method0(intern!(py, "items"))?;
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let k = k.downcast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!("header names must be str, not {}", type_name(&k)))
        })?;
        push(py_lower(k)?, v)?;
    }
    Ok(out)
}

/// Calls `f(key, value)` for each item of a dict (fast) or any mapping with `items()`.
pub fn for_each_item<'py>(
    mapping: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(d) = mapping.downcast::<PyDict>() {
        for (k, v) in d.iter() {
            f(k, v)?;
        }
        return Ok(());
    }
    for item in mapping.call_method0(intern!(mapping.py(), "items"))?.try_iter()? {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        f(k, v)?;
    }
    Ok(())
}

/// How a signing version treats parameter values.
#[derive(Clone, Copy)]
pub enum ParamRule {
    /// V1: only sub-resources are read; a falsy value means "no value".
    SubresourcesOnly,
    /// V2/V4: every parameter is percent-encoded; oss2 fails on None, so do we.
    AllEncoded,
}

/// The parameters a version signs, in the request's order.
pub fn read_params(
    params: &Bound<'_, PyAny>,
    rule: ParamRule,
) -> PyResult<Vec<(String, Option<Vec<u8>>)>> {
    let mut out = Vec::new();
    let mut push = |k: Bound<'_, PyAny>, v: Bound<'_, PyAny>| -> PyResult<()> {
        let key = k
            .downcast::<PyString>()
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "query parameter names must be str, not {}",
                    type_name(&k)
                ))
            })?
            .to_cow()?
            .into_owned();
        match rule {
            ParamRule::SubresourcesOnly => {
                if !crate::sign::v1::is_subresource(&key) {
                    return Ok(());
                }
                if !v.is_truthy()? {
                    out.push((key, None));
                    return Ok(());
                }
                match value_bytes(&v)? {
                    Some(b) if v.is_instance_of::<PyString>() => out.push((key, Some(b))),
                    _ => {
                        return Err(PyTypeError::new_err(format!(
                            "can only concatenate str (not \"{}\") to str: query parameter {key:?}",
                            type_name(&v)
                        )))
                    }
                }
            }
            ParamRule::AllEncoded => match value_bytes(&v)? {
                Some(b) => out.push((key, Some(b))),
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "'{}' object is not iterable: query parameter {key:?} must be str or bytes to be signed",
                        type_name(&v)
                    )))
                }
            },
        }
        Ok(())
    };
    for_each_item(params, &mut push)?;
    Ok(out)
}

/// Builds the core's view over owned parts.
pub fn view<'a>(
    method: &'a str,
    bucket: &'a str,
    key: &'a str,
    headers: &'a [(String, Vec<u8>)],
    params: &'a [(String, Option<Vec<u8>>)],
) -> SignableRequest<'a> {
    SignableRequest {
        method,
        bucket,
        key,
        headers: headers
            .iter()
            .map(|(n, v)| Header { name: n, value: v })
            .collect(),
        params: params
            .iter()
            .map(|(k, v)| Param {
                key: k,
                value: v.as_deref(),
            })
            .collect(),
    }
}

/// `str` attribute of the request (`method`, `url`, ...).
pub fn str_attr(obj: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<String> {
    let v = obj.getattr(name)?;
    match v.downcast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "request.{} must be str, not {}",
            name.to_cow()?,
            type_name(&v)
        ))),
    }
}

/// bucket_name as oss2 uses it: falsy means "no bucket".
pub fn bucket_arg(bucket: &Bound<'_, PyAny>) -> PyResult<String> {
    if !bucket.is_truthy()? {
        return Ok(String::new());
    }
    Ok(bucket.downcast::<PyString>()?.to_cow()?.into_owned())
}

/// key as oss2 uses it: only read when there is a bucket. V1 formats it with `str()`; V2/V4
/// concatenate it, so anything but str is a TypeError there.
pub fn key_arg(key: &Bound<'_, PyAny>, bucket: &str, format_like_v1: bool) -> PyResult<String> {
    if bucket.is_empty() {
        return Ok(String::new());
    }
    if let Ok(s) = key.downcast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if format_like_v1 {
        return Ok(key.str()?.to_cow()?.into_owned());
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
    let mut push = |k: Bound<'_, PyAny>, v: Bound<'_, PyAny>| -> PyResult<()> {
        if !first {
            out.push(b'&');
        }
        first = false;
        let kb = value_bytes(&k)?.ok_or_else(|| {
            PyTypeError::new_err(format!("quote() doesn't support '{}' objects", type_name(&k)))
        })?;
        percent_encode_into(&kb, false, &mut out);
        if v.is_truthy()? {
            let vb = value_bytes(&v)?.ok_or_else(|| {
                PyTypeError::new_err(format!("quote() doesn't support '{}' objects", type_name(&v)))
            })?;
            out.push(b'=');
            percent_encode_into(&vb, false, &mut out);
        }
        Ok(())
    };
    for_each_item(params, &mut push)?;
    // Everything appended is ASCII and `url` was UTF-8.
    Ok(String::from_utf8(out).expect("percent-encoded query is ASCII"))
}

/// oss2's additional-header selection, `set(h.lower() for h in wanted) & set(k.lower() for k in
/// headers.keys())`, done with Python sets so that the result iterates in the very order
/// oss2's does (it joins that set unsorted into the V2 Authorization header and V4's
/// first-character sort keeps it).
pub fn present_additional_headers(
    wanted: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
) -> PyResult<Vec<String>> {
    let py = wanted.py();
    let lower = intern!(py, "lower");
    let a = PySet::empty(py)?;
    for h in wanted.try_iter()? {
        a.add(h?.call_method0(lower)?)?;
    }
    if a.is_empty() {
        return Ok(Vec::new());
    }
    let b = PySet::empty(py)?;
    for k in headers.call_method0(intern!(py, "keys"))?.try_iter()? {
        b.add(k?.call_method0(lower)?)?;
    }
    lower_names(&a.bitand(&b)?)
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
    url_with_query(&url.to_cow()?, params)
}
