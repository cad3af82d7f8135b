//! ECS RAM role: temporary credentials of the role attached to this instance, from its
//! metadata service. IMDSv2 first (a session token from `PUT /latest/api/token`, sent on every
//! `GET`), IMDSv1 when no token can be had unless that is disabled; the role is discovered
//! when not named. One round of requests per [`Provide::provide`], no retries of its own.

use std::sync::Arc;

use crate::credentials::context::{given_trimmed, Context};
use crate::credentials::http::{HttpClient, Limits, Request, Response};
use crate::credentials::service_text::quoted;
use crate::credentials::{flat_json, Credentials, CredentialsError, ErrorKind, Provide};

pub const DEFAULT_ENDPOINT: &str = "http://100.100.100.200";
const TOKEN_PATH: &str = "/latest/api/token";
const ROLES_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// What alibabacloud_credentials asks for: the longest session IMDS grants (6 hours).
const TOKEN_TTL_SECONDS: &str = "21600";

/// What the caller or a profile sets; `None` falls back to the environment, then to the
/// defaults.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct EcsRamRoleOptions {
    /// Else `ALIBABA_CLOUD_ECS_METADATA`; else discovered.
    pub role_name: Option<String>,
    /// Else [`DEFAULT_ENDPOINT`]; `host[:port]` means `http://host[:port]`.
    pub endpoint: Option<String>,
    /// Else `ALIBABA_CLOUD_IMDSV1_DISABLED` == `true`.
    pub disable_imds_v1: Option<bool>,
    pub limits: Limits,
}

/// Everything resolved: what [`EcsRamRole::new`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsRamRoleConfig {
    pub role_name: Option<String>,
    /// Without a trailing `/`.
    pub endpoint: String,
    pub disable_imds_v1: bool,
    pub limits: Limits,
}

impl EcsRamRoleConfig {
    /// Explicit options win; `lookup` (the process environment in production) fills the rest.
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` is an error: the user turned this source off.
    pub fn resolve(
        options: EcsRamRoleOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CredentialsError> {
        let is_true =
            |name: &str| lookup(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let endpoint = given_trimmed(options.endpoint).unwrap_or_else(|| DEFAULT_ENDPOINT.into());
        let endpoint = endpoint.trim_end_matches('/');
        let endpoint = if endpoint.contains("://") {
            endpoint.to_string()
        } else {
            format!("http://{endpoint}")
        };
        if endpoint.contains(['?', '#']) || endpoint.ends_with("://") {
            return Err(CredentialsError::config(
                source_name(&endpoint),
                "the metadata endpoint must be a host or an http://host[:port] URL",
            ));
        }
        if is_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
            return Err(CredentialsError::config(
                source_name(&endpoint),
                "the ECS metadata service is disabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)",
            ));
        }
        let from_env = options.role_name.is_none();
        let role_name = given_trimmed(
            options
                .role_name
                .or_else(|| lookup("ALIBABA_CLOUD_ECS_METADATA")),
        );
        if let Some(role) = role_name.as_deref().filter(|r| !is_role_name(r)) {
            let origin = if from_env {
                " (from ALIBABA_CLOUD_ECS_METADATA)"
            } else {
                ""
            };
            return Err(CredentialsError::config(
                source_name(&endpoint),
                format!(
                    "{}{origin} is not a RAM role name ({ROLE_NAME_RULE}): give the name of \
                     the role attached to the instance, or none to discover it",
                    quoted(role, 80)
                ),
            ));
        }
        Ok(EcsRamRoleConfig {
            role_name,
            endpoint,
            disable_imds_v1: options
                .disable_imds_v1
                .unwrap_or_else(|| is_true("ALIBABA_CLOUD_IMDSV1_DISABLED")),
            limits: options.limits,
        })
    }
}

/// The metadata service answers in milliseconds or not at all (off ECS): 1 s each, like the SDK.
pub fn ecs_limits() -> Limits {
    Limits {
        connect_timeout: std::time::Duration::from_secs(1),
        read_timeout: std::time::Duration::from_secs(1),
        ..Limits::default()
    }
}

/// What [`is_role_name`] accepts, for messages.
const ROLE_NAME_RULE: &str = "1 to 64 letters, digits, '.', '-' or '_', and not '.' or '..'";

/// RAM's rule for role names: 1 to 64 characters, English letters, digits, periods and hyphens
/// (RAM's CreateRole), and underscores (ROS's `ALIYUN::RAM::Role`). A name becomes the last
/// segment of the metadata URL path, so `.` and `..` (which would walk up it) are refused too.
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name != "."
        && name != ".."
}

/// `ECS RAM role (http://100.100.100.200)`: errors say which metadata service failed.
pub fn source_name(endpoint: &str) -> String {
    format!(
        "ECS RAM role ({})",
        crate::credentials::http::shown_url(endpoint)
    )
}

pub struct EcsRamRole {
    config: EcsRamRoleConfig,
    name: String,
    http: Arc<dyn HttpClient>,
}

impl EcsRamRole {
    /// `options` resolved against the context's environment; the metadata service reached
    /// through its (never proxied) metadata client.
    pub fn from_options(
        options: EcsRamRoleOptions,
        ctx: &Context,
    ) -> Result<Self, CredentialsError> {
        let config = EcsRamRoleConfig::resolve(options, |name| (ctx.env)(name))?;
        Ok(Self::new(config, ctx.http.metadata.clone()))
    }

    pub fn new(config: EcsRamRoleConfig, http: Arc<dyn HttpClient>) -> Self {
        let name = source_name(&config.endpoint);
        EcsRamRole { config, name, http }
    }

    pub fn source_name(&self) -> &str {
        &self.name
    }

    fn err(&self, kind: ErrorKind, msg: String) -> CredentialsError {
        CredentialsError::new(kind, self.name.clone(), msg)
    }

    /// An IMDSv2 session token; `None` when IMDSv1 may be used instead.
    fn token(&self) -> Result<Option<String>, CredentialsError> {
        let request = Request::new("PUT", format!("{}{TOKEN_PATH}", self.config.endpoint))
            .header("X-aliyun-ecs-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS);
        let (kind, why) = match self.http.send(&request, &self.config.limits) {
            Ok(r) if r.status == 200 => match std::str::from_utf8(&r.body) {
                Ok(t) if !t.trim().is_empty() => return Ok(Some(t.trim().to_string())),
                _ => (ErrorKind::Service, "an empty or non-text token".to_string()),
            },
            Ok(r) => (ErrorKind::Service, format!("HTTP {}", r.status)),
            Err(e) => (ErrorKind::Transport, e.to_string()),
        };
        if self.config.disable_imds_v1 {
            Err(self.err(
                kind,
                format!("no IMDSv2 token ({why}) and IMDSv1 is disabled"),
            ))
        } else {
            log::debug!("{}: no IMDSv2 token ({why}); using IMDSv1", self.name);
            Ok(None)
        }
    }

    fn get(&self, path: &str, token: Option<&str>) -> Result<Response, CredentialsError> {
        let mut request = Request::new("GET", format!("{}{path}", self.config.endpoint));
        if let Some(t) = token {
            request = request.header("X-aliyun-ecs-metadata-token", t);
        }
        self.http
            .send(&request, &self.config.limits)
            .map_err(|e| self.err(ErrorKind::Transport, e.to_string()).caused_by(e))
    }

    fn role_name(&self, token: Option<&str>) -> Result<String, CredentialsError> {
        if let Some(r) = &self.config.role_name {
            return Ok(r.clone());
        }
        let response = self.get(ROLES_PATH, token)?;
        if response.status == 404 {
            return Err(self.err(
                ErrorKind::Service,
                "no RAM role is attached to this instance (role discovery: HTTP 404)".into(),
            ));
        }
        if response.status != 200 {
            return Err(self.err(
                ErrorKind::Service,
                format!("role discovery answered HTTP {}", response.status),
            ));
        }
        let role = String::from_utf8_lossy(&response.body)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                self.err(
                    ErrorKind::Service,
                    "no RAM role is attached to this instance".into(),
                )
            })?;
        // The name goes into the next request's path: a hostile or broken metadata service
        // must not make it request `../../x` or add a query.
        if !is_role_name(&role) {
            return Err(self.err(
                ErrorKind::Service,
                format!(
                    "the metadata service named the role {}, which is not a RAM role name \
                 ({ROLE_NAME_RULE}); its credentials were not requested",
                    quoted(&role, 80)
                ),
            ));
        }
        Ok(role)
    }
}

impl Provide for EcsRamRole {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        let token = self.token()?;
        let role = self.role_name(token.as_deref())?;
        let response = self.get(&format!("{ROLES_PATH}{role}"), token.as_deref())?;
        if response.status == 404 {
            return Err(self.err(
                ErrorKind::Service,
                format!(
                    "no RAM role {} on this instance (HTTP 404)",
                    quoted(&role, 80)
                ),
            ));
        }
        flat_json::parse(
            &self.name,
            &format!("the metadata service (role {})", quoted(&role, 80)),
            response.status,
            &response.body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::FakeHttp;
    use std::collections::HashMap;

    const CREDS: &str = r#"{"Code":"Success","AccessKeyId":"STS.ecs","AccessKeySecret":"s3c",
        "SecurityToken":"t0k","Expiration":"2024-05-01T12:00:00Z"}"#;

    fn config(role: Option<&str>, disable_v1: bool) -> EcsRamRoleConfig {
        let env: HashMap<&str, &str> = HashMap::new();
        EcsRamRoleConfig::resolve(
            EcsRamRoleOptions {
                role_name: role.map(Into::into),
                endpoint: Some("imds.test:8080/".into()),
                disable_imds_v1: Some(disable_v1),
                limits: Limits::default(),
            },
            |k| env.get(k).map(|v| v.to_string()),
        )
        .unwrap()
    }

    /// IMDS that grants tokens when `v2` and always serves role `r1`.
    fn imds(v2: bool) -> Arc<FakeHttp> {
        Arc::new(FakeHttp::new(move |r| {
            let path = r.url.trim_start_matches("http://imds.test:8080");
            let ok = |b: &str| {
                Ok(Response {
                    status: 200,
                    body: b.as_bytes().to_vec(),
                })
            };
            match (r.method, path) {
                ("PUT", TOKEN_PATH) if v2 => ok("the-token"),
                ("PUT", _) => Ok(Response {
                    status: 403,
                    body: vec![],
                }),
                ("GET", ROLES_PATH) => ok("r1\n"),
                ("GET", "/latest/meta-data/ram/security-credentials/r1") => ok(CREDS),
                _ => Ok(Response {
                    status: 404,
                    body: vec![],
                }),
            }
        }))
    }

    fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn v2_token_on_every_get_and_role_discovery() {
        let http = imds(true);
        let creds = EcsRamRole::new(config(None, false), http.clone())
            .provide()
            .unwrap();
        assert_eq!(creds.access_key_id(), "STS.ecs");
        let seen = http.requests();
        let summary: Vec<_> = seen.iter().map(|r| format!("{r:?}")).collect();
        assert_eq!(
            summary,
            [
                "PUT http://imds.test:8080/latest/api/token",
                "GET http://imds.test:8080/latest/meta-data/ram/security-credentials/",
                "GET http://imds.test:8080/latest/meta-data/ram/security-credentials/r1",
            ]
        );
        assert_eq!(
            header(&seen[0], "X-aliyun-ecs-metadata-token-ttl-seconds"),
            Some("21600")
        );
        for get in &seen[1..] {
            assert_eq!(
                header(get, "X-aliyun-ecs-metadata-token"),
                Some("the-token")
            );
        }
    }

    #[test]
    fn v1_fallback_unless_disabled() {
        let http = imds(false);
        let creds = EcsRamRole::new(config(Some("r1"), false), http.clone())
            .provide()
            .unwrap();
        assert_eq!(creds.security_token(), Some("t0k"));
        let seen = http.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(header(&seen[1], "X-aliyun-ecs-metadata-token"), None);

        let http = imds(false);
        let e = EcsRamRole::new(config(Some("r1"), true), http.clone())
            .provide()
            .unwrap_err();
        assert_eq!(e.source, "ECS RAM role (http://imds.test:8080)");
        assert!(
            e.message.contains("HTTP 403") && e.message.contains("IMDSv1 is disabled"),
            "{e}"
        );
        assert_eq!(http.requests().len(), 1);
    }

    #[test]
    fn unknown_role_and_environment() {
        let e = EcsRamRole::new(config(Some("other"), false), imds(true))
            .provide()
            .unwrap_err();
        assert!(e.message.contains("no RAM role \"other\""), "{e}");

        let env = |k: &str| match k {
            "ALIBABA_CLOUD_ECS_METADATA" => Some("from-env".to_string()),
            "ALIBABA_CLOUD_IMDSV1_DISABLED" => Some("TRUE".to_string()),
            _ => None,
        };
        let c = EcsRamRoleConfig::resolve(EcsRamRoleOptions::default(), env).unwrap();
        assert_eq!(c.role_name.as_deref(), Some("from-env"));
        assert!(c.disable_imds_v1);
        assert_eq!(c.endpoint, DEFAULT_ENDPOINT);

        let off = |k: &str| (k == "ALIBABA_CLOUD_ECS_METADATA_DISABLED").then(|| "true".into());
        let e = EcsRamRoleConfig::resolve(EcsRamRoleOptions::default(), off).unwrap_err();
        assert!(
            e.message.contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
            "{e}"
        );
    }

    #[test]
    fn role_names_follow_rams_rules() {
        for good in ["r1", "EcsRamRoleTest", "a.b-c_d", "...", &"x".repeat(64)] {
            assert!(is_role_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../x",
            "r?q=1",
            "r#f",
            "a/b",
            "a b",
            "r\n1",
            "角色",
            "%2e%2e",
            &"x".repeat(65),
        ] {
            assert!(!is_role_name(bad), "{bad}");
        }
    }

    #[test]
    fn configured_role_names_are_checked_at_construction() {
        let resolve = |role: Option<&str>, env: &[(&str, &str)]| {
            EcsRamRoleConfig::resolve(
                EcsRamRoleOptions {
                    role_name: role.map(Into::into),
                    ..Default::default()
                },
                crate::credentials::test_util::env(env),
            )
        };
        let e = resolve(Some(".."), &[]).unwrap_err();
        assert_eq!(e.source, "ECS RAM role (http://100.100.100.200)");
        assert!(
            e.message
                .starts_with("\"..\" is not a RAM role name (1 to 64 letters"),
            "{e}"
        );
        let e = resolve(None, &[("ALIBABA_CLOUD_ECS_METADATA", "x/../..")]).unwrap_err();
        assert!(
            e.message
                .starts_with("\"x/../..\" (from ALIBABA_CLOUD_ECS_METADATA) is not a RAM role"),
            "{e}"
        );
        let e = resolve(Some("a\x1b[2J"), &[]).unwrap_err();
        assert!(e.message.starts_with("\"a\\u{1b}[2J\" is not"), "{e}");
        assert_eq!(
            resolve(Some(" r-1.x_y "), &[])
                .unwrap()
                .role_name
                .as_deref(),
            Some("r-1.x_y")
        );
    }

    #[test]
    fn discovered_role_names_are_checked_before_any_request_for_them() {
        for hostile in ["../../x", "r?q=1", "..", "a/b", "r\x1b[2J"] {
            let http = Arc::new(FakeHttp::new(move |r| {
                let body = if r.method == "PUT" {
                    "tok".to_string()
                } else {
                    format!("{hostile}\n")
                };
                Ok(Response {
                    status: 200,
                    body: body.into_bytes(),
                })
            }));
            let e = EcsRamRole::new(config(None, false), http.clone())
                .provide()
                .unwrap_err();
            assert_eq!(e.source, "ECS RAM role (http://imds.test:8080)");
            assert!(
                e.message
                    .starts_with("the metadata service named the role \""),
                "{e}"
            );
            assert!(!e.message.contains('\x1b'), "{e}");
            assert_eq!(
                http.requests().len(),
                2,
                "{hostile}: only the token and discovery"
            );
        }
    }
}
