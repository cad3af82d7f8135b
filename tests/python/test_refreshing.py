"""RefreshingCredentialsProvider end to end from Python, driven by the frozen clock.

Covers the refresh windows (advisory / mandatory, 1-hour and 15-minute credentials), the
backoff after failures (measured on the frozen clock), expiry, bad arrivals, hanging fetches,
credentials without an expiration, every shape a fetch may return, the Function Compute and
alibabacloud_credentials adapters, use inside oss2 / ossauth / alibabacloud-oss-v2 signing,
and secret hygiene (repr, errors, log records).

Conventions: the clock is pinned with ``frozen_time`` (an aware datetime when sub-second
precision matters, since epoch floats near 2e9 lose microseconds). A background refresh is
awaited by polling an observable condition (the returned object changing, or the refresh's
WARNING record) with a generous deadline; nothing is timed by sleeping. ``_fetch_count()`` is
bumped synchronously by the call that starts a refresh, so "no new fetch" is checked right after
the call.
"""

import asyncio
import datetime as dt
import functools
import logging
import os
import re
import sys
import threading
import time
import types

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from alibabacloud_credentials import credentials as acc_credentials
from alibabacloud_credentials.client import Client as CredClient
from alibabacloud_credentials.models import Config as CredConfig
from alibabacloud_credentials.models import CredentialModel
from alibabacloud_credentials.provider.refreshable import Credentials as RefreshableCredentials
from alibabacloud_credentials_api import ICredentialsProvider
from alibabacloud_oss_v2.signer.v4 import SignerV4

import ossauth
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from credential_shapes import ExpiringGetterCredentials  # noqa: E402
from oss2_requests import make_request  # noqa: E402
from upstream import Upstream  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

# 2033-05-18T03:33:20Z: in the future of the real clock too, so that foreign objects that look
# at the real clock (alibabacloud_credentials' getters, oss-v2's is_expired) see valid credentials.
T0 = 2_000_000_000
HOUR = 3600
MIN = 60
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc

SECRET = "Sx9-kNOWN-secret-VALUE-q7Zr2"
TOKEN = "CAIS-kNOWN-token-VALUE-Lm04Pw8"


def at(seconds, micros=0):
    """An exact instant (aware datetime) ``seconds`` + ``micros`` after the epoch."""
    return EPOCH + dt.timedelta(seconds=seconds, microseconds=micros)


class LogCollector(logging.Handler):
    """Collects every record under the ``ossauth`` logger (enabled down to DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
        self._guard = threading.Lock()  # not `lock`: Handler uses that one

    def emit(self, record):
        with self._guard:
            self.records.append(record)

    def of(self, source, level=None):
        with self._guard:
            return [r for r in self.records
                    if r.getMessage().startswith(source + ":") and (level is None or r.levelno == level)]

    def failures(self, source):
        """The failed refreshes of ``source``: WARNING while valid credentials remain (nobody
        else hears of it), DEBUG when the failure is the error callers get."""
        return [r for r in self.of(source) if "credentials refresh failed" in r.getMessage()]


@pytest.fixture
def oslog():
    logger = logging.getLogger("ossauth")
    handler = LogCollector()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def wait_for_failures(log, source, n):
    """Waits until the ``n``-th failed refresh of ``source`` has been recorded (its record is
    emitted after the backoff is scheduled); returns the waits the records announce."""
    wait_for(lambda: len(log.failures(source)) >= n, "failed refresh #%d of %s" % (n, source))
    records = log.failures(source)
    assert len(records) == n, [r.getMessage() for r in records]
    waits = []
    for r in records:
        m = re.search(r"\(attempt (\d+)\), next attempt in ([0-9.]+) s", r.getMessage())
        assert m, r.getMessage()
        waits.append((int(m.group(1)), float(m.group(2))))
    return waits


# ============================================================================================
# Hot path and the windows
# ============================================================================================


def test_hot_path_returns_the_identical_object_and_fetches_once():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    assert p._fetch_count() == 0
    with frozen_time(T0):
        first = p.get_credentials()
        assert isinstance(first, ossauth.Credentials)
        assert all(p.get_credentials() is first for _ in range(2000))
    with frozen_time(at(T0 + 45 * MIN, -1)):  # last microsecond before the advisory window
        assert p.get_credentials() is first
    assert p._fetch_count() == 1 and up.calls == 1
    assert first.access_key_id == "STS.id1" and first.get_access_key_secret() == "secret-1"
    assert first.security_token == "token-1"
    assert int(first.expiration.timestamp()) == T0 + HOUR


def test_fetch_returning_the_credentials_object_is_served_as_is():
    creds = ossauth.Credentials("id", "sk", None, T0 + HOUR)
    p = ossauth.RefreshingCredentialsProvider(lambda: creds)
    with frozen_time(T0):
        assert p.get_credentials() is creds


def test_advisory_window_serves_current_at_once_and_refreshes_once_in_background():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    up.gate = threading.Event()  # hold the refresh in flight while callers pile up
    try:
        with frozen_time(T0 + 45 * MIN):  # advisory: max(f + 30 min, e - 15 min)
            started = time.monotonic()
            for _ in range(500):
                assert p.get_credentials() is first  # nobody waits
            assert p._fetch_count() == 2  # one background refresh however many callers
            # Nobody waited for the held refresh (the timeout is HANG, past the deadline).
            assert time.monotonic() - started < DEADLINE
            up.gate.set()
            wait_for(lambda: p.get_credentials() is not first, "the background refresh")
            second = p.get_credentials()
            assert second.access_key_id == "STS.id2"
            assert p.get_credentials() is second  # and that is now the hot path
            assert p._fetch_count() == 2 and up.calls == 2
    finally:
        up.gate.set()
    # The new credentials were fetched at T0 + 45 min: fresh until T0 + 90 min.
    with frozen_time(at(T0 + 90 * MIN, -1)):
        assert p.get_credentials() is second and p._fetch_count() == 2


def test_advisory_window_many_threads_one_fetch():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    up.gate = threading.Event()
    results, errors = [], []

    def caller():
        try:
            for _ in range(50):
                results.append(p.get_credentials())
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    try:
        with frozen_time(T0 + 50 * MIN):
            threads = [threading.Thread(target=caller) for _ in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(DEADLINE)
            assert not any(t.is_alive() for t in threads), "an advisory caller waited for the refresh"
            assert errors == [] and len(results) == 32 * 50
            assert all(c is first for c in results)
            assert p._fetch_count() == 2
            up.gate.set()
            wait_for(lambda: p.get_credentials() is not first, "the background refresh")
            assert p._fetch_count() == 2
    finally:
        up.gate.set()


def test_mandatory_window_waits_for_the_new_credentials_one_fetch():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 55 * MIN):  # mandatory: max(f + 45 min, e - 5 min)
        second = p.get_credentials()  # waited: the new credentials, not the current ones
        assert second is not first and second.access_key_id == "STS.id2"
        assert p._fetch_count() == 2
        assert p.get_credentials() is second and p._fetch_count() == 2


def test_mandatory_boundary_is_exact():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    up.gate = threading.Event()
    try:
        with frozen_time(at(T0 + 55 * MIN, -1)):  # still advisory: served at once
            assert p.get_credentials() is first
            assert p._fetch_count() == 2
    finally:
        up.gate.set()
    wait_for(lambda: up.calls == 2, "the background refresh")


def test_mandatory_window_many_threads_wait_for_one_shared_fetch():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    up.gate = threading.Event()
    results, errors = [], []

    def caller():
        try:
            results.append(p.get_credentials())
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    try:
        with frozen_time(T0 + 57 * MIN):
            threads = [threading.Thread(target=caller) for _ in range(32)]
            for t in threads:
                t.start()
            assert p._fetch_count() <= 2
            up.gate.set()
            for t in threads:
                t.join(DEADLINE)
            assert not any(t.is_alive() for t in threads)
    finally:
        up.gate.set()
    assert errors == [] and len(results) == 32
    assert all(c is results[0] for c in results) and results[0] is not first
    assert results[0].access_key_id == "STS.id2"
    assert p._fetch_count() == 2 and up.calls == 2


def test_fifteen_minute_credentials_windows_and_no_refresh_loop():
    up = Upstream(lifetime=15 * MIN)
    p = ossauth.RefreshingCredentialsProvider(up, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    # e - 15 min == f: the advisory window must come from f + L/2 = f + 7.5 min instead.
    for instant in (at(T0), at(T0 + 1), at(T0 + 5 * MIN), at(T0 + 450, -1)):
        with frozen_time(instant):
            for _ in range(300):
                assert p.get_credentials() is first
    assert p._fetch_count() == 1
    up.gate = threading.Event()
    try:
        with frozen_time(T0 + 450):  # advisory at f + 7.5 min: one background refresh
            assert p.get_credentials() is first and p._fetch_count() == 2
        with frozen_time(at(T0 + 675, -1)):  # still advisory just before f + 11.25 min
            assert p.get_credentials() is first and p._fetch_count() == 2
    finally:
        up.gate.set()
    wait_for(lambda: up.calls == 2, "the advisory refresh")


def test_fifteen_minute_credentials_mandatory_at_three_quarters():
    up = Upstream(lifetime=15 * MIN)
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 675):  # mandatory at f + 3L/4 = f + 11.25 min
        second = p.get_credentials()
        assert second is not first and second.access_key_id == "STS.id2"
        assert p._fetch_count() == 2
        # Fetched at T0 + 675 s with 15 minutes of life: fresh again, no loop.
        for _ in range(300):
            assert p.get_credentials() is second
        assert p._fetch_count() == 2
    with frozen_time(at(T0 + 675 + 450, -1)):
        assert p.get_credentials() is second and p._fetch_count() == 2


def test_get_credentials_async_hot_path_and_mandatory_refresh():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)

    async def two():
        a = await p.get_credentials_async()
        b = await p.get_credentials_async()
        return a, b

    with frozen_time(T0):
        a, b = asyncio.run(two())
        assert a is b and p._fetch_count() == 1
    with frozen_time(T0 + 56 * MIN):
        c, d = asyncio.run(two())
    assert c is d and c is not a and c.access_key_id == "STS.id2" and p._fetch_count() == 2
    up.fail = "async upstream down"
    with frozen_time(T0 + 56 * MIN + 2 * HOUR):
        with pytest.raises(ossauth.CredentialsError, match="async upstream down"):
            asyncio.run(two())


# ============================================================================================
# Failures: backoff, expiry
# ============================================================================================


def test_backoff_in_the_advisory_window_on_the_frozen_clock(oslog):
    name = "backoff-advisory"
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, name=name)
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = "sts endpoint unreachable"
    # Failure 1, at the start of the advisory window.
    t_us = (T0 + 45 * MIN) * 1_000_000
    with frozen_time(at(0, t_us)):
        assert p.get_credentials() is first  # served at once despite the failing refresh
        assert p._fetch_count() == 2
        # The clock stays put until the refresh has failed: its instant starts the backoff.
        waits = wait_for_failures(oslog, name, 1)
    at_cap = []
    for k in range(1, 12):
        attempt, logged = waits[-1]
        assert attempt == k
        ceiling = min(2 ** (k - 1), 60)
        assert ceiling / 2 - 0.05 <= logged <= ceiling + 0.05, (k, logged)
        if ceiling == 60:
            at_cap.append(logged)
        count = p._fetch_count()
        # Less than half the ceiling later (e.g. 0.49 s after the first failure): no new fetch.
        # Nor just before the wait the record announces (it is rounded to 0.1 s).
        for early in sorted({int(ceiling * 1_000_000) // 2 - 10_000,
                             max(0, int((logged - 0.06) * 1_000_000))}):
            with frozen_time(at(0, t_us + early)):
                for _ in range(20):
                    assert p.get_credentials() is first
                assert p._fetch_count() == count, (k, early)
        # Past the wait (and never later than just past the ceiling): exactly one more attempt.
        later = min(int((logged + 0.06) * 1_000_000), int(ceiling * 1_000_000) + 10_000)
        t_us += later
        with frozen_time(at(0, t_us)):
            for _ in range(20):
                assert p.get_credentials() is first
            assert p._fetch_count() == count + 1, (k, later)
            waits = wait_for_failures(oslog, name, k + 1)
    # Eleven failures in the advisory window of the first credentials (it lasts 10 minutes).
    assert t_us < (T0 + 55 * MIN) * 1_000_000
    # The waits at the 60 s cap are jittered, not identical.
    assert len(at_cap) >= 4 and len(set(at_cap)) > 1, at_cap

    # Recovery: the next attempt succeeds, new credentials are served...
    up.fail = None
    t_us += 61 * 1_000_000
    with frozen_time(at(0, t_us)):
        assert p.get_credentials() is first
        wait_for(lambda: p.get_credentials() is not first, "the recovering refresh")
        second = p.get_credentials()
    assert second.access_key_id == "STS.id%d" % up.calls
    fetched = t_us
    # ... and the backoff starts over: the next failure waits 0.5-1 s, not 60 s.
    up.fail = "down again"
    t_us = fetched + 45 * MIN * 1_000_000
    n_failures = len(oslog.failures(name))
    with frozen_time(at(0, t_us)):
        assert p.get_credentials() is second
        waits = wait_for_failures(oslog, name, n_failures + 1)
    assert waits[-1][0] == 1 and 0.45 <= waits[-1][1] <= 1.05, waits[-1]
    count = p._fetch_count()
    with frozen_time(at(0, t_us + 490_000)):
        assert p.get_credentials() is second and p._fetch_count() == count
    with frozen_time(at(0, t_us + 1_010_000)):
        assert p.get_credentials() is second and p._fetch_count() == count + 1
        wait_for_failures(oslog, name, n_failures + 2)


def test_backoff_in_the_mandatory_window_serves_valid_credentials():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = "metadata service said 503"
    with frozen_time(T0 + 56 * MIN):
        # Mandatory: the caller waits for the refresh, it fails, the valid ones are served.
        assert p.get_credentials() is first
        assert p._fetch_count() == 2
        for _ in range(50):
            assert p.get_credentials() is first
        assert p._fetch_count() == 2  # backing off: no new attempt at the same instant
    with frozen_time(at(T0 + 56 * MIN, 490_000)):
        assert p.get_credentials() is first and p._fetch_count() == 2
    with frozen_time(at(T0 + 56 * MIN, 1_010_000)):
        assert p.get_credentials() is first and p._fetch_count() == 3
    # Second failure (at T0 + 56 min + 1.01 s): waits between 1 and 2 s.
    with frozen_time(at(T0 + 56 * MIN + 1, 10_000 + 990_000)):
        assert p.get_credentials() is first and p._fetch_count() == 3
    with frozen_time(at(T0 + 56 * MIN + 3, 20_000)):
        assert p.get_credentials() is first and p._fetch_count() == 4
    # Recovery.
    up.fail = None
    with frozen_time(T0 + 57 * MIN):
        second = p.get_credentials()
        assert second is not first and second.access_key_id == "STS.id5"
        assert p._fetch_count() == 5


def test_after_expiry_a_failing_fetch_is_an_error_with_its_cause_never_expired_credentials():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, name="expiring")
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = "sts said InvalidSecurityToken.Expired"
    with frozen_time(at(T0 + HOUR, -1)):  # still valid: served even though the refresh fails
        assert p.get_credentials() is first
    n = p._fetch_count()
    with frozen_time(T0 + HOUR):  # the expiration instant: no longer valid
        for _ in range(5):
            with pytest.raises(ossauth.CredentialsError) as e:
                p.get_credentials()
            assert "sts said InvalidSecurityToken.Expired" in str(e.value)
            assert "expiring" in str(e.value)
        assert p._fetch_count() == n  # within the backoff: the last error, no new attempt
    with frozen_time(T0 + HOUR + 10 * MIN):  # past the backoff: one new attempt, still failing
        with pytest.raises(ossauth.CredentialsError, match="InvalidSecurityToken.Expired"):
            p.get_credentials()
        assert p._fetch_count() == n + 1
    up.fail = None
    with frozen_time(T0 + HOUR + 20 * MIN):
        c = p.get_credentials()
        assert c.access_key_id == "STS.id%d" % up.calls
        assert c.expiration > ossauth.testing.now()


def test_expired_without_any_earlier_attempt_fetches_and_reports_the_cause():
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up)
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = "role was deleted"
    with frozen_time(T0 + 5 * HOUR):  # nobody called during the windows
        with pytest.raises(ossauth.CredentialsError, match="role was deleted"):
            p.get_credentials()
        assert p._fetch_count() == 2
    up.fail = None
    with frozen_time(T0 + 6 * HOUR):
        c = p.get_credentials()
        assert c is not first and c.expiration > ossauth.testing.now()


def test_a_refresh_finishing_after_the_timeout_is_used_by_later_callers():
    gate, done = threading.Event(), threading.Event()
    calls = []

    def fetch():
        calls.append(1)
        try:
            assert gate.wait(DEADLINE)
            return {"AccessKeyId": "late%d" % len(calls), "AccessKeySecret": "s",
                    "Expiration": int(ossauth.testing.now().timestamp()) + HOUR}
        finally:
            done.set()

    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=0.3)
    try:
        with frozen_time(T0):
            with pytest.raises(ossauth.CredentialsError, match="did not finish"):
                p.get_credentials()
            gate.set()
            assert done.wait(DEADLINE)
            wait_for(lambda: "credentials=None" not in repr(p), "the late refresh to be cached")
            c = p.get_credentials()  # the late result, no second fetch
            assert c.access_key_id == "late1" and len(calls) == 1 and p._fetch_count() == 1
    finally:
        gate.set()


def test_first_fetch_failing_is_an_error_naming_the_cause():
    def fetch():
        raise PermissionError("AccessDenied: the role cannot be assumed")

    p = ossauth.RefreshingCredentialsProvider(fetch)
    with frozen_time(T0):
        with pytest.raises(ossauth.CredentialsError) as e:
            p.get_credentials()
    assert "AccessDenied: the role cannot be assumed" in str(e.value)
    assert "PermissionError" in str(e.value)
    assert p._fetch_count() == 1


# ============================================================================================
# Bad arrivals
# ============================================================================================


class NoFields:
    pass


BAD = [
    ("None", lambda: None, "returned None"),
    ("int", lambda: 42, "int has no access_key_id"),
    ("str", lambda: "garbage", "str has no access_key_id"),
    ("empty dict", lambda: {}, "no AccessKeyId"),
    ("dict without secret", lambda: {"AccessKeyId": "a"}, "no AccessKeySecret"),
    ("dict, empty secret", lambda: {"AccessKeyId": "a", "AccessKeySecret": ""}, "no AccessKeySecret"),
    ("dict, empty id", lambda: {"AccessKeyId": "", "AccessKeySecret": "b"}, "no AccessKeyId"),
    ("Code != Success", lambda: {"Code": "InternalError", "AccessKeyId": "a", "AccessKeySecret": "b",
                                 "Expiration": T0 + HOUR}, "Code is 'InternalError'"),
    ("object without fields", NoFields, "NoFields has no access_key_id"),
    ("credentials, empty secret", lambda: ossauth.Credentials("a", ""), "without an AccessKey id or secret"),
    ("credentials, empty id", lambda: ossauth.Credentials("", "b"), "without an AccessKey id or secret"),
    ("oss2, empty secret", lambda: oss2.credentials.Credentials("a", ""), "no access_key_secret"),
    ("non-str id", lambda: {"AccessKeyId": 5, "AccessKeySecret": "b"}, "access_key_id must be str"),
    ("garbage expiration", lambda: {"AccessKeyId": "a", "AccessKeySecret": "b", "Expiration": "soon"},
     "not an ISO 8601 instant"),
    ("expired credentials", lambda: ossauth.Credentials("a", "b", "t", ossauth.testing.now().timestamp() - 1),
     "already expired"),
    ("expired dict", lambda: {"AccessKeyId": "a", "AccessKeySecret": "b",
                              "Expiration": int(ossauth.testing.now().timestamp()) - 3600}, "already expired"),
    ("expiring now", lambda: {"AccessKeyId": "a", "AccessKeySecret": "b",
                              "Expiration": int(ossauth.testing.now().timestamp())}, "already expired"),
]


@pytest.mark.parametrize("label,bad,message", BAD, ids=[b[0] for b in BAD])
def test_bad_arrival_without_cache_is_an_error_naming_the_problem(label, bad, message):
    p = ossauth.RefreshingCredentialsProvider(bad, name="bad-" + label)
    with frozen_time(T0):
        with pytest.raises(ossauth.CredentialsError) as e:
            p.get_credentials()
    assert message in str(e.value)
    assert "bad-" + label in str(e.value)


@pytest.mark.parametrize("label,bad,message", BAD, ids=[b[0] for b in BAD])
def test_bad_arrival_replaces_nothing_while_cached_credentials_are_valid(label, bad, message, oslog):
    name = "replace-" + label
    good = {"AccessKeyId": "good-id", "AccessKeySecret": "good-secret", "Expiration": T0 + HOUR}
    answers = iter([good])

    def fetch():
        return next(answers, None) or bad()

    p = ossauth.RefreshingCredentialsProvider(fetch, name=name)
    with frozen_time(T0):
        first = p.get_credentials()
    # Advisory: the bad answer arrives in the background, the good credentials stay.
    with frozen_time(T0 + 50 * MIN):
        assert p.get_credentials() is first
        wait_for_failures(oslog, name, 1)
        assert message in oslog.failures(name)[0].getMessage()
        assert p.get_credentials() is first
        assert p.get_credentials().access_key_id == "good-id"
    # Mandatory: the caller waits, the bad answer arrives, the good credentials are served.
    with frozen_time(T0 + 56 * MIN):
        assert p.get_credentials() is first
        assert p._fetch_count() == 3
    # Expired: the problem is the error.
    with frozen_time(T0 + HOUR + HOUR):
        with pytest.raises(ossauth.CredentialsError) as e:
            p.get_credentials()
        assert message in str(e.value)


# ============================================================================================
# Hanging fetches
# ============================================================================================


class Hanging:
    """The first ``good`` calls return 1-hour credentials; later calls hang until released."""

    def __init__(self, good=0):
        self.good = good
        self.calls = 0
        self.gate = threading.Event()
        self.returned = threading.Event()

    def __call__(self):
        self.calls += 1
        if self.calls <= self.good:
            return {"AccessKeyId": "ok%d" % self.calls, "AccessKeySecret": "s",
                    "Expiration": int(ossauth.testing.now().timestamp()) + HOUR}
        try:
            self.gate.wait(HANG)
            raise TimeoutError("released at teardown")
        finally:
            self.returned.set()

    def release(self):
        self.gate.set()
        if self.calls > self.good:
            assert self.returned.wait(DEADLINE)


@pytest.fixture
def hanging():
    made = []

    def make(good=0):
        h = Hanging(good)
        made.append(h)
        return h

    yield make
    for h in made:
        h.release()


def test_hanging_first_fetch_is_an_error_within_the_timeout(hanging):
    fetch = hanging()
    timeout = 0.5
    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=timeout)
    with frozen_time(T0):
        started = time.monotonic()
        with pytest.raises(ossauth.CredentialsError) as e:
            p.get_credentials()
        elapsed = time.monotonic() - started
    assert "did not finish" in str(e.value) and "0.5 s" in str(e.value)
    # The fetch hangs for HANG: within the deadline, the answer came from the timeout.
    assert timeout * 0.9 <= elapsed < DEADLINE, elapsed
    assert p._fetch_count() == 1


def test_hanging_refresh_in_the_mandatory_window_serves_the_cached_credentials(hanging):
    fetch = hanging(good=1)
    timeout = 0.5
    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=timeout)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 56 * MIN):
        for _ in range(2):
            started = time.monotonic()
            assert p.get_credentials() is first  # waited up to the timeout, then the valid ones
            elapsed = time.monotonic() - started
            assert timeout * 0.9 <= elapsed < DEADLINE, elapsed  # the fetch hangs for HANG
        assert p._fetch_count() == 2  # the one hanging refresh, never a second alongside it
    # Expired while the refresh still hangs: an error saying it did not finish.
    with frozen_time(T0 + HOUR):
        started = time.monotonic()
        with pytest.raises(ossauth.CredentialsError, match="did not finish"):
            p.get_credentials()
        assert time.monotonic() - started < DEADLINE
        assert p._fetch_count() == 2


def test_hanging_refresh_in_the_advisory_window_never_makes_callers_wait(hanging):
    fetch = hanging(good=1)
    p = ossauth.RefreshingCredentialsProvider(fetch, timeout=HANG)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 50 * MIN):
        started = time.monotonic()
        for _ in range(200):
            assert p.get_credentials() is first
        assert time.monotonic() - started < DEADLINE  # a wait would take HANG
        assert p._fetch_count() == 2


# ============================================================================================
# Credentials without an expiration
# ============================================================================================


class Counter:
    def __init__(self, fail=None):
        self.n = 0
        self.fail = fail

    def __call__(self):
        self.n += 1
        if self.fail:
            raise RuntimeError(self.fail)
        return {"AccessKeyId": "LTAI%d" % self.n, "AccessKeySecret": "sk%d" % self.n}


def test_credentials_without_expiration_are_kept_forever_without_refresh_interval():
    fetch = Counter()
    p = ossauth.RefreshingCredentialsProvider(fetch)
    with frozen_time(T0):
        first = p.get_credentials()
        assert first.expiration is None
    for later in (T0 + 1, T0 + 30 * 86400, T0 + 100 * 365 * 86400):
        with frozen_time(later):
            assert p.get_credentials() is first
    assert p._fetch_count() == 1 and fetch.n == 1


def test_credentials_without_expiration_refresh_in_background_after_the_interval():
    fetch = Counter()
    p = ossauth.RefreshingCredentialsProvider(fetch, refresh_interval=600)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(at(T0 + 600, -1)):
        assert p.get_credentials() is first and p._fetch_count() == 1
    with frozen_time(T0 + 600):
        assert p.get_credentials() is first  # served at once, refreshed in the background
        assert p._fetch_count() == 2
        wait_for(lambda: p.get_credentials() is not first, "the interval refresh")
        second = p.get_credentials()
        assert second.access_key_id == "LTAI2" and p._fetch_count() == 2
    # The interval counts from the refresh (T0 + 600).
    with frozen_time(at(T0 + 1200, -1)):
        assert p.get_credentials() is second and p._fetch_count() == 2
    # A failing interval refresh keeps the credentials (they never expire).
    fetch.fail = "config server down"
    with frozen_time(T0 + 1200):
        assert p.get_credentials() is second and p._fetch_count() == 3
    with frozen_time(T0 + 10 * 365 * 86400):
        assert p.get_credentials() is second


@pytest.mark.parametrize("kwargs", [{"refresh_interval": 0}, {"refresh_interval": -1},
                                    {"timeout": 0}, {"timeout": float("nan")}])
def test_invalid_durations_are_rejected(kwargs):
    with pytest.raises(ValueError):
        ossauth.RefreshingCredentialsProvider(Counter(), **kwargs)


def test_fetch_must_be_callable():
    with pytest.raises(TypeError):
        ossauth.RefreshingCredentialsProvider("not callable")


# ============================================================================================
# What a fetch may return
# ============================================================================================

EXP = T0 + HOUR
EXP_ISO = "2033-05-18T04:33:20Z"
assert dt.datetime.fromtimestamp(EXP, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == EXP_ISO


Getters = functools.partial(ExpiringGetterCredentials, "getter-id", "getter-secret", "getter-token", EXP)


class Attributes:
    def __init__(self, expiration=EXP, token=None):
        self.access_key_id = "attr-id"
        self.access_key_secret = "attr-secret"
        self.security_token = token
        self.expiration = expiration


class NoExpiration:
    access_key_id, access_key_secret = "bare-id", "bare-secret"


class ProviderFor(ICredentialsProvider):
    """An ICredentialsProvider for alibabacloud_credentials' Client."""

    def __init__(self, fetch):
        self.fetch = fetch
        self.calls = 0

    def get_credentials(self):
        self.calls += 1
        return self.fetch(self.calls)

    async def get_credentials_async(self):
        return self.get_credentials()

    def get_provider_name(self):
        return "test_provider"


SHAPES = [
    # (label, make, (id, secret, token, expiration epoch or None))
    ("ossauth", lambda: ossauth.Credentials("oa-id", "oa-secret", "oa-tok", EXP), ("oa-id", "oa-secret", "oa-tok", EXP)),
    ("oss2 Credentials", lambda: oss2.credentials.Credentials("o2-id", "o2-secret", "o2-tok"),
     ("o2-id", "o2-secret", "o2-tok", None)),
    ("oss2 Credentials, no token", lambda: oss2.credentials.Credentials("o2-id", "o2-secret"),
     ("o2-id", "o2-secret", None, None)),
    ("oss2 EcsRamRoleCredential", lambda: oss2.credentials.EcsRamRoleCredential("ecs-id", "ecs-secret", "ecs-tok", EXP, 3600),
     ("ecs-id", "ecs-secret", "ecs-tok", EXP)),
    ("CredentialModel", lambda: CredentialModel(access_key_id="cm-id", access_key_secret="cm-secret",
                                                security_token="cm-tok", type="sts"), ("cm-id", "cm-secret", "cm-tok", None)),
    ("CredentialModel, access_key", lambda: CredentialModel(access_key_id="cm-id", access_key_secret="cm-secret",
                                                            type="access_key"), ("cm-id", "cm-secret", None, None)),
    ("alibabacloud_credentials refreshable", lambda: RefreshableCredentials(
        access_key_id="rc-id", access_key_secret="rc-secret", security_token="rc-tok", expiration=EXP,
        provider_name="x"), ("rc-id", "rc-secret", "rc-tok", EXP)),
    ("alibabacloud_credentials AccessKeyCredential", lambda: acc_credentials.AccessKeyCredential("ak-id", "ak-secret"),
     ("ak-id", "ak-secret", None, None)),
    ("alibabacloud_credentials StsCredential", lambda: acc_credentials.StsCredential("sts-id", "sts-secret", "sts-tok"),
     ("sts-id", "sts-secret", "sts-tok", None)),
    ("alibabacloud_credentials EcsRamRoleCredential", lambda: acc_credentials.EcsRamRoleCredential(
        "er-id", "er-secret", "er-tok", EXP, None), ("er-id", "er-secret", "er-tok", EXP)),
    ("oss-v2 credentials.Credentials", lambda: oss_v2.credentials.Credentials(
        "v2-id", "v2-secret", None, dt.datetime.fromtimestamp(EXP, UTC)), ("v2-id", "v2-secret", None, EXP)),
    ("oss-v2 types.Credentials", lambda: oss_v2.types.Credentials("v2t-id", "v2t-secret", "v2t-tok"),
     ("v2t-id", "v2t-secret", "v2t-tok", None)),
    ("getters", Getters, ("getter-id", "getter-secret", "getter-token", EXP)),
    ("attributes", Attributes, ("attr-id", "attr-secret", None, EXP)),
    ("attributes, empty token", lambda: Attributes(token=""), ("attr-id", "attr-secret", None, EXP)),
    ("attributes, no expiration attribute", NoExpiration, ("bare-id", "bare-secret", None, None)),
    ("namespace", lambda: types.SimpleNamespace(access_key_id="ns-id", access_key_secret="ns-secret",
                                                security_token="ns-tok", expiration=EXP_ISO),
     ("ns-id", "ns-secret", "ns-tok", EXP)),
    ("uri dict", lambda: {"Code": "Success", "AccessKeyId": "u-id", "AccessKeySecret": "u-secret",
                          "SecurityToken": "u-tok", "Expiration": EXP_ISO, "LastUpdated": "x"},
     ("u-id", "u-secret", "u-tok", EXP)),
    ("dict without Code", lambda: {"AccessKeyId": "d-id", "AccessKeySecret": "d-secret"},
     ("d-id", "d-secret", None, None)),
    ("dict, empty token", lambda: {"AccessKeyId": "d-id", "AccessKeySecret": "d-secret", "SecurityToken": ""},
     ("d-id", "d-secret", None, None)),
    ("mapping proxy", lambda: types.MappingProxyType({"AccessKeyId": "m-id", "AccessKeySecret": "m-secret",
                                                      "Expiration": EXP}), ("m-id", "m-secret", None, EXP)),
]

EXPIRATIONS = [
    ("datetime UTC", dt.datetime.fromtimestamp(EXP, UTC)),
    ("datetime +08:00", dt.datetime.fromtimestamp(EXP, dt.timezone(dt.timedelta(hours=8)))),
    ("datetime naive (UTC)", dt.datetime.fromtimestamp(EXP, UTC).replace(tzinfo=None)),
    ("epoch int", EXP),
    ("epoch float", EXP + 0.75),
    ("ISO Z", EXP_ISO),
    ("ISO fractional", "2033-05-18T04:33:20.250Z"),
    ("ISO offset", "2033-05-18T12:33:20+08:00"),
    ("ISO negative offset", "2033-05-17T23:33:20-05:00"),
]


def check_served(provider, expected):
    key_id, secret, token, expires = expected
    with frozen_time(T0):
        creds = provider.get_credentials()
        assert provider.get_credentials() is creds
    assert isinstance(creds, ossauth.Credentials)
    assert creds.access_key_id == key_id and creds.get_access_key_id() == key_id
    assert creds.access_key_secret == secret and creds.get_access_key_secret() == secret
    assert creds.security_token == token and creds.get_security_token() == token  # None, never ''
    assert creds.has_keys()
    if expires is None:
        assert creds.expiration is None
        with frozen_time(T0 + 50 * 365 * 86400):
            assert provider.get_credentials() is creds
        assert provider._fetch_count() == 1
    else:
        assert creds.expiration.tzinfo is not None
        assert creds.expiration.timestamp() == expires
        # The expiration drives the cache: fresh until e - 15 min, mandatory from e - 5 min.
        with frozen_time(at(expires - 15 * MIN, -1)):
            assert provider.get_credentials() is creds
        assert provider._fetch_count() == 1
    return creds


@pytest.mark.parametrize("label,make,expected", SHAPES, ids=[s[0] for s in SHAPES])
def test_every_shape_a_fetch_may_return(label, make, expected):
    check_served(ossauth.RefreshingCredentialsProvider(make), expected)


@pytest.mark.parametrize("label,expiration", EXPIRATIONS, ids=[e[0] for e in EXPIRATIONS])
@pytest.mark.parametrize("carrier", ["dict", "attributes", "getters", "ossauth"])
def test_every_expiration_form(carrier, label, expiration):
    def make():
        if carrier == "dict":
            return {"AccessKeyId": "e-id", "AccessKeySecret": "e-secret", "Expiration": expiration}
        if carrier == "attributes":
            return Attributes(expiration=expiration)
        if carrier == "getters":
            g = Getters()
            g.get_expiration = lambda: expiration
            return g
        return ossauth.Credentials("e-id", "e-secret", None, expiration)

    p = ossauth.RefreshingCredentialsProvider(make)
    with frozen_time(T0):
        creds = p.get_credentials()
    assert creds.expiration.timestamp() == EXP  # whole seconds, sub-seconds floored
    with frozen_time(EXP - 5 * MIN):  # mandatory: a new fetch, waited for
        again = p.get_credentials()
    assert again is not creds and p._fetch_count() == 2
    with frozen_time(EXP):  # expired, and every fetch returns the same expired ones
        with pytest.raises(ossauth.CredentialsError, match="already expired"):
            p.get_credentials()


def test_expiration_drives_a_refresh_for_a_foreign_shape():
    """oss2's EcsRamRoleCredential with an epoch expiration: refreshed in the mandatory window."""
    n = {"calls": 0}

    def fetch():
        n["calls"] += 1
        now = int(ossauth.testing.now().timestamp())
        return oss2.credentials.EcsRamRoleCredential("ecs%d" % n["calls"], "s", "t", now + HOUR, HOUR)

    p = ossauth.RefreshingCredentialsProvider(fetch)
    with frozen_time(T0):
        assert p.get_credentials().access_key_id == "ecs1"
    with frozen_time(T0 + 55 * MIN):
        assert p.get_credentials().access_key_id == "ecs2"
    assert n["calls"] == 2


# ============================================================================================
# Function Compute and alibabacloud_credentials' Client
# ============================================================================================

FC_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")


def test_function_compute_reads_the_context_and_again_after_the_interval(clean_env):
    context = types.SimpleNamespace(
        request_id="r", credentials=types.SimpleNamespace(
            access_key_id="STS.fc1", access_key_secret="fc-secret-1", security_token="fc-token-1"))
    p = ossauth.FunctionComputeCredentialsProvider(context)
    assert isinstance(p, ossauth.RefreshingCredentialsProvider)
    with frozen_time(T0):
        first = p.get_credentials()
    assert (first.access_key_id, first.access_key_secret, first.security_token) == (
        "STS.fc1", "fc-secret-1", "fc-token-1")
    assert first.expiration is None
    # The next invocation's context carries rotated credentials.
    context.credentials = types.SimpleNamespace(
        access_key_id="STS.fc2", access_key_secret="fc-secret-2", security_token="fc-token-2")
    with frozen_time(at(T0 + 300, -1)):  # default refresh_interval=300
        assert p.get_credentials() is first and p._fetch_count() == 1
    with frozen_time(T0 + 300):
        assert p.get_credentials() is first  # background
        wait_for(lambda: p.get_credentials() is not first, "the FC re-read")
        assert p.get_credentials().access_key_id == "STS.fc2"


def test_function_compute_custom_interval(clean_env):
    context = types.SimpleNamespace(credentials=types.SimpleNamespace(
        access_key_id="STS.fc", access_key_secret="s", security_token="t"))
    p = ossauth.FunctionComputeCredentialsProvider(context, refresh_interval=60)
    with frozen_time(T0):
        first = p.get_credentials()
    with frozen_time(T0 + 60):
        assert p.get_credentials() is first and p._fetch_count() == 2


def test_function_compute_environment(clean_env):
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    clean_env.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    for context in (None, types.SimpleNamespace(credentials=None), types.SimpleNamespace()):
        p = ossauth.FunctionComputeCredentialsProvider(context)
        with frozen_time(T0):
            c = p.get_credentials()
        assert (c.access_key_id, c.access_key_secret, c.security_token) == ("STS.env", "env-secret", "env-token")
    clean_env.delenv("ALIBABA_CLOUD_SECURITY_TOKEN")
    with frozen_time(T0):
        c = ossauth.FunctionComputeCredentialsProvider().get_credentials()
    assert c.security_token is None and c.access_key_id == "STS.env"
    # Re-read after the interval: rotated variables are picked up.
    p = ossauth.FunctionComputeCredentialsProvider()
    with frozen_time(T0):
        first = p.get_credentials()
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env2")
    with frozen_time(T0 + 300):
        p.get_credentials()
        wait_for(lambda: p.get_credentials() is not first, "the environment re-read")
        assert p.get_credentials().access_key_id == "STS.env2"


@pytest.mark.parametrize("present", [(), ("ALIBABA_CLOUD_ACCESS_KEY_ID",), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET",)])
def test_function_compute_without_context_or_environment_is_an_error(clean_env, present):
    for name in present:
        clean_env.setenv(name, "x")
    p = ossauth.FunctionComputeCredentialsProvider(types.SimpleNamespace(credentials=None))
    with frozen_time(T0):
        with pytest.raises(ossauth.CredentialsError) as e:
            p.get_credentials()
    msg = str(e.value)
    assert "FunctionComputeCredentialsProvider" in msg
    for name in FC_ENV[:2]:
        assert (name in msg) == (name not in present), msg


@pytest.mark.parametrize("config,expected", [
    (CredConfig(type="access_key", access_key_id="LTAIclient", access_key_secret="client-secret"),
     ("LTAIclient", "client-secret", None)),
    (CredConfig(type="sts", access_key_id="STS.client", access_key_secret="client-secret",
                security_token="client-token"), ("STS.client", "client-secret", "client-token")),
], ids=["access_key", "sts"])
def test_credentials_client_provider_with_a_real_client(config, expected):
    p = ossauth.CredentialsClientProvider(CredClient(config))
    assert isinstance(p, ossauth.RefreshingCredentialsProvider)
    with frozen_time(T0):
        creds = p.get_credentials()
        assert p.get_credentials() is creds
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == expected
    assert creds.expiration is None
    assert "CredentialsClientProvider" in repr(p)


def test_credentials_client_provider_keeps_the_expiration_of_the_clients_provider():
    def issue(n):
        return RefreshableCredentials(
            access_key_id="STS.c%d" % n, access_key_secret="cs%d" % n, security_token="ct%d" % n,
            expiration=int(ossauth.testing.now().timestamp()) + HOUR, provider_name="test_provider")

    upstream = ProviderFor(issue)
    p = ossauth.CredentialsClientProvider(CredClient(provider=upstream))
    with frozen_time(T0):
        first = p.get_credentials()
    assert first.access_key_id == "STS.c1" and first.expiration.timestamp() == T0 + HOUR
    with frozen_time(at(T0 + 45 * MIN, -1)):
        assert p.get_credentials() is first
    with frozen_time(T0 + 55 * MIN):
        assert p.get_credentials().access_key_id == "STS.c2"
    assert upstream.calls == 2


# ============================================================================================
# Inside oss2, ossauth's auth and alibabacloud-oss-v2
# ============================================================================================

REGION = "cn-hangzhou"
URL = "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/key.txt"


oss2_request = functools.partial(make_request, "PUT", URL, data=b"hello", params={"acl": "", "x-oss-process": "a/b"},
                                 headers={"Content-Type": "text/plain", "x-oss-meta-k": "v", "Content-MD5": "abc"},
                                 region=REGION)


def rotating(keys):
    state = {"n": 0}

    def fetch():
        key_id, secret, token = keys[min(state["n"], len(keys) - 1)]
        state["n"] += 1
        return {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                "Expiration": int(ossauth.testing.now().timestamp()) + HOUR}

    return fetch


KEYS = [("STS.first", "first-secret", "first-token"), ("STS.second", "second-secret", "second-token")]

AUTHS = [
    ("v1", oss2.ProviderAuth, ossauth.ProviderAuth),
    ("v2", oss2.ProviderAuthV2, ossauth.ProviderAuthV2),
    ("v4", oss2.ProviderAuthV4, ossauth.ProviderAuthV4),
]


def signed(auth, how):
    req = oss2_request()
    if how == "request":
        auth._sign_request(req, "examplebucket", "dir/key.txt")
        return dict(req.headers), dict(req.params)
    return auth._sign_url(req, "examplebucket", "dir/key.txt", 600)


@pytest.mark.parametrize("how", ["request", "url"])
@pytest.mark.parametrize("version,oss2_cls,our_cls", AUTHS, ids=[a[0] for a in AUTHS])
def test_provider_signs_in_oss2_and_ossauth_like_a_static_provider(version, oss2_cls, our_cls, how):
    p = ossauth.RefreshingCredentialsProvider(rotating(KEYS))
    for i, (instant, (key_id, secret, token)) in enumerate([(T0, KEYS[0]), (T0 + 56 * MIN, KEYS[1])]):
        with frozen_time(instant, oss2=True):
            reference = signed(oss2_cls(oss2.credentials.StaticCredentialsProvider(key_id, secret, token)), how)
            in_oss2 = signed(oss2_cls(p), how)
            in_ours = signed(our_cls(p), how)
        assert in_oss2 == reference, (i, version, how)
        assert in_ours == reference, (i, version, how)
        text = repr(reference)
        assert key_id in text and (token in text)
    assert p._fetch_count() == 2


def test_provider_in_oss_v2_signer_matches_oss_v2_credentials():
    p = ossauth.RefreshingCredentialsProvider(
        lambda: {"AccessKeyId": "v2-id", "AccessKeySecret": "v2-secret", "SecurityToken": "v2-token",
                 "Expiration": T0 + HOUR})
    with frozen_time(T0):
        ours = p.get_credentials()
    theirs = oss_v2.credentials.Credentials("v2-id", "v2-secret", "v2-token")
    when = dt.datetime.fromtimestamp(T0, UTC)

    def sign(creds):
        req = oss_v2.types.HttpRequest("PUT", URL, headers={"Content-Type": "text/plain"})
        ctx = oss_v2.types.SigningContext(product="oss", region=REGION, bucket="examplebucket",
                                          key="dir/key.txt", request=req, credentials=creds, signing_time=when)
        SignerV4().sign(ctx)
        return dict(req.headers)

    assert sign(ours) == sign(theirs)
    assert ours.has_keys() and not ours.is_expired()


@pytest.mark.parametrize("returned", [
    {"AccessKeyId": "a", "AccessKeySecret": "s"},
    {"AccessKeyId": "a", "AccessKeySecret": "s", "SecurityToken": ""},
    {"AccessKeyId": "a", "AccessKeySecret": "s", "SecurityToken": None},
    oss2.credentials.Credentials("a", "s", ""),
    oss_v2.credentials.Credentials("a", "s"),
], ids=["no key", "empty", "None", "oss2 ''", "oss-v2 None"])
def test_oss_v2_attributes_token_none_not_empty(returned):
    p = ossauth.RefreshingCredentialsProvider(lambda: returned)
    with frozen_time(T0):
        creds = p.get_credentials()
    assert creds.security_token is None and creds.get_security_token() is None
    assert creds.has_keys() is True
    assert creds.access_key_id == "a" and creds.access_key_secret == "s"
    assert creds.expiration is None and creds.is_expired() is False


def test_oss_v2_client_accepts_the_provider():
    p = ossauth.RefreshingCredentialsProvider(lambda: {"AccessKeyId": "a", "AccessKeySecret": "s"})
    cfg = oss_v2.config.load_default()
    cfg.credentials_provider = p
    cfg.region = REGION
    client = oss_v2.Client(cfg)
    result = client.presign(oss_v2.GetObjectRequest(bucket="examplebucket", key="k.txt"))
    assert "x-oss-credential=a%2F" in result.url and "x-oss-security-token" not in result.url


# ============================================================================================
# Secret hygiene and logging
# ============================================================================================


def test_secrets_never_appear_in_reprs_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG, logger="ossauth")
    texts = []
    calls = {"n": 0}
    mode = {"answer": "good"}

    def fetch():
        calls["n"] += 1
        now = int(ossauth.testing.now().timestamp())
        good = {"Code": "Success", "AccessKeyId": "STS.known", "AccessKeySecret": SECRET,
                "SecurityToken": TOKEN, "Expiration": now + HOUR}
        answer = mode["answer"]
        if answer == "good":
            return good
        if answer == "raise":
            raise ConnectionError("metadata server refused the connection")
        if answer == "expired":
            return dict(good, Expiration=now - 10)
        if answer == "code":
            return dict(good, Code="Throttling")
        if answer == "no id":
            return dict(good, AccessKeyId="")
        if answer == "bad token type":
            return dict(good, SecurityToken=TOKEN.encode())
        if answer == "bad secret type":
            return dict(good, AccessKeySecret=SECRET.encode())
        if answer == "bad expiration":
            return dict(good, Expiration="not-a-date")
        if answer == "object":
            return types.SimpleNamespace(access_key_id="", access_key_secret=SECRET, security_token=TOKEN)
        raise AssertionError(answer)

    p = ossauth.RefreshingCredentialsProvider(fetch, name="hygiene")
    texts += [repr(p), str(p)]
    instant = T0
    with frozen_time(instant):
        creds = p.get_credentials()
    assert creds.access_key_secret == SECRET and creds.security_token == TOKEN  # the test is live
    texts += [repr(p), str(p), repr(creds), str(creds), "%s %r" % (creds, creds)]
    # Sign with both auths (ossauth's may log at DEBUG).
    with frozen_time(instant, oss2=True):
        for auth in (ossauth.ProviderAuthV4(p), oss2.ProviderAuthV4(p), ossauth.ProviderAuth(p)):
            auth._sign_request(oss2_request(), "examplebucket", "dir/key.txt")
            auth._sign_url(oss2_request(), "examplebucket", "dir/key.txt", 60)
    for answer in ("raise", "expired", "code", "no id", "bad token type", "bad secret type",
                   "bad expiration", "object"):
        mode["answer"] = answer
        instant += 2 * HOUR  # expired each time: the caller gets the error
        with frozen_time(instant):
            with pytest.raises(ossauth.CredentialsError) as e:
                p.get_credentials()
        texts += [str(e.value), repr(e.value), repr(e.value.args), repr(p)]
        # A fresh provider, no cache: the first-fetch error too.
        q = ossauth.RefreshingCredentialsProvider(fetch, name="hygiene-first")
        with frozen_time(instant):
            with pytest.raises(ossauth.CredentialsError) as e:
                q.get_credentials()
        texts += [str(e.value), repr(e.value), repr(q)]
        mode["answer"] = "good"
        instant += 2 * HOUR
        with frozen_time(instant):
            creds = p.get_credentials()
        texts += [repr(p), repr(creds)]
    records = [r for r in caplog.records if r.name.startswith("ossauth")]
    assert records, "no log records captured from ossauth"
    for r in records:
        texts += [r.getMessage(), str(r.args), str(r.msg)]
    blob = "\n".join(texts)
    assert "hygiene" in blob and "STS" in blob  # sanity: the texts were collected
    assert SECRET not in blob
    assert TOKEN not in blob
    assert SECRET.encode().hex() not in blob and repr(SECRET.encode()) not in blob


def test_refresh_failures_are_logged_as_warnings_under_ossauth(caplog):
    caplog.set_level(logging.DEBUG, logger="ossauth")
    up = Upstream()
    p = ossauth.RefreshingCredentialsProvider(up, name="logged-source")
    with frozen_time(T0):
        first = p.get_credentials()
    up.fail = "sts unreachable (logged)"
    with frozen_time(T0 + 50 * MIN):  # advisory: the failure is only visible in the log
        assert p.get_credentials() is first

        def warned():
            return [r for r in caplog.records
                    if r.levelno == logging.WARNING and "sts unreachable (logged)" in r.getMessage()]

        wait_for(lambda: warned(), "the WARNING record")
    (record,) = warned()
    assert record.name.startswith("ossauth")
    assert record.name == "ossauth" or record.name.startswith("ossauth.")
    assert "logged-source" in record.getMessage()
    assert "secret-1" not in record.getMessage() and "token-1" not in record.getMessage()
    # Successful refreshes are DEBUG, not WARNING.
    refreshed = [r for r in caplog.records if r.name.startswith("ossauth") and "refreshed" in r.getMessage()]
    assert refreshed and all(r.levelno == logging.DEBUG for r in refreshed)
