//! A profile (credentials.ini or the CLI's config.json) as a source: the file is read again on
//! every [`Provide::provide`], so that edits and rotated STS tokens are picked up, and its
//! [`ProfileSpec`] turned into the source it names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::context::{Clients, Lookup};
use super::ecs_ram_role::{EcsRamRole, EcsRamRoleConfig, EcsRamRoleOptions};
use super::http::Limits;
use super::oidc::{OidcRoleArn, OidcRoleArnConfig, OidcRoleArnOptions};
use super::profile::{
    cli_profile_name, load_cli_config, load_ini_profile, profile_name, ProfileSpec, MAX_CHAIN_DEPTH,
};
use super::ram_role_arn::{RamRoleArn, RamRoleArnConfig, RamRoleArnOptions};
use super::uri::Uri;
use super::{Credentials, CredentialsError, Provide, Static};

/// Which file, and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileFile {
    /// `[profile]` sections of credentials.ini.
    Ini { path: PathBuf, profile: String },
    /// The CLI's config.json; `None` is its `current` profile.
    Cli {
        path: PathBuf,
        profile: Option<String>,
    },
}

impl ProfileFile {
    /// A credentials.ini profile: `profile`, else `ALIBABA_CLOUD_PROFILE`, else `default`.
    pub fn ini(
        path: PathBuf,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        ProfileFile::Ini {
            path,
            profile: profile.unwrap_or_else(|| profile_name(lookup)),
        }
    }

    /// A config.json profile: `profile`, else `ALIBABA_CLOUD_PROFILE`, else the file's
    /// `current`.
    pub fn cli(
        path: PathBuf,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        ProfileFile::Cli {
            path,
            profile: profile.or_else(|| cli_profile_name(lookup)),
        }
    }

    /// A `.json` path is the CLI's config; anything else is read as INI.
    pub fn at(
        path: &Path,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::cli(path.to_owned(), profile, lookup)
        } else {
            Self::ini(path.to_owned(), profile, lookup)
        }
    }

    pub fn load(&self) -> Result<ProfileSpec, CredentialsError> {
        match self {
            ProfileFile::Ini { path, profile } => load_ini_profile(path, profile),
            ProfileFile::Cli { path, profile } => load_cli_config(path, profile.as_deref()),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            ProfileFile::Ini { path, .. } | ProfileFile::Cli { path, .. } => path,
        }
    }
}

pub struct Profile {
    file: ProfileFile,
    name: String,
    lookup: Lookup,
    clients: Clients,
}

impl Profile {
    pub fn new(file: ProfileFile, lookup: Lookup, clients: Clients) -> Self {
        let name = match &file {
            ProfileFile::Ini { path, profile } => {
                format!("profile '{profile}' in {}", path.display())
            }
            ProfileFile::Cli { path, profile } => format!(
                "profile '{}' in {}",
                profile.as_deref().unwrap_or("(current)"),
                path.display()
            ),
        };
        Profile {
            file,
            name,
            lookup,
            clients,
        }
    }

    pub fn source_name(&self) -> &str {
        &self.name
    }

    /// Reads the file now: a constructor's check that the profile exists and is complete.
    pub fn check(&self) -> Result<(), CredentialsError> {
        self.source().map(|_| ())
    }

    /// The source the profile names; an error in what it says (a malformed role ARN) names
    /// the profile and the file, where it is to be fixed.
    fn source(&self) -> Result<Box<dyn Provide>, CredentialsError> {
        let spec = self.file.load()?;
        build(&spec, &self.lookup, &self.clients).map_err(|e| {
            CredentialsError::new(e.kind, self.name.clone(), e.to_string()).caused_by(e)
        })
    }
}

impl Provide for Profile {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        self.source()?.provide()
    }
}

/// The source a profile names, its options filled from the environment as the SDK does.
///
/// Building recurses once per chained role (and so do refreshing and dropping the result):
/// specs from files are at most [`MAX_CHAIN_DEPTH`] roles deep (and one more for the role of
/// the last profile), and any deeper spec is refused here, measured without recursion.
pub fn build(
    spec: &ProfileSpec,
    lookup: &Lookup,
    clients: &Clients,
) -> Result<Box<dyn Provide>, CredentialsError> {
    let mut depth = 0;
    let mut s = spec;
    while let ProfileSpec::RamRoleArn { source, .. } = s {
        depth += 1;
        s = source;
    }
    if depth > MAX_CHAIN_DEPTH + 1 {
        return Err(CredentialsError::config(
            "profile",
            format!("a chain of {depth} roles is longer than {MAX_CHAIN_DEPTH}"),
        ));
    }
    build_spec(spec, lookup, clients)
}

fn build_spec(
    spec: &ProfileSpec,
    lookup: &Lookup,
    clients: &Clients,
) -> Result<Box<dyn Provide>, CredentialsError> {
    let env = |name: &str| lookup(name);
    let http = &clients.http;
    Ok(match spec {
        ProfileSpec::AccessKey { id, secret } => Box::new(Static(Credentials::new(
            id.clone(),
            secret.as_str(),
            None,
            None,
        ))),
        ProfileSpec::Sts { id, secret, token } => Box::new(Static(Credentials::new(
            id.clone(),
            secret.as_str(),
            Some(token.to_string()),
            None,
        ))),
        ProfileSpec::RamRoleArn {
            source,
            role_arn,
            role_session_name,
            policy,
            external_id,
            duration_seconds,
            sts_region,
            enable_vpc,
        } => {
            let upstream: Arc<dyn Provide> = Arc::from(build_spec(source, lookup, clients)?);
            let options = RamRoleArnOptions {
                role_arn: Some(role_arn.clone()),
                role_session_name: role_session_name.clone(),
                policy: policy.clone(),
                external_id: external_id.clone(),
                duration_seconds: *duration_seconds,
                sts_endpoint: None,
                sts_region: sts_region.clone(),
                enable_vpc: *enable_vpc,
                limits: Limits::default(),
            };
            let config = RamRoleArnConfig::resolve(options, env)?;
            Box::new(RamRoleArn::new(config, upstream, http.clone())?)
        }
        ProfileSpec::EcsRamRole {
            role_name,
            disable_imds_v1,
        } => {
            let options = EcsRamRoleOptions {
                role_name: role_name.clone(),
                endpoint: None,
                disable_imds_v1: *disable_imds_v1,
                limits: ecs_limits(),
            };
            Box::new(EcsRamRole::new(
                EcsRamRoleConfig::resolve(options, env)?,
                clients.metadata.clone(),
            ))
        }
        ProfileSpec::OidcRoleArn {
            role_arn,
            oidc_provider_arn,
            oidc_token_file,
            role_session_name,
            policy,
            duration_seconds,
            sts_region,
            enable_vpc,
        } => {
            let options = OidcRoleArnOptions {
                role_arn: Some(role_arn.clone()),
                oidc_provider_arn: Some(oidc_provider_arn.clone()),
                oidc_token_file: oidc_token_file.as_ref().map(PathBuf::from),
                role_session_name: role_session_name.clone(),
                policy: policy.clone(),
                duration_seconds: *duration_seconds,
                sts_endpoint: None,
                sts_region: sts_region.clone(),
                enable_vpc: *enable_vpc,
                limits: Limits::default(),
            };
            let config = OidcRoleArnConfig::resolve(options, env)?;
            Box::new(OidcRoleArn::new(config, http.clone())?)
        }
        ProfileSpec::CredentialsUri { uri } => Box::new(Uri::new(
            Some(uri.clone()),
            env,
            Limits::default(),
            http.clone(),
        )?),
    })
}

/// The metadata service answers in milliseconds or not at all (off ECS): 1 s each, like the SDK.
pub fn ecs_limits() -> Limits {
    Limits {
        connect_timeout: std::time::Duration::from_secs(1),
        read_timeout: std::time::Duration::from_secs(1),
        ..Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::http::HttpClient;
    use crate::credentials::test_util::FakeHttp;

    fn no_env() -> Lookup {
        Arc::new(|_| None)
    }

    #[test]
    fn files_are_read_again_on_every_call() {
        let dir = std::env::temp_dir().join(format!("ossauth-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.ini");
        let write = |id: &str| {
            std::fs::write(
                &path,
                format!("[work]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = s\n"),
            )
            .unwrap()
        };
        write("AK1");
        let file = ProfileFile::at(&path, Some("work".into()), |_| None);
        let http: Arc<dyn HttpClient> = Arc::new(FakeHttp::fixed(500, ""));
        let profile = Profile::new(file, no_env(), Clients::same(http));
        profile.check().unwrap();
        assert_eq!(profile.provide().unwrap().access_key_id(), "AK1");
        write("AK2");
        assert_eq!(profile.provide().unwrap().access_key_id(), "AK2");
        std::fs::remove_file(&path).unwrap();
        let e = profile.provide().unwrap_err();
        assert!(
            e.to_string().ends_with("credentials.ini: no such file"),
            "{e}"
        );
        assert!(e.is_not_configured());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn json_paths_are_the_cli_config() {
        let f = ProfileFile::at(Path::new("/h/.aliyun/config.json"), None, |_| None);
        assert!(matches!(f, ProfileFile::Cli { profile: None, .. }));
        let dev = |k: &str| (k == "ALIBABA_CLOUD_PROFILE").then(|| "dev".to_string());
        let f = ProfileFile::at(Path::new("/h/creds"), None, dev);
        assert_eq!(
            f,
            ProfileFile::Ini {
                path: "/h/creds".into(),
                profile: "dev".into()
            }
        );
    }
}
