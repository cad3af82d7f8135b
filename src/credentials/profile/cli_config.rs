//! The Alibaba Cloud CLI's `~/.aliyun/config.json` (alibabacloud_credentials'
//! `CLIProfileCredentialsProvider`): its profiles' modes, and ChainableRamRoleArn chains.

use serde_json::{Map, Value};

use super::spec::{
    key_pair, parse_bool, parse_u32, required, role_session, secret, Fields, ProfileSpec,
};
use super::{source_name, MAX_CHAIN_DEPTH};
use crate::credentials::context::given;
use crate::credentials::ecs_ram_role::EcsRamRoleOptions;
use crate::credentials::oidc::OidcRoleArnOptions;
use crate::credentials::ram_role_arn::RamRoleArnOptions;
use crate::credentials::static_provider::StaticOptions;
use crate::credentials::uri::UriOptions;
use crate::credentials::wiped_json::WipedJson;
use crate::credentials::CredentialsError;

const CLI_MODES: &str =
    "AK, StsToken, RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn, CredentialsURI";

// ---------------------------------------------------------------------------------------------
// ~/.aliyun/config.json

struct JsonProfile<'a>(&'a Map<String, Value>);

impl Fields for JsonProfile<'_> {
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(given(Some(s.clone()))),
            Some(_) => Err(format!("{key} must be a string")),
        }
    }
    fn number(&self, key: &str) -> Result<Option<u32>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64().map(u32::try_from) {
                Some(Ok(0)) => Ok(None),
                Some(Ok(n)) => Ok(Some(n)),
                _ => Err(format!("{key} must be a whole number of seconds")),
            },
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => parse_u32(key, s),
            Some(_) => Err(format!("{key} must be a whole number of seconds")),
        }
    }
    fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => parse_bool(key, s).map(Some),
            Some(_) => Err(format!("{key} must be true or false")),
        }
    }
}

/// The profile `profile` (None: the file's `current`) of the CLI's config.json.
///
/// Modes and fields (the SDK's names):
/// - `AK`: access_key_id, access_key_secret
/// - `StsToken`: access_key_id, access_key_secret, sts_token
/// - `RamRoleArn`: access_key_id, access_key_secret, ram_role_arn, ram_session_name,
///   expired_seconds, policy, external_id, sts_region, enable_vpc; ossauth also uses sts_token
///   when present (the source is then an STS token)
/// - `EcsRamRole`: ram_role_name (optional: discovered)
/// - `OIDC`: ram_role_arn, oidc_provider_arn, oidc_token_file, role_session_name (else the
///   CLI's ram_session_name), expired_seconds, policy, sts_region, enable_vpc
/// - `ChainableRamRoleArn`: source_profile (resolved the same way, loops refused) and the
///   RamRoleArn fields
/// - `CredentialsURI`: credentials_uri (the CLI's mode; the SDK does not read it)
///
/// As in the SDK, the first profile with the name wins. `expired_seconds` 0 means unset.
pub fn parse_cli_config(
    text: &str,
    profile: Option<&str>,
    path_for_errors: &str,
) -> Result<ProfileSpec, CredentialsError> {
    let shown_name = profile.unwrap_or("(current)");
    let fail =
        |name: &str, m: String| CredentialsError::config(source_name(name, path_for_errors), m);
    // Wiped when dropped: the profiles' secrets are strings in it.
    let config =
        WipedJson::from_str(text).map_err(|e| fail(shown_name, format!("malformed JSON: {e}")))?;
    let Value::Object(config) = &*config else {
        return Err(fail(
            shown_name,
            "malformed config: the top level is not an object".into(),
        ));
    };
    let name =
        match given(profile.map(str::to_owned)) {
            Some(p) => p,
            None => match config.get("current") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => return Err(fail(
                    shown_name,
                    "no profile given (ALIBABA_CLOUD_PROFILE) and the file's 'current' is not set"
                        .into(),
                )),
            },
        };
    let profiles = match config.get("profiles") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(fail(
                &name,
                "malformed config: 'profiles' is not a list".into(),
            ))
        }
    };
    let mut visited = Vec::new();
    cli_spec(profiles, &name, &mut visited).map_err(|m| fail(&name, m))
}

fn find_profile<'a>(profiles: &'a [Value], name: &str) -> Option<&'a Map<String, Value>> {
    profiles.iter().find_map(|p| match p {
        Value::Object(o) if o.get("name").and_then(Value::as_str) == Some(name) => Some(o),
        _ => None,
    })
}

/// A RamRoleArn profile's own fields, read before its source is, in this order: the first bad
/// one is the one reported.
fn cli_role(p: &JsonProfile, what: &str) -> Result<RamRoleArnOptions, String> {
    let role_arn = Some(required(p, what, "ram_role_arn")?);
    let role_session_name = p.text("ram_session_name")?;
    let policy = p.text("policy")?;
    let external_id = p.text("external_id")?;
    Ok(RamRoleArnOptions {
        role_arn,
        external_id,
        session: role_session(p, role_session_name, policy, "expired_seconds")?,
    })
}

fn with_source(role: RamRoleArnOptions, source: ProfileSpec) -> ProfileSpec {
    ProfileSpec::RamRoleArn {
        source: Box::new(source),
        role,
    }
}

/// `visited` holds the chain of profile names that led here, for loop detection and messages.
fn cli_spec(
    profiles: &[Value],
    name: &str,
    visited: &mut Vec<String>,
) -> Result<ProfileSpec, String> {
    if visited.iter().any(|v| v == name) {
        return Err(format!(
            "source_profile loop: {} -> {name}",
            visited.join(" -> ")
        ));
    }
    // Messages about a source profile say how it was reached.
    let prefix = (!visited.is_empty())
        .then(|| format!("source_profile '{name}' (via {}): ", visited.join(" -> ")));
    let via = |m: String| format!("{}{m}", prefix.as_deref().unwrap_or(""));
    let Some(obj) = find_profile(profiles, name) else {
        return Err(via("no such profile in the file".into()));
    };
    let p = JsonProfile(obj);
    let Some(mode) = p.text("mode").map_err(via)? else {
        return Err(via(format!("no mode set (one of: {CLI_MODES})")));
    };
    let what = format!("mode '{mode}'");
    let what = what.as_str();
    let own = |p: &JsonProfile| -> Result<ProfileSpec, String> {
        Ok(match mode.as_str() {
            "AK" => ProfileSpec::AccessKey(StaticOptions {
                access_key_id: required(p, what, "access_key_id")?,
                access_key_secret: secret(p, what, "access_key_secret")?,
                security_token: None,
            }),
            "StsToken" => ProfileSpec::Sts(StaticOptions {
                access_key_id: required(p, what, "access_key_id")?,
                access_key_secret: secret(p, what, "access_key_secret")?,
                security_token: Some(secret(p, what, "sts_token")?),
            }),
            "RamRoleArn" => {
                let source = key_pair(p, what, "sts_token")?;
                with_source(cli_role(p, what)?, source)
            }
            "EcsRamRole" => ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                role_name: p.text("ram_role_name")?,
                ..Default::default()
            }),
            "OIDC" => ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
                role_arn: Some(required(p, what, "ram_role_arn")?),
                oidc_provider_arn: Some(required(p, what, "oidc_provider_arn")?),
                oidc_token_file: p.text("oidc_token_file")?.map(Into::into),
                session: role_session(
                    p,
                    // The SDK reads role_session_name; the CLI writes ram_session_name.
                    match p.text("role_session_name")? {
                        Some(s) => Some(s),
                        None => p.text("ram_session_name")?,
                    },
                    p.text("policy")?,
                    "expired_seconds",
                )?,
            }),
            "CredentialsURI" => ProfileSpec::CredentialsUri(UriOptions {
                uri: Some(required(p, what, "credentials_uri")?),
                ..Default::default()
            }),
            other => return Err(format!("unsupported mode '{other}' (one of: {CLI_MODES})")),
        })
    };
    if mode != "ChainableRamRoleArn" {
        return own(&p).map_err(via);
    }
    // This profile's own fields first, then the chain.
    let Some(source_name) = p.text("source_profile").map_err(via)? else {
        return Err(via(format!("{what} requires source_profile")));
    };
    let role = cli_role(&p, what).map_err(via)?;
    if visited.len() >= MAX_CHAIN_DEPTH {
        return Err(format!(
            "the ChainableRamRoleArn chain is longer than {MAX_CHAIN_DEPTH} roles ({} -> \
             {name} -> ...); chain at most {MAX_CHAIN_DEPTH}",
            visited.join(" -> ")
        ));
    }
    visited.push(name.to_string());
    let source = cli_spec(profiles, &source_name, visited)?;
    visited.pop();
    Ok(with_source(role, source))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credentials::ecs_ram_role::EcsRamRoleOptions;
    use crate::credentials::oidc::OidcRoleArnOptions;
    use crate::credentials::profile::files::MAX_FILE_BYTES;
    use crate::credentials::profile::spec::tests::{ak, case, check_expected, sts};
    use crate::credentials::ram_role_arn::RamRoleArnOptions;
    use crate::credentials::sts::RoleSessionOptions;
    use crate::credentials::uri::UriOptions;

    const CLI: &str = "/h/.aliyun/config.json";

    // ----- config.json

    fn cli(text: &str, profile: Option<&str>) -> Result<ProfileSpec, CredentialsError> {
        parse_cli_config(text, profile, CLI)
    }

    fn cli_err(text: &str, profile: Option<&str>) -> String {
        cli(text, profile).unwrap_err().to_string()
    }

    pub(crate) fn config(profiles: Value) -> String {
        serde_json::json!({"current": "default", "profiles": profiles, "meta_path": ""}).to_string()
    }

    #[test]
    fn cli_ak_and_current() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "AK", "access_key_id": "id1", "access_key_secret": "s1",
             "sts_token": "", "ram_role_arn": "", "expired_seconds": 0, "region_id": "cn-hangzhou"},
            {"name": "other", "mode": "AK", "access_key_id": "id2", "access_key_secret": "s2"}
        ]));
        assert_eq!(cli(&text, None).unwrap(), ak("id1", "s1"));
        assert_eq!(cli(&text, Some("other")).unwrap(), ak("id2", "s2"));
        // An empty name means "current" too.
        assert_eq!(cli(&text, Some("")).unwrap(), ak("id1", "s1"));
    }

    #[test]
    fn cli_sts_token() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "StsToken", "access_key_id": "STS.a",
             "access_key_secret": "s", "sts_token": "t"}
        ]));
        assert_eq!(cli(&text, None).unwrap(), sts("STS.a", "s", "t"));
        let text = config(serde_json::json!([
            {"name": "default", "mode": "StsToken", "access_key_id": "STS.a",
             "access_key_secret": "s", "sts_token": ""}
        ]));
        assert_eq!(
            cli_err(&text, None),
            format!("profile 'default' in {CLI}: mode 'StsToken' requires sts_token")
        );
    }

    #[test]
    fn cli_ram_role_arn() {
        let text = case("cli_ram_role_arn", "config.json");
        let spec = cli(&text, None).unwrap();
        check_expected("cli_ram_role_arn", &spec);
        assert_eq!(
            spec,
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("i", "s")),
                role: RamRoleArnOptions {
                    role_arn: Some("acs:ram::1:role/r".into()),
                    external_id: Some("ext".into()),
                    session: RoleSessionOptions {
                        role_session_name: Some("sess".into()),
                        policy: Some("pol".into()),
                        duration_seconds: Some(1200),
                        sts_region: Some("cn-shanghai".into()),
                        enable_vpc: Some(true),
                        ..Default::default()
                    },
                },
            }
        );
        // expired_seconds 0 is the CLI's "unset"; a token makes the source an STS one.
        let text = config(serde_json::json!([
            {"name": "default", "mode": "RamRoleArn", "access_key_id": "i",
             "access_key_secret": "s", "sts_token": "t", "ram_role_arn": "r",
             "expired_seconds": 0}
        ]));
        let ProfileSpec::RamRoleArn {
            source,
            role:
                RamRoleArnOptions {
                    session:
                        RoleSessionOptions {
                            duration_seconds, ..
                        },
                    ..
                },
        } = cli(&text, None).unwrap()
        else {
            panic!("not a role")
        };
        assert_eq!((*source, duration_seconds), (sts("i", "s", "t"), None));
        let text = config(serde_json::json!([
            {"name": "default", "mode": "RamRoleArn", "access_key_id": "i",
             "access_key_secret": "s"}
        ]));
        assert_eq!(
            cli_err(&text, None),
            format!("profile 'default' in {CLI}: mode 'RamRoleArn' requires ram_role_arn")
        );
    }

    #[test]
    fn cli_field_types() {
        let bad = [
            (
                serde_json::json!({"expired_seconds": -5}),
                "expired_seconds must be a whole",
            ),
            (
                serde_json::json!({"expired_seconds": 1.5}),
                "expired_seconds must be a whole",
            ),
            (
                serde_json::json!({"expired_seconds": 1e12}),
                "expired_seconds must be a whole",
            ),
            (
                serde_json::json!({"expired_seconds": [1]}),
                "expired_seconds must be a whole",
            ),
            (
                serde_json::json!({"enable_vpc": 1}),
                "enable_vpc must be true or false",
            ),
            (
                serde_json::json!({"enable_vpc": "perhaps"}),
                "enable_vpc must be true or false",
            ),
            (
                serde_json::json!({"ram_role_arn": 7}),
                "ram_role_arn must be a string",
            ),
            (
                serde_json::json!({"access_key_secret": {"v": 1}}),
                "access_key_secret must be a",
            ),
        ];
        for (extra, want) in bad {
            let mut p = serde_json::json!({"name": "default", "mode": "RamRoleArn",
                "access_key_id": "i", "access_key_secret": "s", "ram_role_arn": "r"});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            let e = cli_err(&config(serde_json::json!([p])), None);
            assert!(e.contains(want), "{extra}: {e}");
        }
        // Strings for numbers and flags are accepted; null is unset.
        let text = config(serde_json::json!([
            {"name": "default", "mode": "RamRoleArn", "access_key_id": "i",
             "access_key_secret": "s", "ram_role_arn": "r", "expired_seconds": "1000",
             "enable_vpc": "false", "policy": null}
        ]));
        let ProfileSpec::RamRoleArn {
            source: _,
            role:
                RamRoleArnOptions {
                    session:
                        RoleSessionOptions {
                            duration_seconds,
                            enable_vpc,
                            policy,
                            ..
                        },
                    ..
                },
        } = cli(&text, None).unwrap()
        else {
            panic!("not a role")
        };
        assert_eq!(
            (duration_seconds, enable_vpc, policy),
            (Some(1000), Some(false), None)
        );
    }

    /// Of several bad keys, the first read is reported: a role's keys in the order
    /// the CLI lists them (session name, policy, external_id, expired_seconds, ...).
    #[test]
    fn cli_first_bad_key_is_reported() {
        let cases = [
            (
                serde_json::json!({"mode": "RamRoleArn", "policy": 1, "external_id": 2,
                    "expired_seconds": "x"}),
                "policy must be a string",
            ),
            (
                serde_json::json!({"mode": "RamRoleArn", "external_id": 2,
                    "expired_seconds": "x", "enable_vpc": 1}),
                "external_id must be a string",
            ),
            (
                serde_json::json!({"mode": "RamRoleArn", "ram_session_name": 1, "policy": 2}),
                "ram_session_name must be a string",
            ),
            (
                serde_json::json!({"mode": "OIDC", "oidc_provider_arn": "p",
                    "role_session_name": 1, "policy": 2}),
                "role_session_name must be a string",
            ),
            (
                serde_json::json!({"mode": "OIDC", "oidc_provider_arn": "p", "policy": 2,
                    "expired_seconds": "x"}),
                "policy must be a string",
            ),
            (
                serde_json::json!({"mode": "OIDC", "oidc_provider_arn": "p",
                    "expired_seconds": "x", "sts_region": 3}),
                "expired_seconds must be a whole number of seconds",
            ),
        ];
        for (extra, want) in cases {
            let mut p = serde_json::json!({"name": "default", "access_key_id": "i",
                "access_key_secret": "s", "ram_role_arn": "r"});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            let e = cli_err(&config(serde_json::json!([p])), None);
            assert!(e.ends_with(want), "{extra}: {e}");
        }
    }

    #[test]
    fn cli_ecs_ram_role() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "EcsRamRole", "ram_role_name": "worker"},
            {"name": "auto", "mode": "EcsRamRole", "ram_role_name": ""}
        ]));
        assert_eq!(
            cli(&text, None).unwrap(),
            ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                role_name: Some("worker".into()),
                disable_imds_v1: None,
                ..Default::default()
            })
        );
        assert_eq!(
            cli(&text, Some("auto")).unwrap(),
            ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                role_name: None,
                disable_imds_v1: None,
                ..Default::default()
            })
        );
    }

    #[test]
    fn cli_oidc() {
        let text = case("cli_oidc", "config.json");
        let spec = cli(&text, None).unwrap();
        check_expected("cli_oidc", &spec);
        assert_eq!(
            spec,
            ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
                role_arn: Some("r".into()),
                oidc_provider_arn: Some("p".into()),
                oidc_token_file: Some("/t".into()),
                session: RoleSessionOptions {
                    role_session_name: Some("sdk-name".into()),
                    policy: Some("pol".into()),
                    duration_seconds: Some(3600),
                    sts_region: Some("cn-hangzhou".into()),
                    enable_vpc: Some(false),
                    ..Default::default()
                },
            })
        );
        let ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
            session: RoleSessionOptions {
                role_session_name, ..
            },
            oidc_token_file,
            ..
        }) = cli(&text, Some("cli-written")).unwrap()
        else {
            panic!("not oidc")
        };
        assert_eq!(role_session_name.as_deref(), Some("cli-name"));
        assert_eq!(oidc_token_file, None);
        assert!(cli_err(&text, Some("broken")).ends_with("mode 'OIDC' requires oidc_provider_arn"));
    }

    #[test]
    fn cli_credentials_uri() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "CredentialsURI", "credentials_uri": "http://h/c"},
            {"name": "empty", "mode": "CredentialsURI"}
        ]));
        assert_eq!(
            cli(&text, None).unwrap(),
            ProfileSpec::CredentialsUri(UriOptions {
                uri: Some("http://h/c".into()),
                ..Default::default()
            })
        );
        assert!(cli_err(&text, Some("empty")).ends_with("requires credentials_uri"));
    }

    #[test]
    fn cli_chainable_ram_role_arn() {
        let text = case("cli_chainable_ram_role_arn", "config.json");
        let role = |source: ProfileSpec, arn: &str, session: Option<&str>, d: Option<u32>| {
            ProfileSpec::RamRoleArn {
                source: Box::new(source),
                role: RamRoleArnOptions {
                    role_arn: Some(arn.into()),
                    external_id: None,
                    session: RoleSessionOptions {
                        role_session_name: session.map(Into::into),
                        policy: None,
                        duration_seconds: d,
                        sts_region: None,
                        enable_vpc: None,
                        ..Default::default()
                    },
                },
            }
        };
        let spec = cli(&text, None).unwrap();
        check_expected("cli_chainable_ram_role_arn", &spec);
        assert_eq!(
            spec,
            role(
                role(ak("i", "s"), "r1", Some("s1"), None),
                "r2",
                None,
                Some(900)
            )
        );
        assert_eq!(
            cli(&text, Some("on-ecs")).unwrap(),
            role(
                ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                    role_name: None,
                    disable_imds_v1: None,
                    ..Default::default()
                }),
                "r3",
                None,
                None
            )
        );
    }

    #[test]
    fn cli_chain_errors() {
        let text = config(serde_json::json!([
            {"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b",
             "ram_role_arn": "r"},
            {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "a",
             "ram_role_arn": "r"},
            {"name": "self", "mode": "ChainableRamRoleArn", "source_profile": "self",
             "ram_role_arn": "r"},
            {"name": "dangling", "mode": "ChainableRamRoleArn", "source_profile": "nope",
             "ram_role_arn": "r"},
            {"name": "no-source", "mode": "ChainableRamRoleArn", "ram_role_arn": "r"},
            {"name": "no-arn", "mode": "ChainableRamRoleArn", "source_profile": "a"},
            {"name": "to-broken", "mode": "ChainableRamRoleArn", "source_profile": "broken",
             "ram_role_arn": "r"},
            {"name": "broken", "mode": "AK", "access_key_id": "i"}
        ]));
        assert_eq!(
            cli_err(&text, Some("a")),
            format!("profile 'a' in {CLI}: source_profile loop: a -> b -> a")
        );
        assert!(cli_err(&text, Some("self")).ends_with("source_profile loop: self -> self"));
        assert!(cli_err(&text, Some("dangling"))
            .ends_with("source_profile 'nope' (via dangling): no such profile in the file"));
        assert!(cli_err(&text, Some("no-source"))
            .ends_with("mode 'ChainableRamRoleArn' requires source_profile"));
        assert!(cli_err(&text, Some("no-arn"))
            .ends_with("mode 'ChainableRamRoleArn' requires ram_role_arn"));
        assert_eq!(
            cli_err(&text, Some("to-broken")),
            format!(
                "profile 'to-broken' in {CLI}: source_profile 'broken' (via to-broken): \
                 mode 'AK' requires access_key_secret"
            )
        );
    }

    /// `n` ChainableRamRoleArn profiles, `c0` -> `c1` -> ... -> `c{n-1}` -> `base` (AK).
    fn chain_config(n: usize) -> String {
        let mut profiles: Vec<Value> = (0..n)
            .map(|i| {
                let next = if i + 1 < n {
                    format!("c{}", i + 1)
                } else {
                    "base".into()
                };
                serde_json::json!({"name": format!("c{i}"), "mode": "ChainableRamRoleArn",
                    "source_profile": next, "ram_role_arn": format!("acs:ram::1:role/r{i}")})
            })
            .collect();
        profiles.push(serde_json::json!({"name": "base", "mode": "AK",
            "access_key_id": "i", "access_key_secret": "s"}));
        config(Value::Array(profiles))
    }

    /// How deep a spec's sources nest.
    fn depth(spec: &ProfileSpec) -> usize {
        let mut d = 1;
        let mut s = spec;
        while let ProfileSpec::RamRoleArn { source, .. } = s {
            d += 1;
            s = source;
        }
        d
    }

    #[test]
    fn cli_chain_depth_is_bounded() {
        // Up to the limit, the chain is read whole.
        let spec = cli(&chain_config(MAX_CHAIN_DEPTH), Some("c0")).unwrap();
        assert_eq!(depth(&spec), MAX_CHAIN_DEPTH + 1);
        // One more role is refused, with what to do.
        let e = cli_err(&chain_config(MAX_CHAIN_DEPTH + 1), Some("c0"));
        assert!(
            e.starts_with(&format!(
                "profile 'c0' in {CLI}: the ChainableRamRoleArn chain is longer than 16 roles \
                 (c0 -> c1 -> "
            )),
            "{e}"
        );
        assert!(e.contains("c15 -> c16 -> ...); chain at most 16"), "{e}");
    }

    /// A chain thousands of links long (a few hundred KiB, under the 1 MiB cap) overflowed
    /// the stack, killing the process: now it is a plain error, found without deep recursion.
    #[test]
    fn cli_chain_of_thousands_is_an_error_not_a_crash() {
        let text = chain_config(5_000);
        assert!(text.len() < MAX_FILE_BYTES as usize, "{}", text.len());
        let e = cli_err(&text, Some("c0"));
        assert!(e.contains("longer than 16 roles"), "{e}");
        // A long loop is a long chain too.
        let e = cli_err(&text.replace("\"base\"", "\"c0\""), Some("c0"));
        assert!(e.contains("longer than 16 roles"), "{e}");
    }

    #[test]
    fn cli_missing_profile_and_modes() {
        let text = config(serde_json::json!([
            {"name": "sso", "mode": "CloudSSO"},
            {"name": "nomode", "access_key_id": "i"},
            "not an object",
            {"name": "dup", "mode": "AK", "access_key_id": "first", "access_key_secret": "s"},
            {"name": "dup", "mode": "AK", "access_key_id": "second", "access_key_secret": "s"}
        ]));
        assert_eq!(
            cli_err(&text, Some("dev")),
            format!("profile 'dev' in {CLI}: no such profile in the file")
        );
        // "current" names a profile that is not there.
        assert!(cli_err(&text, None).starts_with(&format!("profile 'default' in {CLI}")));
        assert_eq!(
            cli_err(&text, Some("sso")),
            format!(
                "profile 'sso' in {CLI}: unsupported mode 'CloudSSO' (one of: AK, StsToken, \
                 RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn, CredentialsURI)"
            )
        );
        assert!(cli_err(&text, Some("nomode")).contains("no mode set"));
        // The first profile with the name wins, as in the SDK.
        assert_eq!(cli(&text, Some("dup")).unwrap(), ak("first", "s"));
    }

    #[test]
    fn cli_malformed_files() {
        let e = cli_err("{\"current\": ", None);
        assert!(
            e.starts_with(&format!("profile '(current)' in {CLI}: malformed JSON: ")),
            "{e}"
        );
        assert!(e.contains("line 1"), "{e}");
        assert!(cli_err("", Some("p")).contains("malformed JSON"));
        assert!(cli_err("[]", None).contains("the top level is not an object"));
        assert!(cli_err("{\"profiles\": {}}", Some("p")).contains("'profiles' is not a list"));
        assert!(cli_err("{}", Some("p")).ends_with("no such profile in the file"));
        assert!(cli_err("{}", None).contains("'current' is not set"));
        assert!(cli_err("{\"current\": 3}", None).contains("'current' is not set"));
        // A secret next to the syntax error is not echoed.
        let e = cli_err(
            "{\"profiles\": [{\"access_key_secret\": \"TOPSECRET\" x}]}",
            None,
        );
        assert!(!e.contains("TOPSECRET"), "{e}");
    }
}
