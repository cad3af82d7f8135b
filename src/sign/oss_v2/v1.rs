//! V1 (`OSS {id}:{signature}`) as oss-v2's `SignerV1` computes it: its own sub-resource list
//! (plus the operation's), `x-oss-*` as the only canonical headers, `x-oss-date` before `Date`,
//! and the key unencoded in the canonical resource.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::url::{pairs, QueryDict};
use super::{push_canonical_headers, push_quoted, HeaderPair};
use crate::sign::encode::base64;

/// `SignerV1._subresource_key_set` of alibabacloud-oss-v2 1.4.1.
pub const SUBRESOURCES: [&str; 31] = [
    "acl",
    "bucketInfo",
    "location",
    "stat",
    "delete",
    "append",
    "tagging",
    "objectMeta",
    "uploads",
    "uploadId",
    "partNumber",
    "security-token",
    "position",
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "restore",
    "callback",
    "callback-var",
    "versions",
    "versioning",
    "versionId",
    "sequential",
    "continuation-token",
    "regionList",
    "cloudboxes",
    "symlink",
    "resourceGroup",
];

/// Python's `urllib.parse.unquote`: `%XX` decoded, anything else kept, the bytes read as UTF-8
/// with each invalid sequence replaced by U+FFFD (as `errors='replace'`).
pub fn unquote(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The canonical resource: `/bucket/key` (raw; each part only when given) and the signed
/// sub-resources, decoded and sorted as `(key, value)` pairs. `is_extra` says whether a key
/// outside [`SUBRESOURCES`] is one of the operation's (`key in signing_ctx.sub_resource`).
pub fn canonical_resource<E>(
    bucket: Option<&str>,
    key: Option<&str>,
    query: &str,
    mut is_extra: impl FnMut(&str) -> Result<bool, E>,
) -> Result<String, E> {
    let mut s = String::from("/");
    if let Some(b) = bucket {
        s.push_str(b);
        s.push('/');
    }
    if let Some(k) = key {
        s.push_str(k);
    }
    let mut kept: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    for (k, v) in pairs(query) {
        let k = unquote(k);
        let v = unquote(v);
        if SUBRESOURCES.contains(&&*k) || is_extra(&k)? {
            kept.push((k, v));
        }
    }
    kept.sort_unstable();
    for (i, (k, v)) in kept.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        if !v.is_empty() {
            s.push('=');
            s.push_str(v);
        }
    }
    Ok(s)
}

/// `{method}\n{content-md5}\n{content-type}\n{date}\n{x-oss-* headers}{resource}`.
pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date: &str,
    headers: &[HeaderPair<'_>],
    resource: &str,
) -> String {
    let mut out = Vec::with_capacity(256);
    for part in [method, content_md5, content_type, date] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    push_canonical_headers(headers, |n| n.starts_with("x-oss-"), &mut out);
    out.extend_from_slice(resource.as_bytes());
    String::from_utf8(out).expect("joined from str pieces")
}

/// Base64 of HMAC-SHA1(secret, string to sign).
pub fn signature(secret: &[u8], string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    base64(&mac.finalize().into_bytes())
}

/// `OSS {id}:{signature}`.
pub fn authorization(access_key_id: &str, signature: &str) -> String {
    format!("OSS {access_key_id}:{signature}")
}

/// The query of a V1 presigned URL before its signature, from the URL's raw query. The access
/// key id goes in as it is (oss-v2 does not quote it); the token is quoted.
pub fn presigned_query(
    raw_query: &str,
    access_key_id: &str,
    expires: &str,
    security_token: Option<&str>,
) -> String {
    let mut d = QueryDict::from_query(raw_query);
    d.pop("Signature");
    d.pop("security-token");
    d.set("OSSAccessKeyId", Cow::Borrowed(access_key_id));
    d.set("Expires", Cow::Borrowed(expires));
    if let Some(t) = security_token.filter(|t| !t.is_empty()) {
        let mut q = String::new();
        push_quoted(t, &mut q);
        d.set("security-token", Cow::Owned(q));
    }
    d.to_query()
}

/// `&Signature={quote(signature)}` appended to the URL.
pub fn push_signature_param(url: &mut String, signature: &str) {
    url.push_str("&Signature=");
    push_quoted(signature, url);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_like_python() {
        assert_eq!(unquote("a%2Fb%2fc"), "a/b/c");
        assert_eq!(unquote("%zz%"), "%zz%");
        assert_eq!(unquote("%E4%B8%AD"), "中");
        assert_eq!(unquote("%E4%B8"), "\u{fffd}");
        assert_eq!(unquote("%FF%41"), "\u{fffd}A");
        assert_eq!(unquote("%4"), "%4");
    }

    #[test]
    fn resource_keeps_sub_resources_sorted() {
        let r = canonical_resource(
            Some("b"),
            Some("k/1+2"),
            "uploadId=1&acl&x=2&partNumber=3&tagging=",
            |k| Ok::<_, ()>(k == "x"),
        )
        .unwrap();
        assert_eq!(r, "/b/k/1+2?acl&partNumber=3&tagging&uploadId=1&x=2");
        let r = canonical_resource(None, None, "foo=1", |_| Ok::<_, ()>(false)).unwrap();
        assert_eq!(r, "/");
    }

    #[test]
    fn presigned_query_order() {
        assert_eq!(
            presigned_query("Signature=x&a=1&Expires=2", "ak", "100", Some("t+k")),
            "a=1&Expires=100&OSSAccessKeyId=ak&security-token=t%2Bk"
        );
    }
}
