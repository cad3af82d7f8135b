//! A borrowed view of the parts of a request that signing reads.
//!
//! Values are bytes because oss2 signs whatever `to_bytes()` gives (UTF-8 for text, raw for
//! `bytes`). Header names are already lower-cased; the caller keeps headers unique by name, as
//! oss2's case-insensitive dict does. Order is the request's own: each version sorts what it
//! needs, and equal sort keys keep this order (Python's sort is stable, and so is ours).

use smallvec::SmallVec;

use super::encode::{percent_encode_into, push_bytes};

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

/// A request's headers, on the stack for the usual dozen or fewer (signing runs per request).
pub type HeaderList<'a> = SmallVec<[Header<'a>; 8]>;

/// A request's parameters, on the stack for the usual handful.
pub type ParamList<'a> = SmallVec<[Param<'a>; 8]>;

/// What signing reads from a request (Debug only in tests: its headers can hold the token).
#[derive(Clone, Default)]
#[cfg_attr(test, derive(Debug))]
pub struct SignableRequest<'a> {
    pub method: &'a str,
    /// Empty for service-level requests (oss2 treats `None` and `''` alike).
    pub bucket: &'a str,
    pub key: &'a str,
    pub headers: HeaderList<'a>,
    pub params: ParamList<'a>,
}

impl<'a> SignableRequest<'a> {
    pub fn new(method: &'a str, bucket: &'a str, key: &'a str) -> Self {
        SignableRequest {
            method,
            bucket,
            key,
            headers: HeaderList::new(),
            params: ParamList::new(),
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
    #[inline]
    pub(crate) fn sorted_headers(&self, keep: impl Fn(&str) -> bool) -> SortedHeaders<'a> {
        let mut out: SortedHeaders<'a> = SmallVec::new();
        for h in &self.headers {
            if keep(h.name) {
                out.push((h.name, h.value));
            }
        }
        out.sort_by(|a, b| name_order(a.0.as_bytes(), b.0.as_bytes()));
        out
    }
}

/// Byte order of two names, mostly decided by their first eight bytes read as one number
/// (header names share prefixes such as `x-oss-`, and a call to `memcmp` per comparison was
/// a tenth of building a canonical request).
#[inline]
fn name_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    // Zero-padded: where the padded prefixes differ, the shorter name is a prefix of the
    // other up to there, so it sorts first either way.
    fn prefix(name: &[u8]) -> u64 {
        if let Some(head) = name.first_chunk::<8>() {
            return u64::from_be_bytes(*head);
        }
        let mut buf = [0u8; 8];
        for (d, s) in buf.iter_mut().zip(name) {
            *d = *s;
        }
        u64::from_be_bytes(buf)
    }
    prefix(a).cmp(&prefix(b)).then_with(|| a.cmp(b))
}

/// Where one parameter's encoded name starts, where its value starts, where it ends.
type Span = (usize, usize, usize);

/// Parameters percent-encoded once, in the request's order. V2 and V4's canonical query
/// (sorted) and a presigned URL's query (in order) are both written from it, so a URL's
/// parameters are not encoded twice.
pub struct EncodedParams {
    text: Vec<u8>,
    /// Per parameter: where its encoded name starts, where its value starts, where it ends.
    spans: SmallVec<[Span; 8]>,
}

impl EncodedParams {
    pub fn new(params: &[Param<'_>]) -> Self {
        let room: usize = params
            .iter()
            .map(|p| p.key.len() + p.value.map_or(0, <[u8]>::len))
            .sum();
        // Room for everything to be escaped, so the buffer never grows mid-way.
        let mut encoded = Self::with_capacity(room * 3 + 2);
        for p in params {
            encoded.push(p.key, p.value);
        }
        encoded
    }

    /// None yet, with room for `bytes` of encoded text.
    pub fn with_capacity(bytes: usize) -> Self {
        EncodedParams {
            text: Vec::with_capacity(bytes),
            spans: SmallVec::new(),
        }
    }

    /// Encodes one more parameter (`None`: valueless, as `?acl`).
    pub fn push(&mut self, key: &[u8], value: Option<&[u8]>) {
        let start = self.text.len();
        percent_encode_into(key, false, &mut self.text);
        let mid = self.text.len();
        percent_encode_into(value.unwrap_or_default(), false, &mut self.text);
        self.spans.push((start, mid, self.text.len()));
    }

    fn name(&self, span: &Span) -> &[u8] {
        &self.text[span.0..span.1]
    }

    fn value(&self, span: &Span) -> &[u8] {
        &self.text[span.1..span.2]
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// How many parameters.
    pub fn count(&self) -> usize {
        self.spans.len()
    }

    /// Length of the query [`EncodedParams::push_in_order`] writes (at most: a valueless
    /// parameter has no `=`).
    pub fn query_len(&self) -> usize {
        self.text.len() + 2 * self.spans.len()
    }

    /// The canonical query: sorted by encoded name, `k` or `k=v`, joined by `&`. `lead` goes
    /// first when there is any parameter.
    pub fn push_canonical(&self, lead: &[u8], out: &mut Vec<u8>) {
        if self.spans.is_empty() {
            return;
        }
        let mut sorted = self.spans.clone();
        // Stable: among names that encode alike (a str and the bytes of its UTF-8), oss2's
        // dict of encoded names keeps the value written last.
        sorted.sort_by(|a, b| name_order(self.name(a), self.name(b)));
        out.extend_from_slice(lead);
        let mut first = true;
        for (i, span) in sorted.iter().enumerate() {
            if sorted
                .get(i + 1)
                .is_some_and(|next| self.name(next) == self.name(span))
            {
                continue;
            }
            if !first {
                out.push(b'&');
            }
            first = false;
            push_query_item(out, self.name(span), self.value(span));
        }
    }

    /// Every parameter in the request's order, `k` or `k=v`, joined by `&`: oss2's
    /// `_param_to_quoted_query`, for str and bytes names and values.
    pub fn push_in_order(&self, out: &mut Vec<u8>) {
        for (i, span) in self.spans.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            push_query_item(out, self.name(span), self.value(span));
        }
    }
}

/// Appends every parameter percent-encoded, sorted by encoded name, as `k` or `k=v`, joined
/// by `&` (V2 and V4's canonical query). `lead` goes first when there is any parameter.
pub(crate) fn push_canonical_query(params: &[Param<'_>], lead: &[u8], out: &mut Vec<u8>) {
    EncodedParams::new(params).push_canonical(lead, out);
}

/// Appends `k` or `k=v` (when `v` is non-empty), the query item shape every version uses.
pub(crate) fn push_query_item(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    push_bytes(out, key);
    if !value.is_empty() {
        out.push(b'=');
        push_bytes(out, value);
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
    fn name_order_is_byte_order() {
        let names: [&[u8]; 12] = [
            b"",
            b"a",
            b"ab",
            b"ab\x00",
            b"ab\x01",
            b"content-md5",
            b"content-type",
            b"content-",
            b"x-oss-date",
            b"x-oss-d",
            b"x-oss-date-x",
            b"\xff",
        ];
        for a in names {
            for b in names {
                assert_eq!(name_order(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
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
        // A URL keeps them all, in order.
        let mut url = Vec::new();
        EncodedParams::new(&params).push_in_order(&mut url);
        assert_eq!(url, b"k=first&a&k=last");
    }
}
