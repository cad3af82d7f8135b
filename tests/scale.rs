//! Work linear (or n log n) in the size of its input: credentials.ini parsing, V2 and V4
//! signing with many headers and additional headers.
//!
//! Why sizes and deadlines, not timings: each test runs a size at which the old quadratic
//! code does ~10^11 to 10^12 comparisons (hours; 100,000 INI sections already took ~45 s)
//! while the linear code needs a few seconds in a debug build. It runs on a thread with a
//! 120 s deadline, far above the linear time on any loaded machine and far below the
//! quadratic one, so the outcome never depends on the machine's speed.

use std::sync::mpsc;
use std::time::Duration;

use ossauth::credentials::profile::parse_ini_profile;
use ossauth::sign::request::{Header, HeaderList};
use ossauth::sign::{v2, v4, SignableRequest};

const DEADLINE: Duration = Duration::from_secs(120);

/// `f()` on a thread; fails the test if it has not finished within [`DEADLINE`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{what}: not done in {DEADLINE:?}, the work is not linear"))
}

const N: usize = 1_000_000;

#[test]
fn ini_with_a_million_sections() {
    let e = within("1,000,000 sections", || {
        let mut text = String::with_capacity(N * 12);
        for i in 0..N {
            text.push_str(&format!("[s{i}]\n"));
        }
        parse_ini_profile(&text, &format!("s{}", N - 1), "/f.ini")
            .unwrap_err()
            .to_string()
    });
    // The last section was found (it has no type): the whole file was parsed.
    assert_eq!(e, format!("profile 's{}' in /f.ini: no type set (one of: access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn, credentials_uri)", N - 1));
}

#[test]
fn ini_with_a_million_keys() {
    let spec = within("1,000,000 keys", || {
        let mut text = String::with_capacity(N * 12 + 64);
        text.push_str("[p]\ntype = access_key\n");
        for i in 0..N {
            text.push_str(&format!("k{i} = v\n"));
        }
        text.push_str("access_key_id = id\naccess_key_secret = s\n");
        parse_ini_profile(&text, "p", "/f.ini").map(|s| s.kind())
    });
    assert_eq!(spec, Ok("access_key"));
}

#[test]
fn ini_listing_of_a_million_profiles_is_capped() {
    let e = within("1,000,000 sections, listed", || {
        let text: String = (0..N).map(|i| format!("[s{i}]\n")).collect();
        parse_ini_profile(&text, "absent", "/f.ini")
            .unwrap_err()
            .to_string()
    });
    assert_eq!(
        e,
        "profile 'absent' in /f.ini: no such profile (the file has: s0, s1, s2, s3, s4, s5, s6, \
         s7, s8, s9, and 999990 more)"
    );
}

/// `N` headers `h0000000`.. (none `x-oss-`), every one of them an additional header.
fn names() -> Vec<String> {
    (0..N).map(|i| format!("h{i:07}")).collect()
}

fn request<'a>(names: &'a [String]) -> SignableRequest<'a> {
    let mut req = SignableRequest::new("GET", "bucket", "key");
    req.headers = names
        .iter()
        .map(|n| Header {
            name: n,
            value: b"v",
        })
        .collect::<HeaderList>();
    req
}

#[test]
fn v2_with_a_million_additional_headers() {
    let signed_lines = within("V2, 1,000,000 additional headers", || {
        let names = names();
        let req = request(&names);
        let additional: Vec<&str> = names.iter().map(String::as_str).collect();
        let sts = v2::StringToSign::new(&req, &additional);
        sts.as_bytes()
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"h") && l.ends_with(b":v"))
            .count()
    });
    assert_eq!(signed_lines, N);
}

#[test]
fn v4_with_a_million_additional_headers() {
    let signed_lines = within("V4, 1,000,000 additional headers", || {
        let names = names();
        let req = request(&names);
        let additional = v4::additional_in_header_order(&names).unwrap();
        let canonical = v4::CanonicalRequest::new(&req, Some(&additional));
        canonical
            .as_bytes()
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"h") && l.ends_with(b":v"))
            .count()
    });
    assert_eq!(signed_lines, N);
}
