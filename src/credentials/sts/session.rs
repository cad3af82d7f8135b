//! The session of an assumed role, whichever STS source assumes it (RAM role ARN, OIDC role
//! ARN): its name, policy, duration, STS endpoint and HTTP limits. [`RoleSessionOptions`] is
//! what a caller or a profile sets, [`RoleSession`] the same resolved, by one
//! [`RoleSessionOptions::resolve`].

use super::resolve_sts_url;
use crate::credentials::context::given;
use crate::credentials::http::Limits;

/// The shortest session STS grants; shorter requests are refused before any network call.
pub const MIN_DURATION_SECONDS: u32 = 900;
/// What a session lasts when no duration is given (alibabacloud_credentials' default).
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// What the caller or a profile sets; `None` falls back to the environment, then to the
/// defaults.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct RoleSessionOptions {
    /// Else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `credentials-python-<epoch seconds>`.
    pub role_session_name: Option<String>,
    /// A policy document narrowing the role's permissions for this session.
    pub policy: Option<String>,
    /// Else 3600; at least 900.
    pub duration_seconds: Option<u32>,
    /// A host (https) or a full URL; wins over the region.
    pub sts_endpoint: Option<String>,
    /// Else `ALIBABA_CLOUD_STS_REGION`.
    pub sts_region: Option<String>,
    /// Else `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED` == `true`.
    pub enable_vpc: Option<bool>,
    /// Timeouts and size limits of the STS request.
    pub limits: Limits,
}

/// The session resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSession {
    pub role_session_name: String,
    /// A policy document narrowing the role's permissions for this session.
    pub policy: Option<String>,
    pub duration_seconds: u32,
    /// Base URL without a trailing `/`, see [`sts_endpoint_url`](super::sts_endpoint_url).
    pub sts_url: String,
    /// Timeouts and size limits of the STS request.
    pub limits: Limits,
}

impl RoleSessionOptions {
    /// Explicit options win; `lookup` (the process environment in production) fills the rest;
    /// empty values count as unset. The default session name is taken at `now_secs`. Err: the
    /// STS endpoint's message (a region that is not one); [`RoleSession::check`] validates the
    /// rest, after the role's own fields.
    pub fn resolve(
        self,
        lookup: &dyn Fn(&str) -> Option<String>,
        now_secs: i64,
    ) -> Result<RoleSession, String> {
        Ok(RoleSession {
            role_session_name: given(self.role_session_name)
                .or_else(|| given(lookup("ALIBABA_CLOUD_ROLE_SESSION_NAME")))
                .unwrap_or_else(|| default_session_name(now_secs)),
            policy: given(self.policy),
            duration_seconds: self.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS),
            sts_url: resolve_sts_url(
                self.sts_endpoint.as_deref(),
                self.sts_region.as_deref(),
                self.enable_vpc,
                lookup,
            )?,
            limits: self.limits,
        })
    }
}

impl RoleSession {
    /// What any assumed role's session needs: a session name, at least
    /// [`MIN_DURATION_SECONDS`], an endpoint.
    pub fn check(&self) -> Result<(), String> {
        if self.role_session_name.is_empty() {
            return Err("role_session_name must not be empty".into());
        }
        if self.duration_seconds < MIN_DURATION_SECONDS {
            return Err(format!(
                "duration_seconds must be at least {MIN_DURATION_SECONDS} (got {})",
                self.duration_seconds
            ));
        }
        if self.sts_url.is_empty() {
            return Err("the STS endpoint must not be empty".into());
        }
        Ok(())
    }
}

/// alibabacloud_credentials' default session name: `credentials-python-<epoch seconds>`.
pub fn default_session_name(now_secs: i64) -> String {
    format!("credentials-python-{now_secs}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::env;

    const NOW: i64 = 1_714_564_800;

    fn session() -> RoleSession {
        RoleSession {
            role_session_name: "s".into(),
            policy: None,
            duration_seconds: 900,
            sts_url: "https://sts.aliyuncs.com".into(),
            limits: Limits::default(),
        }
    }

    /// Explicit options, then the environment, then the defaults; empty counts as unset.
    #[test]
    fn resolve_precedence() {
        let lookup = env(&[
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-hangzhou"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        let s = RoleSessionOptions::default().resolve(&lookup, NOW).unwrap();
        assert_eq!(
            s,
            RoleSession {
                role_session_name: "from-env".into(),
                policy: None,
                duration_seconds: DEFAULT_DURATION_SECONDS,
                sts_url: "https://sts-vpc.cn-hangzhou.aliyuncs.com".into(),
                limits: Limits::default(),
            }
        );
        let explicit = RoleSessionOptions {
            role_session_name: Some("mine".into()),
            policy: Some("p".into()),
            duration_seconds: Some(1200),
            sts_region: Some("cn-beijing".into()),
            enable_vpc: Some(false),
            ..Default::default()
        };
        let s = explicit.resolve(&lookup, NOW).unwrap();
        assert_eq!(s.role_session_name, "mine");
        assert_eq!(s.policy.as_deref(), Some("p"));
        assert_eq!(s.duration_seconds, 1200);
        assert_eq!(s.sts_url, "https://sts.cn-beijing.aliyuncs.com");
        let empty = RoleSessionOptions {
            role_session_name: Some(String::new()),
            policy: Some(String::new()),
            ..Default::default()
        };
        let s = empty
            .resolve(&env(&[("ALIBABA_CLOUD_ROLE_SESSION_NAME", "")]), NOW)
            .unwrap();
        assert_eq!(s.role_session_name, "credentials-python-1714564800");
        assert_eq!(s.policy, None);
        assert_eq!(s.sts_url, "https://sts.aliyuncs.com");
    }

    #[test]
    fn resolve_refuses_a_region_that_is_not_one() {
        let bad = RoleSessionOptions {
            sts_region: Some("x.evil.com/".into()),
            ..Default::default()
        };
        assert_eq!(
            bad.resolve(&env(&[]), NOW).unwrap_err(),
            "\"x.evil.com/\" is not a region id (like cn-hangzhou) for the STS endpoint"
        );
    }

    #[test]
    fn check_messages() {
        assert_eq!(session().check(), Ok(()));
        let cases = [
            (
                RoleSession {
                    role_session_name: String::new(),
                    duration_seconds: 1,
                    ..session()
                },
                "role_session_name must not be empty",
            ),
            (
                RoleSession {
                    duration_seconds: 899,
                    sts_url: String::new(),
                    ..session()
                },
                "duration_seconds must be at least 900 (got 899)",
            ),
            (
                RoleSession {
                    sts_url: String::new(),
                    ..session()
                },
                "the STS endpoint must not be empty",
            ),
        ];
        for (s, expected) in cases {
            assert_eq!(s.check().unwrap_err(), expected);
        }
    }
}
