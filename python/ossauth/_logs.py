"""The Rust core's log records, handed to ``logging`` from Python threads.

No thread spawned by Rust takes the GIL (a refresh thread that did so while the interpreter
finalizes would abort the process on CPython < 3.14; see ``src/python/logs.rs``). On Unix the
core sends each record as one datagram on a socket pair made here; elsewhere records wait in a
bounded queue in the core. A daemon thread, running while Rust refresh threads do, hands them to
``logging`` as they come; a Python refresh thread hands its own on as it ends; ``drain()`` does
so at once on the caller's thread, before a refresh error reaches the caller, so that the
failure's record comes first.

A record is ``level<TAB>logger name<TAB>file<TAB>line<TAB>message``: the level as ``log``'s number
(1 = error .. 5 = trace), the logger name like ``ossauth.credentials.cache``, where in the Rust
source it was logged.
"""

import _thread as _lowlevel
import logging
import os
import select
import socket
import threading
import time

from . import _core

_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: 5}
_DATAGRAM = 65536
_UNIX = hasattr(_core, "_log_socket")
# How often the thread looks again without being woken: whether refreshes still run, and on
# Windows the queue (which cannot wake it without a Rust frame).
_IDLE = 0.25

_lock = threading.Lock()
# Held while a record is taken and handed on, so that drain() returns only once a record the
# daemon thread took is in `logging` too (without it, a caller could get a refresh error
# while the thread still held that failure's record). Reentrant: a handler may log again.
_emitting = threading.RLock()
# How long drain() waits for the thread to finish handing a record on. Bounded: at exit a
# daemon thread can be stopped while it holds the lock.
_EMIT_WAIT = 5.0
_reader = None
_thread = None
_starting = False


def _emit(line):
    parts = line.split("\t", 4)
    if len(parts) != 5 or not parts[0].isdigit():
        parts = ["2", "ossauth", "", "0", line]
    level, name, path, lineno, message = parts
    logger = logging.getLogger(name)
    level = _LEVELS.get(int(level), logging.WARNING)
    if logger.isEnabledFor(level):
        # Where in the Rust source, as the record's location (as pyo3-log did).
        lineno = int(lineno) if lineno.isdigit() else 0
        logger.handle(logger.makeRecord(name, level, path, lineno, message, None, None))


def _open(after_fork=False):
    """A new socket pair: the core owns the write end (it is never closed here, so its number
    cannot come to name another file), this module the read end."""
    global _reader
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    writer.setblocking(False)
    _core._log_socket(writer.detach(), after_fork=after_fork)
    _reader = reader


def drain():
    """Hands every record waiting now to ``logging``, after any record another thread is
    handing on; it waits for no new record."""
    emitting = _emitting
    if not emitting.acquire(timeout=_EMIT_WAIT):
        return
    try:
        if not _UNIX:
            for line in _core._take_logs():
                _emit(line)
            return
        reader = _reader
        while reader is not None:
            try:
                data = reader.recv(_DATAGRAM, socket.MSG_DONTWAIT)
            except OSError:  # nothing waiting (EAGAIN), or closed at exit
                return
            _emit(data.decode("utf-8", "replace"))
    finally:
        emitting.release()


def _wait(timeout):
    """Until a record may be waiting, or ``timeout`` seconds have passed."""
    reader = _reader
    if reader is None:  # Windows: nothing can wake this thread without a Rust frame
        time.sleep(timeout)
        return
    try:
        select.select([reader], [], [], timeout)
    except (OSError, ValueError):  # closed at exit
        time.sleep(timeout)


def _pump():
    # Only Python frames here: at interpreter exit CPython may end this thread at any point.
    global _thread
    while True:
        _wait(_IDLE)
        try:
            drain()
        except Exception:  # noqa: BLE001 - a broken handler must not stop later records
            pass
        with _lock:
            # A refresh thread sends its records before it stops counting: with none running,
            # what is left is in the socket. A refresh started after this calls start() again.
            if _core._refresh_threads() == 0:
                _thread = None
                break
    drain()


def start():
    """Makes sure a thread hands records to ``logging`` (called as a Rust refresh thread
    starts; the thread ends once none runs, so an idle process has none)."""
    global _thread
    if _thread is not None:
        return
    with _lock:
        if _thread is None:
            thread = threading.Thread(target=_pump, name="ossauth-logs", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                # At interpreter shutdown (3.12+) no thread starts: records wait in the socket
                # for the next drain(), or are lost with the process.
                return
            _thread = thread


def ensure():
    """``start()`` for code under a Rust frame, which must never wait (a wait releases the GIL,
    and at interpreter exit CPython < 3.14 ends such a thread with an unwind that aborts in Rust
    frames): ``Thread.start()`` waits, so a thread of the low-level module, which starts without
    waiting, calls ``start()``."""
    global _starting
    if _thread is not None or _starting:
        return
    _starting = True
    try:
        _lowlevel.start_new_thread(_start_then_clear, ())
    except RuntimeError:  # at interpreter shutdown (3.12+)
        _starting = False


def _start_then_clear():
    global _starting
    try:
        start()
    finally:
        _starting = False


def _after_fork_in_child():
    # The parent's thread is gone and its socket is the parent's: a new pair; the next refresh
    # starts a new thread (records logged before then wait in the new socket).
    global _lock, _emitting, _thread, _starting
    _lock = threading.Lock()
    _emitting = threading.RLock()
    _thread = None
    _starting = False
    old = _reader
    _open(after_fork=True)
    if old is not None:
        old.close()


if _UNIX:
    _open()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
