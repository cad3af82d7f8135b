//! ossauth: Alibaba Cloud OSS request signing (V1, V2, V4) and credentials.
//!
//! Layers, data flowing down only:
//! - [`sign`]: pure signing, request view -> canonical strings -> signature.
//! - [`credentials`]: credentials, the provider trait and its sources.
//! - [`clock`]: the one place time is read; tests freeze it.
//! - `python` (feature `python`): the pyo3 bindings, the only code that knows Python.

pub mod clock;
pub mod credentials;
pub mod sign;
pub mod wiping_alloc;

#[cfg(feature = "python")]
mod python;
