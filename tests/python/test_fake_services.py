"""Validate the fake credential services (``fake_services.py``) before anything relies on them.

Why: a fake that drifts from the real service makes every test built on it worthless. So each
fake is driven here by the *reference* client, ``alibabacloud_credentials`` (1.0.12), exactly as
it talks to the real services -- same paths, headers, query parameters, signature -- and the
fault modes are checked with plain ``http.client``/``urllib`` so that they do what they claim.

How the reference SDK is pointed at the fakes (it has no public knob for some of them):

* IMDS: the metadata host is hard-wired to ``100.100.100.200`` in a name-mangled attribute
  (``_EcsRamRoleCredentialsProvider__metadata_service_host``); we overwrite it with
  ``127.0.0.1:PORT`` (TeaCore builds ``http://`` + host + path, so the port rides along).
* STS: the provider forces ``protocol='https'``, but TeaCore drops the protocol when the host
  already starts with ``http://``, so ``sts_endpoint=sts.url`` reaches the plain-HTTP fake.
* URI: ``uri=`` any http URL.
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from waiting import DEADLINE, HANG, wait_for  # noqa: E402

from fake_services import (  # noqa: E402
    HUGE_BODY_SIZE,
    FakeCredentials,
    FakeCredentialsUri,
    FakeImds,
    FakeSts,
    parse_expiration,
    percent_encode,
    refused_url,
    sts_signature,
    sts_string_to_sign,
)

from alibabacloud_credentials.exceptions import CredentialException  # noqa: E402
from alibabacloud_credentials.http import HttpOptions  # noqa: E402
from alibabacloud_credentials.provider import (  # noqa: E402
    EcsRamRoleCredentialsProvider,
    OIDCRoleArnCredentialsProvider,
    RamRoleArnCredentialsProvider,
    URLCredentialsProvider,
)
from alibabacloud_credentials.utils import parameter_helper as ph  # noqa: E402

AK_ID = "LTAI5tFakeAccessKey"
AK_SECRET = "FakeSecretForTests0123456789abcdef"
ROLE_ARN = "acs:ram::1234567890123456:role/test-role"
OIDC_PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-test"


#: TeaCore/requests honour *_PROXY env vars even for 127.0.0.1: keep them (and every
#: credential variable) out.
pytestmark = pytest.mark.usefixtures("clean_env")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _http(method, url, headers=None, body=None, timeout=DEADLINE):
    """One request on a fresh connection -> (status, headers, body)."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _imds_provider(imds, **kw):
    kw.setdefault("async_update_enabled", False)  # no apscheduler thread per test
    p = EcsRamRoleCredentialsProvider(**kw)
    p._EcsRamRoleCredentialsProvider__metadata_service_host = imds.netloc
    return p


def _rfc_signed_params(params, secret, method="GET"):
    """Sign like the spec says (RFC 3986), with the reference SDK's HMAC helper."""
    params = dict(params)
    params["Signature"] = ph.sign_string(sts_string_to_sign(method, params), secret + "&")
    return params


def _assume_role_params(**extra):
    params = {
        "Action": "AssumeRole",
        "Format": "JSON",
        "Version": "2015-04-01",
        "AccessKeyId": AK_ID,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": ph.get_uuid(),
        "Timestamp": ph.get_iso_8061_date(),
        "RoleArn": ROLE_ARN,
        "RoleSessionName": "fake-test",
    }
    params.update(extra)
    return params


def _sdk_signed_params(params, secret):
    """Sign exactly as RamRoleArnCredentialsProvider does (quote_plus based)."""
    params = dict(params)
    params["Signature"] = ph.sign_string(ph.compose_string_to_sign("GET", params), secret + "&")
    return params


def _json(body):
    return json.loads(body.decode("utf-8"))


@pytest.fixture
def sts_keys():
    return {AK_ID: AK_SECRET}


# ---------------------------------------------------------------------------------------------
# IMDS with the reference SDK
# ---------------------------------------------------------------------------------------------


def test_imds_sdk_discovers_role_and_uses_v2_tokens(imds):
    creds = FakeCredentials("STS.NTimdsId", "imds-secret", "CAISimdsToken", expiration=time.time() + 6 * 3600)
    imds.credentials = creds
    got = _imds_provider(imds).get_credentials()
    assert (got.get_access_key_id(), got.get_access_key_secret(), got.get_security_token()) == (
        "STS.NTimdsId", "imds-secret", "CAISimdsToken")
    assert got.get_expiration() == int(creds.expiration)
    reqs = imds.requests
    # role discovery fetches a token, then the credentials fetch fetches another one
    assert [(r.method, r.path) for r in reqs] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/ram/security-credentials/"),
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/ram/security-credentials/EcsRamRoleTest"),
    ]
    assert reqs[0].headers["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
    assert reqs[1].headers["x-aliyun-ecs-metadata-token"] in imds.issued_tokens
    assert reqs[3].headers["x-aliyun-ecs-metadata-token"] in imds.issued_tokens
    assert reqs[1].headers["host"] == imds.netloc
    assert all(r.status == 200 for r in reqs)


def test_imds_sdk_with_explicit_role_in_hardened_mode():
    with FakeImds(role_name="MyRole", require_v2=True) as imds:
        got = _imds_provider(imds, role_name="MyRole", disable_imds_v1=True).get_credentials()
        assert got.get_access_key_id() == imds.credentials.access_key_id
        assert [r.method for r in imds.requests] == ["PUT", "GET"]


def test_imds_sdk_falls_back_to_v1_when_token_endpoint_missing():
    with FakeImds(role_name="R", v2_enabled=False) as imds:
        got = _imds_provider(imds, role_name="R").get_credentials()
        assert got.get_security_token() == imds.credentials.security_token
        reqs = imds.requests
        assert [(r.method, r.status) for r in reqs] == [("PUT", 404), ("GET", 200)]
        assert "x-aliyun-ecs-metadata-token" not in reqs[1].headers


def test_imds_sdk_with_v1_disabled_fails_without_v2():
    with FakeImds(role_name="R", v2_enabled=False) as imds:
        with pytest.raises(CredentialException, match="HttpCode=404"):
            _imds_provider(imds, role_name="R", disable_imds_v1=True).get_credentials()


def test_imds_sdk_retries_without_token_after_any_failure_with_token(imds):
    """Quirk: any failure of the token-carrying GET (even a 500) is retried as IMDSv1."""
    imds.set_fault("status:500", times=1)
    got = _imds_provider(imds, role_name="EcsRamRoleTest").get_credentials()
    assert got.get_access_key_id() == imds.credentials.access_key_id
    gets = [r for r in imds.requests if r.method == "GET"]
    assert [r.status for r in gets] == [500, 200]
    assert "x-aliyun-ecs-metadata-token" in gets[0].headers
    assert "x-aliyun-ecs-metadata-token" not in gets[1].headers
    assert imds.fault is None  # fault_times consumed


def test_imds_sdk_code_failed_and_missing_field(imds):
    imds.fault = "code:Failed"
    with pytest.raises(CredentialException):
        _imds_provider(imds, role_name="EcsRamRoleTest").get_credentials()
    # Quirk: the SDK does not check that fields are present for IMDS.
    imds.fault = "missing:AccessKeySecret"
    got = _imds_provider(imds, role_name="EcsRamRoleTest").get_credentials()
    assert got.get_access_key_secret() is None


def test_imds_sdk_read_timeout_on_slow(imds):
    imds.fault = "slow:0.5"
    p = _imds_provider(imds, role_name="EcsRamRoleTest", http_options=HttpOptions(read_timeout=100))
    with pytest.raises(Exception):
        p.get_credentials()


# ---------------------------------------------------------------------------------------------
# IMDS protocol details with urllib
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [None, "", "abc", "0", "21601", "-5", "1.5"])
def test_imds_token_ttl_validation(imds, ttl):
    headers = {} if ttl is None else {"X-aliyun-ecs-metadata-token-ttl-seconds": ttl}
    status, _, _ = _http("PUT", imds.url + "/latest/api/token", headers=headers)
    assert status == 400


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_imds_token_ttl_bounds_accepted(imds, ttl):
    status, _, body = _http("PUT", imds.url + "/latest/api/token",
                            headers={"X-aliyun-ecs-metadata-token-ttl-seconds": ttl})
    assert status == 200 and body.decode() in imds.issued_tokens


def test_imds_require_v2_and_bad_tokens():
    with FakeImds(role_name="R", require_v2=True) as imds:
        path = imds.url + "/latest/meta-data/ram/security-credentials/R"
        assert _http("GET", path)[0] == 401
        assert _http("GET", path, headers={"X-aliyun-ecs-metadata-token": "bogus"})[0] == 401
        token = _http("PUT", imds.url + "/latest/api/token",
                      headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})[2].decode()
        status, headers, body = _http("GET", path, headers={"X-aliyun-ecs-metadata-token": token})
        assert status == 200
        doc = _json(body)
        assert set(doc) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated", "Code"}
        assert doc["Code"] == "Success"
        assert abs(parse_expiration(doc["Expiration"]) - (time.time() + 6 * 3600)) < 5
        # a wrong token is refused even when v2 is optional
        imds.require_v2 = False
        assert _http("GET", path, headers={"X-aliyun-ecs-metadata-token": "bogus"})[0] == 401
        assert _http("GET", path)[0] == 200


def test_imds_unknown_role_and_no_role():
    with FakeImds(role_name="R") as imds:
        assert _http("GET", imds.url + "/latest/meta-data/ram/security-credentials/Other")[0] == 404
        imds.role_name = None
        assert _http("GET", imds.url + "/latest/meta-data/ram/security-credentials/")[0] == 404
        assert _http("GET", imds.url + "/latest/meta-data/ram/security-credentials/R")[0] == 404


def test_imds_fault_target_token(imds):
    imds.set_fault("status:403", target="token")
    assert _http("PUT", imds.url + "/latest/api/token",
                 headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})[0] == 403
    assert _http("GET", imds.url + "/latest/meta-data/ram/security-credentials/EcsRamRoleTest")[0] == 200


# ---------------------------------------------------------------------------------------------
# STS with the reference SDK
# ---------------------------------------------------------------------------------------------


def test_sts_assume_role_sdk_signature_verified(sts):
    p = RamRoleArnCredentialsProvider(
        access_key_id=AK_ID, access_key_secret=AK_SECRET, role_arn=ROLE_ARN,
        role_session_name="sdk-session", sts_endpoint=sts.url, external_id="ext-1",
        policy='{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}',
    )
    got = p.get_credentials()
    call = sts.calls[-1]
    assert call.method == "GET" and call.path == "/" and call.body == b""
    assert call.action == "AssumeRole" and call.signature_verified and call.status == 200
    assert set(call.params) == {
        "Action", "Format", "Version", "DurationSeconds", "RoleArn", "RoleSessionName", "SignatureMethod",
        "SignatureVersion", "Timestamp", "SignatureNonce", "Policy", "ExternalId", "AccessKeyId", "Signature"}
    # the fake's RFC 3986 string-to-sign equals the SDK's own one for these params
    unsigned = {k: v for k, v in call.params.items() if k != "Signature"}
    assert call.string_to_sign == ph.compose_string_to_sign("GET", unsigned)
    assert got.get_access_key_id() == call.issued.access_key_id
    assert got.get_access_key_id().startswith("STS.")
    assert got.get_security_token().startswith("CAIS")
    assert abs(got.get_expiration() - (time.time() + 3600)) < 5
    # quirk: the Host header is the whole endpoint string, scheme included
    assert call.headers["host"] == sts.url


def test_sts_sdk_wrong_secret_gets_signature_mismatch(sts):
    p = RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret="wrong", role_arn=ROLE_ARN,
                                      sts_endpoint=sts.url)
    with pytest.raises(CredentialException) as ei:
        p.get_credentials()
    assert "http_code: 400" in str(ei.value) and "SignatureDoesNotMatch" in str(ei.value)
    call = sts.calls[-1]
    assert call.error_code == "SignatureDoesNotMatch" and not call.signature_verified
    assert "server string to sign is:" + call.string_to_sign in str(ei.value)


def test_sts_sdk_unknown_key(sts):
    p = RamRoleArnCredentialsProvider(access_key_id="LTAIunknown", access_key_secret="x", role_arn=ROLE_ARN,
                                      sts_endpoint=sts.url)
    with pytest.raises(CredentialException, match="http_code: 404.*InvalidAccessKeyId.NotFound"):
        p.get_credentials()


def test_sts_sdk_space_encoding_quirk(sts):
    """The SDK's StringToSign uses quote_plus: a space becomes '+' (then %2B), not %20 (%2520).
    The strict fake rejects that; lenient_space_encoding accepts it."""
    policy = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]})
    assert " " in policy

    def provider():
        return RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret=AK_SECRET, role_arn=ROLE_ARN,
                                             sts_endpoint=sts.url, policy=policy)

    with pytest.raises(CredentialException, match="SignatureDoesNotMatch"):
        provider().get_credentials()
    assert "%2520" in sts.calls[-1].string_to_sign
    sts.lenient_space_encoding = True
    provider().get_credentials()
    assert sts.calls[-1].signature_verified
    # an RFC 3986 signer is accepted by the strict fake
    sts.lenient_space_encoding = False
    params = _rfc_signed_params(_assume_role_params(Policy=policy), AK_SECRET)
    status, _, body = _http("GET", sts.url + "/?" + urlencode(params))
    assert status == 200, body


def test_sts_sdk_role_chaining_with_security_token(sts):
    first = RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret=AK_SECRET, role_arn=ROLE_ARN,
                                          sts_endpoint=sts.url).get_credentials()
    second = RamRoleArnCredentialsProvider(
        access_key_id=first.get_access_key_id(), access_key_secret=first.get_access_key_secret(),
        security_token=first.get_security_token(), role_arn=ROLE_ARN, sts_endpoint=sts.url,
    ).get_credentials()
    call = sts.calls[-1]
    assert call.params["SecurityToken"] == first.get_security_token() and call.signature_verified
    assert second.get_access_key_id() != first.get_access_key_id()


def test_sts_next_credentials_and_duration(sts):
    sts.next_credentials = FakeCredentials("STS.NTfixed", "fixed-secret", "CAISfixed")
    got = RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret=AK_SECRET, role_arn=ROLE_ARN,
                                        sts_endpoint=sts.url, duration_seconds=1800).get_credentials()
    assert (got.get_access_key_id(), got.get_access_key_secret(), got.get_security_token()) == (
        "STS.NTfixed", "fixed-secret", "CAISfixed")
    assert abs(got.get_expiration() - (time.time() + 1800)) < 5
    with pytest.raises(CredentialException, match="InvalidParameter.DurationSeconds"):
        RamRoleArnCredentialsProvider(access_key_id=AK_ID, access_key_secret=AK_SECRET, role_arn=ROLE_ARN,
                                      sts_endpoint=sts.url, duration_seconds=7200).get_credentials()


def test_sts_oidc_sdk(sts, oidc_token):
    path, token = oidc_token
    sts.expected_oidc_token = token
    got = OIDCRoleArnCredentialsProvider(
        role_arn=ROLE_ARN, oidc_provider_arn=OIDC_PROVIDER_ARN, oidc_token_file_path=path,
        role_session_name="oidc-session", sts_endpoint=sts.url,
    ).get_credentials()
    call = sts.calls[-1]
    assert call.action == "AssumeRoleWithOIDC" and call.oidc_token == token and call.status == 200
    assert call.method == "GET" and "Signature" not in call.params and "AccessKeyId" not in call.params
    assert set(call.params) == {"Action", "Format", "Version", "DurationSeconds", "RoleArn", "OIDCProviderArn",
                                "OIDCToken", "RoleSessionName", "Timestamp"}
    assert got.get_access_key_id() == call.issued.access_key_id
    sts.expected_oidc_token = "something-else"
    with pytest.raises(CredentialException, match="http_code: 401.*AuthenticationFail.OIDCToken.Invalid"):
        OIDCRoleArnCredentialsProvider(role_arn=ROLE_ARN, oidc_provider_arn=OIDC_PROVIDER_ARN,
                                       oidc_token_file_path=path, sts_endpoint=sts.url).get_credentials()


# ---------------------------------------------------------------------------------------------
# STS protocol details with urllib / http.client
# ---------------------------------------------------------------------------------------------


def test_sts_rfc_signer_matches_sdk_signer_without_spaces():
    params = _assume_role_params(Policy='{"a":"b*c~d/e"}', RoleSessionName="a.b@c-d_e")
    assert sts_string_to_sign("GET", params) == ph.compose_string_to_sign("GET", params)
    assert sts_signature(sts_string_to_sign("GET", params), AK_SECRET) == ph.sign_string(
        ph.compose_string_to_sign("GET", params), AK_SECRET + "&")
    assert percent_encode("a b*c~d/e") == "a%20b%2Ac~d%2Fe"


def test_sts_post_form_body_merged_with_query(sts):
    params = _rfc_signed_params(_assume_role_params(), AK_SECRET, method="POST")
    query = {k: params.pop(k) for k in ("Action", "Version", "Format")}
    status, _, body = _http("POST", sts.url + "/?" + urlencode(query), body=urlencode(params),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    doc = _json(body)
    assert set(doc) == {"RequestId", "AssumedRoleUser", "Credentials"}
    assert doc["AssumedRoleUser"]["Arn"].endswith(":assumed-role/test-role/fake-test")
    assert doc["AssumedRoleUser"]["AssumedRoleId"].endswith(":fake-test")
    assert set(doc["Credentials"]) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    assert sts.calls[-1].string_to_sign.startswith("POST&%2F&")


def test_sts_post_signed_as_get_is_rejected(sts):
    params = _rfc_signed_params(_assume_role_params(), AK_SECRET, method="GET")
    status, _, body = _http("POST", sts.url + "/", body=urlencode(params),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and _json(body)["Code"] == "SignatureDoesNotMatch"


def test_sts_error_body_shape_and_nonce_replay(sts):
    url = sts.url + "/?" + urlencode(_sdk_signed_params(_assume_role_params(), AK_SECRET))
    assert _http("GET", url)[0] == 200
    status, headers, body = _http("GET", url)
    doc = _json(body)
    assert status == 400 and doc["Code"] == "SignatureNonceUsed"
    assert set(doc) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert doc["HostId"] == "sts.aliyuncs.com" and headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("drop", ["AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "RoleArn",
                                  "RoleSessionName", "Version", "Format"])
def test_sts_missing_parameter(sts, drop):
    params = _rfc_signed_params(_assume_role_params(), AK_SECRET)
    del params[drop]
    status, _, body = _http("GET", sts.url + "/?" + urlencode(params))
    assert status == 400 and _json(body)["Code"] == "MissingParameter" and drop in _json(body)["Message"]


def test_sts_timestamp_skew_and_bad_values(sts):
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    cases = [
        (_assume_role_params(Timestamp=old), "InvalidTimeStamp.Expired"),
        (_assume_role_params(Timestamp="yesterday"), "InvalidTimeStamp.Format"),
        (_assume_role_params(SignatureMethod="HMAC-SHA256"), "InvalidParameter"),
        (_assume_role_params(Version="2019-01-01"), "InvalidVersion"),
        (_assume_role_params(RoleArn="arn:aws:iam::1:role/x"), "InvalidParameter.RoleArn"),
        (_assume_role_params(RoleSessionName="a b"), "InvalidParameter.RoleSessionName"),
        (_assume_role_params(Policy="{not json"), "InvalidParameter.PolicyGrammar"),
    ]
    for params, code in cases:
        status, _, body = _http("GET", sts.url + "/?" + urlencode(_rfc_signed_params(params, AK_SECRET)))
        assert (status, _json(body)["Code"]) == (400, code)
    sts.max_clock_skew = None
    params = _rfc_signed_params(_assume_role_params(Timestamp=old), AK_SECRET)
    assert _http("GET", sts.url + "/?" + urlencode(params))[0] == 200


def test_sts_sts_key_needs_its_token():
    with FakeSts({"STS.key": ("sec", "tok")}) as sts:
        base = dict(AccessKeyId="STS.key")
        for extra, code in (({}, "MissingSecurityToken"),
                            ({"SecurityToken": "other"}, "InvalidSecurityToken.MismatchWithAccessKey")):
            params = _rfc_signed_params(_assume_role_params(**base, **extra), "sec")
            status, _, body = _http("GET", sts.url + "/?" + urlencode(params))
            assert (status, _json(body)["Code"]) == (400, code)
        params = _rfc_signed_params(_assume_role_params(SecurityToken="tok", **base), "sec")
        assert _http("GET", sts.url + "/?" + urlencode(params))[0] == 200


def test_sts_unknown_action(sts):
    status, _, body = _http("GET", sts.url + "/?Action=GetCallerIdentity&Format=JSON&Version=2015-04-01")
    assert status == 404 and _json(body)["Code"] == "InvalidAction.NotFound"


def test_sts_code_and_missing_faults(sts, oidc_token):
    path, _ = oidc_token
    oidc = dict(Action="AssumeRoleWithOIDC", Format="JSON", Version="2015-04-01", RoleArn=ROLE_ARN,
                OIDCProviderArn=OIDC_PROVIDER_ARN, OIDCToken="a.b.c", RoleSessionName="s1")
    url = sts.url + "/?" + urlencode(oidc)
    sts.fault = "code:Throttling.User"
    status, _, body = _http("GET", url)
    assert (status, _json(body)["Code"]) == (400, "Throttling.User")
    sts.fault = "missing:SecurityToken"
    status, _, body = _http("GET", url)
    assert status == 200 and "SecurityToken" not in _json(body)["Credentials"]
    with pytest.raises(CredentialException, match="error retrieving credentials"):
        OIDCRoleArnCredentialsProvider(role_arn=ROLE_ARN, oidc_provider_arn=OIDC_PROVIDER_ARN,
                                       oidc_token_file_path=path, sts_endpoint=sts.url).get_credentials()


# ---------------------------------------------------------------------------------------------
# Credentials URI
# ---------------------------------------------------------------------------------------------


def test_uri_sdk(uri):
    uri.credentials = FakeCredentials("STS.NTuri", "uri-secret", "CAISuri", expiration=time.time() + 1800)
    got = URLCredentialsProvider(uri=uri.url + "/v1/creds?role=app&x=1").get_credentials()
    assert (got.get_access_key_id(), got.get_access_key_secret(), got.get_security_token()) == (
        "STS.NTuri", "uri-secret", "CAISuri")
    assert got.get_expiration() == int(uri.credentials.expiration)
    r = uri.requests[-1]
    assert (r.method, r.path, r.query) == ("GET", "/v1/creds", {"role": "app", "x": "1"})
    # quirk: the SDK sends Host without the port
    assert r.headers["host"] == "127.0.0.1"


def test_uri_sdk_rejects_bad_documents(uri):
    for fault, exc in (("code:Failed", CredentialException), ("missing:AccessKeySecret", CredentialException),
                       ("expired", CredentialException), ("bad-expiration", ValueError),
                       ("status:500", CredentialException), ("malformed", ValueError)):
        uri.fault = fault
        with pytest.raises(exc):
            URLCredentialsProvider(uri=uri.url).get_credentials()


# ---------------------------------------------------------------------------------------------
# Faults common to all fakes (plain http.client)
# ---------------------------------------------------------------------------------------------

_SERVICES = {
    "imds": (FakeImds, "GET", "/latest/meta-data/ram/security-credentials/EcsRamRoleTest"),
    "uri": (FakeCredentialsUri, "GET", "/credentials"),
    "sts": (lambda: FakeSts({AK_ID: AK_SECRET}), "GET", None),
}


def _target(name, fake):
    """(method, url) of a request that succeeds on this fake when no fault is set."""
    _, method, path = _SERVICES[name]
    if path is None:
        path = "/?" + urlencode(_rfc_signed_params(_assume_role_params(), AK_SECRET))
    return method, fake.url + path


def _creds_doc(name, body):
    doc = _json(body)
    return doc["Credentials"] if name == "sts" else doc


@pytest.fixture(params=sorted(_SERVICES))
def service(request):
    fake = _SERVICES[request.param][0]()
    yield request.param, fake
    fake.close()


@pytest.mark.parametrize("code", [401, 403, 404, 500])
def test_fault_status(service, code):
    name, fake = service
    fake.fault = "status:%d" % code
    status, headers, body = _http(*_target(name, fake))
    assert status == code and body
    assert fake.requests[-1].status == code and fake.requests[-1].fault == "status:%d" % code


def test_fault_none_is_success(service):
    name, fake = service
    status, _, body = _http(*_target(name, fake))
    doc = _creds_doc(name, body)
    assert status == 200 and parse_expiration(doc["Expiration"]) > time.time()


def test_fault_slow(service):
    name, fake = service
    fake.fault = "slow:0.3"
    t0 = time.monotonic()
    status, _, _ = _http(*_target(name, fake))
    assert status == 200 and time.monotonic() - t0 >= 0.3
    # Negative: the answer comes after 0.3 s; a loaded machine only makes it later still.
    with pytest.raises(socket.timeout):
        _http(*_target(name, fake), timeout=0.1)


def test_fault_truncated(service):
    name, fake = service
    fake.fault = "truncated"
    method, url = _target(name, fake)
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=DEADLINE)
    conn.request(method, url[len(fake.url):])
    resp = conn.getresponse()
    assert resp.status == 200
    length = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as ei:
        resp.read()
    assert len(ei.value.partial) == length // 2
    conn.close()


def test_fault_malformed(service):
    name, fake = service
    fake.fault = "malformed"
    status, _, body = _http(*_target(name, fake))
    assert (status, body) == (200, b"{not json")


def test_fault_missing_field(service):
    name, fake = service
    fake.fault = "missing:AccessKeySecret"
    status, _, body = _http(*_target(name, fake))
    doc = _creds_doc(name, body)
    assert status == 200 and "AccessKeySecret" not in doc and "AccessKeyId" in doc


def test_fault_expired_and_bad_expiration(service):
    name, fake = service
    fake.fault = "expired"
    doc = _creds_doc(name, _http(*_target(name, fake))[2])
    assert parse_expiration(doc["Expiration"]) < time.time()
    fake.fault = "bad-expiration"
    assert _creds_doc(name, _http(*_target(name, fake))[2])["Expiration"] == "tomorrow"


def test_fault_code_failed_imds_and_uri(service):
    name, fake = service
    fake.fault = "code:Failed"
    status, _, body = _http(*_target(name, fake))
    if name == "sts":
        assert (status, _json(body)["Code"]) == (400, "Failed")
    else:
        assert (status, _json(body)["Code"]) == (200, "Failed")


def test_fault_hang_up(service):
    name, fake = service
    fake.fault = "hang-up"
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _http(*_target(name, fake))
    assert fake.requests[-1].status is None
    fake.fault = None
    assert _http(*_target(name, fake))[0] == 200


def test_fault_huge_full_read_and_early_disconnect(service):
    name, fake = service
    fake.fault = "huge"
    status, headers, body = _http(*_target(name, fake), timeout=DEADLINE)
    assert status == 200 and int(headers["content-length"]) == HUGE_BODY_SIZE == len(body)
    assert json.loads(body)["Code"] == "Success"
    # read a little, hang up: the server must carry on
    method, url = _target(name, fake)
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=DEADLINE)
    conn.request(method, url[len(fake.url):])
    resp = conn.getresponse()
    assert len(resp.read(100_000)) == 100_000
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    fake.fault = None
    assert _http(*_target(name, fake))[0] == 200


def test_fault_times_and_validation(uri):
    uri.set_fault("status:503", times=2)
    assert [_http("GET", uri.url)[0] for _ in range(3)] == [503, 503, 200]
    assert uri.fault is None
    for bad in ("status:abc", "status:99", "slow:x", "explode", "missing:", "code:"):
        with pytest.raises(ValueError):
            uri.fault = bad
    uri.fault = "slow:0.01,missing:SecurityToken"
    assert "SecurityToken" not in _json(_http("GET", uri.url)[2])


def test_refused_url():
    u = urlsplit(refused_url())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((u.hostname, u.port), timeout=2).close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(refused_url(), timeout=2)


def test_close_is_prompt_with_slow_and_keepalive_handlers():
    fake = FakeCredentialsUri()
    fake.fault = "slow:%d" % HANG  # "prompt" below: well within DEADLINE, far from HANG
    errors = []

    def slow_client():
        try:
            _http("GET", fake.url, timeout=HANG)
        except Exception as e:  # the connection is dropped by close()
            errors.append(e)

    t = threading.Thread(target=slow_client, daemon=True)
    t.start()
    wait_for(lambda: any(r.fault for r in fake.requests), "the slow request to arrive")
    # an idle keep-alive connection too
    fake.fault = None
    idle = http.client.HTTPConnection(fake.host, fake.port, timeout=DEADLINE)
    idle.request("GET", "/")
    idle.getresponse().read()
    t0 = time.monotonic()
    fake.close()
    assert time.monotonic() - t0 < DEADLINE
    t.join(timeout=DEADLINE)
    assert not t.is_alive() and errors
    idle.close()
    with pytest.raises(OSError):
        socket.create_connection((fake.host, fake.port), timeout=1).close()


def test_request_log_is_thread_safe(uri):
    threads = [threading.Thread(target=lambda: _http("GET", uri.url + "/p?i=1")) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reqs = uri.requests
    assert len(reqs) == 20 and all(r.status == 200 and r.query == {"i": "1"} for r in reqs)
    uri.clear_requests()
    assert uri.requests == []
