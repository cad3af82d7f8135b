//! The pyo3 bindings: the only code that knows Python. Reads oss2 `Request` objects, calls the
//! core, writes headers and params back.
//!
//! The credentials modules depend on each other one way only (`a → b`: `a` uses `b`):
//!
//! ```text
//! auth_* ─→ resolve ─→ refreshing ─→ sources ─→ convert
//!              │           │  └────────────────→ convert
//!              └───────────┴─→ credentials ─────→ convert
//! ```
//!
//! `convert` turns Python arguments into Rust values (seconds, expirations, str arguments);
//! `resolve` reads credentials from any provider, ossauth's own without a Python call. Below
//! them all sit `text`, `errors`, `exit` and `logs`; raw CPython calls live in `ffi` alone.

mod auth_base;
mod auth_methods;
mod auth_v1;
mod auth_v2;
mod auth_v4;
mod clock;
mod convert;
mod credentials;
mod errors;
mod exit;
mod explain;
mod ffi;
mod headers;
mod logs;
mod oss_v2;
mod params;
mod presigner;
pub(crate) mod refreshing;
mod request;
mod resolve;
mod sources;
mod text;

use pyo3::prelude::*;

/// Every heap block of the extension is wiped when freed: credentials pass through buffers of
/// ureq, serde_json and rustls that no `Zeroizing` can reach (see `crate::wiping_alloc`).
#[global_allocator]
static ALLOCATOR: crate::wiping_alloc::WipingAllocator = crate::wiping_alloc::WipingAllocator;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Core log records (refreshes, failures) go to `logging`, under the `ossauth` logger, by
    // way of a Python thread: see `logs`.
    logs::install();
    logs::register(m)?;
    exit::register(m)?;
    m.add_class::<credentials::PyCredentials>()?;
    m.add_class::<credentials::PyStaticProvider>()?;
    m.add_class::<credentials::PyEnvProvider>()?;
    m.add_class::<refreshing::PyRefreshing>()?;
    m.add_class::<refreshing::PyTicket>()?;
    m.add_class::<refreshing::PyPending>()?;
    m.add_class::<sources::PyRustSource>()?;
    sources::register(m)?;
    m.add_class::<auth_base::AuthBase>()?;
    m.add_class::<auth_v1::ProviderAuth>()?;
    m.add_class::<auth_v1::Auth>()?;
    m.add_class::<auth_v2::ProviderAuthV2>()?;
    m.add_class::<auth_v2::AuthV2>()?;
    m.add_class::<auth_v4::ProviderAuthV4>()?;
    m.add_class::<auth_v4::AuthV4>()?;
    m.add_class::<explain::SigningDetails>()?;
    m.add_class::<presigner::PresignerCore>()?;
    errors::register(m)?;
    oss_v2::register(m)?;
    m.add_function(wrap_pyfunction!(clock::_freeze_clock, m)?)?;
    m.add_function(wrap_pyfunction!(clock::_restore_clock, m)?)?;
    m.add_function(wrap_pyfunction!(clock::_now_micros, m)?)?;
    m.add_function(wrap_pyfunction!(params::_url_with_query, m)?)?;
    m.add_function(wrap_pyfunction!(credentials::_static_provider, m)?)?;
    Ok(())
}
