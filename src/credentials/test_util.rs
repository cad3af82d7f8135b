//! Fakes shared by the credentials tests: an environment from pairs, an HTTP client that
//! answers with a closure and records what it was sent, a scratch directory, STS query helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::context::{Clients, Context, Fs, Lookup};
use super::file::ReadError;
use super::http::{HttpClient, HttpError, Limits, Request, Response};

/// An environment made of `pairs`, for tests of what the sources read from it.
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// A [`Context`] with the environment `pairs` and `http` for every request.
pub fn context(pairs: &[(&str, &str)], http: Arc<dyn HttpClient>) -> Context {
    let lookup: Lookup = Arc::new(env(pairs));
    Context::with(lookup, Clients::same(http))
}

type Answer = Box<dyn Fn(&Request) -> Result<Response, HttpError> + Send + Sync>;

/// A fake [`HttpClient`]: answers with a closure and keeps every request it saw.
pub struct FakeHttp {
    answer: Answer,
    pub seen: Mutex<Vec<Request>>,
}

impl FakeHttp {
    pub fn new(
        answer: impl Fn(&Request) -> Result<Response, HttpError> + Send + Sync + 'static,
    ) -> Self {
        FakeHttp {
            answer: Box::new(answer),
            seen: Mutex::new(Vec::new()),
        }
    }

    /// Always the same status and body.
    pub fn fixed(status: u16, body: &str) -> Self {
        let body = body.as_bytes().to_vec();
        Self::new(move |_| {
            Ok(Response {
                status,
                body: body.clone(),
            })
        })
    }

    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

impl HttpClient for FakeHttp {
    fn send(&self, request: &Request, _limits: &Limits) -> Result<Response, HttpError> {
        self.seen.lock().unwrap().push(request.clone());
        (self.answer)(request)
    }
}

/// Decodes `%XX` (and nothing else: RPC queries never use `+`).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The decoded query parameters of a URL, in order.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let (_, q) = url.split_once('?').expect("a query");
    q.split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A successful STS AssumeRole answer.
pub const OK_BODY: &str = r#"{"RequestId":"6894B13B-6D71-4EF5-88FA-F32781734A7F",
        "AssumedRoleUser":{"Arn":"acs:ram::123456789012:role/test-role/s","AssumedRoleId":"34458:s"},
        "Credentials":{"SecurityToken":"CAIS-new-token","AccessKeyId":"STS.NUgYrLnoC37mZZCNnAbez2",
        "AccessKeySecret":"new-secret-value","Expiration":"2024-05-01T13:00:00Z"}}"#;

/// A scratch directory of its own (no tempfile crate here), removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ossauth-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes `content` to `name` in the directory; its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Files held in memory, for a [`Context`] that never touches the disk.
#[derive(Default)]
pub struct MemFs(pub Mutex<HashMap<PathBuf, String>>);

impl MemFs {
    pub fn with(files: &[(&str, &str)]) -> Self {
        MemFs(Mutex::new(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect(),
        ))
    }
}

impl Fs for MemFs {
    fn read_text(&self, path: &Path, cap: u64) -> Result<zeroize::Zeroizing<String>, ReadError> {
        let files = self.0.lock().unwrap();
        let text = files.get(path).ok_or_else(|| {
            ReadError::Missing(std::io::Error::from(std::io::ErrorKind::NotFound))
        })?;
        if text.len() as u64 > cap {
            return Err(ReadError::TooLarge(cap));
        }
        Ok(zeroize::Zeroizing::new(text.clone()))
    }

    fn exists(&self, path: &Path) -> bool {
        self.0.lock().unwrap().contains_key(path)
    }
}
