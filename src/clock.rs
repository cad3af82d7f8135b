//! The one clock. Signing (and the credentials cache) read time only through here, so that a
//! test can pin it with [`freeze`] and compare signatures with another SDK at the same instant.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Sentinel meaning "not frozen". No real instant is `i64::MIN` microseconds.
const LIVE: i64 = i64::MIN;

static FROZEN_MICROS: AtomicI64 = AtomicI64::new(LIVE);

/// Microseconds since the Unix epoch (negative before it).
pub fn now_micros() -> i64 {
    let frozen = FROZEN_MICROS.load(Ordering::Relaxed);
    if frozen != LIVE {
        return frozen;
    }
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

/// Whole seconds since the epoch, truncated toward zero like Python's `int(time.time())`.
pub fn now_secs() -> i64 {
    now_micros() / 1_000_000
}

/// Pins the clock at `micros`; returns the previous frozen value (if any) so that nested
/// freezes can restore it.
pub fn freeze(micros: i64) -> Option<i64> {
    decode(FROZEN_MICROS.swap(micros, Ordering::Relaxed))
}

/// Restores a state returned by [`freeze`]: `None` lets the clock run again.
pub fn restore(previous: Option<i64>) {
    FROZEN_MICROS.store(previous.unwrap_or(LIVE), Ordering::Relaxed);
}

/// The frozen instant, if the clock is pinned.
pub fn frozen() -> Option<i64> {
    decode(FROZEN_MICROS.load(Ordering::Relaxed))
}

fn decode(v: i64) -> Option<i64> {
    (v != LIVE).then_some(v)
}

/// Rust tests run in parallel threads of one process: those that freeze the process-wide
/// clock take turns through this lock.
#[cfg(test)]
pub(crate) fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeze_pins_and_restore_releases() {
        let _turn = test_lock();
        let before = freeze(1_700_000_000_123_456);
        assert_eq!(now_micros(), 1_700_000_000_123_456);
        assert_eq!(now_secs(), 1_700_000_000);
        let inner = freeze(5_000_000);
        assert_eq!(inner, Some(1_700_000_000_123_456));
        assert_eq!(now_secs(), 5);
        restore(inner);
        assert_eq!(now_secs(), 1_700_000_000);
        restore(before);
        assert!(frozen().is_none());
        // Live time is after 2020 on any machine that runs this.
        assert!(now_secs() > 1_577_836_800);
    }
}
