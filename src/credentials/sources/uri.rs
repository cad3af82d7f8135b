//! Credentials URI: `GET` a URL (`ALIBABA_CLOUD_CREDENTIALS_URI`) that answers the flat
//! credentials document, as sidecars and credential agents do. One request per
//! [`Provide::provide`], no retries of its own.

use std::fmt;
use std::sync::Arc;

use crate::credentials::context::{given_trimmed, Context};
use crate::credentials::http::{HttpClient, Limits, Request};
use crate::credentials::{flat_json, Credentials, CredentialsError, Provide, REDACTED};

const SOURCE: &str = "credentials URI";

/// What the caller or a profile sets.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct UriOptions {
    /// Else `ALIBABA_CLOUD_CREDENTIALS_URI`; required. May hold a token in its query: shown
    /// without it (see [`source_name`]).
    pub uri: Option<String>,
    pub limits: Limits,
}

pub struct Uri {
    url: String,
    name: String,
    limits: Limits,
    http: Arc<dyn HttpClient>,
}

/// The URI's query may carry a token: shown without it.
impl fmt::Debug for UriOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UriOptions")
            .field("uri", &self.uri.as_deref().map(without_query))
            .field("limits", &self.limits)
            .finish()
    }
}

/// `uri` without its query, `?**redacted**` marking where it was.
pub fn without_query(uri: &str) -> String {
    let shown = crate::credentials::http::shown_url(uri);
    if uri.contains(['?', '#']) {
        format!("{shown}?{REDACTED}")
    } else {
        shown
    }
}

impl Uri {
    /// `options` resolved against the context's environment, fetched through its HTTP client.
    pub fn from_options(options: UriOptions, ctx: &Context) -> Result<Self, CredentialsError> {
        Self::new(
            options.uri,
            |name| (ctx.env)(name),
            options.limits,
            ctx.http.http.clone(),
        )
    }

    /// `uri`, else `ALIBABA_CLOUD_CREDENTIALS_URI` from `lookup`; it must be http(s).
    pub fn new(
        uri: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
        limits: Limits,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self, CredentialsError> {
        let url = given_trimmed(uri.or_else(|| lookup("ALIBABA_CLOUD_CREDENTIALS_URI")))
            .ok_or_else(|| {
                CredentialsError::config(
                    SOURCE,
                    "no URI: pass uri= or set ALIBABA_CLOUD_CREDENTIALS_URI",
                )
            })?;
        let name = source_name(&url);
        let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
        if !url.contains("://") || !(scheme == "http" || scheme == "https") {
            return Err(CredentialsError::config(
                name,
                "the URI must start with http:// or https://",
            ));
        }
        Ok(Uri {
            url,
            name,
            limits,
            http,
        })
    }

    pub fn source_name(&self) -> &str {
        &self.name
    }

    /// The values in the URI's query (an agent's token, say): an error quoting the server's
    /// message must not repeat them.
    fn query_values(&self) -> Vec<&str> {
        let query = self.url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split('#').next().unwrap_or("");
        query
            .split('&')
            .filter_map(|pair| pair.split_once('=').map(|(_, v)| v))
            .filter(|v| v.len() >= 4)
            .collect()
    }
}

/// `credentials URI (http://host/path)`, without the query or a password (either may hold a
/// secret).
pub fn source_name(url: &str) -> String {
    format!("{SOURCE} ({})", crate::credentials::http::shown_url(url))
}

impl Provide for Uri {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        let response = self
            .http
            .send(&Request::new("GET", self.url.clone()), &self.limits)
            .map_err(|e| {
                CredentialsError::transport(self.name.clone(), e.to_string()).caused_by(e)
            })?;
        flat_json::parse(
            &self.name,
            "the credentials URI",
            response.status,
            &response.body,
        )
        .map_err(|e| crate::credentials::sts::redact(e, &self.query_values()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::FakeHttp;

    #[test]
    fn reads_the_environment_and_hides_the_query() {
        let http = Arc::new(FakeHttp::fixed(
            200,
            r#"{"Code":"Success","AccessKeyId":"STS.u","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2024-05-01T12:00:00Z"}"#,
        ));
        let env = |k: &str| {
            (k == "ALIBABA_CLOUD_CREDENTIALS_URI")
                .then(|| "http://agent.local/creds?key=abc".into())
        };
        let uri = Uri::new(None, env, Limits::default(), http.clone()).unwrap();
        assert_eq!(
            uri.source_name(),
            "credentials URI (http://agent.local/creds)"
        );
        assert_eq!(uri.provide().unwrap().access_key_id(), "STS.u");
        assert_eq!(http.requests()[0].url, "http://agent.local/creds?key=abc");
    }

    #[test]
    fn errors_never_repeat_the_query() {
        let http = Arc::new(FakeHttp::fixed(
            400,
            r#"{"Code":"Denied","Message":"token agent-s3cret is not valid"}"#,
        ));
        let none = |_: &str| None;
        let uri = Uri::new(
            Some("http://agent/creds?token=agent-s3cret".into()),
            none,
            Limits::default(),
            http,
        )
        .unwrap();
        let e = uri.provide().unwrap_err();
        assert!(e.message.contains("token **redacted** is not valid"), "{e}");
    }

    #[test]
    fn missing_or_odd_uris_are_errors() {
        let http = Arc::new(FakeHttp::fixed(500, ""));
        let none = |_: &str| None;
        let e = Uri::new(None, none, Limits::default(), http.clone())
            .err()
            .unwrap();
        assert!(e.message.contains("ALIBABA_CLOUD_CREDENTIALS_URI"), "{e}");
        let e = Uri::new(
            Some("file:///etc/passwd".into()),
            none,
            Limits::default(),
            http.clone(),
        );
        assert!(e.err().unwrap().message.contains("http:// or https://"));
        let uri = Uri::new(Some("http://x/".into()), none, Limits::default(), http).unwrap();
        assert!(uri.provide().unwrap_err().message.contains("HTTP 500"));
    }
}
