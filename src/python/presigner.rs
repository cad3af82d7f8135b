//! `_PresignerCore`, the Rust half of `ossauth.Presigner`: `sign_url` and `sign_urls` for the
//! arguments the core signs alike with oss2 (plain str data, see [`Plain`]); anything else goes
//! to the Python method `_sign_url_general`, which runs oss2's own steps around the auth.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::auth_base::AuthBase;
use super::errors::client_error;
use super::exit;
use super::ffi;
use super::text::{is_exact_str, str_of, type_name};
use crate::clock;
use crate::sign::presign::{
    check_key, check_key_bytes, Batch, ChunkQueue, Credentials, Options, PresignError, Target,
    UrlChunk, UrlStyle, Version, SIGNER_PARAMS,
};
use crate::sign::SigningKeyCache;

/// Header names oss2's `http.Request` adds itself; naming one as an additional header signs
/// oss2's own value, which only the general path has.
const REQUEST_ADDED: [&str; 2] = ["accept-encoding", "user-agent"];

#[pyclass(frozen, subclass, module = "ossauth", name = "_PresignerCore")]
pub struct PresignerCore {
    /// The auth whose provider is read (an `StsAuth`'s inner auth); None when anonymous or
    /// when every call goes the general way.
    signer: Option<Py<AuthBase>>,
    /// None: every call takes the general path (an auth subclass may sign differently).
    version: Option<Version>,
    /// V2 and V4 `_sign_url` take `in_additional_headers`; V1, StsAuth and AnonymousAuth do
    /// not (a TypeError in oss2).
    takes_additional: bool,
    target: Target,
    keys: SigningKeyCache,
    /// The last simple call's batch (no headers, params or additional headers): consecutive
    /// `sign_url` calls in one second with the same credentials share it.
    last: Mutex<Option<Reuse>>,
}

/// What a batch was made for, and the batch.
struct Reuse {
    secs: i64,
    method: String,
    expires: i64,
    slash_safe: bool,
    creds: OwnedCredentials,
    batch: Arc<Batch>,
}

/// The arguments besides the key, when the core signs them as oss2 does: exact str method,
/// int expires, dicts of str (header names ASCII), no parameter the signer writes, and
/// additional header names whose order cannot matter.
struct Plain<'a> {
    method: &'a str,
    expires: i64,
    /// Copied: usually none, and a copy needs no reasoning about the dict changing.
    headers: Vec<(String, String)>,
    params: Vec<(String, String)>,
    additional: Option<Vec<String>>,
    slash_safe: bool,
}

fn exact_str<'a>(v: &'a Bound<'_, PyAny>) -> Option<&'a str> {
    if !is_exact_str(v) {
        return None;
    }
    // SAFETY: checked just above.
    str_of(unsafe { v.downcast_unchecked::<PyString>() }).ok()
}

impl<'a> Plain<'a> {
    #[allow(clippy::too_many_arguments)]
    fn read(
        core: &PresignerCore,
        method: &'a Bound<'_, PyAny>,
        expires: &'a Bound<'_, PyAny>,
        headers: Option<&'a Bound<'_, PyAny>>,
        params: Option<&'a Bound<'_, PyAny>>,
        slash_safe: &Bound<'_, PyAny>,
        additional: Option<&'a Bound<'_, PyAny>>,
    ) -> Option<Plain<'a>> {
        let version = core.version?;
        let method = exact_str(method)?;
        if !expires.is_exact_instance_of::<PyInt>() {
            return None;
        }
        let expires: i64 = expires.extract().ok()?;
        let mut hs: Vec<(String, String)> = Vec::new();
        if let Some(h) = headers.filter(|h| !h.is_none()) {
            let dict = h.downcast_exact::<PyDict>().ok()?;
            for (k, v) in dict.iter() {
                let name = exact_str(&k)?;
                if !name.is_ascii() {
                    return None;
                }
                let value = exact_str(&v)?.to_owned();
                let lower = name.to_ascii_lowercase();
                // requests' CaseInsensitiveDict: first position, last value.
                match hs.iter_mut().find(|(n, _)| *n == lower) {
                    Some(slot) => slot.1 = value,
                    None => hs.push((lower, value)),
                }
            }
        }
        let mut ps: Vec<(String, String)> = Vec::new();
        if let Some(p) = params.filter(|p| !p.is_none()) {
            let dict = p.downcast_exact::<PyDict>().ok()?;
            for (k, v) in dict.iter() {
                let name = exact_str(&k)?;
                let value = exact_str(&v)?;
                if SIGNER_PARAMS.contains(&name) {
                    return None;
                }
                ps.push((name.to_owned(), value.to_owned()));
            }
        }
        let additional = match additional.filter(|a| !a.is_none()) {
            None => None,
            Some(_) if !core.takes_additional => return None,
            Some(a) => {
                let plain_collection = a.is_exact_instance_of::<PyList>()
                    || a.is_exact_instance_of::<PyTuple>()
                    || a.is_exact_instance_of::<PySet>()
                    || a.is_exact_instance_of::<PyFrozenSet>();
                if !plain_collection {
                    return None;
                }
                let mut names = Vec::new();
                for item in a.try_iter().ok()? {
                    let item = item.ok()?;
                    let name = exact_str(&item)?;
                    if !name.is_ascii() {
                        return None;
                    }
                    let lower = name.to_ascii_lowercase();
                    if REQUEST_ADDED.contains(&lower.as_str()) {
                        return None;
                    }
                    names.push(lower);
                }
                let present = hs.iter().filter(|(n, _)| names.contains(n)).count();
                // oss2's V2 joins a set of them, in an order only Python knows.
                if version == Version::V2 && present > 1 {
                    return None;
                }
                Some(names)
            }
        };
        Some(Plain {
            method,
            expires,
            headers: hs,
            params: ps,
            additional,
            slash_safe: slash_safe.is(PyBool::new(slash_safe.py(), true)),
        })
    }
}

/// A key's text, or None for the general path (other types, bytes that are not UTF-8, str
/// without UTF-8: oss2 raises there, and the general path raises the same).
fn key_text<'a>(key: &'a Bound<'_, PyAny>, strict: bool) -> PyResult<Option<&'a str>> {
    let checked = if let Ok(s) = key.downcast::<PyString>() {
        let Ok(text) = str_of(s) else {
            return Ok(None);
        };
        check_key(text, strict).map(|()| text)
    } else if let Ok(b) = key.downcast::<PyBytes>() {
        match check_key_bytes(b.as_bytes(), strict) {
            Err(PresignError::KeyNotUtf8) => return Ok(None),
            other => other,
        }
    } else {
        return Ok(None);
    };
    checked
        .map(Some)
        .map_err(|e| client_error(key.py(), &e.to_string()))
}

/// Credentials copied out of the provider's objects, so that threads can sign with them.
#[derive(PartialEq, Eq)]
struct OwnedCredentials {
    id: String,
    secret: Zeroizing<Vec<u8>>,
    token: Option<Zeroizing<String>>,
}

impl OwnedCredentials {
    fn view(&self) -> Credentials<'_> {
        Credentials {
            access_key_id: &self.id,
            access_key_secret: &self.secret,
            security_token: self.token.as_deref().map(String::as_str),
        }
    }
}

impl PresignerCore {
    /// The credentials, read from the provider once; None when the token is not a str (the
    /// general path handles what oss2 would do with it).
    fn credentials(&self, py: Python<'_>) -> PyResult<Option<OwnedCredentials>> {
        let Some(signer) = &self.signer else {
            return Ok(Some(OwnedCredentials {
                id: String::new(),
                secret: Zeroizing::new(Vec::new()),
                token: None,
            }));
        };
        let creds = signer.bind(py).borrow().credentials(py)?;
        let token = match creds.token() {
            None => None,
            Some(t) => match exact_str(&t) {
                Some(s) => Some(Zeroizing::new(s.to_owned())),
                None => return Ok(None),
            },
        };
        Ok(Some(OwnedCredentials {
            id: creds.id().to_owned(),
            secret: Zeroizing::new(creds.secret().to_vec()),
            token,
        }))
    }

    /// The batch for a single URL: the last one when it was made for the same arguments,
    /// second and credentials.
    fn batch_for_one(&self, plain: &Plain<'_>, creds: OwnedCredentials) -> Option<Arc<Batch>> {
        let simple =
            plain.headers.is_empty() && plain.params.is_empty() && plain.additional.is_none();
        if !simple {
            return self.batch(plain, &creds).map(Arc::new);
        }
        let secs = clock::now_secs();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = last.as_ref() {
            if r.secs == secs
                && r.method == plain.method
                && r.expires == plain.expires
                && r.slash_safe == plain.slash_safe
                && r.creds == creds
            {
                return Some(r.batch.clone());
            }
        }
        let batch = Arc::new(self.batch_at(plain, &creds, secs)?);
        *last = Some(Reuse {
            secs,
            method: plain.method.to_owned(),
            expires: plain.expires,
            slash_safe: plain.slash_safe,
            creds,
            batch: batch.clone(),
        });
        Some(batch)
    }

    fn batch(&self, plain: &Plain<'_>, creds: &OwnedCredentials) -> Option<Batch> {
        self.batch_at(plain, creds, clock::now_secs())
    }

    fn batch_at(&self, plain: &Plain<'_>, creds: &OwnedCredentials, secs: i64) -> Option<Batch> {
        let headers: Vec<(&str, &str)> = plain
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let params: Vec<(&str, Option<&str>)> = plain
            .params
            .iter()
            .map(|(n, v)| (n.as_str(), Some(v.as_str())))
            .collect();
        let additional: Option<Vec<&str>> = plain
            .additional
            .as_ref()
            .map(|a| a.iter().map(String::as_str).collect());
        let opts = Options {
            method: plain.method,
            expires: plain.expires,
            headers: &headers,
            params: &params,
            additional_headers: additional.as_deref(),
            slash_safe: plain.slash_safe,
        };
        // Errors (an empty additional header name, an overflowing expiry) are left to the
        // general path, which raises what oss2 raises.
        Batch::new(&self.target, &creds.view(), secs, &opts, &self.keys).ok()
    }
}

#[allow(clippy::too_many_arguments)]
fn general<'py>(
    slf: &Bound<'py, PresignerCore>,
    method: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    expires: &Bound<'py, PyAny>,
    headers: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyAny>>,
    slash_safe: &Bound<'py, PyAny>,
    additional_headers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    slf.call_method1(
        intern!(slf.py(), "_sign_url_general"),
        (
            method,
            key,
            expires,
            headers,
            params,
            slash_safe,
            additional_headers,
        ),
    )
}

/// A list of `n` Nones, to be filled in place by [`put`].
fn list_of_none(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyList>> {
    let len =
        isize::try_from(n).map_err(|_| PyValueError::new_err("too many keys for one list"))?;
    ffi::list_of_none(py, len)
}

/// Puts `chunk`'s URLs into `list` from index `first` on (a list of Nones made by
/// [`list_of_none`], owned by this thread and given to no Python code yet).
fn put(list: &Bound<'_, PyList>, first: usize, chunk: &UrlChunk) -> PyResult<()> {
    let len = list.len();
    for (j, url) in chunk.iter().enumerate() {
        let index = first + j;
        if index >= len {
            return Err(PyValueError::new_err("more URLs than keys"));
        }
        ffi::list_put_str(list, index, url)?;
    }
    Ok(())
}

/// Fills `out` with the URLs of `keys`, signed across `threads` threads. Only this thread
/// touches Python (no thread spawned by Rust takes the GIL, see `logs`): it converts the
/// chunks helpers send, and signs chunks itself, without the GIL, whenever none is waiting.
fn fill(
    py: Python<'_>,
    out: &Bound<'_, PyList>,
    batch: &Batch,
    keys: &[&str],
    threads: usize,
) -> PyResult<()> {
    let queue = ChunkQueue::new(batch, keys);
    let helpers = queue.threads(threads) - 1;
    // Converted chunks go back to the helpers: their buffers are reused, not reallocated.
    let spare: Mutex<Vec<UrlChunk>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        // Bounded: a helper ahead of the conversion waits instead of piling up URLs.
        let (tx, mut rx) = sync_channel::<(usize, UrlChunk)>(helpers.max(1));
        for _ in 0..helpers {
            let (tx, queue, spare) = (tx.clone(), &queue, &spare);
            s.spawn(move || {
                let mut scratch = Vec::with_capacity(1024);
                loop {
                    let taken = spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let mut chunk = taken.unwrap_or_default();
                    let Some(first) = queue.sign_next(&mut scratch, &mut chunk) else {
                        return;
                    };
                    // The receiver is gone only after an error: stop.
                    if tx.send((first, chunk)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut own = UrlChunk::default();
        let mut scratch = Vec::with_capacity(1024);
        let mut claiming = true;
        // Returning drops `rx`, which ends the helpers (also on an error) before the scope joins.
        loop {
            let received = match rx.try_recv() {
                Ok(got) => Some(got),
                Err(_) if claiming => {
                    match exit::allow_threads(py, || queue.sign_next(&mut scratch, &mut own)) {
                        Some(first) => put(out, first, &own)?,
                        None => claiming = false,
                    }
                    None
                }
                Err(_) => {
                    let rx = &mut rx;
                    match exit::allow_threads(py, move || rx.recv()) {
                        Ok(got) => Some(got),
                        Err(_) => return Ok(()),
                    }
                }
            };
            if let Some((first, chunk)) = received {
                put(out, first, &chunk)?;
                spare.lock().unwrap_or_else(|e| e.into_inner()).push(chunk);
            }
        }
    })
}

fn parse_style(style: &str) -> PyResult<UrlStyle> {
    match style {
        "virtual" => Ok(UrlStyle::VirtualHosted),
        "path" => Ok(UrlStyle::Path),
        "cname" => Ok(UrlStyle::Cname),
        other => Err(PyValueError::new_err(format!(
            "url style must be 'virtual', 'path' or 'cname', not {other:?}"
        ))),
    }
}

#[pymethods]
impl PresignerCore {
    /// Built by `ossauth.Presigner`, which checks and normalizes the arguments as oss2 does.
    /// `kind`: 'v1', 'v2', 'v4', 'anonymous', or 'general' (every call through Python).
    #[new]
    #[pyo3(signature = (signer, kind, takes_additional, scheme, netloc, style, bucket, region, cloudbox_id, strict))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        signer: Option<Py<AuthBase>>,
        kind: &str,
        takes_additional: bool,
        scheme: &str,
        netloc: &str,
        style: &str,
        bucket: &str,
        region: Option<&str>,
        cloudbox_id: Option<&str>,
        strict: bool,
    ) -> PyResult<Self> {
        let version = match kind {
            "v1" => Some(Version::V1),
            "v2" => Some(Version::V2),
            "v4" => Some(Version::V4),
            "anonymous" => Some(Version::Anonymous),
            "general" => None,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown presigner kind {other:?}"
                )))
            }
        };
        if signer.is_none() && !matches!(version, Some(Version::Anonymous) | None) {
            return Err(PyTypeError::new_err("a signing presigner needs its auth"));
        }
        let mut target = Target::new(
            version.unwrap_or(Version::Anonymous),
            scheme,
            netloc,
            parse_style(style)?,
            bucket,
            region,
            cloudbox_id,
            strict,
        );
        // The caller decided (oss2: only an auth whose auth_version() is 'v1' keeps it).
        target.verify_object_strict = strict;
        Ok(PresignerCore {
            signer,
            version,
            takes_additional,
            target,
            keys: SigningKeyCache::new(),
            last: Mutex::new(None),
        })
    }

    /// `oss2.Bucket(...).sign_url(...)`'s URL.
    #[pyo3(signature = (method, key, expires, headers=None, params=None, slash_safe=None, additional_headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign_url<'py>(
        slf: &Bound<'py, Self>,
        method: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        expires: &Bound<'py, PyAny>,
        headers: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyAny>>,
        slash_safe: Option<&Bound<'py, PyAny>>,
        additional_headers: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let no = PyBool::new(py, false).to_owned().into_any();
        let slash_safe = slash_safe.unwrap_or(&no);
        let core = slf.get();
        let go_general = || {
            general(
                slf,
                method,
                key,
                expires,
                headers,
                params,
                slash_safe,
                additional_headers,
            )
        };
        let Some(plain) = Plain::read(
            core,
            method,
            expires,
            headers,
            params,
            slash_safe,
            additional_headers,
        ) else {
            return go_general();
        };
        let Some(text) = key_text(key, core.target.verify_object_strict)? else {
            return go_general();
        };
        let Some(creds) = core.credentials(py)? else {
            return go_general();
        };
        let Some(batch) = core.batch_for_one(&plain, creds) else {
            return go_general();
        };
        let mut url = String::new();
        let mut scratch = Vec::new();
        batch.sign_into(text, &mut scratch, &mut url);
        Ok(PyString::new(py, &url).into_any())
    }

    /// `[sign_url(method, k, expires, ...) for k in keys]`, at one instant, with credentials
    /// read once, signed in Rust without the GIL across `threads` threads (None: every core).
    #[pyo3(signature = (method, keys, expires, headers=None, params=None, slash_safe=None, additional_headers=None, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign_urls<'py>(
        slf: &Bound<'py, Self>,
        method: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
        expires: &Bound<'py, PyAny>,
        headers: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyAny>>,
        slash_safe: Option<&Bound<'py, PyAny>>,
        additional_headers: Option<&Bound<'py, PyAny>>,
        threads: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let threads = match threads.filter(|t| !t.is_none()) {
            None => std::thread::available_parallelism().map_or(1, usize::from),
            Some(t) => {
                let n: i64 = if t.is_instance_of::<PyBool>() {
                    0
                } else {
                    t.extract().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "threads must be None or a positive int, not {}",
                            type_name(t)
                        ))
                    })?
                };
                if n < 1 {
                    return Err(PyValueError::new_err(format!(
                        "threads must be None or a positive int, not {t}"
                    )));
                }
                usize::try_from(n).unwrap_or(usize::MAX)
            }
        };
        let no = PyBool::new(py, false).to_owned().into_any();
        let slash_safe = slash_safe.unwrap_or(&no);
        // Hold every key: the iterable may be a generator, and the threads read the texts.
        let mut objects: Vec<Bound<'py, PyAny>> = Vec::new();
        for (i, item) in keys
            .try_iter()
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "keys must be an iterable of str or bytes, not {}",
                    type_name(keys)
                ))
            })?
            .enumerate()
        {
            let item = item?;
            if !(item.is_instance_of::<PyString>() || item.is_instance_of::<PyBytes>()) {
                return Err(PyTypeError::new_err(format!(
                    "keys must be str or bytes; item {i} is {}",
                    type_name(&item)
                )));
            }
            objects.push(item);
        }
        let core = slf.get();
        let general_all = || -> PyResult<Bound<'py, PyList>> {
            let out = PyList::empty(py);
            for key in &objects {
                out.append(general(
                    slf,
                    method,
                    key,
                    expires,
                    headers,
                    params,
                    slash_safe,
                    additional_headers,
                )?)?;
            }
            Ok(out)
        };
        let Some(plain) = Plain::read(
            core,
            method,
            expires,
            headers,
            params,
            slash_safe,
            additional_headers,
        ) else {
            return general_all();
        };
        let mut texts: Vec<&str> = Vec::with_capacity(objects.len());
        for key in &objects {
            match key_text(key, core.target.verify_object_strict)? {
                Some(t) => texts.push(t),
                // A bytes key that is not UTF-8, a str without UTF-8: raise what oss2 raises.
                None => {
                    general(
                        slf,
                        method,
                        key,
                        expires,
                        headers,
                        params,
                        slash_safe,
                        additional_headers,
                    )?;
                    return general_all();
                }
            }
        }
        if texts.is_empty() {
            return Ok(PyList::empty(py));
        }
        let Some(creds) = core.credentials(py)? else {
            return general_all();
        };
        let Some(batch) = core.batch(&plain, &creds) else {
            return general_all();
        };
        let out = list_of_none(py, texts.len())?;
        fill(py, &out, &batch, &texts, threads)?;
        Ok(out)
    }
}
