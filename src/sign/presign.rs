//! Presigned object URLs, as oss2 2.19.1's `Bucket.sign_url` makes them, without Python.
//!
//! A [`Target`] says where the bucket lives and how it signs (built once per presigner); a
//! [`Batch`] is everything one call shares, computed once: credentials, the instant, headers,
//! parameters, the signing key. Each key then costs one pass: the key is spliced between a
//! precomputed prefix and suffix of the string (or canonical request) to sign, hashed, and
//! spliced into the URL. [`presign_chunks`] splits many keys across threads.
//!
//! Byte-for-byte with oss2 for: the URL (`_UrlMaker`, `urlquote(key, safe)`), the query in
//! oss2's order (the caller's parameters, then the signer's), V1 (`Signature`, sub-resources
//! only), V2 (every parameter), V4 (the canonical request with `/` kept), and `AnonymousAuth`.
//! The key checks are `Bucket.sign_url`'s ([`check_key`], [`check_key_bytes`]).

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::encode::{base64, percent_encode_into, push_hex_lower};
use super::request::{EncodedParams, Header, Param, SignableRequest};
use super::time_format::UtcDateTime;
use super::v1;
use super::v4::{self, Scope};
use super::SigningKeyCache;

/// How the auth signs (oss2's auth classes: `Auth`, `AuthV2`, `AuthV4`, `AnonymousAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
    V4,
    /// No signature: the URL with the caller's parameters (oss2's `AnonymousAuth`).
    Anonymous,
}

/// How the URL names the bucket (oss2's `_determine_endpoint_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlStyle {
    /// `scheme://bucket.netloc/key`.
    VirtualHosted,
    /// `scheme://netloc/bucket/key` (IP or localhost endpoints, path-style buckets).
    Path,
    /// `scheme://netloc/key` (a custom domain bound to the bucket).
    Cname,
}

/// Where a bucket lives and how its URLs are signed; built once, used for every call.
#[derive(Debug, Clone)]
pub struct Target {
    pub version: Version,
    /// Everything before the quoted key, e.g. `https://bucket.oss-cn-hangzhou.aliyuncs.com/`.
    pub url_head: String,
    pub bucket: String,
    /// V4's scope region: the cloudbox id when there is one, else the region, else empty.
    pub scope_region: String,
    /// `oss`, or `oss-cloudbox` with a cloudbox id.
    pub product: String,
    /// Refuse keys starting with `?` (oss2 does so only for V1 auths).
    pub verify_object_strict: bool,
}

impl Target {
    /// `scheme` and `netloc` as oss2's normalized endpoint splits them; `bucket` a valid name.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        version: Version,
        scheme: &str,
        netloc: &str,
        style: UrlStyle,
        bucket: &str,
        region: Option<&str>,
        cloudbox_id: Option<&str>,
        verify_object_strict: bool,
    ) -> Self {
        let url_head = match style {
            UrlStyle::VirtualHosted => format!("{scheme}://{bucket}.{netloc}/"),
            UrlStyle::Path => format!("{scheme}://{netloc}/{bucket}/"),
            UrlStyle::Cname => format!("{scheme}://{netloc}/"),
        };
        let scope_region = cloudbox_id
            .filter(|c| !c.is_empty())
            .or(region)
            .unwrap_or_default()
            .to_owned();
        Target {
            version,
            url_head,
            bucket: bucket.to_owned(),
            scope_region,
            product: if cloudbox_id.is_some() {
                "oss-cloudbox"
            } else {
                "oss"
            }
            .to_owned(),
            // oss2's Bucket turns the check off for any auth whose version is not 'v1'.
            verify_object_strict: verify_object_strict && version == Version::V1,
        }
    }
}

/// The credentials one batch signs with (read once).
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a [u8],
    /// Empty counts as none, as in oss2 (`if credentials.get_security_token():`).
    pub security_token: Option<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What every URL of one call shares (`Bucket.sign_url`'s arguments but the key).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub method: &'a str,
    /// Seconds from now (V1, V2: added to the current second; V4: `x-oss-expires`).
    pub expires: i64,
    /// Lower-case names, unique, in the caller's order.
    pub headers: &'a [(&'a str, &'a str)],
    /// In the caller's order, none of the names the signer writes ([`SIGNER_PARAMS`]);
    /// `None` is a valueless parameter.
    pub params: &'a [(&'a str, Option<&'a str>)],
    /// `additional_headers`, lower-cased; only those present in `headers` are signed. `None`
    /// when not given (then V1 and anonymous URLs accept it too).
    pub additional_headers: Option<&'a [&'a str]>,
    /// Keep `/` in the URL's key unescaped.
    pub slash_safe: bool,
}

/// The query parameters the signers write (a caller's parameter of the same name would be
/// overwritten in place by oss2, which [`Batch::new`] refuses rather than imitates).
pub const SIGNER_PARAMS: [&str; 13] = [
    "OSSAccessKeyId",
    "Expires",
    "Signature",
    "security-token",
    "x-oss-signature-version",
    "x-oss-expires",
    "x-oss-access-key-id",
    "x-oss-additional-headers",
    "x-oss-signature",
    "x-oss-date",
    "x-oss-credential",
    "x-oss-security-token",
    "x-oss-content-sha256",
];

/// Why a URL cannot be presigned. The messages of oss2's cases are oss2's, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresignError {
    /// Empty or only whitespace (oss2: "The key is invalid, please check it.").
    #[error("The key is invalid, please check it.")]
    InvalidKey,
    /// Starts with `?` under V1's strict object check.
    #[error("The key cannot start with `?`, please check it.")]
    KeyStartsWithQuestionMark,
    /// A bytes key that is not UTF-8.
    #[error("the key is bytes that are not UTF-8")]
    KeyNotUtf8,
    /// A parameter the signer writes itself.
    #[error("parameter {0:?} is written by the signer; leave it out of params")]
    ReservedParam(String),
    /// An empty additional header name that is present (oss2 fails on it with IndexError).
    #[error("string index out of range")]
    EmptyAdditionalHeader,
    /// `now + expires` overflows.
    #[error("expires is too large: now + expires overflows")]
    ExpiresOutOfRange,
}

/// Python's `str.isspace()` (Rust's `char::is_whitespace` lacks U+001C..U+001F).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() && c != '\u{180e}' || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `Bucket.sign_url`'s checks of a str key: not empty after `strip()`, and (strict) not
/// starting with `?`.
pub fn check_key(key: &str, strict: bool) -> Result<(), PresignError> {
    if key.chars().all(is_py_space) {
        return Err(PresignError::InvalidKey);
    }
    if strict && key.starts_with('?') {
        return Err(PresignError::KeyStartsWithQuestionMark);
    }
    Ok(())
}

/// The same checks for a bytes key: `bytes.strip()` strips ASCII whitespace only, then the key
/// is decoded as UTF-8.
pub fn check_key_bytes(key: &[u8], strict: bool) -> Result<&str, PresignError> {
    if key.iter().all(|b| b" \t\n\r\x0b\x0c".contains(b)) {
        return Err(PresignError::InvalidKey);
    }
    let text = std::str::from_utf8(key).map_err(|_| PresignError::KeyNotUtf8)?;
    if strict && text.starts_with('?') {
        return Err(PresignError::KeyStartsWithQuestionMark);
    }
    Ok(text)
}

/// How one version turns a key's string to sign into a signature.
enum Signer {
    V1(Hmac<Sha1>),
    V2(Hmac<Sha256>),
    /// The signing key's HMAC state after the first 64 bytes of the string to sign (the same
    /// for every key of a batch), then the rest of its fixed head.
    V4 {
        after_first_block: Hmac<Sha256>,
        head_rest: Vec<u8>,
    },
    Anonymous,
}

/// Everything the URLs of one call share, computed once.
pub struct Batch {
    signer: Signer,
    strict: bool,
    /// What is signed: `prefix + key + suffix` (V4: the canonical request, hashed).
    prefix: Vec<u8>,
    /// V1: the key as it is; V2: percent-encoded, `/` too; V4: percent-encoded, `/` kept.
    key_keep_slash: bool,
    suffix: Vec<u8>,
    url_head: String,
    slash_safe: bool,
    /// `?`, the query up to the signature's value (`...&x-oss-signature=`).
    url_tail: String,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Batch(**redacted**)")
    }
}

/// The parameters as a signable list (the caller's, then the signer's own).
fn param_list<'a>(
    user: &'a [(&'a str, Option<&'a str>)],
    signer: &'a [(&'a str, String)],
) -> SmallVec<[Param<'a>; 8]> {
    let mut out: SmallVec<[Param<'a>; 8]> = SmallVec::new();
    for (k, v) in user {
        out.push(Param {
            key: k.as_bytes(),
            value: v.map(str::as_bytes),
        });
    }
    for (k, v) in signer {
        out.push(Param {
            key: k.as_bytes(),
            value: Some(v.as_bytes()),
        });
    }
    out
}

/// `k` or `k=v` (v non-empty), quoted, joined by `&`: oss2's `_param_to_quoted_query`.
fn push_query(params: &[Param<'_>], out: &mut String) {
    let encoded = EncodedParams::new(params);
    // SAFETY: an encoded query is ASCII, so `out` stays UTF-8.
    encoded.push_in_order(unsafe { out.as_mut_vec() });
}

/// Appends `name=` (`&` first unless the query is empty).
fn push_name(out: &mut String, name: &str) {
    if !out.ends_with('?') {
        out.push('&');
    }
    out.push_str(name);
    out.push('=');
}

fn push_sorted_headers(req: &SignableRequest<'_>, keep: impl Fn(&str) -> bool, out: &mut Vec<u8>) {
    for (name, value) in req.sorted_headers(keep) {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
}

impl Batch {
    /// The batch for `opts` signed with `creds` at `now_secs` (seconds since the epoch).
    /// `keys` caches V4 signing keys across calls.
    pub fn new(
        target: &Target,
        creds: &Credentials<'_>,
        now_secs: i64,
        opts: &Options<'_>,
        keys: &SigningKeyCache,
    ) -> Result<Batch, PresignError> {
        if let Some((name, _)) = opts.params.iter().find(|(k, _)| SIGNER_PARAMS.contains(k)) {
            return Err(PresignError::ReservedParam((*name).to_owned()));
        }
        let token = creds.security_token.filter(|t| !t.is_empty());
        let expiration = now_secs
            .checked_add(opts.expires)
            .ok_or(PresignError::ExpiresOutOfRange)?
            .to_string();
        let mut headers: SmallVec<[Header<'_>; 8]> = opts
            .headers
            .iter()
            // V1 and V2 sign the expiration in the Date slot (oss2 overwrites the header).
            .filter(|(n, _)| *n != "date" || target.version == Version::V4)
            .map(|(n, v)| Header {
                name: n,
                value: v.as_bytes(),
            })
            .collect();
        // Only the additional headers the request has count (oss2's set intersection).
        let present: Vec<&str> = match opts.additional_headers {
            Some(wanted) => {
                let mut p: Vec<&str> = Vec::new();
                for (n, _) in opts.headers {
                    if wanted.contains(n) && !p.contains(n) {
                        p.push(n);
                    }
                }
                p
            }
            None => Vec::new(),
        };
        let method = opts.method.as_bytes();
        let mut url_tail = String::from("?");
        let mut prefix = Vec::with_capacity(256);
        let mut suffix = Vec::with_capacity(256);
        let signer;
        let key_keep_slash;
        match target.version {
            Version::Anonymous => {
                push_query(&param_list(opts.params, &[]), &mut url_tail);
                signer = Signer::Anonymous;
                key_keep_slash = true;
            }
            Version::V1 => {
                headers.push(Header {
                    name: "date",
                    value: expiration.as_bytes(),
                });
                let mut signer_params = Vec::new();
                if let Some(t) = token {
                    signer_params.push(("security-token", t.to_owned()));
                }
                // Added after signing, so in the URL only.
                let after = [
                    ("OSSAccessKeyId", creds.access_key_id.to_owned()),
                    ("Expires", expiration.clone()),
                ];
                let req = SignableRequest {
                    method: opts.method,
                    bucket: &target.bucket,
                    key: "",
                    headers: headers.iter().cloned().collect(),
                    params: param_list(opts.params, &signer_params),
                };
                let get = |name| req.header_value(name).unwrap_or_default();
                let date = match get("x-oss-date") {
                    b"" => get("date"),
                    d => d,
                };
                for part in [method, get("content-md5"), get("content-type"), date] {
                    prefix.extend_from_slice(part);
                    prefix.push(b'\n');
                }
                push_sorted_headers(&req, |n| n.starts_with("x-oss-"), &mut prefix);
                prefix.push(b'/');
                prefix.extend_from_slice(target.bucket.as_bytes());
                prefix.push(b'/');
                // The sub-resources: the canonical resource of the same request without a
                // bucket is `/` and then exactly them.
                let resource = v1::CanonicalResource::new(&SignableRequest {
                    bucket: "",
                    ..req.clone()
                });
                suffix.extend_from_slice(&resource.as_bytes()[1..]);
                let mut in_url = req.params.clone();
                in_url.extend(param_list(&[], &after));
                push_query(&in_url, &mut url_tail);
                push_name(&mut url_tail, "Signature");
                signer = Signer::V1(
                    Hmac::<Sha1>::new_from_slice(creds.access_key_secret)
                        .expect("HMAC takes any key length"),
                );
                key_keep_slash = true;
            }
            Version::V2 => {
                headers.push(Header {
                    name: "date",
                    value: expiration.as_bytes(),
                });
                let mut signer_params = Vec::new();
                if let Some(t) = token {
                    signer_params.push(("security-token", t.to_owned()));
                }
                signer_params.push(("x-oss-signature-version", "OSS2".to_owned()));
                signer_params.push(("x-oss-expires", expiration.clone()));
                signer_params.push(("x-oss-access-key-id", creds.access_key_id.to_owned()));
                if !present.is_empty() {
                    // oss2 joins a set here; the caller keeps to one name when that matters.
                    signer_params.push(("x-oss-additional-headers", present.join(";")));
                }
                let req = SignableRequest {
                    method: opts.method,
                    bucket: &target.bucket,
                    key: "",
                    headers: headers.iter().cloned().collect(),
                    params: param_list(opts.params, &signer_params),
                };
                let get = |name| req.header_value(name).unwrap_or_default();
                for part in [method, get("content-md5"), get("content-type"), get("date")] {
                    prefix.extend_from_slice(part);
                    prefix.push(b'\n');
                }
                let signed = |n: &str| n.starts_with("x-oss-") || present.contains(&n);
                push_sorted_headers(&req, signed, &mut prefix);
                let mut sorted = present.clone();
                sorted.sort_unstable();
                prefix.extend_from_slice(sorted.join(";").as_bytes());
                prefix.push(b'\n');
                percent_encode_into(
                    format!("/{}/", target.bucket).as_bytes(),
                    false,
                    &mut prefix,
                );
                let query = EncodedParams::new(&req.params);
                query.push_canonical(b"?", &mut suffix);
                // SAFETY: an encoded query is ASCII.
                query.push_in_order(unsafe_vec(&mut url_tail));
                push_name(&mut url_tail, "x-oss-signature");
                signer = Signer::V2(
                    Hmac::<Sha256>::new_from_slice(creds.access_key_secret)
                        .expect("HMAC takes any key length"),
                );
                key_keep_slash = false;
            }
            Version::V4 => {
                let mut additional: Vec<&str> = present
                    .iter()
                    .copied()
                    .filter(|n| {
                        !(n.starts_with("x-oss-") || v4::DEFAULT_SIGNED_HEADERS.contains(n))
                    })
                    .collect();
                if additional.iter().any(|n| n.is_empty()) {
                    return Err(PresignError::EmptyAdditionalHeader);
                }
                additional.sort_unstable();
                let datetime = UtcDateTime::from_unix(now_secs).iso8601_basic();
                let scope = Scope::new(&datetime, &target.scope_region, &target.product);
                let mut signer_params = Vec::new();
                if let Some(t) = token {
                    signer_params.push(("x-oss-security-token", t.to_owned()));
                }
                signer_params.push(("x-oss-date", datetime.clone()));
                signer_params.push(("x-oss-expires", opts.expires.to_string()));
                signer_params.push(("x-oss-signature-version", v4::ALGORITHM.to_owned()));
                signer_params.push((
                    "x-oss-credential",
                    format!("{}/{}", creds.access_key_id, scope.as_str()),
                ));
                if !additional.is_empty() {
                    signer_params.push(("x-oss-additional-headers", additional.join(";")));
                }
                let req = SignableRequest {
                    method: opts.method,
                    bucket: &target.bucket,
                    key: "",
                    headers: headers.iter().cloned().collect(),
                    params: param_list(opts.params, &signer_params),
                };
                prefix.extend_from_slice(method);
                prefix.extend_from_slice(b"\n/");
                percent_encode_into(target.bucket.as_bytes(), true, &mut prefix);
                prefix.push(b'/');
                suffix.push(b'\n');
                let query = EncodedParams::new(&req.params);
                query.push_canonical(b"", &mut suffix);
                suffix.push(b'\n');
                let signed = |n: &str| {
                    n.starts_with("x-oss-")
                        || v4::DEFAULT_SIGNED_HEADERS.contains(&n)
                        || additional.contains(&n)
                };
                push_sorted_headers(&req, signed, &mut suffix);
                suffix.push(b'\n');
                suffix.extend_from_slice(additional.join(";").as_bytes());
                suffix.push(b'\n');
                let payload = req
                    .header_value("x-oss-content-sha256")
                    .unwrap_or(v4::UNSIGNED_PAYLOAD.as_bytes());
                suffix.extend_from_slice(payload);
                query.push_in_order(unsafe_vec(&mut url_tail));
                push_name(&mut url_tail, "x-oss-signature");

                let key = keys.get(creds.access_key_secret, &scope);
                let mut head = Vec::with_capacity(128);
                head.extend_from_slice(v4::ALGORITHM.as_bytes());
                head.push(b'\n');
                head.extend_from_slice(datetime.as_bytes());
                head.push(b'\n');
                head.extend_from_slice(scope.as_str().as_bytes());
                head.push(b'\n');
                let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
                    .expect("HMAC takes any key length");
                let split = head.len() / 64 * 64;
                mac.update(&head[..split]);
                signer = Signer::V4 {
                    after_first_block: mac,
                    head_rest: head[split..].to_vec(),
                };
                key_keep_slash = true;
            }
        }
        Ok(Batch {
            signer,
            strict: target.verify_object_strict,
            prefix,
            key_keep_slash,
            suffix,
            url_head: target.url_head.clone(),
            slash_safe: opts.slash_safe,
            url_tail,
        })
    }

    /// Whether keys starting with `?` are refused (see [`check_key`]).
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// Appends the URL for `key` (which passed [`check_key`]) to `out`; `scratch` is reused
    /// between keys.
    pub fn sign_into(&self, key: &str, scratch: &mut Vec<u8>, out: &mut String) {
        out.reserve(self.url_head.len() + 3 * key.len() + self.url_tail.len() + 96);
        out.push_str(&self.url_head);
        percent_encode_into(key.as_bytes(), self.slash_safe, unsafe_vec(out));
        out.push_str(&self.url_tail);
        if matches!(self.signer, Signer::Anonymous) {
            return;
        }
        scratch.clear();
        scratch.extend_from_slice(&self.prefix);
        if matches!(self.signer, Signer::V1(_)) {
            scratch.extend_from_slice(key.as_bytes());
        } else {
            percent_encode_into(key.as_bytes(), self.key_keep_slash, scratch);
        }
        scratch.extend_from_slice(&self.suffix);
        match &self.signer {
            Signer::V1(mac) => {
                let mut mac = mac.clone();
                mac.update(scratch);
                let sig = base64(&mac.finalize().into_bytes());
                percent_encode_into(sig.as_bytes(), false, unsafe_vec(out));
            }
            Signer::V2(mac) => {
                let mut mac = mac.clone();
                mac.update(scratch);
                let sig = base64(&mac.finalize().into_bytes());
                percent_encode_into(sig.as_bytes(), false, unsafe_vec(out));
            }
            Signer::V4 {
                after_first_block,
                head_rest,
            } => {
                let hash = Sha256::digest(&scratch[..]);
                let mut hex = String::with_capacity(64);
                push_hex_lower(&hash, &mut hex);
                let mut mac = after_first_block.clone();
                mac.update(head_rest);
                mac.update(hex.as_bytes());
                push_hex_lower(&mac.finalize().into_bytes(), out);
            }
            Signer::Anonymous => {}
        }
        // The canonical text can hold a security token; don't leave it in a reused buffer.
        scratch.fill(0);
    }

    /// The URL for `key`, checked first.
    pub fn sign(&self, key: &str) -> Result<String, PresignError> {
        check_key(key, self.strict)?;
        let mut out = String::new();
        self.sign_into(key, &mut Vec::new(), &mut out);
        Ok(out)
    }
}

/// `String` as bytes, for appending ASCII (percent-encoded text, hex).
fn unsafe_vec(s: &mut String) -> &mut Vec<u8> {
    // SAFETY: every caller appends only ASCII (percent-encoded text), so `s` stays UTF-8.
    unsafe { s.as_mut_vec() }
}

/// Many URLs in one buffer: `text[ends[i-1]..ends[i]]` is URL i.
#[derive(Debug, Default, Clone)]
pub struct UrlChunk {
    pub text: String,
    pub ends: Vec<usize>,
}

impl UrlChunk {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.text[start..end];
            start = end;
            s
        })
    }
}

/// Keys per chunk: big enough that a chunk's bookkeeping is nothing, small enough that the
/// caller converting chunks one by one never holds much more than its result.
pub const CHUNK_KEYS: usize = 8192;

/// Below this many keys per thread, one thread does it all (spawning costs more).
const MIN_KEYS_PER_THREAD: usize = 4096;

/// Signs `keys` chunk by chunk into one reused buffer, handing each chunk to `sink` with the
/// index of its first key.
fn sign_range(
    batch: &Batch,
    keys: &[&str],
    first: usize,
    sink: &(impl Fn(usize, &UrlChunk) + Sync),
) {
    let mut scratch = Vec::with_capacity(1024);
    let mut chunk = UrlChunk::default();
    for (n, part) in keys.chunks(CHUNK_KEYS).enumerate() {
        sign_chunk(batch, part, &mut scratch, &mut chunk);
        sink(first + n * CHUNK_KEYS, &chunk);
    }
}

/// Signs `part` into `chunk` (emptied first, its buffers reused).
fn sign_chunk(batch: &Batch, part: &[&str], scratch: &mut Vec<u8>, chunk: &mut UrlChunk) {
    chunk.text.clear();
    chunk.ends.clear();
    let room: usize = part
        .iter()
        .map(|k| batch.url_head.len() + batch.url_tail.len() + 3 * k.len() + 88)
        .sum();
    chunk.text.reserve(room);
    for key in part {
        batch.sign_into(key, scratch, &mut chunk.text);
        chunk.ends.push(chunk.text.len());
    }
}

/// The chunks of one batch, handed out in order to whichever thread asks next: a caller that
/// must consume every chunk itself (Python's `sign_urls`, which alone may touch the list it
/// fills) signs between consuming, and helper threads sign the rest.
pub struct ChunkQueue<'a> {
    batch: &'a Batch,
    keys: &'a [&'a str],
    next: std::sync::atomic::AtomicUsize,
}

impl<'a> ChunkQueue<'a> {
    /// `keys` must all have passed [`check_key`].
    pub fn new(batch: &'a Batch, keys: &'a [&'a str]) -> Self {
        ChunkQueue {
            batch,
            keys,
            next: 0.into(),
        }
    }

    /// How many threads are worth using, at most `threads` (small batches use fewer).
    pub fn threads(&self, threads: usize) -> usize {
        threads.clamp(1, self.keys.len().div_ceil(MIN_KEYS_PER_THREAD).max(1))
    }

    /// Signs the next unclaimed chunk into `chunk`; the index of its first key, or `None` once
    /// every chunk has been claimed.
    pub fn sign_next(&self, scratch: &mut Vec<u8>, chunk: &mut UrlChunk) -> Option<usize> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let first = n.checked_mul(CHUNK_KEYS)?;
        if first >= self.keys.len() {
            return None;
        }
        let last = first.saturating_add(CHUNK_KEYS).min(self.keys.len());
        sign_chunk(self.batch, &self.keys[first..last], scratch, chunk);
        Some(first)
    }
}

/// Signs `keys` (all already checked with [`check_key`]) across `threads` threads (at least
/// 1; small batches use fewer), handing the URLs to `sink` in chunks of at most
/// [`CHUNK_KEYS`], each with the index of its first key. `sink` runs on the signing threads,
/// as each chunk is done, so a consumer (such as a Python list being filled) overlaps with
/// the signing of other chunks and only one chunk per thread is ever held.
pub fn presign_with(
    batch: &Batch,
    keys: &[&str],
    threads: usize,
    sink: impl Fn(usize, &UrlChunk) + Sync,
) {
    let threads = threads.clamp(1, keys.len().div_ceil(MIN_KEYS_PER_THREAD).max(1));
    if threads == 1 {
        sign_range(batch, keys, 0, &sink);
        return;
    }
    // Whole chunks per thread, so that every chunk but the last is full.
    let per_thread = keys.len().div_ceil(threads).div_ceil(CHUNK_KEYS) * CHUNK_KEYS;
    let sink = &sink;
    std::thread::scope(|s| {
        for (i, part) in keys.chunks(per_thread).enumerate() {
            s.spawn(move || sign_range(batch, part, i * per_thread, sink));
        }
    });
}

/// The URLs of `keys` (all already checked with [`check_key`]), in order, in chunks of at
/// most [`CHUNK_KEYS`]; the keys are split across `threads` threads (at least 1).
pub fn presign_chunks(batch: &Batch, keys: &[&str], threads: usize) -> Vec<UrlChunk> {
    let done = std::sync::Mutex::new(Vec::new());
    presign_with(batch, keys, threads, |first, chunk| {
        done.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((first, chunk.clone()));
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(first, _)| *first);
    done.into_iter().map(|(_, chunk)| chunk).collect()
}

/// One presigned URL: `oss2.Bucket(...).sign_url(opts.method, key, opts.expires, ...)` at
/// `now_secs`.
pub fn presign_url(
    target: &Target,
    creds: &Credentials<'_>,
    now_secs: i64,
    opts: &Options<'_>,
    key: &str,
) -> Result<String, PresignError> {
    check_key(key, target.verify_object_strict)?;
    Batch::new(target, creds, now_secs, opts, &SigningKeyCache::new())?.sign(key)
}

/// Presigned URLs for every key, at one instant, across `threads` threads; item i is
/// [`presign_url`] of `keys[i]`.
pub fn presign_urls(
    target: &Target,
    creds: &Credentials<'_>,
    now_secs: i64,
    opts: &Options<'_>,
    keys: &[&str],
    threads: usize,
) -> Result<Vec<String>, PresignError> {
    for key in keys {
        check_key(key, target.verify_object_strict)?;
    }
    let batch = Batch::new(target, creds, now_secs, opts, &SigningKeyCache::new())?;
    Ok(presign_chunks(&batch, keys, threads)
        .iter()
        .flat_map(|c| c.iter().map(str::to_owned).collect::<Vec<_>>())
        .collect())
}

#[cfg(test)]
#[path = "presign_tests.rs"]
mod tests;
