use std::fmt;

/// Why credentials could not be had: which source, and what went wrong. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub source: &'static str,
    pub message: String,
}

impl CredentialsError {
    pub fn new(source: &'static str, message: impl Into<String>) -> Self {
        CredentialsError {
            source,
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
