//! A profile as a source: the file is read again on every [`Provide::provide`], so that edits
//! and rotated STS tokens are picked up, and its [`ProfileSpec`] built into the source it names.

use std::sync::Arc;

use super::files::ProfileFile;
use super::{ProfileSpec, MAX_CHAIN_DEPTH};
use crate::credentials::context::Context;
use crate::credentials::ecs_ram_role::{ecs_limits, EcsRamRole, EcsRamRoleOptions};
use crate::credentials::oidc::OidcRoleArn;
use crate::credentials::ram_role_arn::RamRoleArn;
use crate::credentials::static_provider::Static;
use crate::credentials::uri::Uri;
use crate::credentials::{Credentials, CredentialsError, Provide};

pub struct Profile {
    file: ProfileFile,
    name: String,
    ctx: Context,
}

impl Profile {
    pub fn new(file: ProfileFile, ctx: Context) -> Self {
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
        Profile { file, name, ctx }
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
        let spec = self.file.load(self.ctx.fs.as_ref())?;
        build(&spec, &self.ctx).map_err(|e| {
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
pub fn build(spec: &ProfileSpec, ctx: &Context) -> Result<Box<dyn Provide>, CredentialsError> {
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
    build_spec(spec, ctx)
}

fn build_spec(spec: &ProfileSpec, ctx: &Context) -> Result<Box<dyn Provide>, CredentialsError> {
    Ok(match spec {
        ProfileSpec::AccessKey(options) | ProfileSpec::Sts(options) => {
            Box::new(Static::new(options.clone(), ctx))
        }
        ProfileSpec::RamRoleArn { source, role } => {
            let upstream: Arc<dyn Provide> = Arc::from(build_spec(source, ctx)?);
            Box::new(RamRoleArn::from_options(role.clone(), upstream, ctx)?)
        }
        ProfileSpec::EcsRamRole(options) => {
            let options = EcsRamRoleOptions {
                limits: ecs_limits(),
                ..options.clone()
            };
            Box::new(EcsRamRole::from_options(options, ctx)?)
        }
        ProfileSpec::OidcRoleArn(options) => {
            Box::new(OidcRoleArn::from_options(options.clone(), ctx)?)
        }
        ProfileSpec::CredentialsUri(options) => Box::new(Uri::from_options(options.clone(), ctx)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::context::{Clients, Lookup};
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
        let profile = Profile::new(file, Context::with(no_env(), Clients::same(http)));
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
}
