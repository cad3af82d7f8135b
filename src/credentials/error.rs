use std::borrow::Cow;
use std::fmt;

/// Why credentials could not be had: which source, and what went wrong. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub source: Cow<'static, str>,
    pub message: String,
}

impl CredentialsError {
    pub fn new(source: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        CredentialsError {
            source: source.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for CredentialsError {}
