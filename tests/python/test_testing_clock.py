"""``ossauth.testing.frozen_time`` / ``ossauth.testing.now`` and the ``ossauth_freeze`` fixture.

Expected instants and date strings are computed here independently (literal datetimes,
``email.utils.formatdate``, ``datetime.strftime``); signatures are compared with oss2's own,
signed under ``frozen_time(t, oss2=True)``. The frozen instants used are years away from the
wall clock, so "the clock runs again" is checked by closeness to ``datetime.now()``.
"""

import datetime as dt
import email.utils
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import oss2
import oss2.auth
import oss2.credentials
import oss2.http
import oss2.utils
import pytest

import ossauth
from ossauth.testing import frozen_time, now
from oss2_requests import make_request

pytest_plugins = ["pytester"]

UTC = dt.timezone.utc
T = 1700000000
T_DT = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # == T, written out by hand
T2_DT = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
T3_DT = dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)

AK, SK, TOKEN = "LTAI5tClockTestKeyId01", "ClockTestSecret0123456789", "ClockTestToken+/="
REGION = "cn-hangzhou"
JOIN_TIMEOUT = 30  # seconds; only a bound on waiting for a helper thread, never asserted


def assert_live():
    """ossauth's clock is not frozen: it reads (about) the wall clock again."""
    assert abs(now() - dt.datetime.now(UTC)) < dt.timedelta(hours=1), now()


# ------------------------------------------------------------------------------------------
# Accepted and rejected instants
# ------------------------------------------------------------------------------------------


def test_int_epoch_seconds():
    with frozen_time(T) as pinned:
        assert pinned == T_DT
        assert pinned.utcoffset() == dt.timedelta(0)
        assert now() == T_DT
        assert now().utcoffset() == dt.timedelta(0)
    assert_live()


def test_float_epoch_seconds_keeps_the_fraction():
    with frozen_time(T + 0.25) as pinned:
        expected = T_DT + dt.timedelta(milliseconds=250)
        assert pinned == expected
        assert now() == expected
    assert_live()


@pytest.mark.parametrize(
    "offset",
    [dt.timedelta(0), dt.timedelta(hours=8), dt.timedelta(hours=-5, minutes=-30), dt.timedelta(hours=14)],
    ids=["utc", "plus8", "minus0530", "plus14"],
)
def test_aware_datetime_in_any_timezone(offset):
    instant = T_DT + dt.timedelta(microseconds=123456)
    local = instant.astimezone(dt.timezone(offset))
    assert local.utcoffset() == offset  # really expressed in that zone
    with frozen_time(local) as pinned:
        assert pinned == instant
        assert now() == instant
        assert now().utcoffset() == dt.timedelta(0)
        # now() is in UTC, so its wall-clock fields are the UTC ones
        assert now().replace(tzinfo=None) == dt.datetime(2023, 11, 14, 22, 13, 20, 123456)
    assert_live()


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError):
        with frozen_time(dt.datetime(2023, 11, 14, 22, 13, 20)):
            pass  # pragma: no cover
    assert_live()
    # Rejected inside an outer block: the outer instant stays.
    with frozen_time(T):
        with pytest.raises(ValueError):
            with frozen_time(dt.datetime(2001, 1, 1)):
                pass  # pragma: no cover
        assert now() == T_DT
    assert_live()


@pytest.mark.parametrize(
    "when", [True, False, "1700000000", b"1700000000", None, Decimal("1700000000"), [T]], ids=repr
)
def test_non_numbers_are_type_errors(when):
    with pytest.raises(TypeError):
        with frozen_time(when):
            pass  # pragma: no cover
    assert_live()


# ------------------------------------------------------------------------------------------
# Restoring
# ------------------------------------------------------------------------------------------


def test_nesting_restores_each_outer_instant():
    with frozen_time(T):
        assert now() == T_DT
        with frozen_time(T2_DT):
            assert now() == T2_DT
            with frozen_time(T3_DT.astimezone(dt.timezone(dt.timedelta(hours=-7)))):
                assert now() == T3_DT
            assert now() == T2_DT
        assert now() == T_DT
    assert_live()


def test_exception_inside_the_block_still_restores():
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with frozen_time(T):
            with frozen_time(T2_DT):
                raise Boom()
    assert_live()

    with frozen_time(T):
        with pytest.raises(Boom):
            with frozen_time(T2_DT, oss2=True):
                raise Boom()
        assert now() == T_DT
    assert_live()


def test_oss2_clocks_pinned_only_on_request_and_restored():
    real_time, real_datetime, real_http_date = oss2.auth.time, oss2.auth.datetime, oss2.utils.http_date
    assert real_time is time and real_datetime is dt.datetime

    with frozen_time(T):
        assert oss2.auth.time is time  # oss2 untouched without oss2=True
        assert oss2.utils.http_date is real_http_date

    with frozen_time(T + 0.5, oss2=True):
        assert oss2.auth.time.time() == T + 0.5
        assert oss2.auth.datetime.utcnow() == dt.datetime(2023, 11, 14, 22, 13, 20, 500000)
        assert oss2.utils.http_date() == email.utils.formatdate(T, usegmt=True)
        # the rest of oss2.auth's ``time`` still works
        assert oss2.auth.time.gmtime(0).tm_year == 1970

    assert oss2.auth.time is real_time
    assert oss2.auth.datetime is real_datetime
    assert oss2.utils.http_date is real_http_date
    assert_live()


# ------------------------------------------------------------------------------------------
# Process-wide
# ------------------------------------------------------------------------------------------


def test_clock_is_process_wide_for_threads_started_earlier():
    """A thread started *before* the freeze signs at the frozen instant."""
    go, results = threading.Event(), {}

    def worker():
        go.wait(JOIN_TIMEOUT)
        results["now"] = now()
        r4 = make_request()
        ossauth.AuthV4(AK, SK)._sign_request(r4, "bkt", "dir/obj.txt")
        results["x-oss-date"] = r4.headers["x-oss-date"]
        r1 = make_request()
        ossauth.Auth(AK, SK)._sign_request(r1, "bkt", "dir/obj.txt")
        results["date"] = r1.headers["date"]
        results["url"] = ossauth.Auth(AK, SK)._sign_url(make_request(), "bkt", "dir/obj.txt", 60)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        with frozen_time(T2_DT):
            go.set()
            thread.join(JOIN_TIMEOUT)
    finally:
        go.set()
        thread.join(JOIN_TIMEOUT)
    assert not thread.is_alive()

    secs = int(T2_DT.timestamp())
    assert results["now"] == T2_DT
    assert results["x-oss-date"] == T2_DT.strftime("%Y%m%dT%H%M%SZ") == "20010203T040506Z"
    assert results["date"] == email.utils.formatdate(secs, usegmt=True) == "Sat, 03 Feb 2001 04:05:06 GMT"
    assert dict(parse_qsl(urlsplit(results["url"]).query))["Expires"] == str(secs + 60)


def test_thread_sees_the_live_clock_after_the_block():
    with frozen_time(T):
        pass
    results = {}
    thread = threading.Thread(target=lambda: results.setdefault("now", now()))
    thread.start()
    thread.join(JOIN_TIMEOUT)
    assert abs(results["now"] - dt.datetime.now(UTC)) < dt.timedelta(hours=1)


# ------------------------------------------------------------------------------------------
# Same signatures as oss2 at the pinned instant
# ------------------------------------------------------------------------------------------

# (what frozen_time gets, the same instant in UTC written out by hand)
INSTANTS = [
    pytest.param(T, T_DT, id="int"),
    pytest.param(T + 0.75, T_DT + dt.timedelta(milliseconds=750), id="float"),
    pytest.param(
        dt.datetime(2023, 11, 15, 6, 13, 20, tzinfo=dt.timezone(dt.timedelta(hours=8))), T_DT, id="datetime+08"
    ),
    pytest.param(
        dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        id="leap-day-last-microsecond",
    ),
    pytest.param(0, dt.datetime(1970, 1, 1, tzinfo=UTC), id="epoch"),
    # before the epoch: dates floor to 23:59:59, int(time.time()) truncates to 0
    pytest.param(-0.5, dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), id="pre-epoch-fraction"),
]


def _auth_pair(version, token):
    ours_p = ossauth.StaticCredentialsProvider(AK, SK, token)
    theirs_p = oss2.credentials.StaticCredentialsProvider(AK, SK, token)
    cls = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}[version]
    return getattr(ossauth, cls)(ours_p), getattr(oss2, cls)(theirs_p)


def _sign_both(version, op, when, token):
    ours, theirs = _auth_pair(version, token)
    headers = {"Content-Type": "text/plain", "x-oss-meta-k": "v"}
    params = {"acl": "", "prefix": "a b"}
    r_ours = make_request("PUT", headers=headers, params=params)
    r_theirs = make_request("PUT", headers=headers, params=params)
    with frozen_time(when, oss2=True):
        if op == "request":
            out_ours = ours._sign_request(r_ours, "bkt", "dir/obj.txt")
            out_theirs = theirs._sign_request(r_theirs, "bkt", "dir/obj.txt")
        else:
            out_ours = ours._sign_url(r_ours, "bkt", "dir/obj.txt", 60)
            out_theirs = theirs._sign_url(r_theirs, "bkt", "dir/obj.txt", 60)
    assert out_ours == out_theirs
    assert dict(r_ours.headers) == dict(r_theirs.headers)
    assert list(r_ours.params.items()) == list(r_theirs.params.items())
    return r_ours, out_ours


@pytest.mark.parametrize("token", [None, TOKEN], ids=["ak", "sts"])
@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("when, instant", INSTANTS)
def test_header_signature_equals_oss2_at_the_instant(when, instant, version, token):
    req, _ = _sign_both(version, "request", when, token)
    secs = instant.timestamp()
    if version == "v4":
        assert req.headers["x-oss-date"] == instant.strftime("%Y%m%dT%H%M%SZ")
        assert "/%s/" % instant.strftime("%Y%m%d") in req.headers["authorization"]
    else:
        assert req.headers["date"] == email.utils.formatdate(secs, usegmt=True)


@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("when, instant", INSTANTS)
def test_url_signature_equals_oss2_at_the_instant(when, instant, version):
    _, url = _sign_both(version, "url", when, TOKEN)
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    expires_at = str(int(instant.timestamp()) + 60)
    if version == "v1":
        assert query["Expires"] == expires_at
    elif version == "v2":
        assert query["x-oss-expires"] == expires_at
    else:
        assert query["x-oss-date"] == instant.strftime("%Y%m%dT%H%M%SZ")
        assert query["x-oss-expires"] == "60"


def test_signatures_differ_between_instants():
    """Control: the comparison above would notice a clock that is not pinned to ``when``."""
    r1, _ = _sign_both("v4", "request", T, None)
    r2, _ = _sign_both("v4", "request", T + 1, None)
    assert r1.headers["authorization"] != r2.headers["authorization"]


# ------------------------------------------------------------------------------------------
# The pytest fixture (pytest11 entry point)
# ------------------------------------------------------------------------------------------

INNER_TESTS = '''
import datetime as dt
import email.utils
import time

import oss2
import oss2.auth
import oss2.http
import pytest

import ossauth
from ossauth.testing import now

UTC = dt.timezone.utc


def req():
    return oss2.http.Request("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/k",
                             region="cn-hangzhou", product="oss")


def test_1_freeze_and_compare_with_oss2(ossauth_freeze):
    pinned = ossauth_freeze(1700000000)
    assert pinned == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert now() == pinned
    for ours, theirs in [(ossauth.AuthV4("ak", "sk"), oss2.AuthV4("ak", "sk")),
                         (ossauth.Auth("ak", "sk"), oss2.Auth("ak", "sk"))]:
        r1, r2 = req(), req()
        ours._sign_request(r1, "bkt", "k")
        theirs._sign_request(r2, "bkt", "k")
        assert dict(r1.headers) == dict(r2.headers)
    assert r1.headers["date"] == email.utils.formatdate(1700000000, usegmt=True)


def test_2_freeze_twice_in_one_test(ossauth_freeze):
    ossauth_freeze(1700000000)
    ossauth_freeze(dt.datetime(2030, 1, 1, tzinfo=UTC))
    assert now() == dt.datetime(2030, 1, 1, tzinfo=UTC)
    r1, r2 = req(), req()
    ossauth.AuthV4("ak", "sk")._sign_request(r1, "bkt", "k")
    oss2.AuthV4("ak", "sk")._sign_request(r2, "bkt", "k")
    assert r1.headers["x-oss-date"] == "20300101T000000Z"
    assert dict(r1.headers) == dict(r2.headers)


def test_3_failing_test_still_restores(ossauth_freeze):
    ossauth_freeze(1700000000)
    raise AssertionError("deliberate failure while frozen")


def test_4_oss2_false_leaves_oss2_alone(ossauth_freeze):
    ossauth_freeze(1700000000, oss2=False)
    assert now() == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert oss2.auth.time is time


def test_5_restored_after_the_tests():
    assert abs(now() - dt.datetime.now(UTC)) < dt.timedelta(hours=1)
    assert oss2.auth.time is time
    assert oss2.auth.datetime is dt.datetime
'''


def test_ossauth_freeze_fixture(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_3_failing_test_still_restores FAILED*", "*deliberate failure*"])
    result.stdout.fnmatch_lines(["*test_5_restored_after_the_tests PASSED*"])
    # The inner session ran in this process: our clock and oss2's are back too.
    assert_live()
    assert oss2.auth.time is time and oss2.auth.datetime is dt.datetime


def test_ossauth_freeze_comes_from_the_entry_point(pytester):
    """Disabling the plugin by its entry-point name removes the fixture."""
    pytester.makepyfile(test_inner="def test_x(ossauth_freeze):\n    ossauth_freeze(0)\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:ossauth")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'ossauth_freeze' not found*"])
    assert_live()
