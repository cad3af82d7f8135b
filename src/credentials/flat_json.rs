//! The flat credentials document that the ECS metadata service and credentials URIs serve:
//! `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}`.

use serde_json::Value;

use super::service_text::{escaped, quoted};
use super::sts::json_error;
use super::wiped_json::WipedJson;
use super::{parse_iso8601, Credentials, CredentialsError};

/// Parses a 200 response of `what` (e.g. "the credentials URI"). Any other status is an error
/// naming it; the body is never quoted (it may hold a secret), only its `Code`/`Message`.
pub fn parse(
    source: &str,
    what: &str,
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    let err = |msg: String| CredentialsError::service(source.to_string(), msg);
    let parsed = WipedJson::from_slice(body);
    if !(200..300).contains(&status) {
        let mut msg = format!("{what} answered HTTP {status}");
        if let Ok(Value::Object(o)) = parsed.as_deref() {
            for key in ["Code", "Message"] {
                if let Some(v) = o.get(key).and_then(Value::as_str) {
                    msg.push_str(&format!(" {key}={}", quoted(v, 200)));
                }
            }
        }
        return Err(err(msg));
    }
    let value =
        parsed.map_err(|e| err(format!("malformed JSON from {what}: {}", json_error(&e))))?;
    let Value::Object(doc) = &*value else {
        return Err(err(format!("{what} did not answer a JSON object")));
    };
    match doc.get("Code") {
        Some(Value::String(code)) if code == "Success" => {}
        Some(Value::String(code)) => {
            let mut msg = format!("{what} answered Code {}", quoted(code, 100));
            if let Some(m) = doc.get("Message").and_then(Value::as_str) {
                msg.push_str(&format!(": {}", escaped(m, 200)));
            }
            return Err(err(msg));
        }
        _ => return Err(err(format!("{what}: the answer has no Code \"Success\""))),
    }
    let field = |name: &str, required: bool| -> Result<Option<String>, CredentialsError> {
        match doc.get(name) {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(err(format!("{what}: missing field {name}"))),
            Some(Value::String(s)) if s.is_empty() && required => {
                Err(err(format!("{what}: empty field {name}")))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(format!("{what}: field {name} is not a string"))),
        }
    };
    let id = field("AccessKeyId", true)?.unwrap_or_default();
    let secret = zeroize::Zeroizing::new(field("AccessKeySecret", true)?.unwrap_or_default());
    let token = field("SecurityToken", true)?;
    let expiration_text = field("Expiration", true)?.unwrap_or_default();
    let expiration = parse_iso8601(&expiration_text).ok_or_else(|| {
        err(format!(
            "{what}: unparsable Expiration {}",
            quoted(&expiration_text, 64)
        ))
    })?;
    Ok(Credentials::new(
        id,
        secret.as_str(),
        token,
        Some(expiration),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"Code":"Success","AccessKeyId":"STS.id","AccessKeySecret":"sec-ret",
        "SecurityToken":"tok-en","Expiration":"2024-05-01T12:00:00Z","LastUpdated":"x"}"#;

    #[test]
    fn a_good_document() {
        let c = parse("src", "IMDS", 200, GOOD.as_bytes()).unwrap();
        assert_eq!(c.access_key_id(), "STS.id");
        assert_eq!(c.access_key_secret(), "sec-ret");
        assert_eq!(c.security_token(), Some("tok-en"));
        assert_eq!(c.expiration(), Some(1_714_564_800));
    }

    #[test]
    fn errors_name_the_cause_and_never_the_secret() {
        let cases: &[(u16, &str, &str)] = &[
            (500, GOOD, "answered HTTP 500"),
            (200, "{\"Code\":\"Success\",", "malformed JSON"),
            (200, "[1]", "not answer a JSON object"),
            (200, &GOOD.replace("Success", "Failed"), "Code \"Failed\""),
            (
                200,
                &GOOD.replace("\"sec-ret\"", "null"),
                "missing field AccessKeySecret",
            ),
            (
                200,
                &GOOD.replace("2024-05-01T12:00:00Z", "soon"),
                "unparsable Expiration",
            ),
            (200, &GOOD.replace("\"Code\":\"Success\",", ""), "no Code"),
        ];
        for (status, body, expected) in cases {
            let e = parse("the source", "IMDS", *status, body.as_bytes()).unwrap_err();
            assert_eq!(e.source, "the source");
            assert!(e.message.contains(expected), "{e} lacks {expected}");
            assert!(!e.to_string().contains("sec-ret") && !e.to_string().contains("tok-en"));
        }
    }

    #[test]
    fn service_text_is_escaped_in_errors() {
        let body = r#"{"Code":"Fail\r\nINFO forged","Message":"x\u001b[2J\u009b"}"#;
        let e = parse("src", "IMDS", 200, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "IMDS answered Code \"Fail\\r\\nINFO forged\": x\\u{1b}[2J\\u{9b}"
        );
        let e = parse("src", "IMDS", 503, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "IMDS answered HTTP 503 Code=\"Fail\\r\\nINFO forged\" Message=\"x\\u{1b}[2J\\u{9b}\""
        );
    }
}
