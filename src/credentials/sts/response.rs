//! One STS call: send the request, parse the answer into credentials or an error that names
//! STS's code and message, with any secret of the request taken out of it.

use serde_json::Value;

use super::rpc::percent_encode;
use crate::credentials::http::{HttpClient, Limits, Request};
use crate::credentials::service_text::{escaped, quoted};
use crate::credentials::wiped_json::WipedJson;
use crate::credentials::{parse_iso8601, Credentials, CredentialsError};

/// Longest STS error message kept in an error (a misbehaving proxy may send pages).
const MAX_MESSAGE_CHARS: usize = 300;

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
mod tests {
    use super::*;
    use crate::credentials::http::HttpError;
    use crate::credentials::test_util::*;

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
