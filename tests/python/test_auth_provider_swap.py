"""Swapping an auth's credentials provider while it signs, and what a provider must be
(issue 10, classes 3 and 12).

oss2 lets ``auth.credentials_provider = other`` happen at any time: from another thread while
signing, or from inside the provider's own ``get_credentials()``. Each signature must then use
one provider's credentials throughout; every signature below is checked against oss2's
signature, computed at the same frozen instant, with one provider or the other.
"""

import functools
import sys
import threading

import oss2
import pytest

import ossauth
from ossauth.testing import frozen_time
from oss2_requests import make_request
from waiting import DEADLINE

T = 1700000000
A = ("LTAI-provider-a", "secret-a", "token-a")
B = ("LTAI-provider-b", "secret-b", "")
VERSIONS = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}


class PyProvider(object):
    """A provider in Python (its get_credentials() runs Python code, so threads can switch)."""

    def __init__(self, creds, hook=None):
        self.creds = creds
        self.hook = hook

    def get_credentials(self):
        if self.hook is not None:
            self.hook()
        return oss2.credentials.Credentials(*self.creds)


request = functools.partial(make_request, "PUT", "https://b.oss-cn-hangzhou.aliyuncs.com/k", params={"uploadId": "u"},
                            headers={"x-oss-meta-a": "1"})


def sign(auth, op):
    req = request()
    if op == "url":
        return auth._sign_url(req, "b", "k", 60)
    auth._sign_request(req, "b", "k")
    return req.headers["authorization"]


def expected(version, op):
    """oss2's signature with A's and with B's credentials, at the frozen instant."""
    out = {}
    for name, creds in (("A", A), ("B", B)):
        auth = getattr(oss2, VERSIONS[version])(oss2.StaticCredentialsProvider(*creds))
        out[sign(auth, op)] = name
    return out


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("op", ["request", "url"])
def test_swap_from_inside_get_credentials(version, op):
    """The provider's get_credentials() replaces the auth's provider: no 'Already borrowed', and
    the signature in progress uses the credentials it got (A's), the next one B's."""
    with frozen_time(T, oss2=True):
        want = expected(version, op)
        holder = {}
        b = PyProvider(B)
        a = PyProvider(A, hook=lambda: setattr(holder["auth"], "credentials_provider", b))
        auth = holder["auth"] = getattr(ossauth, VERSIONS[version])(a)
        assert want[sign(auth, op)] == "A"
        assert auth.credentials_provider is b
        assert want[sign(auth, op)] == "B"


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("op", ["request", "url"])
def test_swap_from_another_thread_while_signing(version, op):
    """Thread 1 is inside get_credentials() of provider A when thread 2 swaps in B: the swap
    succeeds at once and thread 1's signature is A's throughout."""
    inside, swapped = threading.Event(), threading.Event()

    def hold():
        inside.set()
        assert swapped.wait(DEADLINE), "the swap did not happen"

    with frozen_time(T, oss2=True):
        want = expected(version, op)
        auth = getattr(ossauth, VERSIONS[version])(PyProvider(A, hook=hold))
        result, errors = [], []

        def signer():
            try:
                result.append(sign(auth, op))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        t = threading.Thread(target=signer)
        t.start()
        try:
            assert inside.wait(DEADLINE)
            b = PyProvider(B)
            auth.credentials_provider = b
            assert auth.credentials_provider is b
        finally:
            swapped.set()
            t.join(DEADLINE)
        assert not t.is_alive()
        assert errors == []
        assert want[result[0]] == "A"
        assert want[sign(auth, op)] == "B"


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_threads_signing_while_another_swaps(version):
    """Four threads sign in a loop while a fifth swaps between an ossauth provider and a Python
    one: no error, and every signature is exactly A's or B's."""
    rounds = 300
    with frozen_time(T, oss2=True):
        want = {op: expected(version, op) for op in ("request", "url")}
        providers = [ossauth.StaticCredentialsProvider(*A), PyProvider(B)]
        auth = getattr(ossauth, VERSIONS[version])(providers[0])
        done = threading.Event()
        seen, errors, swaps = [], [], [0]

        def signer(op):
            try:
                for _ in range(rounds):
                    seen.append(want[op][sign(auth, op)])
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def swapper():
            try:
                while not done.is_set():
                    auth.credentials_provider = providers[swaps[0] % 2]
                    swaps[0] += 1
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # many interleavings
        try:
            signers = [threading.Thread(target=signer, args=(op,)) for op in ("request", "url") * 2]
            s = threading.Thread(target=swapper)
            s.start()
            for t in signers:
                t.start()
            for t in signers:
                t.join(DEADLINE * 5)
            done.set()
            s.join(DEADLINE)
        finally:
            sys.setswitchinterval(interval)
        assert errors == []
        assert len(seen) == 4 * rounds
        assert swaps[0] > 0
        assert set(seen) <= {"A", "B"}


# --------------------------------------------------------------------------------------------
# What a credentials provider must be (class 12)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", sorted(VERSIONS.values()))
@pytest.mark.parametrize("bad", [None, 42, "provider", object()], ids=["None", "int", "str", "object"])
def test_provider_without_get_credentials_is_refused_at_construction(cls, bad):
    """oss2 accepts ``ProviderAuthV4(None)`` and fails at the first signature with
    ``AttributeError: 'NoneType' object has no attribute 'get_credentials'``, far from the
    mistake. The issue asks for a clear error where the mistake is made; we refuse it at
    construction with a TypeError (the type of the argument is wrong) that says what a
    provider is. Code that relied on oss2's late AttributeError had a broken auth anyway."""
    with pytest.raises(TypeError, match=r"credentials_provider must be an object with a get_credentials\(\) method"):
        getattr(ossauth, cls)(bad)


@pytest.mark.parametrize("cls", sorted(VERSIONS.values()))
def test_assigning_a_provider_without_get_credentials_is_refused(cls):
    """The same check on assignment (and the provider in place stays)."""
    good = ossauth.StaticCredentialsProvider(*A)
    auth = getattr(ossauth, cls)(good)
    for bad in (None, 1, object()):
        with pytest.raises(TypeError, match="get_credentials"):
            auth.credentials_provider = bad
        assert auth.credentials_provider is good
    with pytest.raises(AttributeError):
        del auth.credentials_provider
    assert auth.credentials_provider is good


@pytest.mark.parametrize("cls", ["Auth", "AuthV2", "AuthV4"])
@pytest.mark.parametrize("args,message", [
    ((1, "sk"), "access_key_id must be str, not int"),
    (("ak", None), "access_key_secret must be str, not NoneType"),
    ((b"ak", "sk"), "access_key_id must be str, not bytes"),
])
def test_direct_auth_type_errors_read_like_python(cls, args, message):
    """Python-style messages, never pyo3's ("cannot be converted to 'PyString'"). oss2 fails
    here too (``AttributeError: 'int' object has no attribute 'strip'``); a TypeError is the
    right class for a wrong argument type, as the issue asks."""
    with pytest.raises(TypeError) as info:
        getattr(ossauth, cls)(*args)
    assert str(info.value) == message
    assert "PyString" not in str(info.value)


def test_python_subclasses_keep_working():
    """The auth classes are frozen (no borrow flag to trip over); Python subclasses still add
    attributes and override methods."""

    class MyAuth(ossauth.ProviderAuthV4):
        def auth_version(self):
            return "mine"

    auth = MyAuth(ossauth.StaticCredentialsProvider(*A))
    auth.extra = 1
    assert auth.extra == 1 and auth.auth_version() == "mine"
    req = request()
    auth._sign_request(req, "b", "k")
    assert req.headers["authorization"].startswith("OSS4-HMAC-SHA256 Credential=LTAI-provider-a/")
