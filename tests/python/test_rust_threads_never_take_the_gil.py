"""No thread spawned by Rust takes the GIL (issue 10, class 10).

On CPython < 3.14 a thread that waits for the GIL while the interpreter finalizes is ended with
a forced unwind, which aborts the process when it meets Rust frames. So the Rust refresh threads
never call into Python: their log records reach ``logging`` from a Python thread, and a RAM
role's Python ``source=`` is called on a Python thread. A Rust thread that did take the GIL would
show up in Python as a ``threading._DummyThread`` (CPython makes one for any foreign thread that
runs Python code), which is what these tests look for.
"""

import logging
import threading

import pytest

import ossauth
from fake_services import FakeCredentials, FakeCredentialsUri, FakeSts
from ossauth.testing import frozen_time
from waiting import DEADLINE, wait_for

HOUR = 3600


class ThreadRecorder(logging.Handler):
    """Every ``ossauth`` record, with the kind of Python thread that handed it to logging."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []

    def emit(self, record):
        thread = threading.current_thread()
        self.seen.append((record.getMessage(), type(thread).__name__, thread.name))

    def messages(self, text):
        return [m for m, _, _ in list(self.seen) if text in m]


@pytest.fixture
def recorder():
    logger = logging.getLogger("ossauth")
    handler, old = ThreadRecorder(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def test_records_of_rust_refresh_threads_reach_logging_from_python_threads(recorder):
    t0 = 1_900_000_000
    with FakeCredentialsUri(FakeCredentials.random(expiration=t0 + HOUR)) as uri:
        provider = ossauth.UriCredentialsProvider(uri=uri.url + "/creds")
        with frozen_time(t0):
            first = provider.get_credentials()
        wait_for(lambda: recorder.messages("credentials refreshed"), "the first refresh's record")
        # A background refresh (advisory window) that fails: logged only, on a Rust thread.
        uri.fault = "status:500"
        with frozen_time(t0 + 50 * 60):
            assert provider.get_credentials() is first
            wait_for(lambda: recorder.messages("credentials refresh failed"), "the failure's record")
        # Past expiry: the caller gets the error, and the record came first, on its thread.
        with frozen_time(t0 + 2 * HOUR):
            with pytest.raises(ossauth.CredentialsError, match="HTTP 500"):
                provider.get_credentials()
    assert len(recorder.messages("credentials refresh failed")) >= 2
    kinds = {(kind, name) for _, kind, name in recorder.seen}
    assert all(kind != "_DummyThread" for kind, _ in kinds), kinds
    # Rust refresh threads are named ossauth-refresh; none handed a record to logging.
    assert all(name != "ossauth-refresh" for _, name in kinds), kinds


class PythonSource:
    """A RAM role's ``source=``: notes the thread that calls it."""

    def __init__(self, access_key_id, secret, fail=None):
        self.creds = ossauth.Credentials(access_key_id, secret)
        self.fail = fail
        self.threads = []

    def get_credentials(self):
        self.threads.append(threading.current_thread())
        if self.fail is not None:
            raise self.fail
        return self.creds


def test_a_python_source_of_a_ram_role_runs_on_a_python_thread():
    source = PythonSource("LTAI5tPySource", "py-source-secret")
    issued = FakeCredentials.random()
    with FakeSts({"LTAI5tPySource": "py-source-secret"}, next_credentials=issued) as sts:
        role = ossauth.RamRoleArnCredentialsProvider(
            role_arn="acs:ram::1234567890123456:role/py-source", source=source, sts_endpoint=sts.url)
        creds = role.get_credentials()
        assert creds.access_key_id == issued.access_key_id
        assert sts.calls[-1].signature_verified
    assert source.threads, "the source was never called"
    for thread in source.threads:
        assert type(thread) is threading.Thread, thread  # not a _DummyThread: not a Rust thread
        assert thread.name == "ossauth-refresh" and thread.daemon


def test_a_failing_python_source_names_itself_in_the_roles_error():
    source = PythonSource("LTAI5tPySource", "s", fail=RuntimeError("vault\r\nsealed"))
    role = ossauth.RamRoleArnCredentialsProvider(
        role_arn="acs:ram::1234567890123456:role/py-source", source=source,
        sts_endpoint="http://127.0.0.1:9", timeout=DEADLINE)
    with pytest.raises(ossauth.CredentialsError) as info:
        role.get_credentials()
    text = str(info.value)
    assert text.startswith("RAM role ARN (acs:ram::1234567890123456:role/py-source): "), text
    assert "source credentials failed: PythonSource.get_credentials() raised RuntimeError: vault\\r\\nsealed" in text
    assert all(type(t) is threading.Thread for t in source.threads)


def test_a_source_without_get_credentials_is_refused_at_construction():
    with pytest.raises(TypeError, match="must be a credentials provider"):
        ossauth.RamRoleArnCredentialsProvider(
            role_arn="acs:ram::1234567890123456:role/x", source=object(), sts_endpoint="http://127.0.0.1:9")


def test_a_forked_child_gets_its_own_records(tmp_path):
    """After fork() the child logs through a socket of its own (the parent's reader is the
    parent's): a failed refresh in the child reaches the child's logging, with its location."""
    import os
    import subprocess
    import sys

    script = r'''
import logging, os, sys, threading
import ossauth
seen = []
class H(logging.Handler):
    def emit(self, record):
        seen.append((record.getMessage(), record.pathname, record.lineno))
logger = logging.getLogger("ossauth")
logger.addHandler(H()); logger.setLevel(logging.DEBUG)
p = ossauth.UriCredentialsProvider(uri="http://127.0.0.1:9/creds", timeout=120)
pid = os.fork()
try:
    p.get_credentials()
except ossauth.CredentialsError:
    pass
else:
    raise SystemExit("no error")
records = [s for s in seen if "credentials refresh failed" in s[0]]
assert records and all(r[1].endswith(".rs") and r[2] > 0 for r in records), seen
if pid:
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 if hasattr(os, "waitstatus_to_exitcode") else status == 0
    print("both logged")
'''
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "both logged"
    assert "Traceback" not in run.stderr, run.stderr


def test_an_exit_function_run_after_ossauths_hook_still_signs():
    """At exit, threads waiting in ossauth without the GIL park instead of taking it back; the
    thread that runs the exit functions is never one of them. An exit function registered before
    ossauth was imported runs after ossauth's own hook: its sign_urls (which releases the GIL)
    must return, not hang the exit."""
    import subprocess
    import sys

    script = r'''
import atexit
def late():
    import ossauth
    p = ossauth.Presigner(ossauth.AuthV4("LTAI5tExampleKeyId", "example-secret"),
                          "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", region="cn-hangzhou")
    print(len(p.sign_urls("GET", ["k%d" % i for i in range(20000)], 60, threads=2)), flush=True)
atexit.register(late)  # before ossauth's own hook, so it runs after it
import ossauth
'''
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=DEADLINE)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["20000"], (run.stdout, run.stderr)
