"""One RefreshingCredentialsProvider serving both SDKs over HTTP against the local OSS-like
server (``oss_server.py``), which verifies every signature with its own implementation of the
OSS spec: oss2.Bucket with oss2's own ``ProviderAuthV4`` and with ossauth's, and an
alibabacloud-oss-v2 ``Client`` -- header-signed requests and presigned URLs -- across
credential rotations (each refresh mints a new STS key; the server accepts every key minted).

Every test checks the server's records: each request was verified (signature recomputed by
the server), accepted, and signed with the key and token the provider handed out at the time.
"""

import datetime as dt
import os
import sys
import threading
import time

import pytest
import requests

import alibabacloud_oss_v2 as oss
import oss2

import ossauth
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oss_v2_clients import fake_oss_client  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

REGION = "cn-hangzhou"
BUCKET = "sdk-bucket"


class MintingUpstream:
    """An STS-like upstream: every fetch mints a new key (id, secret, token), registers it with
    the server and returns it in the credentials-URI JSON shape, valid for ``lifetime`` seconds
    from ossauth's clock (frozen or not)."""

    def __init__(self, fresh_oss_server, lifetime=3600):
        self.server = fresh_oss_server
        self.lifetime = lifetime
        self.keys = []  # (id, secret, token), in minting order
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            n = len(self.keys) + 1
            # Tokens with '+', '/' and '=' exercise the header and query encodings.
            key = ("STS.rot%d" % n, "rot-secret-%d-%s" % (n, "k" * 20), "tok+%d/rot=%s==" % (n, "t" * 30))
            self.server.add_credentials(*key)
            self.keys.append(key)
        return {
            "AccessKeyId": key[0],
            "AccessKeySecret": key[1],
            "SecurityToken": key[2],
            "Expiration": ossauth.testing.now().timestamp() + self.lifetime,
        }

    @property
    def ids(self):
        return [k[0] for k in self.keys]


@pytest.fixture(scope="module")
def oss_bucket():
    return BUCKET


def v2_client(provider, endpoint):
    """One attempt per request, so that a retry cannot hide a rejected signature."""
    return fake_oss_client(provider, endpoint, REGION, retry_max_attempts=1)


def clients(provider, fresh_oss_server):
    return {
        "oss2-auth": oss2.Bucket(oss2.ProviderAuthV4(provider), fresh_oss_server.endpoint, BUCKET, region=REGION),
        "ossauth-auth": oss2.Bucket(ossauth.ProviderAuthV4(provider), fresh_oss_server.endpoint, BUCKET, region=REGION),
        "oss-v2": v2_client(provider, fresh_oss_server.endpoint),
    }


def put(client, key, data):
    if isinstance(client, oss2.Bucket):
        assert client.put_object(key, data).status == 200
    else:
        assert client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=data)).status_code == 200


def get(client, key):
    if isinstance(client, oss2.Bucket):
        return client.get_object(key).read()
    result = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    return result.body.read()


def presign_get(client, key):
    """(url, headers) of a presigned GET."""
    if isinstance(client, oss2.Bucket):
        return client.sign_url("GET", key, 600), {}
    result = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=key), expires=dt.timedelta(minutes=10))
    return result.url, dict(result.signed_headers or {})


def key_of(fresh_oss_server, start):
    """The AccessKey ids the server verified since record ``start``, and every record checked."""
    records = fresh_oss_server.records[start:]
    bad = [(r.method, r.path, r.status, r.error_code) for r in records if not (r.verified and r.accepted)]
    assert not bad, "requests the server rejected: %r" % bad
    assert all(r.version == "v4" and r.security_token_verified for r in records), [
        (r.version, r.security_token_verified) for r in records]
    return {r.access_key_id for r in records}


def round_trip(cs, fresh_oss_server, tag):
    """Every client puts an object, then every client reads every object back (header-signed),
    and through presigned URLs. Returns the key ids the server verified."""
    start = len(fresh_oss_server.records)
    for name, c in cs.items():
        put(c, "%s/%s.txt" % (tag, name), ("%s from %s" % (tag, name)).encode())
    for reader in cs.values():
        for name in cs:
            assert get(reader, "%s/%s.txt" % (tag, name)) == ("%s from %s" % (tag, name)).encode()
    for name, c in cs.items():
        url, headers = presign_get(c, "%s/%s.txt" % (tag, name))
        resp = requests.get(url, headers=headers, timeout=DEADLINE)
        assert resp.status_code == 200, (name, resp.status_code, resp.text[:500])
        assert resp.content == ("%s from %s" % (tag, name)).encode()
    records = fresh_oss_server.records[start:]
    assert len(records) == 3 + 9 + 3, [(r.method, r.path) for r in records]
    assert sum(r.kind == "presigned" for r in records) == 3
    return key_of(fresh_oss_server, start)


def test_one_provider_serves_both_sdks_across_mandatory_and_advisory_rotations(fresh_oss_server):
    upstream = MintingUpstream(fresh_oss_server)
    provider = ossauth.RefreshingCredentialsProvider(upstream)
    cs = clients(provider, fresh_oss_server)

    assert round_trip(cs, fresh_oss_server, "r1") == {"STS.rot1"}
    assert upstream.ids == ["STS.rot1"], "fresh credentials were fetched again"
    # Signed before any rotation, used after them: the server still knows this key.
    old_url, old_headers = presign_get(cs["oss-v2"], "r1/oss2-auth.txt")

    # Mandatory window of rot1 (fetched now, expiring in an hour): the call waits for rot2.
    with frozen_time(time.time() + 56 * 60):
        assert provider.get_credentials().access_key_id == "STS.rot2"
    assert upstream.ids == ["STS.rot1", "STS.rot2"]
    assert round_trip(cs, fresh_oss_server, "r2") == {"STS.rot2"}

    # Advisory window of rot2 (fetched at now+56 min): served at once, refreshed in background.
    rot2_fetched = provider.get_credentials().expiration.timestamp() - 3600
    with frozen_time(rot2_fetched + 46 * 60):
        first = provider.get_credentials()
        wait_for(lambda: provider.get_credentials().access_key_id == "STS.rot3", "the background refresh")
    assert first.access_key_id == "STS.rot2"
    assert upstream.ids == ["STS.rot1", "STS.rot2", "STS.rot3"]
    assert round_trip(cs, fresh_oss_server, "r3") == {"STS.rot3"}

    resp = requests.get(old_url, headers=old_headers, timeout=DEADLINE)
    assert resp.status_code == 200 and resp.content == b"r1 from oss2-auth", resp.text[:500]
    assert fresh_oss_server.records[-1].access_key_id == "STS.rot1" and fresh_oss_server.records[-1].accepted
    assert provider._fetch_count() == 3


def test_live_rotation_while_three_clients_keep_requesting(fresh_oss_server):
    """Short-lived credentials (4 s: advisory after 2 s, mandatory after 3 s) on the frozen
    clock, moved a second at a time: three threads -- one per client kind -- keep putting and
    getting through one provider while it rotates keys under them. Every request must succeed.
    The clock moves only once every thread has made requests at the current instant, so each
    client goes through every rotation however slow the machine is."""
    upstream = MintingUpstream(fresh_oss_server, lifetime=4)
    provider = ossauth.RefreshingCredentialsProvider(upstream, timeout=HANG)
    cs = clients(provider, fresh_oss_server)
    stop = threading.Event()
    errors = []
    done = {name: 0 for name in cs}

    def work(name, c):
        i = 0
        try:
            while not stop.is_set():
                key = "live/%s/%d" % (name, i)
                data = ("%s %d" % (name, i)).encode()
                put(c, key, data)
                assert get(c, key) == data
                done[name] += 1
                i += 1
        except BaseException as e:  # reported below
            errors.append((name, "%s: %s" % (type(e).__name__, e)))

    # The cache's clock starts at the real now and runs ahead by a second per step; the clients
    # sign on the real clock (oss2's V4 signer reads it), within the server's 15-minute skew.
    start = int(time.time())
    threads = [threading.Thread(target=work, args=item, daemon=True) for item in cs.items()]
    try:
        with frozen_time(start):
            for t in threads:
                t.start()
            for step in range(1, 31):
                marks = dict(done)
                wait_for(lambda: errors or all(done[n] >= marks[n] + 2 for n in cs),
                         "every client to make requests at +%d s" % (step - 1))
                assert not errors, errors[:5]
                if len(upstream.keys) >= 4:
                    break
                # No refresh left in flight before the clock moves on (it lands in milliseconds).
                wait_for(lambda: provider.get_credentials().access_key_id == upstream.ids[-1],
                         "the refresh to land")
                ossauth._core._freeze_clock((start + step) * 1_000_000)  # restored on exit
    finally:
        stop.set()
        for t in threads:
            t.join(DEADLINE)
    assert not errors, errors[:5]
    assert not [t for t in threads if t.is_alive()], "a client thread hung"
    assert len(upstream.keys) >= 4, upstream.ids
    assert all(n > 0 for n in done.values()), done

    used = key_of(fresh_oss_server, 0)
    assert len(used) >= 3, "requests were signed with only %r" % sorted(used)
    assert used <= set(upstream.ids)
    for name in cs:  # each client itself went through a rotation
        mine = {r.access_key_id for r in fresh_oss_server.records if r.key.startswith("live/%s/" % name)}
        assert len(mine) >= 2, (name, mine)
    # One fetch per rotation: the minted keys are all there is.
    assert provider._fetch_count() == len(upstream.keys)
