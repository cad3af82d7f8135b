//! Profiles: what `~/.alibabacloud/credentials.ini` (alibabacloud_credentials'
//! `ProfileCredentialsProvider`) and the Alibaba Cloud CLI's `~/.aliyun/config.json`
//! (`CLIProfileCredentialsProvider`) describe, parsed into a [`ProfileSpec`]. Pure parsing: no
//! network, no sources built here; the caller turns a spec into a source.
//!
//! Key names are the SDK's (alibabacloud_credentials 1.0.12, `provider/profile.py` and
//! `provider/cli_profile.py`). Where ossauth reads more than the SDK does, the extra keys are
//! named after the SDK's `Config` fields (INI) or the CLI's own fields (JSON), noted where read.
//! Errors name the file and the profile and say what is missing; they never hold a value that
//! could be a secret (no line of the file is ever echoed).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::wiped_json::WipedJson;
use super::{file, CredentialsError};

/// Config files are a few KiB; a bigger one is not a config file.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The most roles a ChainableRamRoleArn profile may chain (source_profile links followed).
/// Neither the SDK nor the CLI sets a number (the SDK recurses until Python's recursion limit,
/// about 1,000); real chains are two or three hops. Each hop is an STS call made in turn on
/// every refresh, and building, refreshing and dropping the chain recurse once per hop, so a
/// chain thousands of links long (a few hundred KiB of JSON) overflowed the stack. 16 is far
/// beyond any real chain and keeps every such recursion shallow.
pub const MAX_CHAIN_DEPTH: usize = 16;

const INI_TYPES: &str =
    "access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn, credentials_uri";
const CLI_MODES: &str =
    "AK, StsToken, RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn, CredentialsURI";

/// What one profile says to do. Secrets are zeroed on drop; `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub enum ProfileSpec {
    AccessKey {
        id: String,
        secret: Zeroizing<String>,
    },
    Sts {
        id: String,
        secret: Zeroizing<String>,
        token: Zeroizing<String>,
    },
    /// STS AssumeRole signed with the credentials `source` yields (an AccessKey, an STS token,
    /// or, from the CLI's ChainableRamRoleArn, any other profile).
    RamRoleArn {
        source: Box<ProfileSpec>,
        role_arn: String,
        role_session_name: Option<String>,
        policy: Option<String>,
        external_id: Option<String>,
        duration_seconds: Option<u32>,
        sts_region: Option<String>,
        enable_vpc: Option<bool>,
    },
    /// `role_name` None: discovered from the metadata service.
    EcsRamRole {
        role_name: Option<String>,
        disable_imds_v1: Option<bool>,
    },
    /// `oidc_token_file` None: `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, as the SDK falls back to it.
    OidcRoleArn {
        role_arn: String,
        oidc_provider_arn: String,
        oidc_token_file: Option<String>,
        role_session_name: Option<String>,
        policy: Option<String>,
        duration_seconds: Option<u32>,
        sts_region: Option<String>,
        enable_vpc: Option<bool>,
    },
    CredentialsUri {
        uri: String,
    },
}

impl ProfileSpec {
    /// Short name of the kind of source, for messages: "access_key", "ram_role_arn", ...
    pub fn kind(&self) -> &'static str {
        match self {
            ProfileSpec::AccessKey { .. } => "access_key",
            ProfileSpec::Sts { .. } => "sts",
            ProfileSpec::RamRoleArn { .. } => "ram_role_arn",
            ProfileSpec::EcsRamRole { .. } => "ecs_ram_role",
            ProfileSpec::OidcRoleArn { .. } => "oidc_role_arn",
            ProfileSpec::CredentialsUri { .. } => "credentials_uri",
        }
    }
}

const REDACTED: &str = "**redacted**";

/// A URI's query may carry a token: show only what comes before it.
fn without_query(uri: &str) -> String {
    let shown = super::http::shown_url(uri);
    if uri.contains(['?', '#']) {
        format!("{shown}?{REDACTED}")
    } else {
        shown
    }
}

impl fmt::Debug for ProfileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileSpec::AccessKey { id, .. } => f
                .debug_struct("AccessKey")
                .field("id", id)
                .field("secret", &REDACTED)
                .finish(),
            ProfileSpec::Sts { id, .. } => f
                .debug_struct("Sts")
                .field("id", id)
                .field("secret", &REDACTED)
                .field("token", &REDACTED)
                .finish(),
            ProfileSpec::RamRoleArn {
                source,
                role_arn,
                role_session_name,
                policy,
                external_id,
                duration_seconds,
                sts_region,
                enable_vpc,
            } => f
                .debug_struct("RamRoleArn")
                .field("source", source)
                .field("role_arn", role_arn)
                .field("role_session_name", role_session_name)
                .field("policy", policy)
                .field("external_id", external_id)
                .field("duration_seconds", duration_seconds)
                .field("sts_region", sts_region)
                .field("enable_vpc", enable_vpc)
                .finish(),
            ProfileSpec::EcsRamRole {
                role_name,
                disable_imds_v1,
            } => f
                .debug_struct("EcsRamRole")
                .field("role_name", role_name)
                .field("disable_imds_v1", disable_imds_v1)
                .finish(),
            ProfileSpec::OidcRoleArn {
                role_arn,
                oidc_provider_arn,
                oidc_token_file,
                role_session_name,
                policy,
                duration_seconds,
                sts_region,
                enable_vpc,
            } => f
                .debug_struct("OidcRoleArn")
                .field("role_arn", role_arn)
                .field("oidc_provider_arn", oidc_provider_arn)
                // The path, not the token.
                .field("oidc_token_file", oidc_token_file)
                .field("role_session_name", role_session_name)
                .field("policy", policy)
                .field("duration_seconds", duration_seconds)
                .field("sts_region", sts_region)
                .field("enable_vpc", enable_vpc)
                .finish(),
            ProfileSpec::CredentialsUri { uri } => f
                .debug_struct("CredentialsUri")
                .field("uri", &without_query(uri))
                .finish(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Where the files are and which profile to use.

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// `HOME`, else `USERPROFILE` (Windows). The SDK tries `HOME`, then `HOMEPATH`, then
/// `expanduser("~")`; `HOMEPATH` lacks the drive, so `USERPROFILE` stands in for both.
fn home(lookup: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    non_empty(lookup("HOME"))
        .or_else(|| non_empty(lookup("USERPROFILE")))
        .map(PathBuf::from)
}

/// `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `$HOME/.alibabacloud/credentials.ini`; None without
/// a home. (The SDK's legacy provider also tried `/.alibabacloud/credentials.ini`, "due to
/// historical mistakes"; the current one does not, nor does ossauth.)
pub fn ini_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(file) = non_empty(lookup("ALIBABA_CLOUD_CREDENTIALS_FILE")) {
        return Some(PathBuf::from(file));
    }
    home(&lookup).map(|h| h.join(".alibabacloud").join("credentials.ini"))
}

/// `$HOME/.aliyun/config.json` (no variable overrides it, in the SDK either).
pub fn cli_config_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    home(&lookup).map(|h| h.join(".aliyun").join("config.json"))
}

/// The credentials.ini profile: `ALIBABA_CLOUD_PROFILE`, else `default`.
pub fn profile_name(lookup: impl Fn(&str) -> Option<String>) -> String {
    non_empty(lookup("ALIBABA_CLOUD_PROFILE")).unwrap_or_else(|| "default".to_string())
}

/// The config.json profile: `ALIBABA_CLOUD_PROFILE`, else None, meaning the file's `current`
/// (the SDK's CLI provider has no "default" fallback, unlike its INI provider).
pub fn cli_profile_name(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    non_empty(lookup("ALIBABA_CLOUD_PROFILE"))
}

/// `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` (any case) turns the config.json source off.
pub fn cli_profile_disabled(lookup: impl Fn(&str) -> Option<String>) -> bool {
    lookup("ALIBABA_CLOUD_CLI_PROFILE_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn source_name(profile: &str, path: &str) -> String {
    format!("profile '{profile}' in {path}")
}

/// Reads `path` (at most 1 MiB) and parses it with [`parse_ini_profile`].
pub fn load_ini_profile(path: &Path, profile: &str) -> Result<ProfileSpec, CredentialsError> {
    let shown = path.display().to_string();
    let text = read_capped(path, source_name(profile, &shown))?;
    parse_ini_profile(&text, profile, &shown)
}

/// Reads `path` (at most 1 MiB) and parses it with [`parse_cli_config`].
pub fn load_cli_config(
    path: &Path,
    profile: Option<&str>,
) -> Result<ProfileSpec, CredentialsError> {
    let shown = path.display().to_string();
    let text = read_capped(path, source_name(profile.unwrap_or("(current)"), &shown))?;
    parse_cli_config(&text, profile, &shown)
}

/// The file's text (zeroed on drop: it holds secrets). A missing file is "not configured"; a
/// FIFO, directory or device is refused at once rather than read (see [`file`]).
fn read_capped(path: &Path, source: String) -> Result<Zeroizing<String>, CredentialsError> {
    file::read_regular_text(path, MAX_FILE_BYTES).map_err(|e| {
        if e.is_missing() {
            CredentialsError::not_configured(source, e.to_string())
        } else {
            CredentialsError::config(source, e.to_string())
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Fields of one profile, whichever file they come from.

/// One profile's keys. `what` names it in messages: "type 'sts'", "mode 'AK'".
trait Fields {
    /// A non-empty string, or None; Err when present with the wrong JSON type.
    fn text(&self, key: &str) -> Result<Option<String>, String>;
    fn number(&self, key: &str) -> Result<Option<u32>, String>;
    fn flag(&self, key: &str) -> Result<Option<bool>, String>;
}

fn required(f: &dyn Fields, what: &str, key: &str) -> Result<String, String> {
    f.text(key)?.ok_or_else(|| format!("{what} requires {key}"))
}

fn secret(f: &dyn Fields, what: &str, key: &str) -> Result<Zeroizing<String>, String> {
    required(f, what, key).map(Zeroizing::new)
}

/// A `u32` from text; 0 counts as unset (the CLI writes `expired_seconds: 0` for "default").
fn parse_u32(key: &str, s: &str) -> Result<Option<u32>, String> {
    match s.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(format!("{key} must be a whole number of seconds")),
    }
}

/// configparser's `getboolean` spellings.
fn parse_bool(key: &str, s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(format!("{key} must be true or false")),
    }
}

// ---------------------------------------------------------------------------------------------
// credentials.ini

struct IniSection<'a> {
    keys: &'a [(String, String)],
    defaults: &'a [(String, String)],
}

impl Fields for IniSection<'_> {
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        let find =
            |kv: &[(String, String)]| kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        Ok(non_empty(find(self.keys).or_else(|| find(self.defaults))))
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
        "access_key" => ProfileSpec::AccessKey {
            id: required(s, what, "access_key_id")?,
            secret: secret(s, what, "access_key_secret")?,
        },
        "sts" => ProfileSpec::Sts {
            id: required(s, what, "access_key_id")?,
            secret: secret(s, what, "access_key_secret")?,
            token: secret(s, what, "security_token")?,
        },
        "ram_role_arn" => ProfileSpec::RamRoleArn {
            source: Box::new(key_pair(s, what, "security_token")?),
            role_arn: required(s, what, "role_arn")?,
            role_session_name: s.text("role_session_name")?,
            policy: s.text("policy")?,
            external_id: s.text("external_id")?,
            duration_seconds: s.number("duration_seconds")?,
            sts_region: s.text("sts_region")?,
            enable_vpc: s.flag("enable_vpc")?,
        },
        "ecs_ram_role" => ProfileSpec::EcsRamRole {
            role_name: s.text("role_name")?,
            disable_imds_v1: s.flag("disable_imds_v1")?,
        },
        "oidc_role_arn" => ProfileSpec::OidcRoleArn {
            role_arn: required(s, what, "role_arn")?,
            oidc_provider_arn: required(s, what, "oidc_provider_arn")?,
            oidc_token_file: s.text("oidc_token_file_path")?,
            role_session_name: s.text("role_session_name")?,
            policy: s.text("policy")?,
            duration_seconds: s.number("duration_seconds")?,
            sts_region: s.text("sts_region")?,
            enable_vpc: s.flag("enable_vpc")?,
        },
        "credentials_uri" => ProfileSpec::CredentialsUri {
            uri: required(s, what, "credentials_uri")?,
        },
        other => return Err(format!("unsupported type '{other}' (one of: {INI_TYPES})")),
    })
}

/// The AccessKey a role is assumed with; an STS token when `token_key` is set too.
fn key_pair(f: &dyn Fields, what: &str, token_key: &str) -> Result<ProfileSpec, String> {
    let id = required(f, what, "access_key_id")?;
    let secret = secret(f, what, "access_key_secret")?;
    Ok(match f.text(token_key)? {
        Some(token) => ProfileSpec::Sts {
            id,
            secret,
            token: Zeroizing::new(token),
        },
        None => ProfileSpec::AccessKey { id, secret },
    })
}

// ---------------------------------------------------------------------------------------------
// ~/.aliyun/config.json

struct JsonProfile<'a>(&'a Map<String, Value>);

impl Fields for JsonProfile<'_> {
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(non_empty(Some(s.clone()))),
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
        match profile.filter(|p| !p.is_empty()) {
            Some(p) => p.to_string(),
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

/// A RamRoleArn profile's own fields, read before its source is.
struct CliRole {
    role_arn: String,
    role_session_name: Option<String>,
    policy: Option<String>,
    external_id: Option<String>,
    duration_seconds: Option<u32>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
}

impl CliRole {
    fn read(p: &JsonProfile, what: &str) -> Result<Self, String> {
        Ok(CliRole {
            role_arn: required(p, what, "ram_role_arn")?,
            role_session_name: p.text("ram_session_name")?,
            policy: p.text("policy")?,
            external_id: p.text("external_id")?,
            duration_seconds: p.number("expired_seconds")?,
            sts_region: p.text("sts_region")?,
            enable_vpc: p.flag("enable_vpc")?,
        })
    }

    fn with_source(self, source: ProfileSpec) -> ProfileSpec {
        ProfileSpec::RamRoleArn {
            source: Box::new(source),
            role_arn: self.role_arn,
            role_session_name: self.role_session_name,
            policy: self.policy,
            external_id: self.external_id,
            duration_seconds: self.duration_seconds,
            sts_region: self.sts_region,
            enable_vpc: self.enable_vpc,
        }
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
            "AK" => ProfileSpec::AccessKey {
                id: required(p, what, "access_key_id")?,
                secret: secret(p, what, "access_key_secret")?,
            },
            "StsToken" => ProfileSpec::Sts {
                id: required(p, what, "access_key_id")?,
                secret: secret(p, what, "access_key_secret")?,
                token: secret(p, what, "sts_token")?,
            },
            "RamRoleArn" => {
                let source = key_pair(p, what, "sts_token")?;
                CliRole::read(p, what)?.with_source(source)
            }
            "EcsRamRole" => ProfileSpec::EcsRamRole {
                role_name: p.text("ram_role_name")?,
                disable_imds_v1: None,
            },
            "OIDC" => ProfileSpec::OidcRoleArn {
                role_arn: required(p, what, "ram_role_arn")?,
                oidc_provider_arn: required(p, what, "oidc_provider_arn")?,
                oidc_token_file: p.text("oidc_token_file")?,
                // The SDK reads role_session_name; the CLI writes ram_session_name.
                role_session_name: match p.text("role_session_name")? {
                    Some(s) => Some(s),
                    None => p.text("ram_session_name")?,
                },
                policy: p.text("policy")?,
                duration_seconds: p.number("expired_seconds")?,
                sts_region: p.text("sts_region")?,
                enable_vpc: p.flag("enable_vpc")?,
            },
            "CredentialsURI" => ProfileSpec::CredentialsUri {
                uri: required(p, what, "credentials_uri")?,
            },
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
    let role = CliRole::read(&p, what).map_err(via)?;
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
    Ok(role.with_source(source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::env;

    const INI: &str = "/h/.alibabacloud/credentials.ini";
    const CLI: &str = "/h/.aliyun/config.json";

    fn ini(text: &str, profile: &str) -> Result<ProfileSpec, CredentialsError> {
        parse_ini_profile(text, profile, INI)
    }

    fn ini_err(text: &str, profile: &str) -> String {
        ini(text, profile).unwrap_err().to_string()
    }

    fn ak(id: &str, secret: &str) -> ProfileSpec {
        ProfileSpec::AccessKey {
            id: id.into(),
            secret: Zeroizing::new(secret.into()),
        }
    }

    fn sts(id: &str, secret: &str, token: &str) -> ProfileSpec {
        ProfileSpec::Sts {
            id: id.into(),
            secret: Zeroizing::new(secret.into()),
            token: Zeroizing::new(token.into()),
        }
    }

    // ----- paths and names

    #[test]
    fn paths_and_profile_names() {
        let e = env(&[("HOME", "/home/u")]);
        assert_eq!(
            ini_path(&e),
            Some(PathBuf::from("/home/u/.alibabacloud/credentials.ini"))
        );
        assert_eq!(
            cli_config_path(&e),
            Some(PathBuf::from("/home/u/.aliyun/config.json"))
        );
        assert_eq!(profile_name(&e), "default");
        assert_eq!(cli_profile_name(&e), None);
        assert!(!cli_profile_disabled(&e));

        let e = env(&[
            ("HOME", "/home/u"),
            ("ALIBABA_CLOUD_CREDENTIALS_FILE", "/etc/creds.ini"),
            ("ALIBABA_CLOUD_PROFILE", "dev"),
            ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"),
        ]);
        assert_eq!(ini_path(&e), Some(PathBuf::from("/etc/creds.ini")));
        assert_eq!(profile_name(&e), "dev");
        assert_eq!(cli_profile_name(&e).as_deref(), Some("dev"));
        assert!(cli_profile_disabled(&e));

        // Empty values count as unset; no home, no default path.
        let e = env(&[
            ("ALIBABA_CLOUD_CREDENTIALS_FILE", ""),
            ("ALIBABA_CLOUD_PROFILE", ""),
        ]);
        assert_eq!(ini_path(&e), None);
        assert_eq!(cli_config_path(&e), None);
        assert_eq!(profile_name(&e), "default");
        let e = env(&[("USERPROFILE", "C:\\Users\\u")]);
        assert!(ini_path(&e).is_some());
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
        let text = "[dev]
type = ram_role_arn
access_key_id = id1
access_key_secret = s1
role_arn = acs:ram::123:role/r
role_session_name = sess
policy = {\"Statement\": []}
external_id = ext
duration_seconds = 1800
sts_region = cn-hangzhou
enable_vpc = true
";
        assert_eq!(
            ini(text, "dev").unwrap(),
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("id1", "s1")),
                role_arn: "acs:ram::123:role/r".into(),
                role_session_name: Some("sess".into()),
                policy: Some("{\"Statement\": []}".into()),
                external_id: Some("ext".into()),
                duration_seconds: Some(1800),
                sts_region: Some("cn-hangzhou".into()),
                enable_vpc: Some(true),
            }
        );
        // Only the SDK's keys: the rest is unset.
        let minimal =
            "[dev]\ntype=ram_role_arn\naccess_key_id=i\naccess_key_secret=s\nrole_arn=r\n";
        assert_eq!(
            ini(minimal, "dev").unwrap(),
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("i", "s")),
                role_arn: "r".into(),
                role_session_name: None,
                policy: None,
                external_id: None,
                duration_seconds: None,
                sts_region: None,
                enable_vpc: None,
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
            ProfileSpec::EcsRamRole {
                role_name: Some("worker".into()),
                disable_imds_v1: Some(true),
            }
        );
        assert_eq!(
            ini("[e]\ntype = ecs_ram_role\n", "e").unwrap(),
            ProfileSpec::EcsRamRole {
                role_name: None,
                disable_imds_v1: None,
            }
        );
    }

    #[test]
    fn ini_oidc_role_arn() {
        let text = "[o]
type = oidc_role_arn
role_arn = acs:ram::1:role/o
oidc_provider_arn = acs:ram::1:oidc-provider/p
oidc_token_file_path = /var/run/token
role_session_name = s
policy = p
duration_seconds = 900
sts_region = cn-beijing
enable_vpc = off
";
        assert_eq!(
            ini(text, "o").unwrap(),
            ProfileSpec::OidcRoleArn {
                role_arn: "acs:ram::1:role/o".into(),
                oidc_provider_arn: "acs:ram::1:oidc-provider/p".into(),
                oidc_token_file: Some("/var/run/token".into()),
                role_session_name: Some("s".into()),
                policy: Some("p".into()),
                duration_seconds: Some(900),
                sts_region: Some("cn-beijing".into()),
                enable_vpc: Some(false),
            }
        );
        // The token file may come from ALIBABA_CLOUD_OIDC_TOKEN_FILE instead.
        let ProfileSpec::OidcRoleArn {
            oidc_token_file, ..
        } = ini(
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
            ProfileSpec::CredentialsUri {
                uri: "http://127.0.0.1:8080/c".into()
            }
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
            ProfileSpec::CredentialsUri {
                uri: "http://h/c?a=b:c".into()
            }
        );
    }

    #[test]
    fn ini_continuation_lines() {
        let text = "[dev]
type = ram_role_arn
access_key_id = i
access_key_secret = s
role_arn = r
policy = {\"Version\": \"1\",
    \"Statement\": []}
role_session_name = sess
";
        let ProfileSpec::RamRoleArn {
            policy,
            role_session_name,
            ..
        } = ini(text, "dev").unwrap()
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

    // ----- config.json

    fn cli(text: &str, profile: Option<&str>) -> Result<ProfileSpec, CredentialsError> {
        parse_cli_config(text, profile, CLI)
    }

    fn cli_err(text: &str, profile: Option<&str>) -> String {
        cli(text, profile).unwrap_err().to_string()
    }

    fn config(profiles: Value) -> String {
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
        let text = config(serde_json::json!([
            {"name": "default", "mode": "RamRoleArn", "access_key_id": "i",
             "access_key_secret": "s", "ram_role_arn": "acs:ram::1:role/r",
             "ram_session_name": "sess", "expired_seconds": 1200, "policy": "pol",
             "external_id": "ext", "sts_region": "cn-shanghai", "enable_vpc": true}
        ]));
        assert_eq!(
            cli(&text, None).unwrap(),
            ProfileSpec::RamRoleArn {
                source: Box::new(ak("i", "s")),
                role_arn: "acs:ram::1:role/r".into(),
                role_session_name: Some("sess".into()),
                policy: Some("pol".into()),
                external_id: Some("ext".into()),
                duration_seconds: Some(1200),
                sts_region: Some("cn-shanghai".into()),
                enable_vpc: Some(true),
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
            duration_seconds,
            ..
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
            duration_seconds,
            enable_vpc,
            policy,
            ..
        } = cli(&text, None).unwrap()
        else {
            panic!("not a role")
        };
        assert_eq!(
            (duration_seconds, enable_vpc, policy),
            (Some(1000), Some(false), None)
        );
    }

    #[test]
    fn cli_ecs_ram_role() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "EcsRamRole", "ram_role_name": "worker"},
            {"name": "auto", "mode": "EcsRamRole", "ram_role_name": ""}
        ]));
        assert_eq!(
            cli(&text, None).unwrap(),
            ProfileSpec::EcsRamRole {
                role_name: Some("worker".into()),
                disable_imds_v1: None,
            }
        );
        assert_eq!(
            cli(&text, Some("auto")).unwrap(),
            ProfileSpec::EcsRamRole {
                role_name: None,
                disable_imds_v1: None,
            }
        );
    }

    #[test]
    fn cli_oidc() {
        let text = config(serde_json::json!([
            {"name": "default", "mode": "OIDC", "ram_role_arn": "r", "oidc_provider_arn": "p",
             "oidc_token_file": "/t", "role_session_name": "sdk-name",
             "ram_session_name": "cli-name", "expired_seconds": 3600, "policy": "pol",
             "sts_region": "cn-hangzhou", "enable_vpc": false},
            {"name": "cli-written", "mode": "OIDC", "ram_role_arn": "r",
             "oidc_provider_arn": "p", "ram_session_name": "cli-name"},
            {"name": "broken", "mode": "OIDC", "ram_role_arn": "r"}
        ]));
        assert_eq!(
            cli(&text, None).unwrap(),
            ProfileSpec::OidcRoleArn {
                role_arn: "r".into(),
                oidc_provider_arn: "p".into(),
                oidc_token_file: Some("/t".into()),
                role_session_name: Some("sdk-name".into()),
                policy: Some("pol".into()),
                duration_seconds: Some(3600),
                sts_region: Some("cn-hangzhou".into()),
                enable_vpc: Some(false),
            }
        );
        let ProfileSpec::OidcRoleArn {
            role_session_name,
            oidc_token_file,
            ..
        } = cli(&text, Some("cli-written")).unwrap()
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
            ProfileSpec::CredentialsUri {
                uri: "http://h/c".into()
            }
        );
        assert!(cli_err(&text, Some("empty")).ends_with("requires credentials_uri"));
    }

    #[test]
    fn cli_chainable_ram_role_arn() {
        let text = config(serde_json::json!([
            {"name": "base", "mode": "AK", "access_key_id": "i", "access_key_secret": "s"},
            {"name": "mid", "mode": "ChainableRamRoleArn", "source_profile": "base",
             "ram_role_arn": "r1", "ram_session_name": "s1"},
            {"name": "default", "mode": "ChainableRamRoleArn", "source_profile": "mid",
             "ram_role_arn": "r2", "expired_seconds": 900},
            {"name": "on-ecs", "mode": "ChainableRamRoleArn", "source_profile": "ecs",
             "ram_role_arn": "r3"},
            {"name": "ecs", "mode": "EcsRamRole"}
        ]));
        let role = |source: ProfileSpec, arn: &str, session: Option<&str>, d: Option<u32>| {
            ProfileSpec::RamRoleArn {
                source: Box::new(source),
                role_arn: arn.into(),
                role_session_name: session.map(Into::into),
                policy: None,
                external_id: None,
                duration_seconds: d,
                sts_region: None,
                enable_vpc: None,
            }
        };
        assert_eq!(
            cli(&text, None).unwrap(),
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
                ProfileSpec::EcsRamRole {
                    role_name: None,
                    disable_imds_v1: None
                },
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

    // ----- Debug and files

    #[test]
    fn debug_never_shows_secrets() {
        let specs = [
            ak("LTAIid", "TOPSECRET"),
            sts("STS.id", "TOPSECRET", "TOKENVALUE"),
            ProfileSpec::RamRoleArn {
                source: Box::new(sts("STS.id", "TOPSECRET", "TOKENVALUE")),
                role_arn: "acs:ram::1:role/r".into(),
                role_session_name: None,
                policy: None,
                external_id: None,
                duration_seconds: None,
                sts_region: None,
                enable_vpc: None,
            },
            ProfileSpec::CredentialsUri {
                uri: "http://h/c?token=TOKENVALUE".into(),
            },
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
            ProfileSpec::CredentialsUri {
                uri: "http://h/c".into()
            }
        );
        assert!(shown.contains("http://h/c"), "{shown}");
    }

    #[test]
    fn kinds() {
        assert_eq!(ak("a", "b").kind(), "access_key");
        assert_eq!(sts("a", "b", "c").kind(), "sts");
    }

    #[test]
    fn loading_files() {
        let dir = std::env::temp_dir().join(format!("ossauth-profile-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini_file = dir.join("credentials.ini");
        std::fs::write(&ini_file, "[default]\ntype=ecs_ram_role\n").unwrap();
        assert!(matches!(
            load_ini_profile(&ini_file, "default").unwrap(),
            ProfileSpec::EcsRamRole { .. }
        ));
        let json_file = dir.join("config.json");
        std::fs::write(
            &json_file,
            config(serde_json::json!([{"name": "default", "mode": "EcsRamRole"}])),
        )
        .unwrap();
        assert!(matches!(
            load_cli_config(&json_file, None).unwrap(),
            ProfileSpec::EcsRamRole { .. }
        ));
        let missing = dir.join("missing.ini");
        let e = load_ini_profile(&missing, "dev").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "profile 'dev' in {}: no such file",
                missing.display()
            )),
            "{e}"
        );
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; (MAX_FILE_BYTES + 10) as usize]).unwrap();
        let e = load_cli_config(&big, Some("p")).unwrap_err().to_string();
        assert!(e.contains("larger than"), "{e}");
        let binary = dir.join("binary.ini");
        std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        assert!(load_ini_profile(&binary, "p")
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
