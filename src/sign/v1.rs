//! Signature version 1: HMAC-SHA1 over a string to sign, base64, `OSS id:signature`.
//!
//! Quirks kept from oss2 2.19.1: only the sub-resources in [`SUBRESOURCES`] enter the resource;
//! their values are not encoded; `x-oss-date` wins over `date` when non-empty.

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::encode::base64;
use super::request::{fmt_bytes, push_query_item, SignableRequest};

/// Query parameters that V1 signs, exactly oss2 2.19.1's `_subresource_key_set`.
pub const SUBRESOURCES: &[&str] = &[
    "response-content-type", "response-content-language", "response-cache-control", "logging",
    "response-content-encoding", "acl", "uploadId", "uploads", "partNumber", "group", "link",
    "delete", "website", "location", "objectInfo", "objectMeta", "response-expires",
    "response-content-disposition", "cors", "lifecycle", "restore", "qos", "referer", "stat",
    "bucketInfo", "append", "position", "security-token", "live", "comp", "status", "vod",
    "startTime", "endTime", "x-oss-process", "symlink", "callback", "callback-var", "tagging",
    "encryption", "versions", "versioning", "versionId", "policy", "requestPayment",
    "x-oss-traffic-limit", "qosInfo", "asyncFetch", "x-oss-request-payer", "sequential",
    "inventory", "inventoryId", "continuation-token", "worm", "wormId", "wormExtend",
    "replication", "replicationLocation", "replicationProgress", "transferAcceleration",
    "cname", "metaQuery", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id",
    "x-oss-ac-forward-allow", "resourceGroup", "style", "styleName", "x-oss-async-process",
    "regionList", "x-oss-write-get-object-response", "bucketArchiveDirectRead", "httpsConfig",
    "redundancyTransition", "x-oss-target-redundancy-type", "x-oss-redundancy-transition-taskid",
    "accessPoint", "accessPointPolicy", "publicAccessBlock", "x-oss-access-point-name",
    "requesterQosInfo", "qosRequester", "resourcePoolInfo", "resourcePool", "resourcePoolBuckets",
];

/// Whether V1 signs query parameter `key`.
pub fn is_subresource(key: &str) -> bool {
    SUBRESOURCES.contains(&key)
}

/// The V1 canonicalized resource: `/bucket/key?sub&res=v` or `/?sub` without a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalResource(Vec<u8>);

impl CanonicalResource {
    pub fn new(req: &SignableRequest<'_>) -> Self {
        let mut out = Vec::with_capacity(req.bucket.len() + req.key.len() + 16);
        out.push(b'/');
        if !req.bucket.is_empty() {
            out.extend_from_slice(req.bucket.as_bytes());
            out.push(b'/');
            out.extend_from_slice(req.key.as_bytes());
        }
        let mut subs: Vec<(&str, &[u8])> = req
            .params
            .iter()
            .filter(|p| is_subresource(p.key))
            .map(|p| (p.key, p.value.unwrap_or_default()))
            .collect();
        subs.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in subs.iter().enumerate() {
            out.push(if i == 0 { b'?' } else { b'&' });
            push_query_item(&mut out, k.as_bytes(), v);
        }
        CanonicalResource(out)
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
        for part in [req.method.as_bytes(), get("content-md5"), get("content-type"), date] {
            out.extend_from_slice(part);
            out.push(b'\n');
        }
        for (name, value) in req.sorted_headers(|n| n.starts_with("x-oss-")) {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(value);
            out.push(b'\n');
        }
        out.extend_from_slice(CanonicalResource::new(req).as_bytes());
        StringToSign(out)
    }

    /// The RTMP push-URL string to sign: `expires\n` + sorted `k:v\n` lines + `/bucket/channel`.
    /// `params` excludes OSSAccessKeyId, Signature, Expires and SecurityToken, as oss2 does.
    pub fn rtmp(expires: &str, params: &[(String, String)], bucket: &str, channel: &str) -> Self {
        let mut sorted: Vec<&(String, String)> = params.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = format!("{expires}\n");
        for (k, v) in sorted {
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
        let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
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
    format!("OSS {access_key_id}:{signature}")
}
