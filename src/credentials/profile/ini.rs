//! `credentials.ini`: configparser's grammar as the SDK reads it, and the profile types.

use std::collections::HashSet;

use super::source_name;
use super::spec::{
    key_pair, parse_bool, parse_u32, required, role_session, secret, Fields, ProfileSpec,
};
use crate::credentials::context::given;
use crate::credentials::ecs_ram_role::EcsRamRoleOptions;
use crate::credentials::oidc::OidcRoleArnOptions;
use crate::credentials::ram_role_arn::RamRoleArnOptions;
use crate::credentials::static_provider::StaticOptions;
use crate::credentials::sts::RoleSessionOptions;
use crate::credentials::uri::UriOptions;
use crate::credentials::CredentialsError;

const INI_TYPES: &str =
    "access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn, credentials_uri";

pub(super) struct IniSection<'a> {
    keys: &'a [(String, String)],
    defaults: &'a [(String, String)],
}

impl Fields for IniSection<'_> {
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        let find =
            |kv: &[(String, String)]| kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        Ok(given(find(self.keys).or_else(|| find(self.defaults))))
    }
    fn number(&self, key: &str) -> Result<Option<u32>, String> {
        match self.text(key)? {
            Some(s) => parse_u32(key, &s),
            None => Ok(None),
        }
    }
    fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        self.text(key)?.map(|s| parse_bool(key, &s)).transpose()
    }
}

/// Sections in file order, each with its keys in file order. Mirrors what the SDK does with
/// `configparser.ConfigParser()`: full-line comments start with `#` or `;`; `key = value` or
/// `key: value` (first delimiter wins); keys are case-insensitive (lower-cased), section
/// names are not; indented lines continue the previous value; `[DEFAULT]` supplies keys to
/// every section and is not a profile itself; duplicate sections or keys are errors. Then, as
/// the SDK does, a value is cut at its first `#` and trimmed. (One difference: section names
/// are trimmed, so `[ dev ]` is `dev`; configparser would keep the spaces.)
type IniFile = Vec<(String, Vec<(String, String)>)>;

fn parse_ini(text: &str) -> Result<IniFile, String> {
    let mut sections: IniFile = Vec::new();
    // Names seen, to refuse duplicates in constant time each: a scan per line made a file of
    // 100,000 sections or keys take most of a minute.
    let mut section_names: HashSet<String> = HashSet::new();
    let mut section_keys: HashSet<String> = HashSet::new();
    // Whether the last line was a key, and how far it was indented (continuations go deeper).
    let mut last_key_indent: Option<usize> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line = if lineno == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let Some(key_indent) = last_key_indent {
            if indent > key_indent {
                let (_, keys) = sections.last_mut().expect("a key implies a section");
                let (_, value) = keys.last_mut().expect("a key was just read");
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
        }
        last_key_indent = None;
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(end) = rest.rfind(']') else {
                return Err(format!(
                    "line {lineno}: a section header needs a closing ']'"
                ));
            };
            let name = rest[..end].trim();
            if name.is_empty() {
                return Err(format!("line {lineno}: empty section name"));
            }
            if !section_names.insert(name.to_string()) {
                return Err(format!("line {lineno}: section '{name}' appears twice"));
            }
            section_keys.clear();
            sections.push((name.to_string(), Vec::new()));
            continue;
        }
        let Some((section, keys)) = sections.last_mut() else {
            return Err(format!(
                "line {lineno}: a key outside any section (the file must start with a \
                 [section] header)"
            ));
        };
        let Some(at) = trimmed.find(['=', ':']) else {
            // Never echo the line: it may be a secret someone mistyped.
            return Err(format!("line {lineno}: expected 'key = value'"));
        };
        let key = trimmed[..at].trim().to_lowercase();
        if key.is_empty() {
            return Err(format!("line {lineno}: a value without a key"));
        }
        if section_keys.contains(&key) {
            // Not the key itself: a pasted secret may stand where a key should.
            return Err(format!(
                "line {lineno}: a key of section '{section}' appears a second time (each \
                 key may be set once per section)"
            ));
        }
        section_keys.insert(key.clone());
        keys.push((key, trimmed[at + 1..].trim().to_string()));
        last_key_indent = Some(indent);
    }
    // The SDK's inline-comment rule, applied to whole (possibly multi-line) values.
    for (_, keys) in &mut sections {
        for (_, value) in keys.iter_mut() {
            if let Some(at) = value.find('#') {
                value.truncate(at);
            }
            *value = value.trim().to_string();
        }
    }
    Ok(sections)
}

/// The profile `profile` of a credentials.ini. `path_for_errors` only names the file in errors.
///
/// Types and keys (the SDK's names):
/// - `access_key`: access_key_id, access_key_secret
/// - `sts`: access_key_id, access_key_secret, security_token (not read by the SDK's INI
///   provider; keys named after its `Config`)
/// - `ram_role_arn`: access_key_id, access_key_secret, role_arn, role_session_name, policy;
///   ossauth also reads security_token (then the source is an STS token), external_id,
///   duration_seconds, sts_region, enable_vpc
/// - `ecs_ram_role`: role_name (optional: discovered); ossauth also reads disable_imds_v1
/// - `oidc_role_arn`: role_arn, oidc_provider_arn, oidc_token_file_path, role_session_name,
///   policy; ossauth also reads duration_seconds, sts_region, enable_vpc
/// - `credentials_uri`: credentials_uri (not read by the SDK's INI provider)
pub fn parse_ini_profile(
    text: &str,
    profile: &str,
    path_for_errors: &str,
) -> Result<ProfileSpec, CredentialsError> {
    let fail = |m: String| CredentialsError::config(source_name(profile, path_for_errors), m);
    let sections = parse_ini(text).map_err(fail)?;
    let no_defaults = Vec::new();
    let defaults = sections
        .iter()
        .find(|(n, _)| n == "DEFAULT")
        .map_or(&no_defaults, |(_, k)| k);
    let found = sections
        .iter()
        .find(|(n, _)| n == profile && n != "DEFAULT")
        .map(|(_, k)| k);
    let Some(keys) = found else {
        let names: Vec<&str> = sections
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| *n != "DEFAULT")
            .collect();
        return Err(fail(if names.is_empty() {
            "no such profile: the file has no profiles".to_string()
        } else {
            format!("no such profile (the file has: {})", capped_list(&names))
        }));
    };
    ini_spec(&IniSection { keys, defaults }).map_err(fail)
}

/// How many names a message lists before "and N more".
const LISTED: usize = 10;

/// `a, b, c`, or the first [`LISTED`] names and "and N more": a file may have thousands.
fn capped_list(names: &[&str]) -> String {
    if names.len() <= LISTED {
        return names.join(", ");
    }
    format!(
        "{}, and {} more",
        names[..LISTED].join(", "),
        names.len() - LISTED
    )
}

fn ini_spec(s: &IniSection) -> Result<ProfileSpec, String> {
    let Some(kind) = s.text("type")? else {
        return Err(format!("no type set (one of: {INI_TYPES})"));
    };
    let what = format!("type '{kind}'");
    let what = what.as_str();
    Ok(match kind.as_str() {
        "access_key" => ProfileSpec::AccessKey(StaticOptions {
            access_key_id: required(s, what, "access_key_id")?,
            access_key_secret: secret(s, what, "access_key_secret")?,
            security_token: None,
        }),
        "sts" => ProfileSpec::Sts(StaticOptions {
            access_key_id: required(s, what, "access_key_id")?,
            access_key_secret: secret(s, what, "access_key_secret")?,
            security_token: Some(secret(s, what, "security_token")?),
        }),
        "ram_role_arn" => ProfileSpec::RamRoleArn {
            source: Box::new(key_pair(s, what, "security_token")?),
            role: RamRoleArnOptions {
                role_arn: Some(required(s, what, "role_arn")?),
                // INI keys are text: reading them cannot fail, so external_id may come first.
                external_id: s.text("external_id")?,
                session: ini_session(s)?,
            },
        },
        "ecs_ram_role" => ProfileSpec::EcsRamRole(EcsRamRoleOptions {
            role_name: s.text("role_name")?,
            disable_imds_v1: s.flag("disable_imds_v1")?,
            ..Default::default()
        }),
        "oidc_role_arn" => ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
            role_arn: Some(required(s, what, "role_arn")?),
            oidc_provider_arn: Some(required(s, what, "oidc_provider_arn")?),
            oidc_token_file: s.text("oidc_token_file_path")?.map(Into::into),
            session: ini_session(s)?,
        }),
        "credentials_uri" => ProfileSpec::CredentialsUri(UriOptions {
            uri: Some(required(s, what, "credentials_uri")?),
            ..Default::default()
        }),
        other => return Err(format!("unsupported type '{other}' (one of: {INI_TYPES})")),
    })
}

/// The session keys both role types read.
fn ini_session(s: &IniSection) -> Result<RoleSessionOptions, String> {
    role_session(
        s,
        s.text("role_session_name")?,
        s.text("policy")?,
        "duration_seconds",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::ecs_ram_role::EcsRamRoleOptions;
    use crate::credentials::oidc::OidcRoleArnOptions;
    use crate::credentials::profile::spec::tests::{ak, case, check_expected, sts};
    use crate::credentials::ram_role_arn::RamRoleArnOptions;
    use crate::credentials::uri::UriOptions;

    const INI: &str = "/h/.alibabacloud/credentials.ini";

    fn ini(text: &str, profile: &str) -> Result<ProfileSpec, CredentialsError> {
        parse_ini_profile(text, profile, INI)
    }

    fn ini_err(text: &str, profile: &str) -> String {
        ini(text, profile).unwrap_err().to_string()
    }

    // ----- credentials.ini: every type

    #[test]
    fn ini_access_key() {
        let text = "[default]\ntype = access_key\naccess_key_id = id1\naccess_key_secret = s1\n";
        assert_eq!(ini(text, "default").unwrap(), ak("id1", "s1"));
    }

    #[test]
    fn ini_sts() {
        let text = "[p]\ntype=sts\naccess_key_id=STS.x\naccess_key_secret=s\nsecurity_token=t\n";
        assert_eq!(ini(text, "p").unwrap(), sts("STS.x", "s", "t"));
        let e = ini_err(
            "[p]\ntype=sts\naccess_key_id=STS.x\naccess_key_secret=s\n",
            "p",
        );
        assert_eq!(
            e,
            format!("profile 'p' in {INI}: type 'sts' requires security_token")
        );
    }

    #[test]
    fn ini_ram_role_arn() {
        let text = case("ini_ram_role_arn", "credentials.ini");
        let spec = ini(&text, "dev").unwrap();
        check_expected("ini_ram_role_arn", &spec);
        assert_eq!(
            spec,
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("id1", "s1")),
                role: RamRoleArnOptions {
                    role_arn: Some("acs:ram::123:role/r".into()),
                    external_id: Some("ext".into()),
                    session: RoleSessionOptions {
                        role_session_name: Some("sess".into()),
                        policy: Some("{\"Statement\": []}".into()),
                        duration_seconds: Some(1800),
                        sts_region: Some("cn-hangzhou".into()),
                        enable_vpc: Some(true),
                        ..Default::default()
                    },
                },
            }
        );
        // Only the SDK's keys: the rest is unset.
        let minimal =
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\naccess_key_secret=s\nrole_arn=r\n";
        assert_eq!(
            ini(minimal, "dev").unwrap(),
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("i", "s")),
                role: RamRoleArnOptions {
                    role_arn: Some("r".into()),
                    ..Default::default()
                },
            }
        );
        // With a token, the role is assumed with STS credentials.
        let with_token = format!("{minimal}security_token=tok\n");
        let ProfileSpec::RamRoleArn { source, .. } = ini(&with_token, "dev").unwrap() else {
            panic!("not a role")
        };
        assert_eq!(*source, sts("i", "s", "tok"));
    }

    #[test]
    fn ini_ram_role_arn_missing_keys() {
        let e = ini_err(
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\naccess_key_secret=s\n",
            "dev",
        );
        assert_eq!(
            e,
            format!("profile 'dev' in {INI}: type 'ram_role_arn' requires role_arn")
        );
        let e = ini_err(
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\nrole_arn=r\n",
            "dev",
        );
        assert!(
            e.ends_with("type 'ram_role_arn' requires access_key_secret"),
            "{e}"
        );
        let e = ini_err(
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\naccess_key_secret=s\nrole_arn=r\n\
             duration_seconds=soon\n",
            "dev",
        );
        assert!(
            e.ends_with("duration_seconds must be a whole number of seconds"),
            "{e}"
        );
        let e = ini_err(
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\naccess_key_secret=s\nrole_arn=r\n\
             enable_vpc=maybe\n",
            "dev",
        );
        assert!(e.ends_with("enable_vpc must be true or false"), "{e}");
    }

    #[test]
    fn ini_ecs_ram_role() {
        assert_eq!(
            ini(
                "[e]\ntype = ecs_ram_role\nrole_name = worker\ndisable_imds_v1 = yes\n",
                "e"
            )
            .unwrap(),
            ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                role_name: Some("worker".into()),
                disable_imds_v1: Some(true),
                ..Default::default()
            })
        );
        assert_eq!(
            ini("[e]\ntype = ecs_ram_role\n", "e").unwrap(),
            ProfileSpec::EcsRamRole(EcsRamRoleOptions {
                role_name: None,
                disable_imds_v1: None,
                ..Default::default()
            })
        );
    }

    #[test]
    fn ini_oidc_role_arn() {
        let text = case("ini_oidc_role_arn", "credentials.ini");
        let spec = ini(&text, "o").unwrap();
        check_expected("ini_oidc_role_arn", &spec);
        assert_eq!(
            spec,
            ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
                role_arn: Some("acs:ram::1:role/o".into()),
                oidc_provider_arn: Some("acs:ram::1:oidc-provider/p".into()),
                oidc_token_file: Some("/var/run/token".into()),
                session: RoleSessionOptions {
                    role_session_name: Some("s".into()),
                    policy: Some("p".into()),
                    duration_seconds: Some(900),
                    sts_region: Some("cn-beijing".into()),
                    enable_vpc: Some(false),
                    ..Default::default()
                },
            })
        );
        // The token file may come from ALIBABA_CLOUD_OIDC_TOKEN_FILE instead.
        let ProfileSpec::OidcRoleArn(OidcRoleArnOptions {
            oidc_token_file, ..
        }) = ini(
            "[o]\ntype=oidc_role_arn\nrole_arn=r\noidc_provider_arn=p\n",
            "o",
        )
        .unwrap()
        else {
            panic!("not oidc")
        };
        assert_eq!(oidc_token_file, None);
        let e = ini_err("[o]\ntype=oidc_role_arn\nrole_arn=r\n", "o");
        assert!(
            e.ends_with("type 'oidc_role_arn' requires oidc_provider_arn"),
            "{e}"
        );
        let e = ini_err("[o]\ntype=oidc_role_arn\noidc_provider_arn=p\n", "o");
        assert!(e.ends_with("type 'oidc_role_arn' requires role_arn"), "{e}");
    }

    #[test]
    fn ini_credentials_uri() {
        assert_eq!(
            ini(
                "[u]\ntype = credentials_uri\ncredentials_uri = http://127.0.0.1:8080/c\n",
                "u"
            )
            .unwrap(),
            ProfileSpec::CredentialsUri(UriOptions {
                uri: Some("http://127.0.0.1:8080/c".into()),
                ..Default::default()
            })
        );
        let e = ini_err("[u]\ntype = credentials_uri\n", "u");
        assert!(
            e.ends_with("type 'credentials_uri' requires credentials_uri"),
            "{e}"
        );
    }

    #[test]
    fn ini_unknown_or_missing_type() {
        let e = ini_err("[p]\ntype = rsa_key_pair\npublic_key_id = x\n", "p");
        assert_eq!(
            e,
            format!(
                "profile 'p' in {INI}: unsupported type 'rsa_key_pair' (one of: access_key, sts, \
                 ram_role_arn, ecs_ram_role, oidc_role_arn, credentials_uri)"
            )
        );
        let e = ini_err("[p]\naccess_key_id = x\n", "p");
        assert!(e.contains("no type set"), "{e}");
        let e = ini_err("[p]\ntype =\n", "p");
        assert!(e.contains("no type set"), "{e}");
    }

    #[test]
    fn ini_missing_profile() {
        let text = "[a]\ntype=ecs_ram_role\n[b]\ntype=ecs_ram_role\n";
        assert_eq!(
            ini_err(text, "dev"),
            format!("profile 'dev' in {INI}: no such profile (the file has: a, b)")
        );
        assert!(ini_err("", "default").ends_with("the file has no profiles"));
        assert!(ini_err("# only comments\n", "default").ends_with("the file has no profiles"));
        // DEFAULT is not a profile of its own.
        assert!(ini("[DEFAULT]\ntype=ecs_ram_role\n", "DEFAULT").is_err());
    }

    // ----- credentials.ini: syntax

    #[test]
    fn ini_comments_whitespace_and_case() {
        let text = "\u{feff}; a comment\r\n\
                    # another\r\n\
                    \r\n\
                    \x20 [ dev ]  \r\n\
                    \x20 # indented comment\r\n\
                    TYPE : access_key\r\n\
                    Access_Key_Id   =   id1   \r\n\
                    access_key_secret = s1 # trailing comment, as the SDK cuts it\r\n\
                    [Other]\r\n\
                    type = ecs_ram_role\r\n";
        assert_eq!(ini(text, "dev").unwrap(), ak("id1", "s1"));
        // Section names are case-sensitive, as in configparser.
        assert!(ini(text, "other").is_err());
        assert!(ini(text, "Other").is_ok());
    }

    #[test]
    fn ini_first_delimiter_wins_and_values_keep_equals() {
        let text = "[u]\ntype = credentials_uri\ncredentials_uri = http://h/c?a=b:c\n";
        assert_eq!(
            ini(text, "u").unwrap(),
            ProfileSpec::CredentialsUri(UriOptions {
                uri: Some("http://h/c?a=b:c".into()),
                ..Default::default()
            })
        );
    }

    #[test]
    fn ini_continuation_lines() {
        let text = case("ini_continuation_lines", "credentials.ini");
        let spec = ini(&text, "dev").unwrap();
        check_expected("ini_continuation_lines", &spec);
        let ProfileSpec::RamRoleArn {
            source: _,
            role:
                RamRoleArnOptions {
                    session:
                        RoleSessionOptions {
                            policy,
                            role_session_name,
                            ..
                        },
                    ..
                },
        } = spec
        else {
            panic!("not a role")
        };
        assert_eq!(
            policy.as_deref(),
            Some("{\"Version\": \"1\",\n\"Statement\": []}")
        );
        assert_eq!(role_session_name.as_deref(), Some("sess"));
    }

    #[test]
    fn ini_default_section_supplies_keys() {
        let text = "[DEFAULT]\naccess_key_id = shared\naccess_key_secret = s0\n\
                    [a]\ntype = access_key\n\
                    [b]\ntype = access_key\naccess_key_id = own\n";
        assert_eq!(ini(text, "a").unwrap(), ak("shared", "s0"));
        assert_eq!(ini(text, "b").unwrap(), ak("own", "s0"));
    }

    #[test]
    fn ini_syntax_errors_name_the_line_not_its_content() {
        let cases = [
            ("type = access_key\n", "line 1: a key outside any section"),
            (
                "[p]\nLTAIsecretlookingline\n",
                "line 2: expected 'key = value'",
            ),
            (
                "[p\ntype=sts\n",
                "line 1: a section header needs a closing ']'",
            ),
            ("[]\n", "line 1: empty section name"),
            ("[p]\n= value\n", "line 2: a value without a key"),
            ("[p]\ntype=sts\n[p]\n", "line 3: section 'p' appears twice"),
            (
                "[p]\ntype=sts\nTYPE=sts\n",
                "line 3: a key of section 'p' appears a second time",
            ),
        ];
        for (text, want) in cases {
            let e = ini_err(text, "p");
            assert!(e.starts_with(&format!("profile 'p' in {INI}: ")), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("LTAIsecret"), "{e}");
        }
        // An error anywhere fails the file, as configparser does.
        let e = ini_err("[p]\ntype=ecs_ram_role\n[q]\njunk\n", "p");
        assert!(e.contains("line 4"), "{e}");
    }

    /// A duplicate key is reported by line and section, never by its text: a secret pasted on
    /// the wrong line (`LTAI...secret = x`) would otherwise be echoed into logs.
    #[test]
    fn ini_duplicate_key_is_not_echoed() {
        let text = "[p]\ntype=sts\nPastedTokenValue123 = a\npastedtokenvalue123 = b\n";
        let e = ini_err(text, "p");
        assert!(e.contains("line 4") && e.contains("section 'p'"), "{e}");
        assert!(!e.to_lowercase().contains("pastedtokenvalue123"), "{e}");
    }

    #[test]
    fn ini_missing_profile_lists_at_most_ten() {
        let text: String = (0..1000).map(|i| format!("[s{i}]\ntype=sts\n")).collect();
        let e = ini_err(&text, "dev");
        assert!(
            e.ends_with("no such profile (the file has: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, and 990 more)"),
            "{e}"
        );
    }

    #[test]
    fn ini_errors_never_show_secrets() {
        let text = "[p]\ntype = ram_role_arn\naccess_key_id = LTAIid\n\
                    access_key_secret = TOPSECRET\nsecurity_token = TOKENVALUE\n";
        let e = ini_err(text, "p");
        assert!(e.ends_with("requires role_arn"), "{e}");
        assert!(!e.contains("TOPSECRET") && !e.contains("TOKENVALUE"), "{e}");
    }
}
