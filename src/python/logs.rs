//! The core's log records, handed to Python's `logging` without a Rust thread ever taking the
//! GIL.
//!
//! Refreshes run on threads spawned by Rust. On CPython < 3.14 a thread that waits for the GIL
//! while the interpreter finalizes is ended with a forced unwind, which aborts the process when
//! it meets Rust frames; so this logger never touches Python. On Unix each record is one
//! datagram on a socket pair made by `ossauth/_logs.py`, whose daemon thread (Python frames
//! only) hands it to `logging`; `get_credentials()` drains the socket (in Python) before it
//! raises a refresh error, so its record comes first. No Rust frame ever calls Python code
//! that may wait (a handler writing, `Thread.start()`): such a wait would be the same hazard
//! for the caller's thread. Elsewhere (Windows, which ends such threads without unwinding, and
//! has no `fork`) records wait in a bounded queue that Python drains.

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;

/// A record longer than this is cut (a datagram, and a log line, stay small).
const MAX_MESSAGE: usize = 8 * 1024;

/// Targets whose records are not forwarded: the HTTP stack says nothing our errors do not.
const QUIET: [&str; 3] = ["ureq", "ureq_proto", "rustls"];

struct Forward;

static LOGGER: Forward = Forward;

/// Installs the logger (once per process; a second install keeps the first).
pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// `level\ttarget\tfile\tline\tmessage`: the level as its number (1 = error .. 5 = trace), the
/// target as a `logging` name (`ossauth.credentials.cache`), where in the Rust source it was
/// logged, the message cut at [`MAX_MESSAGE`].
fn encode(record: &Record<'_>) -> String {
    use std::fmt::Write;
    let mut line = String::with_capacity(128);
    let _ = write!(
        line,
        "{}\t{}\t{}\t{}\t{}",
        record.level() as usize,
        record.target().replace("::", "."),
        record.file().unwrap_or("").replace('\t', " "),
        record.line().unwrap_or(0),
        record.args()
    );
    if line.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str(" [cut]");
    }
    line
}

impl Log for Forward {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Debug
            && !QUIET
                .iter()
                .any(|q| metadata.target().split("::").next() == Some(q))
    }

    fn log(&self, record: &Record<'_>) {
        // Once the interpreter exits, nothing would hand records on: they are dropped.
        if self.enabled(record.metadata()) && !super::exit::exiting() {
            transport::send(encode(record));
        }
    }

    fn flush(&self) {}
}

#[cfg(unix)]
mod transport {
    //! One datagram a record on the socket `ossauth/_logs.py` handed over.

    use std::sync::atomic::{AtomicI32, Ordering};

    use pyo3::prelude::*;

    /// The write end (owned here once handed over; -1 until then: records are dropped).
    static SOCKET: AtomicI32 = AtomicI32::new(-1);

    /// No SIGPIPE if the reading end is gone (Python ignores SIGPIPE, an embedder may not).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const FLAGS: libc::c_int = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const FLAGS: libc::c_int = libc::MSG_DONTWAIT;

    pub fn send(line: String) {
        let fd = SOCKET.load(Ordering::Acquire);
        if fd < 0 {
            return;
        }
        // SAFETY: `line` is a live buffer of `line.len()` bytes. `fd` is the write end handed to
        // `_log_socket`, which Python detached from its socket object and never closes, so the
        // number cannot name another file. A full buffer (EAGAIN) or a closed peer drops the
        // record: logging must never block a refresh.
        unsafe {
            libc::send(fd, line.as_ptr().cast(), line.len(), FLAGS);
        }
    }

    /// Takes ownership of the write end of a datagram socket pair. Called at import, and again in
    /// a forked child (`after_fork`), where no other thread runs: it closes the parent's, and
    /// forgets the parent's refresh threads.
    #[pyfunction]
    #[pyo3(signature = (fd, *, after_fork=false))]
    pub fn _log_socket(fd: i32, after_fork: bool) {
        if after_fork {
            crate::credentials::cache::forget_refresh_threads();
        }
        let old = SOCKET.swap(fd, Ordering::AcqRel);
        if old >= 0 && old != fd {
            // SAFETY: `old` was handed over by an earlier call and is owned here; after the swap
            // no new send can load it, and in a forked child no thread is sending.
            unsafe {
                libc::close(old);
            }
        }
    }

    pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(_log_socket, m)?)
    }
}

#[cfg(not(unix))]
mod transport {
    //! A bounded queue that Python drains (no fork here, so a lock cannot be inherited held).

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use pyo3::prelude::*;

    /// Beyond this many undrained records, new ones are dropped.
    const CAPACITY: usize = 1000;

    static QUEUE: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

    pub fn send(line: String) {
        let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
        if queue.len() < CAPACITY {
            queue.push_back(line);
        }
    }

    /// The records logged since the last call, oldest first.
    #[pyfunction]
    pub fn _take_logs() -> Vec<String> {
        let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
        queue.drain(..).collect()
    }

    pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(_take_logs, m)?)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    transport::register(m)?;
    m.add_function(wrap_pyfunction!(_refresh_threads, m)?)
}

/// Makes sure a Python thread hands records to `logging` (as a Rust refresh thread starts; it
/// ends once none runs, so an idle process has none). Never waits: see `ossauth._logs.ensure`.
pub fn start(py: Python<'_>) {
    static ENSURE: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    let started = ENSURE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("ossauth._logs")?.getattr("ensure")?.unbind())
        })
        .and_then(|f| f.call0(py));
    if let Err(e) = started {
        // Logging must not turn into the caller's error.
        e.write_unraisable(py, None);
    }
}

/// How many refresh threads are running (the Python thread that hands records on ends when
/// none are).
#[pyfunction]
pub fn _refresh_threads() -> usize {
    crate::credentials::cache::refresh_threads()
}
