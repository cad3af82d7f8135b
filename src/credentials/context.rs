//! The one seam between the sources and the world: the environment, files, HTTP and the clock.
//! Every source is built from its options and a [`Context`]; production passes
//! [`Context::process`], tests a map, a fake HTTP client and, where time matters, a fixed clock.

use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::file::{self, ReadError};
use super::http::{HttpClient, UreqClient};

/// The environment as the sources read it; tests pass a map.
pub type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Empty means unset, for options and environment variables alike (as alibabacloud_credentials
/// treats them): the one place that rule is written.
pub fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// [`given`] for values used trimmed (endpoints, URIs, role names): blank means unset too.
pub fn given_trimmed(value: Option<impl AsRef<str>>) -> Option<String> {
    value
        .map(|v| v.as_ref().trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Local files, read through [`file`](mod@super::file)'s rules (regular files only, capped,
/// never blocking).
pub trait Fs: Send + Sync {
    fn read_text(&self, path: &Path, cap: u64) -> Result<Zeroizing<String>, ReadError>;
    fn exists(&self, path: &Path) -> bool;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl Fs for RealFs {
    fn read_text(&self, path: &Path, cap: u64) -> Result<Zeroizing<String>, ReadError> {
        file::read_regular_text(path, cap)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
}

/// The HTTP clients sources use: `metadata` for the ECS metadata service, which must never be
/// reached through a proxy (it would get the instance's role credentials); `http` for STS and
/// credentials URIs.
#[derive(Clone)]
pub struct Clients {
    pub http: Arc<dyn HttpClient>,
    pub metadata: Arc<dyn HttpClient>,
}

impl Clients {
    /// One client for both (tests with a fake).
    pub fn same(http: Arc<dyn HttpClient>) -> Self {
        Clients {
            metadata: http.clone(),
            http,
        }
    }

    /// ureq, through the environment's proxy for `http`, never for `metadata`.
    pub fn real() -> Self {
        Clients {
            http: Arc::new(UreqClient::default()),
            metadata: Arc::new(UreqClient::direct()),
        }
    }
}

/// Whole seconds since the epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What a source may reach: handed to every source when it is built.
#[derive(Clone)]
pub struct Context {
    pub env: Lookup,
    pub fs: Arc<dyn Fs>,
    pub http: Clients,
    pub clock: Clock,
}

impl Context {
    /// The process environment, the real file system, ureq and [`crate::clock`] (which Python
    /// tests freeze).
    pub fn process() -> Self {
        Context {
            env: Arc::new(|name| given(std::env::var(name).ok())),
            fs: Arc::new(RealFs),
            http: Clients::real(),
            clock: Arc::new(crate::clock::now_secs),
        }
    }

    /// `env` and `http` (for both clients), with the real file system and clock.
    pub fn with(env: Lookup, http: Clients) -> Self {
        Context {
            env,
            http,
            ..Context::process()
        }
    }

    /// The environment variable `name`; empty means unset.
    pub fn var(&self, name: &str) -> Option<String> {
        given((self.env)(name))
    }

    /// Whether `name` is `true` (any case, surrounding spaces ignored).
    pub fn var_is_true(&self, name: &str) -> bool {
        self.var(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    pub fn now_secs(&self) -> i64 {
        (self.clock)()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::{context, FakeHttp};

    #[test]
    fn empty_variables_are_unset() {
        let ctx = context(
            &[("A", ""), ("B", "x"), ("T", " TRUE ")],
            Arc::new(FakeHttp::fixed(200, "")),
        );
        assert_eq!(ctx.var("A"), None);
        assert_eq!(ctx.var("B").as_deref(), Some("x"));
        assert_eq!(ctx.var("C"), None);
        assert!(ctx.var_is_true("T") && !ctx.var_is_true("B"));
        assert_eq!(given(Some(String::new())), None);
        assert_eq!(given_trimmed(Some(" \t")), None);
        assert_eq!(given_trimmed(Some(" a ")).as_deref(), Some("a"));
    }
}
