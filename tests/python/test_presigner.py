"""``ossauth.Presigner`` against the reference: for the same arguments, credentials and instant,
``sign_url`` returns exactly what ``oss2.Bucket(...).sign_url`` returns with oss2's own auth (or
raises the same exception class), for V1, V2, V4 and anonymous, with and without STS tokens, and
every endpoint form oss2 accepts; ``sign_urls`` equals a list of ``sign_url`` calls."""

import copy
import os
import sys

import oss2
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import strategies as S  # noqa: E402

import ossauth  # noqa: E402
from ossauth.testing import frozen_time  # noqa: E402

T = 1_700_000_000

ENDPOINTS = [
    "oss-cn-hangzhou.aliyuncs.com",
    "https://oss-cn-hangzhou.aliyuncs.com",
    "http://oss-cn-hangzhou-internal.aliyuncs.com",
    "  HTTPS://OSS-CN-Hangzhou.Aliyuncs.com:443  ",
    "https://oss-cn-hangzhou.aliyuncs.com/ignored/path",
    "cn-hangzhou.oss.aliyuncs.com",
    "cdn.example.com",
    "https://cdn.example.com:8443",
    "127.0.0.1",
    "127.0.0.1:9000",
    "http://10.0.0.1:80",
    "localhost",
    "https://localhost:8443",
    "1.2",
    "https://[::1]:8443",
    "bad endpoint!",
    "例子.com",
    "cb-1.cn-hangzhou.oss-cloudbox.aliyuncs.com",
    "http://x:99999",
]
BUCKET_NAMES = ["examplebucket", "my-bucket-01", " padded-bucket ", "abc", "Bad", "ab", "a" * 64,
                "bucket.with.dots", "-dash", "dash-"]


def _pair(kind, version, creds):
    """(oss2's auth, ossauth's auth) of one kind."""
    ak, sk, token = creds
    if kind == "anonymous":
        return oss2.AnonymousAuth(), ossauth.AnonymousAuth()
    if kind == "sts":
        return oss2.StsAuth(ak, sk, token, version), ossauth.StsAuth(ak, sk, token, version)
    if kind == "provider":
        cls = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}[version]
        return (getattr(oss2, cls)(oss2.StaticCredentialsProvider(ak, sk, token)),
                getattr(ossauth, cls)(S.static_provider(ossauth, ak, sk, token)))
    return oss2.make_auth(ak, sk, version), ossauth.make_auth(ak, sk, version)


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return ("raised", type(e))


@st.composite
def setups(draw):
    kind = draw(st.sampled_from(["plain", "provider", "sts", "anonymous"]))
    version = draw(st.sampled_from(["v1", "v2", "v4"]))
    creds = draw(st.one_of(
        st.just(("LTAI5tExampleId", "secret", None)),
        st.just(("STS.Example", "secret", "CAIS+token/with=chars")),
        S.credentials(),
    ))
    if kind == "sts" and creds[2] is None:
        creds = (creds[0], creds[1], "")
    return dict(
        kind=kind, version=version, creds=creds,
        endpoint=draw(st.one_of(st.sampled_from(ENDPOINTS), S.rich_text)),
        bucket=draw(st.one_of(st.sampled_from(BUCKET_NAMES), S.rich_text)),
        is_cname=draw(st.booleans()),
        is_path_style=draw(st.booleans()),
        region=draw(st.sampled_from([None, "cn-hangzhou", "", "us-west-1"])),
        cloudbox_id=draw(st.sampled_from([None, None, "cb-f8z7yvzgwfkl9q0h", ""])),
        strict=draw(st.booleans()),
    )


def _build(s):
    theirs, ours = _pair(s["kind"], s["version"], s["creds"])
    kw = dict(is_cname=s["is_cname"], region=s["region"], cloudbox_id=s["cloudbox_id"],
              is_path_style=s["is_path_style"], is_verify_object_strict=s["strict"])
    ref = _outcome(lambda: oss2.Bucket(theirs, s["endpoint"], s["bucket"], **kw))
    got = _outcome(lambda: ossauth.Presigner(ours, s["endpoint"], s["bucket"], **kw))
    assert ref[0] == got[0], (ref, got)
    if ref[0] == "raised":
        assert got[1] is ref[1], (ref, got)
        return None, None
    return ref[1], got[1]


keys = st.one_of(
    S.keys,
    S.keys.filter(lambda k: k is not None).map(lambda k: k.encode("utf-8")),
    st.sampled_from(["?starts", "  ", "\x1c", b" \t", b"\x1c", b"\xff\xfe", "a\ud800b", 5, bytearray(b"k")]),
    S.padded(S.rich_text),
)
expires = st.one_of(st.sampled_from([60, 3600, 0, -5, 604800, 604801, 10**7, 2**62]), st.integers(-10**6, 10**9))


@st.composite
def calls(draw):
    additional = draw(S.additional_headers())
    return dict(
        method=draw(S.methods),
        key=draw(keys),
        expires=draw(expires),
        headers=draw(st.one_of(st.none(), S.headers(), st.just({}))),
        params=draw(st.one_of(st.none(), S.params(), st.just({}))),
        slash_safe=draw(st.sampled_from([False, True, 1, None])),
        additional_headers=additional,
    )


def _sign(target, c, key=None):
    c = copy.deepcopy(c)
    key = c.pop("key") if key is None else key
    c.pop("key", None)
    return target.sign_url(c.pop("method"), key, c.pop("expires"), **c)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(setups(), calls())
def test_sign_url_equals_oss2s(s, c):
    bucket, presigner = _build(s)
    if bucket is None:
        return
    with frozen_time(T, oss2=True):
        ref = _outcome(lambda: _sign(bucket, c))
        got = _outcome(lambda: _sign(presigner, c))
    assert got == ref, (s, c)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(setups(), calls(), st.lists(keys, max_size=6), st.sampled_from([None, 1, 2, 3]))
def test_sign_urls_equals_sign_url_each(s, c, batch, threads):
    bucket, presigner = _build(s)
    if bucket is None:
        return
    c = dict(c, key=None)
    with frozen_time(T, oss2=True):
        ref = [_outcome(lambda k=k: _sign(bucket, c, key=k)) for k in batch]
        got = _outcome(lambda: presigner.sign_urls(
            c["method"], list(batch), c["expires"], headers=copy.deepcopy(c["headers"]),
            params=copy.deepcopy(c["params"]), slash_safe=c["slash_safe"],
            additional_headers=copy.deepcopy(c["additional_headers"]), threads=threads))
    failed = [r for r in ref if r[0] == "raised"]
    if failed:
        # The first key oss2 refuses decides (keys that are not str or bytes are a TypeError).
        assert got[0] == "raised", (ref, got)
        if all(isinstance(k, (str, bytes)) for k in batch):
            assert got[1] is failed[0][1], (ref, got)
    else:
        assert got == ("ok", [r[1] for r in ref])


class _Watched(ossauth.Presigner):
    """Counts the calls that leave the Rust path."""

    general_calls = 0

    def _sign_url_general(self, *args):
        _Watched.general_calls += 1
        return super()._sign_url_general(*args)


SIGNER_PARAMS = set(S.SIGNER_PARAMS) | {"x-oss-content-sha256"}
ascii_names = st.one_of(
    st.sampled_from([n for n in S.HEADER_NAMES if n.isascii() and n]),
    st.builds(lambda p, s: p + s, st.sampled_from(["x-oss-meta-", "X-OSS-META-", "x-oss-"]),
              st.text(alphabet="abcXYZ-_09", max_size=5)),
)
plain_keys = st.one_of(
    S.keys.filter(lambda k: k is not None),
    S.keys.filter(lambda k: k is not None).map(lambda k: k.encode("utf-8")),
    st.sampled_from(["?starts", "  ", "\x1c", b" \t", b"\x1c", "\u3000"]),
)


@st.composite
def plain_calls(draw, version, kind):
    headers = draw(st.dictionaries(ascii_names, S.header_values, max_size=6))
    params = draw(st.dictionaries(S.param_names.filter(lambda n: n not in SIGNER_PARAMS),
                                  S.param_values_str, max_size=6))
    additional = None
    if version != "v1" and kind in ("plain", "provider") and draw(st.booleans()):
        names = draw(st.lists(st.one_of(st.sampled_from([n for n in S.ADDITIONAL_NAMES if n.isascii()]),
                                        ascii_names), max_size=4))
        names = [n for n in names if n.lower() not in ("accept-encoding", "user-agent")]
        present = {n.lower() for n in names} & {h.lower() for h in headers}
        if version == "v2" and len(present) > 1:
            names = names[:0]
        if "" in present:
            names = [n for n in names if n]
        additional = draw(st.sampled_from([list, tuple, set]))(names)
    return dict(method=draw(S.methods), key=draw(plain_keys), expires=draw(expires), headers=headers,
                params=params, slash_safe=draw(st.booleans()), additional_headers=additional)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(setups(), st.data())
def test_plain_arguments_are_signed_in_rust_equal_to_oss2(s, data):
    theirs, ours = _pair(s["kind"], s["version"], s["creds"])
    args = ("https://oss-cn-hangzhou.aliyuncs.com", "examplebucket")
    kw = dict(region=s["region"], cloudbox_id=s["cloudbox_id"], is_verify_object_strict=s["strict"])
    bucket, presigner = oss2.Bucket(theirs, *args, **kw), _Watched(ours, *args, **kw)
    c = data.draw(plain_calls(s["version"], s["kind"]))
    before = _Watched.general_calls
    with frozen_time(T, oss2=True):
        ref = _outcome(lambda: _sign(bucket, c))
        ref_x = _outcome(lambda: _sign(bucket, c, key="x"))
        got = _outcome(lambda: _sign(presigner, c))
        many = _outcome(lambda: presigner.sign_urls(c["method"], [c["key"], "x"], c["expires"],
                                                    **{k: c[k] for k in ("headers", "params", "slash_safe",
                                                                         "additional_headers")}))
    assert got == ref, (s, c)
    if ref[0] == "ok":
        assert many == ("ok", [ref[1], ref_x[1]])
    assert _Watched.general_calls == before, "left the Rust path: %r" % (c,)


def _hangzhou(version="v4", token=None, **kw):
    oss2_auth = oss2.StsAuth("LTAI5tId", "sec", token, version) if token else oss2.make_auth("LTAI5tId", "sec", version)
    ours = ossauth.StsAuth("LTAI5tId", "sec", token, version) if token else ossauth.make_auth("LTAI5tId", "sec", version)
    args = ("https://oss-cn-hangzhou.aliyuncs.com", "examplebucket")
    return (oss2.Bucket(oss2_auth, *args, region="cn-hangzhou", **kw),
            ossauth.Presigner(ours, *args, region="cn-hangzhou", **kw))


@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("token", [None, "CAIS+tok/en="])
@pytest.mark.parametrize("threads", [1, 2, None])
def test_large_batches_split_across_threads_keep_order(version, token, threads):
    bucket, presigner = _hangzhou(version, token)
    names = ["photos/%05d/é %d.jpg" % (i, i) for i in range(20000)]
    names[7] = names[7].encode("utf-8")
    with frozen_time(T, oss2=True):
        got = presigner.sign_urls("GET", iter(names), 3600, threads=threads)
        for i in [0, 7, 4095, 4096, 8191, 8192, 12345, 19999]:
            assert got[i] == bucket.sign_url("GET", names[i], 3600), i
    assert len(got) == len(names) and len(set(got)) == len(names)


def test_credentials_are_read_once_per_batch_and_once_per_url():
    class Counting:
        calls = 0

        def get_credentials(self):
            Counting.calls += 1
            return oss2.credentials.Credentials("LTAI5tId", "sec", "tok")

    presigner = ossauth.Presigner(ossauth.ProviderAuthV4(Counting()), "oss-cn-hangzhou.aliyuncs.com",
                                  "examplebucket", region="cn-hangzhou")
    ref = oss2.Bucket(oss2.ProviderAuthV4(oss2.StaticCredentialsProvider("LTAI5tId", "sec", "tok")),
                      "oss-cn-hangzhou.aliyuncs.com", "examplebucket", region="cn-hangzhou")
    with frozen_time(T, oss2=True):
        urls = presigner.sign_urls("GET", ["k%d" % i for i in range(10000)], 60)
        assert Counting.calls == 1
        assert presigner.sign_url("GET", "k1", 60) == urls[1] == ref.sign_url("GET", "k1", 60)
        assert Counting.calls == 2
    assert presigner.sign_urls("GET", [], 60) == []


def test_rotated_credentials_are_used_at_once():
    provider = ossauth.StaticCredentialsProvider("LTAI5tOld", "old")
    presigner = ossauth.Presigner(ossauth.ProviderAuthV4(provider), "oss-cn-hangzhou.aliyuncs.com",
                                  "examplebucket", region="cn-hangzhou")
    with frozen_time(T, oss2=True):
        first = presigner.sign_url("GET", "k", 60)
        presigner.auth.credentials_provider = ossauth.StaticCredentialsProvider("LTAI5tNew", "new")
        second = presigner.sign_url("GET", "k", 60)
        ref = oss2.Bucket(oss2.AuthV4("LTAI5tNew", "new"), "oss-cn-hangzhou.aliyuncs.com", "examplebucket",
                          region="cn-hangzhou").sign_url("GET", "k", 60)
    assert "LTAI5tOld" in first and second == ref


def test_from_bucket_takes_the_buckets_settings():
    for kw in [dict(), dict(is_cname=True), dict(is_path_style=True), dict(cloudbox_id="cb-1"),
               dict(is_verify_object_strict=False)]:
        for auth in [ossauth.Auth("LTAI5tId", "sec"), ossauth.AuthV4("LTAI5tId", "sec"), ossauth.AnonymousAuth(),
                     ossauth.StsAuth("LTAI5tId", "sec", "tok", "v2")]:
            bucket = oss2.Bucket(auth, " HTTPS://OSS-cn-hangzhou.aliyuncs.com ", " examplebucket ",
                                 region="cn-hangzhou", **kw)
            presigner = ossauth.Presigner.from_bucket(bucket)
            with frozen_time(T, oss2=True):
                for key in ["a/b c.txt", "?q"]:
                    ref = _outcome(lambda: bucket.sign_url("GET", key, 60, slash_safe=True))
                    assert _outcome(lambda: presigner.sign_url("GET", key, 60, slash_safe=True)) == ref


def test_from_bucket_and_constructor_refuse_other_auths_clearly():
    bucket = oss2.Bucket(oss2.AuthV4("LTAI5tId", "sec"), "oss-cn-hangzhou.aliyuncs.com", "examplebucket")
    with pytest.raises(TypeError, match=r"ossauth auth object .*oss2\.auth\.AuthV4"):
        ossauth.Presigner.from_bucket(bucket)
    with pytest.raises(TypeError, match="takes an oss2.Bucket, not str"):
        ossauth.Presigner.from_bucket("examplebucket")
    with pytest.raises(TypeError, match="ossauth auth object"):
        ossauth.Presigner(oss2.Auth("LTAI5tId", "sec"), "oss-cn-hangzhou.aliyuncs.com", "examplebucket")


def test_secrets_stay_out_of_repr_and_errors():
    presigner = ossauth.Presigner(ossauth.StsAuth("LTAI5tId", "SECRET-123", "TOKEN-456", "v4"),
                                  "oss-cn-hangzhou.aliyuncs.com", "examplebucket", region="cn-hangzhou")
    text = repr(presigner)
    for bad in [(" ",), ("?x",), (b"\xff",)]:
        try:
            presigner.sign_url("GET", bad[0], 60)
        except Exception as e:  # noqa: BLE001
            text += repr(e) + str(e)
    assert "examplebucket" in repr(presigner)
    assert "SECRET-123" not in text and "TOKEN-456" not in text


def test_bad_threads_and_keys_are_clear_errors():
    _, presigner = _hangzhou()
    for bad in [0, -1, True]:
        with pytest.raises(ValueError, match="threads must be None or a positive int"):
            presigner.sign_urls("GET", ["k"], 60, threads=bad)
    with pytest.raises(TypeError, match="threads must be None or a positive int"):
        presigner.sign_urls("GET", ["k"], 60, threads="2")
    with pytest.raises(TypeError, match=r"keys must be str or bytes; item 1 is int"):
        presigner.sign_urls("GET", ["k", 5], 60)
    with pytest.raises(TypeError, match="keys must be an iterable of str or bytes, not int"):
        presigner.sign_urls("GET", 5, 60)


def test_params_and_headers_are_not_modified():
    # oss2's sign_url writes its signing parameters into the caller's params dict.
    for version, params, additional in [
        ("v1", {"acl": None, "x-oss-process": "a"}, None),
        # Two present additional headers under V2: oss2's own steps (a set's order).
        ("v2", {"acl": "", "x-oss-process": "a"}, ["range", "x-oss-meta-a"]),
        ("v4", {"acl": ""}, ["range"]),
    ]:
        _, presigner = _hangzhou(version)
        headers = {"Range": "bytes=0-1", "x-oss-meta-a": "1"}
        before = (dict(params), dict(headers))
        presigner.sign_url("GET", "k", 60, params=params, headers=headers, additional_headers=additional)
        presigner.sign_urls("GET", ["k", "j"], 60, params=params, headers=headers, additional_headers=additional)
        assert (params, headers) == before


def test_rtmp_url_equals_oss2s():
    for version in ["v1", "v4"]:
        bucket, presigner = _hangzhou(version, "tok")
        with frozen_time(T, oss2=True):
            for playlist in [None, "", "list.m3u8"]:
                assert presigner.sign_rtmp_url("chan", playlist, 60) == bucket.sign_rtmp_url("chan", playlist, 60)


# ---------------------------------------------------------------------------------------------
# End to end: URLs from sign_urls against the verifying fake OSS
# ---------------------------------------------------------------------------------------------

from test_e2e_bucket import (  # noqa: E402
    BUCKET, OSS_KEYS, OSSAUTH_CASES, REGION, SPECIAL_KEYS, TIMEOUT,
    assert_verified,
)


@pytest.fixture(scope="module")
def oss_keys():
    return OSS_KEYS


@pytest.mark.parametrize("case", OSSAUTH_CASES, ids=lambda c: c.id)
def test_urls_from_sign_urls_put_and_get_on_the_verifying_server(oss_server, case):
    oss_server.reset()
    presigner = ossauth.Presigner(case.make(), oss_server.endpoint, BUCKET, region=REGION)
    keys = ["presigner/" + k for k in SPECIAL_KEYS]
    headers = {"Content-Type": "text/plain", "x-oss-meta-via": "presigner"}
    mark = len(oss_server.records)
    puts = presigner.sign_urls("PUT", keys, 60, headers=headers, threads=2)
    for key, url in zip(keys, puts):
        resp = requests.put(url, data=key.encode("utf-8"), headers=headers, timeout=TIMEOUT)
        assert resp.status_code == 200, (key, resp.text)
    gets = presigner.sign_urls("GET", [k.encode("utf-8") for k in keys], 60)
    for key, url in zip(keys, gets):
        resp = requests.get(url, timeout=TIMEOUT)
        assert resp.status_code == 200, (key, resp.text)
        assert resp.content == key.encode("utf-8")
    assert oss_server.keys() == sorted(keys)
    assert_verified(oss_server, mark, case, kind="presigned", methods=["PUT"] * len(keys) + ["GET"] * len(keys))


# ---------------------------------------------------------------------------------------------
# CLI: ossauth presign oss://BUCKET/ --keys-from FILE
# ---------------------------------------------------------------------------------------------

from test_cli import AK, SK, T as CLI_T, cli, env, reference  # noqa: E402,F401


@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
def test_cli_keys_from_file_prints_one_url_a_line_as_oss2(env, capsys, tmp_path, version):
    keys = ["a/b.txt", "中文/文件 名.txt", "plus+percent%tilde~hash#question", "  padded  "]
    path = tmp_path / "keys.txt"
    path.write_text("\n".join(keys[:2]) + "\n\n" + "\r\n".join(keys[2:]) + "\n", encoding="utf-8")
    status, out, err = cli(capsys, "presign", "oss://examplebucket/pre/", "--keys-from", str(path),
                           "--region", "cn-hangzhou", "--version", version, "--at", str(CLI_T),
                           "--header", "Content-Type:text/plain", "--method", "put")
    assert status == 0, err
    want = [reference(version, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "pre/" + k,
                      region="cn-hangzhou", method="PUT", headers={"content-type": "text/plain"})
            for k in keys]
    assert out.splitlines() == want


def test_cli_keys_from_stdin_and_errors(env, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("k1\nk2\n"))
    status, out, err = cli(capsys, "presign", "oss://examplebucket/", "--keys-from", "-",
                           "--region", "cn-hangzhou", "--at", str(CLI_T))
    assert status == 0, err
    assert out.splitlines() == [reference("v4", "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", k,
                                          region="cn-hangzhou") for k in ["k1", "k2"]]
    status, out, err = cli(capsys, "presign", "oss://examplebucket/", "--keys-from", "/nonexistent/keys",
                           "--region", "cn-hangzhou")
    assert status == 2 and "--keys-from /nonexistent/keys: No such file or directory" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("?q\n"))
    status, out, err = cli(capsys, "presign", "oss://examplebucket/", "--keys-from", "-",
                           "--region", "cn-hangzhou", "--version", "v1")
    assert status == 2 and "cannot start with '?'" in err and SK not in err
