//! Releasing the GIL safely at interpreter exit.
//!
//! On CPython < 3.14 a daemon thread that takes the GIL back once the interpreter finalizes is
//! ended with a forced unwind (`pthread_exit`), which aborts the process when it meets Rust
//! frames (pyo3's trampoline, `catch_unwind`). So a thread of the application waiting in
//! ossauth without the GIL (an auth object waiting for a mandatory refresh, `sign_urls`) never
//! takes it back after the interpreter began to exit: it parks for good instead, as CPython
//! 3.14 does itself with such threads, and the process ends around it.
//!
//! `atexit` runs after the non-daemon threads have been joined and before finalization, so only
//! daemon threads ever park; never the thread that runs `atexit` and finalizes (an exit
//! function registered before ossauth's may still sign), which CPython does not end. A thread
//! already on its way back into the GIL when `atexit` runs is let through first: it announces
//! itself (`RETURNING`) before it looks at `EXITING`, and the hook sets `EXITING` before it
//! waits, with the GIL released, for the announced ones to be back (sequentially consistent,
//! so that one side always sees the other).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::OnceLock;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

static EXITING: AtomicBool = AtomicBool::new(false);
/// The thread that runs `atexit`, and then finalizes: it must never park.
static FINALIZER: OnceLock<ThreadId> = OnceLock::new();
/// Threads between deciding to take the GIL back and holding it.
static RETURNING: AtomicUsize = AtomicUsize::new(0);

/// How long the exit hook lets returning threads take the GIL back (they only wait for it).
const LET_THROUGH: Duration = Duration::from_secs(5);

/// Called by `atexit` (registered at import, so it runs after the application's handlers).
#[pyfunction]
pub fn _interpreter_exiting(py: Python<'_>) {
    // Set before EXITING: whoever sees EXITING sees who must not park.
    let _ = FINALIZER.set(std::thread::current().id());
    EXITING.store(true, SeqCst);
    if RETURNING.load(SeqCst) == 0 {
        return;
    }
    // Plain allow_threads: this thread is the one finalizing, it must come back.
    py.allow_threads(|| {
        let deadline = Instant::now() + LET_THROUGH;
        while RETURNING.load(SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Whether the interpreter began to exit (`atexit` has run our hook).
pub fn exiting() -> bool {
    EXITING.load(SeqCst)
}

/// Announces a return into the GIL, or parks for good once the interpreter exits.
fn announce_return() {
    RETURNING.fetch_add(1, SeqCst);
    if EXITING.load(SeqCst) && FINALIZER.get() != Some(&std::thread::current().id()) {
        RETURNING.fetch_sub(1, SeqCst);
        loop {
            std::thread::park();
        }
    }
}

/// `py.allow_threads(f)`, except that a thread whose `f` ends after the interpreter began to
/// exit parks instead of taking the GIL back.
pub fn allow_threads<T, F>(py: Python<'_>, f: F) -> T
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    let out = py.allow_threads(|| {
        let out = f();
        announce_return();
        out
    });
    RETURNING.fetch_sub(1, SeqCst);
    out
}

/// `Python::with_gil(f)` from a thread that released the GIL: parks instead once the
/// interpreter exits.
pub fn with_gil<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    announce_return();
    Python::with_gil(|py| {
        RETURNING.fetch_sub(1, SeqCst);
        f(py)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_interpreter_exiting, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (&hook,))?;
    m.add_function(hook)
}
