//! Profiles: what `~/.alibabacloud/credentials.ini` (alibabacloud_credentials'
//! `ProfileCredentialsProvider`) and the Alibaba Cloud CLI's `~/.aliyun/config.json`
//! (`CLIProfileCredentialsProvider`) describe: [`files`] finds and reads them, [`ini`] and
//! [`cli_config`] parse one profile into a [`ProfileSpec`] ([`spec`]), and
//! [`build`](mod@build) turns the spec into the source it names.
//!
//! Key names are the SDK's (alibabacloud_credentials 1.0.12, `provider/profile.py` and
//! `provider/cli_profile.py`). Where ossauth reads more than the SDK does, the extra keys are
//! named after the SDK's `Config` fields (INI) or the CLI's own fields (JSON), noted where read.
//! Errors name the file and the profile and say what is missing; they never hold a value that
//! could be a secret (no line of the file is ever echoed).

pub mod build;
pub mod cli_config;
pub mod files;
pub mod ini;
pub mod spec;

pub use build::{build, Profile};
pub use cli_config::parse_cli_config;
pub use files::*;
pub use ini::parse_ini_profile;
pub use spec::ProfileSpec;

/// The most roles a ChainableRamRoleArn profile may chain (source_profile links followed).
/// Neither the SDK nor the CLI sets a number (the SDK recurses until Python's recursion limit,
/// about 1,000); real chains are two or three hops. Each hop is an STS call made in turn on
/// every refresh, and building, refreshing and dropping the chain recurse once per hop, so a
/// chain thousands of links long (a few hundred KiB of JSON) overflowed the stack. 16 is far
/// beyond any real chain and keeps every such recursion shallow.
pub const MAX_CHAIN_DEPTH: usize = 16;

fn source_name(profile: &str, path: &str) -> String {
    format!("profile '{profile}' in {path}")
}
