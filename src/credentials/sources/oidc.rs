//! OIDC role ARN (RRSA): STS `AssumeRoleWithOIDC` with the token in a file, as
//! alibabacloud_credentials' `OIDCRoleArnCredentialsProvider` sends it: an anonymous (unsigned)
//! `GET {sts}/?{query}`. The token file is read again on every [`Provide::provide`]: ACK rotates
//! it in place. The token is never put in an error, a log line or `Debug`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::clock;
use crate::credentials::context::{given, Clock, Context, Fs, RealFs};
use crate::credentials::file::ReadError;
use crate::credentials::http::{HttpClient, Request};
use crate::credentials::sts::{self, RoleSession, RoleSessionOptions};
use crate::credentials::{Credentials, CredentialsError, Provide};

const SOURCE: &str = "OIDC role ARN";

/// Tokens are a few KiB; a bigger file is not a token.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// What the caller or a profile sets; `None` falls back to the environment, then to the
/// defaults.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct OidcRoleArnOptions {
    /// Else `ALIBABA_CLOUD_ROLE_ARN`; required.
    pub role_arn: Option<String>,
    /// Else `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`; required.
    pub oidc_provider_arn: Option<String>,
    /// Else `ALIBABA_CLOUD_OIDC_TOKEN_FILE`; required.
    pub oidc_token_file: Option<PathBuf>,
    pub session: RoleSessionOptions,
}

/// Everything resolved: what [`OidcRoleArn::new`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcRoleArnConfig {
    pub role_arn: String,
    pub oidc_provider_arn: String,
    pub oidc_token_file: PathBuf,
    pub session: RoleSession,
}

impl OidcRoleArnConfig {
    /// Explicit options win; `lookup` (the process environment in production) fills the rest;
    /// empty values count as unset. Validates like [`OidcRoleArn::new`]; the token file is
    /// not read here (it may appear later).
    /// The default session name is taken at `now_secs`.
    pub fn resolve(
        options: OidcRoleArnOptions,
        lookup: impl Fn(&str) -> Option<String>,
        now_secs: i64,
    ) -> Result<Self, CredentialsError> {
        let env = |name: &str| given(lookup(name));
        let config = OidcRoleArnConfig {
            role_arn: given(options.role_arn)
                .or_else(|| env("ALIBABA_CLOUD_ROLE_ARN"))
                .unwrap_or_default(),
            oidc_provider_arn: given(options.oidc_provider_arn)
                .or_else(|| env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))
                .unwrap_or_default(),
            oidc_token_file: options
                .oidc_token_file
                .filter(|p| !p.as_os_str().is_empty())
                .or_else(|| env("ALIBABA_CLOUD_OIDC_TOKEN_FILE").map(PathBuf::from))
                .unwrap_or_default(),
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
        let fail = |msg: String| Err(CredentialsError::config(source_name(&self.role_arn), msg));
        if self.oidc_provider_arn.is_empty() {
            return fail(
                "oidc_provider_arn is required: pass oidc_provider_arn= or set \
                 ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
                    .into(),
            );
        }
        if self.oidc_token_file.as_os_str().is_empty() {
            return fail(
                "oidc_token_file is required: pass oidc_token_file= or set \
                 ALIBABA_CLOUD_OIDC_TOKEN_FILE"
                    .into(),
            );
        }
        self.session.check().or_else(fail)
    }
}

fn source_name(role_arn: &str) -> String {
    format!("{SOURCE} ({role_arn})")
}

/// Assumes a RAM role with the OIDC token an identity provider wrote to a file.
pub struct OidcRoleArn {
    config: OidcRoleArnConfig,
    http: Arc<dyn HttpClient>,
    fs: Arc<dyn Fs>,
    clock: Clock,
    name: String,
}

impl OidcRoleArn {
    /// `options` resolved against the context's environment; the token read through its file
    /// system, STS reached through its HTTP client, at its clock's time.
    pub fn from_options(
        options: OidcRoleArnOptions,
        ctx: &Context,
    ) -> Result<Self, CredentialsError> {
        // `resolve` has validated the config.
        let config = OidcRoleArnConfig::resolve(options, |name| (ctx.env)(name), ctx.now_secs())?;
        Ok(Self::assemble(
            config,
            ctx.http.http.clone(),
            ctx.fs.clone(),
            ctx.clock.clone(),
        ))
    }

    /// `config` validated; the real file system and clock.
    pub fn new(
        config: OidcRoleArnConfig,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self, CredentialsError> {
        config.validate()?;
        Ok(Self::assemble(
            config,
            http,
            Arc::new(RealFs),
            Arc::new(clock::now_secs),
        ))
    }

    /// For a config already validated.
    fn assemble(
        config: OidcRoleArnConfig,
        http: Arc<dyn HttpClient>,
        fs: Arc<dyn Fs>,
        clock: Clock,
    ) -> Self {
        let name = source_name(&config.role_arn);
        OidcRoleArn {
            config,
            http,
            fs,
            clock,
            name,
        }
    }

    /// `OIDC role ARN (<role arn>)`, the source of every error.
    pub fn source_name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &OidcRoleArnConfig {
        &self.config
    }

    /// The current token: the file read now, surrounding whitespace trimmed (a trailing
    /// newline would make STS reject it). Errors name the path, never the content.
    pub fn read_token(&self) -> Result<Zeroizing<String>, CredentialsError> {
        read_token_file(self.fs.as_ref(), &self.config.oidc_token_file)
            .map_err(|msg| CredentialsError::config(self.name.clone(), msg))
    }

    /// The AssumeRoleWithOIDC request for this token and instant.
    pub fn build_request(&self, token: &str, now_secs: i64) -> Request {
        let c = &self.config;
        let mut params: Vec<(String, String)> = vec![
            ("Action".into(), "AssumeRoleWithOIDC".into()),
            ("Format".into(), "JSON".into()),
            ("Version".into(), sts::VERSION.into()),
            (
                "DurationSeconds".into(),
                c.session.duration_seconds.to_string(),
            ),
            ("RoleArn".into(), c.role_arn.clone()),
            ("OIDCProviderArn".into(), c.oidc_provider_arn.clone()),
            ("OIDCToken".into(), token.to_string()),
            (
                "RoleSessionName".into(),
                c.session.role_session_name.clone(),
            ),
            ("Timestamp".into(), sts::timestamp(now_secs)),
        ];
        if let Some(policy) = &c.session.policy {
            params.push(("Policy".into(), policy.clone()));
        }
        let query = Zeroizing::new(sts::canonicalized_query(&params));
        Request::new("GET", sts::request_url(&c.session.sts_url, &query))
    }
}

fn read_token_file(fs: &dyn Fs, path: &Path) -> Result<Zeroizing<String>, String> {
    let shown = path.display();
    let text = fs.read_text(path, MAX_TOKEN_BYTES).map_err(|e| match e {
        ReadError::TooLarge(cap) => {
            format!("the OIDC token file {shown} is larger than {cap} bytes")
        }
        ReadError::NotUtf8 => format!("the OIDC token file {shown} is not UTF-8 text"),
        e => format!("cannot read the OIDC token file {shown}: {e}"),
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("the OIDC token file {shown} is empty"));
    }
    Ok(Zeroizing::new(token.to_string()))
}

impl Provide for OidcRoleArn {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        let token = self.read_token()?;
        let request = self.build_request(&token, (self.clock)());
        sts::call(
            &self.name,
            "AssumeRoleWithOIDC",
            self.http.as_ref(),
            &self.config.session.limits,
            &request,
            &[token.as_str()],
        )
    }
}

impl fmt::Debug for OidcRoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcRoleArn")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::http::{HttpError, Limits};
    use crate::credentials::test_util::*;

    const ARN: &str = "acs:ram::123456789012:role/rrsa-role";
    /// The instant configs are resolved at in these tests.
    const NOW: i64 = 1_714_564_800;
    const PROVIDER: &str = "acs:ram::123456789012:oidc-provider/ack-rrsa-c1";
    const TOKEN_1: &str = "eyJhbGciOiJSUzI1NiJ9.first-token.sig1";
    const TOKEN_2: &str = "eyJhbGciOiJSUzI1NiJ9.second-token.sig2";

    fn config(token_file: PathBuf) -> OidcRoleArnConfig {
        OidcRoleArnConfig {
            role_arn: ARN.into(),
            oidc_provider_arn: PROVIDER.into(),
            oidc_token_file: token_file,
            session: RoleSession {
                role_session_name: "rrsa-session".into(),
                policy: None,
                duration_seconds: 3600,
                sts_url: "https://sts.cn-hangzhou.aliyuncs.com".into(),
                limits: Limits::default(),
            },
        }
    }

    #[test]
    fn request_shape_is_an_unsigned_get() {
        let mut cfg = config("/unused".into());
        cfg.session.policy = Some(r#"{"Version":"1"}"#.into());
        let p = OidcRoleArn::new(cfg, Arc::new(FakeHttp::fixed(200, OK_BODY))).unwrap();
        let req = p.build_request("a.b+c/d=", 1_714_564_800);
        assert_eq!(req.method, "GET");
        assert_eq!(req.body, None);
        assert!(req.headers.is_empty());
        assert_eq!(
            req.url,
            "https://sts.cn-hangzhou.aliyuncs.com/?Action=AssumeRoleWithOIDC\
             &DurationSeconds=3600&Format=JSON\
             &OIDCProviderArn=acs%3Aram%3A%3A123456789012%3Aoidc-provider%2Fack-rrsa-c1\
             &OIDCToken=a.b%2Bc%2Fd%3D&Policy=%7B%22Version%22%3A%221%22%7D\
             &RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Frrsa-role\
             &RoleSessionName=rrsa-session&Timestamp=2024-05-01T12%3A00%3A00Z&Version=2015-04-01"
        );
        assert_eq!(
            format!("{req:?}"),
            "GET https://sts.cn-hangzhou.aliyuncs.com/"
        );
    }

    #[test]
    fn token_file_is_read_on_every_call() {
        let dir = Scratch::new("oidc-test");
        let path = dir.write("token", format!("{TOKEN_1}\n"));
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let p = OidcRoleArn::new(config(path.clone()), http.clone()).unwrap();
        let c = p.provide().unwrap();
        assert_eq!(c.access_key_id(), "STS.NUgYrLnoC37mZZCNnAbez2");
        assert_eq!(c.expiration(), Some(1_714_568_400));
        // The identity provider rotates the token in place.
        dir.write("token", TOKEN_2);
        p.provide().unwrap();
        let reqs = http.requests();
        assert_eq!(reqs.len(), 2);
        let first = query_params(&reqs[0].url);
        let second = query_params(&reqs[1].url);
        assert_eq!(
            param(&first, "OIDCToken"),
            Some(TOKEN_1),
            "trailing newline trimmed"
        );
        assert_eq!(param(&second, "OIDCToken"), Some(TOKEN_2));
        for (k, v) in [
            ("Action", "AssumeRoleWithOIDC"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("RoleArn", ARN),
            ("OIDCProviderArn", PROVIDER),
            ("RoleSessionName", "rrsa-session"),
            ("DurationSeconds", "3600"),
        ] {
            assert_eq!(param(&first, k), Some(v), "{k}");
        }
        // Anonymous: nothing signed, no AccessKeyId.
        for absent in [
            "Signature",
            "SignatureNonce",
            "SignatureMethod",
            "AccessKeyId",
            "Policy",
        ] {
            assert_eq!(param(&first, absent), None, "{absent}");
        }
    }

    #[test]
    fn unreadable_or_empty_token_files_name_the_path() {
        let dir = Scratch::new("oidc-test");
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let missing = dir.0.join("nope");
        let p = OidcRoleArn::new(config(missing.clone()), http.clone()).unwrap();
        let e = p.provide().unwrap_err();
        assert_eq!(e.source, format!("OIDC role ARN ({ARN})"));
        assert!(
            e.message.starts_with(&format!(
                "cannot read the OIDC token file {}: ",
                missing.display()
            )),
            "{e}"
        );

        let empty = dir.write("token", " \n");
        let p = OidcRoleArn::new(config(empty.clone()), http.clone()).unwrap();
        let e = p.provide().unwrap_err();
        assert_eq!(
            e.message,
            format!("the OIDC token file {} is empty", empty.display())
        );

        let big = dir.write("token", "x".repeat(MAX_TOKEN_BYTES as usize + 1));
        let p = OidcRoleArn::new(config(big), http.clone()).unwrap();
        let e = p.provide().unwrap_err();
        assert!(e.message.contains("is larger than 65536 bytes"), "{e}");
        assert!(http.requests().is_empty(), "nothing sent without a token");
    }

    #[test]
    fn errors_never_hold_the_token() {
        let dir = Scratch::new("oidc-test");
        let path = dir.write("token", TOKEN_1);
        let echo = format!(
            r#"{{"Code":"AuthenticationFail.OIDCToken.Expired","Message":"token {TOKEN_1} expired","RequestId":"R9"}}"#
        );
        let cases: Vec<(FakeHttp, String)> = vec![
            (
                FakeHttp::fixed(400, &echo),
                "STS AssumeRoleWithOIDC failed: HTTP 400 AuthenticationFail.OIDCToken.Expired: \
                 token **redacted** expired (RequestId R9)"
                    .into(),
            ),
            (
                FakeHttp::fixed(
                    200,
                    r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"s"}"#,
                ),
                "malformed JSON in the STS AssumeRoleWithOIDC response: EOF while parsing an \
                 object at line 1 column 56"
                    .into(),
            ),
            (
                FakeHttp::fixed(
                    200,
                    r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"s"}}"#,
                ),
                "STS AssumeRoleWithOIDC response: missing field Credentials.SecurityToken".into(),
            ),
            (
                FakeHttp::new(|r: &Request| {
                    Err(HttpError(format!(
                        "connection refused: {}",
                        r.display_url()
                    )))
                }),
                "STS AssumeRoleWithOIDC request failed: connection refused: \
                 https://sts.cn-hangzhou.aliyuncs.com/"
                    .into(),
            ),
        ];
        for (http, expected) in cases {
            let p = OidcRoleArn::new(config(path.clone()), Arc::new(http)).unwrap();
            let e = p.provide().unwrap_err();
            assert_eq!(e.source, format!("OIDC role ARN ({ARN})"));
            assert_eq!(e.message, expected);
            assert!(!e.to_string().contains("first-token"), "{e}");
            assert!(!format!("{p:?}").contains("first-token"));
        }
    }

    /// Built from options and a context, the source reads only through the context: its
    /// environment, its files, its HTTP client, its clock.
    #[test]
    fn from_options_reaches_the_world_through_the_context() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let mut ctx = context(
            &[
                ("ALIBABA_CLOUD_ROLE_ARN", ARN),
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/mem/token"),
                ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ctx-session"),
            ],
            http.clone(),
        );
        ctx.fs = Arc::new(MemFs::with(&[("/mem/token", TOKEN_1)]));
        ctx.clock = Arc::new(|| 1_714_564_800);
        let p = OidcRoleArn::from_options(OidcRoleArnOptions::default(), &ctx).unwrap();
        assert_eq!(
            p.provide().unwrap().access_key_id(),
            "STS.NUgYrLnoC37mZZCNnAbez2"
        );
        let sent = query_params(&http.requests()[0].url);
        assert_eq!(param(&sent, "OIDCToken"), Some(TOKEN_1));
        assert_eq!(param(&sent, "RoleSessionName"), Some("ctx-session"));
        assert_eq!(param(&sent, "Timestamp"), Some("2024-05-01T12:00:00Z"));
        ctx.fs = Arc::new(MemFs::default());
        let p = OidcRoleArn::from_options(OidcRoleArnOptions::default(), &ctx).unwrap();
        let e = p.provide().unwrap_err();
        assert_eq!(
            e.message,
            "cannot read the OIDC token file /mem/token: no such file"
        );
    }

    /// Without a configured session name, the default one is taken at the context's clock.
    #[test]
    fn default_session_name_reads_the_context_clock() {
        let http = Arc::new(FakeHttp::fixed(200, OK_BODY));
        let mut ctx = context(
            &[
                ("ALIBABA_CLOUD_ROLE_ARN", ARN),
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/mem/token"),
            ],
            http.clone(),
        );
        ctx.fs = Arc::new(MemFs::with(&[("/mem/token", TOKEN_1)]));
        ctx.clock = Arc::new(|| 1_714_564_800);
        let p = OidcRoleArn::from_options(OidcRoleArnOptions::default(), &ctx).unwrap();
        p.provide().unwrap();
        let sent = query_params(&http.requests()[0].url);
        assert_eq!(
            param(&sent, "RoleSessionName"),
            Some("credentials-python-1714564800")
        );
    }

    #[test]
    fn resolve_from_environment() {
        let lookup = env(&[
            ("ALIBABA_CLOUD_ROLE_ARN", ARN),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
            (
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                "/var/run/secrets/tokens/oidc-token",
            ),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-session"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-beijing"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        let c = OidcRoleArnConfig::resolve(OidcRoleArnOptions::default(), &lookup, NOW).unwrap();
        assert_eq!(c.role_arn, ARN);
        assert_eq!(c.oidc_provider_arn, PROVIDER);
        assert_eq!(
            c.oidc_token_file,
            PathBuf::from("/var/run/secrets/tokens/oidc-token")
        );
        assert_eq!(c.session.role_session_name, "env-session");
        assert_eq!(c.session.duration_seconds, 3600);
        assert_eq!(c.session.sts_url, "https://sts-vpc.cn-beijing.aliyuncs.com");

        let c = OidcRoleArnConfig::resolve(
            OidcRoleArnOptions {
                oidc_token_file: Some("/tmp/t".into()),
                session: RoleSessionOptions {
                    sts_endpoint: Some("http://127.0.0.1:8000".into()),
                    duration_seconds: Some(900),
                    policy: Some("p".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            &lookup,
            NOW,
        )
        .unwrap();
        assert_eq!(c.oidc_token_file, PathBuf::from("/tmp/t"));
        assert_eq!(c.session.sts_url, "http://127.0.0.1:8000");
        assert_eq!(c.session.duration_seconds, 900);
        assert_eq!(c.session.policy.as_deref(), Some("p"));

        let c = OidcRoleArnConfig::resolve(
            OidcRoleArnOptions::default(),
            env(&[
                ("ALIBABA_CLOUD_ROLE_ARN", ARN),
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
            ]),
            NOW,
        )
        .unwrap();
        assert_eq!(c.session.role_session_name, "credentials-python-1714564800");
        assert_eq!(c.session.sts_url, "https://sts.aliyuncs.com");
    }

    #[test]
    fn validation_names_what_is_missing() {
        let e =
            OidcRoleArnConfig::resolve(OidcRoleArnOptions::default(), env(&[]), NOW).unwrap_err();
        assert_eq!(e.source, "OIDC role ARN");
        assert!(e.message.contains("ALIBABA_CLOUD_ROLE_ARN"), "{e}");
        let e = OidcRoleArnConfig::resolve(
            OidcRoleArnOptions::default(),
            env(&[("ALIBABA_CLOUD_ROLE_ARN", ARN)]),
            NOW,
        )
        .unwrap_err();
        assert!(e.message.contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"), "{e}");
        let e = OidcRoleArnConfig::resolve(
            OidcRoleArnOptions::default(),
            env(&[
                ("ALIBABA_CLOUD_ROLE_ARN", ARN),
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
            ]),
            NOW,
        )
        .unwrap_err();
        assert!(e.message.contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"), "{e}");
        let mut cfg = config("/t".into());
        cfg.session.duration_seconds = 60;
        let e = OidcRoleArn::new(cfg, Arc::new(FakeHttp::fixed(200, OK_BODY))).unwrap_err();
        assert_eq!(e.message, "duration_seconds must be at least 900 (got 60)");
    }
}
