//! ossauth: Alibaba Cloud OSS request signing (V1, V2, V4) and credentials.
//!
//! Layers, data flowing down only:
//! - [`sign`]: pure signing, request view -> canonical strings -> signature.
//! - [`credentials`]: credentials, the provider trait and its sources.
//! - [`clock`]: the one place time is read; tests freeze it.
//! - `python` (feature `python`): the pyo3 bindings, the only code that knows Python.

// Every `unsafe` block states, in a `// SAFETY:` comment, why its contract holds: the FFI and
// the UTF-8 shortcuts are only as sound as that argument, and a reviewer should not have to
// rebuild it.
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod clock;
pub mod credentials;
pub mod sign;
pub mod wiping_alloc;

#[cfg(feature = "python")]
mod python;
