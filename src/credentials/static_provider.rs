use super::{Credentials, CredentialsError, Provide};

/// Fixed credentials: a RAM user's AccessKey, or an STS token refreshed by the caller.
#[derive(Debug, Clone)]
pub struct Static(pub Credentials);

impl Provide for Static {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.0.clone())
    }
}
