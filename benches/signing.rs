//! Per-stage cost of V1, V2 and V4 signing for one realistic request.
//!
//! Run: `cargo bench --bench signing`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ossauth::sign::v4::{self, CanonicalRequest, Scope, SigningKey};
use ossauth::sign::{encode, v1, v2, SignableRequest, SigningKeyCache};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATETIME: &str = "20231216T162057Z";
const REGION: &str = "cn-hangzhou";

/// An UploadPart-style PUT: non-ASCII key (exercises percent-encoding), headers out of order
/// (exercises sorting), sub-resources (one valueless) mixed with a non-signed V1 param.
fn request() -> SignableRequest<'static> {
    SignableRequest::new("PUT", "examplebucket", "a/b/c 文件.txt")
        .header("x-oss-meta-project", "benchmarks")
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-oss-date", DATETIME)
        .header("content-md5", "eB5eJF1ptWaXm4bijSPyxw==")
        .header("x-oss-meta-author", "alice")
        .header("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        .param("uploadId", Some("0004B9895DBBB6EC98E36"))
        .param("partNumber", Some("3"))
        .param("x-oss-traffic-limit", Some("819200"))
        .param("acl", None)
}

fn bench_v1(c: &mut Criterion) {
    let req = request();
    c.bench_function("v1/string_to_sign", |b| {
        b.iter(|| v1::StringToSign::new(black_box(&req)))
    });
    let sts = v1::StringToSign::new(&req);
    c.bench_function("v1/sign", |b| b.iter(|| black_box(&sts).sign(SECRET)));
}

fn bench_v2(c: &mut Criterion) {
    let req = request();
    c.bench_function("v2/string_to_sign", |b| {
        b.iter(|| v2::StringToSign::new(black_box(&req), &[]))
    });
    let sts = v2::StringToSign::new(&req, &[]);
    c.bench_function("v2/sign", |b| b.iter(|| black_box(&sts).sign(SECRET)));
}

fn bench_v4(c: &mut Criterion) {
    let req = request();
    let scope = Scope::new(DATETIME, REGION, "oss");
    c.bench_function("v4/canonical_request", |b| {
        b.iter(|| CanonicalRequest::new(black_box(&req), None))
    });
    let canonical = CanonicalRequest::new(&req, None);
    c.bench_function("v4/string_to_sign", |b| {
        b.iter(|| v4::StringToSign::new(DATETIME, &scope, black_box(&canonical)))
    });
    let sts = v4::StringToSign::new(DATETIME, &scope, &canonical);

    // Both variants end in a signature so the gap is derivation vs. cache lookup.
    c.bench_function("v4/signing_key/derive", |b| {
        b.iter(|| SigningKey::derive(black_box(SECRET), &scope).sign(&sts))
    });
    // Pre-warmed: after the first request of the day every request is a hit.
    let cache = SigningKeyCache::new();
    cache.with_key(SECRET, &scope, |_| ());
    c.bench_function("v4/signing_key/cached", |b| {
        b.iter(|| cache.with_key(black_box(SECRET), &scope, |k| k.sign(&sts)))
    });

    // What one request costs end to end with a warm cache, scope included (built per request).
    c.bench_function("v4/full", |b| {
        b.iter(|| {
            let req = black_box(&req);
            let scope = Scope::new(DATETIME, REGION, "oss");
            let canonical = CanonicalRequest::new(req, None);
            let sts = v4::StringToSign::new(DATETIME, &scope, &canonical);
            let sig = cache.with_key(SECRET, &scope, |k| k.sign(&sts));
            v4::authorization("LTAI5tExampleKeyId", &scope, &sig, None)
        })
    });
}

/// The hot-path encoder against percent-encoding's, for the same set (RFC 3986 unreserved kept,
/// `/` too as in V4's canonical URI), on an object key and on a presigned URL's query value; it
/// stays hand-written only while it is the faster.
fn bench_encode(c: &mut Criterion) {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    let inputs: [(&str, &[u8]); 2] = [
        ("key", "photos/2023/12/holiday 文件 (1).jpg".as_bytes()),
        (
            "token",
            b"CAIS+AF1q6Ft5B2yfSjIr5bSEsnBqLdx1JeqYU/lpWIdbcB7jL3+h7Ts2bf0bT9uV8oevqM1mW1Z8v4Y",
        ),
    ];
    for (name, raw) in inputs {
        c.bench_function(&format!("encode/custom/{name}"), |b| {
            let mut out = Vec::with_capacity(256);
            b.iter(|| {
                out.clear();
                encode::percent_encode_into(black_box(raw), true, &mut out);
                black_box(&out);
            })
        });
        c.bench_function(&format!("encode/percent_encoding/{name}"), |b| {
            let mut out = Vec::with_capacity(256);
            b.iter(|| {
                out.clear();
                for piece in percent_encoding::percent_encode(black_box(raw), KEEP) {
                    out.extend_from_slice(piece.as_bytes());
                }
                black_box(&out);
            })
        });
    }
}

/// oss-v2's V4 header signing without its Python side: the byte work `SignerV4.sign` does for
/// benches/bench_vs_ossv2.py's request (the headers as they are once the signer has written its
/// own), with a warm key cache, by stage. The README's oss-v2 floor paragraph takes its costs
/// from here.
fn bench_oss_v2_v4(c: &mut Criterion) {
    use ossauth::sign::oss_v2::v4 as ov4;
    let headers = [
        ("content-type", "image/jpeg"),
        ("content-md5", "eB5eJF1ptWaXm4bijSPyxw=="),
        ("x-oss-meta-author", "alice"),
        ("x-oss-storage-class", "Standard"),
        ("x-oss-date", DATETIME),
        ("x-oss-security-token", "bench-sts-token"),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
    ];
    let req = ov4::Request {
        method: "PUT",
        bucket: Some("examplebucket"),
        key: Some("photos/2024/猫.jpg"),
        query: "partNumber=3&uploadId=0004B9895DBBB6EC98E",
        headers: &headers,
        payload: "UNSIGNED-PAYLOAD",
    };
    let cache = SigningKeyCache::new();
    let scope = Scope::new(DATETIME, REGION, "oss");
    cache.with_key(SECRET, &scope, |_| ());
    c.bench_function("oss_v2/v4/canonical_request", |b| {
        b.iter(|| ov4::canonical_request(black_box(&req), &[]))
    });
    let canonical = ov4::canonical_request(&req, &[]);
    // Mostly the SHA-256 of the canonical request.
    c.bench_function("oss_v2/v4/string_to_sign", |b| {
        b.iter(|| ov4::string_to_sign(DATETIME, &scope, black_box(&canonical)))
    });
    let sts = ov4::string_to_sign(DATETIME, &scope, &canonical);
    c.bench_function("oss_v2/v4/signature", |b| {
        b.iter(|| {
            let mut sig = String::with_capacity(64);
            cache.sign_into(black_box(SECRET), &scope, black_box(&sts), &mut sig);
            sig
        })
    });
    c.bench_function("oss_v2/v4/header_bytes", |b| {
        b.iter(|| {
            let scope = Scope::new(DATETIME, REGION, "oss");
            let canonical = ov4::canonical_request(black_box(&req), &[]);
            let sts = ov4::string_to_sign(DATETIME, &scope, &canonical);
            let mut sig = String::with_capacity(64);
            cache.sign_into(SECRET, &scope, &sts, &mut sig);
            ov4::authorization("LTAI5tBenchmarkKeyId", &scope, &[], &sig)
        })
    });
}

criterion_group!(
    benches,
    bench_v1,
    bench_v2,
    bench_v4,
    bench_oss_v2_v4,
    bench_encode
);
criterion_main!(benches);
