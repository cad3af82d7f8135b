//! Which STS endpoint a role is assumed at, and the role ARN it is asked for.

use crate::credentials::context::given;

/// The global STS endpoint, used when neither an endpoint nor a region is given.
pub const DEFAULT_STS_URL: &str = "https://sts.aliyuncs.com";

/// The STS base URL (no trailing `/`). An endpoint wins: a bare host gets `https://`, a full
/// `http(s)://` URL is kept. Else a region gives `https://sts[-vpc].{region}.aliyuncs.com`.
/// Else the global endpoint (as alibabacloud_credentials, VPC only applies with a region).
pub fn sts_endpoint_url(
    sts_endpoint: Option<&str>,
    sts_region: Option<&str>,
    enable_vpc: bool,
) -> String {
    if let Some(ep) = sts_endpoint.map(str::trim).filter(|s| !s.is_empty()) {
        let ep = ep.trim_end_matches('/');
        let lower = ep.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return ep.to_string();
        }
        return format!("https://{ep}");
    }
    if let Some(region) = sts_region.map(str::trim).filter(|s| !s.is_empty()) {
        let prefix = if enable_vpc { "sts-vpc" } else { "sts" };
        return format!("https://{prefix}.{region}.aliyuncs.com");
    }
    DEFAULT_STS_URL.to_string()
}

/// [`sts_endpoint_url`] with the environment filling what the caller left `None`. Explicit
/// arguments win over the environment: an endpoint, else a region, else
/// `ALIBABA_CLOUD_STS_ENDPOINT` (an ossauth extension, for private endpoints and local test
/// servers), else `ALIBABA_CLOUD_STS_REGION`; `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED` (`true`, any
/// case) when `enable_vpc` is `None`.
pub fn resolve_sts_url(
    sts_endpoint: Option<&str>,
    sts_region: Option<&str>,
    enable_vpc: Option<bool>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let given_region = sts_region.filter(|s| !s.trim().is_empty());
    let env_endpoint = given(lookup("ALIBABA_CLOUD_STS_ENDPOINT"));
    let endpoint = sts_endpoint
        .filter(|s| !s.trim().is_empty())
        .or(if given_region.is_none() {
            env_endpoint.as_deref()
        } else {
            None
        });
    let env_region = given(lookup("ALIBABA_CLOUD_STS_REGION"));
    let region = given_region.or(env_region.as_deref());
    let vpc = enable_vpc.unwrap_or_else(|| {
        given(lookup("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    });
    if endpoint.is_none() {
        if let Some(r) = region {
            // It becomes part of a host name: `cn-hangzhou`, not `x.example.com/`.
            let r = r.trim();
            if r.is_empty()
                || !r
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!(
                    "{r:?} is not a region id (like cn-hangzhou) for the STS endpoint"
                ));
            }
        }
    }
    Ok(sts_endpoint_url(endpoint, region, vpc))
}

/// The role to assume: given (by `role_arn=` or `ALIBABA_CLOUD_ROLE_ARN`) and well formed.
pub fn require_role_arn(role_arn: &str) -> Result<(), String> {
    if role_arn.is_empty() {
        return Err("role_arn is required: pass role_arn= or set ALIBABA_CLOUD_ROLE_ARN".into());
    }
    crate::credentials::check_role_arn(role_arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::env;

    #[test]
    fn endpoint_resolution() {
        assert_eq!(
            sts_endpoint_url(None, None, false),
            "https://sts.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint_url(Some(""), None, true),
            "https://sts.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint_url(None, Some("cn-hangzhou"), false),
            "https://sts.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint_url(None, Some("cn-hangzhou"), true),
            "https://sts-vpc.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint_url(
                Some("sts.cn-beijing.aliyuncs.com"),
                Some("cn-hangzhou"),
                true
            ),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint_url(Some("http://127.0.0.1:8080/"), None, false),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            sts_endpoint_url(Some("https://sts.example.com/"), None, false),
            "https://sts.example.com"
        );
    }

    #[test]
    fn endpoint_from_environment() {
        let e = env(&[
            ("ALIBABA_CLOUD_STS_REGION", "cn-shanghai"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "TRUE"),
        ]);
        assert_eq!(
            resolve_sts_url(None, None, None, &e).unwrap(),
            "https://sts-vpc.cn-shanghai.aliyuncs.com"
        );
        // Explicit arguments win over the environment.
        assert_eq!(
            resolve_sts_url(None, Some("cn-beijing"), Some(false), &e).unwrap(),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            resolve_sts_url(Some("127.0.0.1:1"), None, None, &e).unwrap(),
            "https://127.0.0.1:1"
        );
        let e = env(&[
            ("ALIBABA_CLOUD_STS_REGION", ""),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "yes"),
        ]);
        assert_eq!(
            resolve_sts_url(None, None, None, &e).unwrap(),
            DEFAULT_STS_URL
        );
        // ALIBABA_CLOUD_STS_ENDPOINT beats the environment's region, not a given one.
        let e = env(&[
            ("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9/"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-shanghai"),
        ]);
        assert_eq!(
            resolve_sts_url(None, None, None, &e).unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            resolve_sts_url(None, Some("cn-beijing"), None, &e).unwrap(),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            resolve_sts_url(Some("sts.example.com"), None, None, &e).unwrap(),
            "https://sts.example.com"
        );
        // A region is part of a host name.
        let e = env(&[]);
        assert!(resolve_sts_url(None, Some("x.evil.com/"), None, &e).is_err());
        assert!(resolve_sts_url(Some("sts.example.com"), Some("x/"), None, &e).is_ok());
    }
}
