//! [`Secret`]: a string that is zeroed when dropped and never printed, so that the types holding
//! one (credentials, profile specs) can derive `Debug`.

use std::fmt;

use zeroize::Zeroizing;

/// What `Debug` shows in place of a secret.
pub const REDACTED: &str = "**redacted**";

/// An AccessKey secret, a security token, an OIDC token...: zeroed on drop; `Debug` prints
/// `"**redacted**"`. Read it with [`Secret::as_str`], only where it is used.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(REDACTED, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("s3cr3t");
        assert_eq!(format!("{s:?}"), "\"**redacted**\"");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(\"**redacted**\")");
        assert_eq!(s.as_str(), "s3cr3t");
    }
}
