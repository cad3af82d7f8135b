//! What a source provides, [`Credentials`], and the trait every source implements, [`Provide`].

use super::{CredentialsError, Secret};

/// An AccessKey pair, optionally an STS token and its expiration.
///
/// The secret and token are zeroed on drop and never printed: `Debug` redacts them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    /// Seconds since the epoch.
    expiration: Option<i64>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: Option<String>,
        expiration: Option<i64>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: Secret::new(access_key_secret),
            security_token: security_token.map(Secret::new),
            expiration,
        }
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn access_key_secret(&self) -> &str {
        self.access_key_secret.as_str()
    }

    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_ref().map(Secret::as_str)
    }

    pub fn expiration(&self) -> Option<i64> {
        self.expiration
    }

    /// The AccessKey id with all but its first and last 4 characters masked, for display.
    pub fn masked_access_key_id(&self) -> String {
        mask(&self.access_key_id)
    }
}

/// `LTAI****************wxyz`: enough to tell keys apart, not enough to use one.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A source of credentials.
pub trait Provide: Send + Sync {
    fn provide(&self) -> Result<Credentials, CredentialsError>;
}

/// A shared source is a source (the default chain is both in its cache and asked which of its
/// sources worked).
impl<T: Provide + ?Sized> Provide for std::sync::Arc<T> {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_or_token() {
        let c = Credentials::new(
            "LTAIexampleid12",
            "s3cr3t-value",
            Some("tok3n-value".into()),
            Some(5),
        );
        let shown = format!("{c:?}");
        assert!(shown.contains("LTAIexampleid12"));
        assert!(!shown.contains("s3cr3t-value"));
        assert!(!shown.contains("tok3n-value"));
    }

    #[test]
    fn masking() {
        assert_eq!(mask("LTAI1234567890ab"), "LTAI********90ab");
        assert_eq!(mask("short"), "*****");
    }
}
