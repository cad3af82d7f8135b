//! Credentials and their sources: [`Credentials`] and [`Provide`] (in `provide.rs`), the
//! refreshing [`cache`], the [`chain`]s, one file per source in [`sources`], what they share in
//! [`context`], [`sts`] and [`profile`]. ARCHITECTURE.md has the picture.

mod arn;
pub mod cache;
pub mod chain;
pub mod context;
pub mod default_chain;
mod error;
mod expiration;
pub mod file;
mod flat_json;
pub mod http;
pub mod profile;
mod provide;
mod secret;
pub mod service_text;
pub mod sources;
pub mod sts;
#[cfg(test)]
pub(crate) mod test_util;
mod wiped_json;

pub use arn::check_role_arn;
pub use cache::{Fetched, RefreshingCache};
pub use error::{CredentialsError, ErrorKind};
pub use expiration::parse_iso8601;
pub use provide::{mask, Credentials, Provide};
pub use secret::{Secret, REDACTED};
pub use sources::{ecs_ram_role, env, oidc, ram_role_arn, static_provider, uri};
pub use static_provider::Static;
