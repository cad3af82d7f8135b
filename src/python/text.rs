//! Zero-copy views of Python `str` and `bytes`.
//!
//! Strings are read in place through `ffi::str_of` (the UTF-8 CPython caches in the object):
//! signing reads a dozen strings per request, and copying them all (what pyo3 does under the
//! 3.9 stable ABI) was the largest cost in the profile.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

pub use super::ffi::{is_exact_bytes, is_exact_str, str_of};

/// A `str` argument that may be a secret (an AccessKey secret, a security token): its text is
/// read in place, not through pyo3's `String` extraction, which under the 3.9 stable ABI copies
/// it into a temporary `bytes` that Python frees without wiping. Type errors read as for
/// `String` arguments.
pub struct SecretArg(pub String);

impl<'py> FromPyObject<'py> for SecretArg {
    fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
        Ok(SecretArg(str_of(ob.downcast::<PyString>()?)?.to_owned()))
    }
}

/// Releases `s`, first overwriting its text with `*` when this is the last reference: for the
/// Python strings ossauth itself makes of a secret (a credentials object's security token),
/// which CPython would otherwise free with the text still in its memory. A string that anyone
/// else still holds is theirs and left alone; so are non-ASCII strings (their text is stored
/// apart from the UTF-8 view this can reach; tokens and secrets are ASCII).
pub fn release_wiping(py: Python<'_>, s: Py<PyString>) {
    super::ffi::release_wiping(s.into_bound(py));
}

/// The bytes `urllib.parse.quote` (oss2's `urlquote`) takes: UTF-8 of a `str`, the contents
/// of a `bytes` or a `bytearray` (copied: it can change); `None` for any other type.
#[inline]
pub fn bytes_of<'a>(v: &'a Bound<'_, PyAny>) -> PyResult<Option<Cow<'a, [u8]>>> {
    if is_exact_str(v) {
        // SAFETY: checked just above.
        return str_of(unsafe { v.downcast_unchecked() })
            .map(|s| Some(Cow::Borrowed(s.as_bytes())));
    }
    if let Ok(s) = v.downcast::<PyString>() {
        return str_of(s).map(|s| Some(Cow::Borrowed(s.as_bytes())));
    }
    if let Ok(b) = v.downcast::<PyBytes>() {
        return Ok(Some(Cow::Borrowed(b.as_bytes())));
    }
    if let Ok(b) = v.downcast::<PyByteArray>() {
        return Ok(Some(Cow::Owned(b.to_vec())));
    }
    Ok(None)
}

/// Which byte buffers (objects with the buffer protocol other than `bytes`) oss2 signs, and as
/// which bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Buffers {
    /// Header values: oss2 concatenates `b':' + value`, which takes any C-contiguous buffer as
    /// its raw bytes (and any other is its TypeError).
    Concatenated,
    /// V2/V4 parameters: oss2 iterates the value's items as byte values, which is its bytes
    /// only for unsigned-byte buffers (`bytearray`, `memoryview` of format `B`).
    Iterated,
}

/// A copy of the bytes oss2 signs for a buffer `v` (not str or bytes), or None when `v` is not
/// a buffer oss2 signs that way.
fn buffer_copy<'py>(v: &Bound<'py, PyAny>, rule: Buffers) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let py = v.py();
    if let Ok(b) = v.downcast::<PyByteArray>() {
        return Ok(Some(PyBytes::new(py, &b.to_vec())));
    }
    // Only the slow path gets here: any other object, asked for its buffer through Python's
    // `memoryview`, which refuses what has none.
    let Ok(view) = py.get_type::<PyMemoryView>().call1((v,)) else {
        return Ok(None);
    };
    let usable = match rule {
        Buffers::Concatenated => view.getattr(intern!(py, "c_contiguous"))?.is_truthy()?,
        Buffers::Iterated => view.getattr(intern!(py, "format"))?.eq("B")?,
    };
    if !usable {
        // Items of another format that are all byte values sign as those bytes; larger ones
        // oss2 writes as `%` and their hex, which no byte string gives: not signed here.
        if rule == Buffers::Iterated && view.getattr(intern!(py, "ndim"))?.eq(1)? {
            let items = view.call_method0(intern!(py, "tolist"))?;
            if let Ok(bytes) = items.extract::<Vec<u8>>() {
                return Ok(Some(PyBytes::new(py, &bytes)));
            }
        }
        return Ok(None);
    }
    Ok(Some(
        view.call_method0(intern!(py, "tobytes"))?
            .downcast_into::<PyBytes>()?,
    ))
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

/// `v` as a str, or a TypeError that reads like Python's own (`access_key_id must be str,
/// not int`), not pyo3's conversion message.
pub fn str_arg<'a, 'py>(
    v: &'a Bound<'py, PyAny>,
    what: &str,
) -> PyResult<&'a Bound<'py, PyString>> {
    v.downcast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be str, not {}", type_name(v))))
}

pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The parts of bytes owned elsewhere (see `headers::Collected`).
#[derive(Clone, Copy)]
pub struct Raw {
    pub ptr: *const u8,
    pub len: usize,
}

impl Raw {
    pub fn of(bytes: &[u8]) -> Self {
        Raw {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

/// The error encoding an unencodable [`Text`] raises (made again: it was dropped when the text
/// was read, to be raised only where oss2 would).
pub fn encode_error(t: &Text<'_>) -> PyErr {
    let again = match t.obj.downcast::<PyString>() {
        Ok(s) => str_of(s).err(),
        Err(e) => Some(e.into()),
    };
    again.unwrap_or_else(|| {
        pyo3::exceptions::PyUnicodeEncodeError::new_err("a str could not be encoded to UTF-8")
    })
}

/// What a [`Text`] was made from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    /// A str with no UTF-8 form (a lone surrogate): oss2's `.encode()` fails on it where it
    /// reads it, so the error is raised there ([`Text::encoded`]), not when it is collected.
    Unencodable,
    Bytes,
    /// Neither: nothing oss2 can sign.
    Other,
}

/// A str or bytes object with its UTF-8 (or raw) bytes, read once: signing reads each
/// header and parameter while collecting and again while signing.
pub struct Text<'py> {
    /// The object read (owns the buffer `ptr` points into unless `copy` does).
    obj: Bound<'py, PyAny>,
    /// For a byte buffer other than `bytes`: the copy of its bytes that `ptr` points into.
    copy: Option<Bound<'py, PyBytes>>,
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
            copy: None,
            ptr,
            len,
            kind: Kind::Str,
        })
    }

    /// `v`'s bytes as oss2's `to_bytes()` gives them; for any other type, no bytes and
    /// [`Text::is_signable`] false.
    #[inline(always)]
    pub fn of_signed(v: Bound<'py, PyAny>, buffers: Buffers) -> PyResult<Self> {
        let mut copy = None;
        let (kind, bytes) = if is_exact_str(&v) || v.is_instance_of::<PyString>() {
            // SAFETY: checked just above.
            match str_of(unsafe { v.downcast_unchecked::<PyString>() }) {
                Ok(s) => (Kind::Str, s.as_bytes()),
                // Raised again, where oss2 would, by `encoded`.
                Err(_) => (Kind::Unencodable, &[][..]),
            }
        } else if let Ok(b) = v.downcast::<PyBytes>() {
            (Kind::Bytes, b.as_bytes())
        } else {
            copy = buffer_copy(&v, buffers)?;
            match &copy {
                Some(c) => (Kind::Bytes, c.as_bytes()),
                None => (Kind::Other, &[][..]),
            }
        };
        let (ptr, len) = (bytes.as_ptr(), bytes.len());
        Ok(Text {
            obj: v,
            copy,
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

    /// Made from a str (or a str subclass).
    #[inline(always)]
    pub fn is_str(&self) -> bool {
        matches!(self.kind, Kind::Str | Kind::Unencodable)
    }

    /// A str without a UTF-8 form (see [`Text::encoded`]).
    #[inline(always)]
    pub fn is_unencodable(&self) -> bool {
        self.kind == Kind::Unencodable
    }

    /// `self`, or the UnicodeEncodeError that encoding it to UTF-8 raises.
    pub fn encoded(self) -> PyResult<Self> {
        if self.kind != Kind::Unencodable {
            return Ok(self);
        }
        Err(encode_error(&self))
    }

    pub fn object(&self) -> &Bound<'py, PyAny> {
        &self.obj
    }

    /// The owning object and the bytes' raw parts, for [`Collected`].
    pub fn into_parts(self) -> (Bound<'py, PyAny>, Raw) {
        let raw = Raw {
            ptr: self.ptr,
            len: self.len,
        };
        match self.copy {
            Some(copy) => (copy.into_any(), raw),
            None => (self.obj, raw),
        }
    }

    #[inline(always)]
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the buffer belongs to `obj` (a str's cached UTF-8 or a bytes object's
        // contents) or to `copy` (bytes), all immutable and alive as long as `self`, which
        // owns them; or it is an empty slice's.
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
