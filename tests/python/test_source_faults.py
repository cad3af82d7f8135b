"""Every Rust credential source against a local fake of its service, told to misbehave.

For each source (ECS RAM role, RAM role ARN, OIDC role ARN, credentials URI) and each fault the
issue lists (refused connection, 401/403/404/500, a server slower than the timeout, truncated
or malformed JSON, missing fields, a Code other than Success, an expiration in the past or
unparsable, a 40 MiB body, a hang-up): ``get_credentials()`` raises ``CredentialsError`` that
starts with the source's name, says the cause, holds no secret, and comes within the timeout.
And a fault during a refresh leaves the good cached credentials in place until they expire.
"""

import datetime as dt
import time

import oss2
import pytest
from alibabacloud_credentials.utils import parameter_helper as ph

import ossauth
from ossauth.testing import frozen_time

from fake_services import FakeCredentials, FakeCredentialsUri, FakeImds, FakeSts, refused_url

AK, SK = "LTAI5tSourceKey01", "source-secret-never-shown-1"
ROLE = "acs:ram::1234567890123456:role/oss-reader"
OIDC_PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-test"
OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.oidc-token-never-shown.sig"
# Short timeouts keep the slow cases quick; the bound below is a correctness bound, generous
# for a loaded 2-core machine, not a benchmark.
T = 0.5
WITHIN = 6.0


@pytest.fixture(scope="module")
def imds():
    with FakeImds(role_name="OssReaderRole") as fake:
        yield fake


@pytest.fixture(scope="module")
def sts():
    # The cache's clock is frozen in some tests; the fake checks Timestamp against real time.
    with FakeSts({AK: SK}, max_clock_skew=None) as fake:
        yield fake


@pytest.fixture(scope="module")
def uri():
    with FakeCredentialsUri() as fake:
        yield fake


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(OIDC_TOKEN)
    return path


@pytest.fixture
def services(imds, sts, uri, token_file, monkeypatch):
    for name in ("ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_IMDSV1_DISABLED", "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
                 "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_STS_ENDPOINT", "ALIBABA_CLOUD_STS_REGION",
                 "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ROLE_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    for fake in (imds, sts, uri):
        fake.set_fault(None)
        fake.clear_requests()
    imds.fault_target = "credentials"
    return {"ecs": imds, "ram": sts, "oidc": sts, "uri": uri, "token_file": token_file}


def make(kind, services, base=None):
    """The provider of `kind`, pointed at its fake (or at `base`)."""
    fake = services[kind]
    url = base or fake.url
    timeouts = {"connect_timeout": T, "read_timeout": T}
    if kind == "ecs":
        return ossauth.EcsRamRoleCredentialsProvider(endpoint=url, **timeouts)
    if kind == "ram":
        return ossauth.RamRoleArnCredentialsProvider(
            ROLE, access_key_id=AK, access_key_secret=SK, sts_endpoint=url, **timeouts)
    if kind == "oidc":
        return ossauth.OidcRoleArnCredentialsProvider(
            ROLE, OIDC_PROVIDER, services["token_file"], sts_endpoint=url, **timeouts)
    return ossauth.UriCredentialsProvider(url + "/credentials?agent-token=q-secret", **timeouts)


def source_prefix(kind, services, base=None):
    url = base or services[kind].url
    return {
        "ecs": "ECS RAM role (%s)" % url,
        "ram": "RAM role ARN (%s)" % ROLE,
        "oidc": "OIDC role ARN (%s)" % ROLE,
        "uri": "credentials URI (%s/credentials)" % url,
    }[kind]


def served_secrets(services):
    """Every secret a fake has handed out or been sent."""
    found = {SK, OIDC_TOKEN, "q-secret"}
    imds, uri = services["ecs"], services["uri"]
    for creds in (imds.credentials, uri.credentials):
        found.update({creds.access_key_secret, creds.security_token})
    sts = services["ram"]
    if sts.next_credentials is not None:
        found.update({sts.next_credentials.access_key_secret, sts.next_credentials.security_token})
    return {s for s in found if s}


KINDS = ["ecs", "ram", "oidc", "uri"]

# fault -> the words of the cause each source's error must contain. STS answers "code:X" as an
# HTTP 400 error whose Code is X; IMDS and URIs as a 200 whose Code is X.
FAULTS = {
    "status:401": "HTTP 401",
    "status:403": "HTTP 403",
    "status:404": "HTTP 404",
    "status:500": "HTTP 500",
    "slow:3": "timed out",
    "malformed": "malformed JSON",
    "missing:AccessKeySecret": "missing field",
    "missing:SecurityToken": "missing field",
    "missing:Expiration": "missing field",
    "code:Failed": "Failed",
    "expired": "expired",
    "bad-expiration": "Expiration",
    "huge": "larger than the 1048576 bytes allowed",
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("kind", KINDS)
def test_fault_is_a_clear_error_without_secrets(kind, fault, services):
    services[kind].set_fault(fault)
    provider = make(kind, services)
    start = time.monotonic()
    with pytest.raises(ossauth.CredentialsError) as caught:
        provider.get_credentials()
    elapsed = time.monotonic() - start
    text = str(caught.value)
    assert text.startswith(source_prefix(kind, services)), text
    assert FAULTS[fault] in text, text
    for secret in served_secrets(services):
        assert secret not in text
        assert secret not in repr(provider)
    assert elapsed < WITHIN


@pytest.mark.parametrize("fault", ["truncated", "hang-up"])
@pytest.mark.parametrize("kind", KINDS)
def test_broken_connections_are_clear_errors(kind, fault, services):
    services[kind].set_fault(fault)
    with pytest.raises(ossauth.CredentialsError) as caught:
        make(kind, services).get_credentials()
    text = str(caught.value)
    assert text.startswith(source_prefix(kind, services)), text
    assert "the connection closed before the whole response arrived" in text, text
    for secret in served_secrets(services):
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_refused_connection(kind, services):
    base = refused_url()
    start = time.monotonic()
    with pytest.raises(ossauth.CredentialsError) as caught:
        make(kind, services, base=base).get_credentials()
    text = str(caught.value)
    assert text.startswith(source_prefix(kind, services, base=base)), text
    assert "connection refused" in text
    assert SK not in text and OIDC_TOKEN not in text
    assert time.monotonic() - start < WITHIN


def _expiry(creds):
    return creds.expiration.timestamp()


@pytest.mark.parametrize("fault", ["status:500", "malformed", "expired", "slow:3", "huge"])
@pytest.mark.parametrize("kind", KINDS)
def test_faults_leave_good_cached_credentials_in_place(kind, fault, services):
    provider = make(kind, services)
    now = time.time()
    with frozen_time(now):
        good = provider.get_credentials()
    expires = _expiry(good)
    lifetime = expires - now
    services[kind].set_fault(fault)
    # Advisory window: a background refresh fails; callers keep the good credentials.
    with frozen_time(expires - min(lifetime / 2, 15 * 60) + 1):
        assert provider.get_credentials() is good
        _settle(provider, 1)
    # Mandatory window: callers wait for a refresh that fails, and still get them.
    with frozen_time(expires - min(lifetime / 4, 5 * 60) + 30):
        assert provider.get_credentials().access_key_id == good.access_key_id
    # Past expiry: an error with the cause, never the expired credentials.
    with frozen_time(expires + 1):
        with pytest.raises(ossauth.CredentialsError) as caught:
            provider.get_credentials()
        assert str(caught.value).startswith(source_prefix(kind, services))
    # Recovery once the service behaves again (after the backoff has passed), with
    # credentials valid at that (frozen) instant.
    later = FakeCredentials.random(expiration=expires + 3600)
    fake = services[kind]
    saved = getattr(fake, "credentials", None)
    if kind in ("ram", "oidc"):
        fake.next_credentials = later
    else:
        fake.credentials = later
    fake.set_fault(None)
    try:
        with frozen_time(expires + 120):
            fresh = provider.get_credentials()
    finally:
        if kind in ("ram", "oidc"):
            fake.next_credentials = None
        else:
            fake.credentials = saved
    assert fresh.access_key_id == later.access_key_id


def _settle(provider, fetches):
    """Waits (real time) until the background refresh has been tried."""
    deadline = time.monotonic() + WITHIN
    while provider._fetch_count() <= fetches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert provider._fetch_count() > fetches


def test_sts_signature_matches_alibabacloud_credentials_signer(services):
    """The fake verified ossauth's signature; the reference signer agrees on the same query."""
    sts = services["ram"]
    provider = ossauth.RamRoleArnCredentialsProvider(
        ROLE, source=oss2.StaticCredentialsProvider(AK, SK), role_session_name="cross-check",
        policy='{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}',
        external_id="ext~id", sts_endpoint=sts.url)
    provider.get_credentials()
    call = sts.calls[-1]
    assert call.signature_verified
    unsigned = {k: v for k, v in call.params.items() if k != "Signature"}
    assert call.string_to_sign == ph.compose_string_to_sign("GET", unsigned)
    assert call.params["Signature"] == ph.sign_string(call.string_to_sign, SK + "&")


def test_spaces_are_encoded_as_rfc3986_not_form(services):
    """A policy with spaces: '%20' in the string to sign (the strict fake accepts it)."""
    sts = services["ram"]
    provider = ossauth.RamRoleArnCredentialsProvider(
        ROLE, access_key_id=AK, access_key_secret=SK, sts_endpoint=sts.url,
        policy='{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}',
        role_session_name="space-test", external_id="ext~tilde id")
    provider.get_credentials()
    call = sts.calls[-1]
    assert call.signature_verified
    assert "%2520" in call.string_to_sign and "%252A" in call.string_to_sign
    assert "~tilde" in call.string_to_sign


def test_nonces_are_unique_per_call(services):
    sts = services["ram"]
    providers = [make("ram", services) for _ in range(5)]
    for p in providers:
        p.get_credentials()
    nonces = [c.params["SignatureNonce"] for c in sts.calls[-5:]]
    assert len(set(nonces)) == 5


def test_oidc_token_file_is_read_again_on_every_refresh(services):
    sts, path = services["oidc"], services["token_file"]
    provider = make("oidc", services)
    now = time.time()
    with frozen_time(now):
        first = provider.get_credentials()
    assert sts.calls[-1].oidc_token == OIDC_TOKEN
    path.write_text("rotated-" + OIDC_TOKEN)
    with frozen_time(_expiry(first) - 60):  # mandatory window: a refresh is waited for
        provider.get_credentials()
    assert sts.calls[-1].oidc_token == "rotated-" + OIDC_TOKEN
    assert provider._fetch_count() == 2


def test_ecs_v2_token_on_every_request_and_role_discovery(services):
    imds = services["ecs"]
    creds = make("ecs", services).get_credentials()
    assert creds.access_key_id == imds.credentials.access_key_id
    assert creds.security_token == imds.credentials.security_token
    put, listing, get = imds.requests[-3:]
    assert (put.method, put.path, put.headers["x-aliyun-ecs-metadata-token-ttl-seconds"]) == (
        "PUT", "/latest/api/token", "21600")
    assert listing.path == "/latest/meta-data/ram/security-credentials/"
    assert get.path == "/latest/meta-data/ram/security-credentials/OssReaderRole"
    issued = set(imds.issued_tokens)
    assert listing.headers["x-aliyun-ecs-metadata-token"] in issued
    assert get.headers["x-aliyun-ecs-metadata-token"] in issued


def test_ecs_v1_fallback_and_its_refusal(services):
    imds = services["ecs"]
    imds.v2_enabled = False
    try:
        creds = ossauth.EcsRamRoleCredentialsProvider("OssReaderRole", endpoint=imds.url).get_credentials()
        assert creds.access_key_id == imds.credentials.access_key_id
        assert "x-aliyun-ecs-metadata-token" not in imds.requests[-1].headers
        with pytest.raises(ossauth.CredentialsError) as caught:
            ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url, disable_imds_v1=True).get_credentials()
        assert "IMDSv1 is disabled" in str(caught.value)
    finally:
        imds.v2_enabled = True


def test_ecs_hardened_mode_and_environment(services, monkeypatch):
    imds = services["ecs"]
    imds.require_v2 = True
    try:
        monkeypatch.setenv("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")
        monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA", "OssReaderRole")
        creds = ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url).get_credentials()
        assert creds.access_key_id == imds.credentials.access_key_id
        # The role came from the environment: no discovery request.
        assert [r.path for r in imds.requests[-2:]] == [
            "/latest/api/token", "/latest/meta-data/ram/security-credentials/OssReaderRole"]
        monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_ECS_METADATA_DISABLED"):
            ossauth.EcsRamRoleCredentialsProvider(endpoint=imds.url)
    finally:
        imds.require_v2 = False


def test_role_arn_from_environment_with_sts_source(services, monkeypatch):
    """Environment fills the role; the source is an STS key, whose token is sent and signed."""
    sts = services["ram"]
    first = make("ram", services).get_credentials()  # an STS key the fake accepts for chaining
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", ROLE)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env")
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", sts.url)
    chained = ossauth.RamRoleArnCredentialsProvider(
        access_key_id=first.access_key_id, access_key_secret=first.access_key_secret,
        security_token=first.security_token)
    creds = chained.get_credentials()
    call = sts.calls[-1]
    assert call.signature_verified
    assert call.params["SecurityToken"] == first.security_token
    assert call.params["RoleSessionName"] == "from-env"
    assert creds.access_key_id != first.access_key_id


def test_uri_from_environment(services, monkeypatch):
    uri = services["uri"]
    saved, uri.credentials = uri.credentials, FakeCredentials.random(expiration=int(time.time()) + 5000)
    try:
        monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url + "/creds")
        creds = ossauth.UriCredentialsProvider().get_credentials()
        assert creds.security_token == uri.credentials.security_token
        assert creds.expiration == dt.datetime.fromtimestamp(uri.credentials.expiration, dt.timezone.utc)
        assert uri.requests[-1].path == "/creds"
    finally:
        uri.credentials = saved


def test_missing_configuration_names_what_is_missing(monkeypatch):
    for name in ("ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                 "ALIBABA_CLOUD_CREDENTIALS_URI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_ROLE_ARN"):
        ossauth.RamRoleArnCredentialsProvider(access_key_id=AK, access_key_secret=SK)
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_OIDC_PROVIDER_ARN"):
        ossauth.OidcRoleArnCredentialsProvider(ROLE)
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_CREDENTIALS_URI"):
        ossauth.UriCredentialsProvider()


def test_debug_logs_hold_no_secret(services, caplog):
    caplog.set_level("DEBUG", logger="ossauth")
    services["uri"].set_fault("status:500")
    for kind in KINDS:
        p = make(kind, services)
        try:
            p.get_credentials()
        except ossauth.CredentialsError:
            pass
    services["uri"].set_fault(None)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the failure and the refreshes were logged
    for secret in served_secrets(services):
        assert secret not in logged
