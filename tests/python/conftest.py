"""Suite-wide settings for the Python tests, and the fixtures several test files share.

Hypothesis: no per-example deadline. Its default (200 ms) fails tests on a loaded CI machine
(a load of 10 on 2 cores happens) for reasons that are not bugs; every ``@settings`` in the
suite says ``deadline=None`` as well, and this profile covers any test that forgets to.

Fake services (``fake_services.py``, ``oss_server.py``): ``imds``, ``sts`` and ``uri`` are a
fresh fake per test, closed after it, so that no fault, request log or served credentials leak
from one test into the next (starting one takes a millisecond). ``oss_server`` is one verifying
fake OSS per module (a module that needs it empty calls its ``reset()``), ``fresh_oss_server``
one per test. What a module's fakes accept comes from small fixtures it may override:
``imds_role``, ``sts_keys``, ``uri_credentials``, ``oss_keys`` and ``oss_bucket``. ``oidc_token``
is ``(path, token)`` of an OIDC token file.

Shared helpers that are not fixtures live in modules named for what they hold:
``waiting.py`` (time limits, ``wait_for``), ``oss2_requests.py`` (``make_request``),
``credential_shapes.py`` (duck-typed credentials), ``upstream.py`` (a fetch for the refreshing
tests), ``oss_v2_clients.py`` (oss-v2 clients of the fake OSS), ``fake_http.py`` (the HTTP
plumbing of every fake), ``ossauth_import.py`` (importing ossauth during a reinstall), ``forking.py`` (``run_in_fork``).

``clean_env``: no credential variable and no proxy in the environment.
"""

import os

import pytest
from hypothesis import settings

from fake_services import DEFAULT_IMDS_ROLE, FakeCredentialsUri, FakeImds, FakeSts, make_oidc_token
from oss_server import DEFAULT_BUCKET, OssTestServer

settings.register_profile("ossauth", deadline=None)
# CI (OSSAUTH_CI=1, set by .ci/run): the same examples on every run, so that a landing never
# depends on what a random seed happens to draw; development runs keep exploring at random.
settings.register_profile("ossauth-ci", deadline=None, derandomize=True)
settings.load_profile("ossauth-ci" if os.environ.get("OSSAUTH_CI") == "1" else "ossauth")


# ---------------------------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------------------------

#: The variables that choose a proxy (any case: some clients read ``Http_Proxy`` too).
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture
def clean_env(monkeypatch):
    """No ``OSS_*`` or ``ALIBABA_CLOUD_*`` variable (the machine running the tests configures no
    credential source) and no proxy (clients honour ``*_PROXY`` even for 127.0.0.1). Returns
    ``monkeypatch``, to set what the test needs."""
    for name in list(os.environ):
        if name.startswith(("OSS_", "ALIBABA_CLOUD_")) or name.lower() in PROXY_VARIABLES:
            monkeypatch.delenv(name)
    return monkeypatch


# ---------------------------------------------------------------------------------------------
# Fake credential services: what they accept (override in a module), then the fakes
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def imds_role():
    """The RAM role attached to the fake instance (``None``: no role)."""
    return DEFAULT_IMDS_ROLE


@pytest.fixture
def sts_keys():
    """The AccessKeys the fake STS accepts: ``{id: secret}`` or ``{id: (secret, token)}``."""
    return {}


@pytest.fixture
def uri_credentials():
    """The credentials the fake credentials URI serves (``None``: random ones)."""
    return None


@pytest.fixture
def imds(imds_role):
    with FakeImds(role_name=imds_role) as fake:
        yield fake


@pytest.fixture
def sts(sts_keys):
    with FakeSts(sts_keys) as fake:
        yield fake


@pytest.fixture
def uri(uri_credentials):
    with FakeCredentialsUri(uri_credentials) as fake:
        yield fake


@pytest.fixture
def oidc_token(tmp_path):
    """``(path, token)``: an OIDC token in a file, without a trailing newline (clients send the
    file verbatim)."""
    token = make_oidc_token("sa")
    path = tmp_path / "oidc-token"
    path.write_text(token)
    return str(path), token


# ---------------------------------------------------------------------------------------------
# The verifying fake OSS
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oss_keys():
    """The AccessKeys the fake OSS accepts: ``{id: secret}`` or ``{id: (secret, token)}``."""
    return {}


@pytest.fixture(scope="module")
def oss_bucket():
    """The one bucket the fake OSS has (region: ``oss_server.DEFAULT_REGION``)."""
    return DEFAULT_BUCKET


@pytest.fixture(scope="module")
def oss_server(oss_keys, oss_bucket):
    with OssTestServer(oss_keys, buckets=(oss_bucket,)) as server:
        yield server


@pytest.fixture
def fresh_oss_server(oss_keys, oss_bucket):
    with OssTestServer(oss_keys, buckets=(oss_bucket,)) as server:
        yield server
