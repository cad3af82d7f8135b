"""RefreshingCredentialsProvider under concurrency: 64 threads across the advisory, mandatory
and expired boundaries of the frozen clock; fork() while a refresh is in flight (and when idle);
asyncio during a slow refresh; interpreter exit during a background refresh (promptly, and
without aborting when a thread inside ossauth needs the GIL while the interpreter finalizes);
garbage collection of a provider in a reference cycle; and what the package leaves alone (the
root logger's configuration, the process's threads).

Every instant the cache decides on comes from ossauth's frozen clock
(``ossauth.testing.frozen_time`` / ``ossauth._core._freeze_clock``), so the windows are crossed
exactly when the test says. Waits are event-driven (gates inside ``fetch``); the only time
limits are generous deadlines that turn a hang into a failure.
"""

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections import Counter

import pytest

import ossauth
from ossauth import _core
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forking import run_in_fork  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

SEC = 1_000_000  # the core clock counts microseconds
T0 = 1_700_000_000  # epoch seconds every test starts from
HOUR = 3600


def now_us():
    return _core._now_micros()


def set_clock(seconds):
    """Moves the frozen clock (inside a ``frozen_time`` block, which restores it on exit)."""
    _core._freeze_clock(int(seconds * SEC))


class GatedFetch:
    """Upstream handing out credentials AK1, AK2, ... (unique per call), each valid for one
    hour from the frozen now at the moment it is handed out. Call ``n`` waits on a gate when
    ``hold(n)`` closed one, so that callers pile up while that refresh is in flight."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = 0
        self.gates = {}
        self.entered = {}
        self.made = {}  # key id -> the Credentials object handed to the provider

    def hold(self, n):
        self.gates[n] = threading.Event()
        self.entered[n] = threading.Event()

    def release_all(self):
        for gate in list(self.gates.values()):
            gate.set()

    def __call__(self):
        with self.lock:
            self.calls += 1
            n = self.calls
        if n in self.entered:
            self.entered[n].set()
        gate = self.gates.get(n)
        if gate is not None and not gate.wait(HANG):
            raise RuntimeError("gate %d was never opened" % n)
        key = "AK%d" % n
        creds = ossauth.Credentials(key, "secret-%d" % n, "token-%d" % n, now_us() // SEC + HOUR)
        self.made[key] = creds
        return creds


class Hammer(threading.Thread):
    """Calls get_credentials() in a loop; tallies (clock before, clock after, key id)."""

    def __init__(self, provider, made, stop):
        super().__init__(daemon=True, name="hammer")
        self.provider, self.made, self.stop = provider, made, stop
        self.tally = Counter()
        self.calls = 0
        self.pending_since = None  # the frozen clock when the pending call started
        self.last_key = None
        self.errors = []
        self.error_count = 0
        self.foreign = 0  # returned objects that are not the one fetch() handed over

    def run(self):
        get = self.provider.get_credentials
        made, tally, stop = self.made, self.tally, self.stop
        while not stop.is_set():
            before = now_us()
            self.pending_since = before
            try:
                creds = get()
            except BaseException as e:  # recorded: the test asserts there were none
                self.error_count += 1
                if len(self.errors) < 5:
                    self.errors.append("%s: %s" % (type(e).__name__, e))
                self.pending_since = None
                time.sleep(0.001)
                continue
            after = now_us()
            self.pending_since = None
            key = creds.access_key_id
            if made.get(key) is not creds:
                self.foreign += 1
            tally[(before, after, key)] += 1
            self.last_key = key
            self.calls += 1


def test_64_threads_across_advisory_mandatory_and_expiry_boundaries():
    fetch = GatedFetch()
    provider = ossauth.RefreshingCredentialsProvider(fetch, timeout=HANG)  # waits are never cut short
    stop = threading.Event()
    hammers = [Hammer(provider, fetch.made, stop) for _ in range(64)]
    t1 = T0 + 46 * 60  # AK1 (fetched at T0, expires T0+60 min): advisory from T0+45 min
    t2 = t1 + 56 * 60  # AK2 (fetched at t1): mandatory from t1+55 min, still valid until t1+60
    t3 = t2 + HOUR + 60  # AK3 (fetched at t2) expired a minute ago
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # many more thread switches: more interleavings in the cache
    with frozen_time(T0):  # the hammers are stopped before the clock runs again
        try:
            first = provider.get_credentials()
            assert first.access_key_id == "AK1" and fetch.calls == 1
            for h in hammers:
                h.start()
            wait_for(lambda: all(h.last_key == "AK1" for h in hammers), "every thread to get AK1")
            assert fetch.calls == 1, "fresh credentials were fetched again"

            # Advisory: one background refresh; while it is held, every thread keeps being served.
            fetch.hold(2)
            set_clock(t1)
            assert fetch.entered[2].wait(DEADLINE), "no refresh started in the advisory window"
            marks = [h.calls for h in hammers]
            wait_for(
                lambda: all(h.calls >= m + 3 for h, m in zip(hammers, marks)),
                "every thread to be served while the advisory refresh is in flight "
                "(advisory callers must not wait)",
            )
            assert fetch.calls == 2, "more than one fetch for one advisory refresh"
            fetch.gates[2].set()
            wait_for(lambda: all(h.last_key == "AK2" for h in hammers), "every thread to see AK2")

            # Mandatory, then expired: every thread waits for the one shared refresh. A call
            # that started just before the clock moved may carry the previous instant.
            for n, at in ((3, t2), (4, t3)):
                fetch.hold(n)
                set_clock(at)
                assert fetch.entered[n].wait(DEADLINE), "no refresh started at %d" % at
                wait_for(
                    lambda: all(h.pending_since is not None for h in hammers),
                    "all 64 threads to be waiting for refresh %d" % n,
                )
                assert fetch.calls == n, "more than one fetch for one refresh"
                fetch.gates[n].set()
                key = "AK%d" % n
                wait_for(lambda: all(h.last_key == key for h in hammers), "every thread to see " + key)

            # Settled: no stray refresh afterwards. A negative check: the pause only gives a
            # stray refresh the chance to show; a slow machine can make it miss one (pass more
            # easily), never fail the test. Every thread is served at least once meanwhile.
            marks = [h.calls for h in hammers]
            time.sleep(0.1)
            wait_for(lambda: all(h.calls > m for h, m in zip(hammers, marks)), "every thread to be served AK4")
            assert fetch.calls == 4 and provider._fetch_count() == 4
        finally:
            stop.set()
            fetch.release_all()
            for h in hammers:
                if h.ident is not None:
                    h.join(DEADLINE)
            sys.setswitchinterval(switch)
    assert not [h for h in hammers if h.is_alive()], "threads stuck in get_credentials()"

    errors = [e for h in hammers for e in h.errors]
    assert sum(h.error_count for h in hammers) == 0, errors
    assert sum(h.foreign for h in hammers) == 0, "get_credentials() returned an object fetch() did not make"

    expires = {key: int(c.expiration.timestamp()) * SEC for key, c in fetch.made.items()}
    tally = Counter()
    for h in hammers:
        tally.update(h.tally)
    assert set(k for _, _, k in tally) == {"AK1", "AK2", "AK3", "AK4"}
    # Never expired: valid at the frozen instant of return; when the test moved the clock during
    # the call, valid at least when the call started (the cache decided in between).
    expired = [
        (b // SEC, a // SEC, k, n)
        for (b, a, k), n in tally.items()
        if not (expires[k] > b and (b != a or expires[k] > a))
    ]
    assert not expired, "expired credentials returned (start, return, key, calls): %r" % expired[:10]

    def served(at):  # keys returned by calls that started and returned at the same instant
        return {k for (b, a, k) in tally if b == a == at * SEC}

    assert served(T0) == {"AK1"}
    assert served(t1) and served(t1) <= {"AK1", "AK2"}
    assert served(t2) == {"AK3"}, "the mandatory window served without waiting for the refresh"
    assert served(t3) == {"AK4"}, "expired credentials served, or the refresh not waited for"


# ---------------------------------------------------------------------------------------------
# fork()
# ---------------------------------------------------------------------------------------------


class ForkFetch:
    """In the parent: PARENT-<n>, the calls from ``block_from`` on held until ``gate`` is set.
    In a forked child (another pid): CHILD-<n> at once, never blocking."""

    def __init__(self, block_from=2):
        self.parent_pid = os.getpid()
        self.block_from = block_from
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.parent_calls = 0
        self.child_calls = 0

    def __call__(self):
        if os.getpid() != self.parent_pid:
            self.child_calls += 1
            return ossauth.Credentials(
                "CHILD-%d" % self.child_calls, "child-secret", "child-token", now_us() // SEC + HOUR
            )
        self.parent_calls += 1
        n = self.parent_calls
        if n >= self.block_from:
            self.entered.set()
            if not self.gate.wait(HANG):
                raise RuntimeError("the parent's gate was never opened")
        return ossauth.Credentials("PARENT-%d" % n, "parent-secret", "parent-token", now_us() // SEC + HOUR)


OSSAUTH_DIR = os.path.dirname(os.path.abspath(ossauth.__file__)) + os.sep


def in_ossauth(thread):
    """Whether ``thread``'s innermost Python frame is in the ossauth package."""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(OSSAUTH_DIR)


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork() tests run on Linux")


@linux_only
@pytest.mark.parametrize("state", ["empty-cache", "mandatory", "advisory"])
def test_fork_while_a_refresh_is_in_flight_child_refreshes_on_its_own(state):
    fetch = ForkFetch(block_from=1 if state == "empty-cache" else 2)
    provider = ossauth.RefreshingCredentialsProvider(fetch, timeout=HANG)  # longer than the deadline
    waiter_result = []

    def waiter():
        try:
            waiter_result.append(provider.get_credentials().access_key_id)
        except BaseException as e:
            waiter_result.append(e)

    thread = None
    try:
        with frozen_time(T0):
            if state != "empty-cache":
                assert provider.get_credentials().access_key_id == "PARENT-1"
                set_clock(T0 + (56 if state == "mandatory" else 46) * 60)
            if state == "advisory":
                # Starts the background refresh; returns the current credentials at once.
                assert provider.get_credentials().access_key_id == "PARENT-1"
            else:
                thread = threading.Thread(target=waiter, daemon=True)
                thread.start()
            assert fetch.entered.wait(DEADLINE), "the parent's refresh never started"
            if thread is not None:
                # Only the waiter's call can have started that refresh, so it is inside
                # get_credentials(); fork once it waits there (its innermost Python frame is
                # ossauth's), not after a pause that a slow machine may not honour.
                wait_for(lambda: in_ossauth(thread), "the waiter to wait inside get_credentials()")

            def child():
                first = provider.get_credentials().access_key_id
                latest = first
                if state == "advisory":
                    # Served at once; the child's own background refresh then lands.
                    wait_for(lambda: provider.get_credentials().access_key_id.startswith("CHILD"),
                             "the child's own background refresh", interval=0.005)
                    latest = provider.get_credentials().access_key_id
                return {"first": first, "latest": latest, "child_fetches": fetch.child_calls}

            got = run_in_fork(child)
            if state == "advisory":
                assert got["first"] == "PARENT-1", got
                assert got["latest"] == "CHILD-1", "the child never refreshed on its own: %r" % got
            else:
                assert got["first"] == "CHILD-1", got
            assert got["child_fetches"] == 1, got

            # The parent is undisturbed: its refresh completes and is served.
            fetch.gate.set()
            expected = "PARENT-1" if state == "empty-cache" else "PARENT-2"
            if thread is not None:
                thread.join(DEADLINE)
                assert not thread.is_alive() and waiter_result == [expected], waiter_result
            wait_for(lambda: provider.get_credentials().access_key_id == expected, "the parent's refresh")
            assert fetch.child_calls == 0 and provider._fetch_count() == fetch.parent_calls
    finally:
        fetch.gate.set()


@linux_only
def test_fork_when_idle_child_serves_the_same_credentials_without_fetching():
    fetch = ForkFetch()
    provider = ossauth.RefreshingCredentialsProvider(fetch)
    with frozen_time(T0):
        creds = provider.get_credentials()
        count = provider._fetch_count()

        def child():
            c = provider.get_credentials()
            return {
                "same_object": c is creds,
                "values": [c.access_key_id, c.access_key_secret, c.security_token,
                           c.expiration.timestamp()],
                "child_fetches": fetch.child_calls,
                "fetch_count": provider._fetch_count(),
            }

        got = run_in_fork(child)
    assert got["values"] == [creds.access_key_id, creds.access_key_secret, creds.security_token,
                             creds.expiration.timestamp()]
    assert got["same_object"], got
    assert got["child_fetches"] == 0 and got["fetch_count"] == count == 1, got


# ---------------------------------------------------------------------------------------------
# asyncio
# ---------------------------------------------------------------------------------------------


class LoopProbe:
    """Fetch that sleeps 0.5 s (a slow upstream) and then waits until the test's ticker task
    has ticked enough times (``enough``); the first ``quick`` calls return at once. A refresh
    awaited on a blocked event loop can therefore never finish: the ticker could not tick. (The
    sleep only makes the upstream slow; nothing depends on how long it takes.)"""

    def __init__(self, quick):
        self.quick = quick
        self.calls = 0
        self.enough = threading.Event()

    def __call__(self):
        self.calls += 1
        if self.calls > self.quick:
            time.sleep(0.5)
            if not self.enough.wait(DEADLINE):
                raise RuntimeError("the event loop did not tick while the refresh was awaited")
        return ossauth.Credentials("AK%d" % self.calls, "s", None, now_us() // SEC + HOUR)


async def await_while_ticking(probe, provider, ticks_needed):
    """Awaits get_credentials_async() while a task ticks every 10 ms; returns the credentials
    and the ticks counted during the await."""
    ticks = 0
    stop = False

    async def ticker():
        nonlocal ticks
        while not stop:
            await asyncio.sleep(0.01)
            ticks += 1
            if ticks >= ticks_needed:
                probe.enough.set()

    task = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0)  # the ticker runs before the await below
    start = ticks
    try:
        creds = await asyncio.wait_for(provider.get_credentials_async(), DEADLINE * 2)
    finally:
        stop = True
        await task
    return creds, ticks - start


@pytest.mark.parametrize("window", ["first-fetch", "mandatory"])
def test_asyncio_slow_refresh_never_blocks_the_event_loop(window):
    probe = LoopProbe(quick=0 if window == "first-fetch" else 1)
    provider = ossauth.RefreshingCredentialsProvider(probe, timeout=HANG)
    needed = 20  # ticks of 10 ms (the fetch alone sleeps 0.5 s)

    async def main():
        if window == "mandatory":
            first = await provider.get_credentials_async()
            assert first.access_key_id == "AK1"
            set_clock(T0 + 56 * 60)
        return await await_while_ticking(probe, provider, needed)

    with frozen_time(T0):
        creds, ticks = asyncio.run(main())
        assert creds.access_key_id == ("AK1" if window == "first-fetch" else "AK2")
        assert ticks >= needed, "the event loop ticked only %d times during the await" % ticks
        assert provider.get_credentials() is creds
        assert probe.calls == (1 if window == "first-fetch" else 2)


def test_asyncio_fresh_path_returns_the_same_object_immediately():
    calls = []

    def fetch():
        calls.append(1)
        return ossauth.Credentials("AK", "s", "t", now_us() // SEC + HOUR)

    provider = ossauth.RefreshingCredentialsProvider(fetch)

    async def main():
        cached = provider.get_credentials()
        future = provider.get_credentials_async()
        already_done = future.done()  # before the loop has run anything
        got = await future
        more = [await provider.get_credentials_async() for _ in range(100)]
        return cached, already_done, got, more

    with frozen_time(T0):
        cached, already_done, got, more = asyncio.run(main())
    assert got is cached and all(m is cached for m in more)
    assert already_done, "the fresh path went through an executor instead of returning at once"
    assert len(calls) == 1


# ---------------------------------------------------------------------------------------------
# Interpreter exit, logging configuration, idle threads (fresh interpreters)
# ---------------------------------------------------------------------------------------------


EXIT_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    import ossauth
    from ossauth import _core

    mode = sys.argv[1]
    calls = []
    never = threading.Event()

    def fetch():
        calls.append(1)
        if len(calls) > 1:
            never.wait()  # the refresh: an upstream that does not answer
        return ossauth.Credentials("AK%d" % len(calls), "s", None, _core._now_micros() // 1000000 + 3600)

    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=600)  # HANG: past the test's deadline
    t0 = 1700000000
    _core._freeze_clock(t0 * 1000000)
    p.get_credentials()
    if mode == "advisory":
        _core._freeze_clock((t0 + 46 * 60) * 1000000)
        assert p.get_credentials().access_key_id == "AK1"  # starts the background refresh
    else:
        _core._freeze_clock((t0 + 56 * 60) * 1000000)
        threading.Thread(target=p.get_credentials, daemon=True).start()  # waits for it
    if mode.endswith("-entered"):
        while len(calls) < 2:
            time.sleep(0.001)
    print("exiting", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["advisory", "advisory-entered", "mandatory", "mandatory-entered"])
def test_interpreter_exits_promptly_during_a_background_refresh(mode):
    try:
        run = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, mode], capture_output=True, text=True,
                             timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail("the interpreter did not exit within %.0f s during a background refresh" % DEADLINE)
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
    assert run.stdout.strip() == "exiting"
    for marker in ("panicked", "Fatal Python error", "Traceback"):
        assert marker not in run.stderr, run.stderr[-2000:]


# A thread that needs the GIL while the interpreter finalizes: on Python < 3.14 CPython ends it
# with pthread_exit(), a forced unwind that must not cross Rust frames. The main thread keeps
# the GIL (switch interval of 1000 s, no blocking call) from the moment the other thread needs
# it until finalization, then releases it while flushing a stdout buffer that the parent reads
# late -- the waiting thread wakes during finalization every time.
FINALIZING_SCRIPT = textwrap.dedent(
    """
    import io, os, sys, threading, time
    import ossauth
    from ossauth import _core

    mode = sys.argv[1]
    # stdout with a 1 MiB buffer, made now: creating it releases the GIL (fstat, lseek).
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False), 1 << 20))
    entered, gate = threading.Event(), threading.Event()
    calls = []

    def fetch():
        calls.append(1)
        if len(calls) > 1:
            entered.set()
            gate.wait()  # the refresh waits on its upstream, the GIL released (as any I/O)
        return ossauth.Credentials("AK%d" % len(calls), "s", None, _core._now_micros() // 1000000 + 3600)

    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=0.2)
    t0 = 1700000000
    _core._freeze_clock(t0 * 1000000)
    p.get_credentials()
    if mode == "control":  # the same wait on a plain Python daemon thread
        threading.Thread(target=fetch, daemon=True).start()
    elif mode == "refresh-thread":
        _core._freeze_clock((t0 + 46 * 60) * 1000000)
        p.get_credentials()  # advisory: ossauth's refresh thread runs fetch()
    else:  # "waiting-caller": a daemon thread waits in get_credentials() (mandatory window)
        _core._freeze_clock((t0 + 56 * 60) * 1000000)
        threading.Thread(target=p.get_credentials, daemon=True).start()
    assert entered.wait(60)
    os.write(2, b"ready\\n")
    sys.setswitchinterval(1000)  # from here the main thread keeps the GIL
    if mode != "waiting-caller":
        gate.set()  # the thread in fetch() now needs the GIL to return from its wait
    # ("waiting-caller": its 0.2 s wait times out without the GIL; it then needs the GIL)
    # (On a loaded machine the waiting thread may not wake in this window: the test then
    # covers less, it cannot fail for it.)
    end = time.perf_counter() + 0.6
    while time.perf_counter() < end:
        pass
    # Buffered only; flushed while finalizing, when the write blocks (the parent reads late)
    # with the GIL released.
    sys.stdout.write("x" * (256 * 1024))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe and pthread specifics: Linux")
@pytest.mark.parametrize("mode", ["control", "refresh-thread", "waiting-caller"])
def test_interpreter_exit_while_a_thread_in_ossauth_needs_the_gil_does_not_abort(mode):
    child = subprocess.Popen([sys.executable, "-c", FINALIZING_SCRIPT, mode],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = child.stderr.readline()  # the state is set up; ~0.6 s to finalization
        # Read late, so that the child blocks writing stdout while finalizing. On a loaded
        # machine it may not have got there yet: the test then covers less, it cannot fail.
        time.sleep(1.5)
        out, err = child.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("the interpreter hung at exit")
    err = (ready + err).decode(errors="replace")
    assert ready == b"ready\n", err[-2000:]
    assert child.returncode == 0 and len(out) == 256 * 1024, (
        "the interpreter %s at exit (%d of %d bytes of stdout written): %s"
        % ("aborted" if child.returncode == -signal.SIGABRT else "exited with %r" % child.returncode,
           len(out), 256 * 1024, err[-500:].strip())
    )


def test_a_provider_in_a_reference_cycle_is_garbage_collected():
    """An object that owns a provider whose fetch is one of its bound methods (or a closure over
    module globals, which is how a module-level provider holds its module's dict) forms a cycle
    through the provider: the garbage collector must see it, or everything it holds leaks --
    and at interpreter exit __main__'s globals are never cleared (no __del__ runs)."""

    class Client:
        def __init__(self):
            self.provider = ossauth.RefreshingCredentialsProvider(self.fetch)

        def fetch(self):
            return ossauth.Credentials("AK", "s")

    client = Client()
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None, (
        "a Client -> provider -> fetch (bound method) -> Client cycle is never collected: "
        "RefreshingCredentialsProvider does not take part in garbage collection "
        "(gc.is_tracked: %r, gc.get_referents: %r)"
        % (gc.is_tracked(ref().provider), gc.get_referents(ref().provider))
    )


HYGIENE_SCRIPT = textwrap.dedent(
    """
    import json, logging, os, threading, time

    def tasks():
        return len(os.listdir("/proc/self/task"))

    root = logging.getLogger()
    before = {"handlers": [repr(h) for h in root.handlers], "level": root.level,
              "disabled": logging.root.manager.disable}
    threads_before = [t.name for t in threading.enumerate()]
    tasks_before = tasks()

    import ossauth
    from ossauth import _core
    after_import = (tasks(), [t.name for t in threading.enumerate()])

    t0 = 1700000000
    _core._freeze_clock(t0 * 1000000)
    n = [0]

    def fetch():
        n[0] += 1
        return ossauth.Credentials("AK%d" % n[0], "s", None, _core._now_micros() // 1000000 + 3600)

    providers = [ossauth.RefreshingCredentialsProvider(fetch) for _ in range(100)]
    for p in providers:
        p.get_credentials()
    # The first fetches ran on short-lived threads: they are gone once idle.
    end = time.monotonic() + 60  # a generous deadline: the threads end in milliseconds
    while tasks() != tasks_before and time.monotonic() < end:
        time.sleep(0.005)
    idle_tasks = tasks()
    idle_threads = [t.name for t in threading.enumerate()]
    # Fresh credentials: no thread, whatever the number of calls.
    same = all(p.get_credentials() is p.get_credentials() for p in providers for _ in range(50))
    hot_tasks = tasks()

    # Refreshes (advisory, mandatory) and a failing refresh, which logs a warning.
    p = providers[0]
    _core._freeze_clock((t0 + 46 * 60) * 1000000)
    p.get_credentials()
    _core._freeze_clock((t0 + 200 * 60) * 1000000)
    p.get_credentials()
    def broken():
        raise ConnectionError("upstream down")
    try:
        ossauth.RefreshingCredentialsProvider(broken, timeout=60).get_credentials()
    except ossauth.CredentialsError:
        pass

    after = {"handlers": [repr(h) for h in root.handlers], "level": root.level,
             "disabled": logging.root.manager.disable}
    ours = {name: [repr(h) for h in logger.handlers if not isinstance(h, logging.NullHandler)]
            + ([] if logger.propagate else ["propagate=False"])
            for name, logger in logging.root.manager.loggerDict.items()
            if name.split(".")[0] == "ossauth" and isinstance(logger, logging.Logger)}
    print(json.dumps({
        "before": before, "after": after, "ours": ours,
        "tasks_before": tasks_before, "after_import": after_import, "idle_tasks": idle_tasks,
        "hot_tasks": hot_tasks, "threads_before": threads_before, "idle_threads": idle_threads,
        "same": same,
    }))
    """
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts OS threads through /proc")
def test_logging_configuration_untouched_and_no_threads_when_idle():
    try:
        run = subprocess.run([sys.executable, "-c", HYGIENE_SCRIPT], capture_output=True, text=True,
                             timeout=2 * DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail("the hygiene script hung")
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["after"] == got["before"], "the root logger's configuration changed: %r" % got
    assert not any(got["ours"].values()), "ossauth configured its own loggers: %r" % got["ours"]
    assert got["after_import"] == [got["tasks_before"], got["threads_before"]], "importing started a thread"
    assert got["idle_tasks"] == got["tasks_before"], "OS threads left after 100 initial fetches: %r" % got
    assert got["idle_threads"] == got["threads_before"], "threading.enumerate() changed: %r" % got
    assert got["hot_tasks"] == got["tasks_before"] and got["same"], got
