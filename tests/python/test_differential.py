"""Differential tests: ossauth must sign exactly like oss2 2.19.1 (``oss2/auth.py`` is the spec,
quirks included).

For every generated case the same inputs are given to oss2 and to ossauth (two identical
``oss2.http.Request`` objects built from deep copies), both clocks pinned to the same instant
with ``ossauth.testing.frozen_time(t, oss2=True)``, and we compare:

* the return value (the signed URL for ``_sign_url`` / ``_sign_rtmp_url``, ``None`` otherwise);
* ``dict(req.headers)`` and ``list(req.headers.items())`` (order and key spelling);
* ``list(req.params.items())`` (order), and whether ``req.params`` / ``req.headers`` are still
  the very objects the request was built with;
* when oss2 raises, that ossauth raises the same exception class.
"""

import copy
import datetime as dt
import calendar
import sys
import os

import oss2
import oss2.auth
import oss2.http
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import strategies as S  # noqa: E402
from credential_shapes import GetterCredentials  # noqa: E402
from ossauth_import import import_ossauth  # noqa: E402


ossauth = import_ossauth(attempts=10, delay=30)
from ossauth.testing import frozen_time  # noqa: E402

EXAMPLES = 300
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/examples directory in the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

VERSIONS = ["v1", "v2", "v4"]


# ============================================================================================
# Helpers
# ============================================================================================


def build_request(spec):
    """An ``oss2.http.Request`` from a deep copy of ``spec`` (see ``strategies.request_specs``)."""
    s = copy.deepcopy(spec)
    return oss2.http.Request(
        s["method"],
        s["url"],
        params=S.materialize(s["params"]),
        headers=S.materialize(s["headers"]),
        region=s["region"],
        product=s["product"],
        cloudbox_id=s["cloudbox_id"],
    )


class Snapshot(object):
    """Remembers the objects a request was built with, to describe its state after signing."""

    def __init__(self, req):
        self.req = req
        self.params_obj = req.params
        self.headers_obj = req.headers

    def state(self):
        req = self.req
        return {
            "headers_dict": dict(req.headers),
            "headers_items": list(req.headers.items()),
            "params_items": list(req.params.items()),
            "headers_type": type(req.headers),
            "params_type": type(req.params),
            "same_params_object": req.params is self.params_obj,
            "same_headers_object": req.headers is self.headers_obj,
        }


def _run(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - we compare any exception class
        return None, e


def assert_same_outcome(theirs, ours, state_theirs=None, state_ours=None, check_state_on_error=False):
    """Runs oss2's call, then ossauth's; compares results (and states) or exception classes."""
    r1, e1 = _run(theirs)
    if e1 is not None:
        with pytest.raises(type(e1)):
            ours()
        if check_state_on_error and state_theirs is not None:
            assert state_ours() == state_theirs(), "request state after %r differs" % (e1,)
        return e1
    r2 = ours()
    assert type(r2) is type(r1)
    assert r2 == r1
    if state_theirs is not None:
        s1, s2 = state_theirs(), state_ours()
        assert s2["headers_dict"] == s1["headers_dict"]
        assert s2["headers_items"] == s1["headers_items"]
        assert s2["params_items"] == s1["params_items"]
        assert s2 == s1
    return None


def effective_version(kind, version_arg):
    """The signing version an auth built by ``kind`` with ``version_arg`` ends up with."""
    if kind in ("provider", "direct"):
        return version_arg
    return {"v2": "v2", "v4": "v4"}.get(version_arg, "v1")


_PROVIDER_AUTH = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}
_DIRECT_AUTH = {"v1": "Auth", "v2": "AuthV2", "v4": "AuthV4"}


def make_auth_pair(kind, version_arg, creds):
    """(oss2 auth, ossauth auth) built the same way. May raise (then both must)."""
    ak, sk, token = creds

    def build(mod):
        if kind == "provider":
            return getattr(mod, _PROVIDER_AUTH[version_arg])(S.static_provider(mod, ak, sk, token))
        if kind == "direct":
            return getattr(mod, _DIRECT_AUTH[version_arg])(ak, sk)
        if kind == "make_auth":
            return mod.make_auth(ak, sk, version_arg)
        if kind == "sts":
            return mod.StsAuth(ak, sk, token, version_arg)
        raise AssertionError(kind)

    theirs, err = _run(lambda: build(oss2))
    if err is not None:
        with pytest.raises(type(err)):
            build(ossauth)
        return None
    return theirs, build(ossauth)


#: Version arguments for make_auth / StsAuth: anything but 'v2'/'v4' means V1.
VERSION_ARGS = {
    "v1": ["v1", "v3", "V2", "", None, "V4"],
    "v2": ["v2"],
    "v4": ["v4"],
}


@st.composite
def auth_choice(draw, version):
    kind = draw(st.sampled_from(["provider", "direct", "make_auth", "sts"]))
    if kind in ("provider", "direct"):
        version_arg = version
    else:
        version_arg = draw(st.sampled_from(VERSION_ARGS[version]))
    return kind, version_arg


def additional_call_args(kind, version, mode, addl):
    """(extra positional args, extra keyword args) for in_additional_headers."""
    supports = effective_version(kind, version) in ("v2", "v4") and kind != "sts"
    if not supports or mode == "omit":
        return (), {}
    # The very same object goes to both SDKs: a copied set may iterate in another order, and
    # oss2 joins the (intersected) set unsorted into V2's Authorization header.
    if mode == "positional":
        return (addl,), {}
    return (), {"in_additional_headers": addl}


addl_modes = st.sampled_from(["omit", "positional", "keyword"])


def _extra_snapshot(extra):
    args, kwargs = extra
    return [list(a) if a is not None else None for a in args], {
        k: (list(v) if v is not None else None) for k, v in kwargs.items()}


def sign_request_pair(a1, a2, spec, bucket, key, t, extra=((), {}), check_state_on_error=False):
    req1, req2 = build_request(spec), build_request(spec)
    snap1, snap2 = Snapshot(req1), Snapshot(req2)
    args, kwargs = extra
    args2, kwargs2 = args, kwargs
    before = _extra_snapshot(extra)

    def theirs():
        with frozen_time(t, oss2=True):
            return a1._sign_request(req1, copy.deepcopy(bucket), copy.deepcopy(key), *args, **kwargs)

    def ours():
        with frozen_time(t, oss2=True):
            return a2._sign_request(req2, copy.deepcopy(bucket), copy.deepcopy(key), *args2, **kwargs2)

    err = assert_same_outcome(theirs, ours, snap1.state, snap2.state, check_state_on_error)
    assert _extra_snapshot(extra) == before, "in_additional_headers was mutated"
    return err


def sign_url_pair(a1, a2, spec, bucket, key, expires, t, extra=((), {}), check_state_on_error=False):
    req1, req2 = build_request(spec), build_request(spec)
    snap1, snap2 = Snapshot(req1), Snapshot(req2)
    args, kwargs = extra
    args2, kwargs2 = args, kwargs
    before = _extra_snapshot(extra)

    def theirs():
        with frozen_time(t, oss2=True):
            return a1._sign_url(req1, copy.deepcopy(bucket), copy.deepcopy(key), expires, *args, **kwargs)

    def ours():
        with frozen_time(t, oss2=True):
            return a2._sign_url(req2, copy.deepcopy(bucket), copy.deepcopy(key), expires, *args2, **kwargs2)

    err = assert_same_outcome(theirs, ours, snap1.state, snap2.state, check_state_on_error)
    assert _extra_snapshot(extra) == before, "in_additional_headers was mutated"
    return err


def sign_rtmp_pair(a1, a2, url, bucket, channel, expires, params, t, check_state_on_error=False):
    p1, p2 = copy.deepcopy(params), copy.deepcopy(params)

    def theirs():
        with frozen_time(t, oss2=True):
            return a1._sign_rtmp_url(url, bucket, channel, expires, p1)

    def ours():
        with frozen_time(t, oss2=True):
            return a2._sign_rtmp_url(url, bucket, channel, expires, p2)

    def state(p):
        return lambda: {"params": None if p is None else list(p.items()), "type": type(p)}

    err = assert_same_outcome(theirs, ours, check_state_on_error=False)
    if err is None or check_state_on_error:
        # The caller's dict: filled in place when non-empty, left alone when empty (oss2 signs
        # into a fresh dict then).
        assert state(p2)() == state(p1)()
    return err


rtmp_urls = st.one_of(
    st.sampled_from(["rtmp://examplebucket.oss-cn-hangzhou.aliyuncs.com/live/test-channel",
                     "rtmp://b.oss-cn-hangzhou.aliyuncs.com/live/中文", ""]),
    S.rich_text,
)
channels = st.one_of(st.sampled_from(["test-channel", "", "中文频道", "a/b", "😀"]), S.rich_text)


# ============================================================================================
# Header signing, URL signing, RTMP — every auth flavour, every version
# ============================================================================================


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    data=st.data(),
    creds=S.credentials(),
    spec=S.request_specs(),
    bucket=S.buckets,
    key=S.keys,
    addl=S.additional_headers(),
    mode=addl_modes,
    t=S.instants,
)
def test_sign_request(version, data, creds, spec, bucket, key, addl, mode, t):
    kind, version_arg = data.draw(auth_choice(version), label="auth")
    pair = make_auth_pair(kind, version_arg, creds)
    if pair is None:
        return
    a1, a2 = pair
    assert a2.auth_version() == a1.auth_version()
    extra = additional_call_args(kind, version_arg, mode, addl)
    sign_request_pair(a1, a2, spec, bucket, key, t, extra)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    data=st.data(),
    creds=S.credentials(),
    spec=S.request_specs(),
    bucket=S.buckets,
    key=S.keys,
    addl=S.additional_headers(),
    mode=addl_modes,
    expires=S.expires_values,
    t=S.instants,
)
def test_sign_url(version, data, creds, spec, bucket, key, addl, mode, expires, t):
    kind, version_arg = data.draw(auth_choice(version), label="auth")
    pair = make_auth_pair(kind, version_arg, creds)
    if pair is None:
        return
    a1, a2 = pair
    extra = additional_call_args(kind, version_arg, mode, addl)
    sign_url_pair(a1, a2, spec, bucket, key, expires, t, extra)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    data=st.data(),
    creds=S.credentials(),
    url=rtmp_urls,
    bucket=S.buckets,
    channel=channels,
    expires=S.expires_values,
    params=S.rtmp_params(),
    t=S.instants,
)
@example(data=None, creds=("ak", "sk", ""), url="rtmp://b.oss-cn-hangzhou.aliyuncs.com/live/c",
         bucket="b", channel="c", expires=3600, params={}, t=1700000000).via("empty params, no token")
@example(data=None, creds=("ak", "sk", "tok"), url="rtmp://b.oss-cn-hangzhou.aliyuncs.com/live/c",
         bucket="b", channel="c", expires=3600, params={}, t=1700000000).via("empty params, token")
@example(data=None, creds=("ak", "sk", "tok"), url="rtmp://b/live/c", bucket="b", channel="c",
         expires=60, params={"playlistName": "playlist.m3u8"}, t=1700000000).via("playlistName")
def test_sign_rtmp_url(version, data, creds, url, bucket, channel, expires, params, t):
    if data is None:  # explicit @example: plain provider auth
        kind, version_arg = "provider", version
    else:
        kind, version_arg = data.draw(auth_choice(version), label="auth")
    pair = make_auth_pair(kind, version_arg, creds)
    if pair is None:
        return
    a1, a2 = pair
    sign_rtmp_pair(a1, a2, url, bucket, channel, expires, params, t)


@SETTINGS
@given(
    spec=S.request_specs(),
    bucket=S.buckets,
    key=S.keys,
    expires=S.expires_values,
    url=rtmp_urls,
    channel=channels,
    rparams=S.rtmp_params(),
    t=S.instants,
)
def test_anonymous_auth(spec, bucket, key, expires, url, channel, rparams, t):
    a1, a2 = oss2.AnonymousAuth(), ossauth.AnonymousAuth()
    assert a2.auth_version() == a1.auth_version() == ""
    sign_request_pair(a1, a2, spec, bucket, key, t)
    sign_url_pair(a1, a2, spec, bucket, key, expires, t)
    sign_rtmp_pair(a1, a2, url, bucket, channel, expires, rparams, t)


# ============================================================================================
# Specific quirks (deterministic, so they always run)
# ============================================================================================


class _FalsyStr(str):
    """A str that is false however long it is (oss2 writes `k=v` only for a truthy `v`)."""

    def __bool__(self):
        return False


def _spec(**kw):
    base = dict(method="GET", url="http://examplebucket.oss-cn-hangzhou.aliyuncs.com/k",
                params={}, headers={}, region="cn-hangzhou", product="oss", cloudbox_id=None)
    base.update(kw)
    return base


ALL_KINDS = [("provider", "v1"), ("direct", "v1"), ("make_auth", "v1"), ("sts", "v1"),
             ("provider", "v2"), ("direct", "v2"), ("make_auth", "v2"), ("sts", "v2"),
             ("provider", "v4"), ("direct", "v4"), ("make_auth", "v4"), ("sts", "v4")]


@pytest.mark.parametrize("kind,version", ALL_KINDS)
def test_auth_version(kind, version):
    a1, a2 = make_auth_pair(kind, version, ("ak", "sk", "tok"))
    assert a2.auth_version() == a1.auth_version() == version


@pytest.mark.parametrize("kind", ["provider", "direct", "make_auth", "sts"])
def test_v4_region_none(kind):
    """oss2 V4 ``_sign_request`` raises ClientError without a region; ``_sign_url`` does not."""
    a1, a2 = make_auth_pair(kind, "v4", ("ak", "sk", "tok"))
    spec = _spec(region=None, params={"acl": ""}, headers={"Content-Type": "text/plain"})
    err = sign_request_pair(a1, a2, spec, "examplebucket", "k", 1700000000)
    assert isinstance(err, oss2.exceptions.ClientError)
    err = sign_url_pair(a1, a2, spec, "examplebucket", "k", 60, 1700000000)
    assert err is None


@pytest.mark.parametrize("kind,version", [k for k in ALL_KINDS if k[1] != "v1"])
@pytest.mark.parametrize("op", ["request", "url"])
def test_none_param_value_v2_v4(kind, version, op):
    """oss2 V2/V4 raise TypeError on a None parameter value (V1 does not)."""
    a1, a2 = make_auth_pair(kind, version, ("ak", "sk", ""))
    spec = _spec(params={"acl": None, "prefix": "a"})
    if op == "request":
        err = sign_request_pair(a1, a2, spec, "examplebucket", "k", 1700000000)
    else:
        err = sign_url_pair(a1, a2, spec, "examplebucket", "k", 60, 1700000000)
    assert isinstance(err, TypeError)


@pytest.mark.parametrize("kind", ["provider", "direct", "make_auth", "sts"])
def test_none_param_value_v1(kind):
    a1, a2 = make_auth_pair(kind, "v1", ("ak", "sk", "tok"))
    spec = _spec(params={"acl": None, "prefix": None, "uploads": ""})
    assert sign_request_pair(a1, a2, spec, "examplebucket", "k", 1700000000) is None
    assert sign_url_pair(a1, a2, spec, "examplebucket", "k", 60, 1700000000) is None


@pytest.mark.parametrize("version", VERSIONS)
def test_every_v1_subresource(version):
    """Each of oss2's V1 sub-resources, alone, with a value, and mixed with other params."""
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", "tok"))
    for name in S.SUBRESOURCES:
        for params in ({name: ""}, {name: "v 1/+"}, {"zzz": "1", name: "x", "aaa": "", "prefix": "p"}):
            spec = _spec(params=params)
            assert sign_request_pair(a1, a2, spec, "examplebucket", "k", 1700000000) is None
            assert sign_url_pair(a1, a2, spec, "examplebucket", "k", 60, 1700000000) is None


@pytest.mark.parametrize("version", ["v2", "v4"])
def test_additional_headers_sharing_first_letter(version):
    """V4 sorts additional headers by first character only (stable); V2 joins a set as is."""
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", ""))
    hdrs = {"Range": "bytes=0-1", "Referer": "r", "rate": "1", "Host": "h", "x-oss-meta-a": "1",
            "Content-Type": "text/plain", "Cache-Control": "no", "content-md5": "m"}
    spec = _spec(headers=hdrs)
    for addl in (["rate", "Range", "referer"], ["referer", "range", "rate"], ["Referer", "RANGE"],
                 ["host", "range", "Cache-Control", "cache-control", "rate", "content-md5"],
                 {"range", "referer", "rate", "host"}, ("x-oss-meta-a", "Content-Type", "range"),
                 ["not-present", "range", "nope"], frozenset(["range", "RANGE", "Range"])):
        assert sign_request_pair(a1, a2, spec, "examplebucket", "k", 1700000000, ((addl,), {})) is None
        assert sign_url_pair(a1, a2, spec, "examplebucket", "k", 60, 1700000000, ((addl,), {})) is None


def _boundary_instants():
    out = []
    for year in range(1971, 2100):
        jan1 = calendar.timegm((year, 1, 1, 0, 0, 0))
        out += [jan1 - 1, jan1 - 0.000001, jan1, jan1 + 0.5, jan1 + 1]
        mid = calendar.timegm((year, 6, 30, 0, 0, 0))
        out += [mid - 1, mid]
    out.append(dt.datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=dt.timezone.utc))
    out.append(dt.datetime(2024, 1, 1, 7, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    out.append(dt.datetime(2023, 12, 31, 16, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8))))
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_year_and_midnight_boundaries(version):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", "tok"))
    spec = _spec(params={"acl": "", "x": "1"}, headers={"Content-Type": "text/plain", "x-oss-meta-a": "b"})
    for t in _boundary_instants():
        assert sign_request_pair(a1, a2, spec, "examplebucket", "dir/k", t) is None
        assert sign_url_pair(a1, a2, spec, "examplebucket", "dir/k", 3600, t) is None
        assert sign_rtmp_pair(a1, a2, "rtmp://x/live/c", "examplebucket", "c", 3600,
                              {"playlistName": "p.m3u8"}, t) is None


def test_frozen_time_pins_oss2():
    """Guards the harness itself: with different instants the signatures must differ."""
    a1 = oss2.AuthV4("ak", "sk")
    r1, r2 = build_request(_spec()), build_request(_spec())
    with frozen_time(1700000000, oss2=True):
        a1._sign_request(r1, "b", "k")
    with frozen_time(1700000001, oss2=True):
        a1._sign_request(r2, "b", "k")
    assert r1.headers["x-oss-date"] == "20231114T221320Z"
    assert r1.headers["authorization"] != r2.headers["authorization"]


@pytest.mark.parametrize("version_arg", ["v1", "v2", "v4", "v3", None])
@pytest.mark.parametrize("pad", S.PY_WHITESPACE + S.NOT_WHITESPACE)
def test_make_auth_and_auth_strip(version_arg, pad):
    """make_auth / Auth* strip the id and secret with Python's str.strip()."""
    creds = (pad + "ak" + pad, pad + "sk" + pad, "")
    spec = _spec(params={"acl": ""})
    kinds = ["make_auth"] + (["direct"] if version_arg in ("v1", "v2", "v4") else [])
    for kind in kinds:
        a1, a2 = make_auth_pair(kind, version_arg, creds)
        assert sign_request_pair(a1, a2, spec, "b", "k", 1700000000) is None
        assert sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000) is None


@pytest.mark.parametrize("kind,version", [k for k in ALL_KINDS if k[1] == "v1" or k[0] == "sts"])
def test_no_additional_headers_argument(kind, version):
    """V1 auths and StsAuth take no in_additional_headers, in oss2 as in ossauth."""
    a1, a2 = make_auth_pair(kind, version, ("ak", "sk", "tok"))
    err = sign_request_pair(a1, a2, _spec(), "b", "k", 1700000000, ((["range"],), {}))
    assert isinstance(err, TypeError)
    err = sign_url_pair(a1, a2, _spec(), "b", "k", 60, 1700000000, ((), {"in_additional_headers": ["range"]}))
    assert isinstance(err, TypeError)


# ============================================================================================
# Providers across SDKs
# ============================================================================================


class CustomProvider(object):
    """Any object with ``get_credentials()``."""

    def __init__(self, ak, sk, token):
        self._c = GetterCredentials(ak, sk, token)

    def get_credentials(self):
        return self._c


class RotatingProvider(object):
    """Returns different credentials on each call and counts the calls."""

    def __init__(self, creds_list):
        self.creds_list = creds_list
        self.calls = 0

    def get_credentials(self):
        c = self.creds_list[self.calls % len(self.creds_list)]
        self.calls += 1
        return oss2.credentials.Credentials(*c)


def ossauth_static_provider(ak, sk, token, style):
    if style == "positional":
        return S.static_provider(ossauth, ak, sk, token)
    if style == "keyword":
        return S.static_provider(ossauth, access_key_id=ak, access_key_secret=sk, security_token=token)
    # no token argument at all
    return S.static_provider(ossauth, ak, sk)


def _op_pair(op, a1, a2, spec, bucket, key, expires, t, addl, version):
    extra = ((), {}) if (addl is None or version == "v1") else ((addl,), {})
    if op == "request":
        sign_request_pair(a1, a2, spec, bucket, key, t, extra)
    elif op == "url":
        sign_url_pair(a1, a2, spec, bucket, key, expires, t, extra)
    else:
        sign_rtmp_pair(a1, a2, "rtmp://b.oss-cn-hangzhou.aliyuncs.com/live/c", bucket, "c", expires,
                       copy.deepcopy(spec["params"]), t)


ops = st.sampled_from(["request", "url", "rtmp"])


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    ak=S.access_key_ids, sk=S.access_key_secrets,
    token=st.one_of(st.just(""), st.sampled_from(["tok", "CAIS+t/o=k", "中文"]), S.rich_text),
    style=st.sampled_from(["positional", "keyword", "no-token"]),
    op=ops, spec=S.request_specs(), bucket=S.buckets, key=S.keys,
    expires=S.expires_values, addl=S.additional_headers(), t=S.instants,
)
def test_ossauth_provider_inside_oss2_auth(version, ak, sk, token, style, op, spec, bucket, key, expires, addl, t):
    """ossauth.StaticCredentialsProvider inside oss2's own ProviderAuth* == oss2's provider."""
    if style == "no-token":
        token = ""
    cls = getattr(oss2, _PROVIDER_AUTH[version])
    a1 = cls(oss2.StaticCredentialsProvider(ak, sk, token))
    a2 = cls(ossauth_static_provider(ak, sk, token, style))
    _op_pair(op, a1, a2, spec, bucket, key, expires, t, addl, version)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    creds=S.credentials(),
    provider_kind=st.sampled_from(["oss2-static", "custom", "oss2-static-no-token"]),
    op=ops, spec=S.request_specs(), bucket=S.buckets, key=S.keys,
    expires=S.expires_values, addl=S.additional_headers(), t=S.instants,
)
def test_ossauth_auth_with_foreign_provider(version, creds, provider_kind, op, spec, bucket, key, expires, addl, t):
    """ossauth's ProviderAuth* with oss2's provider / a duck-typed provider == oss2 throughout."""
    ak, sk, token = creds
    if provider_kind == "oss2-static-no-token":
        provider = oss2.StaticCredentialsProvider(ak, sk)
        token = ""
    elif provider_kind == "oss2-static":
        provider = oss2.StaticCredentialsProvider(ak, sk, token)
    else:
        provider = CustomProvider(ak, sk, token)
    a1 = getattr(oss2, _PROVIDER_AUTH[version])(oss2.StaticCredentialsProvider(ak, sk, token))
    a2 = getattr(ossauth, _PROVIDER_AUTH[version])(provider)
    _op_pair(op, a1, a2, spec, bucket, key, expires, t, addl, version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("op", ["request", "url", "rtmp"])
def test_provider_called_once_per_signature(version, op):
    """oss2 asks the provider once per signature; with rotating credentials this shows."""
    creds = [("ak1", "sk1", "tok1"), ("ak2", "sk2", ""), ("ak3", "sk3", "tok3")]
    p1, p2 = RotatingProvider(creds), RotatingProvider(creds)
    a1 = getattr(oss2, _PROVIDER_AUTH[version])(p1)
    a2 = getattr(ossauth, _PROVIDER_AUTH[version])(p2)
    spec = _spec(params={"acl": "", "playlistName": "p"}, headers={"x-oss-meta-a": "1"})
    for i in range(4):
        _op_pair(op, a1, a2, spec, "b", "k", 60, 1700000000 + i, None, version)
        assert p2.calls == p1.calls == i + 1


# ============================================================================================
# State left behind when signing fails, and non-str values
# ============================================================================================


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    creds=S.credentials(),
    spec=S.request_specs(allow_none_params=True),
    bucket=S.buckets,
    key=S.keys,
    addl=S.additional_headers(),
    expires=S.expires_values,
    op=ops,
    t=S.instants,
)
def test_request_state_after_error(version, creds, spec, bucket, key, addl, expires, op, t):
    """Where oss2 fails half-way (None values, None key, product None, region None, ...), the
    request / params it leaves behind (headers already set) must be the same in ossauth."""
    pair = make_auth_pair("provider", version, creds)
    a1, a2 = pair
    extra = ((), {}) if (addl is None or version == "v1") else ((addl,), {})
    if op == "request":
        sign_request_pair(a1, a2, spec, bucket, key, t, extra, check_state_on_error=True)
    elif op == "url":
        sign_url_pair(a1, a2, spec, bucket, key, expires, t, extra, check_state_on_error=True)
    else:
        sign_rtmp_pair(a1, a2, "rtmp://x/live/c", bucket, "c", expires, spec["params"], t,
                       check_state_on_error=True)


exotic_values = st.one_of(
    st.none(), st.just(b""), st.just(b"bytes value"), st.just("\u00e9".encode("utf-8")),
    st.just(0), st.just(1), S.header_values,
)
exotic_param_keys = st.one_of(S.param_names, st.just(b"acl"), st.just(b"prefix"), st.just(0), st.just(7))


@st.composite
def exotic_specs(draw):
    spec = draw(S.request_specs(region_none_ok=False))
    extra_headers = draw(st.lists(st.tuples(S.header_names, exotic_values), max_size=3))
    spec["headers"] = dict(list(spec["headers"].items()) + extra_headers)
    extra_params = draw(st.lists(st.tuples(exotic_param_keys, exotic_values), max_size=3))
    spec["params"] = dict(list(spec["params"].items()) + extra_params)
    return spec


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    creds=S.credentials(),
    spec=exotic_specs(),
    bucket=S.buckets,
    key=S.keys,
    addl=S.additional_headers(),
    expires=S.expires_values,
    op=ops,
    t=S.instants,
)
def test_non_str_header_and_param_values(version, creds, spec, bucket, key, addl, expires, op, t):
    """bytes / None / int header values and param keys/values: same result or same exception."""
    a1, a2 = make_auth_pair("provider", version, creds)
    _op_pair(op, a1, a2, spec, bucket, key, expires, t, addl, version)


# Deterministic versions of the non-str edge cases above, so they run on every invocation.
EDGE_SPECS = [
    ("content-type None", _spec(headers={"Content-Type": None})),
    ("content-md5 int", _spec(headers={"Content-MD5": 1})),
    ("content-type bytes", _spec(headers={"Content-Type": b"text/plain"})),
    ("content-md5 bytes", _spec(headers={"Content-MD5": b"1B2M2Y8AsgTpgAmY7PhCfg=="})),
    ("x-oss header bytes", _spec(headers={"x-oss-meta-a": b"\xc3\xa9"})),
    ("x-oss header None", _spec(headers={"x-oss-meta-a": None})),
    ("bytes param key", _spec(params={b"prefix": "x"})),
    ("bytes subresource key", _spec(params={b"acl": "x"})),
    ("int param key", _spec(params={0: "x"})),
    ("str and bytes names alike", _spec(params={"prefix": "1", b"prefix": "2", b"acl": "", "acl": "x"})),
    ("bytes param value", _spec(params={"acl": b"x", "prefix": b"y"})),
    ("int param value", _spec(params={"acl": 0, "prefix": 5})),
    ("product None", _spec(product=None)),
    # A str without a UTF-8 form (lone surrogate) next to a type error: which error comes first.
    ("surrogate header then int header", _spec(headers={"Content-Type": "\ud800", "x-oss-meta-a": 5})),
    ("int header then surrogate header", _spec(headers={"x-oss-meta-a": 5, "x-oss-meta-b": "\ud800"})),
    ("surrogate x-oss header", _spec(headers={"x-oss-meta-b": "\ud800"})),
    ("surrogate md5 then int type", _spec(headers={"Content-MD5": "\ud800", "Content-Type": 5})),
    ("int md5 then surrogate type", _spec(headers={"Content-MD5": 5, "Content-Type": "\ud800"})),
    ("surrogate subresource then int param", _spec(params={"acl": "\ud800", "uploadId": 5})),
    ("int param name, surrogate value", _spec(params={1: "\ud800"})),
    # A str subclass whose truth is not its length: `k` or `k=v` in a presigned URL.
    ("str subclass falsy param value", _spec(params={"p": _FalsyStr("v"), "prefix": "x"})),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("label,spec", EDGE_SPECS, ids=[e[0] for e in EDGE_SPECS])
def test_edge_cases_deterministic(version, op, label, spec):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", "tok"))
    if op == "request":
        sign_request_pair(a1, a2, spec, "b", "k", 1700000000)
    else:
        sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("params", [{"a": "1", b"b": "2"}, {b"playlistName": b"p"}, {0: "x", 1: "y"},
                                    {"playlistName": None}, {"playlistName": 0}, None],
                         ids=["mixed-str-bytes-keys", "bytes-only", "int-keys", "None-value",
                              "int-value", "params-None"])
@pytest.mark.parametrize("token", ["", "tok"])
def test_rtmp_edge_cases_deterministic(version, params, token):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", token))
    sign_rtmp_pair(a1, a2, "rtmp://b/live/c", "b", "c", 60, params, 1700000000)


@pytest.mark.parametrize("op", ["request", "url"])
def test_v4_product_none_state_after_error(op):
    """oss2 V4 with product=None fails building the scope, after having written x-oss-date etc."""
    a1, a2 = make_auth_pair("provider", "v4", ("ak", "sk", "tok"))
    spec = _spec(product=None, params={"acl": ""})
    if op == "request":
        err = sign_request_pair(a1, a2, spec, "b", "k", 1700000000, check_state_on_error=True)
    else:
        err = sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000, check_state_on_error=True)
    assert isinstance(err, TypeError)


# The order of V2's AdditionalHeaders list is the iteration order of a Python set
# intersection, which depends on which side is smaller and on hash collisions. Sweep both.
ADDL_NAMES = ["Range", "If-Modified-Since", "X-Custom-A", "x-custom-b", "Cache-Control", "Expires",
              "Content-Disposition", "Content-Encoding", "Origin", "Accept", "If-Match", "Host"]


@pytest.mark.parametrize("n_wanted", [1, 2, 3, 5, 8, 12])
@pytest.mark.parametrize("n_present", [0, 1, 2, 4, 7, 12])
@pytest.mark.parametrize("version", ["v2", "v4"])
@pytest.mark.parametrize("op", ["request", "url"])
def test_additional_header_order_sweep(n_wanted, n_present, version, op):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", ""))
    headers = {name.upper() if i % 2 else name: "v%d" % i for i, name in enumerate(reversed(ADDL_NAMES[:n_present]))}
    spec = _spec(headers=headers)
    wanted = ([n.lower() if i % 3 else n for i, n in enumerate(ADDL_NAMES[:n_wanted])],)
    if op == "request":
        sign_request_pair(a1, a2, spec, "b", "k", 1700000000, extra=(wanted, {}))
        sign_request_pair(a1, a2, spec, "b", "k", 1700000000)  # V2's default set
    else:
        sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000, extra=(wanted, {}))


# ============================================================================================
# Parity edges (issue 10, class 9): how the mappings are read, byte buffers, lone surrogates
# ============================================================================================


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    creds=S.credentials(),
    spec=S.edge_request_specs(),
    bucket=S.buckets,
    key=st.one_of(S.keys, S.surrogate_text),
    addl=S.edge_additional_headers,
    expires=S.expires_values,
    op=st.sampled_from(["request", "url"]),
    t=S.instants,
)
def test_parity_edges(version, creds, spec, bucket, key, addl, expires, op, t):
    """OrderedDicts reordered with move_to_end, dict subclasses overriding iteration, a
    CaseInsensitiveDict subclass, bytearray / memoryview values and lone surrogates in names,
    values and the key: the same URL, headers and parameters as oss2, or the same exception."""
    a1, a2 = make_auth_pair("provider", version, creds)
    _op_pair(op, a1, a2, spec, bucket, key, expires, t, addl, version)


def _moved():
    return S.MappingSpec("ordered", [("uploadId", "1"), ("partNumber", "2"), ("acl", ""), ("prefix", "p")],
                         [(0, True), (3, False)])


PARITY_SPECS = [
    ("OrderedDict after move_to_end", _spec(params=_moved())),
    ("dict subclass iterating backwards", _spec(params=S.MappingSpec(
        "reversed", [("uploadId", "1"), ("partNumber", "2"), ("z", "3")]))),
    ("dict subclass with sorted list items", _spec(params=S.MappingSpec(
        "sorted_items", [("z", "1"), ("acl", ""), ("b", "2")]))),
    ("CaseInsensitiveDict subclass", _spec(headers=S.MappingSpec(
        "reversed_headers", [("x-oss-meta-a", "1"), ("Content-Type", "t"), ("X-Oss-Meta-B", "2")]))),
    ("bytearray header", _spec(headers={"x-oss-meta-a": S.BufferSpec("bytearray", b"\xc3\xa9")})),
    ("memoryview header", _spec(headers={"x-oss-meta-a": S.BufferSpec("memoryview", b"abc")})),
    ("memoryview header, format H", _spec(headers={"x-oss-meta-a": S.BufferSpec("memoryview", b"abcd", "H")})),
    ("non-contiguous memoryview header", _spec(headers={"x-oss-meta-a": S.BufferSpec("memoryview", b"abcd", "B", 2)})),
    ("bytearray content-type", _spec(headers={"Content-Type": S.BufferSpec("bytearray", b"t")})),
    ("bytearray param", _spec(params={"prefix": S.BufferSpec("bytearray", b"a b")})),
    ("memoryview param", _spec(params={"prefix": S.BufferSpec("memoryview", b"a/b")})),
    ("bytearray subresource", _spec(params={"acl": S.BufferSpec("bytearray", b"x")})),
    ("surrogate in an unsigned header name", _spec(headers={"X-Other-\ud800": "v"})),
    ("surrogate in a signed header name", _spec(headers={"x-oss-meta-\ud800": "v"})),
    ("surrogate in a param name", _spec(params={"a\udfffb": "v", "acl": ""})),
    ("surrogate in a param value", _spec(params={"prefix": "\ud800"})),
    ("surrogate in a subresource value", _spec(params={"acl": "\ud800"})),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("label,spec", PARITY_SPECS, ids=[e[0] for e in PARITY_SPECS])
def test_parity_edges_deterministic(version, op, label, spec):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", "tok"))
    if op == "request":
        sign_request_pair(a1, a2, spec, "b", "k", 1700000000)
    else:
        sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000)


@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("value", [S.BufferSpec("memoryview", b"abc", "B", 2), S.BufferSpec("memoryview", b"", "B", 2),
                                   S.BufferSpec("memoryview", b"ab", "H"), None, "v"],
                         ids=["non-contiguous memoryview", "empty non-contiguous memoryview", "memoryview format H",
                              "None", "str"])
@pytest.mark.parametrize("name", ["X-Other-\ud800", "a\udc80", "x\udc80y"])
def test_v4_surrogate_additional_name_and_signed_value(op, value, name):
    """V4 URLs: oss2 writes the present additional header names, one without a UTF-8 form
    included, into ``x-oss-additional-headers`` and fails encoding the query
    (UnicodeEncodeError) before it concatenates any header value (a TypeError for a value
    that is no C-contiguous buffer, as ``b'...' + value`` raises). Found in CI as
    test_parity_edges[v4] with op=url; ossauth used to raise the header's TypeError."""
    a1, a2 = make_auth_pair("provider", "v4", ("ak", "sk", "tok"))
    spec = _spec(headers={name: "v", "x-oss-meta-z": value, "Range": "bytes=0-1"})
    for addl in ([name], [name, "range", "x-oss-meta-z"], {name, "Content-Type"}):
        if op == "request":
            sign_request_pair(a1, a2, spec, "b", "k", 1700000000, extra=((addl,), {}), check_state_on_error=True)
        else:
            err = sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000, extra=((addl,), {}),
                                check_state_on_error=True)
            assert isinstance(err, UnicodeEncodeError)


@pytest.mark.parametrize("version", ["v2", "v4"])
@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("names", [["X-Other-\ud800"], ["x-oss-meta-\ud800"], ["range", "\udc80"]],
                         ids=["unsigned", "x-oss", "mixed"])
def test_surrogate_additional_header_names(version, op, names):
    a1, a2 = make_auth_pair("provider", version, ("ak", "sk", ""))
    spec = _spec(headers={"Range": "bytes=0-1", "X-Other-\ud800": "v"})
    if op == "request":
        sign_request_pair(a1, a2, spec, "b", "k", 1700000000, extra=((names,), {}))
    else:
        sign_url_pair(a1, a2, spec, "b", "k", 60, 1700000000, extra=((names,), {}))
