"""Services that answer with hostile text: a metadata service naming a role that would walk the
URL path (``../../x``) or add a query (``r?q=1``), and STS / metadata / credentials-URI errors
whose ``Code`` and ``Message`` carry CR/LF (forged log lines) and terminal escapes.

What must hold: a role name that is not a RAM role name (1 to 64 letters, digits, ``.``, ``-``,
``_``; never ``.`` or ``..``) is refused -- a configured one when the provider is built, a
discovered one before anything is requested for it; and service text reaches exceptions and
log records with its control characters escaped (``\\r``, ``\\n``, ``\\u{1b}``).
"""

import json
import logging
import time

import pytest

import ossauth
from fake_services import (
    IMDS_CREDENTIALS_PATH,
    IMDS_TOKEN_PATH,
    FakeCredentials,
    FakeCredentialsUri,
    FakeImds,
    FakeSts,
    _Response,
)
from ossauth.testing import frozen_time
from waiting import wait_for

QUICK = {"connect_timeout": 5.0, "read_timeout": 5.0}
HOUR = 3600

AK_ID = "LTAI5tHostileTests01"
AK_SECRET = "HostileTestsSecret0123456789"
ROLE_ARN = "acs:ram::1234567890123456:role/hostile"

# Control characters a service could send: CR/LF forge a log line; ESC [2J clears the screen;
# BEL, a C1 CSI and a right-to-left override change what a reader sees.
HOSTILE = "Denied\r\nWARNING:ossauth:forged record\x1b[2J\x07\x9b31m\u202eevil"
ESCAPED = "Denied\\r\\nWARNING:ossauth:forged record\\u{1b}[2J\\u{7}\\u{9b}31m\\u{202e}evil"
CONTROL = [chr(c) for c in range(32)] + [chr(c) for c in range(0x7F, 0xA0)] + ["\u202e"]


def _controls(text):
    return [c for c in CONTROL if c in text]


pytestmark = pytest.mark.usefixtures("clean_env")


# ============================================================================================
# Class 6: ECS role names
# ============================================================================================


@pytest.mark.parametrize("role", ["../../x", "r?q=1", "..", ".", "a/b", "r#f", "a b", "r\x1b[2J", "x" * 65])
def test_a_discovered_role_name_that_is_not_one_is_refused_and_never_requested(role):
    with FakeImds(role_name="a.b_c-D9" + "x" * 56) as imds:
        # A name RAM allows (its longest) is used as it is...
        good = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
        assert good.get_credentials().access_key_secret == imds.credentials.access_key_secret
        assert imds.requests[-1].path == IMDS_CREDENTIALS_PATH + imds.role_name
        # ... any other is refused.
        imds.role_name = role
        imds.clear_requests()
        p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
        with pytest.raises(ossauth.CredentialsError) as ei:
            p.get_credentials()
        text = str(ei.value)
        assert text.startswith("ECS RAM role (%s): the metadata service named the role \"" % imds.url), text
        assert "is not a RAM role name" in text and not _controls(text), text
        # Only the token and the role discovery reached the server: nothing under the role.
        assert [(r.method, r.path, r.raw_query) for r in imds.requests] == [
            ("PUT", IMDS_TOKEN_PATH, ""), ("GET", IMDS_CREDENTIALS_PATH, "")]


def test_a_discovered_role_name_is_shown_escaped():
    with FakeImds(role_name="r\x1b[2J\x07\tx") as imds:  # (discovery reads the first line)
        p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
        with pytest.raises(ossauth.CredentialsError, match=r'named the role "r\\u\{1b\}\[2J\\u\{7\}\\tx"'):
            p.get_credentials()


def _profile_files(tmp_path, role):
    ini = tmp_path / "credentials.ini"
    ini.write_text("[p]\ntype = ecs_ram_role\nrole_name = %s\n" % role)
    cli = tmp_path / "config.json"
    cli.write_text(json.dumps({"current": "p", "profiles": [{"name": "p", "mode": "EcsRamRole",
                                                             "ram_role_name": role}]}))
    return ini, cli


@pytest.mark.parametrize("how", ["argument", "environment", "credentials.ini", "config.json"])
@pytest.mark.parametrize("role", ["..", ".", "x" * 65, "%2e%2e", "r;x", "r:1"])
def test_a_configured_role_name_that_is_not_one_is_refused_at_construction(tmp_path, monkeypatch, how, role):
    with FakeImds(role_name=role) as imds:
        with pytest.raises(ossauth.CredentialsError) as ei:
            if how == "argument":
                ossauth.EcsRamRoleCredentialsProvider(role, endpoint=imds.url, **QUICK)
            elif how == "environment":
                monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA", role)
                ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
            else:
                ini, cli = _profile_files(tmp_path, role)
                ossauth.ProfileCredentialsProvider("p", ini if how == "credentials.ini" else cli)
        text = str(ei.value)
        assert ('"%s"' % role) in text and "is not a RAM role name" in text, text
        if how == "environment":
            assert "ALIBABA_CLOUD_ECS_METADATA" in text, text
        assert imds.requests == []


# ============================================================================================
# Class 7: service text in exceptions and log records
# ============================================================================================


class _WithMessage:
    """A metadata service / credentials URI whose ``code:`` fault also sends a ``Message`` (the
    fakes send only the ``Code``): the same hostile text as the code."""

    def _respond(self, rec, fault):
        resp = super()._respond(rec, fault)
        if fault is not None and fault.code is not None and resp.status == 200:
            doc = json.loads(resp.body)
            doc["Message"] = fault.code
            resp = _Response(200, json.dumps(doc).encode(), resp.content_type)
        return resp


class _Imds(_WithMessage, FakeImds):
    pass


class _Uri(_WithMessage, FakeCredentialsUri):
    pass


def _sts_provider(sts):
    return ossauth.RamRoleArnCredentialsProvider(ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET,
                                                 sts_endpoint=sts.url, **QUICK)


def _uri_provider(uri):
    return ossauth.UriCredentialsProvider(uri.url + "/creds", **QUICK)


def _imds_provider(imds):
    return ossauth.EcsRamRoleCredentialsProvider("EcsRamRoleTest", endpoint=imds.url, **QUICK)


SERVICES = {
    # fake, provider, what the error quotes
    "sts": (lambda: FakeSts({AK_ID: AK_SECRET}, max_clock_skew=None), _sts_provider),
    "uri": (_Uri, _uri_provider),
    "imds": (_Imds, _imds_provider),
}


@pytest.mark.parametrize("kind", sorted(SERVICES))
def test_service_code_and_message_are_escaped_in_the_exception(kind):
    make_fake, make_provider = SERVICES[kind]
    with make_fake() as fake:
        fake.fault = "code:" + HOSTILE
        with pytest.raises(ossauth.CredentialsError) as ei:
            make_provider(fake).get_credentials()
        text = str(ei.value)
        assert ESCAPED in text, text
        assert not _controls(text), repr(text)
        assert text.count(ESCAPED) == 2, text  # in the Code and in the Message


def test_long_service_text_is_capped():
    with FakeSts({AK_ID: AK_SECRET}, max_clock_skew=None) as sts:
        sts.fault = "code:" + "\x1b" * 5000
        with pytest.raises(ossauth.CredentialsError) as ei:
            _sts_provider(sts).get_credentials()
        assert len(str(ei.value)) < 3000 and "\\u{1b}..." in str(ei.value), len(str(ei.value))


@pytest.mark.parametrize("kind", sorted(SERVICES))
def test_service_text_is_escaped_in_log_records(kind, caplog):
    """A background refresh that fails is logged (the caller still gets the cached credentials):
    the record's text quotes the service, escaped."""
    caplog.set_level(logging.DEBUG, logger="ossauth")
    make_fake, make_provider = SERVICES[kind]
    t0 = int(time.time())
    with make_fake() as fake:
        good = FakeCredentials.random(expiration=t0 + HOUR)
        if kind == "sts":
            fake.next_credentials = good
        else:
            fake.credentials = good
        p = make_provider(fake)
        with frozen_time(t0):
            first = p.get_credentials()
        fake.fault = "code:" + HOSTILE
        with frozen_time(t0 + 45 * 60 + 10):  # advisory window: served, refreshed in the background
            assert p.get_credentials() is first
            wait_for(lambda: any(r.getMessage().count(ESCAPED) == 2 for r in caplog.records),
                     "the record of the failed refresh")
    records = [r for r in caplog.records if r.name.startswith("ossauth")]
    for r in records:
        assert not _controls(r.getMessage()), repr(r.getMessage())


class _Raising(object):
    """A Python source whose failure quotes a service (as an SDK's exceptions do)."""

    def get_credentials(self):
        raise RuntimeError("the service said: " + HOSTILE)

    __call__ = get_credentials


@pytest.mark.parametrize("how", ["fetch", "source"])
def test_a_python_sources_error_text_is_escaped(how):
    with FakeSts({AK_ID: AK_SECRET}, max_clock_skew=None) as sts:
        if how == "fetch":
            p = ossauth.RefreshingCredentialsProvider(_Raising())
        else:
            p = ossauth.RamRoleArnCredentialsProvider(ROLE_ARN, source=_Raising(), sts_endpoint=sts.url, **QUICK)
        with pytest.raises(ossauth.CredentialsError) as ei:
            p.get_credentials()
        text = str(ei.value)
        assert "RuntimeError: the service said: " + ESCAPED in text, text
        assert not _controls(text), repr(text)
