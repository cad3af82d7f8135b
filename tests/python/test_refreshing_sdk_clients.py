"""One RefreshingCredentialsProvider serving the real oss2 and alibabacloud-oss-v2 clients,
over HTTP, against the local OSS-like server that verifies every signature, across a key
rotation; and the provider's logging and secret hygiene."""

import logging
import os
import subprocess
import sys

import alibabacloud_oss_v2 as oss
import oss2
import pytest

import ossauth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oss_v2_clients import fake_oss_client  # noqa: E402
from waiting import DEADLINE  # noqa: E402

REGION, BUCKET = "cn-hangzhou", "rotation-bucket"
KEYS = [("STS.first", "first-secret-0000", "first-token-0000"),
        ("STS.second", "second-secret-1111", "second-token-1111")]


class Rotating:
    """Hands out the next key pair on every fetch (each valid for an hour)."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        key_id, secret, token = KEYS[min(self.calls, len(KEYS) - 1)]
        self.calls += 1
        expires = ossauth.testing.now().timestamp() + 3600
        return {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                "Expiration": expires}


@pytest.fixture(scope="module")
def oss_keys():
    return {k: (s, t) for k, s, t in KEYS}


@pytest.fixture(scope="module")
def oss_bucket():
    return BUCKET


def v2_client(provider, endpoint):
    return fake_oss_client(provider, endpoint, REGION)


def rotate(provider, fetch):
    """Moves past the first credentials' mandatory window so the next call fetches anew."""
    before = fetch.calls
    with ossauth.testing.frozen_time(ossauth.testing.now().timestamp() + 56 * 60):
        provider.get_credentials()
    assert fetch.calls == before + 1


def test_one_provider_for_oss2_and_oss_v2_across_a_rotation(fresh_oss_server):
    fetch = Rotating()
    provider = ossauth.RefreshingCredentialsProvider(fetch)
    via_oss2 = oss2.Bucket(oss2.ProviderAuthV4(provider), fresh_oss_server.endpoint, BUCKET, region=REGION)
    via_ours = oss2.Bucket(ossauth.ProviderAuthV4(provider), fresh_oss_server.endpoint, BUCKET, region=REGION)
    via_v2 = v2_client(provider, fresh_oss_server.endpoint)

    via_oss2.put_object("a.txt", b"from oss2")
    via_ours.put_object("b.txt", b"from ossauth auth")
    via_v2.put_object(oss.PutObjectRequest(bucket=BUCKET, key="c.txt", body=b"from oss v2"))
    assert fetch.calls == 1

    rotate(provider, fetch)
    assert provider.get_credentials().access_key_id == "STS.second"
    assert via_oss2.get_object("c.txt").read() == b"from oss v2"
    assert via_ours.get_object("a.txt").read() == b"from oss2"
    got = via_v2.get_object(oss.GetObjectRequest(bucket=BUCKET, key="b.txt"))
    assert got.body.read() == b"from ossauth auth"

    used = {r.access_key_id for r in fresh_oss_server.records if getattr(r, "access_key_id", None)}
    assert used == {"STS.first", "STS.second"}, used
    assert len(fresh_oss_server.records) == 6
    assert all(r.verified and r.accepted and r.status < 300 for r in fresh_oss_server.records), [
        (r.method, r.status, r.error_code) for r in fresh_oss_server.records]


def test_oss_v2_reads_none_not_empty_for_a_missing_token():
    provider = ossauth.RefreshingCredentialsProvider(lambda: {"AccessKeyId": "a", "AccessKeySecret": "s"})
    creds = provider.get_credentials()
    assert creds.security_token is None and creds.has_keys()


def test_refresh_failures_are_logged_under_ossauth_without_secrets(caplog):
    fetch = Rotating()
    provider = ossauth.RefreshingCredentialsProvider(fetch)
    caplog.set_level(logging.DEBUG, logger="ossauth")
    with ossauth.testing.frozen_time(1_700_000_000):
        provider.get_credentials()

        def broken():
            raise ConnectionError("sts unreachable")

        # The failure is the answer as soon as it happens; the timeout only bounds a hang.
        failing = ossauth.RefreshingCredentialsProvider(broken, timeout=DEADLINE)
        with pytest.raises(ossauth.CredentialsError, match="sts unreachable"):
            failing.get_credentials()
    records = [r for r in caplog.records if r.name.startswith("ossauth")]
    # The failure is the error the caller gets: recorded at DEBUG, not printed twice.
    failed = [r for r in records if "sts unreachable" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.DEBUG], [(r.levelname, r.getMessage()) for r in failed]
    assert any(r.levelno == logging.DEBUG and "refreshed" in r.getMessage() for r in records)
    text = "\n".join(r.getMessage() for r in records) + repr(provider) + str(provider.get_credentials())
    for _, secret, token in KEYS:
        assert secret not in text and token not in text


def test_no_logging_configuration_no_idle_threads_and_a_prompt_exit():
    """In a fresh interpreter: importing and using ossauth leaves the root logger alone, starts
    no thread while idle, and an exit during a slow background refresh does not hang."""
    code = r'''
import logging, os, threading, time
root = logging.getLogger()
before = (list(root.handlers), root.level, len(os.listdir("/proc/self/task")))
import ossauth
ps = [ossauth.RefreshingCredentialsProvider(lambda: {"AccessKeyId": "a", "AccessKeySecret": "s"}) for _ in range(100)]
for p in ps:
    p.get_credentials()
end = time.monotonic() + 60  # the refresh threads end in milliseconds: a generous deadline
while len(os.listdir("/proc/self/task")) != before[2] and time.monotonic() < end:
    time.sleep(0.005)
after = (list(root.handlers), root.level, len(os.listdir("/proc/self/task")))
assert before == after, (before, after)
started = threading.Event()
def hanging():
    started.set()
    time.sleep(600)  # longer than the parent waits for this interpreter to exit
slow = ossauth.RefreshingCredentialsProvider(hanging, refresh_interval=1)
threading.Thread(target=slow.get_credentials, daemon=True).start()
assert started.wait(60)  # the exit happens during the slow refresh
print("exiting")
'''
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=2 * DEADLINE)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "exiting"
