//! Encoding rules shared by the signing versions.
//!
//! OSS percent-encodes every byte of the UTF-8 form except the RFC 3986 unreserved set
//! (`A-Z a-z 0-9 - _ . ~`), with upper-case hex. V4 keeps `/` literal in the canonical URI.
//! Python's `urllib.parse.quote(s, safe='')`, which oss2 uses for presigned URL queries,
//! is the same function.

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// How each byte encodes: the (up to) three output bytes in the low bytes of a word (little
/// endian), and in the top byte how many of them count. One table per `keep_slash` so the
/// loop has no per-byte branch: every byte stores its whole word and advances by the count
/// (encoded text mixes plain and escaped bytes unpredictably, and mispredicted branches were
/// most of the encoder's time).
const fn encoding_table(keep_slash: bool) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        // RFC 3986 unreserved bytes: `A-Z a-z 0-9 - _ . ~`.
        let plain = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && c == b'/');
        let bytes = if plain {
            [c, 0, 0, 1]
        } else {
            [
                b'%',
                HEX_UPPER[(c >> 4) as usize],
                HEX_UPPER[(c & 15) as usize],
                3,
            ]
        };
        t[b] = u32::from_le_bytes(bytes);
        b += 1;
    }
    t
}

const ENCODE: [u32; 256] = encoding_table(false);
const ENCODE_KEEP_SLASH: [u32; 256] = encoding_table(true);

/// Percent-encodes `raw` (upper-case hex) onto `out`, leaving unreserved bytes, and `/` when
/// `keep_slash`. Signing encodes every key, parameter and URL, so this is written for speed.
pub fn percent_encode_into(raw: &[u8], keep_slash: bool, out: &mut Vec<u8>) {
    let table = if keep_slash {
        &ENCODE_KEEP_SLASH
    } else {
        &ENCODE
    };
    // Three bytes per input at most, plus one: each step writes four and keeps 1 or 3.
    let room = raw
        .len()
        .checked_mul(3)
        .and_then(|n| n.checked_add(1))
        .expect("text to percent-encode fits in memory three times over");
    out.reserve(room);
    let start = out.len();
    let mut n = 0;
    // SAFETY: `reserve` made room for `raw.len() * 3 + 1` (`room`) bytes past `start`; after `i`
    // inputs `n <= 3 * i`, so each four-byte write ends within that room. Only the first `n`
    // bytes, all written, become part of the vector.
    unsafe {
        let base = out.as_mut_ptr().add(start);
        for &b in raw {
            let word = table[b as usize];
            base.add(n)
                .cast::<[u8; 4]>()
                .write_unaligned(word.to_le_bytes());
            n += (word >> 24) as usize;
        }
        out.set_len(start + n);
    }
}

/// Appends `src` to `out`. Canonical requests are built from many short pieces, and for
/// those two overlapping word copies beat a call to `memcpy` each.
#[inline(always)]
pub fn push_bytes(out: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    if !(4..=32).contains(&n) {
        out.extend_from_slice(src);
        return;
    }
    out.reserve(n);
    // SAFETY: `reserve` made room for `n` bytes past the length. Every read is within `src`
    // (4 <= n <= 32) and every write within those `n` bytes; the overlapping middle gets the
    // same bytes twice. All `n` bytes are written before the length grows.
    unsafe {
        let dst = out.as_mut_ptr().add(out.len());
        let s = src.as_ptr();
        if n >= 16 {
            let head = s.cast::<u128>().read_unaligned();
            let tail = s.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(head);
            dst.add(n - 16).cast::<u128>().write_unaligned(tail);
        } else if n >= 8 {
            let head = s.cast::<u64>().read_unaligned();
            let tail = s.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(head);
            dst.add(n - 8).cast::<u64>().write_unaligned(tail);
        } else {
            let head = s.cast::<u32>().read_unaligned();
            let tail = s.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(head);
            dst.add(n - 4).cast::<u32>().write_unaligned(tail);
        }
        out.set_len(out.len() + n);
    }
}

pub fn percent_encode(raw: &[u8], keep_slash: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 8);
    percent_encode_into(raw, keep_slash, &mut out);
    out
}

/// The two lower-case hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [HEX_LOWER[b >> 4], HEX_LOWER[b & 15]];
        b += 1;
    }
    t
};

/// Appends the lower-case hex of `bytes` to `out` (Python's `hexdigest()`).
pub fn push_hex_lower(bytes: &[u8], out: &mut String) {
    // SAFETY: only ASCII hex digits are appended, so `out` stays UTF-8.
    let out = unsafe { out.as_mut_vec() };
    let mut buf = [0u8; 64];
    // A stack buffer per 32 bytes (a SHA-256 hash at once): one append, not one per byte.
    for chunk in bytes.chunks(32) {
        for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
            pair.copy_from_slice(&HEX_PAIRS[b as usize]);
        }
        out.extend_from_slice(&buf[..chunk.len() * 2]);
    }
}

/// Lower-case hex, as Python's `hexdigest()`.
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex_lower(bytes, &mut out);
    out
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
    fn every_byte_alone_and_in_runs() {
        for b in 0..=255u8 {
            let plain = b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
            let want = if plain {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(percent_encode(&[b], false), want.as_bytes());
            let wrapped = percent_encode(&[b'a', b, b'z'], false);
            assert_eq!(wrapped, format!("a{want}z").as_bytes());
        }
    }

    /// The encoder's two sets, as percent-encoding states them: everything but RFC 3986
    /// unreserved (`A-Z a-z 0-9 - _ . ~`), and that but `/`. percent-encoding encodes every
    /// non-ASCII byte, with upper-case hex, as OSS does.
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    const UNRESERVED_AND_SLASH: &percent_encoding::AsciiSet = &UNRESERVED.remove(b'/');

    /// Checks the encoder against percent-encoding, for both sets.
    fn same_as_oracle(raw: &[u8]) {
        for (keep_slash, set) in [(false, UNRESERVED), (true, UNRESERVED_AND_SLASH)] {
            let want = percent_encoding::percent_encode(raw, set).to_string();
            let got = percent_encode(raw, keep_slash);
            assert_eq!(got, want.as_bytes(), "{raw:?} keep_slash={keep_slash}");
        }
    }

    #[test]
    fn matches_percent_encoding_on_every_byte_and_pair() {
        let all: Vec<u8> = (0..=255u8).collect();
        same_as_oracle(&all);
        for a in 0..=255u8 {
            same_as_oracle(&[a]);
            for b in 0..=255u8 {
                same_as_oracle(&[a, b]);
            }
        }
    }

    #[test]
    fn matches_percent_encoding_on_random_strings() {
        // xorshift64: reproducible, and no rand crate for one test.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 80) as usize;
            // Any bytes (the encoder takes bytes), then valid UTF-8 up to 4-byte characters.
            let raw: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            same_as_oracle(&raw);
            let text: String = (0..len)
                .filter_map(|_| char::from_u32((next() % 0x1_0000 * (1 + next() % 2)) as u32))
                .collect();
            same_as_oracle(text.as_bytes());
        }
    }

    #[test]
    fn push_bytes_any_length() {
        let src: Vec<u8> = (0..40u8).collect();
        for n in 0..=src.len() {
            let mut out = b"ab".to_vec();
            push_bytes(&mut out, &src[..n]);
            assert_eq!(&out[..2], b"ab");
            assert_eq!(&out[2..], &src[..n]);
        }
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
