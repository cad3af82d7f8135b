"""RefreshingCredentialsProvider: the windows, the backoff and the faults, driven by the frozen
clock; 64 threads across both windows; fork and asyncio during a slow refresh."""

import asyncio
import os
import sys
import threading
import time

import pytest

import ossauth
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forking import run_in_fork  # noqa: E402
from upstream import Upstream  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

T0 = 1_700_000_000
HOUR = 3600


def test_hot_path_returns_the_same_object_and_fetches_once():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
        assert all(p.get_credentials() is first for _ in range(1000))
    assert up.calls == 1 and first.access_key_id == "STS.id1"


def test_advisory_window_serves_current_and_refreshes_once_in_background():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0) as t:
        first = p.get_credentials()
    with frozen_time(T0 + 45 * 60 - 1):
        assert p.get_credentials() is first and up.calls == 1  # just before the window
    up.gate = threading.Event()
    with frozen_time(T0 + 45 * 60):
        for _ in range(200):
            assert p.get_credentials() is first  # never waits, never a second refresh
        up.gate.set()
        wait_for(lambda: p.get_credentials().access_key_id == "STS.id2", "the refresh")
    assert up.calls == 2


def test_mandatory_window_waits_for_the_refresh():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        p.get_credentials()
    with frozen_time(T0 + 55 * 60):
        assert p.get_credentials().access_key_id == "STS.id2"
    assert up.calls == 2


def test_fifteen_minute_credentials_do_not_loop():
    up = Upstream(lifetime=15 * 60)
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 7 * 60 + 29):  # advisory is at f + L/2 = 7.5 min, not e - 15 min = f
        for _ in range(100):
            assert p.get_credentials() is first
    assert up.calls == 1
    with frozen_time(T0 + 11 * 60 + 15):  # mandatory at f + 3L/4
        assert p.get_credentials().access_key_id == "STS.id2"


def test_failures_keep_valid_credentials_back_off_then_expire_with_the_cause():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = RuntimeError("metadata service said 503")
    with frozen_time(T0 + 56 * 60):
        assert p.get_credentials() is first  # mandatory, failed: still valid, so served
        assert up.calls == 2
    with frozen_time(T0 + 56 * 60 + 0.4):  # inside the first backoff ([0.5 s, 1 s])
        assert p.get_credentials() is first and up.calls == 2
    with frozen_time(T0 + 56 * 60 + 1.01):  # past it: exactly one more attempt
        assert p.get_credentials() is first and up.calls == 3
    with frozen_time(T0 + HOUR):  # expired, still failing
        with pytest.raises(ossauth.CredentialsError, match="metadata service said 503") as e:
            p.get_credentials()
        assert "secret-1" not in str(e.value) and "token-1" not in str(e.value)
    up.fail = None
    with frozen_time(T0 + HOUR + 120):
        assert p.get_credentials().access_key_id == "STS.id%d" % up.calls


@pytest.mark.parametrize("returned,message", [
    (None, "returned None"),
    (42, "int has no access_key_id"),
    ({"AccessKeyId": "a"}, "no AccessKeySecret"),
    ({"Code": "Throttled", "AccessKeyId": "a", "AccessKeySecret": "b"}, "Code is 'Throttled'"),
    (ossauth.Credentials("a", "", None), "without an AccessKey id or secret"),
    (ossauth.Credentials("a", "b", "t", T0 - 1), "already expired"),
])
def test_bad_arrivals_are_errors_and_replace_nothing(returned, message):
    good = {"AccessKeyId": "good-id", "AccessKeySecret": "good-secret", "Expiration": T0 + HOUR}
    answers = [good, returned]
    p = ossauth.RefreshingCredentialsProvider(lambda: answers[min(len(answers) - 1, calls.append(1) or len(calls) - 1)])
    calls = []
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 56 * 60):  # mandatory: the bad answer arrives, the good one stays
        assert p.get_credentials() is first
    bad = ossauth.RefreshingCredentialsProvider(lambda: returned)
    with frozen_time(T0):
        with pytest.raises(ossauth.CredentialsError, match=message):
            bad.get_credentials()


def test_a_hanging_fetch_is_an_error_within_the_timeout():
    gate = threading.Event()
    p = ossauth.RefreshingCredentialsProvider(lambda: gate.wait(HANG) and None, timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(ossauth.CredentialsError, match="did not finish within 0.3 s"):
            p.get_credentials()
        # The fetch hangs for HANG: an answer within the deadline came from the 0.3 s timeout.
        assert time.monotonic() - started < DEADLINE
    finally:
        gate.set()


def test_credentials_without_expiration_and_refresh_interval():
    up = {"n": 0}

    def fetch():
        up["n"] += 1
        return {"AccessKeyId": "id%d" % up["n"], "AccessKeySecret": "s"}

    forever = ossauth.RefreshingCredentialsProvider(fetch)
    with frozen_time(T0):
        forever.get_credentials()
    with frozen_time(T0 + 10 * 365 * 86400):
        assert forever.get_credentials().access_key_id == "id1"
    every = ossauth.RefreshingCredentialsProvider(fetch, refresh_interval=600)
    with frozen_time(T0):
        assert every.get_credentials().access_key_id == "id2"
    with frozen_time(T0 + 599):
        assert every.get_credentials().access_key_id == "id2"
    with frozen_time(T0 + 600):
        every.get_credentials()  # starts the background refresh, serves id2
        wait_for(lambda: every.get_credentials().access_key_id == "id3", "the interval refresh")


def test_64_threads_across_both_windows_one_fetch_per_refresh():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)  # waits are never cut short
    errors, stale = [], []
    stop = threading.Event()
    calls = [0] * 64  # calls made by each thread

    def hammer(i):
        while not stop.is_set():
            try:
                # The clock only moves forward here, so credentials must outlive the instant
                # read before the call.
                now = ossauth.testing.now()
                c = p.get_credentials()
                if c.expiration <= now:
                    stale.append(c.access_key_id)
            except Exception as e:  # noqa: BLE001 - any error fails the test
                errors.append(repr(e))
            calls[i] += 1

    def every_thread_called(what):
        """Waits until every thread made two more calls (one started after this point)."""
        marks = list(calls)
        wait_for(lambda: all(c >= m + 2 for c, m in zip(calls, marks)), "every thread to call " + what)

    with frozen_time(T0):
        p.get_credentials()
        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        try:
            every_thread_called("while fresh")
            ossauth._core._freeze_clock((T0 + 46 * 60) * 1_000_000)  # advisory
            every_thread_called("in the advisory window")
            wait_for(lambda: p.get_credentials().access_key_id == "STS.id2", "advisory refresh")
            every_thread_called("after the advisory refresh")
            # mandatory for the second credentials, fetched at T0 + 46 min
            ossauth._core._freeze_clock((T0 + 46 * 60 + 56 * 60) * 1_000_000)
            every_thread_called("in the mandatory window")
            wait_for(lambda: p.get_credentials().access_key_id == "STS.id3", "mandatory refresh")
            every_thread_called("after the mandatory refresh")
        finally:
            stop.set()
            for t in threads:
                t.join(DEADLINE)
    assert errors == [] and stale == []
    assert up.calls == 3


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_fork_during_a_slow_refresh_child_refreshes_on_its_own():
    parent = os.getpid()
    gate, entered = threading.Event(), threading.Event()

    def fetch():
        if os.getpid() == parent:
            entered.set()
            assert gate.wait(HANG)
        return {"AccessKeyId": "pid%d" % os.getpid(), "AccessKeySecret": "s", "Expiration": T0 + HOUR}

    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=HANG)
    with frozen_time(T0):
        waiter = threading.Thread(target=p.get_credentials)
        waiter.start()
        # a refresh is now in flight in the parent, blocked on the gate
        assert entered.wait(DEADLINE), "the parent's refresh never started"
        try:
            child_pid, served = run_in_fork(lambda: [os.getpid(), p.get_credentials().access_key_id])
            assert served == "pid%d" % child_pid
        finally:
            gate.set()
            waiter.join(DEADLINE)
        assert p.get_credentials().access_key_id == "pid%d" % parent


def test_asyncio_slow_refresh_never_blocks_the_loop():
    ticked = threading.Event()  # set by the ticker after 10 ticks

    def fetch():
        # The refresh finishes only once the loop has ticked 10 times during it: with a blocked
        # loop it never would (it gives up after the deadline, and the counts below fail).
        time.sleep(0.5)  # a slow upstream
        ticked.wait(DEADLINE)
        return {"AccessKeyId": "a", "AccessKeySecret": "s"}

    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=HANG)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                if ticks > 10:
                    ticked.set()
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        creds = await p.get_credentials_async()
        during = ticks
        again = await p.get_credentials_async()  # fresh: straight from the cache
        task.cancel()
        return creds, again, during

    creds, again, during = asyncio.run(main())
    assert creds.access_key_id == "a" and again is creds
    assert during >= 10  # the loop kept ticking while the refresh was awaited
