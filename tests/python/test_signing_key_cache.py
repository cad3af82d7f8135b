"""The V4 signing-key cache of ``ProviderAuthV4`` (``_cached_signing_keys()``) never serves a
stale key: not across midnight UTC, not across regions / products, not after the provider's
secret rotates.

Every signature is compared with oss2's, which derives its signing key afresh for each
request, signing the same request at the same pinned instant (``frozen_time(t, oss2=True)``).
"""

import datetime as dt
import functools
import threading

import oss2
import oss2.credentials
import pytest

import ossauth
from ossauth.testing import frozen_time
import oss2_requests

UTC = dt.timezone.utc
AK = "LTAI5tKeyCacheTestId01"
SK = "KeyCacheSecret-0123456789abcdef"
SK2 = "KeyCacheSecret-rotated-fedcba98"

DAY1_NOON = dt.datetime(2024, 3, 9, 12, 0, 0, tzinfo=UTC)
DAY1_LAST = dt.datetime(2024, 3, 9, 23, 59, 59, tzinfo=UTC)
DAY2_FIRST = dt.datetime(2024, 3, 10, 0, 0, 0, tzinfo=UTC)


class RotatingCredentials(object):
    def __init__(self, secret):
        self.secret = secret

    def get_access_key_id(self):
        return AK

    def get_access_key_secret(self):
        return self.secret

    def get_security_token(self):
        return None


class RotatingProvider(object):
    """A provider whose secret the test changes; one instance per SDK."""

    def __init__(self, secret=SK):
        self.credentials = RotatingCredentials(secret)

    def get_credentials(self):
        return self.credentials


make_request = functools.partial(oss2_requests.make_request, "GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/obj",
                                 headers={"x-oss-meta-a": "1"}, params={"versionId": "v1"})


def assert_same_as_oss2(ours, theirs, when, op="request", **req_kw):
    """Signs identical requests with both auths at ``when`` and compares what they wrote."""
    r1, r2 = make_request(**req_kw), make_request(**req_kw)
    with frozen_time(when, oss2=True):
        if op == "request":
            ours._sign_request(r1, "bkt", "obj")
            theirs._sign_request(r2, "bkt", "obj")
            out1 = out2 = None
        else:
            out1 = ours._sign_url(r1, "bkt", "obj", 600)
            out2 = theirs._sign_url(r2, "bkt", "obj", 600)
    assert out1 == out2
    assert dict(r1.headers) == dict(r2.headers)
    return out1 or r1.headers["authorization"]


def pair(secret=SK):
    return (
        ossauth.ProviderAuthV4(ossauth.StaticCredentialsProvider(AK, secret)),
        oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(AK, secret)),
    )


def test_fresh_auth_has_no_keys():
    assert ossauth.ProviderAuthV4(ossauth.StaticCredentialsProvider(AK, SK))._cached_signing_keys() == 0
    assert ossauth.AuthV4(AK, SK)._cached_signing_keys() == 0


@pytest.mark.parametrize("make_ours", [lambda: pair()[0], lambda: ossauth.AuthV4(AK, SK)], ids=["provider", "authv4"])
def test_same_day_same_scope_keeps_one_key(make_ours):
    ours, theirs = make_ours(), pair()[1]
    sigs = set()
    for when in (DAY1_NOON, DAY1_NOON + dt.timedelta(hours=1), dt.datetime(2024, 3, 9, tzinfo=UTC), DAY1_LAST):
        sigs.add(assert_same_as_oss2(ours, theirs, when, "request"))
        sigs.add(assert_same_as_oss2(ours, theirs, when, "url"))
        assert ours._cached_signing_keys() == 1
    assert len(sigs) == 8  # different instants really were signed


@pytest.mark.parametrize("op", ["request", "url"])
def test_crossing_midnight_utc_derives_a_new_key(op):
    ours, theirs = pair()
    before = assert_same_as_oss2(ours, theirs, DAY1_LAST, op)
    assert ours._cached_signing_keys() == 1
    after = assert_same_as_oss2(ours, theirs, DAY2_FIRST, op)
    assert ours._cached_signing_keys() == 2
    assert before != after
    # back and forth: each day's key is still the right one
    assert_same_as_oss2(ours, theirs, DAY1_LAST, op)
    assert_same_as_oss2(ours, theirs, DAY2_FIRST + dt.timedelta(hours=5), op)
    assert ours._cached_signing_keys() == 2


def test_midnight_in_local_time_is_not_a_day_change():
    """The scope date is UTC: midnight in UTC+8 (16:00 UTC) keeps the same key."""
    ours, theirs = pair()
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert_same_as_oss2(ours, theirs, dt.datetime(2024, 3, 9, 23, 59, 59, tzinfo=plus8))
    assert_same_as_oss2(ours, theirs, dt.datetime(2024, 3, 10, 0, 0, 0, tzinfo=plus8))
    assert ours._cached_signing_keys() == 1


def test_many_days_in_a_row():
    ours, theirs = pair()
    for day in range(40):  # 2023-12-15 .. 2024-01-23: across a month end and a year end
        when = dt.datetime(2023, 12, 15, 23, 59, 59, tzinfo=UTC) + dt.timedelta(days=day)
        assert_same_as_oss2(ours, theirs, when)
        assert_same_as_oss2(ours, theirs, when + dt.timedelta(seconds=1))
    assert 1 <= ours._cached_signing_keys() < 40  # bounded: fewer entries than days signed on


def test_regions_do_not_share_a_key():
    ours, theirs = pair()
    regions = ["cn-hangzhou", "cn-beijing", "ap-southeast-1"]
    sigs = {r: assert_same_as_oss2(ours, theirs, DAY1_NOON, region=r) for r in regions}
    assert ours._cached_signing_keys() == 3
    assert len(set(sigs.values())) == 3
    for r in reversed(regions):  # cached entries, revisited
        assert assert_same_as_oss2(ours, theirs, DAY1_NOON, region=r) == sigs[r]
    assert ours._cached_signing_keys() == 3


def test_products_and_cloudbox_do_not_share_a_key():
    ours, theirs = pair()
    sigs = [
        assert_same_as_oss2(ours, theirs, DAY1_NOON, product="oss"),
        assert_same_as_oss2(ours, theirs, DAY1_NOON, product="oss-cloudbox"),
        assert_same_as_oss2(ours, theirs, DAY1_NOON, product="oss-cloudbox", cloudbox_id="cb-123"),
        assert_same_as_oss2(ours, theirs, DAY1_NOON, product="oss", cloudbox_id="cb-123"),
    ]
    assert ours._cached_signing_keys() == 4
    assert len(set(sigs)) == 4
    assert assert_same_as_oss2(ours, theirs, DAY1_NOON, product="oss") == sigs[0]


def test_scope_parts_are_not_confused_by_slashes():
    """region "a/b" + product "c" and region "a" + product "b/c" join to the same scope text
    but derive different keys (HMAC per part): the cache must keep them apart."""
    ours, theirs = pair()
    first = assert_same_as_oss2(ours, theirs, DAY1_NOON, region="a/b", product="c")
    second = assert_same_as_oss2(ours, theirs, DAY1_NOON, region="a", product="b/c")
    assert first.split("Signature=")[1] != second.split("Signature=")[1]
    assert ours._cached_signing_keys() == 2


@pytest.mark.parametrize("op", ["request", "url"])
def test_rotated_secret_gets_its_own_key(op):
    p_ours, p_theirs = RotatingProvider(SK), RotatingProvider(SK)
    ours, theirs = ossauth.ProviderAuthV4(p_ours), oss2.ProviderAuthV4(p_theirs)
    first = assert_same_as_oss2(ours, theirs, DAY1_NOON, op)
    assert ours._cached_signing_keys() == 1

    p_ours.credentials.secret = p_theirs.credentials.secret = SK2
    rotated = assert_same_as_oss2(ours, theirs, DAY1_NOON, op)
    assert rotated != first
    assert ours._cached_signing_keys() == 2

    p_ours.credentials.secret = p_theirs.credentials.secret = SK  # rotated back
    assert assert_same_as_oss2(ours, theirs, DAY1_NOON, op) == first
    assert ours._cached_signing_keys() == 2


def test_secret_differing_only_in_the_last_byte():
    p_ours, p_theirs = RotatingProvider(SK), RotatingProvider(SK)
    ours, theirs = ossauth.ProviderAuthV4(p_ours), oss2.ProviderAuthV4(p_theirs)
    seen = set()
    for secret in (SK, SK[:-1] + "g", SK[:-1], SK + "f", SK):
        p_ours.credentials.secret = p_theirs.credentials.secret = secret
        seen.add(assert_same_as_oss2(ours, theirs, DAY1_NOON))
    assert len(seen) == 4
    assert ours._cached_signing_keys() == 4


def test_auth_objects_do_not_share_a_cache():
    a1, theirs1 = pair(SK)
    a2, theirs2 = pair(SK2)
    assert_same_as_oss2(a1, theirs1, DAY1_NOON)
    assert_same_as_oss2(a2, theirs2, DAY1_NOON)
    assert (a1._cached_signing_keys(), a2._cached_signing_keys()) == (1, 1)


def test_many_scopes_stay_correct_and_bounded():
    ours, theirs = pair()
    regions = ["region-%02d" % i for i in range(30)]
    for r in regions + regions[::-1]:
        assert_same_as_oss2(ours, theirs, DAY1_NOON, region=r)
    assert 1 <= ours._cached_signing_keys() < len(regions)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_v1_v2_follow_a_rotated_secret(version):
    """V1/V2 keep a keyed HMAC for the last secret: it must follow a rotation as well."""
    cls = {"v1": "ProviderAuth", "v2": "ProviderAuthV2"}[version]
    p_ours, p_theirs = RotatingProvider(SK), RotatingProvider(SK)
    ours, theirs = getattr(ossauth, cls)(p_ours), getattr(oss2, cls)(p_theirs)
    seen = []
    for secret in (SK, SK2, SK, SK2):
        p_ours.credentials.secret = p_theirs.credentials.secret = secret
        seen.append(assert_same_as_oss2(ours, theirs, DAY1_NOON))
        seen.append(assert_same_as_oss2(ours, theirs, DAY1_NOON, "url"))
    assert seen[0] != seen[2] and seen[0] == seen[4]


def test_threads_signing_across_midnight_and_regions():
    """Several threads share one auth; signing at a pinned instant, every result matches oss2."""
    ours, _ = pair()
    cases = [(when, region) for when in (DAY1_LAST, DAY2_FIRST) for region in ("cn-hangzhou", "cn-shanghai")]
    expected = {}
    for when, region in cases:
        _, theirs = pair()
        r = make_request(region=region)
        with frozen_time(when, oss2=True):
            theirs._sign_request(r, "bkt", "obj")
        expected[(when, region)] = r.headers["authorization"]
    assert len(set(expected.values())) == 4

    for when in (DAY1_LAST, DAY2_FIRST):
        results, errors = [], []
        start = threading.Barrier(8)

        def work(region):
            try:
                start.wait(30)
                for _ in range(50):
                    r = make_request(region=region)
                    ours._sign_request(r, "bkt", "obj")
                    results.append((region, r.headers["authorization"]))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        with frozen_time(when):
            threads = [threading.Thread(target=work, args=(("cn-hangzhou", "cn-shanghai")[i % 2],)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert not errors
        assert len(results) == 400
        for region, authorization in results:
            assert authorization == expected[(when, region)]
    assert ours._cached_signing_keys() == 4
