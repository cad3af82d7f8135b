"""``sign_request_explained`` / ``sign_url_explained`` and the ``SigningDetails`` they return.

Checked against independent sources only:

* what the same call writes into the request / returns as URL, and what oss2 writes for an
  identical request at the same pinned instant;
* oss2's own canonical request / string to sign, read from its DEBUG log;
* the signature recomputed here from the string to sign with ``hmac`` / ``hashlib``;
* the ``StringToSign`` (and V4 ``CanonicalRequest``) that the local OSS-like server
  (``oss_server.py``, hashlib/hmac only) reports in its ``SignatureDoesNotMatch`` error when
  the client signs with a wrong secret.
"""

import ast
import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import sys
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import oss2
import oss2.credentials
import oss2.exceptions
import pytest
import requests

import ossauth
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oss2_requests  # noqa: E402
from oss_server import DEFAULT_BUCKET, DEFAULT_REGION  # noqa: E402

T = 1700000000
T_DATE, T_ISO = "20231114", "20231114T221320Z"  # T, formatted by hand
AK, SK = "LTAI5tExplainTestKey01", "ExplainSecret-0123456789abcdef"
STS_ID, STS_SK = "STS.ExplainTestStsId0001", "ExplainStsSecret-fedcba9876543"
TOKEN = "CAIS+ExplainToken/abc123=="
WRONG_SK = "definitely-not-the-secret-000"
BUCKET, REGION = DEFAULT_BUCKET, DEFAULT_REGION
HTTP_TIMEOUT = 60  # only bounds a hang (CI machines are loaded)

CLASSES = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}
VERSIONS = ["v1", "v2", "v4"]
CREDS = {"ak": (AK, SK, None), "sts": (STS_ID, STS_SK, TOKEN)}


def ours(version, cred="ak", secret=None):
    ak, sk, token = CREDS[cred]
    provider = ossauth.StaticCredentialsProvider(ak, secret or sk, token or "")
    return getattr(ossauth, CLASSES[version])(provider)


def theirs(version, cred="ak"):
    ak, sk, token = CREDS[cred]
    return getattr(oss2, CLASSES[version])(oss2.credentials.StaticCredentialsProvider(ak, sk, token or ""))


def make_request(extra_headers=None):
    headers = {"Content-Type": "text/plain", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-oss-meta-k": "v w"}
    return oss2_requests.make_request("PUT", "https://%s.oss-%s.aliyuncs.com/dir/a%%20b.txt" % (BUCKET, REGION),
                                      headers={**headers, **(extra_headers or {})}, region=REGION,
                                      params={"acl": "", "x-oss-process": "image/resize,w_10", "prefix": "a/b c"})


KEY = "dir/a b.txt"


def expected_signature(version, secret, string_to_sign, date=T_DATE, region=REGION):
    data = string_to_sign.encode("utf-8")
    if version == "v1":
        return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha1).digest()).decode()
    if version == "v2":
        return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "oss", "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, data, hashlib.sha256).hexdigest()


def signature_in_authorization(version, authorization):
    pattern = {"v1": r"^OSS [^:]+:(\S+)$", "v2": r"Signature:([^,]+)$", "v4": r"Signature=([0-9a-f]+)"}[version]
    return re.search(pattern, authorization).group(1)


def signature_in_url(version, url):
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return query["Signature" if version == "v1" else "x-oss-signature"]


def oss2_logged(caplog, what):
    """The last ``Make signature: <what> = ...`` oss2 logged, as text (it logs bytes as repr)."""
    prefix = "Make signature: %s = " % what
    messages = [r.getMessage() for r in caplog.records if r.name == "oss2.auth"]
    value = [m for m in messages if m.startswith(prefix)][-1][len(prefix):]
    if value.startswith(("b'", 'b"')):
        value = ast.literal_eval(value).decode("utf-8")
    return value


# ------------------------------------------------------------------------------------------
# Offline: details vs the request, oss2 and a recomputed signature
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cred", ["ak", "sts"])
@pytest.mark.parametrize("version", VERSIONS)
def test_request_details(version, cred, caplog):
    caplog.set_level(logging.DEBUG, logger="oss2.auth")
    r_ours, r_plain, r_theirs = make_request(), make_request(), make_request()
    with frozen_time(T, oss2=True):
        d = ours(version, cred).sign_request_explained(r_ours, BUCKET, KEY)
        ours(version, cred)._sign_request(r_plain, BUCKET, KEY)
        theirs(version, cred)._sign_request(r_theirs, BUCKET, KEY)

    assert isinstance(d, ossauth.SigningDetails)
    assert d.version == version
    assert d.url is None
    # what it reports is what it wrote, and what plain signing and oss2 write
    assert d.authorization == r_ours.headers["authorization"]
    assert d.signature == signature_in_authorization(version, r_ours.headers["authorization"])
    assert dict(r_ours.headers) == dict(r_plain.headers) == dict(r_theirs.headers)
    # the stages are oss2's
    assert d.string_to_sign == oss2_logged(caplog, "string to be signed")
    if version == "v4":
        assert d.canonical_request == oss2_logged(caplog, "canonical_request")
    else:
        assert d.canonical_request is None
    # and the signature follows from the string to sign
    assert d.signature == expected_signature(version, CREDS[cred][1], d.string_to_sign)


@pytest.mark.parametrize("cred", ["ak", "sts"])
@pytest.mark.parametrize("version", VERSIONS)
def test_url_details(version, cred, caplog):
    caplog.set_level(logging.DEBUG, logger="oss2.auth")
    r_ours, r_plain, r_theirs = make_request(), make_request(), make_request()
    with frozen_time(T, oss2=True):
        d = ours(version, cred).sign_url_explained(r_ours, BUCKET, KEY, 3600)
        plain_url = ours(version, cred)._sign_url(r_plain, BUCKET, KEY, 3600)
        oss2_url = theirs(version, cred)._sign_url(r_theirs, BUCKET, KEY, 3600)

    assert d.version == version
    assert d.authorization is None
    assert d.url == plain_url == oss2_url
    assert d.signature == signature_in_url(version, d.url)
    assert list(r_ours.params.items()) == list(r_theirs.params.items())
    assert d.string_to_sign == oss2_logged(caplog, "string to be signed")
    if version == "v4":
        assert d.canonical_request == oss2_logged(caplog, "canonical_request")
    else:
        assert d.canonical_request is None
    assert d.signature == expected_signature(version, CREDS[cred][1], d.string_to_sign)


@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("version", ["v2", "v4"])
def test_additional_headers(version, op, caplog):
    caplog.set_level(logging.DEBUG, logger="oss2.auth")
    extra = {"X-Custom": "c", "Host": "%s.oss-%s.aliyuncs.com" % (BUCKET, REGION)}
    wanted = ["x-custom", "Host"]
    r_ours, r_theirs = make_request(extra), make_request(extra)
    with frozen_time(T, oss2=True):
        if op == "request":
            d = ours(version).sign_request_explained(r_ours, BUCKET, KEY, wanted)
            theirs(version)._sign_request(r_theirs, BUCKET, KEY, wanted)
            assert d.authorization == r_theirs.headers["authorization"]
        else:
            d = ours(version).sign_url_explained(r_ours, BUCKET, KEY, 60, wanted)
            assert d.url == theirs(version)._sign_url(r_theirs, BUCKET, KEY, 60, wanted)
    assert "x-custom" in (d.canonical_request or d.string_to_sign)
    assert d.string_to_sign == oss2_logged(caplog, "string to be signed")
    assert d.signature == expected_signature(version, SK, d.string_to_sign)


@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("cred", ["ak", "sts"])
def test_v4_string_to_sign_structure(cred, op):
    with frozen_time(T):
        if op == "request":
            d = ours("v4", cred).sign_request_explained(make_request(), BUCKET, KEY)
        else:
            d = ours("v4", cred).sign_url_explained(make_request(), BUCKET, KEY, 60)
    digest = hashlib.sha256(d.canonical_request.encode("utf-8")).hexdigest()
    assert d.string_to_sign.endswith(digest)
    assert d.string_to_sign.split("\n") == [
        "OSS4-HMAC-SHA256",
        T_ISO,
        "%s/%s/oss/aliyun_v4_request" % (T_DATE, REGION),
        digest,
    ]
    # canonical request: method, URI, query, headers, additional, payload hash
    lines = d.canonical_request.split("\n")
    assert lines[0] == "PUT"
    assert lines[1] == "/%s/dir/a%%20b.txt" % BUCKET
    assert lines[-1] == "UNSIGNED-PAYLOAD"


@pytest.mark.parametrize("version", VERSIONS)
def test_str_and_repr(version):
    with frozen_time(T):
        d = ours(version).sign_request_explained(make_request(), BUCKET, KEY)
        u = ours(version).sign_url_explained(make_request(), BUCKET, KEY, 60)
    for details in (d, u):
        text = str(details)
        assert details.string_to_sign in text
        assert details.signature in text
        if version == "v4":
            assert details.canonical_request in text
            assert text.index(details.canonical_request) < text.index(details.string_to_sign)
        assert details.signature in repr(details)
        assert SK not in text and SK not in repr(details)


def test_v1_v2_auth_classes_explain_too():
    """``Auth``/``AuthV2``/``AuthV4`` (fixed AccessKey) and ``StsAuth``'s wrapped auths too."""
    for cls, version in ((ossauth.Auth, "v1"), (ossauth.AuthV2, "v2"), (ossauth.AuthV4, "v4")):
        r1, r2 = make_request(), make_request()
        with frozen_time(T, oss2=True):
            d = cls(AK, SK).sign_request_explained(r1, BUCKET, KEY)
            getattr(oss2, cls.__name__)(AK, SK)._sign_request(r2, BUCKET, KEY)
        assert d.version == version
        assert d.authorization == r2.headers["authorization"]
        assert d.signature == expected_signature(version, SK, d.string_to_sign)


# ------------------------------------------------------------------------------------------
# Against the local OSS-like server
# ------------------------------------------------------------------------------------------


class Explaining(object):
    """An auth for ``oss2.Bucket`` that signs through the explained methods and keeps the details."""

    def __init__(self, inner):
        self.inner = inner
        self.details = []

    def auth_version(self):
        return self.inner.auth_version()

    def _sign_request(self, req, bucket_name, key):
        self.details.append(self.inner.sign_request_explained(req, bucket_name, key))

    def _sign_url(self, req, bucket_name, key, expires, in_additional_headers=None):
        if self.inner.auth_version() == "v1":
            d = self.inner.sign_url_explained(req, bucket_name, key, expires)
        else:
            d = self.inner.sign_url_explained(req, bucket_name, key, expires, in_additional_headers)
        self.details.append(d)
        return d.url


@pytest.fixture(scope="module")
def oss_keys():
    return {AK: SK, STS_ID: (STS_SK, TOKEN)}


def bucket_for(oss_server, auth):
    return oss2.Bucket(auth, oss_server.endpoint, BUCKET, region=REGION)


def reported_string_to_sign(details):
    """The server's StringToSign, exactly (from its hex dump, immune to XML whitespace rules)."""
    return bytes.fromhex(details["StringToSignBytes"].replace(" ", "")).decode("utf-8")


OPERATIONS = {
    "put": lambda b: b.put_object(KEY, b"payload", headers={"Content-Type": "text/plain", "x-oss-meta-k": "v"}),
    "list": lambda b: b.list_objects(prefix="dir/", delimiter="/", max_keys=7),
    "get-range": lambda b: b.get_object(KEY, byte_range=(0, 2)),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("cred", ["ak", "sts"])
@pytest.mark.parametrize("version", VERSIONS)
def test_server_reports_the_same_string_to_sign(oss_server, version, cred, op):
    auth = Explaining(ours(version, cred, secret=WRONG_SK))
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as info:
        OPERATIONS[op](bucket_for(oss_server, auth))
    sent = auth.details[-1]
    reported = info.value.details
    assert reported["Code"] == "SignatureDoesNotMatch"
    assert reported["SignatureProvided"] == sent.signature
    assert reported_string_to_sign(reported) == sent.string_to_sign
    assert reported["StringToSign"] == sent.string_to_sign
    if version == "v4":
        assert reported["CanonicalRequest"] == sent.canonical_request
        assert sent.string_to_sign.endswith(hashlib.sha256(reported["CanonicalRequest"].encode()).hexdigest())
    # the signature sent is the wrong secret's over that string; the right one differs
    date = sent.string_to_sign.split("\n")[1][:8]  # V4 only: the x-oss-date line
    right_secret = CREDS[cred][1]
    assert expected_signature(version, WRONG_SK, sent.string_to_sign, date=date) == sent.signature
    assert expected_signature(version, right_secret, sent.string_to_sign, date=date) != sent.signature


@pytest.mark.parametrize("cred", ["ak", "sts"])
@pytest.mark.parametrize("version", VERSIONS)
def test_server_accepts_with_the_right_secret(oss_server, version, cred):
    """Control: the same flow with the right secret is verified, on the same string to sign."""
    auth = Explaining(ours(version, cred))
    bucket = bucket_for(oss_server, auth)
    oss_server.clear_records()
    bucket.put_object(KEY, b"payload", headers={"Content-Type": "text/plain"})
    record = oss_server.records[-1]
    assert record.verified and record.accepted and record.version == version
    assert record.string_to_sign == auth.details[-1].string_to_sign
    if version == "v4":
        assert record.canonical_request == auth.details[-1].canonical_request


@pytest.mark.parametrize("cred", ["ak", "sts"])
@pytest.mark.parametrize("version", VERSIONS)
def test_presigned_url_string_to_sign_matches_server(oss_server, version, cred):
    auth = Explaining(ours(version, cred, secret=WRONG_SK))
    url = bucket_for(oss_server, auth).sign_url("GET", KEY, 300, params={"response-content-type": "text/plain"})
    sent = auth.details[-1]
    assert url == sent.url
    assert sent.signature == signature_in_url(version, url)
    resp = requests.get(url, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 403
    error = {child.tag: child.text for child in ET.fromstring(resp.content)}
    assert error["Code"] == "SignatureDoesNotMatch"
    assert reported_string_to_sign(error) == sent.string_to_sign
    if version == "v4":
        assert error["CanonicalRequest"] == sent.canonical_request
        assert sent.string_to_sign.endswith(hashlib.sha256(sent.canonical_request.encode()).hexdigest())

    # Control: the right secret, same URL shape, is accepted on the same string to sign.
    good = Explaining(ours(version, cred))
    bucket_for(oss_server, ours(version, cred)).put_object(KEY, b"payload")
    oss_server.clear_records()
    resp = requests.get(bucket_for(oss_server, good).sign_url("GET", KEY, 300), timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert oss_server.records[-1].verified
    assert oss_server.records[-1].string_to_sign == good.details[-1].string_to_sign


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("op", ["request", "url"])
def test_repr_and_str_mask_the_security_token(version, op):
    """The attributes carry the token as signed (to compare with OSS); repr()/str() hide it."""
    auth = ours(version, "sts")
    with frozen_time(T):
        if op == "request":
            d = auth.sign_request_explained(make_request(), BUCKET, "dir/a b.txt")
        else:
            d = auth.sign_url_explained(make_request(), BUCKET, "dir/a b.txt", 60)
    signed_text = (d.canonical_request or "") + d.string_to_sign
    encoded = oss2.compat.urlquote(TOKEN, "")
    assert TOKEN in signed_text or encoded in signed_text
    for shown in (repr(d), str(d)):
        assert TOKEN not in shown and encoded not in shown and STS_SK not in shown
        assert "******" in shown
    # Masking changes only the token: the rest is shown as signed.
    assert d.string_to_sign.replace(TOKEN, "******").replace(encoded, "******") in str(d)
