//! RAM role ARN: STS `AssumeRole`, signed (RPC HMAC-SHA1) with credentials from any other
//! source, as alibabacloud_credentials' `RamRoleArnCredentialsProvider` sends it: one
//! `GET {sts}/?{signed query}` per [`Provide::provide`], no caching or retries of its own.

use std::fmt;
use std::sync::Arc;

use crate::clock;
use crate::credentials::context::{given, Clock, Context};
use crate::credentials::http::{HttpClient, Request};
use crate::credentials::sts::{self, RoleSession, RoleSessionOptions};
use crate::credentials::{Credentials, CredentialsError, ErrorKind, Provide};

const SOURCE: &str = "RAM role ARN";

/// What the caller or a profile sets; `None` falls back to the environment, then to the
/// defaults.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct RamRoleArnOptions {
    /// Else `ALIBABA_CLOUD_ROLE_ARN`; required.
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub session: RoleSessionOptions,
}

/// Everything resolved: what [`RamRoleArn::new`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamRoleArnConfig {
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session: RoleSession,
}

impl RamRoleArnConfig {
    /// Explicit options win; `lookup` (the process environment in production) fills the rest;
    /// empty values count as unset. Validates like [`RamRoleArn::new`].
    /// The default session name is taken at `now_secs`.
    pub fn resolve(
        options: RamRoleArnOptions,
        lookup: impl Fn(&str) -> Option<String>,
        now_secs: i64,
    ) -> Result<Self, CredentialsError> {
        let config = RamRoleArnConfig {
            role_arn: given(options.role_arn)
                .or_else(|| given(lookup("ALIBABA_CLOUD_ROLE_ARN")))
                .unwrap_or_default(),
            external_id: given(options.external_id),
            session: options
                .session
                .resolve(&lookup, now_secs)
                .map_err(|m| CredentialsError::config(SOURCE, m))?,
        };
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), CredentialsError> {
        sts::require_role_arn(&self.role_arn).map_err(|m| CredentialsError::config(SOURCE, m))?;
        self.session
            .check()
            .map_err(|m| CredentialsError::config(source_name(&self.role_arn), m))
    }
}

fn source_name(role_arn: &str) -> String {
    format!("{SOURCE} ({role_arn})")
}

/// Assumes a RAM role with the credentials of `source`.
pub struct RamRoleArn {
    config: RamRoleArnConfig,
    source: Arc<dyn Provide>,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    name: String,
}

impl RamRoleArn {
    /// `options` resolved against the context's environment; STS reached through its HTTP
    /// client, at its clock's time.
    pub fn from_options(
        options: RamRoleArnOptions,
        source: Arc<dyn Provide>,
        ctx: &Context,
    ) -> Result<Self, CredentialsError> {
        // `resolve` has validated the config.
        let config = RamRoleArnConfig::resolve(options, |name| (ctx.env)(name), ctx.now_secs())?;
        Ok(Self::assemble(
            config,
            source,
            ctx.http.http.clone(),
            ctx.clock.clone(),
        ))
    }

    /// `config` validated; the real clock.
    pub fn new(
        config: RamRoleArnConfig,
        source: Arc<dyn Provide>,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self, CredentialsError> {
        config.validate()?;
        Ok(Self::assemble(
            config,
            source,
            http,
            Arc::new(clock::now_secs),
        ))
    }

    /// For a config already validated.
    fn assemble(
        config: RamRoleArnConfig,
        source: Arc<dyn Provide>,
        http: Arc<dyn HttpClient>,
        clock: Clock,
    ) -> Self {
        let name = source_name(&config.role_arn);
        RamRoleArn {
            config,
            source,
            http,
            clock,
            name,
        }
    }

    /// `RAM role ARN (<role arn>)`, the source of every error.
    pub fn source_name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &RamRoleArnConfig {
        &self.config
    }

    /// The signed AssumeRole request for these source credentials, nonce and instant.
    pub fn build_request(&self, source: &Credentials, nonce: &str, now_secs: i64) -> Request {
        let c = &self.config;
        let mut params = sts::signed_common_params(
            "AssumeRole",
            source.access_key_id(),
            source.security_token(),
            nonce,
            now_secs,
        );
        params.push(("RoleArn".into(), c.role_arn.clone()));
        params.push((
            "RoleSessionName".into(),
            c.session.role_session_name.clone(),
        ));
        params.push((
            "DurationSeconds".into(),
            c.session.duration_seconds.to_string(),
        ));
        if let Some(policy) = &c.session.policy {
            params.push(("Policy".into(), policy.clone()));
        }
        if let Some(id) = &c.external_id {
            params.push(("ExternalId".into(), id.clone()));
        }
        let query = sts::signed_query("GET", &params, source.access_key_secret());
        Request::new("GET", sts::request_url(&c.session.sts_url, &query))
    }
}

impl Provide for RamRoleArn {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        let source = self
            .source
            .provide()
            .map_err(|e| self.source_failed(e.kind, &e).caused_by(e))?;
        self.assume(&source)
    }
}

impl RamRoleArn {
    /// The error for source credentials that could not be had, of the kind of the source's
    /// failure (`kind`). A source that is not configured is a configuration error here: the
    /// role is configured, with a source that is absent.
    pub fn source_failed(&self, kind: ErrorKind, e: &dyn fmt::Display) -> CredentialsError {
        let kind = match kind {
            ErrorKind::NotConfigured => ErrorKind::Config,
            kind => kind,
        };
        CredentialsError::new(
            kind,
            self.name.clone(),
            format!("source credentials failed: {e}"),
        )
    }

    /// Assumes the role with these source credentials (got by `provide`, or handed over by
    /// Python when the source is a Python provider).
    pub fn assume(&self, source: &Credentials) -> Result<Credentials, CredentialsError> {
        if source.access_key_id().is_empty() || source.access_key_secret().is_empty() {
            return Err(CredentialsError::service(
                self.name.clone(),
                "the source credentials have an empty AccessKey id or secret",
            ));
        }
        let request = self.build_request(source, &sts::signature_nonce(), (self.clock)());
        let token = source.security_token().unwrap_or("");
        sts::call(
            &self.name,
            "AssumeRole",
            self.http.as_ref(),
            &self.config.session.limits,
            &request,
            &[source.access_key_secret(), token],
        )
    }
}

impl fmt::Debug for RamRoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RamRoleArn")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::http::{HttpError, Limits, Response};
    use crate::credentials::sts::rpc::tests::{
        assume_role_vector_params, ASSUME_ROLE_CANON, ASSUME_ROLE_SIGNATURE,
    };
    use crate::credentials::test_util::env;
    use crate::credentials::test_util::*;
    use crate::credentials::Static;

    const ARN: &str = "acs:ram::123456789012:role/test-role";
    /// The instant configs are resolved at in these tests.
    const NOW: i64 = 1_714_564_800;

    fn config() -> RamRoleArnConfig {
        RamRoleArnConfig {
            role_arn: ARN.into(),
            external_id: None,
            session: RoleSession {
                role_session_name: "sess~ion*1".into(),
                policy: None,
                duration_seconds: 3600,
                sts_url: "https://sts.aliyuncs.com".into(),
                limits: Limits::default(),
            },
        }
    }

    fn sts_source() -> Credentials {
        Credentials::new("STS.testid", "src-secret", Some("tok/en+==".into()), None)
    }

    fn provider(config: RamRoleArnConfig, source: Credentials, http: Arc<FakeHttp>) -> RamRoleArn {
        RamRoleArn::new(config, Arc::new(Static(source)), http).unwrap()
    }

    /// The whole request against the vector from alibabacloud_credentials' signer
    /// (`parameter_helper.compose_string_to_sign` + `sign_string`, see sts.rs).
    #[test]
    fn request_matches_the_reference_vector() {
        let vector = assume_role_vector_params();
        let get = |k: &str| param(&vector, k).unwrap().to_string();
        let mut cfg = RamRoleArnConfig {
            external_id: Some(get("ExternalId")),
            ..config()
        };
        cfg.session.policy = Some(get("Policy"));
        let p = provider(cfg, sts_source(), Arc::new(FakeHttp::fixed(200, OK_BODY)));
        let req = p.build_request(&sts_source(), &get("SignatureNonce"), 1_714_564_800);
        assert_eq!(req.method, "GET");
        assert_eq!(req.body, None);
        assert_eq!(
            req.url,
            format!(
                "https://sts.aliyuncs.com/?{ASSUME_ROLE_CANON}&Signature={}",
                sts::percent_encode(ASSUME_ROLE_SIGNATURE)
            )
        );
        // Debug never shows the query (it holds the token and the signature).
        assert_eq!(format!("{req:?}"), "GET https://sts.aliyuncs.com/");
    }

    /// Built from options and a context: without a configured session name, the default one
    /// is taken at the context's clock, as the request's Timestamp is.
    #[test]
    fn from_options_reads_the_context_clock() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let mut ctx = context(&[("ALIBABA_CLOUD_ROLE_ARN", ARN)], http.clone());
        ctx.clock = Arc::new(|| 1_714_564_800);
        let p = RamRoleArn::from_options(
            RamRoleArnOptions::default(),
            Arc::new(Static(sts_source())),
            &ctx,
        )
        .unwrap();
        p.provide().unwrap();
        let sent = query_params(&http.requests()[0].url);
        assert_eq!(
            param(&sent, "RoleSessionName"),
            Some("credentials-python-1714564800")
        );
        assert_eq!(param(&sent, "Timestamp"), Some("2024-05-01T12:00:00Z"));
    }

    /// What a verifying STS does: decode, drop Signature, re-sign with the secret.
    fn verify(url: &str, secret: &str) -> Vec<(String, String)> {
        let params = query_params(url);
        let sig = param(&params, "Signature").expect("Signature").to_string();
        let rest: Vec<_> = params
            .iter()
            .filter(|(k, _)| k != "Signature")
            .cloned()
            .collect();
        let expected = sts::signature(
            secret,
            &sts::string_to_sign("GET", &sts::canonicalized_query(&rest)),
        );
        assert_eq!(sig, expected, "signature does not verify");
        rest
    }

    #[test]
    fn provide_sends_a_signed_assume_role() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let p = provider(config(), sts_source(), http.clone());
        let c = p.provide().unwrap();
        assert_eq!(c.access_key_id(), "STS.NUgYrLnoC37mZZCNnAbez2");
        assert_eq!(c.security_token(), Some("CAIS-new-token"));
        p.provide().unwrap();
        let reqs = http.requests();
        assert_eq!(reqs.len(), 2);
        let first = verify(&reqs[0].url, "src-secret");
        let second = verify(&reqs[1].url, "src-secret");
        assert!(reqs[0].url.starts_with("https://sts.aliyuncs.com/?"));
        let mut keys: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "AccessKeyId",
                "Action",
                "DurationSeconds",
                "Format",
                "RoleArn",
                "RoleSessionName",
                "SecurityToken",
                "SignatureMethod",
                "SignatureNonce",
                "SignatureVersion",
                "Timestamp",
                "Version"
            ]
        );
        for (k, v) in [
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("AccessKeyId", "STS.testid"),
            ("SecurityToken", "tok/en+=="),
            ("RoleArn", ARN),
            ("RoleSessionName", "sess~ion*1"),
            ("DurationSeconds", "3600"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ] {
            assert_eq!(param(&first, k), Some(v), "{k}");
        }
        let ts = param(&first, "Timestamp").unwrap();
        assert!(crate::credentials::parse_iso8601(ts).is_some(), "{ts}");
        assert_ne!(
            param(&first, "SignatureNonce"),
            param(&second, "SignatureNonce"),
            "a fresh nonce per call"
        );
    }

    #[test]
    fn optional_parameters_and_access_key_source() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let cfg = RamRoleArnConfig {
            external_id: Some("abc def".into()),
            session: RoleSession {
                policy: Some(r#"{"Version":"1"}"#.into()),
                duration_seconds: 900,
                sts_url: "http://127.0.0.1:9".into(),
                ..config().session
            },
            ..config()
        };
        let p = provider(
            cfg,
            Credentials::new("LTAIak", "ak-secret", None, None),
            http.clone(),
        );
        p.provide().unwrap();
        let url = &http.requests()[0].url;
        assert!(url.starts_with("http://127.0.0.1:9/?"), "{url}");
        assert!(url.contains("ExternalId=abc%20def"), "{url}");
        let params = verify(url, "ak-secret");
        assert_eq!(param(&params, "SecurityToken"), None);
        assert_eq!(param(&params, "Policy"), Some(r#"{"Version":"1"}"#));
        assert_eq!(param(&params, "ExternalId"), Some("abc def"));
        assert_eq!(param(&params, "DurationSeconds"), Some("900"));
    }

    struct Failing;
    impl Provide for Failing {
        fn provide(&self) -> Result<Credentials, CredentialsError> {
            Err(CredentialsError::not_configured(
                "environment variables",
                "nothing set",
            ))
        }
    }

    #[test]
    fn source_failure_is_wrapped_and_nothing_is_sent() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let p = RamRoleArn::new(config(), Arc::new(Failing), http.clone()).unwrap();
        let e = p.provide().unwrap_err();
        assert_eq!(e.source, format!("RAM role ARN ({ARN})"));
        assert_eq!(
            e.message,
            "source credentials failed: environment variables: nothing set"
        );
        // An absent source is a configuration error of the role; the source's error is the cause.
        assert_eq!(e.kind, ErrorKind::Config);
        let cause = std::error::Error::source(&e).expect("the source's error");
        assert_eq!(cause.to_string(), "environment variables: nothing set");
        assert!(http.requests().is_empty());
    }

    #[test]
    fn errors_name_the_source_and_hold_no_secret() {
        let secret_echo = r#"{"Code":"InvalidSecurityToken.Malformed","Message":"bad token tok/en+== for src-secret","RequestId":"R1"}"#;
        let cases: Vec<(Arc<FakeHttp>, &str)> = vec![
            (
                Arc::new(FakeHttp::fixed(
                    403,
                    r#"{"Code":"NoPermission","Message":"You are not authorized.","RequestId":"R2"}"#,
                )),
                "STS AssumeRole failed: HTTP 403 NoPermission: You are not authorized. (RequestId R2)",
            ),
            (
                Arc::new(FakeHttp::fixed(400, secret_echo)),
                "STS AssumeRole failed: HTTP 400 InvalidSecurityToken.Malformed: bad token \
                 **redacted** for **redacted** (RequestId R1)",
            ),
            (
                Arc::new(FakeHttp::fixed(200, "{\"Credentials\": tok/en+==")),
                "malformed JSON in the STS AssumeRole response: expected ident at line 1 column 18",
            ),
            (
                Arc::new(FakeHttp::fixed(200, r#"{"Credentials":{"AccessKeyId":"a"}}"#)),
                "STS AssumeRole response: missing field Credentials.AccessKeySecret",
            ),
            (
                Arc::new(FakeHttp::new(|r: &Request| {
                    Err(HttpError(format!("timed out: {}", r.display_url())))
                })),
                "STS AssumeRole request failed: timed out: https://sts.aliyuncs.com/",
            ),
            (
                Arc::new(FakeHttp::new(|_: &Request| {
                    Ok(Response {
                        status: 500,
                        body: b"Internal".to_vec(),
                    })
                })),
                "STS AssumeRole failed: HTTP 500 with a non-JSON body (8 bytes)",
            ),
        ];
        for (http, expected) in cases {
            let e = provider(config(), sts_source(), http)
                .provide()
                .unwrap_err();
            assert_eq!(e.source, format!("RAM role ARN ({ARN})"));
            assert_eq!(e.message, expected);
            let shown = e.to_string();
            for secret in ["src-secret", "tok/en+==", "tok%2Fen", "Signature"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }

    #[test]
    fn resolve_from_environment() {
        let lookup = env(&[
            ("ALIBABA_CLOUD_ROLE_ARN", ARN),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-hangzhou"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        let c = RamRoleArnConfig::resolve(RamRoleArnOptions::default(), &lookup, NOW).unwrap();
        assert_eq!(c.role_arn, ARN);
        assert_eq!(c.session.role_session_name, "from-env");
        assert_eq!(c.session.duration_seconds, 3600);
        assert_eq!(
            c.session.sts_url,
            "https://sts-vpc.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!((c.session.policy, c.external_id), (None, None));

        let c = RamRoleArnConfig::resolve(
            RamRoleArnOptions {
                role_arn: Some("acs:ram::1:role/explicit".into()),
                session: RoleSessionOptions {
                    role_session_name: Some("mine".into()),
                    policy: Some("".into()),
                    sts_endpoint: Some("sts.example.com".into()),
                    duration_seconds: Some(1200),
                    ..Default::default()
                },
                ..Default::default()
            },
            &lookup,
            NOW,
        )
        .unwrap();
        assert_eq!(c.role_arn, "acs:ram::1:role/explicit");
        assert_eq!(c.session.role_session_name, "mine");
        assert_eq!(c.session.policy, None);
        assert_eq!(c.session.duration_seconds, 1200);
        assert_eq!(c.session.sts_url, "https://sts.example.com");

        // Nothing set: defaults.
        let c = RamRoleArnConfig::resolve(
            RamRoleArnOptions {
                role_arn: Some(ARN.into()),
                ..Default::default()
            },
            env(&[("ALIBABA_CLOUD_ROLE_SESSION_NAME", "")]),
            NOW,
        )
        .unwrap();
        assert_eq!(c.session.role_session_name, "credentials-python-1714564800");
        assert_eq!(c.session.sts_url, "https://sts.aliyuncs.com");
    }

    #[test]
    fn validation() {
        let e = RamRoleArnConfig::resolve(RamRoleArnOptions::default(), env(&[]), NOW).unwrap_err();
        assert_eq!(e.source, "RAM role ARN");
        assert_eq!(
            e.message,
            "role_arn is required: pass role_arn= or set ALIBABA_CLOUD_ROLE_ARN"
        );
        let e = RamRoleArnConfig::resolve(
            RamRoleArnOptions {
                session: RoleSessionOptions {
                    duration_seconds: Some(899),
                    ..Default::default()
                },
                ..Default::default()
            },
            env(&[("ALIBABA_CLOUD_ROLE_ARN", ARN)]),
            NOW,
        )
        .unwrap_err();
        assert_eq!(e.source, format!("RAM role ARN ({ARN})"));
        assert_eq!(e.message, "duration_seconds must be at least 900 (got 899)");
        let http: Arc<dyn HttpClient> = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let source: Arc<dyn Provide> = Arc::new(Static(sts_source()));
        let bad = RamRoleArnConfig {
            role_arn: String::new(),
            ..config()
        };
        assert!(RamRoleArn::new(bad, source.clone(), http.clone()).is_err());
        let p = RamRoleArn::new(config(), source, http).unwrap();
        assert_eq!(p.source_name(), format!("RAM role ARN ({ARN})"));
        let shown = format!("{p:?}");
        assert!(
            shown.contains(ARN) && !shown.contains("src-secret"),
            "{shown}"
        );
    }
}
