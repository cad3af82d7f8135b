"""ossauth.oss_v2.SignerV4 / SignerV1 against alibabacloud-oss-v2 1.4.1's own signers.

Differential: the same SigningContext (built twice from one spec) is signed by both at the same
instant (``frozen_time(..., oss_v2=True)`` pins ossauth's clock and oss-v2's ``datetime.now()``)
and everything the signer leaves behind must be equal: method, URL, headers (names, spelling,
order, values), ``string_to_sign``, ``signing_time``, ``expiration_time``, ``signed_headers``;
or both raise the same exception class (and, for oss-v2's own exceptions, message).

End to end: an ``oss.Client`` (sync and async) with a recording ``http_client`` sends the same
requests with either signer; ``client.presign(...)`` gives the same result.
"""

import asyncio
import copy
import datetime as dt
import os
import sys
from urllib.parse import quote, urlencode

import alibabacloud_oss_v2 as oss
import alibabacloud_oss_v2.aio as oss_aio
import pytest
from alibabacloud_oss_v2 import exceptions as oss_exceptions
from alibabacloud_oss_v2 import signer as oss_signer
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

sys.path.insert(0, os.path.dirname(__file__))

import strategies as S  # noqa: E402

import ossauth.oss_v2  # noqa: E402
from ossauth.testing import frozen_time  # noqa: E402

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NATIVE = {"v4": ossauth.oss_v2.SignerV4, "v1": ossauth.oss_v2.SignerV1}
REFERENCE = {"v4": oss_signer.SignerV4, "v1": oss_signer.SignerV1}

# ============================================================================================
# Strategies
# ============================================================================================

HOSTS = ["bucket.oss-cn-hangzhou.aliyuncs.com", "oss-cn-hangzhou.aliyuncs.com", "127.0.0.1:8080",
         "bucket.cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com"]

#: Raw query pieces: empty values, '=' in values, repeats, the signers' own parameters.
RAW_PAIRS = ["acl", "acl=", "a=1", "a=2", "=", "", "a=b=c", "x-oss-date=20000101T000000Z",
             "x-oss-signature=old", "x-oss-security-token=old", "x-oss-additional-headers=old",
             "x-oss-expires=1", "Signature=old", "security-token=old", "OSSAccessKeyId=old",
             "Expires=1", "uploadId=u%2F1", "partNumber=3", "versionId=v", "%2Bp=%7C",
             "response-content-type=text%2Fplain", "continuation-token=", "resourceGroup",
             "x-oss-credential=c", "x-oss-signature-version=v", "A=%E4%B8%AD", "%zz=%"]

#: URLs Python splits in ways plain slicing does not (ossauth asks Python for these).
ODD_URLS = ["HTTP://H/p?a=1", "http://[::1]:80/p?acl", "http://h/中文?x=中", " http://h/p?q",
            "http://h/p\t?q=1", "http://h/p?q=1#frag", "http:///p?x", "h/p?acl", "",
            "http://h?a&b=", "http://h/p?#f", "https://h/p?a=1#", "http://h//a?b", "http:////a?x",
            "mailto:x@y?acl", "http://h/%E4%B8%AD?%E4%B8%AD=%E4%B8%AD", "http://h/p?x=1?y=2"]


@st.composite
def urls(draw, key):
    kind = draw(st.sampled_from(["client", "client", "client", "raw", "odd"]))
    base = f"{draw(st.sampled_from(['http', 'https']))}://{draw(st.sampled_from(HOSTS))}/"
    if kind == "client":
        # As oss-v2's Client builds it: quoted key, urlencode(params, quote_via=quote).
        url = base + (quote(key) if key is not None else "")
        params = draw(S.params(allow_none=False))
        query = urlencode(params, quote_via=quote)
        return url + ("?" + query if query else "")
    if kind == "raw":
        pairs = draw(st.lists(st.sampled_from(RAW_PAIRS), max_size=6))
        return base + "k" + ("?" + "&".join(pairs) if pairs or draw(st.booleans()) else "")
    return draw(st.sampled_from(ODD_URLS)) + draw(st.sampled_from(["", "&acl", "&a=1"]))


naive_datetimes = st.datetimes(min_value=dt.datetime(1971, 1, 2), max_value=dt.datetime(2099, 12, 30))
signing_times = st.one_of(st.none(), st.none(), S.aware_datetime(), naive_datetimes,
                          st.sampled_from([dt.datetime(999, 6, 1, tzinfo=dt.timezone.utc),
                                           dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc),
                                           dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)]))
expiration_times = st.one_of(st.none(), S.aware_datetime(), naive_datetimes,
                             st.sampled_from([dt.datetime(9999, 12, 31, 23, 59, 59, 999999,
                                                          tzinfo=dt.timezone.utc)]))
clock_offsets = st.one_of(st.just(0), st.none(), st.integers(-10**7, 10**7), st.sampled_from([10**12, -10**12]),
                          st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 7)))
access_key_ids = st.one_of(st.sampled_from(["ak", "LTAI5tExampleKeyId"]), S.access_key_ids)
secrets = st.one_of(st.sampled_from(["sk", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]), S.access_key_secrets)
#: Mostly usable credentials (empty ids and secrets are errors, tested too but less often).
credentials = st.one_of(
    st.tuples(access_key_ids.filter(bool), secrets.filter(bool), S.tokens),
    st.tuples(access_key_ids.filter(bool), secrets.filter(bool), S.tokens),
    st.tuples(access_key_ids.filter(bool), secrets.filter(bool), S.tokens),
    st.tuples(access_key_ids, secrets, S.tokens),
    st.none(),
)


@st.composite
def specs(draw, version, query=None):
    key = draw(S.keys)
    product, region = draw(st.one_of(
        st.tuples(st.just("oss"), st.sampled_from(["cn-hangzhou", "us-west-1"])),
        st.tuples(st.just("oss-cloudbox"), st.sampled_from(["cb-123", "cb-f8z7yvzgwfkl9q0h"])),
        st.tuples(st.sampled_from([None, "", "oss", "other"]), S.regions),
    ))
    return dict(
        version=version,
        query=draw(st.booleans()) if query is None else query,
        method=draw(S.methods),
        url=draw(urls(key)),
        headers=draw(S.headers()),
        bucket=draw(S.buckets),
        key=key,
        product=product,
        region=region,
        credentials=draw(credentials),
        has_request=draw(st.sampled_from([True] * 9 + [False])),
        signing_time=draw(signing_times),
        expiration_time=draw(expiration_times),
        clock_offset=draw(clock_offsets),
        additional_headers=draw(S.additional_headers()),
        sub_resource=draw(st.lists(st.one_of(S.param_names, st.sampled_from(["a", "A", "k", "p"])), max_size=3)),
        now=draw(S.instants),
    )


def build_context(spec):
    """A SigningContext from a deep copy of ``spec``, as oss-v2's Client fills one."""
    s = copy.deepcopy(spec)
    request = HttpRequest(s["method"], s["url"])
    request.headers.update(s["headers"])
    creds = Credentials(*s["credentials"]) if s["credentials"] is not None else None
    ctx = SigningContext(
        product=s["product"], region=s["region"], bucket=s["bucket"], key=s["key"],
        request=request if s["has_request"] else None, credentials=creds,
        signing_time=s["signing_time"], clock_offset=s["clock_offset"],
        additional_headers=s["additional_headers"],
    )
    ctx.auth_method_query = s["query"]
    ctx.expiration_time = s["expiration_time"]
    ctx.sub_resource = s["sub_resource"]
    return ctx


def _time(t):
    return None if t is None else (t, t.tzinfo, type(t))


def outcome(signer, ctx, now):
    """What signing leaves behind, or the exception it raised."""
    with frozen_time(now, oss_v2=True):
        try:
            signer.sign(ctx)
        except Exception as e:  # noqa: BLE001 - compared by class
            detail = str(e) if isinstance(e, oss_exceptions.BaseError) else None
            return ("raised", type(e), detail)
    req = ctx.request
    return ("signed", req.method, req.url, list(req.headers.items()), ctx.string_to_sign,
            _time(ctx.signing_time), _time(ctx.expiration_time), ctx.signed_headers)


def compare(spec):
    ours = outcome(NATIVE[spec["version"]](), build_context(spec), spec["now"])
    theirs = outcome(REFERENCE[spec["version"]](), build_context(spec), spec["now"])
    assert ours == theirs
    return ours


# ============================================================================================
# Differential tests
# ============================================================================================

CLIENT_SPEC = dict(
    version="v4", query=False, method="PUT",
    url="https://bucket.oss-cn-hangzhou.aliyuncs.com/dir/%E4%B8%AD%20a%2Bb?acl&uploadId=1&x=",
    headers={"Content-Type": "text/plain", "X-Oss-Meta-A": "b", "Range": "bytes=0-1", "User-Agent": "u"},
    bucket="bucket", key="dir/中 a+b", product="oss", region="cn-hangzhou",
    credentials=("ak", "sk", "sts-token"), has_request=True, signing_time=None, expiration_time=None,
    clock_offset=0, additional_headers={"range", "Host"}, sub_resource=[], now=1702743657,
)


@SETTINGS
@given(specs("v4", query=False))
@example(CLIENT_SPEC)
@example(dict(CLIENT_SPEC, clock_offset=-3600))
@example(dict(CLIENT_SPEC, now=1702743657.987654))  # every byte of the microsecond written back
@example(dict(CLIENT_SPEC, credentials=("ak", "sk", None), additional_headers=None))
def test_v4_header_signing_matches_oss_v2(spec):
    compare(spec)


@SETTINGS
@given(specs("v4", query=True))
@example(dict(CLIENT_SPEC, query=True))
@example(dict(CLIENT_SPEC, query=True, product="oss-cloudbox", region="cb-123",
              expiration_time=dt.datetime(2023, 12, 16, 16, 30, 57, 1, tzinfo=dt.timezone.utc)))
def test_v4_query_signing_matches_oss_v2(spec):
    compare(spec)


@SETTINGS
@given(specs("v1", query=False))
@example(dict(CLIENT_SPEC, version="v1"))
@example(dict(CLIENT_SPEC, version="v1", headers={"x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT"}))
def test_v1_header_signing_matches_oss_v2(spec):
    compare(spec)


@SETTINGS
@given(specs("v1", query=True))
@example(dict(CLIENT_SPEC, version="v1", query=True))
@example(dict(CLIENT_SPEC, version="v1", query=True, sub_resource=["x"]))
def test_v1_query_signing_matches_oss_v2(spec):
    compare(spec)


@pytest.mark.parametrize("version", ["v4", "v1"])
@pytest.mark.parametrize("query", [False, True])
def test_missing_context_credentials_or_request_raise_oss_v2_errors(version, query):
    spec = dict(CLIENT_SPEC, version=version, query=query)
    cases = {
        "no credentials": dict(spec, credentials=None),
        "empty id": dict(spec, credentials=("", "sk", None)),
        "empty secret": dict(spec, credentials=("ak", "", None)),
        "no request": dict(spec, has_request=False),
    }
    expected = {
        "no credentials": oss_exceptions.ParamNullOrEmptyError,
        "empty id": oss_exceptions.ParamNullOrEmptyError,
        "empty secret": oss_exceptions.ParamNullOrEmptyError,
        "no request": oss_exceptions.ParamNullOrEmptyError,
    }
    for name, case in cases.items():
        got = compare(case)
        assert got[:2] == ("raised", expected[name]), name
    for signer in (NATIVE[version](), REFERENCE[version]()):
        with pytest.raises(oss_exceptions.ParamNullError, match="SigningContext"):
            signer.sign(None)


def test_signing_time_and_clock_offset_are_honoured():
    spec = dict(CLIENT_SPEC, signing_time=dt.datetime(2023, 12, 16, 16, 20, 57, tzinfo=dt.timezone.utc))
    got = compare(spec)
    headers = dict(got[3])
    assert headers["x-oss-date"] == "20231216T162057Z"
    # No signing time: the (frozen) clock plus the offset.
    got = compare(dict(CLIENT_SPEC, now=1702743657, clock_offset=3600))
    assert dict(got[3])["x-oss-date"] == "20231216T172057Z"


def test_signers_are_oss_v2_signers():
    for version in ("v4", "v1"):
        s = NATIVE[version]()
        assert isinstance(s, REFERENCE[version]) and isinstance(s, oss.types.Signer)
        assert s.is_signed_header("X-Oss-Meta-A") and not s.is_signed_header("User-Agent")


def test_other_header_mappings_are_read_through_their_methods():
    """A request whose headers are a plain dict (not oss-v2's CaseInsensitiveDict)."""
    outs = []
    for signer in (ossauth.oss_v2.SignerV4(), oss_signer.SignerV4()):
        ctx = build_context(CLIENT_SPEC)
        ctx.request.headers = dict(CLIENT_SPEC["headers"], **{"x-oss-meta-z": "1", "content-md5": "m"})
        outs.append(outcome(signer, ctx, CLIENT_SPEC["now"]))
    assert outs[0] == outs[1]
    assert outs[0][0] == "signed"


# ============================================================================================
# End to end through oss.Client
# ============================================================================================


class CannedResponse(oss.HttpResponse):
    def __init__(self, request):
        super().__init__()
        self._request = request
        self._headers = CaseInsensitiveDict({"x-oss-request-id": "req-1", "ETag": '"etag"',
                                             "Date": "Sat, 16 Dec 2023 16:20:57 GMT"})

    request = property(lambda self: self._request)
    is_closed = property(lambda self: True)
    is_stream_consumed = property(lambda self: True)
    status_code = property(lambda self: 200)
    headers = property(lambda self: self._headers)
    reason = property(lambda self: "OK")
    content = property(lambda self: b"")

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def close(self):
        pass

    def read(self):
        return b""

    def iter_bytes(self, **kwargs):
        return iter([])


def snapshot(request):
    return (request.method, request.url, list(request.headers.items()))


class RecordingClient(oss.HttpClient):
    """Records every request it is asked to send and answers 200 without any I/O."""

    def __init__(self):
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(snapshot(request))
        return CannedResponse(request)

    def open(self):
        pass

    def close(self):
        pass


class AsyncRecordingClient(oss.types.AsyncHttpClient):
    def __init__(self):
        self.sent = []

    async def send(self, request, **kwargs):
        self.sent.append(snapshot(request))
        return CannedResponse(request)

    async def open(self):
        pass

    async def close(self):
        pass


def config(version, token=None, **kw):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider("ak", "sk", token)
    cfg.region = kw.pop("region", "cn-hangzhou")
    cfg.signature_version = version
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def run_operations(client):
    client.put_object(oss.PutObjectRequest(bucket="examplebucket", key="dir/中 文+1.txt", body=b"hello",
                                           content_type="text/plain", metadata={"Author": "alice"}))
    client.head_object(oss.HeadObjectRequest(bucket="examplebucket", key="a b", version_id="v1"))
    client.put_bucket_acl(oss.PutBucketAclRequest(bucket="examplebucket", acl="private"))
    client.get_object_acl(oss.GetObjectAclRequest(bucket="examplebucket", key="k", version_id="v2"))


@pytest.mark.parametrize("version", ["v4", "v1"])
@pytest.mark.parametrize("token", [None, "sts-token/+="])
@pytest.mark.parametrize("cloudbox", [False, True])
def test_client_sends_the_same_requests(version, token, cloudbox):
    kw = dict(cloud_box_id="cb-123", endpoint="cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com") if cloudbox else {}
    recorded = []
    for signer in (NATIVE[version](), REFERENCE[version]()):
        http = RecordingClient()
        client = oss.Client(config(version, token, **kw), signer=signer, http_client=http)
        with frozen_time(1702743657.25, oss_v2=True):
            run_operations(client)
        recorded.append(http.sent)
    assert len(recorded[0]) == 4
    assert recorded[0] == recorded[1]
    auth = dict(recorded[0][0][2])["Authorization"]
    assert auth.startswith("OSS4-HMAC-SHA256 Credential=ak/" if version == "v4" else "OSS ak:")
    if cloudbox and version == "v4":
        assert "/cb-123/oss-cloudbox/aliyun_v4_request," in auth


@pytest.mark.parametrize("version", ["v4", "v1"])
def test_async_client_sends_the_same_requests(version):
    async def run(signer):
        http = AsyncRecordingClient()
        client = oss_aio.AsyncClient(config(version, "tok"), signer=signer, http_client=http)
        with frozen_time(1702743657, oss_v2=True):
            await client.put_object(oss.PutObjectRequest(bucket="examplebucket", key="k/中", body=b"x"))
            await client.get_bucket_acl(oss.GetBucketAclRequest(bucket="examplebucket"))
        return http.sent

    ours = asyncio.run(run(NATIVE[version]()))
    theirs = asyncio.run(run(REFERENCE[version]()))
    assert len(ours) == 2 and ours == theirs


def presigned(client, request, **kw):
    r = client.presign(request, **kw)
    return (r.method, r.url, r.expiration, r.signed_headers)


@pytest.mark.parametrize("version", ["v4", "v1"])
@pytest.mark.parametrize("token", [None, "sts token/+="])
def test_presign_gives_the_same_url(version, token):
    requests = [
        (oss.GetObjectRequest(bucket="examplebucket", key="dir/中 文+1.txt", version_id="v1",
                              response_content_type="text/plain"), {}),
        (oss.GetObjectRequest(bucket="examplebucket", key="k"),
         dict(expiration=dt.datetime(2023, 12, 16, 17, 0, 0, tzinfo=dt.timezone.utc))),
        (oss.GetObjectRequest(bucket="examplebucket", key="k"), dict(expires=dt.timedelta(hours=2))),
        (oss.PutObjectRequest(bucket="examplebucket", key="up", content_type="text/plain",
                              metadata={"a": "b"}), {}),
        (oss.HeadObjectRequest(bucket="examplebucket", key="h"), {}),
        (oss.InitiateMultipartUploadRequest(bucket="examplebucket", key="m"), {}),
    ]
    results = []
    for signer in (NATIVE[version](), REFERENCE[version]()):
        client = oss.Client(config(version, token), signer=signer)
        with frozen_time(1702743657.5, oss_v2=True):
            results.append([presigned(client, r, **kw) for r, kw in requests])
    assert results[0] == results[1]
    url = results[0][0][1]
    assert ("x-oss-signature=" if version == "v4" else "&Signature=") in url


def test_presign_past_seven_days_is_refused_by_both():
    for signer in (ossauth.oss_v2.SignerV4(), oss_signer.SignerV4()):
        client = oss.Client(config("v4"), signer=signer)
        with frozen_time(1702743657, oss_v2=True), pytest.raises(oss_exceptions.PresignExpirationError):
            client.presign(oss.GetObjectRequest(bucket="examplebucket", key="k"), expires=dt.timedelta(days=8))


def test_frozen_time_pins_oss_v2_reference_clock():
    ctx = build_context(dict(CLIENT_SPEC, credentials=("ak", "sk", None)))
    with frozen_time(dt.datetime(2023, 12, 16, 16, 20, 57, tzinfo=dt.timezone.utc), oss_v2=True):
        oss_signer.SignerV4().sign(ctx)
    assert ctx.request.headers["x-oss-date"] == "20231216T162057Z"
    assert ctx.request.headers["Date"] == "Sat, 16 Dec 2023 16:20:57 GMT"
