//! A small cache of V4 signing keys, one per auth object.
//!
//! Deriving a key costs four HMACs; a process signs with few (secret, date, region, product)
//! combinations, so a handful of entries serve every request. The date is part of the lookup,
//! so a key is never served across a date change. Secrets are kept only as long as their entry
//! and are zeroed when it is dropped.

use std::sync::Mutex;

use zeroize::Zeroizing;

use super::v4::{FirstBlock, Scope, SigningKey, StringToSign};

/// Enough for a few regions (or a rotation overlap) at once without unbounded growth.
const CAPACITY: usize = 8;

struct Entry {
    secret: Zeroizing<Vec<u8>>,
    scope: Scope,
    key: SigningKey,
    first: FirstBlock,
}

#[derive(Default)]
pub struct SigningKeyCache {
    // Most recently used first.
    entries: Mutex<Vec<Entry>>,
}

impl SigningKeyCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The signing key for `secret` and `scope`, derived on a miss.
    pub fn get(&self, secret: &[u8], scope: &Scope) -> SigningKey {
        self.with_key(secret, scope, SigningKey::clone)
    }

    /// Runs `f` with the signing key for `secret` and `scope` (derived on a miss) without
    /// copying it out of the cache.
    pub fn with_key<T>(&self, secret: &[u8], scope: &Scope, f: impl FnOnce(&SigningKey) -> T) -> T {
        self.with_entry(secret, scope, |e| f(&e.key))
    }

    /// The signature of `sts` with the key for `secret` and `scope`, reusing the HMAC state of
    /// the string to sign's first block while it repeats (see [`FirstBlock`]).
    pub fn sign(&self, secret: &[u8], scope: &Scope, sts: &StringToSign) -> String {
        let mut out = String::with_capacity(64);
        self.sign_into(secret, scope, sts, &mut out);
        out
    }

    /// [`SigningKeyCache::sign`], appending the signature to `out`.
    pub fn sign_into(&self, secret: &[u8], scope: &Scope, sts: &StringToSign, out: &mut String) {
        self.with_entry(secret, scope, |e| {
            e.key.sign_reusing(sts, &mut e.first, out)
        })
    }

    fn with_entry<T>(&self, secret: &[u8], scope: &Scope, f: impl FnOnce(&mut Entry) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update; the entries are
        // still whole values, so keep using them.
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries
            .iter()
            .position(|e| &e.scope == scope && e.secret.as_slice() == secret)
        {
            Some(0) => {}
            // Move to the front so the common case is a hit on the first entry.
            Some(i) => entries[..=i].rotate_right(1),
            None => {
                let key = SigningKey::derive(secret, scope);
                entries.insert(
                    0,
                    Entry {
                        secret: Zeroizing::new(secret.to_vec()),
                        scope: scope.clone(),
                        key,
                        first: FirstBlock::default(),
                    },
                );
                entries.truncate(CAPACITY);
            }
        }
        f(&mut entries[0])
    }

    /// Number of cached keys (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_returns_the_derived_key_and_dates_never_share() {
        let cache = SigningKeyCache::new();
        let day1 = Scope::new("20240101T235959Z", "cn-hangzhou", "oss");
        let day2 = Scope::new("20240102T000000Z", "cn-hangzhou", "oss");
        let k1 = cache.get(b"secret", &day1);
        assert_eq!(k1, SigningKey::derive(b"secret", &day1));
        assert_eq!(cache.get(b"secret", &day1), k1);
        assert_eq!(cache.len(), 1);
        let k2 = cache.get(b"secret", &day2);
        assert_ne!(k1, k2);
        assert_eq!(k2, SigningKey::derive(b"secret", &day2));
        // A rotated secret on the same day is a different key.
        let k3 = cache.get(b"rotated", &day2);
        assert_eq!(k3, SigningKey::derive(b"rotated", &day2));
        assert_ne!(k2, k3);
    }

    #[test]
    fn reused_first_block_signs_as_afresh() {
        let cache = SigningKeyCache::new();
        let scope = Scope::new("20240101T000000Z", "cn-hangzhou", "oss");
        let key = SigningKey::derive(b"s", &scope);
        // Same first block (same second), then another second, then a short string.
        let texts = [
            format!(
                "OSS4-HMAC-SHA256\n20240101T000000Z\n{scope}\n{}",
                "a".repeat(64)
            ),
            format!(
                "OSS4-HMAC-SHA256\n20240101T000000Z\n{scope}\n{}",
                "b".repeat(64)
            ),
            format!(
                "OSS4-HMAC-SHA256\n20240101T000001Z\n{scope}\n{}",
                "b".repeat(64)
            ),
            "short".to_owned(),
        ];
        for text in texts {
            let sts = StringToSign::from_text(text);
            assert_eq!(cache.sign(b"s", &scope, &sts), key.sign(&sts));
        }
    }

    #[test]
    fn bounded() {
        let cache = SigningKeyCache::new();
        for i in 0..(CAPACITY + 5) {
            let scope = Scope::new("20240101T000000Z", &format!("r{i}"), "oss");
            cache.get(b"s", &scope);
        }
        assert_eq!(cache.len(), CAPACITY);
    }
}
