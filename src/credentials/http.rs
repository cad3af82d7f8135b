//! The small HTTP seam every network source goes through: a request, a response, a client
//! trait. Sources are tested with a fake client in Rust and end to end (ureq) against local
//! servers. The client never retries: the refreshing cache owns retry and backoff.

use std::fmt;
use std::time::Duration;

/// One HTTP request. Header values and bodies may hold secrets (STS form bodies do):
/// `Debug` shows only the method and the URL without its query.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The URL without its query string, for error messages (queries carry signatures).
    pub fn display_url(&self) -> &str {
        self.url.split('?').next().unwrap_or(&self.url)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.display_url())
    }
}

/// The status and the (size-capped) body. Non-2xx statuses are responses, not errors: each
/// source decides what a 404 means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Limits every request obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// For the whole response, headers and body.
    pub read_timeout: Duration,
    /// Bodies larger than this are an error, not read to the end.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            max_body: 1 << 20,
        }
    }
}

/// Why a request got no response: connection refused, timeout, oversized body... The text
/// names the URL without its query and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError(pub String);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// Sends one request, blocking. Called without the GIL.
pub trait HttpClient: Send + Sync {
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, HttpError>;
}
