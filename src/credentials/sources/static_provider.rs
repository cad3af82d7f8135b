//! Fixed credentials: a RAM user's AccessKey, or an STS token refreshed by the caller.

use crate::credentials::context::Context;
use crate::credentials::{Credentials, CredentialsError, Provide, Secret};

/// An AccessKey, with a security token for an STS token.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct StaticOptions {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
}

/// Fixed credentials: a RAM user's AccessKey, or an STS token refreshed by the caller.
#[derive(Debug, Clone)]
pub struct Static(pub Credentials);

impl Static {
    pub fn new(options: StaticOptions, _ctx: &Context) -> Self {
        Static(Credentials::new(
            options.access_key_id,
            options.access_key_secret.as_str(),
            options.security_token.map(|t| t.as_str().to_owned()),
            None,
        ))
    }
}

impl Provide for Static {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.0.clone())
    }
}
