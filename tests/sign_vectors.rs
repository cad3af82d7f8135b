//! The signing vectors under `tests/vectors/{v1,v2,v4}/<case>/` (format and sources in
//! tests/vectors/README.md), checked stage by stage: canonical request (V4), scope (V4), string
//! to sign, signature, Authorization. None of the expected values came from ossauth's output:
//! V1 and V4 are Alibaba's documented examples and the vectors its own SDKs assert; V2 was
//! produced by oss2 2.19.1 itself (tests/vectors/gen_v2.py).

use std::fs;
use std::path::{Path, PathBuf};

use ossauth::sign::request::EncodedParams;
use ossauth::sign::v4::{self, CanonicalRequest, Scope, SigningKey, StringToSign};
use ossauth::sign::{v1, v2, SignableRequest, UtcDateTime};
use serde_json::Value;

/// One case's `request.json`.
struct Case {
    dir: PathBuf,
    json: Value,
    headers: Vec<(String, String)>,
    params: Vec<(String, Option<String>)>,
}

impl Case {
    fn load(dir: &Path) -> Case {
        let path = dir.join("request.json");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let pairs = |field: &str| -> Vec<(String, Option<String>)> {
            json[field]
                .as_array()
                .unwrap_or_else(|| panic!("{}: `{field}` is not a list", path.display()))
                .iter()
                .map(|pair| {
                    let name = pair[0].as_str().expect("a name is a string").to_owned();
                    (name, pair[1].as_str().map(str::to_owned))
                })
                .collect()
        };
        let headers = pairs("headers")
            .into_iter()
            .map(|(name, value)| (name, value.expect("a header value is a string")))
            .collect();
        let params = pairs("params");
        Case {
            dir: dir.to_owned(),
            json,
            headers,
            params,
        }
    }

    fn str(&self, field: &str) -> &str {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: `{field}` is not a string", self.dir.display()))
    }

    fn names(&self, field: &str) -> Vec<String> {
        self.json[field].as_array().map_or_else(Vec::new, |names| {
            names
                .iter()
                .map(|n| n.as_str().expect("a header name").to_owned())
                .collect()
        })
    }

    fn request(&self) -> SignableRequest<'_> {
        let mut req = SignableRequest::new(self.str("method"), self.str("bucket"), self.str("key"));
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        for (k, v) in &self.params {
            req = req.param(k, v.as_deref());
        }
        req
    }

    /// The expected value in file `stage`, if the case has one (its final newline is not part
    /// of it).
    fn expected(&self, stage: &str) -> Option<String> {
        let text = fs::read_to_string(self.dir.join(stage)).ok()?;
        let value = text
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("{}/{stage}: must end with one newline", self.dir.display()));
        Some(value.to_owned())
    }

    /// Asserts `actual` against file `stage` if present; says whether it was.
    fn check(&self, stage: &str, actual: &str) -> bool {
        match self.expected(stage) {
            Some(expected) => {
                assert_eq!(actual, expected, "{}: {stage}", self.dir.display());
                true
            }
            None => false,
        }
    }
}

/// Every case of `version`, sorted; fails if there are none (a moved folder must not pass
/// silently).
fn cases(version: &str) -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(version);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under {}", root.display());
    dirs.iter().map(|dir| Case::load(dir)).collect()
}

fn case(version: &str, name: &str) -> Case {
    Case::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors")
            .join(version)
            .join(name),
    )
}

#[test]
fn v1_vectors() {
    for case in cases("v1") {
        let req = case.request();
        let sts = v1::StringToSign::new(&req);
        case.check("string_to_sign", &sts.to_string());
        let signature = sts.sign(case.str("secret").as_bytes());
        assert!(
            case.check("signature", &signature),
            "{}: no signature",
            case.dir.display()
        );
        case.check(
            "authorization",
            &v1::authorization(case.str("access_key_id"), &signature),
        );
    }
}

#[test]
fn v2_vectors() {
    for case in cases("v2") {
        let req = case.request();
        // In the Authorization header's order (oss2 joins a set); the string to sign sorts them.
        let additional = case.names("additional_headers");
        let additional: Vec<&str> = additional.iter().map(String::as_str).collect();
        let sts = v2::StringToSign::new(&req, &additional);
        case.check("string_to_sign", &sts.to_string());
        let signature = sts.sign(case.str("secret").as_bytes());
        assert!(
            case.check("signature", &signature),
            "{}: no signature",
            case.dir.display()
        );
        case.check(
            "authorization",
            &v2::authorization(case.str("access_key_id"), &additional, &signature),
        );
    }
}

#[test]
fn v4_vectors() {
    for case in cases("v4") {
        let datetime = case.str("datetime");
        if let Some(unix) = case.json["unix_time"].as_i64() {
            assert_eq!(UtcDateTime::from_unix(unix).iso8601_basic(), datetime);
        }
        let req = case.request();
        let additional = case.names("additional_headers");
        let extra = (!additional.is_empty())
            .then(|| v4::additional_in_header_order(&additional).expect("non-empty names"));
        let canonical = CanonicalRequest::new(&req, extra.as_deref());
        case.check("canonical_request", &canonical.to_string());
        let scope = Scope::new(datetime, case.str("region"), case.str("product"));
        case.check("scope", &scope.to_string());
        let sts = StringToSign::new(datetime, &scope, &canonical);
        case.check("string_to_sign", &sts.to_string());
        let key = match case.json["signing_key_hex"].as_str() {
            // The documentation gives the derived key, not the secret.
            Some(hex) => {
                let mut key = [0u8; 32];
                for (i, byte) in key.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
                }
                SigningKey::from_bytes(key)
            }
            None => SigningKey::derive(case.str("secret").as_bytes(), &scope),
        };
        let signature = key.sign(&sts);
        assert!(
            case.check("signature", &signature),
            "{}: no signature",
            case.dir.display()
        );
        // The streamed string to sign (the hot path) signs the same.
        let query = EncodedParams::new(&req.params);
        let streamed = StringToSign::for_request(&req, &query, extra.as_deref(), datetime, &scope);
        assert_eq!(
            key.sign(&streamed),
            signature,
            "{}: streamed",
            case.dir.display()
        );
        case.check(
            "authorization",
            &v4::authorization(
                case.str("access_key_id"),
                &scope,
                &signature,
                extra.as_deref(),
            ),
        );
    }
}

/// What the additional-headers vector shows beyond its signature: the names in the header's
/// order, signed in the canonical request, listed in the Authorization header.
#[test]
fn sdk_v4_additional_headers_stages() {
    let case = case("v4", "sdk_additional_headers");
    let datetime = case.str("datetime");
    let req = case.request();
    let extra = v4::additional_in_header_order(&["ZAbc".to_lowercase(), "abc".into()]).unwrap();
    assert_eq!(extra, ["abc", "zabc"]);
    assert_eq!(
        v4::additional_in_header_order(&case.names("additional_headers")).unwrap(),
        extra
    );
    let canonical = CanonicalRequest::new(&req, Some(&extra)).to_string();
    assert!(canonical.contains("\nabc:value\n"), "{canonical}");
    assert!(
        canonical.ends_with("\nabc;zabc\nUNSIGNED-PAYLOAD"),
        "{canonical}"
    );
    let scope = Scope::new(datetime, "cn-hangzhou", "oss");
    let sts = StringToSign::new(datetime, &scope, &CanonicalRequest::new(&req, Some(&extra)));
    let signature = SigningKey::derive(b"sk", &scope).sign(&sts);
    assert_eq!(Some(signature.clone()), case.expected("signature"));
    assert!(v4::authorization("ak", &scope, &signature, Some(&extra))
        .ends_with(", AdditionalHeaders=abc;zabc"));
}

/// The documented example states the canonical request's SHA-256, which its string to sign
/// ends with.
#[test]
fn documented_v4_example_canonical_hash() {
    use ossauth::sign::encode::hex_lower;
    use sha2::{Digest, Sha256};
    let case = case("v4", "documented_example_1");
    let canonical = case.expected("canonical_request").unwrap();
    assert_eq!(
        hex_lower(&Sha256::digest(canonical.as_bytes())),
        "c46d96390bdbc2d739ac9363293ae9d710b14e48081fcb22cd8ad54b63136eca"
    );
    assert!(case
        .expected("string_to_sign")
        .unwrap()
        .ends_with("\nc46d96390bdbc2d739ac9363293ae9d710b14e48081fcb22cd8ad54b63136eca"));
}

#[test]
fn v4_signing_key_depends_on_every_scope_part() {
    let base = Scope::new("20231216T162057Z", "cn-hangzhou", "oss");
    let k = SigningKey::derive(b"sk", &base);
    for other in [
        Scope::new("20231217T000000Z", "cn-hangzhou", "oss"),
        Scope::new("20231216T162057Z", "cn-beijing", "oss"),
        Scope::new("20231216T162057Z", "cn-hangzhou", "oss-cloudbox"),
    ] {
        assert_ne!(k, SigningKey::derive(b"sk", &other));
    }
    assert_ne!(k, SigningKey::derive(b"sk2", &base));
    // Same day, other time: same key.
    assert_eq!(
        k,
        SigningKey::derive(b"sk", &Scope::new("20231216T235959Z", "cn-hangzhou", "oss"))
    );
}
