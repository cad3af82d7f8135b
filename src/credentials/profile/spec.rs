//! [`ProfileSpec`]: what one profile says to do, whichever file it comes from. Each variant
//! holds the options of the source it names, so that a field (a role's session name, say) is
//! declared once, in the source's file. And the reading of one profile's keys (`Fields`).

use crate::credentials::ecs_ram_role::EcsRamRoleOptions;
use crate::credentials::oidc::OidcRoleArnOptions;
use crate::credentials::ram_role_arn::RamRoleArnOptions;
use crate::credentials::static_provider::StaticOptions;
use crate::credentials::sts::RoleSessionOptions;
use crate::credentials::uri::UriOptions;
use crate::credentials::Secret;

/// What one profile says to do. Secrets are zeroed on drop; `Debug` redacts them (and a URI's
/// query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSpec {
    /// An AccessKey (no security token).
    AccessKey(StaticOptions),
    /// An STS token: AccessKey and security token.
    Sts(StaticOptions),
    /// STS AssumeRole signed with the credentials `source` yields (an AccessKey, an STS token,
    /// or, from the CLI's ChainableRamRoleArn, any other profile). `role.role_arn` is set.
    RamRoleArn {
        source: Box<ProfileSpec>,
        role: RamRoleArnOptions,
    },
    /// `role_name` None: discovered from the metadata service.
    EcsRamRole(EcsRamRoleOptions),
    /// `role_arn` and `oidc_provider_arn` set; `oidc_token_file` None:
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, as the SDK falls back to it.
    OidcRoleArn(OidcRoleArnOptions),
    /// `uri` set.
    CredentialsUri(UriOptions),
}

impl ProfileSpec {
    /// Short name of the kind of source, for messages: "access_key", "ram_role_arn", ...
    pub fn kind(&self) -> &'static str {
        match self {
            ProfileSpec::AccessKey(_) => "access_key",
            ProfileSpec::Sts(_) => "sts",
            ProfileSpec::RamRoleArn { .. } => "ram_role_arn",
            ProfileSpec::EcsRamRole(_) => "ecs_ram_role",
            ProfileSpec::OidcRoleArn(_) => "oidc_role_arn",
            ProfileSpec::CredentialsUri(_) => "credentials_uri",
        }
    }
}

/// One profile's keys. `what` names it in messages: "type 'sts'", "mode 'AK'".
pub(super) trait Fields {
    /// A non-empty string, or None; Err when present with the wrong JSON type.
    fn text(&self, key: &str) -> Result<Option<String>, String>;
    fn number(&self, key: &str) -> Result<Option<u32>, String>;
    fn flag(&self, key: &str) -> Result<Option<bool>, String>;
}

pub(super) fn required(f: &dyn Fields, what: &str, key: &str) -> Result<String, String> {
    f.text(key)?.ok_or_else(|| format!("{what} requires {key}"))
}

pub(super) fn secret(f: &dyn Fields, what: &str, key: &str) -> Result<Secret, String> {
    required(f, what, key).map(Secret::new)
}

/// A `u32` from text; 0 counts as unset (the CLI writes `expired_seconds: 0` for "default").
pub(super) fn parse_u32(key: &str, s: &str) -> Result<Option<u32>, String> {
    match s.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(format!("{key} must be a whole number of seconds")),
    }
}

/// configparser's `getboolean` spellings.
pub(super) fn parse_bool(key: &str, s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(format!("{key} must be true or false")),
    }
}

// ---------------------------------------------------------------------------------------------

/// An assumed role's session as a profile sets it: `role_session_name` and `policy` are read by
/// the caller (a format may read other keys in between, and reports the first bad key), the
/// duration from `duration_key`, then `sts_region` and `enable_vpc`.
pub(super) fn role_session(
    f: &dyn Fields,
    role_session_name: Option<String>,
    policy: Option<String>,
    duration_key: &str,
) -> Result<RoleSessionOptions, String> {
    Ok(RoleSessionOptions {
        role_session_name,
        policy,
        duration_seconds: f.number(duration_key)?,
        sts_region: f.text("sts_region")?,
        enable_vpc: f.flag("enable_vpc")?,
        ..Default::default()
    })
}

/// The AccessKey a role is assumed with; an STS token when `token_key` is set too.
pub(super) fn key_pair(f: &dyn Fields, what: &str, token_key: &str) -> Result<ProfileSpec, String> {
    let access_key_id = required(f, what, "access_key_id")?;
    let access_key_secret = secret(f, what, "access_key_secret")?;
    Ok(match f.text(token_key)? {
        Some(token) => ProfileSpec::Sts(StaticOptions {
            access_key_id,
            access_key_secret,
            security_token: Some(Secret::new(token)),
        }),
        None => ProfileSpec::AccessKey(StaticOptions {
            access_key_id,
            access_key_secret,
            security_token: None,
        }),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn case_dir(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/profiles")
            .join(name)
    }

    /// The input `file` of the case folder `tests/data/profiles/<name>/`.
    pub(crate) fn case(name: &str, file: &str) -> String {
        let path = case_dir(name).join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `spec` as the case's `expected` file shows it (`{:#?}`). A missing file is written, and
    /// the test fails once so that the new file is looked at before it is committed.
    pub(crate) fn check_expected(name: &str, spec: &ProfileSpec) {
        let path = case_dir(name).join("expected");
        let shown = format!("{spec:#?}\n");
        match std::fs::read_to_string(&path) {
            Ok(expected) => assert_eq!(shown, expected, "{}", path.display()),
            Err(_) => {
                std::fs::write(&path, &shown).unwrap();
                panic!("{} written: check it and run again", path.display());
            }
        }
    }

    pub(crate) fn ak(id: &str, secret: &str) -> ProfileSpec {
        ProfileSpec::AccessKey(StaticOptions {
            access_key_id: id.into(),
            access_key_secret: Secret::new(secret),
            security_token: None,
        })
    }

    pub(crate) fn sts(id: &str, secret: &str, token: &str) -> ProfileSpec {
        ProfileSpec::Sts(StaticOptions {
            access_key_id: id.into(),
            access_key_secret: Secret::new(secret),
            security_token: Some(Secret::new(token)),
        })
    }

    #[test]
    fn debug_never_shows_secrets() {
        let specs = [
            ak("LTAIid", "TOPSECRET"),
            sts("STS.id", "TOPSECRET", "TOKENVALUE"),
            ProfileSpec::RamRoleArn {
                source: Box::new(sts("STS.id", "TOPSECRET", "TOKENVALUE")),
                role: RamRoleArnOptions {
                    role_arn: Some("acs:ram::1:role/r".into()),
                    ..Default::default()
                },
            },
            ProfileSpec::CredentialsUri(UriOptions {
                uri: Some("http://h/c?token=TOKENVALUE".into()),
                ..Default::default()
            }),
        ];
        for spec in specs {
            let shown = format!("{spec:?} {spec:#?}");
            assert!(!shown.contains("TOPSECRET"), "{shown}");
            assert!(!shown.contains("TOKENVALUE"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
        let shown = format!("{:?}", ak("LTAIid", "TOPSECRET"));
        assert!(shown.contains("LTAIid"), "{shown}");
        let shown = format!(
            "{:?}",
            ProfileSpec::CredentialsUri(UriOptions {
                uri: Some("http://h/c".into()),
                ..Default::default()
            })
        );
        assert!(shown.contains("http://h/c"), "{shown}");
    }

    #[test]
    fn kinds() {
        assert_eq!(ak("a", "b").kind(), "access_key");
        assert_eq!(sts("a", "b", "c").kind(), "sts");
    }
}
