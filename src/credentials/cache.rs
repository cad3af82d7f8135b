//! The refreshing cache every refreshing credentials source sits in.
//!
//! For credentials fetched at `f` that expire at `e` (lifetime `L = e - f`):
//!
//! - until `max(f + L/2, e - 15 min)` they are simply served (the hot path: one atomic load,
//!   no lock shared by threads, no allocation);
//! - from then (advisory window) the first caller starts one background refresh and every
//!   caller keeps getting the current credentials without waiting;
//! - from `max(f + 3L/4, e - 5 min)` (mandatory window) callers wait for the one shared
//!   refresh, at most `timeout`; the caller is expected to release the GIL around [`get`]
//!   (or to poll [`serve`] without blocking).
//!
//! Credentials without an expiration are served until `refresh_interval` (if any) has passed,
//! then refreshed in the background. A failed refresh never fails a caller while the cached
//! credentials are still valid: it is logged and retried after an exponential backoff with
//! jitter (1 s doubling, at most 60 s). A configuration error ([`ErrorKind::Config`]) is not
//! backed off: it is retried after a fixed second however often it repeats (see
//! [`CONFIG_RETRY`]). After expiry callers get the last error, never expired credentials;
//! credentials that arrive expired are an error and replace nothing.
//!
//! Every decision reads [`crate::clock`], so tests drive the windows and the backoff by
//! freezing it. Refreshes run on a short-lived thread per refresh (none when idle). After
//! `fork()` the child starts with fresh coordination state: it never waits for a refresh thread
//! that only exists in the parent.
//!
//! [`get`]: RefreshingCache::get
//! [`serve`]: RefreshingCache::serve

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption, Guard};

use super::{CredentialsError, ErrorKind};
use crate::clock;

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const MAX_BACKOFF: i64 = 60 * SECOND;

/// The wait after a refresh failed with a configuration error, however many failed before:
/// no exponential backoff. Backoff spares a service in trouble and waits out an outage; a
/// configuration error (a malformed profile file, a bad role ARN, a fetch function returning
/// the wrong type) is local and fails the same way until someone fixes it, so growing waits
/// would only delay taking the fix into account, by up to a minute. Not zero either: the
/// cached credentials are served while valid and a refresh is not started on every call (one
/// attempt per second at most, one log record each), and a caller in the mandatory window
/// must not start a new attempt after the one it waited for. No jitter: nothing is spared by
/// spreading retries that reach no service.
const CONFIG_RETRY: i64 = SECOND;

/// What a fetch returns: the value and when it expires (microseconds since the epoch).
pub struct Fetched<T> {
    pub value: T,
    pub expires_at: Option<i64>,
}

type FetchFn<T> = dyn Fn() -> Result<Fetched<T>, CredentialsError> + Send + Sync;

/// Cached credentials and the instants that govern them (microseconds since the epoch).
pub struct Entry<T> {
    pub value: T,
    pub fetched_at: i64,
    pub expires_at: Option<i64>,
    pub advisory_at: i64,
    pub mandatory_at: i64,
}

impl<T> Entry<T> {
    fn new(value: T, fetched_at: i64, expires_at: Option<i64>, interval: Option<i64>) -> Self {
        let (advisory_at, mandatory_at) = match expires_at {
            Some(e) => {
                let life = e - fetched_at;
                (
                    (fetched_at + life / 2).max(e - 15 * MINUTE),
                    (fetched_at + life / 4 * 3).max(e - 5 * MINUTE),
                )
            }
            // Never expires: refresh in the background once the interval has passed.
            None => (
                interval.map_or(i64::MAX, |i| fetched_at.saturating_add(i)),
                i64::MAX,
            ),
        };
        Entry {
            value,
            fetched_at,
            expires_at,
            advisory_at,
            mandatory_at,
        }
    }

    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }
}

pub struct Options {
    /// Names the source in errors and log records.
    pub source: Cow<'static, str>,
    /// For credentials without an expiration: refresh after this long.
    pub refresh_interval: Option<Duration>,
    /// How long a caller in the mandatory window waits for the refresh.
    pub timeout: Duration,
}

/// Who is refreshing, and how the last attempts went. Replaced after `fork()`.
struct Coordinator {
    pid: u32,
    state: Mutex<RefreshState>,
    done: Condvar,
}

#[derive(Default)]
struct RefreshState {
    in_flight: bool,
    failures: u32,
    /// No new attempt before this instant (backoff after failures).
    retry_at: i64,
    last_error: Option<CredentialsError>,
}

impl Coordinator {
    fn new() -> Self {
        Coordinator {
            pid: std::process::id(),
            state: Mutex::new(RefreshState::default()),
            done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, RefreshState> {
        // A panic never happens while the lock is held (fetch runs outside it); if one did,
        // the state is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Inner<T> {
    current: ArcSwapOption<Entry<T>>,
    coord: ArcSwap<Coordinator>,
    /// `None`: the owner runs each refresh itself (see [`RefreshingCache::delegated`]).
    fetch: Option<Box<FetchFn<T>>>,
    options: Options,
    /// Fetch calls made, for tests and diagnostics.
    fetches: AtomicU64,
}

/// What a caller gets without blocking: credentials to use now, "a refresh is in flight, wait
/// for it", or why there are none.
pub enum Served<T> {
    Ready(Arc<Entry<T>>),
    Pending,
    Failed(CredentialsError),
}

/// The right and the duty to run one refresh: whoever holds it fetches, then calls
/// [`Ticket::finish`]. Dropped unfinished, it records a failed attempt so that the cache never
/// waits for a refresh that nobody runs.
pub struct Ticket<T: Send + Sync + 'static> {
    inner: Arc<Inner<T>>,
    coord: Arc<Coordinator>,
    finished: bool,
}

impl<T: Send + Sync + 'static> Ticket<T> {
    pub fn source(&self) -> &Cow<'static, str> {
        &self.inner.options.source
    }

    /// A failed attempt, published without a log record (a refresh that could not start at
    /// interpreter shutdown: nobody is left to read it).
    pub fn fail_unlogged(mut self, error: CredentialsError) {
        self.finished = true;
        publish(&self.inner, &self.coord, Err(error), false);
    }

    /// Publishes the outcome of the fetch and wakes the callers waiting for it.
    pub fn finish(mut self, fetched: Result<Fetched<T>, CredentialsError>) {
        self.finished = true;
        publish(&self.inner, &self.coord, fetched, true);
    }

    /// Runs `fetch` on a short-lived thread of its own (a panic is a failed attempt) and
    /// publishes what it gives.
    pub fn finish_on_thread<F>(self, fetch: F)
    where
        F: FnOnce() -> Result<Fetched<T>, CredentialsError> + Send + 'static,
    {
        let source = self.source().clone();
        let running = Running::new();
        let spawned = std::thread::Builder::new()
            .name("ossauth-refresh".into())
            .spawn(move || {
                let _running = running;
                let fetched = catch_unwind(AssertUnwindSafe(fetch)).unwrap_or_else(|_| {
                    Err(CredentialsError::service(
                        self.inner.options.source.clone(),
                        "the fetch function panicked",
                    ))
                });
                self.finish(fetched);
            });
        // On failure the closure, and with it the ticket, is dropped: a failed attempt.
        if let Err(e) = spawned {
            log::warn!("{source}: cannot start a refresh thread: {e}");
        }
    }
}

impl<T: Send + Sync + 'static> Drop for Ticket<T> {
    fn drop(&mut self) {
        if !self.finished {
            let error = CredentialsError::transport(
                self.inner.options.source.clone(),
                "the refresh ended without a result",
            );
            publish(&self.inner, &self.coord, Err(error), true);
        }
    }
}

/// Refresh threads running now, in every cache of the process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many refresh threads are running now: the Python thread that hands log records to
/// `logging` ends once none are (and none can log any more).
pub fn refresh_threads() -> usize {
    RUNNING.load(Ordering::Acquire)
}

/// In a child after `fork()`: the parent's refresh threads are not running here.
pub fn forget_refresh_threads() {
    RUNNING.store(0, Ordering::Release);
}

/// Counts a refresh thread from before it is spawned until it has published (and logged).
struct Running;

impl Running {
    fn new() -> Self {
        RUNNING.fetch_add(1, Ordering::AcqRel);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A refreshing cache of `T` (credentials) filled by a fetch function.
pub struct RefreshingCache<T: Send + Sync + 'static> {
    inner: Arc<Inner<T>>,
}

impl<T: Send + Sync + 'static> RefreshingCache<T> {
    /// A cache that runs each refresh on a short-lived thread of its own, calling `fetch`.
    pub fn new(
        options: Options,
        fetch: impl Fn() -> Result<Fetched<T>, CredentialsError> + Send + Sync + 'static,
    ) -> Self {
        Self::build(options, Some(Box::new(fetch)))
    }

    /// A cache whose refreshes its owner runs: [`serve`](Self::serve) hands out a [`Ticket`]
    /// when one is due. Python fetch functions run this way, on a Python thread, so that no
    /// Rust frame is on a stack that CPython may end with `pthread_exit` at shutdown.
    pub fn delegated(options: Options) -> Self {
        Self::build(options, None)
    }

    fn build(options: Options, fetch: Option<Box<FetchFn<T>>>) -> Self {
        RefreshingCache {
            inner: Arc::new(Inner {
                current: ArcSwapOption::empty(),
                coord: ArcSwap::from_pointee(Coordinator::new()),
                fetch,
                options,
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// The hot path: the current entry if no refresh is due yet. No lock, no allocation.
    pub fn fresh(&self) -> Option<Guard<Option<Arc<Entry<T>>>>> {
        let guard = self.inner.current.load();
        match &*guard {
            Some(e) if clock::now_micros() < e.advisory_at => Some(guard),
            _ => None,
        }
    }

    /// Never blocks (the coordination lock is never held across a fetch or a wait). Returns
    /// what the windows say the caller gets now, and a ticket when this call started a
    /// refresh that the caller must run (or hand to [`launch`](Self::launch)) once it holds
    /// no lock of its own.
    pub fn serve(&self) -> (Served<T>, Option<Ticket<T>>) {
        let now = clock::now_micros();
        let current = self.inner.current.load_full();
        if let Some(e) = &current {
            if now < e.advisory_at {
                return (Served::Ready(e.clone()), None);
            }
            if now < e.mandatory_at && !e.is_expired(now) {
                let coord = self.coordinator();
                let mut state = coord.lock();
                // A refresh may have finished between the load above and the lock.
                let still_due = self
                    .inner
                    .current
                    .load()
                    .as_ref()
                    .is_some_and(|c| Arc::ptr_eq(c, e));
                let ticket = if still_due {
                    self.start_refresh(&coord, &mut state, now)
                } else {
                    None
                };
                return (Served::Ready(e.clone()), ticket);
            }
        }
        // Mandatory window, expired or empty: the caller needs a refresh.
        let coord = self.coordinator();
        let mut state = coord.lock();
        let usable = self
            .inner
            .current
            .load_full()
            .filter(|e| !e.is_expired(now));
        if let Some(e) = &usable {
            if now < e.mandatory_at {
                return (Served::Ready(e.clone()), None); // refreshed meanwhile
            }
        }
        if state.in_flight {
            return (Served::Pending, None);
        }
        match self.start_refresh(&coord, &mut state, now) {
            Some(ticket) => (Served::Pending, Some(ticket)),
            // Backing off after a failure: keep what is still valid, else say why.
            None => match usable {
                Some(e) => (Served::Ready(e), None),
                None => (Served::Failed(self.failure(&state)), None),
            },
        }
    }

    /// Runs a ticket of a self-refreshing cache on a short-lived thread of its own.
    pub fn launch(&self, ticket: Ticket<T>) {
        let inner = self.inner.clone();
        ticket.finish_on_thread(move || (inner.fetch.as_ref().expect("a self-refreshing cache"))());
    }

    /// Valid credentials: served, refreshed in the background, or waited for (blocking, at
    /// most the timeout) as the windows say. Self-refreshing caches only.
    pub fn get(&self) -> Result<Arc<Entry<T>>, CredentialsError> {
        self.get_with(&|ticket| self.launch(ticket))
    }

    /// [`get`](Self::get) for any cache: `launch` runs the tickets this call starts.
    pub fn get_with(&self, launch: &dyn Fn(Ticket<T>)) -> Result<Arc<Entry<T>>, CredentialsError> {
        // A timeout too long for the clock (centuries) is no deadline, never an overflow panic.
        let start = Instant::now();
        let deadline = start
            .checked_add(self.inner.options.timeout)
            .unwrap_or(start + Duration::from_secs(u32::MAX.into()));
        loop {
            let (served, ticket) = self.serve();
            if let Some(ticket) = ticket {
                launch(ticket);
            }
            match served {
                Served::Ready(e) => return Ok(e),
                Served::Failed(e) => return Err(e),
                Served::Pending => {}
            }
            let coord = self.coordinator();
            let mut state = coord.lock();
            while state.in_flight {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    drop(state);
                    return self.timed_out();
                }
                state = coord
                    .done
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }

    /// After waiting the whole timeout: the cached credentials while still valid, else an
    /// error saying the refresh did not finish in time.
    pub fn timed_out(&self) -> Result<Arc<Entry<T>>, CredentialsError> {
        let now = clock::now_micros();
        self.inner
            .current
            .load_full()
            .filter(|e| !e.is_expired(now))
            .ok_or_else(|| {
                CredentialsError::transport(
                    self.inner.options.source.clone(),
                    format!(
                        "no credentials: the refresh did not finish within {:.1} s",
                        self.inner.options.timeout.as_secs_f64()
                    ),
                )
            })
    }

    /// How long a caller in the mandatory window waits for a refresh.
    pub fn timeout(&self) -> Duration {
        self.inner.options.timeout
    }

    /// Number of fetches started so far.
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The cached entry, whatever its state.
    pub fn peek(&self) -> Option<Arc<Entry<T>>> {
        self.inner.current.load_full()
    }

    pub fn source(&self) -> &str {
        &self.inner.options.source
    }

    /// The error for a caller left without credentials after failed refreshes.
    fn failure(&self, state: &RefreshState) -> CredentialsError {
        match &state.last_error {
            // The first failure is just its cause: nothing about retries to say yet.
            Some(e) if state.failures <= 1 => e.clone(),
            Some(e) => CredentialsError::new(
                e.kind,
                e.source.clone(),
                format!(
                    // A multi-line cause (the default chain's list) gets the count on a line
                    // of its own, so that it does not read as part of the last source's line.
                    "{}{}(failed {} times in a row; no earlier credentials are still valid)",
                    e.message,
                    if e.message.contains('\n') { "\n" } else { " " },
                    state.failures,
                ),
            ),
            None => {
                CredentialsError::transport(self.inner.options.source.clone(), "no credentials")
            }
        }
    }

    /// Marks a refresh in flight unless one is, or the backoff forbids it; the ticket says
    /// this call started it.
    fn start_refresh(
        &self,
        coord: &Arc<Coordinator>,
        state: &mut RefreshState,
        now: i64,
    ) -> Option<Ticket<T>> {
        if state.in_flight || now < state.retry_at {
            return None;
        }
        state.in_flight = true;
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        Some(Ticket {
            inner: self.inner.clone(),
            coord: coord.clone(),
            finished: false,
        })
    }

    /// The coordinator of this process: a child after `fork()` gets a fresh one, since the
    /// parent's may be locked or waiting for a thread that the child does not have.
    fn coordinator(&self) -> Arc<Coordinator> {
        let coord = self.inner.coord.load_full();
        if coord.pid == std::process::id() {
            return coord;
        }
        let fresh = Arc::new(Coordinator::new());
        let previous = self.inner.coord.compare_and_swap(&coord, fresh.clone());
        if Arc::ptr_eq(&previous, &coord) {
            fresh
        } else {
            // Another thread of the child replaced it first.
            self.inner.coord.load_full()
        }
    }
}

/// Publishes the outcome of one fetch and wakes the callers waiting for it.
fn publish<T>(
    inner: &Inner<T>,
    coord: &Coordinator,
    fetched: Result<Fetched<T>, CredentialsError>,
    log: bool,
) {
    let options = &inner.options;
    let now = clock::now_micros();
    let outcome = fetched.and_then(|f| match f.expires_at {
        Some(e) if e <= now => Err(CredentialsError::service(
            options.source.clone(),
            format!(
                "fetched credentials had already expired ({} s ago)",
                (now - e) / SECOND
            ),
        )),
        _ => Ok(Entry::new(
            f.value,
            now,
            f.expires_at,
            options
                .refresh_interval
                .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
        )),
    });
    let mut state = coord.lock();
    let line = match outcome {
        Ok(entry) => {
            let valid_for = entry.expires_at.map(|e| (e - now) / SECOND);
            inner.current.store(Some(Arc::new(entry)));
            state.failures = 0;
            state.retry_at = 0;
            state.last_error = None;
            Ok(match valid_for {
                Some(s) => format!("credentials refreshed, valid for {s} s"),
                None => "credentials refreshed".to_owned(),
            })
        }
        Err(e) => {
            // With valid credentials still cached, callers are not told: the record is the only
            // trace (WARNING). Without, every caller gets this error: a DEBUG record suffices.
            let still_valid = inner
                .current
                .load()
                .as_ref()
                .is_some_and(|entry| !entry.is_expired(now));
            Err((record_failure(&mut state, e, now), still_valid))
        }
    };
    state.in_flight = false;
    drop(state);
    // Logged after unlocking (forwarding a record to Python takes the GIL, which a caller may
    // hold while it takes this lock) and before waking the waiters, so that a caller who
    // gets the error can already see the record.
    match line {
        _ if !log => {}
        Err((line, true)) => log::warn!("{}: {line}", options.source),
        Err((line, false)) => log::debug!("{}: {line}", options.source),
        Ok(line) => log::debug!("{}: {line}", options.source),
    }
    coord.done.notify_all();
}

/// Records a failed attempt and schedules the next; returns the line to log (once unlocked).
fn record_failure(state: &mut RefreshState, e: CredentialsError, now: i64) -> String {
    state.failures = state.failures.saturating_add(1);
    let wait = match e.kind {
        ErrorKind::Config => CONFIG_RETRY,
        _ => backoff(state.failures, now),
    };
    state.retry_at = now.saturating_add(wait);
    let line = format!(
        "credentials refresh failed (attempt {}), next attempt in {:.1} s: {}",
        state.failures,
        wait as f64 / SECOND as f64,
        e.message
    );
    state.last_error = Some(e);
    line
}

/// Exponential backoff with jitter: 1 s doubling per failure, at most 60 s, each wait drawn
/// from its upper half so that many processes do not retry in step.
fn backoff(failures: u32, now: i64) -> i64 {
    let ceiling = SECOND
        .saturating_mul(1i64 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let half = ceiling / 2;
    half + jitter(now) % (half + 1)
}

/// A cheap pseudo-random number (splitmix64 of the instant and a per-process counter); the
/// jitter only needs to differ between processes and attempts.
fn jitter(now: i64) -> i64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut z = (now as u64)
        .wrapping_add(u64::from(std::process::id()) << 32)
        .wrapping_add(COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    const T0: i64 = 1_700_000_000 * SECOND;

    #[test]
    fn windows_for_an_hour_and_for_fifteen_minutes() {
        let hour = Entry::new((), T0, Some(T0 + 60 * MINUTE), None);
        assert_eq!(hour.advisory_at, T0 + 45 * MINUTE); // e - 15 min beats f + L/2
        assert_eq!(hour.mandatory_at, T0 + 55 * MINUTE); // e - 5 min beats f + 3L/4
        let short = Entry::new((), T0, Some(T0 + 15 * MINUTE), None);
        assert_eq!(short.advisory_at, T0 + 7 * MINUTE + 30 * SECOND); // f + L/2
        assert_eq!(
            short.mandatory_at,
            T0 + 11 * MINUTE + 15 * SECOND // f + 3L/4
        );
        let forever = Entry::new((), T0, None, Some(10 * MINUTE));
        assert_eq!(forever.advisory_at, T0 + 10 * MINUTE);
        assert_eq!(forever.mandatory_at, i64::MAX);
        assert!(!forever.is_expired(i64::MAX - 1));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for failures in 1..40 {
            let ceiling = (SECOND << (failures - 1).min(16)).min(MAX_BACKOFF);
            for now in [0, 1, T0, T0 + 7] {
                let b = backoff(failures, now);
                assert!(b >= ceiling / 2 && b <= ceiling, "{failures}: {b}");
            }
        }
        assert!(backoff(100, T0) <= MAX_BACKOFF);
    }

    fn options(timeout_ms: u64) -> Options {
        Options {
            source: "test".into(),
            refresh_interval: None,
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[test]
    fn failing_first_fetch_is_an_error_naming_the_cause() {
        let _clock = Frozen::at(T0);
        let cache = RefreshingCache::<u32>::new(options(60_000), || {
            Err(CredentialsError::service("test", "upstream said 500"))
        });
        let err = cache.get().err().expect("no credentials");
        assert!(err.message.contains("upstream said 500"), "{err}");
        assert_eq!(cache.fetch_count(), 1);
        // Backing off: no second fetch right away.
        assert!(cache.get().is_err());
        assert_eq!(cache.fetch_count(), 1);
    }

    #[test]
    fn a_panicking_fetch_is_a_credentials_error_not_a_dead_thread() {
        let _clock = Frozen::at(T0);
        // Generous: the refresh thread must report, not leave the caller to time out.
        let cache = RefreshingCache::<u32>::new(options(60_000), || {
            panic!("a source bug");
        });
        let err = cache.get().err().expect("no credentials");
        assert!(err.message.contains("panicked"), "{err}");
        assert!(!err.message.contains("timed out"), "{err}");
        assert_eq!(cache.fetch_count(), 1);
    }

    struct Frozen(#[allow(dead_code)] MutexGuard<'static, ()>);

    impl Frozen {
        fn at(micros: i64) -> Self {
            let guard = clock::test_lock();
            clock::freeze(micros);
            Frozen(guard)
        }
        fn set(&self, micros: i64) {
            clock::freeze(micros);
        }
    }

    impl Drop for Frozen {
        fn drop(&mut self) {
            clock::restore(None);
        }
    }

    /// A cache whose fetch hands out 1-hour credentials numbered 1, 2, ... (or fails while
    /// `fail` is set); returns the cache and the switch.
    fn numbered() -> (RefreshingCache<u32>, Arc<AtomicBool>) {
        let fail = Arc::new(AtomicBool::new(false));
        let f = fail.clone();
        let n = AtomicU64::new(0);
        let cache = RefreshingCache::new(options(5000), move || {
            if f.load(Ordering::SeqCst) {
                return Err(CredentialsError::transport("test", "upstream down"));
            }
            let i = n.fetch_add(1, Ordering::SeqCst) as u32 + 1;
            Ok(Fetched {
                value: i,
                expires_at: Some(clock::now_micros() + 60 * MINUTE),
            })
        });
        (cache, fail)
    }

    fn wait_until(mut done: impl FnMut() -> bool) {
        // Generous: a loaded machine is slow, only a hang may fail this.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(
                Instant::now() < deadline,
                "background refresh never finished"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn advisory_refreshes_in_background_and_mandatory_waits() {
        let clock = Frozen::at(T0);
        let (cache, _) = numbered();
        assert_eq!(cache.get().unwrap().value, 1);
        assert!(cache.fresh().is_some());
        // Advisory: current credentials at once, one background fetch however many callers.
        clock.set(T0 + 46 * MINUTE);
        assert!(cache.fresh().is_none());
        for _ in 0..100 {
            assert!(matches!(cache.get().unwrap().value, 1 | 2));
        }
        wait_until(|| cache.peek().unwrap().value == 2);
        assert_eq!(cache.fetch_count(), 2);
        // Mandatory for the second credentials (fetched at T0 + 46 min): waits, gets the third.
        clock.set(T0 + 46 * MINUTE + 56 * MINUTE);
        assert_eq!(cache.get().unwrap().value, 3);
        assert_eq!(cache.fetch_count(), 3);
    }

    #[test]
    fn failures_keep_valid_credentials_back_off_and_recover() {
        let clock = Frozen::at(T0);
        let (cache, fail) = numbered();
        cache.get().unwrap();
        fail.store(true, Ordering::SeqCst);
        clock.set(T0 + 56 * MINUTE); // mandatory: the refresh fails, the valid ones are served
        assert_eq!(cache.get().unwrap().value, 1);
        assert_eq!(cache.fetch_count(), 2);
        // Within the backoff (at least half a second): no new attempt.
        clock.set(T0 + 56 * MINUTE + SECOND / 4);
        assert_eq!(cache.get().unwrap().value, 1);
        assert_eq!(cache.fetch_count(), 2);
        // Expired, still failing, past the backoff: an error with the cause, never expired ones.
        clock.set(T0 + 61 * MINUTE);
        let err = cache.get().err().expect("expired");
        assert!(err.message.contains("upstream down"), "{err}");
        // Recovery.
        fail.store(false, Ordering::SeqCst);
        clock.set(T0 + 63 * MINUTE);
        assert_eq!(cache.get().unwrap().value, 2);
    }

    /// Configuration errors are retried a second later however often they repeat (no
    /// exponential backoff), keep valid credentials served meanwhile, and keep their kind; a
    /// transient error after them backs off as usual.
    #[test]
    fn configuration_errors_are_retried_without_backoff() {
        let clock = Frozen::at(T0);
        let kind = Arc::new(Mutex::new(None::<ErrorKind>));
        let k = kind.clone();
        let n = AtomicU64::new(0);
        let cache = RefreshingCache::new(options(60_000), move || {
            if let Some(kind) = *k.lock().unwrap() {
                return Err(CredentialsError::new(kind, "test", "bad profile"));
            }
            Ok(Fetched {
                value: n.fetch_add(1, Ordering::SeqCst) as u32 + 1,
                expires_at: Some(clock::now_micros() + 60 * MINUTE),
            })
        });
        assert_eq!(cache.get().unwrap().value, 1);
        *kind.lock().unwrap() = Some(ErrorKind::Config);
        // Mandatory window: each failed attempt keeps the valid credentials served, and the
        // next one comes exactly a second later, the tenth as soon as the first.
        let mut at = T0 + 56 * MINUTE;
        for attempt in 1..=10 {
            clock.set(at);
            assert_eq!(cache.get().unwrap().value, 1);
            assert_eq!(cache.fetch_count(), 1 + attempt);
            clock.set(at + SECOND - 1);
            assert_eq!(cache.get().unwrap().value, 1);
            assert_eq!(
                cache.fetch_count(),
                1 + attempt,
                "retried within the second"
            );
            at += SECOND;
        }
        // Expired: every caller gets the error, of its kind; still retried each second.
        clock.set(T0 + 61 * MINUTE);
        let err = cache.get().err().expect("expired");
        assert_eq!(err.kind, ErrorKind::Config);
        assert!(err.message.starts_with("bad profile"), "{err}");
        let fetches = cache.fetch_count();
        clock.set(T0 + 61 * MINUTE + SECOND);
        assert!(cache.get().is_err());
        assert_eq!(cache.fetch_count(), fetches + 1);
        // Fixed: taken into account a second later.
        *kind.lock().unwrap() = None;
        clock.set(T0 + 61 * MINUTE + 2 * SECOND);
        assert_eq!(cache.get().unwrap().value, 2);
        // A transient error, by contrast, backs off: each attempt comes once the longest
        // possible wait is over, and after the 7th failure in a row the wait is over 29 s.
        *kind.lock().unwrap() = Some(ErrorKind::Transport);
        let mut at = T0 + 61 * MINUTE + 2 * SECOND + 56 * MINUTE;
        let mut last = at;
        for failures in 1..=7 {
            let fetches = cache.fetch_count();
            clock.set(at);
            assert_eq!(cache.get().unwrap().value, 2);
            assert_eq!(cache.fetch_count(), fetches + 1);
            last = at;
            at += (SECOND << (failures - 1)).min(MAX_BACKOFF);
        }
        let fetches = cache.fetch_count();
        clock.set(last + 29 * SECOND);
        assert_eq!(cache.get().unwrap().value, 2);
        assert_eq!(cache.fetch_count(), fetches, "backing off");
    }

    #[test]
    fn credentials_arriving_expired_replace_nothing() {
        let _clock = Frozen::at(T0);
        let cache = RefreshingCache::<u32>::new(options(60_000), || {
            Ok(Fetched {
                value: 9,
                expires_at: Some(clock::now_micros() - SECOND),
            })
        });
        let err = cache.get().err().expect("expired on arrival");
        assert!(err.message.contains("already expired"), "{err}");
        assert!(cache.peek().is_none());
    }

    #[test]
    fn hanging_fetch_times_out() {
        let _clock = Frozen::at(T0);
        let release = Arc::new(AtomicBool::new(false));
        let r = release.clone();
        let cache = RefreshingCache::<u32>::new(options(200), move || {
            while !r.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Fetched {
                value: 1,
                expires_at: None,
            })
        });
        let started = Instant::now();
        let err = cache.get().err().expect("timed out");
        assert!(err.message.contains("did not finish within 0.2 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
        release.store(true, Ordering::Relaxed);
    }

    #[test]
    fn delegated_refreshes_are_run_by_whoever_holds_the_ticket() {
        let clock = Frozen::at(T0);
        let cache = RefreshingCache::<u32>::delegated(options(60_000));
        // Empty: the first caller gets the ticket and must wait; others see it in flight.
        let (served, ticket) = cache.serve();
        assert!(matches!(served, Served::Pending));
        let ticket = ticket.expect("this call started the refresh");
        let (served, second) = cache.serve();
        assert!(matches!(served, Served::Pending) && second.is_none());
        ticket.finish(Ok(Fetched {
            value: 7,
            expires_at: Some(T0 + 60 * MINUTE),
        }));
        assert!(matches!(cache.serve(), (Served::Ready(e), None) if e.value == 7));
        // Advisory: served at once, with the ticket for the background refresh. Dropping it
        // unrun is a failed attempt, not a refresh in flight forever.
        clock.set(T0 + 46 * MINUTE);
        let (served, ticket) = cache.serve();
        assert!(matches!(served, Served::Ready(ref e) if e.value == 7));
        drop(ticket.expect("advisory refresh"));
        let (served, ticket) = cache.serve();
        assert!(matches!(served, Served::Ready(_)) && ticket.is_none()); // backing off
                                                                         // Expired with only failures behind: the error says why.
        clock.set(T0 + 61 * MINUTE);
        let (served, ticket) = cache.serve();
        drop(ticket.expect("past the backoff: a new attempt"));
        match cache.serve().0 {
            Served::Failed(e) => assert!(e.message.contains("ended without a result"), "{e}"),
            _ => panic!("expired credentials must not be served"),
        }
        assert!(matches!(served, Served::Pending));
    }
}
