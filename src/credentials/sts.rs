//! What the STS sources share: Alibaba Cloud's RPC signature, the endpoint, the response.
//!
//! RPC signing (AssumeRole): percent-encode every key and value (RFC 3986: `A-Z a-z 0-9 - _ . ~`
//! literal, everything else `%XX` upper-case, so space is `%20` and `*` is `%2A`), sort by the
//! encoded key, join `k=v` with `&`; `StringToSign = METHOD & %2F & percentEncode(query)`;
//! `Signature = base64(HMAC-SHA1(secret + "&", StringToSign))`. Each stage is a function so
//! tests can check each against vectors from alibabacloud_credentials' signer.
//!
//! Like alibabacloud_credentials, requests are `GET {endpoint}/?{query}` with every parameter in
//! the query (AssumeRoleWithOIDC too, unsigned). Queries hold tokens and signatures: errors name
//! the URL without its query ([`Request::display_url`]), never a parameter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::http::{HttpClient, Limits, Request};
use super::service_text::{escaped, quoted};
use super::wiped_json::WipedJson;
use super::{parse_iso8601, Credentials, CredentialsError};
use crate::sign::encode;
use crate::sign::UtcDateTime;

/// The global STS endpoint, used when neither an endpoint nor a region is given.
pub const DEFAULT_STS_URL: &str = "https://sts.aliyuncs.com";
/// STS API version, as alibabacloud_credentials sends it.
pub const VERSION: &str = "2015-04-01";
/// The shortest session STS grants; shorter requests are refused before any network call.
pub const MIN_DURATION_SECONDS: u32 = 900;
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// Longest STS error message kept in an error (a misbehaving proxy may send pages).
const MAX_MESSAGE_CHARS: usize = 300;

/// RFC 3986 percent-encoding of the UTF-8 bytes: unreserved literal, the rest `%XX`.
pub fn percent_encode(s: &str) -> String {
    let bytes = encode::percent_encode(s.as_bytes(), false);
    // Only ASCII comes out of the encoder.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `k=v` pairs, each side percent-encoded, sorted by encoded key (then value), joined by `&`.
pub fn canonicalized_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let mut out = String::with_capacity(encoded.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// `METHOD&%2F&percentEncode(canonicalized query)`.
pub fn string_to_sign(method: &str, canonical: &str) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(canonical)
    )
}

/// `base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut key = zeroize::Zeroizing::new(Vec::with_capacity(secret.len() + 1));
    key.extend_from_slice(secret.as_bytes());
    key.push(b'&');
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match <Hmac<Sha1> as Mac>::new_from_slice(&key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(string_to_sign.as_bytes());
    encode::base64(&mac.finalize().into_bytes())
}

/// The URL query of a signed request: the canonicalized parameters plus `Signature`.
pub fn signed_query(method: &str, params: &[(String, String)], secret: &str) -> String {
    let canonical = canonicalized_query(params);
    let sig = signature(secret, &string_to_sign(method, &canonical));
    format!("{canonical}&Signature={}", percent_encode(&sig))
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, the RPC `Timestamp`.
pub fn timestamp(epoch_secs: i64) -> String {
    let t = UtcDateTime::from_unix(epoch_secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A fresh `SignatureNonce` formatted like a UUID (version 4 bits set). STS rejects a nonce it
/// has seen recently, so it mixes the wall clock, the process id, a process-wide counter and
/// the per-process random keys of std's `RandomState` through SHA-256. Reads the real clock,
/// not [`crate::clock`]: a frozen test clock must not repeat nonces.
pub fn signature_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut random = RandomState::new().build_hasher();
    random.write_u64(n);
    let mut h = Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(n.to_le_bytes());
    h.update(random.finish().to_le_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = encode::hex_lower(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The parameters every signed STS call carries (without `Signature`), plus `Action`.
pub fn signed_common_params(
    action: &str,
    access_key_id: &str,
    security_token: Option<&str>,
    nonce: &str,
    now_secs: i64,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("Action", action),
        ("Format", "JSON"),
        ("Version", VERSION),
        ("AccessKeyId", access_key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.push(("Timestamp".into(), timestamp(now_secs)));
    if let Some(token) = security_token.filter(|t| !t.is_empty()) {
        p.push(("SecurityToken".into(), token.to_string()));
    }
    p
}

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
    let env_endpoint = non_empty(lookup("ALIBABA_CLOUD_STS_ENDPOINT"));
    let endpoint = sts_endpoint
        .filter(|s| !s.trim().is_empty())
        .or(if given_region.is_none() {
            env_endpoint.as_deref()
        } else {
            None
        });
    let env_region = non_empty(lookup("ALIBABA_CLOUD_STS_REGION"));
    let region = given_region.or(env_region.as_deref());
    let vpc = enable_vpc.unwrap_or_else(|| {
        non_empty(lookup("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"))
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

/// alibabacloud_credentials' default session name: `credentials-python-<epoch seconds>`.
pub fn default_session_name(now_secs: i64) -> String {
    format!("credentials-python-{now_secs}")
}

/// Empty counts as unset, as for every environment variable here.
pub fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// `{sts_url}/?{query}`; a URL that already has a path gets the query right after it.
pub fn request_url(sts_url: &str, query: &str) -> String {
    let after_scheme = sts_url.split_once("://").map_or(sts_url, |(_, rest)| rest);
    if after_scheme.contains('/') {
        format!("{sts_url}?{query}")
    } else {
        format!("{sts_url}/?{query}")
    }
}

/// Sends one STS request and parses its answer. Never retries (the cache does).
pub fn call(
    source: &str,
    action: &str,
    http: &dyn HttpClient,
    limits: &Limits,
    request: &Request,
    secrets: &[&str],
) -> Result<Credentials, CredentialsError> {
    let response = http.send(request, limits).map_err(|e| {
        CredentialsError::transport(
            source.to_string(),
            format!("STS {action} request failed: {e}"),
        )
        .caused_by(e)
    })?;
    parse_redacting(source, action, response.status, &response.body, secrets)
        .map_err(|e| redact(e, secrets))
}

/// [`parse_response`] for `AssumeRole`.
pub fn parse_assume_role_response(
    source: &str,
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    parse_response(source, "AssumeRole", status, body)
}

/// 200 with `{"Credentials": {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}}` gives
/// credentials; anything else an error naming the status, STS's `Code`, `Message` and
/// `RequestId`, or what is missing. Never quotes the body: a reflecting proxy could echo the
/// query back.
pub fn parse_response(
    source: &str,
    action: &str,
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    parse_redacting(source, action, status, body, &[])
}

/// [`parse_response`], with `secrets` taken out of STS's `Message` before it is shortened (a
/// shortened message could hold the start of a secret that no longer matches it whole).
fn parse_redacting(
    source: &str,
    action: &str,
    status: u16,
    body: &[u8],
    secrets: &[&str],
) -> Result<Credentials, CredentialsError> {
    let err = |msg: String| CredentialsError::service(source.to_string(), msg);
    let parsed = WipedJson::from_slice(body);
    if status != 200 {
        let mut msg = format!("STS {action} failed: HTTP {status}");
        match parsed.as_deref() {
            Ok(Value::Object(o)) => {
                if let Some(code) = o.get("Code").and_then(Value::as_str) {
                    msg.push(' ');
                    msg.push_str(&escaped(code, 100));
                }
                if let Some(m) = o.get("Message").and_then(Value::as_str) {
                    msg.push_str(": ");
                    let m = redact_text(without_string_to_sign(m), secrets);
                    msg.push_str(&escaped(&m, MAX_MESSAGE_CHARS));
                }
                if let Some(id) = o.get("RequestId").and_then(Value::as_str) {
                    msg.push_str(&format!(" (RequestId {})", escaped(id, 100)));
                }
            }
            _ if body.is_empty() => msg.push_str(" with an empty body"),
            _ => msg.push_str(&format!(" with a non-JSON body ({} bytes)", body.len())),
        }
        return Err(err(msg));
    }
    let value = parsed.map_err(|e| {
        err(format!(
            "malformed JSON in the STS {action} response: {}",
            json_error(&e)
        ))
    })?;
    let Some(creds) = value.get("Credentials") else {
        let mut msg = format!("STS {action} response has no Credentials");
        if let Some(code) = value.get("Code").and_then(Value::as_str) {
            msg.push_str(&format!(" (Code {})", escaped(code, 100)));
        }
        return Err(err(msg));
    };
    if !creds.is_object() {
        return Err(err(format!(
            "STS {action} response: Credentials is not an object"
        )));
    }
    let field = |name: &str| -> Result<String, CredentialsError> {
        match creds.get(name) {
            None | Some(Value::Null) => Err(err(format!(
                "STS {action} response: missing field Credentials.{name}"
            ))),
            Some(Value::String(s)) if s.is_empty() => Err(err(format!(
                "STS {action} response: empty field Credentials.{name}"
            ))),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(err(format!(
                "STS {action} response: field Credentials.{name} is not a string"
            ))),
        }
    };
    let id = field("AccessKeyId")?;
    let secret = zeroize::Zeroizing::new(field("AccessKeySecret")?);
    let token = field("SecurityToken")?;
    let expiration_text = field("Expiration")?;
    let expiration = parse_iso8601(&expiration_text).ok_or_else(|| {
        err(format!(
            "STS {action} response: unparsable Credentials.Expiration {}",
            quoted(&expiration_text, 64)
        ))
    })?;
    Ok(Credentials::new(
        id,
        secret.as_str(),
        Some(token),
        Some(expiration),
    ))
}

/// STS's `SignatureDoesNotMatch` message ends with its string to sign, which holds the
/// request's SecurityToken (percent-encoded twice, and cut anywhere by truncation): it is left
/// out, and the rest of the message kept.
fn without_string_to_sign(message: &str) -> &str {
    let cut = message
        .find("server string to sign is:")
        .or_else(|| message.find("string to sign is:"));
    match cut {
        Some(i) => message[..i].trim_end(),
        None => message,
    }
}

/// Replaces every occurrence of each (non-empty) secret in the error's text, raw and
/// percent-encoded once or twice (as it appears in a query or a string to sign). A second line of
/// defence: messages are built never to hold secrets, but STS's own `Message` is quoted.
pub fn redact(mut e: CredentialsError, secrets: &[&str]) -> CredentialsError {
    e.message = redact_text(&e.message, secrets);
    e
}

fn redact_text(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        let once = percent_encode(s);
        let twice = percent_encode(&once);
        for form in [s.to_string(), twice, once] {
            if text.contains(&form) {
                text = text.replace(&form, "**redacted**");
            }
        }
    }
    text
}

/// serde_json's syntax errors name a position, never the text ("expected value at line 1
/// column 5"); the category alone is said for the rest.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => e.to_string(),
        Category::Data => "unexpected data".to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credentials::http::HttpError;
    use crate::credentials::test_util::*;
    use std::collections::HashSet;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // Vectors below were produced by this script (alibabacloud_credentials 1.0.12):
    //
    //   from urllib.parse import quote
    //   from alibabacloud_credentials.utils import parameter_helper as ph
    //   sts = ph.compose_string_to_sign('GET', q); sig = ph.sign_string(sts, secret + '&')
    //   # and, independently, by the documented rule:
    //   pe = lambda s: quote(s, safe='~')
    //   canon = '&'.join(f'{pe(k)}={pe(v)}' for k, v in sorted(q.items()))
    //   sts = 'GET&' + pe('/') + '&' + pe(canon)
    //   sig = base64.b64encode(hmac.new((secret+'&').encode(), sts.encode(), sha1).digest())
    //
    // alibabacloud_credentials' `parameter_helper.compose_string_to_sign` uses `quote_plus`,
    // which agrees with RFC 3986 except for space ('+' instead of '%20'): for inputs without
    // spaces both gave the same bytes; the spaces vector is from the documented rule only.

    /// Alibaba Cloud's documentation example (ECS DescribeRegions); the published signature.
    #[test]
    fn documentation_example() {
        let params = pairs(&[
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]);
        let canon = canonicalized_query(&params);
        assert_eq!(
            canon,
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1\
             &SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0\
             &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
        );
        let sts = string_to_sign("GET", &canon);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(
            signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    pub(crate) fn assume_role_vector_params() -> Vec<(String, String)> {
        pairs(&[
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("DurationSeconds", "3600"),
            ("RoleArn", "acs:ram::123456789012:role/test-role"),
            ("RoleSessionName", "sess~ion*1"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2024-05-01T12:00:00Z"),
            ("SignatureNonce", "0b2d7f4e-1c3a-4e5f-9a8b-7c6d5e4f3a2b"),
            (
                "Policy",
                r#"{"Statement":[{"Action":["oss:*"],"Effect":"Allow","Resource":["acs:oss:*:*:b/k=v&x"]}],"Version":"1"}"#,
            ),
            ("ExternalId", "ext-\u{fc}\u{4e2d}"),
            ("AccessKeyId", "STS.testid"),
            ("SecurityToken", "tok/en+=="),
        ])
    }

    pub(crate) const ASSUME_ROLE_CANON: &str = "AccessKeyId=STS.testid&Action=AssumeRole\
        &DurationSeconds=3600&ExternalId=ext-%C3%BC%E4%B8%AD&Format=JSON\
        &Policy=%7B%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22oss%3A%2A%22%5D%2C%22Effect%22\
        %3A%22Allow%22%2C%22Resource%22%3A%5B%22acs%3Aoss%3A%2A%3A%2A%3Ab%2Fk%3Dv%26x%22%5D%7D\
        %5D%2C%22Version%22%3A%221%22%7D&RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role\
        &RoleSessionName=sess~ion%2A1&SecurityToken=tok%2Fen%2B%3D%3D&SignatureMethod=HMAC-SHA1\
        &SignatureNonce=0b2d7f4e-1c3a-4e5f-9a8b-7c6d5e4f3a2b&SignatureVersion=1.0\
        &Timestamp=2024-05-01T12%3A00%3A00Z&Version=2015-04-01";
    /// From `ph.sign_string(ph.compose_string_to_sign('GET', q), 'src-secret&')`.
    pub(crate) const ASSUME_ROLE_SIGNATURE: &str = "xB8amj9ECetFZ42DtBY1AzX8ugA=";

    /// '*', '~', '/', '=', '&', '+', '"', ':' and non-ASCII, checked against
    /// `parameter_helper.compose_string_to_sign` / `sign_string`.
    #[test]
    fn assume_role_vector_from_alibabacloud_credentials() {
        let canon = canonicalized_query(&assume_role_vector_params());
        assert_eq!(canon, ASSUME_ROLE_CANON);
        let sts = string_to_sign("GET", &canon);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3DSTS.testid%26Action%3DAssumeRole%26DurationSeconds%3D3600\
             %26ExternalId%3Dext-%25C3%25BC%25E4%25B8%25AD%26Format%3DJSON%26Policy%3D%257B\
             %2522Statement%2522%253A%255B%257B%2522Action%2522%253A%255B%2522oss%253A%252A\
             %2522%255D%252C%2522Effect%2522%253A%2522Allow%2522%252C%2522Resource%2522%253A\
             %255B%2522acs%253Aoss%253A%252A%253A%252A%253Ab%252Fk%253Dv%2526x%2522%255D%257D\
             %255D%252C%2522Version%2522%253A%25221%2522%257D%26RoleArn%3Dacs%253Aram%253A\
             %253A123456789012%253Arole%252Ftest-role%26RoleSessionName%3Dsess~ion%252A1\
             %26SecurityToken%3Dtok%252Fen%252B%253D%253D%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D0b2d7f4e-1c3a-4e5f-9a8b-7c6d5e4f3a2b%26SignatureVersion%3D1.0\
             %26Timestamp%3D2024-05-01T12%253A00%253A00Z%26Version%3D2015-04-01"
        );
        assert_eq!(signature("src-secret", &sts), ASSUME_ROLE_SIGNATURE);
    }

    /// Spaces: '%20' (the documented rule, computed with `urllib.parse.quote(s, safe='~')` and
    /// `hmac`); alibabacloud_credentials' quote_plus would sign '+' instead.
    #[test]
    fn spaces_vector_by_the_documented_rule() {
        let mut params = assume_role_vector_params();
        for (k, v) in params.iter_mut() {
            match k.as_str() {
                "RoleSessionName" => *v = "a b*c~d".into(),
                "Policy" => *v = "x y".into(),
                _ => {}
            }
        }
        let canon = canonicalized_query(&params);
        assert_eq!(
            canon,
            "AccessKeyId=STS.testid&Action=AssumeRole&DurationSeconds=3600\
             &ExternalId=ext-%C3%BC%E4%B8%AD&Format=JSON&Policy=x%20y\
             &RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role\
             &RoleSessionName=a%20b%2Ac~d&SecurityToken=tok%2Fen%2B%3D%3D\
             &SignatureMethod=HMAC-SHA1&SignatureNonce=0b2d7f4e-1c3a-4e5f-9a8b-7c6d5e4f3a2b\
             &SignatureVersion=1.0&Timestamp=2024-05-01T12%3A00%3A00Z&Version=2015-04-01"
        );
        let sts = string_to_sign("GET", &canon);
        assert!(sts.contains("Policy%3Dx%2520y%26"), "{sts}");
        assert_eq!(
            signature("src-secret", &sts),
            "4hmYlmDml4noHoIlt+PVwICYZIk="
        );
    }

    #[test]
    fn percent_encoding_rules() {
        // urllib.parse.quote('a b*c~d/e=f&g+hü%', safe='~')
        assert_eq!(
            percent_encode("a b*c~d/e=f&g+h\u{fc}%"),
            "a%20b%2Ac~d%2Fe%3Df%26g%2Bh%C3%BC%25"
        );
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn sorted_by_encoded_key() {
        // Byte order of the encoded keys: upper case before lower case.
        let canon = canonicalized_query(&pairs(&[("b", "1"), ("B", "2"), ("a", "3")]));
        assert_eq!(canon, "B=2&a=3&b=1");
    }

    #[test]
    fn signed_query_appends_the_encoded_signature() {
        let q = signed_query("GET", &assume_role_vector_params(), "src-secret");
        assert_eq!(
            q,
            format!("{ASSUME_ROLE_CANON}&Signature=xB8amj9ECetFZ42DtBY1AzX8ugA%3D")
        );
    }

    #[test]
    fn common_params_and_timestamp() {
        assert_eq!(timestamp(1_714_564_800), "2024-05-01T12:00:00Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        let p = signed_common_params("AssumeRole", "id", Some("tok"), "n", 1_714_564_800);
        for (k, v) in [
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("AccessKeyId", "id"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "n"),
            ("Timestamp", "2024-05-01T12:00:00Z"),
            ("SecurityToken", "tok"),
        ] {
            assert_eq!(param(&p, k), Some(v), "{k}");
        }
        let p = signed_common_params("AssumeRole", "id", Some(""), "n", 0);
        assert_eq!(param(&p, "SecurityToken"), None);
        let p = signed_common_params("AssumeRole", "id", None, "n", 0);
        assert_eq!(param(&p, "SecurityToken"), None);
    }

    #[test]
    fn nonces_are_unique_and_uuid_shaped() {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| (0..5000).map(|_| signature_nonce()).collect::<Vec<_>>())
            })
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            for n in h.join().unwrap() {
                assert_eq!(n.len(), 36);
                let parts: Vec<&str> = n.split('-').collect();
                assert_eq!(
                    parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                    [8, 4, 4, 4, 12]
                );
                assert!(n.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
                assert!(all.insert(n), "repeated nonce");
            }
        }
        assert_eq!(all.len(), 20_000);
    }

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

    #[test]
    fn request_urls() {
        assert_eq!(
            request_url("https://sts.aliyuncs.com", "a=1"),
            "https://sts.aliyuncs.com/?a=1"
        );
        assert_eq!(
            request_url("http://127.0.0.1:9/sts", "a=1"),
            "http://127.0.0.1:9/sts?a=1"
        );
    }

    #[test]
    fn parses_a_good_response() {
        let c = parse_assume_role_response("src", 200, OK_BODY.as_bytes()).unwrap();
        assert_eq!(c.access_key_id(), "STS.NUgYrLnoC37mZZCNnAbez2");
        assert_eq!(c.access_key_secret(), "new-secret-value");
        assert_eq!(c.security_token(), Some("CAIS-new-token"));
        assert_eq!(c.expiration(), Some(1_714_568_400));
    }

    #[test]
    fn sts_error_response() {
        let body = r#"{"RequestId":"7D1E-22","HostId":"sts.aliyuncs.com","Code":"NoPermission",
            "Message":"You are not authorized to do this action. You should be authorized by RAM.",
            "Recommend":"https://next.api.aliyun.com/troubleshoot"}"#;
        let e = parse_assume_role_response("RAM role ARN (arn)", 403, body.as_bytes()).unwrap_err();
        assert_eq!(e.source, "RAM role ARN (arn)");
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 403 NoPermission: You are not authorized to do this \
             action. You should be authorized by RAM. (RequestId 7D1E-22)"
        );
        let e = parse_assume_role_response("s", 502, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 502 with a non-JSON body (24 bytes)"
        );
        assert!(!e.message.contains("gateway"));
        let e = parse_assume_role_response("s", 500, b"").unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 500 with an empty body"
        );
        // Long messages are cut.
        let long = format!(r#"{{"Code":"X","Message":"{}"}}"#, "m".repeat(10_000));
        let e = parse_assume_role_response("s", 400, long.as_bytes()).unwrap_err();
        assert!(e.message.len() < 400, "{}", e.message.len());
    }

    #[test]
    fn malformed_and_incomplete_responses() {
        let e = parse_assume_role_response("s", 200, br#"{"Credentials": {"#).unwrap_err();
        assert!(
            e.message
                .starts_with("malformed JSON in the STS AssumeRole response: EOF"),
            "{e}"
        );
        let e = parse_assume_role_response("s", 200, b"[1, 2").unwrap_err();
        assert!(e.message.contains("malformed JSON"), "{e}");
        let e = parse_assume_role_response("s", 200, br#"{"RequestId":"x"}"#).unwrap_err();
        assert_eq!(e.message, "STS AssumeRole response has no Credentials");
        let e = parse_assume_role_response("s", 200, br#"{"Credentials":"x"}"#).unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole response: Credentials is not an object"
        );
        for (missing, body) in [
            (
                "missing field Credentials.AccessKeySecret",
                r#"{"Credentials":{"AccessKeyId":"a","SecurityToken":"t","Expiration":"2024-05-01T13:00:00Z"}}"#,
            ),
            (
                "missing field Credentials.SecurityToken",
                r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"zzsecret","Expiration":"2024-05-01T13:00:00Z"}}"#,
            ),
            (
                "missing field Credentials.Expiration",
                r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"zzsecret","SecurityToken":"zztoken"}}"#,
            ),
            (
                "field Credentials.AccessKeyId is not a string",
                r#"{"Credentials":{"AccessKeyId":5,"AccessKeySecret":"zzsecret","SecurityToken":"zztoken","Expiration":"x"}}"#,
            ),
            (
                "empty field Credentials.AccessKeyId",
                r#"{"Credentials":{"AccessKeyId":"","AccessKeySecret":"zzsecret","SecurityToken":"zztoken","Expiration":"x"}}"#,
            ),
            (
                "unparsable Credentials.Expiration \"tomorrow\"",
                r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"zzsecret","SecurityToken":"zztoken","Expiration":"tomorrow"}}"#,
            ),
        ] {
            let e = parse_assume_role_response("s", 200, body.as_bytes()).unwrap_err();
            assert!(e.message.ends_with(missing), "{e}");
            assert!(
                !e.message.contains("zzsecret") && !e.message.contains("zztoken"),
                "{e}"
            );
        }
    }

    #[test]
    fn transport_errors_and_redaction() {
        let http = FakeHttp::new(|_| {
            Err(HttpError(
                "connection refused: https://sts.example.com/".into(),
            ))
        });
        let req = Request::new("GET", "https://sts.example.com/?SecurityToken=zztoken");
        let e = call("src", "AssumeRole", &http, &Limits::default(), &req, &[]).unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole request failed: connection refused: https://sts.example.com/"
        );
        let e = redact(
            CredentialsError::service("s", "bad token zztoken and zzsecret"),
            &["zztoken", "", "zzsecret"],
        );
        assert_eq!(e.message, "bad token **redacted** and **redacted**");
        // Encoded once (a query) or twice (a string to sign).
        let e = redact(
            CredentialsError::service("s", "q=CAIS%2Bab%3D%3D sts=CAIS%252Bab%253D%253D"),
            &["CAIS+ab=="],
        );
        assert_eq!(e.message, "q=**redacted** sts=**redacted**");
    }

    #[test]
    fn secrets_are_taken_out_before_messages_are_shortened() {
        let token = format!("CAIS{}END", "x".repeat(600));
        let body = format!(r#"{{"Code":"Bad","Message":"token {token} rejected"}}"#);
        let http = FakeHttp::fixed(400, &body);
        let req = Request::new("GET", "https://sts.example.com/?x=1");
        let e = call(
            "src",
            "AssumeRole",
            &http,
            &Limits::default(),
            &req,
            &[&token],
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 400 Bad: token **redacted** rejected"
        );
    }

    #[test]
    fn sts_string_to_sign_is_left_out_of_errors() {
        let body = r#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3DSTS.x%26SecurityToken%3DCAIS%252Bsecret","RequestId":"R1"}"#;
        let e = parse_response("src", "AssumeRole", 400, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 400 SignatureDoesNotMatch: Specified signature is not \
             matched with our calculation. (RequestId R1)"
        );
    }

    #[test]
    fn service_text_is_escaped_in_errors() {
        let body = r#"{"Code":"Bad\r\nWARNING forged","Message":"m\u001b[2J\nline2","RequestId":"R\u0007"}"#;
        let e = parse_response("src", "AssumeRole", 400, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole failed: HTTP 400 Bad\\r\\nWARNING forged: m\\u{1b}[2J\\nline2 \
             (RequestId R\\u{7})"
        );
        let body = r#"{"Code":"C\n1"}"#;
        let e = parse_response("src", "AssumeRole", 200, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "STS AssumeRole response has no Credentials (Code C\\n1)"
        );
        let body = r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"\u001b[31m"}}"#;
        let e = parse_response("src", "AssumeRole", 200, body.as_bytes()).unwrap_err();
        assert!(
            e.message
                .ends_with("unparsable Credentials.Expiration \"\\u{1b}[31m\""),
            "{e}"
        );
    }
}
