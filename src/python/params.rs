//! oss2's request parameters: read for signing (V1's sub-resources, V2/V4's encoded query) and
//! written into presigned URLs as oss2's `_param_to_quoted_query` does.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use smallvec::SmallVec;

use super::ffi::dict_next;
use super::text::{
    bytes_of, encode_error, is_exact_bytes, is_exact_str, str_of, type_name, Buffers, Text,
};
use crate::sign::encode::percent_encode_into;
use crate::sign::request::{EncodedParams, ParamList};
use crate::sign::Param;

/// Calls `f(key, value)` for each item, as oss2's `for k, v in params.items()` reads them. An
/// exact dict is walked in place (its `items()` is that order, and no Python code runs); any
/// other mapping, a dict subclass included (an `OrderedDict` after `move_to_end`, a subclass
/// overriding iteration), through its own `items()`, in the order that gives.
pub fn for_each_item<'py>(
    mapping: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if mapping.is_exact_instance_of::<PyDict>() {
        // SAFETY: checked just above.
        let d = unsafe { mapping.downcast_unchecked::<PyDict>() };
        let mut pos = 0;
        let size = d.len();
        // SAFETY: `d` is an exact dict and the GIL is held. The borrowed key and value are
        // made owned (`to_owned`) at once, before `f`, which may run Python code, sees them.
        // A dict changed by `f` is still walked safely; like Python's own iteration we then stop.
        while let Some((k, v)) = unsafe { dict_next(d, &mut pos) } {
            let (key, value) = (k.to_owned(), v.to_owned());
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
        let (k, v) = unpack_pair(item?)?;
        f(k, v)?;
    }
    Ok(())
}

/// `k, v = item`, with Python's errors: a tuple of two directly, any other iterable of two
/// (a list, say) through iteration.
pub fn unpack_pair<'py>(
    item: Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.downcast_exact::<PyTuple>() {
        if t.len() == 2 {
            return Ok((t.get_item(0)?, t.get_item(1)?));
        }
    }
    let mut it = item.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "cannot unpack non-iterable {} object",
            type_name(&item)
        ))
    })?;
    let mut got = Vec::with_capacity(2);
    while got.len() < 3 {
        match it.next() {
            Some(x) => got.push(x?),
            None => break,
        }
    }
    match <[_; 2]>::try_from(got) {
        Ok([k, v]) => Ok((k, v)),
        Err(got) if got.len() > 2 => Err(PyValueError::new_err(
            "too many values to unpack (expected 2)",
        )),
        Err(got) => Err(PyValueError::new_err(format!(
            "not enough values to unpack (expected 2, got {})",
            got.len()
        ))),
    }
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
pub fn encode_params(params: &Bound<'_, PyAny>) -> PyResult<Encoded> {
    let mut encoded = Encoded {
        query: EncodedParams::with_capacity(256),
        plain: true,
    };
    for_each_item(params, |k, v| {
        encoded.plain &= plain(&k) && plain(&v);
        let (k, v) = signable(k, v)?;
        encoded.query.push(k.as_bytes(), Some(v.as_bytes()));
        Ok(())
    })?;
    Ok(encoded)
}

/// Parameters encoded by [`encode_params`].
pub struct Encoded {
    pub query: EncodedParams,
    /// Every name and value was exactly `str` or `bytes`, whose truth is their length (a
    /// presigned URL may then be written from `query`: `k=v` exactly when `v` is non-empty).
    pub plain: bool,
}

fn plain(v: &Bound<'_, PyAny>) -> bool {
    is_exact_str(v) || is_exact_bytes(v)
}

/// A V2/V4 parameter read as oss2 reads it: encoding errors first, as its `to_bytes` meets
/// them, then types.
fn signable<'py>(k: Bound<'py, PyAny>, v: Bound<'py, PyAny>) -> PyResult<(Text<'py>, Text<'py>)> {
    let k = Text::of_signed(k, Buffers::Iterated)?.encoded()?;
    let v = Text::of_signed(v, Buffers::Iterated)?.encoded()?;
    check_signable(&k, &v)?;
    Ok((k, v))
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
        // V1's `if not params: return ''` comes before `params.items()`: a mapping that is
        // falsy is not read (an exact dict is falsy exactly when it has no items).
        if matches!(rule, ParamRule::SubresourcesOnly)
            && !params.is_exact_instance_of::<PyDict>()
            && !params.is_truthy()?
        {
            return Ok(Params { items });
        }
        for_each_item(params, |k, v| {
            match rule {
                ParamRule::SubresourcesOnly => {
                    // `key in _subresource_key_set`: a bytes or int name is simply not one.
                    let Ok(name) = k.downcast_into::<PyString>() else {
                        return Ok(());
                    };
                    // A name without a UTF-8 form (a lone surrogate) is not a sub-resource.
                    let Ok(name) = Text::of_str(name) else {
                        return Ok(());
                    };
                    if !crate::sign::v1::is_subresource(name.as_bytes()) {
                        return Ok(());
                    }
                    if !v.is_truthy()? {
                        items.push((name, None));
                    } else if v.is_instance_of::<PyString>() {
                        items.push((name, Some(Text::of_signed(v, Buffers::Iterated)?)));
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
                    let (k, v) = signable(k, v)?;
                    items.push((k, Some(v)));
                }
            }
            Ok(())
        })?;
        Ok(Params { items })
    }

    /// The UnicodeEncodeError of the first V1 value without a UTF-8 form, if any (oss2 meets
    /// it encoding the resource).
    pub fn check_encodable(&self) -> PyResult<()> {
        match self
            .items
            .iter()
            .find_map(|(_, v)| v.as_ref().filter(|v| v.is_unencodable()))
        {
            Some(v) => Err(encode_error(v)),
            None => Ok(()),
        }
    }

    /// Borrowed parameters for the core; the UnicodeEncodeError of the first V1 value
    /// without a UTF-8 form, where oss2 meets it.
    pub fn view(&self) -> PyResult<ParamList<'_>> {
        let mut out = ParamList::new();
        for (k, v) in &self.items {
            if let Some(v) = v.as_ref().filter(|v| v.is_unencodable()) {
                return Err(encode_error(v));
            }
            out.push(Param {
                key: k.as_bytes(),
                value: v.as_ref().map(Text::as_bytes),
            });
        }
        Ok(out)
    }
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
        percent_encode_into(&kb, false, &mut out);
        if v.is_truthy()? {
            let vb = bytes_of(&v)?.ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "quote() doesn't support '{}' objects",
                    type_name(&v)
                ))
            })?;
            out.push(b'=');
            percent_encode_into(&vb, false, &mut out);
        }
        Ok(())
    })?;
    // Everything appended is ASCII and `url` was UTF-8, so this cannot fail; an error
    // rather than a panic all the same.
    String::from_utf8(out)
        .map_err(|_| PyRuntimeError::new_err("internal error: a presigned URL was not UTF-8"))
}

/// `url + '?' + quoted params`, for `AnonymousAuth`.
#[pyfunction]
pub fn _url_with_query(url: &Bound<'_, PyString>, params: &Bound<'_, PyAny>) -> PyResult<String> {
    url_with_query(str_of(url)?, params)
}
