//! Signature version 2: HMAC-SHA256, base64, every query parameter signed, the whole resource
//! percent-encoded (slashes too).
//!
//! The caller passes the additional headers already chosen (oss2 keeps only those present in
//! the request); their order in the `Authorization` header is the caller's, because oss2 joins a
//! Python set there, while the string to sign uses them sorted.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::encode::{base64, percent_encode_into};
use super::name_set::NameSet;
use super::request::{fmt_bytes, push_canonical_query, SignableRequest};

/// The V2 string to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(Vec<u8>);

impl StringToSign {
    /// `additional` are lower-case names; they are sorted here.
    pub fn new(req: &SignableRequest<'_>, additional: &[&str]) -> Self {
        let get = |name| req.header_value(name).unwrap_or_default();
        let mut out = Vec::with_capacity(256);
        for part in [
            req.method.as_bytes(),
            get("content-md5"),
            get("content-type"),
            get("date"),
        ] {
            out.extend_from_slice(part);
            out.push(b'\n');
        }
        let additional_set = NameSet::new(additional.iter().copied());
        let signed = |n: &str| n.starts_with("x-oss-") || additional_set.contains(n);
        for (name, value) in req.sorted_headers(signed) {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(value);
            out.push(b'\n');
        }
        let mut sorted = additional.to_vec();
        sorted.sort_unstable();
        out.extend_from_slice(sorted.join(";").as_bytes());
        out.push(b'\n');
        canonical_resource_into(req, &mut out);
        StringToSign(out)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// base64(HMAC-SHA256(secret, string to sign)).
    pub fn sign(&self, secret: &[u8]) -> String {
        self.sign_with(Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length"))
    }

    /// As [`Self::sign`], with a MAC already keyed with the secret (see [`super::KeyedMac`]).
    pub fn sign_with(&self, mut mac: Hmac<Sha256>) -> String {
        mac.update(&self.0);
        base64(&mac.finalize().into_bytes())
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(&self.0, f)
    }
}

/// `enc("/bucket/key")` (or `enc("/")`) then `?` and every parameter, encoded and sorted.
fn canonical_resource_into(req: &SignableRequest<'_>, out: &mut Vec<u8>) {
    if req.bucket.is_empty() {
        percent_encode_into(b"/", false, out);
    } else {
        let path = format!("/{}/{}", req.bucket, req.key);
        percent_encode_into(path.as_bytes(), false, out);
    }
    push_canonical_query(&req.params, b"?", out);
}

/// The `Authorization` header; `additional` in the order the caller chose.
pub fn authorization(access_key_id: &str, additional: &[&str], signature: &str) -> String {
    if additional.is_empty() {
        format!("OSS2 AccessKeyId:{access_key_id},Signature:{signature}")
    } else {
        format!(
            "OSS2 AccessKeyId:{access_key_id},AdditionalHeaders:{},Signature:{signature}",
            additional.join(";")
        )
    }
}
