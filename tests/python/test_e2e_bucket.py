"""End-to-end: the real ``oss2.Bucket`` / ``oss2.Service`` signing with ossauth's auth objects
against a local OSS-like server (``oss_server.py``) that verifies every signature itself.

The server's verifier is an independent implementation of the OSS V1/V2/V4 signing spec
(hashlib/hmac only; it imports neither ``oss2.auth`` nor ``ossauth``). Every test asserts,
through the server's request records, that the requests it made were really verified -- with
the expected signature version, kind (header / presigned), AccessKey id and, for STS
credentials, security token -- so a server that accepted everything would fail the suite.

The matrix runs each scenario with ossauth's auths *and* with oss2's own auths as reference
controls (ids ``oss2-*``). An ``ossauth-*`` failure next to a passing ``oss2-*`` twin is an
ossauth bug; a failure of both points at the server.

CRC: the clients keep oss2's default ``enable_crc=True``; the server returns
``x-oss-hash-crc64ecma`` (CRC-64/ECMA-182 as OSS computes it), so oss2's own end-to-end CRC
checks run on every PUT and full GET.
"""

import base64
import hashlib
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oss2  # noqa: E402
import oss2.exceptions  # noqa: E402
from ossauth_import import import_ossauth  # noqa: E402
from oss_server import (  # noqa: E402
    DEFAULT_BUCKET,
    DEFAULT_REGION,
    _crc64_pure,
    crc64_ecma,
)


ossauth = import_ossauth(attempts=20, delay=0.5)

BUCKET = DEFAULT_BUCKET
REGION = DEFAULT_REGION

AK_ID = "LTAI5tE2eTestAccessKey01"
AK_SECRET = "E2eSecretKeyForSigningTests0123"
STS_ID = "STS.NUgYrLnoC37mZZCNnAbez2H"
STS_SECRET = "StsSecretForE2ETests9876543210a"
# Real STS tokens are long base64: '+', '/' and '=' exercise the query/headers encoding.
STS_TOKEN = (
    "CAIS+gF1q6Ft5B2yfSjIr5bSEvP/gLJv0aKpZ0Tx+2E=Ld3RqfLBgjz2IHhMeXhrAOsWs/4wmWlU6fwdlrp6"
    "SptDRlZ0fUFq1TGaVx9BtN4tc3y7qdo=="
)
#: What the fake OSS accepts: an AccessKey and an STS key with its token.
OSS_KEYS = {AK_ID: AK_SECRET, STS_ID: (STS_SECRET, STS_TOKEN)}

TIMEOUT = 60  # seconds, for the raw ``requests`` calls: only bounds a hang (CI machines are loaded)


# ---------------------------------------------------------------------------------------------
# Auth matrix
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthCase:
    id: str
    impl: str  # 'ossauth' | 'oss2'
    version: str  # 'v1' | 'v2' | 'v4'
    sts: bool
    build: Callable[[str, str, Optional[str]], object]  # (key id, secret, token) -> auth

    @property
    def key_id(self):
        return STS_ID if self.sts else AK_ID

    @property
    def secret(self):
        return STS_SECRET if self.sts else AK_SECRET

    @property
    def token(self):
        return STS_TOKEN if self.sts else None

    def make(self, key_id=None, secret=None, token=None):
        return self.build(
            self.key_id if key_id is None else key_id,
            self.secret if secret is None else secret,
            self.token if token is None else token,
        )


def _ossauth_cases():
    oa = ossauth
    P = oa.StaticCredentialsProvider
    return [
        AuthCase("ossauth-v1", "ossauth", "v1", False, lambda i, s, t: oa.Auth(i, s)),
        AuthCase("ossauth-v2", "ossauth", "v2", False, lambda i, s, t: oa.AuthV2(i, s)),
        AuthCase("ossauth-v4", "ossauth", "v4", False, lambda i, s, t: oa.AuthV4(i, s)),
        AuthCase("ossauth-provider-v1", "ossauth", "v1", False, lambda i, s, t: oa.ProviderAuth(P(i, s))),
        AuthCase("ossauth-provider-v2", "ossauth", "v2", False, lambda i, s, t: oa.ProviderAuthV2(P(i, s))),
        AuthCase("ossauth-provider-v4", "ossauth", "v4", False, lambda i, s, t: oa.ProviderAuthV4(P(i, s))),
        AuthCase("ossauth-sts-v1", "ossauth", "v1", True, lambda i, s, t: oa.StsAuth(i, s, t)),
        AuthCase("ossauth-sts-v2", "ossauth", "v2", True, lambda i, s, t: oa.StsAuth(i, s, t, "v2")),
        AuthCase("ossauth-sts-v4", "ossauth", "v4", True, lambda i, s, t: oa.StsAuth(i, s, t, "v4")),
        AuthCase("ossauth-provider-sts-v1", "ossauth", "v1", True, lambda i, s, t: oa.ProviderAuth(P(i, s, t))),
        AuthCase("ossauth-provider-sts-v2", "ossauth", "v2", True, lambda i, s, t: oa.ProviderAuthV2(P(i, s, t))),
        AuthCase("ossauth-provider-sts-v4", "ossauth", "v4", True, lambda i, s, t: oa.ProviderAuthV4(P(i, s, t))),
    ]


def _oss2_cases():
    return [
        AuthCase("oss2-v1", "oss2", "v1", False, lambda i, s, t: oss2.Auth(i, s)),
        AuthCase("oss2-v2", "oss2", "v2", False, lambda i, s, t: oss2.AuthV2(i, s)),
        AuthCase("oss2-v4", "oss2", "v4", False, lambda i, s, t: oss2.AuthV4(i, s)),
        AuthCase("oss2-sts-v1", "oss2", "v1", True, lambda i, s, t: oss2.StsAuth(i, s, t)),
        AuthCase("oss2-sts-v2", "oss2", "v2", True, lambda i, s, t: oss2.StsAuth(i, s, t, "v2")),
        AuthCase("oss2-sts-v4", "oss2", "v4", True, lambda i, s, t: oss2.StsAuth(i, s, t, "v4")),
    ]


OSSAUTH_CASES = _ossauth_cases()
OSS2_CASES = _oss2_cases()
ALL_CASES = OSSAUTH_CASES + OSS2_CASES
STS_CASES = [c for c in ALL_CASES if c.sts]

# Plain (non-STS) constructors per implementation and version, for "STS key without token".
_PLAIN = {
    ("ossauth", "v1"): lambda i, s: ossauth.Auth(i, s),
    ("ossauth", "v2"): lambda i, s: ossauth.AuthV2(i, s),
    ("ossauth", "v4"): lambda i, s: ossauth.AuthV4(i, s),
    ("oss2", "v1"): lambda i, s: oss2.Auth(i, s),
    ("oss2", "v2"): lambda i, s: oss2.AuthV2(i, s),
    ("oss2", "v4"): lambda i, s: oss2.AuthV4(i, s),
}
_OSS2_BY_VERSION = {"v1": oss2.Auth, "v2": oss2.AuthV2, "v4": oss2.AuthV4}


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oss_keys():
    return OSS_KEYS


@pytest.fixture(autouse=True)
def _fresh(oss_server):
    oss_server.reset()
    yield
    oss_server.reset()


@pytest.fixture(scope="module")
def session():
    return oss2.Session()


def make_bucket(oss_server, auth, session=None, region=REGION):
    return oss2.Bucket(auth, oss_server.endpoint, BUCKET, region=region, session=session)


@pytest.fixture(params=ALL_CASES, ids=lambda c: c.id)
def case(request):
    return request.param


@pytest.fixture
def bucket(oss_server, case, session):
    return make_bucket(oss_server, case.make(), session)


def _describe(record):
    return (
        "%s %s?%s version=%s kind=%s key_id=%s verified=%s accepted=%s error=%s status=%s\n"
        "StringToSign=%r\nCanonicalRequest=%r"
        % (
            record.method,
            record.path,
            record.query,
            record.version,
            record.kind,
            record.access_key_id,
            record.verified,
            record.accepted,
            record.error_code,
            record.status,
            record.string_to_sign,
            record.canonical_request,
        )
    )


def assert_verified(oss_server, mark, case, kind="header", methods=None, count=None):
    """Every request the server saw since ``mark`` had a valid signature of ``case``'s flavour."""
    recs = oss_server.records[mark:]
    assert recs, "the server did not see any request"
    for r in recs:
        assert r.verified, "signature NOT verified: " + _describe(r)
        assert r.accepted, "authentication refused: " + _describe(r)
        assert r.version == case.version, _describe(r)
        assert r.kind == kind, _describe(r)
        assert r.access_key_id == case.key_id, _describe(r)
        assert r.security_token_verified == case.sts, _describe(r)
        assert r.string_to_sign, _describe(r)
    if methods is not None:
        assert [r.method for r in recs] == list(methods), [_describe(r) for r in recs]
    if count is not None:
        assert len(recs) == count, [_describe(r) for r in recs]
    return recs


def assert_rejected(oss_server, mark, code, verified, version=None):
    """The (single) request since ``mark`` was refused with ``code``; ``verified`` says whether
    its signature itself had matched (e.g. expired URL: signature fine, request refused)."""
    recs = oss_server.records[mark:]
    assert len(recs) >= 1, "the server did not see any request"
    r = recs[-1]
    assert not r.accepted, _describe(r)
    assert r.error_code == code, _describe(r)
    assert r.verified == verified, _describe(r)
    if version is not None:
        assert r.version == version, _describe(r)
    return r


def _error_code(resp):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(resp.content)
    return root.findtext("Code"), root.findtext("Message")


def _md5_etag(data):
    return hashlib.md5(data).hexdigest().upper()


SPECIAL_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign+key",
    "percent%20literal",
    "trailing-percent%",
    "double//slash",
    "dir/sub/file.bin",
    "trailing-slash/",
    "中文/文件名.txt",
    "日本語と한국어",
    "emoji 😀🚀/x",
    "question?mark#hash&amp=eq;semi",
    "tilde~star*quote'paren(x)!@$,",
    "Ünïcödé ß",
]


# ---------------------------------------------------------------------------------------------
# Object operations through oss2.Bucket
# ---------------------------------------------------------------------------------------------


def test_put_and_get_object_roundtrip(oss_server, case, bucket):
    data = bytes(range(256)) * 64 + "tail ✓".encode("utf-8")
    mark = len(oss_server.records)
    put = bucket.put_object("roundtrip/data.bin", data)
    assert put.status == 200
    assert put.etag == _md5_etag(data)
    assert put.crc == crc64_ecma(data)
    got = bucket.get_object("roundtrip/data.bin")
    body = got.read()
    assert body == data
    assert got.status == 200
    assert got.client_crc == got.server_crc == crc64_ecma(data)
    assert oss_server.get_stored("roundtrip/data.bin").data == data
    assert_verified(oss_server, mark, case, methods=["PUT", "GET"])


def test_put_and_get_large_object(oss_server, case, bucket):
    data = os.urandom(1024 * 1024 + 17)
    mark = len(oss_server.records)
    bucket.put_object("large.bin", data)
    got = bucket.get_object("large.bin")
    assert got.read() == data
    assert got.client_crc == got.server_crc
    assert_verified(oss_server, mark, case, methods=["PUT", "GET"])


def test_get_object_range(oss_server, case, bucket):
    data = bytes(range(100))
    bucket.put_object("range.bin", data)
    mark = len(oss_server.records)
    r = bucket.get_object("range.bin", byte_range=(10, 19))
    assert r.status == 206
    assert r.read() == data[10:20]
    assert r.content_range == "bytes 10-19/100"
    r = bucket.get_object("range.bin", byte_range=(90, None))
    assert r.read() == data[90:]
    r = bucket.get_object("range.bin", byte_range=(None, 5))
    assert r.read() == data[-5:]
    recs = assert_verified(oss_server, mark, case, methods=["GET", "GET", "GET"])
    for rec in recs:
        assert rec.headers.get("range"), _describe(rec)
        # V2 signs the Range header by default (AdditionalHeaders:range); V1/V4 do not.
        assert rec.additional_headers == (("range",) if case.version == "v2" else ()), _describe(rec)


def test_get_object_with_query_parameters(oss_server, case, bucket):
    """Header-signed request with sub-resource and ordinary query parameters (V1 signs only
    the sub-resources, V2/V4 sign them all)."""
    bucket.put_object("params.txt", b"p")
    mark = len(oss_server.records)
    params = {
        "response-content-type": "text/csv",
        "response-cache-control": "no-cache",
        "response-content-disposition": 'attachment; filename="a b+c.csv"',
        "empty-value": "",
        "unicode-param": "值 ✓",
    }
    r = bucket.get_object("params.txt", params=dict(params))
    assert r.read() == b"p"
    assert r.headers["Content-Type"] == "text/csv"
    rec = assert_verified(oss_server, mark, case, count=1)[0]
    if case.version == "v1":
        assert rec.string_to_sign.endswith(
            '/%s/params.txt?response-cache-control=no-cache'
            '&response-content-disposition=attachment; filename="a b+c.csv"'
            "&response-content-type=text/csv" % BUCKET
        )
    elif case.version == "v2":
        assert "empty-value&" in rec.string_to_sign
        assert "unicode-param=%E5%80%BC%20%E2%9C%93" in rec.string_to_sign
    else:
        assert "empty-value&" in rec.canonical_request
        assert "unicode-param=%E5%80%BC%20%E2%9C%93" in rec.canonical_request


def test_head_object(oss_server, case, bucket):
    data = b"head me"
    bucket.put_object("head/obj.txt", data, headers={"x-oss-meta-owner": "alice"})
    mark = len(oss_server.records)
    head = bucket.head_object("head/obj.txt")
    assert head.status == 200
    assert head.content_length == len(data)
    assert head.etag == _md5_etag(data)
    assert head.content_type == "text/plain"
    assert head.server_crc == crc64_ecma(data)
    assert head.headers["x-oss-meta-owner"] == "alice"
    meta = bucket.get_object_meta("head/obj.txt")
    assert meta.content_length == len(data)
    assert meta.etag == _md5_etag(data)
    recs = assert_verified(oss_server, mark, case, methods=["HEAD", "HEAD"])
    assert "objectMeta" in recs[1].query
    if case.version == "v1":  # objectMeta is a V1 sub-resource: part of the signed resource
        assert recs[1].string_to_sign.endswith("/%s/head/obj.txt?objectMeta" % BUCKET)


def test_head_missing_object_is_not_found(oss_server, case, bucket):
    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.NotFound) as ei:
        bucket.head_object("no/such/key")
    assert ei.value.status == 404
    rec = oss_server.records[-1]
    assert rec.verified and rec.accepted and rec.status == 404, _describe(rec)
    assert_verified(oss_server, mark, case, methods=["HEAD"])


def test_object_exists(oss_server, case, bucket):
    bucket.put_object("exists/yes", b"1")
    mark = len(oss_server.records)
    assert bucket.object_exists("exists/yes") is True
    assert bucket.object_exists("exists/no") is False
    recs = assert_verified(oss_server, mark, case, methods=["HEAD", "HEAD"])
    assert [r.status for r in recs] == [200, 404]


def test_list_objects_with_prefix(oss_server, case, bucket):
    keys = ["list/a.txt", "list/b/1", "list/b/2", "list/c d+e", "listless", "other/x"]
    for k in keys:
        bucket.put_object(k, k.encode("utf-8"))
    mark = len(oss_server.records)

    result = bucket.list_objects(prefix="list/")
    assert [o.key for o in result.object_list] == ["list/a.txt", "list/b/1", "list/b/2", "list/c d+e"]
    assert result.is_truncated is False
    assert all(o.size == len(o.key.encode("utf-8")) for o in result.object_list)

    result = bucket.list_objects(prefix="list/", delimiter="/")
    assert [o.key for o in result.object_list] == ["list/a.txt", "list/c d+e"]
    assert result.prefix_list == ["list/b/"]

    # Paging with marker: one key per request.
    paged = [o.key for o in oss2.ObjectIterator(bucket, prefix="list/", max_keys=1)]
    assert paged == ["list/a.txt", "list/b/1", "list/b/2", "list/c d+e"]

    v2 = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="list/", max_keys=2)]
    assert v2 == ["list/a.txt", "list/b/1", "list/b/2", "list/c d+e"]

    recs = assert_verified(oss_server, mark, case)
    assert all(r.method == "GET" and r.path == "/%s/" % BUCKET for r in recs)
    # 2 plain lists + 4 ObjectIterator pages (1 key each) + 2 ObjectIteratorV2 pages (2 keys each)
    assert len(recs) == 2 + 4 + 2, [_describe(r) for r in recs]
    assert any("marker=list%2Fa.txt" in r.query for r in recs)
    assert any("list-type=2" in r.query and "continuation-token=" in r.query for r in recs)


def test_delete_object(oss_server, case, bucket):
    bucket.put_object("delete/me", b"bye")
    assert bucket.object_exists("delete/me")
    mark = len(oss_server.records)
    result = bucket.delete_object("delete/me")
    assert result.status == 204
    assert oss_server.get_stored("delete/me") is None
    assert bucket.object_exists("delete/me") is False
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("delete/me")
    assert_verified(oss_server, mark, case, methods=["DELETE", "HEAD", "GET"])


def test_custom_headers_and_metadata(oss_server, case, bucket):
    data = b"<html>meta</html>"
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-MD5": oss2.utils.content_md5(data),
        "x-oss-meta-author": "Alice Example",
        "x-oss-meta-Mixed-Case": "Value With  Spaces",
        "X-Oss-Meta-number": "42",
        "Cache-Control": "no-cache",
        "Content-Disposition": 'attachment; filename="m.html"',
    }
    mark = len(oss_server.records)
    bucket.put_object("meta/page.html", data, headers=headers)
    rec = assert_verified(oss_server, mark, case, methods=["PUT"])[0]
    # The signed fields really were in the request the server verified.
    assert rec.headers["content-md5"] == headers["Content-MD5"]
    assert rec.headers["content-type"] == headers["Content-Type"]
    if case.version in ("v1", "v2"):
        sts = rec.string_to_sign.split("\n")
        assert sts[1] == headers["Content-MD5"] and sts[2] == headers["Content-Type"]
        assert "x-oss-meta-author:Alice Example\n" in rec.string_to_sign
        assert "x-oss-meta-mixed-case:Value With  Spaces\n" in rec.string_to_sign
    else:
        assert "content-md5:%s\n" % headers["Content-MD5"] in rec.canonical_request
        assert "content-type:%s\n" % headers["Content-Type"] in rec.canonical_request
        assert "x-oss-meta-number:42\n" in rec.canonical_request

    stored = oss_server.get_stored("meta/page.html")
    assert stored.content_type == "text/html; charset=utf-8"
    assert stored.meta == {
        "x-oss-meta-author": "Alice Example",
        "x-oss-meta-mixed-case": "Value With  Spaces",
        "x-oss-meta-number": "42",
    }
    head = bucket.head_object("meta/page.html")
    assert head.content_type == "text/html; charset=utf-8"
    assert head.headers["x-oss-meta-author"] == "Alice Example"
    assert head.headers["x-oss-meta-number"] == "42"

    # A Content-MD5 that does not match the body is refused (after the signature checked out).
    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.InvalidDigest):
        bucket.put_object("meta/bad-md5", b"other body", headers={"Content-MD5": headers["Content-MD5"]})
    rec = oss_server.records[-1]
    assert rec.verified and rec.accepted and rec.status == 400, _describe(rec)


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_character_keys(oss_server, case, bucket, key):
    data = ("content of %s" % key).encode("utf-8")
    mark = len(oss_server.records)
    bucket.put_object(key, data)
    assert oss_server.keys() == [key]
    assert bucket.get_object(key).read() == data
    assert bucket.head_object(key).content_length == len(data)
    assert bucket.object_exists(key)
    listed = bucket.list_objects(prefix=key)
    assert [o.key for o in listed.object_list] == [key]
    recs = assert_verified(oss_server, mark, case)
    assert all(r.key == key for r in recs if r.path != "/%s/" % BUCKET)

    mark = len(oss_server.records)
    url = bucket.sign_url("GET", key, 60)
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert resp.content == data
    rec = assert_verified(oss_server, mark, case, kind="presigned", count=1)[0]
    assert rec.key == key

    mark = len(oss_server.records)
    bucket.delete_object(key)
    assert oss_server.keys() == []
    assert_verified(oss_server, mark, case, methods=["DELETE"])


# ---------------------------------------------------------------------------------------------
# Presigned URLs
# ---------------------------------------------------------------------------------------------


def test_presigned_get(oss_server, case, bucket):
    data = b"presigned content"
    bucket.put_object("signed/get.txt", data)
    mark = len(oss_server.records)

    url = bucket.sign_url("GET", "signed/get.txt", 60)
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert resp.content == data
    assert resp.headers["x-oss-hash-crc64ecma"] == str(crc64_ecma(data))

    # oss2's own consumer of signed URLs.
    got = bucket.get_object_with_url(url)
    assert got.read() == data

    # Slash-safe URL and a signed response-* override parameter.
    url = bucket.sign_url(
        "GET", "signed/get.txt", 60, params={"response-content-type": "application/x-test"}, slash_safe=True
    )
    assert "/signed/get.txt?" in url
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "application/x-test"

    assert_verified(oss_server, mark, case, kind="presigned", methods=["GET", "GET", "GET"])


@pytest.mark.parametrize(
    "case",
    # V1 has no additional headers; StsAuth's _sign_url takes no in_additional_headers (as in oss2).
    [c for c in ALL_CASES if c.version != "v1" and "-sts-" not in c.id.replace("provider-sts", "")],
    ids=lambda c: c.id,
)
def test_presigned_with_additional_headers(oss_server, case, bucket):
    bucket.put_object("signed/extra.txt", b"extra")
    headers = {"X-Custom-Header": "abc", "x-oss-meta-q": "1"}
    url = bucket.sign_url("GET", "signed/extra.txt", 60, headers=headers, additional_headers=["X-Custom-Header"])
    assert dict(parse_qsl(urlsplit(url).query))["x-oss-additional-headers"] == "x-custom-header"
    mark = len(oss_server.records)
    resp = requests.get(url, headers=headers, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    rec = assert_verified(oss_server, mark, case, kind="presigned", count=1)[0]
    assert rec.additional_headers == ("x-custom-header",)
    # The additional header is covered by the signature.
    mark = len(oss_server.records)
    resp = requests.get(url, headers={"X-Custom-Header": "abd", "x-oss-meta-q": "1"}, timeout=TIMEOUT)
    assert resp.status_code == 403 and _error_code(resp)[0] == "SignatureDoesNotMatch"
    assert_rejected(oss_server, mark, "SignatureDoesNotMatch", verified=False, version=case.version)


def test_presigned_put(oss_server, case, bucket):
    mark = len(oss_server.records)
    headers = {"Content-Type": "text/plain", "x-oss-meta-via": "presigned"}
    url = bucket.sign_url("PUT", "signed/put.txt", 60, headers=headers)
    resp = requests.put(url, data=b"uploaded via url", headers=headers, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    stored = oss_server.get_stored("signed/put.txt")
    assert stored.data == b"uploaded via url"
    assert stored.content_type == "text/plain"
    assert stored.meta == {"x-oss-meta-via": "presigned"}

    # oss2's put_object_with_url (checks the returned CRC-64).
    url = bucket.sign_url("PUT", "signed/put2.bin", 60)
    result = bucket.put_object_with_url(url, b"\x00\x01binary")
    assert result.crc == crc64_ecma(b"\x00\x01binary")
    assert oss_server.get_stored("signed/put2.bin").data == b"\x00\x01binary"
    assert_verified(oss_server, mark, case, kind="presigned", methods=["PUT", "PUT"])

    # Sending a different Content-Type than the one signed breaks the signature.
    url = bucket.sign_url("PUT", "signed/put3.txt", 60, headers=headers)
    mark = len(oss_server.records)
    resp = requests.put(
        url, data=b"x", headers={"Content-Type": "text/html", "x-oss-meta-via": "presigned"}, timeout=TIMEOUT
    )
    assert resp.status_code == 403
    assert _error_code(resp)[0] == "SignatureDoesNotMatch"
    assert oss_server.get_stored("signed/put3.txt") is None
    assert_rejected(oss_server, mark, "SignatureDoesNotMatch", verified=False, version=case.version)


def test_presigned_url_expires(oss_server, case, bucket):
    bucket.put_object("expiring.txt", b"soon gone")
    url = bucket.sign_url("GET", "expiring.txt", 60)

    mark = len(oss_server.records)
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    oss_server.advance_clock(30)  # still inside the 60 s window
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    assert_verified(oss_server, mark, case, kind="presigned", count=2)

    oss_server.advance_clock(40)  # 70 s after signing: expired
    mark = len(oss_server.records)
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 403
    code, message = _error_code(resp)
    assert code == "AccessDenied" and "expired" in message
    # The signature itself still matched: the URL was refused only because of the time.
    assert_rejected(oss_server, mark, "AccessDenied", verified=True, version=case.version)

    with pytest.raises(oss2.exceptions.AccessDenied):
        bucket.get_object_with_url(url)


def test_presigned_url_signed_in_the_past_is_expired(oss_server, case, bucket):
    """A URL signed an hour ago for 60 s is refused (uses ossauth's clock pinning for
    ossauth auths and the same patching of oss2's clocks for oss2 auths)."""
    from ossauth.testing import frozen_time

    bucket.put_object("old.txt", b"old")
    with frozen_time(time.time() - 3600, oss2=True):
        url = bucket.sign_url("GET", "old.txt", 60)
    mark = len(oss_server.records)
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 403, resp.text
    assert _error_code(resp)[0] == "AccessDenied"
    assert_rejected(oss_server, mark, "AccessDenied", verified=True, version=case.version)


# ---------------------------------------------------------------------------------------------
# Negative tests
# ---------------------------------------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match(oss_server, case, session):
    bad = make_bucket(oss_server, case.make(secret="definitely-not-the-secret"), session)

    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as ei:
        bad.put_object("wrong/secret.txt", b"nope")
    e = ei.value
    assert e.status == 403
    assert e.details["Code"] == "SignatureDoesNotMatch"
    string_to_sign = e.details["StringToSign"]
    rec = assert_rejected(oss_server, mark, "SignatureDoesNotMatch", verified=False, version=case.version)
    assert rec.access_key_id == case.key_id
    assert string_to_sign == rec.string_to_sign
    if case.version == "v1":
        assert string_to_sign.startswith("PUT\n") and string_to_sign.endswith("/%s/wrong/secret.txt" % BUCKET)
    elif case.version == "v2":
        assert string_to_sign.startswith("PUT\n")
        assert string_to_sign.endswith("%%2F%s%%2Fwrong%%2Fsecret.txt" % BUCKET)
    else:
        assert string_to_sign.startswith("OSS4-HMAC-SHA256\n")
        assert e.details["CanonicalRequest"].startswith("PUT\n/%s/wrong/secret.txt\n" % BUCKET)
    assert oss_server.get_stored("wrong/secret.txt") is None

    # GET and HEAD (HEAD: the error arrives base64-encoded in x-oss-err).
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bad.get_object("whatever")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bad.head_object("whatever")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bad.list_objects(prefix="x")
    recs = oss_server.records[mark:]
    assert len(recs) == 4 and all(r.error_code == "SignatureDoesNotMatch" and not r.verified for r in recs)

    # A presigned URL made with the wrong secret.
    mark = len(oss_server.records)
    resp = requests.get(bad.sign_url("GET", "whatever", 60), timeout=TIMEOUT)
    assert resp.status_code == 403
    assert _error_code(resp)[0] == "SignatureDoesNotMatch"
    assert_rejected(oss_server, mark, "SignatureDoesNotMatch", verified=False, version=case.version)


def test_unknown_access_key_id(oss_server, case, session):
    bad = make_bucket(oss_server, case.make(key_id="LTAI5tNoSuchKeyId"), session)
    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bad.get_object("k")
    assert ei.value.status == 403
    assert ei.value.code == "InvalidAccessKeyId"
    rec = assert_rejected(oss_server, mark, "InvalidAccessKeyId", verified=False, version=case.version)
    assert rec.access_key_id == "LTAI5tNoSuchKeyId"


def test_request_time_too_skewed(oss_server, case, bucket):
    """Header signatures carry the signing time; the server refuses one an hour off, which
    proves the auth signs with the current time."""
    bucket.put_object("skew.txt", b"x")
    for offset in (3600, -7200):
        oss_server.advance_clock(offset)
        mark = len(oss_server.records)
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            bucket.get_object("skew.txt")
        assert ei.value.status == 403 and ei.value.code == "RequestTimeTooSkewed"
        assert_rejected(oss_server, mark, "RequestTimeTooSkewed", verified=True, version=case.version)
    oss_server.advance_clock(3600)  # back to real time
    mark = len(oss_server.records)
    assert bucket.get_object("skew.txt").read() == b"x"
    assert_verified(oss_server, mark, case, count=1)


@pytest.mark.parametrize("case", STS_CASES, ids=lambda c: c.id)
def test_sts_wrong_token_is_refused(oss_server, case, session):
    bad = make_bucket(oss_server, case.make(token="CAIS-some-other-token=="), session)
    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bad.get_object("k")
    assert ei.value.status == 403 and ei.value.code == "InvalidSecurityToken"
    # The (wrong) token was signed consistently: only the token check failed.
    assert_rejected(oss_server, mark, "InvalidSecurityToken", verified=True, version=case.version)

    mark = len(oss_server.records)
    resp = requests.get(bad.sign_url("GET", "k", 60), timeout=TIMEOUT)
    assert resp.status_code == 403 and _error_code(resp)[0] == "InvalidSecurityToken"
    assert_rejected(oss_server, mark, "InvalidSecurityToken", verified=True, version=case.version)


@pytest.mark.parametrize("case", STS_CASES, ids=lambda c: c.id)
def test_sts_missing_token_is_refused(oss_server, case, session):
    plain = _PLAIN[(case.impl, case.version)](STS_ID, STS_SECRET)
    bad = make_bucket(oss_server, plain, session)
    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bad.put_object("k", b"v")
    assert ei.value.status == 403 and ei.value.code == "InvalidSecurityToken"
    assert_rejected(oss_server, mark, "InvalidSecurityToken", verified=True, version=case.version)
    assert oss_server.get_stored("k") is None


@pytest.mark.parametrize("case", STS_CASES, ids=lambda c: c.id)
def test_sts_token_is_sent_and_signed(oss_server, case, bucket):
    mark = len(oss_server.records)
    bucket.put_object("sts.txt", b"sts")
    rec = assert_verified(oss_server, mark, case, count=1)[0]
    assert rec.headers["x-oss-security-token"] == STS_TOKEN
    if case.version in ("v1", "v2"):
        assert "x-oss-security-token:%s\n" % STS_TOKEN in rec.string_to_sign
    else:
        assert "x-oss-security-token:%s\n" % STS_TOKEN in rec.canonical_request

    url = bucket.sign_url("GET", "sts.txt", 60)
    query = dict(parse_qsl(urlsplit(url).query))
    token_param = "x-oss-security-token" if case.version == "v4" else "security-token"
    assert query[token_param] == STS_TOKEN
    mark = len(oss_server.records)
    assert requests.get(url, timeout=TIMEOUT).content == b"sts"
    assert_verified(oss_server, mark, case, kind="presigned", count=1)


def test_service_list_buckets(oss_server, case, session):
    oss_server.create_bucket("another-bucket")
    service = oss2.Service(case.make(), oss_server.endpoint, region=REGION, session=session)
    mark = len(oss_server.records)
    result = service.list_buckets()
    assert [b.name for b in result.buckets] == ["another-bucket", BUCKET]
    assert [b.name for b in oss2.BucketIterator(service, max_keys=1)] == ["another-bucket", BUCKET]
    result = service.list_buckets(prefix="test-")
    assert [b.name for b in result.buckets] == [BUCKET]
    recs = assert_verified(oss_server, mark, case)
    assert all(r.path == "/" and r.bucket == "" and r.method == "GET" for r in recs)
    if case.version == "v1":
        assert all(r.string_to_sign.endswith("\n/") for r in recs)


# ---------------------------------------------------------------------------------------------
# Sanity: the verifier is not permissive (independent of ossauth: uses oss2's own auths)
# ---------------------------------------------------------------------------------------------


class _MutateAfterSigning:
    """Signs with ``inner`` and then changes the request: the signature no longer covers it."""

    def __init__(self, inner, mutate):
        self.inner = inner
        self.mutate = mutate

    def _sign_request(self, req, bucket_name, key):
        self.inner._sign_request(req, bucket_name, key)
        self.mutate(req)

    def _sign_url(self, req, bucket_name, key, expires):
        return self.inner._sign_url(req, bucket_name, key, expires)

    def auth_version(self):
        return self.inner.auth_version()


VERSIONS = ["v1", "v2", "v4"]


def test_crc64_matches_reference():
    # CRC-64/XZ (= ECMA-182 reflected, init/xorout all ones) check value.
    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA
    assert _crc64_pure(b"123456789") == 0x995DC9BBDF1939FA
    blob = os.urandom(4096)
    assert _crc64_pure(blob) == crc64_ecma(blob)
    assert crc64_ecma(b"") == 0


def test_anonymous_request_is_refused(oss_server):
    mark = len(oss_server.records)
    resp = requests.get("%s/%s/some-key" % (oss_server.endpoint, BUCKET), timeout=TIMEOUT)
    assert resp.status_code == 403
    assert _error_code(resp)[0] == "AccessDenied"
    rec = oss_server.records[mark]
    assert rec.kind == "anonymous" and not rec.verified and not rec.accepted
    resp = requests.put("%s/%s/some-key" % (oss_server.endpoint, BUCKET), data=b"x", timeout=TIMEOUT)
    assert resp.status_code == 403
    assert oss_server.get_stored("some-key") is None


@pytest.mark.parametrize("version", VERSIONS)
def test_server_rejects_tampered_signature(oss_server, session, version):
    """oss2's own auth: right secret accepted, wrong secret / flipped signature refused."""
    good = make_bucket(oss_server, _OSS2_BY_VERSION[version](AK_ID, AK_SECRET), session)
    bad = make_bucket(oss_server, _OSS2_BY_VERSION[version](AK_ID, AK_SECRET + "x"), session)
    good.put_object("tamper.txt", b"t")
    assert oss_server.records[-1].verified

    mark = len(oss_server.records)
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bad.get_object("tamper.txt")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bad.put_object("tamper2.txt", b"t")
    assert oss_server.get_stored("tamper2.txt") is None
    recs = oss_server.records[mark:]
    assert [r.error_code for r in recs] == ["SignatureDoesNotMatch"] * 2
    assert all(r.version == version and not r.verified for r in recs)

    # A valid presigned URL whose signature is altered, or pointed at another key, is refused.
    url = good.sign_url("GET", "tamper.txt", 60)
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    sig_name = {"v1": "Signature", "v2": "x-oss-signature", "v4": "x-oss-signature"}[version]

    def with_params(new_params, path=parts.path):
        return urlunsplit((parts.scheme, parts.netloc, path, urlencode(new_params), ""))

    def flip(sig):
        if version == "v4":
            return ("0" if sig[0] != "0" else "1") + sig[1:]
        raw = bytearray(base64.b64decode(sig))
        raw[0] ^= 0x01
        return base64.b64encode(bytes(raw)).decode()

    flipped = [(k, flip(v) if k == sig_name else v) for k, v in params]
    for bad_url in (
        with_params(flipped),
        with_params(params, path="/%s/other.txt" % BUCKET),
        with_params(params + [("x-oss-process", "image/resize,w_10")]),
    ):
        mark = len(oss_server.records)
        resp = requests.get(bad_url, timeout=TIMEOUT)
        assert resp.status_code == 403, bad_url
        assert _error_code(resp)[0] == "SignatureDoesNotMatch", resp.text
        assert not oss_server.records[mark].verified

    # Tampering with the expiry must break the signature, not extend the URL's life.
    exp_name = {"v1": "Expires", "v2": "x-oss-expires", "v4": "x-oss-expires"}[version]
    extended = [(k, str(int(v) + 1000) if k == exp_name else v) for k, v in params]
    resp = requests.get(with_params(extended), timeout=TIMEOUT)
    assert resp.status_code == 403 and _error_code(resp)[0] == "SignatureDoesNotMatch"


@pytest.mark.parametrize("version", VERSIONS)
def test_server_checks_what_each_version_signs(oss_server, session, version):
    """Change parts of a request after signing: signed parts must be refused, unsigned ones not."""
    good = make_bucket(oss_server, _OSS2_BY_VERSION[version](AK_ID, AK_SECRET), session)
    good.put_object("signed-parts.txt", b"0123456789")

    def run(mutate, expect_ok):
        b = make_bucket(oss_server, _MutateAfterSigning(_OSS2_BY_VERSION[version](AK_ID, AK_SECRET), mutate), session)
        mark = len(oss_server.records)
        if expect_ok:
            b.get_object("signed-parts.txt", byte_range=(0, 3)).read()
            assert oss_server.records[mark].verified
        else:
            with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
                b.get_object("signed-parts.txt", byte_range=(0, 3))
            assert not oss_server.records[mark].verified

    def set_header(name, value):
        def mutate(req):
            req.headers[name] = value

        return mutate

    def set_param(name, value):
        def mutate(req):
            req.params[name] = value

        return mutate

    run(set_header("User-Agent", "tampered"), expect_ok=True)  # never signed
    run(set_header("x-oss-meta-added", "1"), expect_ok=False)  # x-oss-* always signed
    run(set_header("Content-Type", "text/evil"), expect_ok=False)  # always signed
    run(set_header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), expect_ok=False)  # always signed
    # Range: signed by V2 (default AdditionalHeaders), not by V1 or V4.
    run(set_header("Range", "bytes=4-7"), expect_ok=(version != "v2"))
    # Sub-resource parameter: signed by all versions.
    run(set_param("response-content-type", "text/evil"), expect_ok=False)
    # Ordinary parameter: V1 signs only sub-resources; V2 and V4 sign every parameter.
    run(set_param("foo", "bar"), expect_ok=(version == "v1"))


def test_server_rejects_wrong_v4_region(oss_server, session):
    for auth in (oss2.AuthV4(AK_ID, AK_SECRET), ossauth.AuthV4(AK_ID, AK_SECRET)):
        b = make_bucket(oss_server, auth, session, region="cn-beijing")
        mark = len(oss_server.records)
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            b.get_object("k")
        assert ei.value.status == 400 and ei.value.code == "InvalidArgument"
        rec = oss_server.records[mark]
        assert not rec.accepted and rec.version == "v4"
