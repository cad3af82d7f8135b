//! The error every credential source returns.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// What caused an error: another source's error, or the HTTP client's. A `Deref` to the error
/// rather than an error itself (as `Arc<dyn Error>` would be), so that the derived
/// [`std::error::Error::source`] returns the cause itself, which callers downcast.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Deref for Cause {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// The cause's own `Debug`, as when it was a bare `Arc`.
impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

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
/// is, with what caused it, if anything did ([`std::error::Error::source`]; its text is already
/// in the message). Never holds a secret. Equal when source, message and kind are.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{source}: {message}")]
pub struct CredentialsError {
    /// The credential source's name (not the cause: that is `cause`, marked `#[source]`).
    pub source: Cow<'static, str>,
    pub message: String,
    pub kind: ErrorKind,
    #[source]
    cause: Option<Cause>,
}

impl PartialEq for CredentialsError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.source == other.source && self.message == other.message
    }
}

impl Eq for CredentialsError {}

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
            cause: None,
        }
    }

    /// The same error, caused by `cause`.
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Cause(Arc::new(cause)));
        self
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn the_cause_chain() {
        let inner = CredentialsError::transport("ECS RAM role", "connection refused");
        let outer = CredentialsError::new(
            inner.kind,
            "RAM role ARN (acs:ram::1:role/r)",
            format!("source credentials failed: {inner}"),
        )
        .caused_by(inner.clone());
        let cause = outer.source().expect("a cause");
        assert_eq!(cause.to_string(), "ECS RAM role: connection refused");
        let cause = cause
            .downcast_ref::<CredentialsError>()
            .expect("the inner error");
        assert_eq!(cause, &inner);
        assert!(cause.source().is_none());
        // Equality ignores the cause.
        assert_eq!(outer.clone().caused_by(inner.clone()), outer);
    }
}
