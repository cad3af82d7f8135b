"""ossauth's Rust credential sources end to end, against the local fake services.

What is checked, per source (ECS RAM role / IMDS, RAM role ARN / STS AssumeRole, OIDC role ARN /
STS AssumeRoleWithOIDC, credentials URI):

* happy paths: IMDSv2 tokens (the TTL header on the PUT, the token on every GET), role
  discovery, the IMDSv1 fallback and its switches, AssumeRole signed with an AccessKey, with STS
  source credentials (SecurityToken), with ``source=`` any provider (oss2's, ossauth's, a Python
  object, another role), RFC 3986 signing of a policy with spaces / ``*`` / ``~`` / CJK (the fake
  STS verifies strictly, so a ``+`` for a space would be rejected), unique nonces, the OIDC token
  file read again on every refresh, the URI, and the environment variables of each;
* a cross-check of the StringToSign and signature against alibabacloud_credentials' own signing
  helpers (for inputs without spaces, which it encodes the same way), and of the parameter set
  against what its RamRoleArnCredentialsProvider sends;
* every fault of the fakes: a CredentialsError that starts with the source's name, names the
  cause, holds no secret, and arrives within the timeout; and good cached credentials surviving
  the same faults through the advisory and mandatory windows (until they expire);
* no secret in reprs, errors or log records.

Conventions (as in ``test_refreshing.py``): the cache's clock is pinned with ``frozen_time``;
background refreshes are awaited by polling an observable condition (the WARNING record of the
failed refresh) with a generous deadline, never by sleeping a fixed time. The fakes use the real
clock for what they serve, so frozen instants start from the real ``time.time()``; the STS fake's
Timestamp skew check is turned off for tests that move the frozen clock.

Every test gets fresh fakes (conftest.py's ``imds``, ``sts`` and ``uri``; this module says which
role and AccessKeys they accept); the network timeouts are short (0.5 s connect + 0.5 s read) so that
the slow faults cost about a second each. The slow faults never answer in time (HANG); elapsed
times are only bounded by the generous TIME_BOUND (= DEADLINE), never by how fast the machine is.
"""

import base64
import json
import logging
import os
import secrets
import sys
import time
from urllib.parse import quote

import oss2
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_http import FakeHttpServer  # noqa: E402
from fake_services import (  # noqa: E402
    IMDS_CREDENTIALS_PATH,
    IMDS_MAX_TOKEN_TTL,
    IMDS_TOKEN_HEADER,
    IMDS_TOKEN_PATH,
    IMDS_TTL_HEADER,
    STS_VERSION,
    FakeCredentials,
    FakeCredentialsUri,
    FakeImds,
    FakeSts,
    format_expiration,
    make_oidc_token,
    parse_expiration,
    refused_url,
)

from alibabacloud_credentials.provider import RamRoleArnCredentialsProvider as SdkRamRoleArn  # noqa: E402
from alibabacloud_credentials.utils import parameter_helper as ph  # noqa: E402

import ossauth  # noqa: E402
from ossauth.testing import frozen_time  # noqa: E402
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

HOUR = 3600
MIN = 60
# A bound on any failing call with the QUICK timeouts (correctness, not speed): the slow faults
# answer only after HANG, so a call within the bound was ended by its timeouts.
TIME_BOUND = DEADLINE
SLOW = "slow:%d" % HANG  # a service slower than every timeout (close() at teardown cuts it short)
QUICK = {"connect_timeout": 0.5, "read_timeout": 0.5}  # callers then wait at most 0.5 + 0.5 + 1 s

ROLE = "EcsRamRoleNetTest"
ROLE_ARN = "acs:ram::1234567890123456:role/net-test"
OIDC_PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-net"
SESSION = "net-test-session"

# A RAM user's AccessKey, and STS source credentials (realistic lengths; the token has the
# characters that percent-encoding changes, so an encoded echo of it would show).
AK_ID = "LTAI5tNetTestAccessKey01"
AK_SECRET = "NetTestAkSecret0123456789abcdefXYZ"
SRC_ID = "STS.NTsourceKeyForNetTests01"
SRC_SECRET = "SrcStsSecret9876543210zyxwvuTSRQ"
SRC_TOKEN = "CAIS" + base64.b64encode(secrets.token_bytes(240)).decode()  # like STS's: base64, so + / =
URI_QUERY_SECRET = "uriQuerySecret5f3c9a71"  # a credentials URI may carry a secret in its query
STS_ERROR_CODE = "NoPermission"



# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def fetch_error(provider):
    """The CredentialsError text of one get_credentials() call, and how long the call took."""
    started = time.monotonic()
    with pytest.raises(ossauth.CredentialsError) as ei:
        provider.get_credentials()
    return str(ei.value), time.monotonic() - started


def encodings(secret):
    """A secret as it could appear in a text: raw, percent-encoded once (a URL) or twice (an
    echoed StringToSign)."""
    once = quote(secret, safe="")
    return {secret, once, quote(once, safe="")}


def fragments(value, width=12):
    """Windows of ``value`` such that any piece of it longer than 2 * width contains one: a
    truncated echo of a secret counts as a leak too."""
    if len(value) <= 2 * width:
        return [value]
    return [value[i:i + width] for i in range(0, len(value) - width + 1, width)] + [value[-width:]]


def assert_no_secret(text, secret_values):
    for s in secret_values:
        for form in encodings(s):
            for piece in fragments(form):
                at = text.find(piece)
                assert at < 0, "a secret (%s..., %d chars) leaked: ...%s..." % (
                    s[:6], len(s), text[max(0, at - 120):at + 60])


def assert_same_credentials(creds, served):
    assert isinstance(creds, ossauth.Credentials)
    assert creds.access_key_id == served.access_key_id
    assert creds.access_key_secret == served.access_key_secret
    assert creds.security_token == served.security_token
    assert creds.get_access_key_id() == served.access_key_id
    assert creds.get_access_key_secret() == served.access_key_secret
    assert creds.get_security_token() == served.security_token
    if served.expiration is not None:
        assert creds.expiration.utcoffset() is not None  # aware
        assert int(creds.expiration.timestamp()) == int(served.expiration)


def failure_records(caplog, source, level=logging.WARNING):
    """The failed refreshes of ``source`` logged at ``level``: WARNING for a background refresh
    (valid credentials remain), DEBUG when the failure is the error callers get."""
    return [r for r in caplog.records
            if r.levelno == level and r.name.startswith("ossauth")
            and r.getMessage().startswith(source + ":")]


def unsigned(params):
    return {k: v for k, v in params.items() if k != "Signature"}


# ---------------------------------------------------------------------------------------------
# fixtures: fresh fakes per test (conftest.py), accepting this module's role and keys
# ---------------------------------------------------------------------------------------------


#: No proxy (the STS/URI client honours *_PROXY) and none of the sources' variables.
pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def imds_role():
    return ROLE


@pytest.fixture
def sts_keys():
    return {AK_ID: AK_SECRET, SRC_ID: (SRC_SECRET, SRC_TOKEN)}


# ---------------------------------------------------------------------------------------------
# A source kind and its fake
# ---------------------------------------------------------------------------------------------


class Source:
    """One source kind wired to its fake: builds providers and knows what to expect of them."""

    def __init__(self, kind, fake, oidc_token):
        self.kind = kind
        self.fake = fake
        self.oidc_path, self.oidc_token = oidc_token

    @property
    def is_sts(self):
        return self.kind in ("ram", "oidc")

    def url(self, base=None):
        base = base or self.fake.url
        return base + "/v1/credentials?access=" + URI_QUERY_SECRET if self.kind == "uri" else base

    def provider(self, url=None, **kw):
        url = url or self.url()
        kw = dict(QUICK, **kw)
        if self.kind == "ecs":
            return ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=url, **kw)
        if self.kind == "ram":
            return ossauth.RamRoleArnCredentialsProvider(
                ROLE_ARN, access_key_id=SRC_ID, access_key_secret=SRC_SECRET, security_token=SRC_TOKEN,
                role_session_name=SESSION, sts_endpoint=url, **kw)
        if self.kind == "oidc":
            return ossauth.OidcRoleArnCredentialsProvider(
                ROLE_ARN, OIDC_PROVIDER_ARN, self.oidc_path, role_session_name=SESSION, sts_endpoint=url, **kw)
        return ossauth.UriCredentialsProvider(url, **kw)

    def source_name(self, url=None):
        url = url or self.url()
        return {
            "ecs": "ECS RAM role (%s)" % url,
            "ram": "RAM role ARN (%s)" % ROLE_ARN,
            "oidc": "OIDC role ARN (%s)" % ROLE_ARN,
            "uri": "credentials URI (%s)" % url.split("?")[0],
        }[self.kind]

    def serve(self, creds):
        """Credentials the fake hands out from now on."""
        if self.is_sts:
            self.fake.next_credentials = creds
        else:
            self.fake.credentials = creds

    def fault_text(self, fault):
        if fault == "code":
            return "code:" + (STS_ERROR_CODE if self.is_sts else "Failed")
        return fault

    def secrets(self):
        """Every secret in play: the source's, and whatever the fake served or issued."""
        out = [AK_SECRET, SRC_SECRET, SRC_TOKEN, URI_QUERY_SECRET, self.oidc_token]
        served = [self.fake.next_credentials] if self.is_sts else [self.fake.credentials]
        if self.is_sts:
            served += [r.issued for r in self.fake.requests if r.issued is not None]
        for c in served:
            if c is not None:
                out += [c.access_key_secret, c.security_token]
        if self.kind == "ecs":
            out += list(self.fake.issued_tokens)  # IMDSv2 session tokens
        return [s for s in out if s]


KINDS = ["ecs", "ram", "oidc", "uri"]


@pytest.fixture
def make_source(imds, sts, uri, oidc_token):
    fakes = {"ecs": imds, "ram": sts, "oidc": sts, "uri": uri}

    def make(kind, fake=None):
        return Source(kind, fake or fakes[kind], oidc_token)

    return make


def serving_an_hour(src):
    """Serve fresh credentials valid for an hour from now; returns (now, them, provider, name)."""
    if src.is_sts:
        src.fake.max_clock_skew = None  # the frozen clock moves hours ahead
    t0 = int(time.time())
    good = FakeCredentials.random(expiration=t0 + HOUR)
    src.serve(good)
    return t0, good, src.provider(), src.source_name()


def fresh_fake(kind):
    """A server of its own (for "the server went away": it is closed during the test)."""
    if kind == "ecs":
        return FakeImds(role_name=ROLE)
    if kind in ("ram", "oidc"):
        return FakeSts({AK_ID: AK_SECRET, SRC_ID: (SRC_SECRET, SRC_TOKEN)})
    return FakeCredentialsUri()


# ============================================================================================
# ECS RAM role (IMDS)
# ============================================================================================


def test_ecs_v2_token_on_every_get_with_role_discovery(imds):
    served = FakeCredentials.random(expiration=int(time.time()) + 6 * HOUR - 7)
    imds.credentials = served
    p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
    assert p._fetch_count() == 0  # nothing fetched before it is asked for
    creds = p.get_credentials()
    assert_same_credentials(creds, served)
    reqs = imds.requests
    assert [(r.method, r.path, r.status) for r in reqs] == [
        ("PUT", IMDS_TOKEN_PATH, 200),
        ("GET", IMDS_CREDENTIALS_PATH, 200),  # role discovery
        ("GET", IMDS_CREDENTIALS_PATH + ROLE, 200),
    ]
    assert reqs[0].headers.get(IMDS_TTL_HEADER) == str(IMDS_MAX_TOKEN_TTL)
    assert IMDS_TOKEN_HEADER not in reqs[0].headers
    for get in reqs[1:]:
        assert get.headers.get(IMDS_TOKEN_HEADER) in imds.issued_tokens
    assert p.get_credentials() is creds and p._fetch_count() == 1


@pytest.mark.parametrize("disable_imds_v1", [None, False, True])
def test_ecs_hardened_imds_that_requires_v2(imds, disable_imds_v1):
    imds.require_v2 = True
    p = ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, disable_imds_v1=disable_imds_v1, **QUICK)
    assert_same_credentials(p.get_credentials(), imds.credentials)
    reqs = imds.requests
    assert [(r.method, r.path, r.status) for r in reqs] == [
        ("PUT", IMDS_TOKEN_PATH, 200), ("GET", IMDS_CREDENTIALS_PATH + ROLE, 200)]
    assert reqs[1].headers[IMDS_TOKEN_HEADER] in imds.issued_tokens


@pytest.mark.parametrize("token_status", [404, 403, 405])
def test_ecs_falls_back_to_v1_when_the_imds_has_no_v2(imds, token_status):
    imds.v2_enabled = False
    imds.token_disabled_status = token_status
    p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
    assert_same_credentials(p.get_credentials(), imds.credentials)
    reqs = imds.requests
    assert [(r.method, r.path, r.status) for r in reqs] == [
        ("PUT", IMDS_TOKEN_PATH, token_status),
        ("GET", IMDS_CREDENTIALS_PATH, 200),
        ("GET", IMDS_CREDENTIALS_PATH + ROLE, 200),
    ]
    assert all(IMDS_TOKEN_HEADER not in r.headers for r in reqs[1:])


@pytest.mark.parametrize("fault", ["status:403", SLOW])
def test_ecs_falls_back_to_v1_when_no_token_can_be_had(imds, fault):
    imds.set_fault(fault, target="token")
    p = ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, **QUICK)
    started = time.monotonic()
    assert_same_credentials(p.get_credentials(), imds.credentials)
    assert time.monotonic() - started < TIME_BOUND
    reqs = imds.requests
    assert [(r.method, r.path) for r in reqs] == [("PUT", IMDS_TOKEN_PATH), ("GET", IMDS_CREDENTIALS_PATH + ROLE)]
    assert reqs[0].fault == fault and IMDS_TOKEN_HEADER not in reqs[1].headers


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_ecs_with_v1_disabled_fails_when_the_imds_has_no_v2(imds, monkeypatch, how):
    imds.v2_enabled = False
    if how == "argument":
        p = ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, disable_imds_v1=True, **QUICK)
    else:
        monkeypatch.setenv("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")
        p = ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, **QUICK)
    text, elapsed = fetch_error(p)
    assert text.startswith("ECS RAM role (%s): " % imds.url), text
    assert "HTTP 404" in text and "IMDSv1" in text, text
    assert elapsed < TIME_BOUND
    assert [r.method for r in imds.requests] == ["PUT"]  # never a GET without a token


def test_ecs_role_from_the_environment_skips_discovery(imds, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA", ROLE)
    p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
    assert_same_credentials(p.get_credentials(), imds.credentials)
    assert [r.path for r in imds.requests] == [IMDS_TOKEN_PATH, IMDS_CREDENTIALS_PATH + ROLE]


def test_ecs_metadata_disabled_by_the_environment(imds, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    with pytest.raises(ossauth.CredentialsError) as ei:
        ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, **QUICK)
    assert str(ei.value).startswith("ECS RAM role (%s): " % imds.url)
    assert "ALIBABA_CLOUD_ECS_METADATA_DISABLED" in str(ei.value)
    assert imds.requests == []


def test_ecs_failed_get_with_a_token_is_not_retried_without_it(imds):
    """Unlike alibabacloud_credentials, a failed token-carrying GET is not repeated as IMDSv1:
    the cache retries, after its backoff."""
    imds.set_fault("status:500", times=1)
    t0 = int(time.time())
    p = ossauth.EcsRamRoleCredentialsProvider(ROLE, endpoint=imds.url, **QUICK)
    with frozen_time(t0):
        text, _ = fetch_error(p)
        assert "HTTP 500" in text, text
        gets = [r for r in imds.requests if r.method == "GET"]
        assert len(gets) == 1 and gets[0].status == 500
        assert gets[0].headers[IMDS_TOKEN_HEADER] in imds.issued_tokens
        # backing off: the next caller gets the error at once, nothing is sent
        count = len(imds.requests)
        fetch_error(p)
        assert len(imds.requests) == count and p._fetch_count() == 1
    with frozen_time(t0 + 61):  # past any backoff after one failure
        assert_same_credentials(p.get_credentials(), imds.credentials)
    assert p._fetch_count() == 2


@pytest.mark.parametrize("case", ["no role attached", "discovery answers 500"])
def test_ecs_role_discovery_failures(imds, case):
    if case == "no role attached":
        imds.role_name = None
        cause = "HTTP 404"
    else:
        imds.set_fault("status:500", target="role")
        cause = "HTTP 500"
    p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
    text, _ = fetch_error(p)
    assert text.startswith("ECS RAM role (%s): " % imds.url), text
    assert cause in text and "role" in text, text
    assert [r.path for r in imds.requests][-1] == IMDS_CREDENTIALS_PATH


def test_ecs_whole_metadata_service_slower_than_the_timeout(imds, caplog):
    """Every IMDS request is slow (token, discovery, credentials): the caller, with the default
    wait, must get an error within the timeout that says the metadata service timed out."""
    caplog.set_level(logging.DEBUG, logger="ossauth")
    imds.set_fault(SLOW, target="any")
    p = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, **QUICK)
    source = "ECS RAM role (%s)" % imds.url
    try:
        text, elapsed = fetch_error(p)
        assert text.startswith(source + ": "), text
        assert elapsed < TIME_BOUND
        assert "timed out" in text, text
    finally:
        # let this refresh finish here, so that its record never lands in another test
        wait_for(lambda: failure_records(caplog, source, logging.DEBUG), "the slow refresh to give up")


# ============================================================================================
# RAM role ARN (STS AssumeRole)
# ============================================================================================

COMMON_SIGNED = {"Action", "Format", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion",
                 "SignatureNonce", "Timestamp", "Signature", "RoleArn", "RoleSessionName", "DurationSeconds"}


def check_assume_role_call(call, access_key_id, role_arn=ROLE_ARN, session=SESSION, duration="3600"):
    assert call.action == "AssumeRole" and call.status == 200, (call.status, call.error_code)
    assert call.signature_verified
    assert call.method == "GET" and call.path == "/" and call.body == b""
    assert call.query == call.params  # every parameter in the query
    p = call.params
    assert (p["Format"], p["Version"], p["SignatureMethod"], p["SignatureVersion"]) == (
        "JSON", STS_VERSION, "HMAC-SHA1", "1.0")
    assert (p["AccessKeyId"], p["RoleArn"], p["RoleSessionName"], p["DurationSeconds"]) == (
        access_key_id, role_arn, session, duration)


def test_ram_role_arn_with_an_access_key(sts):
    p = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET, role_session_name=SESSION,
        duration_seconds=1800, sts_endpoint=sts.url, **QUICK)
    assert sts.calls == []
    creds = p.get_credentials()
    (call,) = sts.calls
    check_assume_role_call(call, AK_ID, duration="1800")
    assert set(call.params) == COMMON_SIGNED  # no SecurityToken, Policy or ExternalId
    assert abs(parse_expiration(call.params["Timestamp"]) - time.time()) < 60
    assert_same_credentials(creds, call.issued)
    assert abs(creds.expiration.timestamp() - (time.time() + 1800)) < 60


class PythonSource:
    """Any object with get_credentials() (here returning oss2's Credentials)."""

    def __init__(self):
        self.calls = 0

    def get_credentials(self):
        self.calls += 1
        return oss2.credentials.Credentials(SRC_ID, SRC_SECRET, SRC_TOKEN)


SOURCES = {
    "keywords": lambda: dict(access_key_id=SRC_ID, access_key_secret=SRC_SECRET, security_token=SRC_TOKEN),
    "oss2 provider": lambda: dict(source=oss2.credentials.StaticCredentialsProvider(SRC_ID, SRC_SECRET, SRC_TOKEN)),
    "ossauth provider": lambda: dict(source=ossauth.StaticCredentialsProvider(SRC_ID, SRC_SECRET, SRC_TOKEN)),
    "python object": lambda: dict(source=PythonSource()),
}


@pytest.mark.parametrize("how", sorted(SOURCES))
def test_ram_role_arn_with_sts_source_credentials(sts, how):
    kw = SOURCES[how]()
    p = ossauth.RamRoleArnCredentialsProvider(ROLE_ARN, role_session_name=SESSION, sts_endpoint=sts.url, **kw, **QUICK)
    creds = p.get_credentials()
    (call,) = sts.calls
    check_assume_role_call(call, SRC_ID)
    assert call.params["SecurityToken"] == SRC_TOKEN  # the fake requires exactly the key's token
    assert set(call.params) == COMMON_SIGNED | {"SecurityToken"}
    assert_same_credentials(creds, call.issued)
    if isinstance(kw.get("source"), PythonSource):
        assert kw["source"].calls == 1


def test_ram_role_chaining_with_another_role_as_source(sts):
    inner = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET, role_session_name="inner", sts_endpoint=sts.url,
        **QUICK)
    outer_arn = "acs:ram::1234567890123456:role/chained"
    outer = ossauth.RamRoleArnCredentialsProvider(outer_arn, source=inner, role_session_name="outer",
                                                  sts_endpoint=sts.url, **QUICK)
    creds = outer.get_credentials()
    first, second = sts.calls
    check_assume_role_call(first, AK_ID, session="inner")
    check_assume_role_call(second, first.issued.access_key_id, role_arn=outer_arn, session="outer")
    assert second.params["SecurityToken"] == first.issued.security_token
    assert_same_credentials(creds, second.issued)


@pytest.mark.parametrize("family", ["OSS", "ALIBABA_CLOUD"])
def test_ram_role_arn_from_the_environment(sts, monkeypatch, family):
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-session")
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", sts.url)
    if family == "OSS":
        monkeypatch.setenv("OSS_ACCESS_KEY_ID", AK_ID)
        monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", AK_SECRET)
        key_id, token = AK_ID, None
    else:
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", SRC_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SRC_SECRET)
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", SRC_TOKEN)
        key_id, token = SRC_ID, SRC_TOKEN
    p = ossauth.RamRoleArnCredentialsProvider(**QUICK)
    creds = p.get_credentials()
    (call,) = sts.calls
    check_assume_role_call(call, key_id, session="env-session")
    assert call.params.get("SecurityToken") == token
    assert_same_credentials(creds, call.issued)


POLICY_WITH_SPACES = json.dumps(
    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject", "oss:ListObjects"],
                                    "Resource": ["acs:oss:*:*:示例桶/~home/报告 2024/*"]}]},
    ensure_ascii=False)


def test_ram_policy_with_spaces_star_tilde_and_cjk_signed_per_rfc3986(sts):
    assert all(c in POLICY_WITH_SPACES for c in " *~/示") and not sts.lenient_space_encoding
    external_id = "ext id~*/中"
    p = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET, role_session_name="sess.ion@net-1",
        policy=POLICY_WITH_SPACES, external_id=external_id, sts_endpoint=sts.url, **QUICK)
    creds = p.get_credentials()
    (call,) = sts.calls
    # The strict fake accepted it: the StringToSign encoded each space as %20.
    check_assume_role_call(call, AK_ID, session="sess.ion@net-1")
    assert call.params["Policy"] == POLICY_WITH_SPACES
    assert call.params["ExternalId"] == external_id
    assert_same_credentials(creds, call.issued)
    # ... which is not what the reference SDK's quote_plus (space -> '+') signs.
    assert ph.compose_string_to_sign("GET", unsigned(call.params)) != call.string_to_sign


def test_ram_nonces_are_unique_and_timestamps_follow_the_clock(sts):
    sts.max_clock_skew = None  # the frozen clock moves hours ahead
    t0 = int(time.time())
    p = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET, role_session_name=SESSION,
        sts_endpoint=sts.url, **QUICK)
    instants = [t0 + k * HOUR for k in range(4)]
    for k, instant in enumerate(instants):
        served = FakeCredentials.random(expiration=instant + HOUR)
        sts.next_credentials = served
        with frozen_time(instant):  # at the expiry of the previous ones: a refresh is waited for
            assert_same_credentials(p.get_credentials(), served)
    assert p._fetch_count() == len(instants)
    # a few more from other providers, as fast as possible
    for _ in range(3):
        ossauth.RamRoleArnCredentialsProvider(
            ROLE_ARN, access_key_id=AK_ID, access_key_secret=AK_SECRET, sts_endpoint=sts.url, **QUICK
        ).get_credentials()
    calls = sts.calls
    assert len(calls) == len(instants) + 3
    assert all(c.status == 200 and c.signature_verified for c in calls)  # a reused nonce gets 400
    nonces = [c.params["SignatureNonce"] for c in calls]
    assert len(set(nonces)) == len(nonces) and all(len(n) >= 16 for n in nonces)
    assert [c.params["Timestamp"] for c in calls[:len(instants)]] == [format_expiration(i) for i in instants]


POLICY_NO_SPACES = ('{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject",'
                    '"Resource":"acs:oss:*:*:示例桶/~dir/*"}]}')


@pytest.mark.parametrize("key", ["access key", "sts source"])
def test_ram_string_to_sign_and_signature_equal_alibabacloud_credentials(sts, key):
    """For parameters without spaces (quote_plus and RFC 3986 agree there), ossauth's request
    signs exactly what the reference SDK's helpers compute."""
    assert " " not in POLICY_NO_SPACES
    if key == "access key":
        kw, secret = dict(access_key_id=AK_ID, access_key_secret=AK_SECRET), AK_SECRET
    else:
        kw, secret = dict(access_key_id=SRC_ID, access_key_secret=SRC_SECRET, security_token=SRC_TOKEN), SRC_SECRET
    p = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, role_session_name="x-session.1@net", policy=POLICY_NO_SPACES, external_id="ext-id_1.~",
        duration_seconds=900, sts_endpoint=sts.url, **kw, **QUICK)
    p.get_credentials()
    (call,) = sts.calls
    assert call.signature_verified and call.status == 200
    theirs = ph.compose_string_to_sign("GET", unsigned(call.params))
    assert call.string_to_sign == theirs
    assert call.params["Signature"] == ph.sign_string(theirs, secret + "&")


def test_ram_sends_the_parameters_alibabacloud_credentials_sends(sts):
    config = dict(role_arn=ROLE_ARN, role_session_name="same-session", policy=POLICY_NO_SPACES,
                  external_id="ext-1", duration_seconds=1800)
    SdkRamRoleArn(access_key_id=AK_ID, access_key_secret=AK_SECRET, sts_endpoint=sts.url, **config).get_credentials()
    ossauth.RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret=AK_SECRET, sts_endpoint=sts.url,
                                          **config, **QUICK).get_credentials()
    theirs, ours = sts.calls
    assert theirs.signature_verified and ours.signature_verified
    volatile = {"Signature", "SignatureNonce", "Timestamp"}
    assert {k: v for k, v in ours.params.items() if k not in volatile} == {
        k: v for k, v in theirs.params.items() if k not in volatile}
    assert ours.method == theirs.method == "GET"


def test_ram_signature_mismatch_names_the_code_and_hides_the_source_token(sts):
    p = ossauth.RamRoleArnCredentialsProvider(
        ROLE_ARN, access_key_id=SRC_ID, access_key_secret="not-" + SRC_SECRET, security_token=SRC_TOKEN,
        role_session_name="s1", sts_endpoint=sts.url, **QUICK)
    text, _ = fetch_error(p)
    (call,) = sts.calls
    assert call.error_code == "SignatureDoesNotMatch"  # STS echoes its StringToSign in the Message
    assert text.startswith("RAM role ARN (%s): " % ROLE_ARN), text
    assert "HTTP 400" in text and "SignatureDoesNotMatch" in text, text
    assert_no_secret(text, [SRC_SECRET, "not-" + SRC_SECRET, SRC_TOKEN])


# ============================================================================================
# OIDC role ARN (STS AssumeRoleWithOIDC)
# ============================================================================================


def check_oidc_call(call, token, session=SESSION):
    assert call.action == "AssumeRoleWithOIDC" and call.status == 200, (call.status, call.error_code)
    assert call.method == "GET" and call.path == "/" and call.body == b""
    p = call.params
    assert (p["Format"], p["Version"], p["RoleArn"], p["OIDCProviderArn"], p["RoleSessionName"]) == (
        "JSON", STS_VERSION, ROLE_ARN, OIDC_PROVIDER_ARN, session)
    assert call.oidc_token == p["OIDCToken"] == token
    assert "Signature" not in p and "AccessKeyId" not in p  # unsigned


def test_oidc_assume_role_with_the_token_file(sts, tmp_path):
    token = make_oidc_token("pod-sa")
    path = tmp_path / "rrsa-token"
    path.write_text(token)
    sts.expected_oidc_token = token
    p = ossauth.OidcRoleArnCredentialsProvider(ROLE_ARN, OIDC_PROVIDER_ARN, path,  # a PathLike
                                               role_session_name=SESSION, policy=POLICY_WITH_SPACES,
                                               sts_endpoint=sts.url, **QUICK)
    creds = p.get_credentials()
    (call,) = sts.calls
    check_oidc_call(call, token)
    assert call.params["Policy"] == POLICY_WITH_SPACES
    assert_same_credentials(creds, call.issued)


def test_oidc_token_file_is_read_again_on_refresh(sts, tmp_path):
    sts.max_clock_skew = None
    t0 = int(time.time())
    path = tmp_path / "token"
    token1, token2 = make_oidc_token("sa-1"), make_oidc_token("sa-2")
    path.write_text(token1)
    first_served = FakeCredentials.random(expiration=t0 + HOUR)
    sts.next_credentials = first_served
    p = ossauth.OidcRoleArnCredentialsProvider(ROLE_ARN, OIDC_PROVIDER_ARN, str(path), role_session_name=SESSION,
                                               sts_endpoint=sts.url, **QUICK)
    with frozen_time(t0):
        assert_same_credentials(p.get_credentials(), first_served)
    check_oidc_call(sts.calls[-1], token1)
    # the cluster rotates the token; STS now accepts only the new one
    path.write_text(token2)
    sts.expected_oidc_token = token2
    second_served = FakeCredentials.random(expiration=t0 + 2 * HOUR)
    sts.next_credentials = second_served
    with frozen_time(t0 + 55 * MIN + 10):  # mandatory window: the caller waits for the refresh
        assert_same_credentials(p.get_credentials(), second_served)
    assert p._fetch_count() == 2
    assert len(sts.calls) == 2
    check_oidc_call(sts.calls[-1], token2)


def test_oidc_from_the_environment(sts, oidc_token, monkeypatch):
    path, token = oidc_token
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER_ARN)
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", path)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-pod")
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", sts.url)
    creds = ossauth.OidcRoleArnCredentialsProvider(**QUICK).get_credentials()
    (call,) = sts.calls
    check_oidc_call(call, token, session="env-pod")
    assert_same_credentials(creds, call.issued)


def test_oidc_token_file_missing(sts, tmp_path):
    path = tmp_path / "no-such-token"
    p = ossauth.OidcRoleArnCredentialsProvider(ROLE_ARN, OIDC_PROVIDER_ARN, str(path), sts_endpoint=sts.url, **QUICK)
    text, _ = fetch_error(p)
    assert text.startswith("OIDC role ARN (%s): " % ROLE_ARN), text
    assert str(path) in text, text
    assert sts.calls == []


def test_oidc_token_rejected_by_sts(sts, oidc_token):
    path, token = oidc_token
    sts.expected_oidc_token = make_oidc_token("someone-else")
    p = ossauth.OidcRoleArnCredentialsProvider(ROLE_ARN, OIDC_PROVIDER_ARN, path, sts_endpoint=sts.url, **QUICK)
    text, _ = fetch_error(p)
    assert text.startswith("OIDC role ARN (%s): " % ROLE_ARN), text
    assert "HTTP 401" in text and "AuthenticationFail.OIDCToken.Invalid" in text, text
    assert_no_secret(text, [token])


# ============================================================================================
# Credentials URI
# ============================================================================================


def test_uri_with_path_and_query(uri):
    served = FakeCredentials.random(expiration=int(time.time()) + 1800)
    uri.credentials = served
    p = ossauth.UriCredentialsProvider(uri.url + "/v1/credentials?access=" + URI_QUERY_SECRET + "&role=app", **QUICK)
    creds = p.get_credentials()
    assert_same_credentials(creds, served)
    (r,) = uri.requests
    assert (r.method, r.path, r.query) == ("GET", "/v1/credentials", {"access": URI_QUERY_SECRET, "role": "app"})
    assert p.get_credentials() is creds and len(uri.requests) == 1


def test_uri_from_the_environment(uri, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url + "/env-creds")
    creds = ossauth.UriCredentialsProvider(**QUICK).get_credentials()
    assert_same_credentials(creds, uri.credentials)
    assert [r.path for r in uri.requests] == ["/env-creds"]


# ============================================================================================
# Faults: each source, each fault
# ============================================================================================

FAULTS = ["refused", "status:401", "status:403", "status:404", "status:500", SLOW, "truncated", "malformed",
          "missing:AccessKeySecret", "missing:SecurityToken", "missing:Expiration", "code", "expired",
          "bad-expiration", "huge", "hang-up"]


def expected_causes(src, fault):
    """Substrings that name the cause of ``fault`` in the error."""
    if fault == "refused":
        return ["connection refused"]
    if fault.startswith("status:"):
        return ["HTTP " + fault.split(":")[1]]
    if fault.startswith("slow:"):
        return ["timed out"]
    if fault in ("truncated", "hang-up"):
        return ["closed before"]
    if fault == "malformed":
        return ["malformed JSON"]
    if fault.startswith("missing:"):
        return ["missing field", fault.split(":")[1]]
    if fault == "code":
        return ["HTTP 400", STS_ERROR_CODE] if src.is_sts else ["Code", "Failed"]
    if fault == "expired":
        return ["expired"]
    if fault == "bad-expiration":
        return ["Expiration", "tomorrow"]
    if fault == "huge":
        return ["larger than the 1048576 bytes allowed"]
    raise AssertionError(fault)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", KINDS)
def test_fault_gives_an_error_naming_source_and_cause(make_source, kind, fault):
    src = make_source(kind)
    src.serve(FakeCredentials.random())  # known secrets, to look for in the error
    url = None
    if fault == "refused":
        url = src.url(refused_url())
    else:
        src.fake.fault = src.fault_text(fault)
    p = src.provider(url)
    text, elapsed = fetch_error(p)
    assert text.startswith(src.source_name(url) + ": "), text
    for cause in expected_causes(src, fault):
        assert cause in text, (cause, text)
    # Within the bound, and with the cause (not the cache's "did not finish"): the source's own
    # timeouts ended the call.
    assert elapsed < TIME_BOUND, elapsed
    assert_no_secret(text, src.secrets())
    if fault != "refused":
        assert any(r.fault == src.fault_text(fault) for r in src.fake.requests), "the fault was never served"


CACHED_FAULTS = ["refused", "status:403", "status:500", SLOW, "truncated", "malformed", "missing:AccessKeySecret",
                 "code", "expired", "bad-expiration", "huge", "hang-up"]


@pytest.mark.parametrize("fault", CACHED_FAULTS)
@pytest.mark.parametrize("kind", KINDS)
def test_good_cached_credentials_stay_while_the_source_fails(make_source, caplog, kind, fault):
    caplog.set_level(logging.WARNING, logger="ossauth")
    own = fresh_fake(kind) if fault == "refused" else None  # closed below: then it refuses
    try:
        src = make_source(kind, own)
        t0, good, p, name = serving_an_hour(src)
        with frozen_time(t0):
            first = p.get_credentials()
        assert_same_credentials(first, good)
        secret_values = src.secrets()

        if own is not None:
            own.close()
        else:
            src.fake.fault = src.fault_text(fault)
        # advisory window (from max(f + L/2, e - 15 min) = t0 + 45 min): served at once,
        # one background refresh, which fails
        with frozen_time(t0 + 45 * MIN + 10):
            assert p.get_credentials() is first
            assert p._fetch_count() == 2
            wait_for(lambda: len(failure_records(caplog, name)) == 1, "the failed background refresh")
            assert p.get_credentials() is first
        # mandatory window (from max(f + 3L/4, e - 5 min) = t0 + 55 min): the caller waits for
        # a refresh, which fails; the cached credentials are still valid, so they are served
        with frozen_time(t0 + 55 * MIN + 10):
            started = time.monotonic()
            assert p.get_credentials() is first
            assert time.monotonic() - started < TIME_BOUND
            assert p._fetch_count() == 3
        if own is None:
            assert sum(r.fault == src.fault_text(fault) for r in src.fake.requests) >= 2
        # past expiry: the error
        with frozen_time(t0 + HOUR + 10):
            text, elapsed = fetch_error(p)
        assert text.startswith(name + ": "), text
        for cause in expected_causes(src, fault):
            assert cause in text, (cause, text)
        assert elapsed < TIME_BOUND
        assert_no_secret(text, secret_values + src.secrets())
        for r in failure_records(caplog, name):
            assert_no_secret(r.getMessage(), secret_values + src.secrets())
        if own is None:
            # the source recovers: after the backoff, new credentials
            src.fake.fault = None
            later = FakeCredentials.random(expiration=t0 + 3 * HOUR)
            src.serve(later)
            with frozen_time(t0 + HOUR + 200):
                assert_same_credentials(p.get_credentials(), later)
    finally:
        if own is not None:
            own.close()


# ============================================================================================
# Secret hygiene: reprs, errors, log records
# ============================================================================================


@pytest.mark.parametrize("kind", KINDS)
def test_no_secret_in_reprs_errors_or_log_records(make_source, caplog, kind):
    caplog.set_level(logging.DEBUG)  # every logger, the HTTP client's too
    caplog.set_level(logging.DEBUG, logger="ossauth")
    src = make_source(kind)
    t0, good, p, name = serving_an_hour(src)
    texts = [repr(p), str(p)]
    with frozen_time(t0):
        creds = p.get_credentials()
    assert creds.access_key_secret == good.access_key_secret and creds.security_token == good.security_token
    texts += [repr(p), str(p), repr(creds), str(creds), "%s %r" % (creds, creds)]
    src.fake.fault = "status:500"
    with frozen_time(t0 + 50 * MIN):
        assert p.get_credentials() is creds
        wait_for(lambda: failure_records(caplog, name), "the failed background refresh")
    src.fake.fault = "malformed"
    with frozen_time(t0 + 2 * HOUR):
        with pytest.raises(ossauth.CredentialsError) as ei:
            p.get_credentials()
    texts += [str(ei.value), repr(ei.value), repr(ei.value.args), repr(p), str(p)]
    records = caplog.records
    assert any(r.name.startswith("ossauth") and r.levelno == logging.WARNING for r in records)
    for r in records:
        texts += [r.getMessage(), str(r.msg), str(r.args)]
    blob = "\n".join(texts)
    assert name in blob and "HTTP 500" in blob and "malformed JSON" in blob  # the texts are live
    assert_no_secret(blob, src.secrets() + [good.access_key_secret, good.security_token])


def test_missing_configuration_names_what_is_missing(monkeypatch):
    for name in ("ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                 "ALIBABA_CLOUD_CREDENTIALS_URI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_ROLE_ARN"):
        ossauth.RamRoleArnCredentialsProvider(access_key_id="LTAI5tKey", access_key_secret="secret")
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_OIDC_PROVIDER_ARN"):
        ossauth.OidcRoleArnCredentialsProvider("acs:ram::1:role/r")
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_CREDENTIALS_URI"):
        ossauth.UriCredentialsProvider()


def test_https_with_an_untrusted_certificate_is_a_tls_error(tmp_path):
    """rustls verifies certificates: a self-signed one is refused, and the error says TLS."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    with FakeHttpServer(ssl_context=context) as server:  # the handshake fails: no request arrives
        url = server.url + "/credentials"
        assert url.startswith("https://127.0.0.1:")
        with pytest.raises(ossauth.CredentialsError) as caught:
            ossauth.UriCredentialsProvider(url, connect_timeout=2, read_timeout=2).get_credentials()
        assert str(caught.value).startswith("credentials URI (%s): GET %s: TLS error (invalid peer certificate"
                                            % (url, url)), str(caught.value)
