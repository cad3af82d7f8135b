"""The exception classes: ``ossauth.Error`` above everything ossauth raises of its own, one
``CredentialsError`` subclass per kind of failure, and ``SigningError`` both an ``ossauth.Error``
and (as before) a ``ValueError``.

Each kind is checked in real scenarios, against the local fake services for the network sources
(a refused port, a service slower than the read timeout, HTTP 500, malformed or expired answers,
an STS error code), and with real files and variables for the others. Every error is also
checked to be an ``ossauth.CredentialsError`` and an ``ossauth.Error`` (``except
ossauth.CredentialsError`` keeps working). Waits are bounded by ``DEADLINE`` only: the slow
faults hang for ``HANG``, longer than every timeout involved.
"""

import os
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_services import refused_url  # noqa: E402

import ossauth  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

ROLE = "EcsRamRoleKindsTest"
ROLE_ARN = "acs:ram::1234567890123456:role/kinds-test"
AK_ID = "LTAI5tKindsTestAccessKey"
AK_SECRET = "KindsTestAkSecret0123456789abcdef"
QUICK = {"connect_timeout": 0.5, "read_timeout": 0.5}
SLOW = "slow:%d" % HANG

NOT_CONFIGURED = ossauth.CredentialsNotConfiguredError
CONFIG = ossauth.CredentialsConfigError
SERVICE = ossauth.CredentialsServiceError
TRANSPORT = ossauth.CredentialsTransportError
KINDS = (NOT_CONFIGURED, CONFIG, SERVICE, TRANSPORT)


@pytest.fixture(autouse=True)
def _clean_env(clean_env, tmp_path):
    """None of the sources' variables, no proxy (conftest.py), and an empty home directory."""
    home = tmp_path / "home"
    home.mkdir()
    clean_env.setenv("HOME", str(home))
    return home


@pytest.fixture
def imds_role():
    return ROLE


@pytest.fixture
def sts_keys():
    return {AK_ID: AK_SECRET}


def assert_kind(exc, kind):
    """``exc`` is exactly of ``kind``, and still a CredentialsError and an ossauth.Error."""
    assert isinstance(exc, kind), "%s, not %s: %s" % (type(exc).__name__, kind.__name__, exc)
    assert type(exc) is kind
    assert isinstance(exc, ossauth.CredentialsError)
    assert isinstance(exc, ossauth.Error)
    assert isinstance(exc, Exception)
    for other in KINDS:
        assert other is kind or not isinstance(exc, other)


def raised(call):
    """The CredentialsError ``call()`` raises (caught the way callers always have)."""
    with pytest.raises(ossauth.CredentialsError) as ei:
        call()
    return ei.value


def ecs(imds, **kw):
    return ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, **dict(QUICK, **kw))


def ram(url, **kw):
    """A RAM role assumed with the test AccessKey, or with ``source=``."""
    if "source" not in kw:
        kw.update(access_key_id=AK_ID, access_key_secret=AK_SECRET)
    return ossauth.RamRoleArnCredentialsProvider(ROLE_ARN, sts_endpoint=url, **dict(QUICK, **kw))


# ---------------------------------------------------------------------------------------------
# the hierarchy
# ---------------------------------------------------------------------------------------------


def test_the_hierarchy():
    assert issubclass(ossauth.Error, Exception)
    assert issubclass(ossauth.CredentialsError, ossauth.Error)
    for kind in KINDS:
        assert issubclass(kind, ossauth.CredentialsError)
    assert issubclass(ossauth.SigningError, ossauth.Error)
    assert issubclass(ossauth.SigningError, ValueError)
    assert not issubclass(ossauth.SigningError, ossauth.CredentialsError)
    for name in ("Error", "CredentialsError", "CredentialsNotConfiguredError", "CredentialsConfigError",
                 "CredentialsServiceError", "CredentialsTransportError", "SigningError"):
        assert name in ossauth.__all__
        assert getattr(ossauth, name).__module__ == "ossauth"
        assert getattr(ossauth, name).__doc__


def test_importable_and_raised_without_oss2():
    """In a process where oss2 cannot be imported: the classes are there, and an unsignable
    request raises SigningError, caught as ossauth.Error and as ValueError."""
    script = r"""
import sys, types
sys.modules["oss2"] = None
sys.modules["oss2.exceptions"] = None
import ossauth
from ossauth import (Error, CredentialsError, CredentialsNotConfiguredError, CredentialsConfigError,
                     CredentialsServiceError, CredentialsTransportError, SigningError)
auth = ossauth.ProviderAuthV4(ossauth.StaticCredentialsProvider("id", "secret"))
req = types.SimpleNamespace(method="GET", url="https://b.oss-cn-hangzhou.aliyuncs.com/k", headers={},
                            params={}, region=None, product="oss", cloudbox_id=None)
for catch in (SigningError, Error, ValueError):
    try:
        auth._sign_request(req, "b", "k")
    except catch as e:
        assert type(e) is SigningError, type(e)
        assert "region" in str(e), str(e)
    else:
        raise AssertionError("not raised")
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=DEADLINE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


# ---------------------------------------------------------------------------------------------
# not configured: the source is absent
# ---------------------------------------------------------------------------------------------


def test_environment_variables_not_set():
    assert_kind(raised(ossauth.EnvironmentVariableCredentialsProvider), NOT_CONFIGURED)


def test_no_profile_file_at_all():
    assert_kind(raised(ossauth.ProfileCredentialsProvider), NOT_CONFIGURED)


def test_missing_profile_file(tmp_path):
    e = raised(lambda: ossauth.ProfileCredentialsProvider(path=str(tmp_path / "nowhere.ini")).get_credentials())
    assert_kind(e, NOT_CONFIGURED)


def test_default_chain_with_nothing_configured(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    provider = ossauth.DefaultCredentialsProvider(ecs_metadata_endpoint=refused_url())
    assert_kind(raised(provider.get_credentials), NOT_CONFIGURED)


# ---------------------------------------------------------------------------------------------
# invalid configuration
# ---------------------------------------------------------------------------------------------


def test_bad_role_arn(sts):
    e = raised(lambda: ossauth.RamRoleArnCredentialsProvider(
        "not-an-arn", access_key_id=AK_ID, access_key_secret=AK_SECRET, sts_endpoint=sts.url))
    assert_kind(e, CONFIG)


def test_bad_ecs_role_name(imds):
    assert_kind(raised(lambda: ossauth.EcsRamRoleCredentialsProvider("../admin", endpoint=imds.url)), CONFIG)


def test_secret_without_its_id(monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "s3cret")
    assert_kind(raised(ossauth.EnvironmentVariableCredentialsProvider), CONFIG)


def test_malformed_profile_file(tmp_path):
    path = tmp_path / "credentials.ini"
    path.write_text("[default]\nthis is not an ini line\n")
    e = raised(lambda: ossauth.ProfileCredentialsProvider(path=str(path)).get_credentials())
    assert_kind(e, CONFIG)


def test_profile_not_in_the_file(tmp_path):
    path = tmp_path / "credentials.ini"
    path.write_text("[default]\ntype = access_key\naccess_key_id = id\naccess_key_secret = s\n")
    e = raised(lambda: ossauth.ProfileCredentialsProvider("absent", path=str(path)).get_credentials())
    assert_kind(e, CONFIG)


def test_profile_with_a_bad_role_arn(tmp_path, sts):
    path = tmp_path / "credentials.ini"
    path.write_text("[default]\ntype = ram_role_arn\naccess_key_id = %s\naccess_key_secret = %s\n"
                    "role_arn = not-an-arn\nsts_endpoint = %s\n" % (AK_ID, AK_SECRET, sts.url))
    e = raised(lambda: ossauth.ProfileCredentialsProvider(path=str(path)).get_credentials())
    assert_kind(e, CONFIG)


def test_default_chain_with_a_malformed_profile_file(_clean_env, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    path = _clean_env / "credentials.ini"
    path.write_text("[default]\nthis is not an ini line\n")
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(path))
    provider = ossauth.DefaultCredentialsProvider(ecs_metadata_endpoint=refused_url())
    assert_kind(raised(provider.get_credentials), CONFIG)


def test_fetch_function_returning_the_wrong_type():
    provider = ossauth.RefreshingCredentialsProvider(lambda: 42)
    assert_kind(raised(provider.get_credentials), CONFIG)


def test_role_whose_source_is_not_configured(sts):
    """The role is configured, with a source that is absent: a configuration error."""
    provider = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, source=_AbsentSource(), sts_endpoint=sts.url, **QUICK)
    assert_kind(raised(provider.get_credentials), CONFIG)


class _AbsentSource:
    """A Python provider that says it is not configured, as ossauth's own would."""

    def get_credentials(self):
        raise ossauth.CredentialsNotConfiguredError("nothing set")


# ---------------------------------------------------------------------------------------------
# the service answered with an error
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["status:500", "malformed", "code:Failed", "expired", "missing:AccessKeySecret"])
def test_metadata_service_errors(imds, fault):
    imds.set_fault(fault, target="credentials")
    assert_kind(raised(ecs(imds).get_credentials), SERVICE)


@pytest.mark.parametrize("fault", ["status:500", "malformed", "code:NoPermission", "bad-expiration"])
def test_sts_errors(sts, fault):
    sts.fault = fault
    assert_kind(raised(ram(sts.url).get_credentials), SERVICE)


@pytest.mark.parametrize("fault", ["status:503", "malformed", "code:Failed"])
def test_credentials_uri_errors(uri, fault):
    uri.fault = fault
    provider = ossauth.UriCredentialsProvider(uri.url + "/v1/credentials", **QUICK)
    assert_kind(raised(provider.get_credentials), SERVICE)


def test_role_keeps_the_kind_of_its_source_failure(imds, sts):
    imds.set_fault("status:500", target="credentials")
    provider = ram(sts.url, source=ecs(imds))
    e = raised(provider.get_credentials)
    assert "source credentials failed" in str(e)
    assert_kind(e, SERVICE)


def test_fetch_function_raising_an_ordinary_exception():
    def fetch():
        raise RuntimeError("the vault said no")

    assert_kind(raised(ossauth.RefreshingCredentialsProvider(fetch).get_credentials), SERVICE)


# ---------------------------------------------------------------------------------------------
# transport: not reached, or not in time
# ---------------------------------------------------------------------------------------------


def test_refused_connections():
    url = refused_url()
    for provider in (
        ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=url, **QUICK),
        ram(url),
        ossauth.UriCredentialsProvider(url + "/v1/credentials", **QUICK),
    ):
        assert_kind(raised(provider.get_credentials), TRANSPORT)


def test_read_timeouts(imds, sts, uri):
    imds.set_fault(SLOW, target="credentials")
    sts.fault = SLOW
    uri.fault = SLOW
    for provider in (ecs(imds), ram(sts.url),
                     ossauth.UriCredentialsProvider(uri.url + "/v1/credentials", **QUICK)):
        assert_kind(raised(provider.get_credentials), TRANSPORT)


def test_role_keeps_a_transport_failure_of_its_source(sts):
    provider = ram(sts.url, source=ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=refused_url(), **QUICK))
    assert_kind(raised(provider.get_credentials), TRANSPORT)


def test_default_chain_whose_metadata_service_is_unreachable():
    provider = ossauth.DefaultCredentialsProvider(ecs_metadata_endpoint=refused_url())
    assert_kind(raised(provider.get_credentials), TRANSPORT)


def test_refresh_not_finished_within_the_provider_timeout():
    release = threading.Event()
    started = threading.Event()

    def fetch():
        started.set()
        release.wait(HANG)
        return ossauth.Credentials("id", "secret")

    provider = ossauth.RefreshingCredentialsProvider(fetch, timeout=0.2)
    try:
        e = raised(provider.get_credentials)
        assert "did not finish within" in str(e)
        assert_kind(e, TRANSPORT)
        assert started.is_set()
    finally:
        release.set()
    wait_for(lambda: _has_credentials(provider), "the released refresh to finish")


def _has_credentials(provider):
    try:
        return provider.get_credentials() is not None
    except ossauth.CredentialsError:
        return False


@pytest.mark.parametrize("exc", [TimeoutError("slow"), ConnectionRefusedError("refused")])
def test_fetch_function_raising_a_timeout_or_connection_error(exc):
    def fetch():
        raise exc

    assert_kind(raised(ossauth.RefreshingCredentialsProvider(fetch).get_credentials), TRANSPORT)


@pytest.mark.parametrize("kind", KINDS)
def test_fetch_function_passing_on_an_ossauth_error_keeps_its_kind(kind):
    def fetch():
        raise kind("from another provider")

    assert_kind(raised(ossauth.RefreshingCredentialsProvider(fetch).get_credentials), kind)
