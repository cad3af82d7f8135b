//! Pure signing: a [`SignableRequest`] in, canonical strings and signatures out. No I/O, no
//! clock: callers pass the instant, so every stage is testable against fixed vectors.

pub mod encode;
pub mod key_cache;
pub mod keyed_mac;
pub mod name_set;
pub mod oss_v2;
pub mod presign;
pub mod request;
pub mod time_format;
pub mod v1;
pub mod v2;
pub mod v4;

pub use key_cache::SigningKeyCache;
pub use keyed_mac::KeyedMac;
pub use name_set::NameSet;
pub use request::{Header, Param, SignableRequest};
pub use time_format::UtcDateTime;
