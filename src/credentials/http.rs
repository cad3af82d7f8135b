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

    /// The URL as errors show it, see [`shown_url`].
    pub fn display_url(&self) -> String {
        shown_url(&self.url)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.display_url())
    }
}

/// A URL for messages: without its query and fragment (signatures, tokens) and without a
/// `user:password@` part.
pub fn shown_url(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_string(),
    }
}

/// The status and the (size-capped) body. Non-2xx statuses are responses, not errors: each
/// source decides what a 404 means.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Bodies carry secrets (STS and IMDS answers): `Debug` shows only their size.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({}, {} bytes)", self.status, self.body.len())
    }
}

/// Bodies carry secrets (STS and IMDS answers): zeroed when dropped, as `Credentials` are.
impl Drop for Response {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

/// Sends one request, blocking. Called without the GIL.
pub trait HttpClient: Send + Sync {
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, HttpError>;
}

/// The real client: ureq with rustls (webpki roots). Proxies come from the environment
/// (`HTTPS_PROXY`, ...) unless [`direct`](Self::direct); redirects are not followed.
#[derive(Debug, Clone, Default)]
pub struct UreqClient {
    direct: bool,
}

impl UreqClient {
    /// Never through a proxy: the instance metadata service is link-local.
    pub fn direct() -> Self {
        UreqClient { direct: true }
    }

    fn agent(&self, limits: &Limits, url: &ureq::http::Uri) -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(limits.connect_timeout))
            // The whole exchange is bounded: a server that trickles bytes cannot stall a
            // refresh past connect + read.
            .timeout_global(Some(limits.connect_timeout + limits.read_timeout))
            .user_agent(concat!("ossauth/", env!("CARGO_PKG_VERSION")))
            .proxy(if self.direct {
                None
            } else {
                env_proxy(url, |n| std::env::var(n).ok())
            })
            .build()
            .into()
    }
}

/// The proxy for `url` as curl and Python's requests choose it: `HTTPS_PROXY` for https,
/// `HTTP_PROXY` for http, else `ALL_PROXY` (upper or lower case), unless `NO_PROXY` lists the
/// host (`*`, the host, or a domain it is in).
fn env_proxy(url: &ureq::http::Uri, env: impl Fn(&str) -> Option<String>) -> Option<ureq::Proxy> {
    let host = url.host()?.trim_start_matches('[').trim_end_matches(']');
    let var = |name: &str| {
        env(name)
            .or_else(|| env(&name.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    if let Some(list) = var("NO_PROXY") {
        let excluded = list.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.');
            entry == "*"
                || (!entry.is_empty()
                    && (host.eq_ignore_ascii_case(entry)
                        || host
                            .to_ascii_lowercase()
                            .ends_with(&format!(".{}", entry.to_ascii_lowercase()))))
        });
        if excluded {
            return None;
        }
    }
    let first = if url.scheme_str() == Some("https") {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    let proxy = var(first).or_else(|| var("ALL_PROXY"))?;
    ureq::Proxy::new(&proxy).ok()
}

/// A URL ureq will send exactly as given: http(s), a host, and a port that is a port
/// (`http::Uri` accepts `:99999` and ureq would then fall back to the default port).
fn checked_uri(url: &str) -> Result<ureq::http::Uri, String> {
    let uri: ureq::http::Uri = url.parse().map_err(|_| "not a valid URL".to_string())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err("not an http:// or https:// URL".into());
    }
    let authority = uri
        .authority()
        .ok_or_else(|| "the URL has no host".to_string())?;
    if authority.host().is_empty() {
        return Err("the URL has no host".into());
    }
    let text = authority.as_str();
    let after_host = text.rsplit_once(']').map_or(text, |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':') {
        if port.parse::<u16>().is_err() {
            return Err(format!("{port:?} is not a port number"));
        }
    }
    Ok(uri)
}

impl HttpClient for UreqClient {
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, HttpError> {
        // `what` may quote the server (a malformed header's text): escaped like all such text.
        let fail = |what: String| {
            HttpError(format!(
                "{} {}: {}",
                request.method,
                request.display_url(),
                super::service_text::escaped(&what, 300)
            ))
        };
        let uri = checked_uri(&request.url).map_err(fail)?;
        let agent = self.agent(limits, &uri);
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(uri);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = request.body.clone().unwrap_or_default();
        let http_request = builder
            .body(body)
            .map_err(|_| fail("not a valid request (check the URL)".into()))?;
        let mut response = agent
            .run(http_request)
            .map_err(|e| fail(describe(&e, limits)))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(limits.max_body as u64)
            .read_to_vec()
            .map_err(|e| fail(describe(&e, limits)))?;
        Ok(Response { status, body })
    }
}

fn timed_out(limits: &Limits) -> String {
    format!(
        "timed out (connect timeout {:?}; the whole exchange may take connect + read timeout, {:?})",
        limits.connect_timeout,
        limits.connect_timeout + limits.read_timeout
    )
}

/// ureq's errors in words that never repeat the URL (its query may hold a signature).
fn describe(e: &ureq::Error, limits: &Limits) -> String {
    use ureq::Error;
    match e {
        Error::Timeout(_) => timed_out(limits),
        Error::BodyExceedsLimit(_) => format!(
            "the response body is larger than the {} bytes allowed",
            limits.max_body
        ),
        Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => timed_out(limits),
            std::io::ErrorKind::UnexpectedEof => {
                "the connection closed before the whole response arrived".into()
            }
            // TLS failures (an untrusted certificate...) arrive as InvalidData around
            // rustls' own error, which names the problem and never the URL.
            std::io::ErrorKind::InvalidData if io.get_ref().is_some() => format!(
                "TLS error ({})",
                io.get_ref().map(|e| e.to_string()).unwrap_or_default()
            ),
            // e.g. a name that does not resolve: the resolver's words ("Name or service not
            // known") say it; they never hold the URL.
            kind => match io.get_ref() {
                Some(inner) => format!("I/O error ({kind}: {inner})"),
                None => format!("I/O error ({kind}: {io})"),
            },
        },
        Error::HostNotFound => "host not found".into(),
        Error::ConnectionFailed => "connection failed".into(),
        Error::BadUri(_) => "not a valid URL".into(),
        Error::Protocol(p) => format!("protocol error ({p})"),
        Error::Tls(t) => format!("TLS error ({t})"),
        Error::Rustls(t) => format!("TLS error ({t})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::env;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    /// Serves one connection on 127.0.0.1 with `reply(request_head)`; returns the base URL.
    fn serve_once(reply: impl FnOnce(&str, &mut std::net::TcpStream) + Send + 'static) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            reply(&String::from_utf8_lossy(&head), &mut stream);
        });
        url
    }

    /// For answers that do arrive: generous, a loaded machine is slow.
    fn quick() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_body: 1024,
        }
    }

    #[test]
    fn non_2xx_is_a_response_and_headers_are_sent() {
        let url = serve_once(|head, s| {
            let ok = head.starts_with("PUT /latest/api/token ") && head.contains("x-test: 21600");
            let status = if ok {
                "404 Not Found"
            } else {
                "400 Bad Request"
            };
            let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: 4\r\n\r\nnope");
        });
        let req = Request::new("PUT", format!("{url}/latest/api/token")).header("X-Test", "21600");
        let resp = UreqClient::direct().send(&req, &quick()).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (404, &b"nope"[..]));
    }

    #[test]
    fn oversized_bodies_are_an_error() {
        let url = serve_once(|_, s| {
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            let _ = s.write_all(&[b'a'; 100000]);
        });
        let e = UreqClient::direct()
            .send(
                &Request::new("GET", format!("{url}/x?Signature=abc")),
                &quick(),
            )
            .unwrap_err();
        assert!(e.0.contains("larger than the 1024 bytes"), "{e}");
        assert!(e.0.contains("/x") && !e.0.contains("Signature"), "{e}");
    }

    #[test]
    fn slow_servers_time_out_within_the_limits() {
        // The server answers long after every limit here: only the read timeout ends the call.
        let url = serve_once(|_, s| {
            std::thread::sleep(Duration::from_secs(600));
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        });
        // (The kernel accepts a local connection at once, however loaded the machine is.)
        let limits = Limits {
            connect_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_millis(500),
            ..quick()
        };
        let start = Instant::now();
        let e = UreqClient::direct()
            .send(&Request::new("GET", url), &limits)
            .unwrap_err();
        assert!(e.0.contains("timed out"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn shown_urls_hide_queries_and_passwords() {
        assert_eq!(shown_url("http://u:pw@h:1/p?q=s#f"), "http://h:1/p");
        assert_eq!(shown_url("https://h/a@b?x"), "https://h/a@b");
        assert_eq!(shown_url("h:1/p"), "h:1/p");
    }

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        assert!(checked_uri("http://127.0.0.1:8080/c?x=1").is_ok());
        assert!(checked_uri("http://[::1]:8080/c").is_ok());
        assert_eq!(
            checked_uri("http://127.0.0.1:65616/c?token=s").unwrap_err(),
            "\"65616\" is not a port number"
        );
        assert!(checked_uri("http://").is_err());
        assert!(checked_uri("ftp://h/").is_err());
        let e = UreqClient::default()
            .send(
                &Request::new("GET", "http://127.0.0.1:99999/c?token=s"),
                &quick(),
            )
            .unwrap_err();
        assert_eq!(
            e.0,
            "GET http://127.0.0.1:99999/c: \"99999\" is not a port number"
        );
    }

    #[test]
    fn proxies_by_scheme_and_no_proxy() {
        let uri = |u: &str| u.parse::<ureq::http::Uri>().unwrap();
        let https_only = env(&[("HTTPS_PROXY", "http://proxy:3128")]);
        assert!(env_proxy(&uri("https://sts.aliyuncs.com/"), &https_only).is_some());
        assert!(env_proxy(&uri("http://127.0.0.1:9/creds"), &https_only).is_none());
        let all = env(&[
            ("all_proxy", "http://proxy:3128"),
            ("no_proxy", "localhost,.internal"),
        ]);
        assert!(env_proxy(&uri("http://127.0.0.1:9/"), &all).is_some());
        assert!(env_proxy(&uri("http://localhost:9/"), &all).is_none());
        assert!(env_proxy(&uri("https://sts.corp.internal/"), &all).is_none());
        assert!(env_proxy(&uri("https://sts.aliyuncs.com/"), env(&[])).is_none());
    }

    #[test]
    fn refused_connections_say_so() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = UreqClient::direct()
            .send(
                &Request::new("GET", format!("http://127.0.0.1:{port}/")),
                &quick(),
            )
            .unwrap_err();
        assert!(e.0.contains("connection refused"), "{e}");
    }
}
