//! Encoding rules shared by the signing versions.
//!
//! OSS percent-encodes every byte of the UTF-8 form except the RFC 3986 unreserved set
//! (`A-Z a-z 0-9 - _ . ~`), with upper-case hex. V4 keeps `/` literal in the canonical URI.
//! Python's `urllib.parse.quote(s, safe='')`, which oss2 uses for presigned URL queries,
//! is the same function.

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

#[inline]
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends the percent-encoding of `raw` to `out`; `keep_slash` leaves `/` as is.
pub fn percent_encode_into(raw: &[u8], keep_slash: bool, out: &mut Vec<u8>) {
    for &b in raw {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[(b >> 4) as usize],
                HEX_UPPER[(b & 15) as usize],
            ]);
        }
    }
}

/// The percent-encoding of `raw` as a new buffer.
pub fn percent_encode(raw: &[u8], keep_slash: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 8);
    percent_encode_into(raw, keep_slash, &mut out);
    out
}

/// Lower-case hex, as Python's `hexdigest()`.
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_LOWER[(b >> 4) as usize];
        pair[1] = HEX_LOWER[(b & 15) as usize];
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Standard base64 with padding, as oss2's `b64encode_as_string`.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str, keep: bool) -> String {
        String::from_utf8(percent_encode(s.as_bytes(), keep)).unwrap()
    }

    #[test]
    fn unreserved_pass_through() {
        assert_eq!(enc("AZaz09-_.~", false), "AZaz09-_.~");
    }

    #[test]
    fn reserved_and_non_ascii_are_encoded_upper_hex() {
        assert_eq!(enc("a b+c%/?#\t*", false), "a%20b%2Bc%25%2F%3F%23%09%2A");
        assert_eq!(enc("中", false), "%E4%B8%AD");
        assert_eq!(enc("😀", false), "%F0%9F%98%80");
    }

    #[test]
    fn slash_kept_only_when_asked() {
        assert_eq!(enc("/b//k", true), "/b//k");
        assert_eq!(enc("/b//k", false), "%2Fb%2F%2Fk");
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(hex_lower(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(base64(b"hello"), "aGVsbG8=");
    }
}
