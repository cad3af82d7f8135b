//! The error every credential source returns.

use std::borrow::Cow;
use std::fmt;

/// What kind of failure a [`CredentialsError`] is; Python raises one subclass of
/// `ossauth.CredentialsError` per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The source is simply absent (no such file, no variable set), as opposed to present and
    /// failing: the default chain lists such sources apart, as "not configured".
    NotConfigured,
    /// The source is present but its configuration is invalid (a bad role ARN, a bad profile or
    /// file, a wrong type, a missing required option). Retrying will not help until it changes.
    Config,
    /// The service answered, with an error: an error code, an HTTP error status, or a
    /// malformed, incomplete or expired answer.
    Service,
    /// The service could not be reached or did not answer in time: connect or read failure,
    /// DNS, TLS, timeouts (including a refresh that did not finish within the provider's timeout).
    Transport,
}

/// Why credentials could not be had: which source, what went wrong, and what kind of failure it
/// is. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub source: Cow<'static, str>,
    pub message: String,
    pub kind: ErrorKind,
}

impl CredentialsError {
    pub fn new(
        kind: ErrorKind,
        source: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        CredentialsError {
            source: source.into(),
            message: message.into(),
            kind,
        }
    }

    /// An error saying that the source is not set up at all ([`ErrorKind::NotConfigured`]).
    pub fn not_configured(
        source: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::NotConfigured, source, message)
    }

    /// An invalid configuration ([`ErrorKind::Config`]).
    pub fn config(source: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, source, message)
    }

    /// The service answered with an error ([`ErrorKind::Service`]).
    pub fn service(source: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Service, source, message)
    }

    /// The service could not be reached, or not in time ([`ErrorKind::Transport`]).
    pub fn transport(source: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transport, source, message)
    }

    /// The source is simply absent (see [`ErrorKind::NotConfigured`]): the default chain lists
    /// such sources apart.
    pub fn is_not_configured(&self) -> bool {
        self.kind == ErrorKind::NotConfigured
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for CredentialsError {}
