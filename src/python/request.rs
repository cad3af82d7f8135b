//! Reading an oss2 `Request` (method, url, region, product, cloudbox_id, and the arguments
//! oss2 passes with it) into the core's borrowed view; headers and parameters are in
//! `headers.rs` and `params.rs`.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::text::{expect_str, str_of, type_name};
use crate::sign::request::{HeaderList, ParamList};
use crate::sign::SignableRequest;

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
