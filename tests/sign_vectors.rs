//! Worked examples from Alibaba's public V4 documentation and the vectors Alibaba's own SDKs
//! (alibabacloud-oss-*-sdk-v2 signer tests) assert, checked stage by stage: canonical request,
//! string to sign, signing key, signature, Authorization. None of these values came from
//! ossauth's output.

use ossauth::sign::encode::hex_lower;
use ossauth::sign::request::EncodedParams;
use ossauth::sign::v4::{self, CanonicalRequest, Scope, SigningKey, StringToSign};
use ossauth::sign::{v1, SignableRequest, UtcDateTime};
use sha2::{Digest, Sha256};

const SDK_PARAMS: [(&str, Option<&str>); 6] = [
    ("param1", Some("value1")),
    ("+param1", Some("value3")),
    ("|param1", Some("value4")),
    ("+param2", Some("")),
    ("|param2", Some("")),
    ("param2", Some("")),
];

/// The request the SDK signer tests share: PUT bucket/1234+-/123/1.txt with six parameters
/// whose names need encoding and headers of every case. Header names arrive lower-cased, as
/// the Python binding hands them over.
fn sdk_request<'a>(datetime: &'a str, extra: &[(&'a str, &'a str)]) -> SignableRequest<'a> {
    let mut req = SignableRequest::new("PUT", "bucket", "1234+-/123/1.txt")
        .header("x-oss-head1", "value")
        .header("abc", "value")
        .header("zabc", "value")
        .header("xyz", "value")
        .header("x-oss-date", datetime);
    for (name, value) in extra {
        req = req.header(name, value);
    }
    for (k, v) in SDK_PARAMS {
        req = req.param(k, v);
    }
    req
}

fn iso(t: i64) -> String {
    UtcDateTime::from_unix(t).iso8601_basic()
}

fn sign_v4(
    req: &SignableRequest<'_>,
    datetime: &str,
    scope: &Scope,
    extra: Option<&[String]>,
) -> String {
    let canonical = CanonicalRequest::new(req, extra);
    let sts = StringToSign::new(datetime, scope, &canonical);
    SigningKey::derive(b"sk", scope).sign(&sts)
}

#[test]
fn sdk_v4_header_signing_each_stage() {
    let datetime = iso(1702743657);
    assert_eq!(datetime, "20231216T162057Z");
    let req = sdk_request(
        &datetime,
        &[
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
    );
    let canonical = CanonicalRequest::new(&req, None);
    assert_eq!(
        canonical.to_string(),
        "PUT\n/bucket/1234%2B-/123/1.txt\n\
         %2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n\
         content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n\
         x-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
    );
    let scope = Scope::new(&datetime, "cn-hangzhou", "oss");
    assert_eq!(
        scope.to_string(),
        "20231216/cn-hangzhou/oss/aliyun_v4_request"
    );
    let sts = StringToSign::new(&datetime, &scope, &canonical);
    assert_eq!(
        sts.to_string(),
        "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n\
         f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
    );
    let signature = SigningKey::derive(b"sk", &scope).sign(&sts);
    assert_eq!(
        signature,
        "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    );
    assert_eq!(
        v4::authorization("ak", &scope, &signature, None),
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, \
         Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    );
}

#[test]
fn sdk_v4_with_security_token() {
    let datetime = iso(1702784856);
    let req = sdk_request(
        &datetime,
        &[
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-oss-security-token", "token"),
        ],
    );
    let scope = Scope::new(&datetime, "cn-hangzhou", "oss");
    assert_eq!(
        sign_v4(&req, &datetime, &scope, None),
        "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"
    );
}

#[test]
fn sdk_v4_with_additional_headers() {
    let datetime = iso(1702747512);
    let req = sdk_request(
        &datetime,
        &[
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
    );
    let scope = Scope::new(&datetime, "cn-hangzhou", "oss");
    let extra = v4::additional_in_header_order(&["ZAbc".to_lowercase(), "abc".into()]).unwrap();
    assert_eq!(extra, ["abc", "zabc"]);
    let canonical = CanonicalRequest::new(&req, Some(&extra)).to_string();
    assert!(canonical.contains("\nabc:value\n"), "{canonical}");
    assert!(
        canonical.ends_with("\nabc;zabc\nUNSIGNED-PAYLOAD"),
        "{canonical}"
    );
    let signature = sign_v4(&req, &datetime, &scope, Some(&extra));
    let query = EncodedParams::new(&req.params);
    let streamed = StringToSign::for_request(&req, &query, Some(&extra), &datetime, &scope);
    assert_eq!(SigningKey::derive(b"sk", &scope).sign(&streamed), signature);
    assert_eq!(
        signature,
        "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"
    );
    assert!(v4::authorization("ak", &scope, &signature, Some(&extra))
        .ends_with(", AdditionalHeaders=abc;zabc"));
}

#[test]
fn sdk_v4_cloudbox_scope() {
    let datetime = iso(1702743657);
    let req = sdk_request(
        &datetime,
        &[
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
    );
    let scope = Scope::new(&datetime, "cb-123", "oss-cloudbox");
    assert_eq!(
        scope.to_string(),
        "20231216/cb-123/oss-cloudbox/aliyun_v4_request"
    );
    assert_eq!(
        sign_v4(&req, &datetime, &scope, None),
        "94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43"
    );
}

#[test]
fn sdk_v4_query_signing() {
    let datetime = iso(1702781677);
    assert_eq!(datetime, "20231217T025437Z");
    let scope = Scope::new(&datetime, "cn-hangzhou", "oss");
    let credential = format!("ak/{scope}");
    // Presigning puts the date in the query, not in a header.
    let mut req = SignableRequest::new("PUT", "bucket", "1234+-/123/1.txt")
        .header("x-oss-head1", "value")
        .header("abc", "value")
        .header("zabc", "value")
        .header("xyz", "value")
        .header("content-type", "application/octet-stream");
    for (k, v) in SDK_PARAMS {
        req = req.param(k, v);
    }
    let req = req
        .param("x-oss-credential", Some(&credential))
        .param("x-oss-date", Some(&datetime))
        .param("x-oss-expires", Some("599"))
        .param("x-oss-signature-version", Some(v4::ALGORITHM));
    assert_eq!(
        sign_v4(&req, &datetime, &scope, None),
        "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe"
    );
}

/// Alibaba's V4 documentation, "Example 1": PUT examplebucket/exampleobject with
/// Content-Disposition and Content-Length as additional headers.
#[test]
fn documented_v4_example_each_stage() {
    let datetime = "20250411T064124Z";
    let req = SignableRequest::new("PUT", "examplebucket", "exampleobject")
        .header("content-disposition", "attachment")
        .header("content-length", "3")
        .header("content-md5", "ICy5YqxZB1uWSwcVLSNLcA==")
        .header("content-type", "text/plain")
        .header("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        .header("x-oss-date", datetime);
    let extra = v4::additional_in_header_order(&["content-disposition", "content-length"]).unwrap();
    let canonical = CanonicalRequest::new(&req, Some(&extra));
    assert_eq!(
        canonical.to_string(),
        "PUT\n/examplebucket/exampleobject\n\n\
         content-disposition:attachment\ncontent-length:3\ncontent-md5:ICy5YqxZB1uWSwcVLSNLcA==\n\
         content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20250411T064124Z\n\n\
         content-disposition;content-length\nUNSIGNED-PAYLOAD"
    );
    assert_eq!(
        hex_lower(&Sha256::digest(canonical.as_bytes())),
        "c46d96390bdbc2d739ac9363293ae9d710b14e48081fcb22cd8ad54b63136eca"
    );
    let scope = Scope::new(datetime, "cn-hangzhou", "oss");
    assert_eq!(
        scope.to_string(),
        "20250411/cn-hangzhou/oss/aliyun_v4_request"
    );
    let sts = StringToSign::new(datetime, &scope, &canonical);
    assert_eq!(
        sts.to_string(),
        "OSS4-HMAC-SHA256\n20250411T064124Z\n20250411/cn-hangzhou/oss/aliyun_v4_request\n\
         c46d96390bdbc2d739ac9363293ae9d710b14e48081fcb22cd8ad54b63136eca"
    );
    // The documentation gives the derived key, not the secret.
    let mut key = [0u8; 32];
    let hex = "3543b7686e65eda71e5e5ca19d548d78423c37e8ddba4dc9d83f90228b457c76";
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    assert_eq!(
        SigningKey::from_bytes(key).sign(&sts),
        "053edbf550ebd239b32a9cdfd93b0b2b3f2d223083aa61f75e9ac16856d61f23"
    );
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

fn v1_put(date: &str) -> SignableRequest<'_> {
    SignableRequest::new("PUT", "examplebucket", "nelson")
        .header("content-md5", "eB5eJF1ptWaXm4bijSPyxw==")
        .header("content-type", "text/html")
        .header("x-oss-meta-author", "alice")
        .header("x-oss-meta-magic", "abracadabra")
        .header("x-oss-date", date)
}

const V1_DATE: &str = "Wed, 28 Dec 2022 10:27:41 GMT";

/// The V1 example of Alibaba's documentation and SDK tests.
#[test]
fn documented_v1_example() {
    let sts = v1::StringToSign::new(&v1_put(V1_DATE));
    assert_eq!(
        sts.to_string(),
        "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\n\
         x-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\n\
         x-oss-meta-magic:abracadabra\n/examplebucket/nelson"
    );
    let sig = sts.sign(b"sk");
    assert_eq!(
        v1::authorization("ak", &sig),
        "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M="
    );
}

#[test]
fn v1_subresources() {
    let acl = v1_put(V1_DATE).param("acl", None);
    assert_eq!(
        v1::StringToSign::new(&acl).sign(b"sk"),
        "/afkugFbmWDQ967j1vr6zygBLQk="
    );

    let bucket_only = |params: &[(&'static str, Option<&'static str>)]| {
        let mut req =
            SignableRequest::new("GET", "examplebucket", "").header("x-oss-date", V1_DATE);
        for (k, v) in params {
            req = req.param(k, *v);
        }
        v1::StringToSign::new(&req).sign(b"sk")
    };
    // Not a sub-resource, so not signed.
    assert_eq!(
        bucket_only(&[("resourceGroup", None), ("non-resousce", Some("null"))]),
        "vkQmfuUDyi1uDi3bKt67oemssIs="
    );
    assert_eq!(
        bucket_only(&[("resourceGroup", None), ("acl", None)]),
        "x3E5TgOvl/i7PN618s5mEvpJDYk="
    );
}

#[test]
fn v1_query_signing() {
    // Presigning puts the expiry where the date goes.
    let req = SignableRequest::new("GET", "bucket", "key")
        .header("date", "1699807420")
        .param("versionId", Some("versionId"));
    let sts = v1::StringToSign::new(&req);
    assert_eq!(
        sts.to_string(),
        "GET\n\n\n1699807420\n/bucket/key?versionId=versionId"
    );
    assert_eq!(sts.sign(b"sk"), "dcLTea+Yh9ApirQ8o8dOPqtvJXQ=");
}
