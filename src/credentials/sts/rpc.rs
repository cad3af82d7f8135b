//! Alibaba Cloud's RPC signature, as the STS sources send it.
//!
//! RPC signing (AssumeRole): percent-encode every key and value (RFC 3986: `A-Z a-z 0-9 - _ . ~`
//! literal, everything else `%XX` upper-case, so space is `%20` and `*` is `%2A`), sort by the
//! encoded key, join `k=v` with `&`; `StringToSign = METHOD & %2F & percentEncode(query)`;
//! `Signature = base64(HMAC-SHA1(secret + "&", StringToSign))`. Each stage is a function so
//! tests can check each against vectors from alibabacloud_credentials' signer.
//!
//! Every parameter goes in the query of a `GET` (AssumeRoleWithOIDC too, unsigned), as
//! alibabacloud_credentials sends it; a fresh `SignatureNonce` for each signed request.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::sign::encode;
use crate::sign::UtcDateTime;

/// STS API version, as alibabacloud_credentials sends it.
pub const VERSION: &str = "2015-04-01";

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

/// `{sts_url}/?{query}`; a URL that already has a path gets the query right after it.
pub fn request_url(sts_url: &str, query: &str) -> String {
    let after_scheme = sts_url.split_once("://").map_or(sts_url, |(_, rest)| rest);
    if after_scheme.contains('/') {
        format!("{sts_url}?{query}")
    } else {
        format!("{sts_url}/?{query}")
    }
}
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credentials::test_util::param;
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
}
