//! The default chain, in alibabacloud_credentials' order: environment variables, OIDC when its
//! variables are set, the CLI's config.json, credentials.ini, the ECS RAM role unless
//! disabled, the credentials URI when set.

use super::chain::Chain;
use super::context::{given_trimmed, Context};
use super::ecs_ram_role::{ecs_limits, EcsRamRole, EcsRamRoleOptions};
use super::env::{Env, EnvOptions};
use super::oidc::{OidcRoleArn, OidcRoleArnOptions};
use super::profile::{cli_config_path, cli_profile_disabled, ini_path, Profile, ProfileFile};
use super::uri::{Uri, UriOptions};
use super::{CredentialsError, Provide};

/// A source that could not even be set up (a malformed variable): it fails with that error
/// when its turn comes, so the chain's summary shows it.
struct Broken(CredentialsError);

impl Provide for Broken {
    fn provide(&self) -> Result<super::Credentials, CredentialsError> {
        Err(self.0.clone())
    }
}

fn or_broken<S: Provide + 'static>(source: Result<S, CredentialsError>) -> Box<dyn Provide> {
    match source {
        Ok(s) => Box::new(s),
        Err(e) => Box::new(Broken(e)),
    }
}

/// Builds the chain. The environment is read now for what decides which sources take part, and
/// again by each source when it is asked. `ecs_endpoint` overrides the metadata service's
/// address (tests).
pub fn default_chain(ctx: &Context, ecs_endpoint: Option<String>) -> Chain {
    let get = |name: &str| (ctx.env)(name);
    let set = |name: &str| given_trimmed(get(name)).is_some();
    let mut sources: Vec<(String, Box<dyn Provide>)> = vec![(
        "environment variables".into(),
        Box::new(Env::new(EnvOptions::default(), ctx)),
    )];
    if set("ALIBABA_CLOUD_ROLE_ARN")
        && set("ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
        && set("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
    {
        let source = OidcRoleArn::from_options(OidcRoleArnOptions::default(), ctx);
        sources.push(("OIDC role ARN (environment)".into(), or_broken(source)));
    }
    let cli = cli_config_path(get).filter(|_| !cli_profile_disabled(get));
    let files = [
        cli.map(|path| ProfileFile::cli(path, None, get)),
        ini_path(get).map(|path| ProfileFile::ini(path, None, get)),
    ];
    for file in files.into_iter().flatten() {
        let profile = Profile::new(file, ctx.clone());
        sources.push((profile.source_name().to_owned(), Box::new(profile)));
    }
    if !ctx.var_is_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
        let options = EcsRamRoleOptions {
            endpoint: ecs_endpoint,
            limits: ecs_limits(),
            ..Default::default()
        };
        sources.push((
            "ECS RAM role".into(),
            or_broken(EcsRamRole::from_options(options, ctx)),
        ));
    }
    if set("ALIBABA_CLOUD_CREDENTIALS_URI") {
        let source = Uri::from_options(UriOptions::default(), ctx);
        sources.push(("credentials URI".into(), or_broken(source)));
    }
    let ini = ini_path(get).map_or_else(
        || "~/.alibabacloud/credentials.ini".to_string(),
        |p| p.display().to_string(),
    );
    Chain::new(sources)
        .with_clock(ctx.clock.clone())
        .with_advice(format!(
            "To give it some, set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or create {ini} \
         (a [default] profile), or run on ECS with a RAM role attached to the instance."
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::context::Clients;
    use crate::credentials::http::HttpClient;
    use crate::credentials::test_util::FakeHttp;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn chain(vars: &[(&str, &str)]) -> Chain {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let http: Arc<dyn HttpClient> = Arc::new(FakeHttp::fixed(404, ""));
        let ctx = Context::with(Arc::new(move |k| map.get(k).cloned()), Clients::same(http));
        default_chain(&ctx, None)
    }

    #[test]
    fn sources_take_part_as_the_environment_says() {
        let c = chain(&[("HOME", "/nonexistent-home")]);
        let names: Vec<_> = c.names().collect();
        assert_eq!(
            names,
            [
                "environment variables",
                "profile '(current)' in /nonexistent-home/.aliyun/config.json",
                "profile 'default' in /nonexistent-home/.alibabacloud/credentials.ini",
                "ECS RAM role",
            ]
        );
        let c = chain(&[
            ("HOME", "/h"),
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1:oidc-provider/p",
            ),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
            ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"),
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
            ("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/c"),
        ]);
        let names: Vec<_> = c.names().collect();
        assert_eq!(
            names,
            [
                "environment variables",
                "OIDC role ARN (environment)",
                "profile 'default' in /h/.alibabacloud/credentials.ini",
                "credentials URI",
            ]
        );
    }

    #[test]
    fn the_first_source_that_works_wins() {
        let c = chain(&[
            ("HOME", "/nonexistent-home"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKenv"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
        ]);
        assert_eq!(c.provide().unwrap().access_key_id(), "AKenv");
        assert_eq!(c.last_used(), Some("environment variables"));
    }

    /// Nothing configured (no variables, no files): what to do, then each absent source, and
    /// the ECS attempt (which did fail) apart.
    #[test]
    fn nothing_configured_says_what_to_do() {
        let c = chain(&[("HOME", "/nonexistent-home")]);
        let e = c.provide().unwrap_err().to_string();
        assert_eq!(
            e.lines().next().unwrap(),
            "default credentials chain: no source gave credentials. To give it some, set \
             OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or create \
             /nonexistent-home/.alibabacloud/credentials.ini (a [default] profile), or run on \
             ECS with a RAM role attached to the instance."
        );
        let (failed, absent) = e.split_once("\nNot configured:\n").unwrap();
        assert!(failed.ends_with("(role discovery: HTTP 404)"), "{e}");
        assert_eq!(
            absent.lines().collect::<Vec<_>>(),
            [
                "  - environment variables: neither OSS_ACCESS_KEY_ID nor \
                 ALIBABA_CLOUD_ACCESS_KEY_ID is set (with its secret in OSS_ACCESS_KEY_SECRET or \
                 ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
                "  - profile '(current)' in /nonexistent-home/.aliyun/config.json: no such file",
                "  - profile 'default' in /nonexistent-home/.alibabacloud/credentials.ini: no \
                 such file",
            ]
        );
    }

    #[test]
    fn all_failing_lists_each() {
        let c = chain(&[("HOME", "/nonexistent-home")]);
        let e = c.provide().unwrap_err().to_string();
        for part in [
            "OSS_ACCESS_KEY_ID",
            "config.json",
            "credentials.ini",
            "ECS RAM role",
            "HTTP 404",
        ] {
            assert!(e.contains(part), "{part} not in {e}");
        }
    }
}
