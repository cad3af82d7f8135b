//! Signature version 4 (`OSS4-HMAC-SHA256`), in the stages the OSS documentation names:
//! canonical request -> string to sign -> signing key -> signature. Each stage is a type whose
//! `Display` is exactly the text OSS computes, so a `SignatureDoesNotMatch` response's
//! StringToSign / CanonicalRequest can be compared with it.
//!
//! Quirks kept from oss2 2.19.1: `/` stays literal in the canonical URI but not in the query;
//! `content-type` and `content-md5` are always signed; an additional header is listed even when
//! the request lacks it; the `AdditionalHeaders` list in the Authorization header is ordered by
//! first character only (see [`additional_in_header_order`]).

use std::cell::RefCell;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use super::encode::{percent_encode_into, push_bytes, push_hex_lower};
use super::name_set::NameSet;
use super::request::{fmt_bytes, EncodedParams, SignableRequest};

pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const TERMINATOR: &str = "aliyun_v4_request";

/// Headers V4 always signs besides `x-oss-*`.
pub const DEFAULT_SIGNED_HEADERS: [&str; 2] = ["content-type", "content-md5"];

/// The credential scope: `20231203/cn-hangzhou/oss/aliyun_v4_request`, kept as that one text
/// (one allocation per request) with the ends of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    text: String,
    date_end: usize,
    region_end: usize,
    product_end: usize,
}

impl Scope {
    /// `datetime` is the `x-oss-date` value (`YYYYMMDDTHHMMSSZ`); its first 8 characters are
    /// the date. `region` is the cloudbox id when there is one, else the region (may be empty).
    pub fn new(datetime: &str, region: &str, product: &str) -> Self {
        let date = datetime.get(..8).unwrap_or(datetime);
        let mut text =
            String::with_capacity(date.len() + region.len() + product.len() + TERMINATOR.len() + 3);
        text.push_str(date);
        let date_end = text.len();
        text.push('/');
        text.push_str(region);
        let region_end = text.len();
        text.push('/');
        text.push_str(product);
        let product_end = text.len();
        text.push('/');
        text.push_str(TERMINATOR);
        Scope {
            text,
            date_end,
            region_end,
            product_end,
        }
    }

    /// `YYYYMMDD`.
    pub fn date(&self) -> &str {
        &self.text[..self.date_end]
    }

    pub fn region(&self) -> &str {
        &self.text[self.date_end + 1..self.region_end]
    }

    pub fn product(&self) -> &str {
        &self.text[self.region_end + 1..self.product_end]
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Appends the scope text (what `Display` shows).
    pub fn push_to(&self, out: &mut String) {
        out.push_str(&self.text);
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The additional headers V4 signs: lower-cased, without `x-oss-*` and the default signed
/// headers, stably sorted by their first character only (oss2's `sort(key=lambda x: x[0])`),
/// so names sharing a first character keep the caller's order. An empty name has no first
/// character: oss2 raises `IndexError`, and so does this (as `Err`).
pub fn additional_in_header_order<S: AsRef<str>>(
    names: &[S],
) -> Result<Vec<String>, EmptyHeaderName> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        let n = n.as_ref();
        if !(n.starts_with("x-oss-") || DEFAULT_SIGNED_HEADERS.contains(&n)) {
            out.push(n.to_owned());
        }
    }
    if out.iter().any(String::is_empty) {
        return Err(EmptyHeaderName);
    }
    out.sort_by_key(|n| n.chars().next());
    Ok(out)
}

/// An empty additional header name (oss2 fails on it with `IndexError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("string index out of range")]
pub struct EmptyHeaderName;

/// The V4 canonical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest(Vec<u8>);

/// Writes the canonical request of `req`, whose parameters `query` holds encoded, into `out`.
fn write_canonical_request(
    req: &SignableRequest<'_>,
    query: &EncodedParams,
    additional: &[String],
    out: &mut Vec<u8>,
) {
    push_bytes(out, req.method.as_bytes());
    out.extend_from_slice(b"\n/");
    if !req.bucket.is_empty() {
        percent_encode_into(req.bucket.as_bytes(), true, out);
        out.push(b'/');
        percent_encode_into(req.key.as_bytes(), true, out);
    }
    out.push(b'\n');
    query.push_canonical(b"", out);
    out.push(b'\n');

    let additional_set = NameSet::new(additional.iter().map(String::as_str));
    let signed = |n: &str| {
        n.starts_with("x-oss-") || DEFAULT_SIGNED_HEADERS.contains(&n) || additional_set.contains(n)
    };
    for (name, value) in req.sorted_headers(signed) {
        push_bytes(out, name.as_bytes());
        out.push(b':');
        push_bytes(out, value);
        out.push(b'\n');
    }
    out.push(b'\n');

    if !additional.is_empty() {
        let mut sorted: Vec<&str> = additional.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        for (i, name) in sorted.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(name.as_bytes());
        }
    }
    out.push(b'\n');

    let payload = req
        .header_value("x-oss-content-sha256")
        .unwrap_or(UNSIGNED_PAYLOAD.as_bytes());
    push_bytes(out, payload);
}

/// At least the length of the canonical request `write_canonical_request` writes.
fn canonical_len_bound(
    req: &SignableRequest<'_>,
    query: &EncodedParams,
    additional: &[String],
) -> usize {
    let mut n = req.method.len() + 3 * (req.bucket.len() + req.key.len()) + query.query_len();
    let mut longest = UNSIGNED_PAYLOAD.len();
    for h in &req.headers {
        n += h.name.len() + h.value.len() + 2;
        longest = longest.max(h.value.len());
    }
    n + additional.iter().map(|a| a.len() + 1).sum::<usize>() + longest + 64
}

/// Zeroes and empties a reused buffer when dropped, even on a panic.
struct ZeroedAfter<'a>(&'a mut Vec<u8>);

impl Drop for ZeroedAfter<'_> {
    fn drop(&mut self) {
        self.0.fill(0);
        self.0.clear();
    }
}

impl CanonicalRequest {
    /// `additional`: the names from [`additional_in_header_order`], or `None` when the caller
    /// passed none.
    pub fn new(req: &SignableRequest<'_>, additional: Option<&[String]>) -> Self {
        Self::with_query(req, &EncodedParams::new(&req.params), additional)
    }

    /// As [`CanonicalRequest::new`], with the parameters given encoded in `query` (a
    /// presigned URL reuses them); `req.params` is not read.
    pub fn with_query(
        req: &SignableRequest<'_>,
        query: &EncodedParams,
        additional: Option<&[String]>,
    ) -> Self {
        let mut out = Vec::with_capacity(1024);
        write_canonical_request(req, query, additional.unwrap_or_default(), &mut out);
        CanonicalRequest(out)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(&self.0, f)
    }
}

/// `OSS4-HMAC-SHA256\n{datetime}\n{scope}\n{hex(sha256(canonical request))}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// A string to sign given as text (for tests, and for checking a text OSS returned).
    pub fn from_text(text: String) -> Self {
        StringToSign(text)
    }

    pub fn new(datetime: &str, scope: &Scope, canonical: &CanonicalRequest) -> Self {
        Self::from_hash(datetime, scope, Sha256::digest(canonical.as_bytes()).into())
    }

    /// The string to sign of `req` straight from the request (the path when nobody will look
    /// at the canonical request). It is built in one buffer and hashed at once: many small
    /// hasher updates cost more than the copy.
    pub fn for_request(
        req: &SignableRequest<'_>,
        query: &EncodedParams,
        additional: Option<&[String]>,
        datetime: &str,
        scope: &Scope,
    ) -> Self {
        thread_local! {
            // Reused per thread: the canonical request is only hashed here.
            static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let additional = additional.unwrap_or_default();
        let hash = BUF.with(|buf| {
            // Signing never re-enters itself, so the buffer is free; were it not, a fresh one
            // does the same work.
            let mut fresh = Vec::new();
            let mut borrowed = buf.try_borrow_mut();
            let out = match borrowed.as_deref_mut() {
                Ok(b) => b,
                Err(_) => &mut fresh,
            };
            // Room for all of it first: a buffer that grew mid-way would free its old memory
            // holding part of the text (which can include a security token).
            out.clear();
            out.reserve(canonical_len_bound(req, query, additional));
            let out = ZeroedAfter(out);
            write_canonical_request(req, query, additional, out.0);
            Sha256::digest(&out.0[..]).into()
        });
        Self::from_hash(datetime, scope, hash)
    }

    fn from_hash(datetime: &str, scope: &Scope, hash: [u8; 32]) -> Self {
        let mut s =
            String::with_capacity(ALGORITHM.len() + datetime.len() + scope.as_str().len() + 67);
        s.push_str(ALGORITHM);
        s.push('\n');
        s.push_str(datetime);
        s.push('\n');
        scope.push_to(&mut s);
        s.push('\n');
        push_hex_lower(&hash, &mut s);
        StringToSign(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// HMAC-SHA256 chain: `aliyun_v4` + secret -> date -> region -> product -> `aliyun_v4_request`.
/// Zeroed on drop; `Debug` does not show it. Keeps the keyed HMAC state too, so that signing
/// with a cached key skips re-hashing the key pads.
#[derive(Clone)]
pub struct SigningKey {
    key: [u8; 32],
    mac: Hmac<Sha256>,
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for SigningKey {}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl SigningKey {
    pub fn derive(secret: &[u8], scope: &Scope) -> Self {
        let mut k_secret = Vec::with_capacity(9 + secret.len());
        k_secret.extend_from_slice(b"aliyun_v4");
        k_secret.extend_from_slice(secret);
        let mut k = hmac_sha256(&k_secret, scope.date().as_bytes());
        k_secret.zeroize();
        for part in [
            scope.region().as_bytes(),
            scope.product().as_bytes(),
            TERMINATOR.as_bytes(),
        ] {
            let next = hmac_sha256(&k, part);
            k.zeroize();
            k = next;
        }
        let mac = Hmac::<Sha256>::new_from_slice(&k).expect("HMAC takes any key length");
        SigningKey { key: k, mac }
    }

    /// A key derived elsewhere (a documented worked example, or another implementation).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        SigningKey { key, mac }
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign.
    pub fn sign(&self, string_to_sign: &StringToSign) -> String {
        let mut out = String::with_capacity(64);
        self.sign_into(string_to_sign, &mut out);
        out
    }

    /// Appends the signature to `out` (the Authorization header is built around it).
    pub fn sign_into(&self, string_to_sign: &StringToSign, out: &mut String) {
        let mut mac = self.mac.clone();
        mac.update(string_to_sign.as_str().as_bytes());
        push_hex_lower(&mac.finalize().into_bytes(), out);
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// [`SigningKey::sign_into`], starting from the state `first` keeps when the string to sign
    /// begins with the same 64 bytes as last time (then it is updated).
    pub fn sign_reusing(
        &self,
        string_to_sign: &StringToSign,
        first: &mut FirstBlock,
        out: &mut String,
    ) {
        let bytes = string_to_sign.as_str().as_bytes();
        let Some((head, tail)) = bytes.split_first_chunk::<64>() else {
            return self.sign_into(string_to_sign, out);
        };
        if first.head.as_ref().is_none_or(|(h, _)| h != head) {
            let mut mac = self.mac.clone();
            mac.update(head);
            first.head = Some((*head, mac));
        }
        let (_, started) = first.head.as_ref().expect("set just above");
        let mut mac = started.clone();
        mac.update(tail);
        push_hex_lower(&mac.finalize().into_bytes(), out);
    }
}

/// A signing key's HMAC state after the first 64 bytes of a string to sign: the algorithm,
/// the timestamp and the start of the scope, the same for every request signed in one second.
/// Keeping it saves one of the four SHA-256 blocks of each signature. Only ever used with the
/// key that made it.
#[derive(Clone, Default)]
pub struct FirstBlock {
    head: Option<([u8; 64], Hmac<Sha256>)>,
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        // The key itself is zeroed. The keyed HMAC states (here and in `FirstBlock`) can sign
        // as the key does and are as sensitive; they are never shown, and live only as long
        // as their cache entry.
        self.key.zeroize();
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(**redacted**)")
    }
}

/// The `Authorization` header; `additional` in header order (see [`additional_in_header_order`]).
pub fn authorization(
    access_key_id: &str,
    scope: &Scope,
    signature: &str,
    additional: Option<&[String]>,
) -> String {
    let mut s = authorization_head(access_key_id, scope);
    s.push_str(signature);
    push_authorization_tail(&mut s, additional);
    s
}

/// The `Authorization` header up to its signature, which the caller appends (then
/// [`push_authorization_tail`]); room is reserved for both.
pub fn authorization_head(access_key_id: &str, scope: &Scope) -> String {
    let mut s = String::with_capacity(
        ALGORITHM.len() + access_key_id.len() + scope.as_str().len() + 64 + 64,
    );
    s.push_str(ALGORITHM);
    s.push_str(" Credential=");
    s.push_str(access_key_id);
    s.push('/');
    scope.push_to(&mut s);
    s.push_str(", Signature=");
    s
}

/// What follows the signature in the `Authorization` header.
pub fn push_authorization_tail(s: &mut String, additional: Option<&[String]>) {
    if let Some(extra) = additional.filter(|a| !a.is_empty()) {
        s.push_str(", AdditionalHeaders=");
        s.push_str(&extra.join(";"));
    }
}
