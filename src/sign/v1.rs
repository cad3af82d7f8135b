//! Signature version 1: HMAC-SHA1 over a string to sign, base64, `OSS id:signature`.
//!
//! Quirks kept from oss2 2.19.1: only the sub-resources in [`SUBRESOURCES`] enter the resource;
//! their values are not encoded; `x-oss-date` wins over `date` when non-empty.

use std::fmt;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use smallvec::SmallVec;

use super::encode::base64;
use super::request::{fmt_bytes, push_query_item, SignableRequest};

/// Query parameters that V1 signs: oss2 2.19.1's `_subresource_key_set`, sorted by byte
/// value so that lookups are a binary search (V1 checks every parameter of every request).
pub const SUBRESOURCES: &[&str] = &[
    "accessPoint",
    "accessPointPolicy",
    "acl",
    "append",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "bucketInfo",
    "callback",
    "callback-var",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "qosRequester",
    "redundancyTransition",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "requesterQosInfo",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
    "x-oss-ac-forward-allow",
    "x-oss-ac-source-ip",
    "x-oss-ac-subnet-mask",
    "x-oss-ac-vpc-id",
    "x-oss-access-point-name",
    "x-oss-async-process",
    "x-oss-process",
    "x-oss-redundancy-transition-taskid",
    "x-oss-request-payer",
    "x-oss-target-redundancy-type",
    "x-oss-traffic-limit",
    "x-oss-write-get-object-response",
];

/// Whether V1 signs query parameter `key` (UTF-8). Every parameter of every request asks,
/// so names are grouped by length and compared by first byte before the rest.
pub fn is_subresource(key: &[u8]) -> bool {
    static BY_LEN: OnceLock<Vec<Vec<&'static [u8]>>> = OnceLock::new();
    let table = BY_LEN.get_or_init(|| {
        let longest = SUBRESOURCES.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut t = vec![Vec::new(); longest + 1];
        for s in SUBRESOURCES {
            t[s.len()].push(s.as_bytes());
        }
        t
    });
    match (table.get(key.len()), key.first()) {
        (Some(group), Some(first)) => group.iter().any(|s| s[0] == *first && *s == key),
        _ => false,
    }
}

/// The V1 canonicalized resource: `/bucket/key?sub&res=v` or `/?sub` without a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalResource(Vec<u8>);

impl CanonicalResource {
    pub fn new(req: &SignableRequest<'_>) -> Self {
        let mut out = Vec::with_capacity(req.bucket.len() + req.key.len() + 16);
        Self::push_to(req, &mut out);
        CanonicalResource(out)
    }

    fn push_to(req: &SignableRequest<'_>, out: &mut Vec<u8>) {
        out.push(b'/');
        if !req.bucket.is_empty() {
            out.extend_from_slice(req.bucket.as_bytes());
            out.push(b'/');
            out.extend_from_slice(req.key.as_bytes());
        }
        let mut subs: SmallVec<[(&[u8], &[u8]); 8]> = req
            .params
            .iter()
            .filter(|p| is_subresource(p.key))
            .map(|p| (p.key, p.value.unwrap_or_default()))
            .collect();
        subs.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in subs.iter().enumerate() {
            out.push(if i == 0 { b'?' } else { b'&' });
            push_query_item(out, k, v);
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The V1 string to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(Vec<u8>);

impl StringToSign {
    pub fn new(req: &SignableRequest<'_>) -> Self {
        let get = |name| req.header_value(name).unwrap_or_default();
        let date = match get("x-oss-date") {
            b"" => get("date"),
            d => d,
        };
        let mut out = Vec::with_capacity(256);
        for part in [
            req.method.as_bytes(),
            get("content-md5"),
            get("content-type"),
            date,
        ] {
            out.extend_from_slice(part);
            out.push(b'\n');
        }
        for (name, value) in req.sorted_headers(|n| n.starts_with("x-oss-")) {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(value);
            out.push(b'\n');
        }
        CanonicalResource::push_to(req, &mut out);
        StringToSign(out)
    }

    /// The RTMP push-URL string to sign: `expires\n` + sorted `k:v\n` lines + `/bucket/channel`.
    /// `params` excludes OSSAccessKeyId, Signature, Expires and SecurityToken, as oss2 does.
    pub fn rtmp(expires: &str, params: &[(String, String)], bucket: &str, channel: &str) -> Self {
        let mut sorted: Vec<(String, String)> = params.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        Self::rtmp_in_order(expires, &sorted, bucket, channel)
    }

    /// As [`Self::rtmp`], with `params` already in signing order (the Python binding sorts
    /// the original keys, which need not be str).
    pub fn rtmp_in_order(
        expires: &str,
        params: &[(String, String)],
        bucket: &str,
        channel: &str,
    ) -> Self {
        let mut out = format!("{expires}\n");
        for (k, v) in params {
            out.push_str(&format!("{k}:{v}\n"));
        }
        out.push_str(&format!("/{bucket}/{channel}"));
        StringToSign(out.into_bytes())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// base64(HMAC-SHA1(secret, string to sign)).
    pub fn sign(&self, secret: &[u8]) -> String {
        self.sign_with(Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length"))
    }

    /// As [`Self::sign`], with a MAC already keyed with the secret (see [`super::KeyedMac`]).
    pub fn sign_with(&self, mut mac: Hmac<Sha1>) -> String {
        mac.update(&self.0);
        base64(&mac.finalize().into_bytes())
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(&self.0, f)
    }
}

impl fmt::Display for CanonicalResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(&self.0, f)
    }
}

/// The `Authorization` header value.
pub fn authorization(access_key_id: &str, signature: &str) -> String {
    let mut s = String::with_capacity(5 + access_key_id.len() + signature.len());
    s.push_str("OSS ");
    s.push_str(access_key_id);
    s.push(':');
    s.push_str(signature);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subresources_sorted_for_binary_search() {
        assert!(SUBRESOURCES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            is_subresource(b"acl")
                && is_subresource(b"x-oss-process")
                && is_subresource(b"uploadId")
        );
        assert!(
            !is_subresource(b"uploadid") && !is_subresource(b"max-keys") && !is_subresource(b"")
        );
    }
}
