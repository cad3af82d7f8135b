//! The error every credential source returns.

use std::borrow::Cow;
use std::fmt;

/// Why credentials could not be had: which source, and what went wrong. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub source: Cow<'static, str>,
    pub message: String,
    /// The source is simply absent (no such file, no variable set), as opposed to present and
    /// failing: the default chain lists such sources apart, as "not configured".
    pub not_configured: bool,
}

impl CredentialsError {
    pub fn new(source: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        CredentialsError {
            source: source.into(),
            message: message.into(),
            not_configured: false,
        }
    }

    /// An error saying that the source is not set up at all (see [`Self::not_configured`]).
    pub fn not_configured(
        source: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        CredentialsError {
            not_configured: true,
            ..Self::new(source, message)
        }
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for CredentialsError {}
