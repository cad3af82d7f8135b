//! The pure-Rust presign (`ossauth::sign::presign`): one URL (batch built per call, as
//! `Presigner.sign_url` does, without its cached signing key), and 100,000 keys on one thread
//! and on two (`presign_with`, as `Presigner.sign_urls` calls it).
//!
//! Run: `cargo bench --bench presign`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ossauth::sign::presign::{
    presign_url, presign_with, Batch, Credentials, Options, Target, UrlStyle, Version,
};
use ossauth::sign::SigningKeyCache;

const NOW: i64 = 1_700_000_000;

fn creds() -> Credentials<'static> {
    Credentials {
        access_key_id: "LTAI5tExampleKeyId",
        access_key_secret: b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        security_token: None,
    }
}

fn target(version: Version) -> Target {
    Target::new(
        version,
        "https",
        "oss-cn-hangzhou.aliyuncs.com",
        UrlStyle::VirtualHosted,
        "examplebucket",
        Some("cn-hangzhou"),
        None,
        true,
    )
}

fn opts() -> Options<'static> {
    Options {
        method: "GET",
        expires: 3600,
        ..Options::default()
    }
}

fn bench_one(c: &mut Criterion) {
    for (name, version) in [
        ("v1", Version::V1),
        ("v2", Version::V2),
        ("v4", Version::V4),
    ] {
        let t = target(version);
        c.bench_function(&format!("presign/{name}/one_url"), |b| {
            b.iter(|| {
                presign_url(
                    &t,
                    &creds(),
                    NOW,
                    &opts(),
                    black_box("photos/2024/img_000001.jpg"),
                )
            })
        });
    }
}

fn bench_batch(c: &mut Criterion) {
    let owned: Vec<String> = (0..100_000)
        .map(|i| format!("photos/2024/img_{i:06}.jpg"))
        .collect();
    let keys: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut group = c.benchmark_group("presign/v4/100k_keys");
    group.sample_size(10);
    group.throughput(Throughput::Elements(keys.len() as u64));
    let t = target(Version::V4);
    let cache = SigningKeyCache::new();
    for threads in [1, 2] {
        group.bench_function(format!("threads={threads}"), |b| {
            b.iter(|| {
                let batch = Batch::new(&t, &creds(), NOW, &opts(), &cache).unwrap();
                // The URLs are made and handed over chunk by chunk, as to the Python list.
                presign_with(&batch, black_box(&keys), threads, |_, chunk| {
                    black_box(chunk.text.len());
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_one, bench_batch);
criterion_main!(benches);
