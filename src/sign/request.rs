//! A borrowed view of the parts of a request that signing reads.
//!
//! Values are bytes because oss2 signs whatever `to_bytes()` gives (UTF-8 for text, raw for
//! `bytes`). Header names are already lower-cased; the caller keeps headers unique by name, as
//! oss2's case-insensitive dict does. Order is the request's own: each version sorts what it
//! needs, and equal sort keys keep this order (Python's sort is stable, and so is ours).

use smallvec::SmallVec;

use super::encode::percent_encode_into;

/// One header, name lower-cased.
/// Signed headers, sorted; on the stack for the usual dozen or fewer.
pub(crate) type SortedHeaders<'a> = SmallVec<[(&'a str, &'a [u8]); 16]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

/// One query parameter; `None` is a valueless parameter such as `?acl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// UTF-8 for a str name; oss2 also signs bytes names as they are.
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// What signing reads from a request.
#[derive(Debug, Clone, Default)]
pub struct SignableRequest<'a> {
    pub method: &'a str,
    /// Empty for service-level requests (oss2 treats `None` and `''` alike).
    pub bucket: &'a str,
    pub key: &'a str,
    pub headers: Vec<Header<'a>>,
    pub params: Vec<Param<'a>>,
}

impl<'a> SignableRequest<'a> {
    pub fn new(method: &'a str, bucket: &'a str, key: &'a str) -> Self {
        SignableRequest {
            method,
            bucket,
            key,
            headers: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds a header; `name` must already be lower-case.
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push(Header {
            name,
            value: value.as_bytes(),
        });
        self
    }

    pub fn param(mut self, key: &'a str, value: Option<&'a str>) -> Self {
        self.params.push(Param {
            key: key.as_bytes(),
            value: value.map(str::as_bytes),
        });
        self
    }

    /// The value of header `name` (lower-case), if present.
    pub fn header_value(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value)
    }

    /// Headers selected by `keep`, as (name, value) sorted by name, stable.
    pub(crate) fn sorted_headers(&self, keep: impl Fn(&str) -> bool) -> SortedHeaders<'a> {
        let mut out: SortedHeaders<'a> = self
            .headers
            .iter()
            .filter(|h| keep(h.name))
            .map(|h| (h.name, h.value))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Appends every parameter percent-encoded, sorted by encoded name, as `k` or `k=v`, joined
/// by `&` (V2 and V4's canonical query). `lead` goes first when there is any parameter.
pub(crate) fn push_canonical_query(params: &[Param<'_>], lead: &[u8], out: &mut Vec<u8>) {
    if params.is_empty() {
        return;
    }
    // One scratch buffer and index ranges instead of two allocations per parameter.
    let mut scratch = Vec::with_capacity(params.len() * 32);
    let mut spans: SmallVec<[(usize, usize, usize); 16]> = SmallVec::new();
    for p in params {
        let start = scratch.len();
        percent_encode_into(p.key, false, &mut scratch);
        let mid = scratch.len();
        percent_encode_into(p.value.unwrap_or_default(), false, &mut scratch);
        spans.push((start, mid, scratch.len()));
    }
    // Stable: among names that encode alike (a str and the bytes of its UTF-8), oss2's dict
    // of encoded names keeps the value written last.
    spans.sort_by(|a, b| scratch[a.0..a.1].cmp(&scratch[b.0..b.1]));
    out.extend_from_slice(lead);
    let name = |s: &(usize, usize, usize)| &scratch[s.0..s.1];
    let mut first = true;
    for (i, span) in spans.iter().enumerate() {
        if spans
            .get(i + 1)
            .is_some_and(|next| name(next) == name(span))
        {
            continue;
        }
        if !first {
            out.push(b'&');
        }
        first = false;
        push_query_item(out, name(span), &scratch[span.1..span.2]);
    }
}

/// Appends `k` or `k=v` (when `v` is non-empty), the query item shape every version uses.
pub(crate) fn push_query_item(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(key);
    if !value.is_empty() {
        out.push(b'=');
        out.extend_from_slice(value);
    }
}

/// Writes `bytes` as text: exact for UTF-8 (every practical request), lossy otherwise.
pub(crate) fn fmt_bytes(bytes: &[u8], f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(params: &[Param<'_>]) -> String {
        let mut out = Vec::new();
        push_canonical_query(params, b"?", &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_query_sorts_encoded_names_and_drops_empty_values() {
        let p = |key: &'static str, value: Option<&'static str>| Param {
            key: key.as_bytes(),
            value: value.map(str::as_bytes),
        };
        assert_eq!(
            query(&[p("b", Some("")), p("+a", Some("x y")), p("a", None)]),
            "?%2Ba=x%20y&a&b"
        );
        assert_eq!(query(&[]), "");
    }

    #[test]
    fn names_encoding_alike_keep_the_last_value() {
        // A str name and the bytes of its UTF-8 are two dict keys in Python but one encoded name.
        let params = [
            Param {
                key: b"k",
                value: Some(b"first"),
            },
            Param {
                key: b"a",
                value: None,
            },
            Param {
                key: b"k",
                value: Some(b"last"),
            },
        ];
        assert_eq!(query(&params), "?a&k=last");
    }
}
