"""Writes tests/vectors/v2/<case>/ from oss2 2.19.1 itself (never from ossauth): each case is
signed by oss2's own ``ProviderAuthV2`` (``AuthV2`` for plain keys), with the clock pinned, and
the request as oss2 left it at signing time is written with oss2's string to sign, signature and
Authorization header. Run from the repository root: ``python tests/vectors/gen_v2.py``.
"""

import json
import os
import pathlib
import shutil
import sys
from unittest import mock

import oss2
from oss2 import http

# oss2 joins the additional headers from a set into the Authorization header: a fixed hash seed
# gives the same order on every run, so regenerating changes no file.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))

assert oss2.__version__ == "2.19.1", "the reference is oss2 2.19.1, this is %s" % oss2.__version__

OUT = pathlib.Path(__file__).resolve().parent / "v2"
DATE = "Wed, 28 Dec 2022 10:27:41 GMT"  # what oss2's utils.http_date() returns, pinned
NOW = 1699807420  # time.time() for presigned URLs, pinned

CASES = [
    # (name, description, kind, method, url, bucket, key, headers, params, token, additional)
    ("put_object", "PUT with Content-MD5, Content-Type and x-oss-meta-* headers",
     "request", "PUT", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/nelson", "examplebucket", "nelson",
     {"Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==", "Content-Type": "text/html",
      "X-OSS-Meta-Author": "alice", "x-oss-meta-magic": "abracadabra"}, {}, None, None),
    ("additional_headers", "two additional headers, signed sorted; one requested but absent is dropped",
     "request", "PUT", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampleobject", "examplebucket",
     "exampleobject",
     {"Content-Disposition": "attachment", "Content-Length": "3", "Content-Type": "text/plain",
      "x-oss-meta-a": "1"}, {}, None, ["Content-Length", "content-disposition", "x-absent"]),
    ("params_encoding", "every parameter is signed, names and values encoded, slashes too; a key "
     "with '+', '/' and non-ASCII",
     "request", "GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/%E7%8C%AB.txt", "bucket",
     "1234+-/123/猫.txt", {"x-oss-head1": "value", "abc": "value"},
     {"param1": "value1", "+param1": "value3", "|param1": "value4", "+param2": "", "acl": "",
      "response-content-type": "text/plain; charset=utf-8", "x-oss-process": "image/resize,w_100"},
     None, None),
    ("security_token", "STS credentials: oss2 adds x-oss-security-token, which is signed",
     "request", "GET", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/nelson", "examplebucket", "nelson",
     {}, {"versionId": "CAEQNhiBgM0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0"}, "token", None),
    ("service", "no bucket (ListBuckets): the resource is '/'",
     "request", "GET", "https://oss-cn-hangzhou.aliyuncs.com/", None, "", {}, {"prefix": "a b", "max-keys": "10"},
     None, None),
    ("presigned_url", "a presigned URL: the date is the absolute expiry, oss2's x-oss-* parameters and "
     "the token are in the query and signed",
     "url", "GET", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/key.txt", "examplebucket", "dir/key.txt",
     {"Content-Type": "text/plain"}, {"versionId": "v1"}, "token", ["content-type"]),
]


def sign(kind, method, url, bucket, key, headers, params, token, additional):
    provider = oss2.credentials.StaticCredentialsProvider("ak", "sk", token)
    auth = oss2.AuthV2("ak", "sk") if token is None else oss2.ProviderAuthV2(provider)
    req = http.Request(method, url, headers=dict(headers), params=dict(params))
    with mock.patch("oss2.utils.http_date", return_value=DATE), mock.patch("oss2.auth.time.time", return_value=NOW):
        if kind == "request":
            auth._sign_request(req, bucket, key, additional)
            signed = None
        else:
            signed = auth._sign_url(req, bucket, key, 60, additional)
    # oss2's own stages, through its private (name-mangled) methods.
    wanted = additional if additional is not None else (
        oss2.auth._DEFAULT_ADDITIONAL_HEADERS if kind == "request" else set())
    chosen = auth._ProviderAuthV2__get_additional_headers(req, wanted)
    if kind == "url":
        signature = req.params.pop("x-oss-signature")
        assert signed.endswith("x-oss-signature=" + oss2.compat.urlquote(signature, "")), signed
        authorization = None
        order = req.params["x-oss-additional-headers"].split(";") if chosen else []
    else:
        authorization = req.headers.pop("authorization")
        signature = authorization.rsplit("Signature:", 1)[1]
        order = authorization.split("AdditionalHeaders:", 1)[1].split(",", 1)[0].split(";") if chosen else []
    assert sorted(order) == sorted(chosen)
    to_sign = auth._ProviderAuthV2__get_bytes_to_sign(req, bucket, key, chosen).decode("utf-8")
    # oss2.http.Request's own defaults: never signed (neither x-oss-* nor additional), and the
    # User-Agent names this machine's kernel and Python, so they are left out of the files.
    for name in ("accept-encoding", "user-agent"):
        assert name not in chosen and name + ":" not in to_sign
        del req.headers[name]
    return req, to_sign, signature, authorization, order


def dump(request):
    """request.json as the other cases write it: one field a line, a header or parameter pair a
    line."""
    lines = []
    for name, value in request.items():
        if name in ("headers", "params") and value:
            items = ",\n".join("    " + json.dumps(pair, ensure_ascii=False) for pair in value)
            lines.append('  "%s": [\n%s\n  ]' % (name, items))
        else:
            lines.append("  %s: %s" % (json.dumps(name), json.dumps(value, ensure_ascii=False)))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for name, description, kind, method, url, bucket, key, headers, params, token, additional in CASES:
        req, to_sign, signature, authorization, order = sign(kind, method, url, bucket, key, headers, params,
                                                             token, additional)
        case = OUT / name
        case.mkdir(parents=True)
        request = {
            "description": description,
            "source": "oss2 2.19.1 ProviderAuthV2.%s (tests/vectors/gen_v2.py)"
                      % ("_sign_request" if kind == "request" else "_sign_url"),
            "method": req.method,
            "bucket": bucket or "",
            "key": key,
            "headers": [[k.lower(), v] for k, v in req.headers.items()],
            "params": [[k, v] for k, v in req.params.items()],
            "access_key_id": "ak",
            "secret": "sk",
            "additional_headers": order,
        }
        (case / "request.json").write_text(dump(request), encoding="utf-8")
        (case / "string_to_sign").write_text(to_sign + "\n", encoding="utf-8")
        (case / "signature").write_text(signature + "\n", encoding="utf-8")
        if authorization is not None:
            (case / "authorization").write_text(authorization + "\n", encoding="utf-8")
        print("wrote", case.relative_to(OUT.parent.parent.parent), file=sys.stderr)


if __name__ == "__main__":
    main()
