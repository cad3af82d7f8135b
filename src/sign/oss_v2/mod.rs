//! Signing as alibabacloud-oss-v2 1.4.1 does it (`alibabacloud_oss_v2/signer/v4.py`, `v1.py`).
//!
//! The cryptography and encodings are oss2's (shared with [`super::v4`] and [`super::encode`]);
//! what differs is layout: the V4 `Authorization` header has no spaces, the canonical query is
//! the URL's raw query sorted as (key, value) pairs, presigned parameters keep the order of a
//! Python dict, and V1 sends the security token as a `security-token` header and signs its own
//! list of sub-resources. Nothing here reads a clock: callers pass the instant.

pub mod instant;
pub mod url;
pub mod v1;
pub mod v4;

/// Lower-cased header name and its value, in the request's order.
pub type HeaderPair<'a> = (&'a str, &'a str);

/// `sorted(pairs, key=lambda x: x[0])` over the headers `signed` selects, written as
/// `name:value\n` lines (the canonical headers of both versions). The sort is stable, as
/// Python's, so headers whose names are equal keep their order.
pub fn push_canonical_headers(
    headers: &[HeaderPair<'_>],
    signed: impl Fn(&str) -> bool,
    out: &mut Vec<u8>,
) {
    let mut picked: smallvec::SmallVec<[&HeaderPair<'_>; 16]> =
        headers.iter().filter(|(n, _)| signed(n)).collect();
    picked.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in picked {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
}

/// Python's `quote(text, safe='')`, appended to `out`.
pub fn push_quoted(text: &str, out: &mut String) {
    let mut bytes = std::mem::take(out).into_bytes();
    super::encode::percent_encode_into(text.as_bytes(), false, &mut bytes);
    // SAFETY: `bytes` held a `String` and only ASCII (unreserved bytes and `%XX`) was added.
    *out = unsafe { String::from_utf8_unchecked(bytes) };
}
