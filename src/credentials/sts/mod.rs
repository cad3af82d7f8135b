//! What the STS sources (RAM role ARN, OIDC role ARN) share: the RPC signature ([`rpc`]), the
//! endpoint ([`endpoint`]), the session's options ([`session`]), the call and its answer
//! ([`response`]).
//!
//! Queries hold tokens and signatures: errors name the URL without its query
//! ([`Request::display_url`](crate::credentials::http::Request::display_url)), never a
//! parameter.

pub mod endpoint;
pub mod response;
pub mod rpc;
pub mod session;

pub use endpoint::*;
pub use response::*;
pub use rpc::*;
pub use session::*;
