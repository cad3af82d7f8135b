//! The URL work of oss-v2's signers: `urllib.parse.urlsplit` / `urlunsplit` for the URLs its
//! Client builds, and a query kept as the Python dict the presigners fill.

use std::borrow::Cow;
use std::collections::HashMap;

/// The five parts `urlsplit` returns (Debug only in tests: a query can hold a token).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct SplitUrl<'a> {
    pub scheme: &'a str,
    pub netloc: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub fragment: &'a str,
}

/// Splits `url` exactly as Python 3's `urlsplit` does, for the URLs on which that is plain
/// slicing: printable ASCII without brackets, a lower-case `http://` or `https://` scheme and a
/// non-empty host. `None` for any other URL (Python strips control characters, lower-cases
/// the scheme, checks IPv6 brackets, ...): the caller then asks Python.
pub fn split_simple(url: &str) -> Option<SplitUrl<'_>> {
    let b = url.as_bytes();
    let (scheme, start) = if b.starts_with(b"https://") {
        ("https", 8)
    } else if b.starts_with(b"http://") {
        ("http", 7)
    } else {
        return None;
    };
    if !printable_without_brackets(b) {
        return None;
    }
    // urlsplit: the netloc ends at the first '/', '?' or '#'; the fragment starts after the
    // first '#'; the query after the first '?' before it. memchr: this runs for every request.
    let before_fragment = memchr::memchr(b'#', &b[start..]).map_or(b.len(), |i| start + i);
    let path_end =
        memchr::memchr(b'?', &b[start..before_fragment]).map_or(before_fragment, |i| start + i);
    let netloc_end = memchr::memchr(b'/', &b[start..path_end]).map_or(path_end, |i| start + i);
    if netloc_end == start {
        return None;
    }
    Some(SplitUrl {
        scheme,
        netloc: &url[start..netloc_end],
        path: &url[netloc_end..path_end],
        query: url.get(path_end + 1..before_fragment).unwrap_or(""),
        fragment: url.get(before_fragment + 1..).unwrap_or(""),
    })
}

/// Every byte is printable ASCII other than `[` and `]`. Branch-free over 32-byte blocks, so
/// it compiles to vector compares.
fn printable_without_brackets(b: &[u8]) -> bool {
    fn refused(block: &[u8]) -> u8 {
        let mut bad = 0u8;
        for &c in block {
            bad |= u8::from(c.wrapping_sub(0x21) > 0x7e - 0x21)
                | u8::from(c == b'[')
                | u8::from(c == b']');
        }
        bad
    }
    let blocks = b.chunks_exact(32);
    let rest = blocks.remainder();
    for block in blocks {
        if refused(block) != 0 {
            return false;
        }
    }
    refused(rest) == 0
}

/// `urlunsplit` of parts that [`split_simple`] returned (non-empty netloc, a path that is
/// empty or starts with `/`), with a new query.
pub fn unsplit_simple(parts: &SplitUrl<'_>, query: &str) -> String {
    let mut s = String::with_capacity(
        parts.scheme.len() + parts.netloc.len() + parts.path.len() + query.len() + 8,
    );
    s.push_str(parts.scheme);
    s.push_str("://");
    s.push_str(parts.netloc);
    s.push_str(parts.path);
    if !query.is_empty() {
        s.push('?');
        s.push_str(query);
    }
    if !parts.fragment.is_empty() {
        s.push('#');
        s.push_str(parts.fragment);
    }
    s
}

/// `key, _, value = pair.partition('=')` for each `&`-separated pair of a non-empty query.
pub fn pairs(query: &str) -> Pairs<'_> {
    // `''.split('&')` would give one empty pair, but the signers skip an empty query.
    Pairs {
        rest: (!query.is_empty()).then_some(query),
    }
}

/// The iterator of [`pairs`]; it splits on bytes with `memchr` (`&` and `=` are ASCII, so every
/// cut is a char boundary), which is cheaper than `str::split` with a char pattern.
pub struct Pairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        let pair = match memchr::memchr(b'&', rest.as_bytes()) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                &rest[..i]
            }
            None => {
                self.rest = None;
                rest
            }
        };
        Some(match memchr::memchr(b'=', pair.as_bytes()) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        })
    }
}

/// V4's canonical query: the raw pairs sorted as `(key, value)` tuples (code point order, which
/// is UTF-8 byte order), each written `key=value`, or `key` alone when the value is empty.
pub fn push_v4_canonical_query(query: &str, out: &mut Vec<u8>) {
    let mut sorted: smallvec::SmallVec<[(&str, &str); 16]> = pairs(query).collect();
    sorted.sort_unstable();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        if !v.is_empty() {
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// The presigners' `encoded_pairs` dict: insertion order, a repeated key keeps its first
/// place and takes the last value, `pop` removes, `update` of a present key keeps its place.
/// Keys are found by a scan while the dict is small (a signed URL has a dozen), through a hash
/// index once it grows, so a hostile query with thousands of pairs stays linear.
#[derive(Default)]
#[cfg_attr(test, derive(Debug))]
pub struct QueryDict<'a> {
    entries: Vec<Option<(&'a str, Cow<'a, str>)>>,
    index: Option<HashMap<&'a str, usize>>,
}

/// Entries up to which a scan beats hashing.
const SCAN_LIMIT: usize = 24;

impl<'a> QueryDict<'a> {
    /// The dict the presigners build from a URL's raw query.
    pub fn from_query(query: &'a str) -> Self {
        let mut d = QueryDict::default();
        for (k, v) in pairs(query) {
            d.set(k, Cow::Borrowed(v));
        }
        d
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self
                .entries
                .iter()
                .position(|e| e.as_ref().is_some_and(|(k, _)| *k == key)),
        }
    }

    pub fn set(&mut self, key: &'a str, value: Cow<'a, str>) {
        if let Some(i) = self.position(key) {
            if let Some(e) = self.entries[i].as_mut() {
                e.1 = value;
            }
            return;
        }
        if let Some(index) = self.index.as_mut() {
            index.insert(key, self.entries.len());
        }
        self.entries.push(Some((key, value)));
        if self.index.is_none() && self.entries.len() > SCAN_LIMIT {
            let index = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.as_ref().map(|(k, _)| (*k, i)))
                .collect();
            self.index = Some(index);
        }
    }

    pub fn pop(&mut self, key: &str) {
        if let Some(i) = self.position(key) {
            self.entries[i] = None;
            if let Some(index) = self.index.as_mut() {
                index.remove(key);
            }
        }
    }

    /// `'&'.join(f'{k}={v}' if v else k for k, v in d.items())`.
    pub fn to_query(&self) -> String {
        let mut s = String::new();
        let mut first = true;
        for (k, v) in self.entries.iter().flatten() {
            if !first {
                s.push('&');
            }
            first = false;
            s.push_str(k);
            if !v.is_empty() {
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_urlsplit() {
        let p = split_simple("https://b.oss-cn-hangzhou.aliyuncs.com/k%2F1?acl&x=1#frag").unwrap();
        assert_eq!(
            p,
            SplitUrl {
                scheme: "https",
                netloc: "b.oss-cn-hangzhou.aliyuncs.com",
                path: "/k%2F1",
                query: "acl&x=1",
                fragment: "frag"
            }
        );
        let p = split_simple("http://h?a=1?b#c#d").unwrap();
        assert_eq!((p.path, p.query, p.fragment), ("", "a=1?b", "c#d"));
        let p = split_simple("http://h#x?y").unwrap();
        assert_eq!((p.query, p.fragment), ("", "x?y"));
    }

    /// The straightforward split (scan, then `find`s) this module had first: the oracle for the
    /// one-pass scan.
    fn reference_split(url: &str) -> Option<SplitUrl<'_>> {
        if !url
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'[' && b != b']')
        {
            return None;
        }
        let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = url.strip_prefix("http://") {
            ("http", r)
        } else {
            return None;
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (netloc, mut rest) = rest.split_at(end);
        if netloc.is_empty() {
            return None;
        }
        let mut fragment = "";
        if let Some(i) = rest.find('#') {
            fragment = &rest[i + 1..];
            rest = &rest[..i];
        }
        let mut query = "";
        if let Some(i) = rest.find('?') {
            query = &rest[i + 1..];
            rest = &rest[..i];
        }
        Some(SplitUrl {
            scheme,
            netloc,
            path: rest,
            query,
            fragment,
        })
    }

    #[test]
    fn one_pass_split_agrees_with_the_reference_on_every_short_url() {
        let alphabet = ["a", "/", "?", "#", "[", " ", "\u{4e2d}", "=", "\u{7f}"];
        let mut checked = 0;
        for prefix in ["http://", "https://", "http:/", "HTTP://"] {
            let mut tails = vec![String::new()];
            for _ in 0..5 {
                let mut longer = Vec::new();
                for t in &tails {
                    for a in alphabet {
                        let url = format!("{prefix}{t}{a}");
                        assert_eq!(split_simple(&url), reference_split(&url), "{url:?}");
                        checked += 1;
                        longer.push(format!("{t}{a}"));
                    }
                }
                tails = longer;
            }
        }
        assert!(checked > 200_000);
    }

    #[test]
    fn leaves_unusual_urls_to_python() {
        for url in [
            "HTTP://h/",
            "http:///p",
            "http://[::1]/",
            "http://h/a b",
            "http://h/中",
            " http://h/",
            "ftp://h/",
            "h/p",
        ] {
            assert!(split_simple(url).is_none(), "{url}");
        }
    }

    #[test]
    fn dict_semantics() {
        let mut d = QueryDict::from_query("b=1&a&b=2&&c=");
        assert_eq!(d.to_query(), "b=2&a&&c");
        d.pop("a");
        d.set("b", Cow::Borrowed("3"));
        d.set("z", Cow::Borrowed("9"));
        assert_eq!(d.to_query(), "b=3&&c&z=9");
        d.pop("b");
        d.set("b", Cow::Borrowed("4"));
        assert_eq!(d.to_query(), "&c&z=9&b=4");
        let p = split_simple("http://h/p?q#f").unwrap();
        assert_eq!(unsplit_simple(&p, "x=1"), "http://h/p?x=1#f");
    }

    #[test]
    fn dict_semantics_hold_past_the_scan_limit() {
        // The same operations on a dict that switched to its hash index and on a model.
        let query: String = (0..100).map(|i| format!("k{}={i}&", i % 60)).collect();
        let mut d = QueryDict::from_query(&query);
        let mut model: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs(&query) {
            match model.iter_mut().find(|(mk, _)| mk == k) {
                Some(e) => e.1 = v.to_owned(),
                None => model.push((k.to_owned(), v.to_owned())),
            }
        }
        for k in ["k3", "k59", "", "absent"] {
            d.pop(k);
            model.retain(|(mk, _)| mk != k);
        }
        for (k, v) in [("k3", "new"), ("k10", "ten"), ("z", "")] {
            d.set(k, Cow::Borrowed(v));
            match model.iter_mut().find(|(mk, _)| mk == k) {
                Some(e) => e.1 = v.to_owned(),
                None => model.push((k.to_owned(), v.to_owned())),
            }
        }
        let expected: Vec<String> = model
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        assert_eq!(d.to_query(), expected.join("&"));
    }

    #[test]
    fn long_urls_split_like_the_reference() {
        // Past the 16-byte runs: delimiters and refused bytes at every offset of a long URL.
        let base = "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/2024/a.jpg?x-oss-date=20231216T162057Z&x-oss-expires=599";
        for at in 8..base.len() {
            for insert in ["/", "?", "#", "[", " ", "\u{e9}", "a"] {
                let url = format!("{}{insert}{}", &base[..at], &base[at..]);
                assert_eq!(split_simple(&url), reference_split(&url), "{url:?}");
            }
        }
    }

    #[test]
    fn canonical_query_sorts_pairs() {
        let mut out = Vec::new();
        push_v4_canonical_query("b=2&a=&b=1&A&x-oss-date=1", &mut out);
        assert_eq!(out, b"A&a&b=1&b=2&x-oss-date=1");
    }
}
