//! The credential sources, one per file. Each exports its `XxxOptions` (what a caller or a
//! profile may set; `None` falls back to the environment, then to the default) and a source
//! built from `(options, &Context)`.

pub mod ecs_ram_role;
pub mod env;
pub mod oidc;
pub mod ram_role_arn;
pub mod static_provider;
pub mod uri;
