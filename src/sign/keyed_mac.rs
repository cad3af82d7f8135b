//! The keyed HMAC state for the secret an auth object last signed with (V1's HMAC-SHA1, V2's
//! HMAC-SHA256). Keying an HMAC hashes two blocks, a third of the hashing in a V1 signature;
//! a process signs with one secret at a time, so one entry serves nearly every request.

use std::sync::Mutex;

use hmac::digest::KeyInit;
use hmac::Mac;
use zeroize::Zeroizing;

pub struct KeyedMac<M> {
    last: Mutex<Option<(Zeroizing<Vec<u8>>, M)>>,
}

impl<M> Default for KeyedMac<M> {
    fn default() -> Self {
        KeyedMac {
            last: Mutex::new(None),
        }
    }
}

impl<M: Mac + KeyInit + Clone> KeyedMac<M> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh MAC keyed with `secret`, from the kept state when the secret is the same.
    pub fn keyed(&self, secret: &[u8]) -> M {
        // A poisoned lock only means another thread panicked mid-update; the value is whole.
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((kept, mac)) = last.as_ref() {
            if kept.as_slice() == secret {
                return mac.clone();
            }
        }
        let mac = <M as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
        // Keying copies the secret into key blocks on the stack; overwrite them.
        scrub_stack();
        *last = Some((Zeroizing::new(secret.to_vec()), mac.clone()));
        mac
    }
}

/// Overwrites the stack below the caller's frame, where the callee that just returned kept its
/// locals (HMAC key blocks holding the secret). Rare: only when an auth meets a new secret.
#[inline(never)]
pub fn scrub_stack() {
    let mut area = [0xA5u8; 8192];
    zeroize::Zeroize::zeroize(&mut area[..]);
    std::hint::black_box(&area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Hmac;
    use sha1::Sha1;

    fn tag(mut mac: Hmac<Sha1>, data: &[u8]) -> Vec<u8> {
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn same_as_keying_afresh_and_follows_a_rotated_secret() {
        let cache = KeyedMac::<Hmac<Sha1>>::new();
        for secret in [&b"one"[..], b"one", b"two", b"one"] {
            let fresh = <Hmac<Sha1> as Mac>::new_from_slice(secret).unwrap();
            assert_eq!(tag(cache.keyed(secret), b"data"), tag(fresh, b"data"));
        }
    }
}
