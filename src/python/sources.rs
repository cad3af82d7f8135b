//! The Rust credential sources, handed to `CachedProvider` as `_RustSource` objects by the
//! Python classes in `ossauth/_sources.py`; and any Python provider as a Rust source (the
//! source credentials of a RAM role ARN).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::convert::seconds;
use super::errors::credentials_error;
use super::text::SecretArg;
use crate::credentials::chain::Chain;
use crate::credentials::context::{given, Context};
use crate::credentials::default_chain::default_chain;
use crate::credentials::ecs_ram_role::{EcsRamRole, EcsRamRoleOptions};
use crate::credentials::env::{Env, EnvOptions};
use crate::credentials::http::Limits;
use crate::credentials::oidc::{OidcRoleArn, OidcRoleArnOptions};
use crate::credentials::profile::{cli_config_path, ini_path, Profile, ProfileFile};
use crate::credentials::ram_role_arn::{RamRoleArn, RamRoleArnOptions};
use crate::credentials::static_provider::{Static, StaticOptions};
use crate::credentials::sts::RoleSessionOptions;
use crate::credentials::uri::{Uri, UriOptions};
use crate::credentials::{Credentials, CredentialsError, Provide, Secret};

/// A Rust source waiting to be put in a cache (taken by `CachedProvider.__new__`).
#[pyclass(frozen, module = "ossauth._core", name = "_RustSource")]
pub struct PyRustSource {
    source: Mutex<Option<Box<dyn Provide>>>,
    pub name: String,
    /// For the default chain: which source worked.
    pub chain: Option<Arc<Chain>>,
    /// For a RAM role whose `source=` is a Python provider.
    pub staged: Option<Staged>,
}

/// A RAM role whose source credentials come from a Python provider. No thread spawned by Rust
/// takes the GIL (see `logs`): Python calls the provider on a Python thread of its own, then
/// the role is assumed on a Rust thread with what it gave.
pub struct Staged {
    /// The provider's `get_credentials`.
    pub fetch: Py<PyAny>,
    pub role: StagedRole,
}

/// The second stage of a staged role: the role assumed with what the provider gave.
#[derive(Clone)]
pub struct StagedRole {
    pub role: Arc<RamRoleArn>,
    /// `<provider type>.get_credentials()`, for messages.
    pub name: String,
}

impl PyRustSource {
    pub fn new(name: String, source: Box<dyn Provide>) -> Self {
        PyRustSource {
            source: Mutex::new(Some(source)),
            name,
            chain: None,
            staged: None,
        }
    }

    pub fn chain(name: String, chain: Arc<Chain>) -> Self {
        PyRustSource {
            source: Mutex::new(Some(Box::new(chain.clone()))),
            name,
            chain: Some(chain),
            staged: None,
        }
    }

    pub fn take(&self) -> Option<Box<dyn Provide>> {
        self.source.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Where a role's source credentials come from: Rust, or a Python provider (`Staged`).
enum RoleSource {
    Rust(Arc<dyn Provide>),
    Python(Py<PyAny>),
}

/// Stands for a Python provider inside a staged role, whose credentials are handed over.
struct HandedOver;

impl Provide for HandedOver {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Err(CredentialsError::service(
            "source=",
            "a Python provider's credentials are handed over by its refresh thread",
        ))
    }
}

/// Connect and read timeouts in seconds, with the cap on response size.
fn limits(connect_timeout: f64, read_timeout: f64) -> PyResult<Limits> {
    Ok(Limits {
        connect_timeout: seconds(connect_timeout, "connect_timeout")?,
        read_timeout: seconds(read_timeout, "read_timeout")?,
        ..Limits::default()
    })
}

fn error(e: CredentialsError) -> PyErr {
    credentials_error(&e)
}

/// The source credentials of a role: an AccessKey given, a provider given, else the
/// environment.
fn role_source(
    access_key_id: Option<String>,
    access_key_secret: Option<SecretArg>,
    security_token: Option<SecretArg>,
    source: Option<Py<PyAny>>,
    ctx: &Context,
) -> PyResult<RoleSource> {
    let access_key_secret = access_key_secret.map(|s| s.0);
    let security_token = security_token.map(|s| s.0);
    match (access_key_id, access_key_secret, source) {
        (Some(id), Some(secret), None) => {
            let options = StaticOptions {
                access_key_id: id,
                access_key_secret: Secret::new(secret),
                security_token: security_token.map(Secret::new),
            };
            Ok(RoleSource::Rust(Arc::new(Static::new(options, ctx))))
        }
        (None, None, Some(p)) => Ok(RoleSource::Python(p)),
        (None, None, None) if security_token.is_some() => Err(PyValueError::new_err(
            "security_token= goes with access_key_id= and access_key_secret=",
        )),
        (None, None, None) => Ok(RoleSource::Rust(Arc::new(Env::new(
            EnvOptions::default(),
            ctx,
        )))),
        (_, _, Some(_)) => Err(PyValueError::new_err(
            "give either source= or access_key_id=/access_key_secret=, not both",
        )),
        _ => Err(PyValueError::new_err(
            "access_key_id= and access_key_secret= go together",
        )),
    }
}

#[pyfunction]
#[pyo3(signature = (role_arn=None, access_key_id=None, access_key_secret=None,
    security_token=None, source=None, role_session_name=None, policy=None, external_id=None,
    duration_seconds=None, sts_endpoint=None, sts_region=None, enable_vpc=None,
    connect_timeout=5.0, read_timeout=10.0))]
#[allow(clippy::too_many_arguments)]
fn _ram_role_arn_source(
    py: Python<'_>,
    role_arn: Option<String>,
    access_key_id: Option<String>,
    access_key_secret: Option<SecretArg>,
    security_token: Option<SecretArg>,
    source: Option<Py<PyAny>>,
    role_session_name: Option<String>,
    policy: Option<String>,
    external_id: Option<String>,
    duration_seconds: Option<u32>,
    sts_endpoint: Option<String>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
    connect_timeout: f64,
    read_timeout: f64,
) -> PyResult<PyRustSource> {
    let ctx = Context::process();
    let upstream = role_source(
        access_key_id,
        access_key_secret,
        security_token,
        source,
        &ctx,
    )?;
    let options = RamRoleArnOptions {
        role_arn,
        external_id,
        session: RoleSessionOptions {
            role_session_name,
            policy,
            duration_seconds,
            sts_endpoint,
            sts_region,
            enable_vpc,
            limits: limits(connect_timeout, read_timeout)?,
        },
    };
    match upstream {
        RoleSource::Rust(upstream) => {
            let role = RamRoleArn::from_options(options, upstream, &ctx).map_err(error)?;
            Ok(PyRustSource::new(
                role.source_name().to_owned(),
                Box::new(role),
            ))
        }
        RoleSource::Python(provider) => {
            // The options are checked before the provider is.
            let role = RamRoleArn::from_options(options, Arc::new(HandedOver), &ctx);
            let role = Arc::new(role.map_err(error)?);
            let provider = provider.bind(py);
            let type_name = provider
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "provider".into());
            let fetch = provider.getattr("get_credentials").map_err(|_| {
                PyTypeError::new_err(format!(
                    "source= must have a get_credentials() method; {type_name} has none"
                ))
            })?;
            let mut source = PyRustSource::new(role.source_name().to_owned(), Box::new(HandedOver));
            source.staged = Some(Staged {
                fetch: fetch.unbind(),
                role: StagedRole {
                    role,
                    name: format!("{type_name}.get_credentials()"),
                },
            });
            Ok(source)
        }
    }
}

#[pyfunction]
#[pyo3(signature = (role_arn=None, oidc_provider_arn=None, oidc_token_file=None,
    role_session_name=None, policy=None, duration_seconds=None, sts_endpoint=None,
    sts_region=None, enable_vpc=None, connect_timeout=5.0, read_timeout=10.0))]
#[allow(clippy::too_many_arguments)]
fn _oidc_role_arn_source(
    role_arn: Option<String>,
    oidc_provider_arn: Option<String>,
    oidc_token_file: Option<PathBuf>,
    role_session_name: Option<String>,
    policy: Option<String>,
    duration_seconds: Option<u32>,
    sts_endpoint: Option<String>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
    connect_timeout: f64,
    read_timeout: f64,
) -> PyResult<PyRustSource> {
    let options = OidcRoleArnOptions {
        role_arn,
        oidc_provider_arn,
        oidc_token_file,
        session: RoleSessionOptions {
            role_session_name,
            policy,
            duration_seconds,
            sts_endpoint,
            sts_region,
            enable_vpc,
            limits: limits(connect_timeout, read_timeout)?,
        },
    };
    let source = OidcRoleArn::from_options(options, &Context::process()).map_err(error)?;
    Ok(PyRustSource::new(
        source.source_name().to_owned(),
        Box::new(source),
    ))
}

#[pyfunction]
#[pyo3(signature = (role_name=None, endpoint=None, disable_imds_v1=None,
    connect_timeout=1.0, read_timeout=1.0))]
fn _ecs_ram_role_source(
    role_name: Option<String>,
    endpoint: Option<String>,
    disable_imds_v1: Option<bool>,
    connect_timeout: f64,
    read_timeout: f64,
) -> PyResult<PyRustSource> {
    let options = EcsRamRoleOptions {
        role_name,
        endpoint,
        disable_imds_v1,
        limits: limits(connect_timeout, read_timeout)?,
    };
    let source = EcsRamRole::from_options(options, &Context::process()).map_err(error)?;
    Ok(PyRustSource::new(
        source.source_name().to_owned(),
        Box::new(source),
    ))
}

#[pyfunction]
#[pyo3(signature = (uri=None, connect_timeout=5.0, read_timeout=10.0))]
fn _uri_source(
    uri: Option<String>,
    connect_timeout: f64,
    read_timeout: f64,
) -> PyResult<PyRustSource> {
    let options = UriOptions {
        uri,
        limits: limits(connect_timeout, read_timeout)?,
    };
    let source = Uri::from_options(options, &Context::process()).map_err(error)?;
    Ok(PyRustSource::new(
        source.source_name().to_owned(),
        Box::new(source),
    ))
}

/// `path`, else credentials.ini when it exists, else the CLI's config.json when it exists.
/// The profile is read now, so that a missing or incomplete one fails here.
#[pyfunction]
#[pyo3(signature = (profile=None, path=None))]
fn _profile_source(
    py: Python<'_>,
    profile: Option<String>,
    path: Option<PathBuf>,
) -> PyResult<PyRustSource> {
    let ctx = Context::process();
    let env = |name: &str| (ctx.env)(name);
    let profile = given(profile);
    let file = match path {
        Some(p) => ProfileFile::at(&p, profile, env),
        None => {
            let ini = ini_path(env);
            let cli = cli_config_path(env);
            match (ini, cli) {
                (Some(ini), _) if ctx.fs.exists(&ini) => ProfileFile::ini(ini, profile, env),
                (_, Some(cli)) if ctx.fs.exists(&cli) => ProfileFile::cli(cli, profile, env),
                (ini, cli) => {
                    let shown = |p: Option<PathBuf>| {
                        p.map_or("(no home directory)".into(), |p| p.display().to_string())
                    };
                    return Err(error(CredentialsError::not_configured(
                        "profile",
                        format!(
                            "no credentials file: neither {} (ALIBABA_CLOUD_CREDENTIALS_FILE) nor {} exists",
                            shown(ini),
                            shown(cli)
                        ),
                    )));
                }
            }
        }
    };
    let source = Profile::new(file, ctx.clone());
    super::exit::allow_threads(py, || source.check()).map_err(error)?;
    Ok(PyRustSource::new(
        source.source_name().to_owned(),
        Box::new(source),
    ))
}

#[pyfunction]
#[pyo3(signature = (ecs_metadata_endpoint=None))]
fn _default_chain_source(ecs_metadata_endpoint: Option<String>) -> PyRustSource {
    let chain = Arc::new(default_chain(&Context::process(), ecs_metadata_endpoint));
    PyRustSource::chain("default credentials chain".into(), chain)
}

/// The source factories (`_core._ram_role_arn_source(...)`, ...).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_ram_role_arn_source, m)?)?;
    m.add_function(wrap_pyfunction!(_oidc_role_arn_source, m)?)?;
    m.add_function(wrap_pyfunction!(_ecs_ram_role_source, m)?)?;
    m.add_function(wrap_pyfunction!(_uri_source, m)?)?;
    m.add_function(wrap_pyfunction!(_profile_source, m)?)?;
    m.add_function(wrap_pyfunction!(_default_chain_source, m)?)?;
    Ok(())
}
