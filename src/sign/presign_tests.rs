//! Tests of [`super`]: URLs oss2 2.19.1 printed for fixed inputs (at 1700000000.25), and the
//! spliced strings to sign checked against the per-version signers for many keys.

use super::*;
use crate::sign::v2;
use crate::sign::v4::{additional_in_header_order, CanonicalRequest};

const NOW: i64 = 1_700_000_000;

fn sts_creds() -> Credentials<'static> {
    Credentials {
        access_key_id: "LTAI5tId",
        access_key_secret: b"sec/ret",
        security_token: Some("tok+en"),
    }
}

fn hangzhou(version: Version) -> Target {
    Target::new(
        version,
        "https",
        "oss-cn-hangzhou.aliyuncs.com",
        UrlStyle::VirtualHosted,
        "examplebucket",
        Some("cn-hangzhou"),
        None,
        true,
    )
}

const PUT_HEADERS: [(&str, &str); 2] = [("content-type", "text/plain"), ("x-oss-meta-a", "1")];
const PUT_PARAMS: [(&str, Option<&str>); 2] =
    [("acl", Some("")), ("response-content-type", Some("a b"))];

fn put_opts() -> Options<'static> {
    Options {
        method: "PUT",
        expires: 3600,
        headers: &PUT_HEADERS,
        params: &PUT_PARAMS,
        additional_headers: None,
        slash_safe: false,
    }
}

/// `oss2.Bucket(oss2.StsAuth('LTAI5tId', 'sec/ret', 'tok+en', V), 'https://oss-cn-hangzhou.aliyuncs.com',
/// 'examplebucket', region='cn-hangzhou').sign_url('PUT', 'dir/文件 a+b.txt', 3600,
/// headers={'Content-Type': 'text/plain', 'x-oss-meta-a': '1'}, params={'acl': '', 'response-content-type': 'a b'})`
#[test]
fn sts_urls_equal_oss2s() {
    let key = "dir/文件 a+b.txt";
    let head = "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir%2F%E6%96%87%E4%BB%B6%20a%2Bb.txt?acl&response-content-type=a%20b&";
    let cases = [
        (Version::V1, "security-token=tok%2Ben&OSSAccessKeyId=LTAI5tId&Expires=1700003600&Signature=zPqECW5fZX63P%2FEDMKvqEAIaA9g%3D"),
        (Version::V2, "security-token=tok%2Ben&x-oss-signature-version=OSS2&x-oss-expires=1700003600&x-oss-access-key-id=LTAI5tId&x-oss-signature=Wrr2zh6VW4Qi22sr9mAo6BaJOMdNBdb9FvYs1P7jDDw%3D"),
        (Version::V4, "x-oss-security-token=tok%2Ben&x-oss-date=20231114T221320Z&x-oss-expires=3600&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=LTAI5tId%2F20231114%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=dd58ccbc403f7f53cea7dd03a0745f4afa1c218042c4e169b80fcc9715b03c9c"),
    ];
    for (version, tail) in cases {
        let url = presign_url(&hangzhou(version), &sts_creds(), NOW, &put_opts(), key).unwrap();
        assert_eq!(url, format!("{head}{tail}"), "{version:?}");
    }
}

/// Path-style IP endpoint with a cloudbox, an additional header, slash_safe (V4); a CNAME (V2);
/// anonymous path-style.
#[test]
fn endpoint_forms_equal_oss2s() {
    let creds = Credentials {
        access_key_id: "LTAI5tId",
        access_key_secret: b"sec/ret",
        security_token: None,
    };
    let range = [("range", "bytes=0-1")];
    let wanted = ["range"];
    let opts = Options {
        method: "GET",
        expires: 60,
        headers: &range,
        params: &[],
        additional_headers: Some(&wanted),
        slash_safe: true,
    };
    let cloudbox = Target::new(
        Version::V4,
        "http",
        "127.0.0.1:9000",
        UrlStyle::Path,
        "examplebucket",
        Some("cn-hangzhou"),
        Some("cb-1"),
        true,
    );
    assert_eq!(
        presign_url(&cloudbox, &creds, NOW, &opts, "k/x").unwrap(),
        "http://127.0.0.1:9000/examplebucket/k/x?x-oss-date=20231114T221320Z&x-oss-expires=60&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=LTAI5tId%2F20231114%2Fcb-1%2Foss-cloudbox%2Faliyun_v4_request&x-oss-additional-headers=range&x-oss-signature=a084b9801bcd7a077847b2d12d604985fdac948ee12ffedce805049b7772de0c"
    );
    let cname = Target::new(
        Version::V2,
        "http",
        "bucket.example.com",
        UrlStyle::Cname,
        "examplebucket",
        None,
        None,
        true,
    );
    let opts = Options {
        slash_safe: false,
        ..opts
    };
    assert_eq!(
        presign_url(&cname, &creds, NOW, &opts, "k/x").unwrap(),
        "http://bucket.example.com/k%2Fx?x-oss-signature-version=OSS2&x-oss-expires=1700000060&x-oss-access-key-id=LTAI5tId&x-oss-additional-headers=range&x-oss-signature=4hEonWefV%2F4aBwKPjlvjz9%2BSwK8zxoKoGd11z8PgyP0%3D"
    );
    let anonymous = Target::new(
        Version::Anonymous,
        "http",
        "oss-cn-hangzhou.aliyuncs.com",
        UrlStyle::Path,
        "examplebucket",
        None,
        None,
        true,
    );
    let opts = Options {
        method: "GET",
        expires: 60,
        ..Options::default()
    };
    assert_eq!(
        presign_url(&anonymous, &creds, NOW, &opts, "k/x").unwrap(),
        "http://oss-cn-hangzhou.aliyuncs.com/examplebucket/k%2Fx?"
    );
}

/// A small deterministic generator of awkward keys.
fn keys() -> Vec<String> {
    let pieces = [
        "a", "/", "文件", " ", "+", "%2F", "~", "?", "😀", "x.y", "\t", "A-Z_",
    ];
    let mut out = vec!["k".to_owned()];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut k = String::new();
        for _ in 0..(state % 7 + 1) {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            k.push_str(pieces[(state >> 33) as usize % pieces.len()]);
        }
        out.push(k);
    }
    out
}

/// prefix + key + suffix is each version's own string to sign (or canonical request) for
/// the request oss2 signs.
#[test]
fn spliced_text_is_the_signers_own() {
    let creds = sts_creds();
    let headers = [
        ("x-oss-meta-b", "2"),
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("range", "bytes=0-9"),
        ("date", "ignored for v1 and v2"),
        ("x-oss-meta-a", "1"),
    ];
    let params = [
        ("uploadId", Some("u 1")),
        ("partNumber", Some("3")),
        ("z", None),
    ];
    let wanted = ["range", "date", "absent"];
    let opts = Options {
        method: "PUT",
        expires: 60,
        headers: &headers,
        params: &params,
        additional_headers: Some(&wanted),
        slash_safe: false,
    };
    let exp = (NOW + 60).to_string();
    let pl = |extra: &[(&'static str, String)]| {
        let mut v: Vec<(String, Option<String>)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_owned)))
            .collect();
        v.extend(extra.iter().map(|(k, v)| (k.to_string(), Some(v.clone()))));
        v
    };
    for version in [Version::V1, Version::V2, Version::V4] {
        let target = hangzhou(version);
        let batch = Batch::new(&target, &creds, NOW, &opts, &SigningKeyCache::new()).unwrap();
        for key in keys() {
            let mut spliced = batch.prefix.clone();
            match version {
                Version::V1 => spliced.extend_from_slice(key.as_bytes()),
                _ => percent_encode_into(key.as_bytes(), batch.key_keep_slash, &mut spliced),
            }
            spliced.extend_from_slice(&batch.suffix);
            let owned_params = match version {
                Version::V1 => pl(&[("security-token", "tok+en".into())]),
                Version::V2 => pl(&[
                    ("security-token", "tok+en".into()),
                    ("x-oss-signature-version", "OSS2".into()),
                    ("x-oss-expires", exp.clone()),
                    ("x-oss-access-key-id", "LTAI5tId".into()),
                    ("x-oss-additional-headers", "range;date".into()),
                ]),
                _ => pl(&[
                    ("x-oss-security-token", "tok+en".into()),
                    ("x-oss-date", "20231114T221320Z".into()),
                    ("x-oss-expires", "60".into()),
                    ("x-oss-signature-version", "OSS4-HMAC-SHA256".into()),
                    (
                        "x-oss-credential",
                        "LTAI5tId/20231114/cn-hangzhou/oss/aliyun_v4_request".into(),
                    ),
                    ("x-oss-additional-headers", "date;range".into()),
                ]),
            };
            let mut req = SignableRequest::new("PUT", "examplebucket", &key);
            for (n, v) in &headers {
                if *n == "date" && version != Version::V4 {
                    continue;
                }
                req = req.header(n, v);
            }
            if version != Version::V4 {
                req = req.header("date", &exp);
            }
            for (k, v) in &owned_params {
                req = req.param(k, v.as_deref());
            }
            let want: Vec<u8> = match version {
                Version::V1 => v1::StringToSign::new(&req).as_bytes().to_vec(),
                Version::V2 => v2::StringToSign::new(&req, &["range", "date"])
                    .as_bytes()
                    .to_vec(),
                _ => {
                    let order = additional_in_header_order(&["range", "date"]).unwrap();
                    CanonicalRequest::new(&req, Some(&order))
                        .as_bytes()
                        .to_vec()
                }
            };
            assert_eq!(
                String::from_utf8_lossy(&spliced),
                String::from_utf8_lossy(&want),
                "{version:?} {key:?}"
            );
        }
    }
}

#[test]
fn threads_and_chunks_keep_order() {
    let target = hangzhou(Version::V4);
    let owned: Vec<String> = (0..(3 * CHUNK_KEYS + 17))
        .map(|i| format!("k/{i}"))
        .collect();
    let keys: Vec<&str> = owned.iter().map(String::as_str).collect();
    let one = presign_urls(&target, &sts_creds(), NOW, &put_opts(), &keys, 1).unwrap();
    let three = presign_urls(&target, &sts_creds(), NOW, &put_opts(), &keys, 3).unwrap();
    assert_eq!(one.len(), keys.len());
    assert_eq!(one, three);
    for (i, key) in [0, CHUNK_KEYS, keys.len() - 1].map(|i| (i, keys[i])) {
        assert_eq!(
            one[i],
            presign_url(&target, &sts_creds(), NOW, &put_opts(), key).unwrap()
        );
    }
    assert!(
        presign_urls(&target, &sts_creds(), NOW, &put_opts(), &[], 2)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_chunk_queue_hands_every_chunk_out_once_across_threads() {
    let target = hangzhou(Version::V4);
    let owned: Vec<String> = (0..(4 * CHUNK_KEYS + 5))
        .map(|i| format!("q/{i}"))
        .collect();
    let keys: Vec<&str> = owned.iter().map(String::as_str).collect();
    let batch = Batch::new(
        &target,
        &sts_creds(),
        NOW,
        &put_opts(),
        &SigningKeyCache::new(),
    )
    .unwrap();
    let queue = ChunkQueue::new(&batch, &keys);
    assert_eq!(queue.threads(8), 8);
    assert_eq!(queue.threads(100), keys.len().div_ceil(MIN_KEYS_PER_THREAD));
    assert_eq!(ChunkQueue::new(&batch, &keys[..10]).threads(8), 1);
    let got = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let (mut scratch, mut chunk) = (Vec::new(), UrlChunk::default());
                while let Some(first) = queue.sign_next(&mut scratch, &mut chunk) {
                    got.lock().unwrap().push((first, chunk.clone()));
                }
            });
        }
    });
    let mut got = got.into_inner().unwrap();
    got.sort_by_key(|(first, _)| *first);
    let urls: Vec<String> = got
        .iter()
        .flat_map(|(_, c)| c.iter().map(str::to_owned))
        .collect();
    assert_eq!(
        got.iter().map(|(first, _)| *first).collect::<Vec<_>>(),
        (0..5).map(|n| n * CHUNK_KEYS).collect::<Vec<_>>()
    );
    assert_eq!(
        urls,
        presign_urls(&target, &sts_creds(), NOW, &put_opts(), &keys, 1).unwrap()
    );
    assert_eq!(
        queue.sign_next(&mut Vec::new(), &mut UrlChunk::default()),
        None
    );
}

#[test]
fn key_checks_are_oss2s() {
    assert_eq!(check_key("", false), Err(PresignError::InvalidKey));
    assert_eq!(
        check_key(" \u{1c}\u{3000}\t", false),
        Err(PresignError::InvalidKey)
    );
    assert_eq!(check_key("\u{200b}", false), Ok(()));
    assert_eq!(check_key("\u{180e}", false), Ok(()));
    assert_eq!(
        check_key("?a", true),
        Err(PresignError::KeyStartsWithQuestionMark)
    );
    assert_eq!(check_key("?a", false), Ok(()));
    // bytes.strip() strips ASCII whitespace only.
    assert_eq!(
        check_key_bytes(b" \t", false),
        Err(PresignError::InvalidKey)
    );
    assert_eq!(check_key_bytes(b"\x1c", false), Ok("\u{1c}"));
    assert_eq!(
        check_key_bytes(b"\xff", false),
        Err(PresignError::KeyNotUtf8)
    );
    assert_eq!(
        check_key_bytes(b"?x", true),
        Err(PresignError::KeyStartsWithQuestionMark)
    );
    // Only V1 checks for `?`.
    assert!(!hangzhou(Version::V4).verify_object_strict);
    assert!(hangzhou(Version::V1).verify_object_strict);
}

#[test]
fn signer_params_and_empty_additional_are_refused() {
    let params = [("x-oss-date", Some("x"))];
    let opts = Options {
        method: "GET",
        params: &params,
        ..Options::default()
    };
    let err = Batch::new(
        &hangzhou(Version::V4),
        &sts_creds(),
        NOW,
        &opts,
        &SigningKeyCache::new(),
    )
    .unwrap_err();
    assert_eq!(err, PresignError::ReservedParam("x-oss-date".into()));
    let headers = [("", "v")];
    let wanted = [""];
    let opts = Options {
        method: "GET",
        headers: &headers,
        additional_headers: Some(&wanted),
        ..Options::default()
    };
    let err = Batch::new(
        &hangzhou(Version::V4),
        &sts_creds(),
        NOW,
        &opts,
        &SigningKeyCache::new(),
    )
    .unwrap_err();
    assert_eq!(err, PresignError::EmptyAdditionalHeader);
}

#[test]
fn empty_access_key_id_is_a_bare_name_in_v1_urls() {
    let creds = Credentials {
        access_key_id: "",
        access_key_secret: b"s",
        security_token: None,
    };
    let opts = Options {
        method: "GET",
        expires: 1,
        ..Options::default()
    };
    let url = presign_url(&hangzhou(Version::V1), &creds, NOW, &opts, "k").unwrap();
    assert!(
        url.contains("?OSSAccessKeyId&Expires=1700000001&Signature="),
        "{url}"
    );
}
