"""The ``ossauth`` command line (``python -m ossauth``).

``ossauth presign oss://BUCKET/KEY --region REGION`` prints a presigned URL, identical to what
``oss2.Bucket(auth, endpoint, bucket, region=...).sign_url(method, key, expires)`` returns.
``ossauth credentials`` shows what the default credentials chain finds, without its secrets.
Both take credentials from ``ossauth.DefaultCredentialsProvider``.
"""

import argparse
import datetime as _dt
import logging
import sys

from . import __version__, _core
from ._endpoint import (
    EndpointError,
    check_region,
    is_valid_bucket_name,
    normalize_endpoint,
    object_url,
    region_from_endpoint,
)

# OSS refuses V4 presigned URLs that last longer than this.
_V4_MAX_EXPIRES = 7 * 24 * 3600

_AUTHS = {
    "v1": _core.ProviderAuth,
    "v2": _core.ProviderAuthV2,
    "v4": _core.ProviderAuthV4,
}


class UsageError(Exception):
    """Bad arguments: reported as ``ossauth: error: ...`` with exit status 2."""


class _Request:
    """The attributes oss2's ``http.Request`` carries, without requiring oss2."""

    def __init__(self, method, url, headers, params, region):
        self.method = method
        self.url = url
        self.headers = headers
        self.params = params
        self.region = region
        self.product = "oss"
        self.cloudbox_id = None


def parse_oss_uri(uri):
    """``oss://bucket/key`` -> (bucket, key). The key is everything after the first '/'."""
    if not uri.startswith("oss://"):
        raise UsageError("expected oss://BUCKET/KEY, got %r" % uri)
    bucket, sep, key = uri[len("oss://"):].partition("/")
    if not bucket:
        raise UsageError("%r names no bucket (expected oss://BUCKET/KEY)" % uri)
    if not is_valid_bucket_name(bucket):
        raise UsageError(
            "%r is not a valid bucket name (3-63 lower-case letters, digits and hyphens, "
            "starting with a letter or digit, not ending with a hyphen)" % bucket
        )
    if not sep or not key.strip():
        raise UsageError("%r names no object key (expected oss://BUCKET/KEY)" % uri)
    return bucket, key


def _parse_instant(text):
    """Epoch seconds, or ISO 8601 with a UTC offset."""
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        pass
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError("--at takes epoch seconds or ISO 8601 with an offset, not %r" % text) from None
    if when.tzinfo is None:
        raise UsageError("--at %r has no UTC offset (add 'Z' or '+08:00')" % text)
    return when


def _pairs(items, sep, what):
    out = {}
    for item in items or ():
        name, found, value = item.partition(sep)
        if not found or not name.strip():
            raise UsageError("%s takes NAME%sVALUE, got %r" % (what, sep, item))
        out[name.strip()] = value.strip() if what == "--header" else value
    return out


def _resolve_endpoint(args):
    """(normalized endpoint, region or None) from --endpoint and --region."""
    region = check_region(args.region) if args.region else None
    if args.endpoint:
        endpoint = normalize_endpoint(args.endpoint)
        inferred = region_from_endpoint(endpoint)
        if region and inferred and region != inferred:
            raise EndpointError(
                "--region %r does not match endpoint %s, which is in %r"
                % (region, endpoint, inferred)
            )
        return endpoint, region or inferred
    if not region:
        raise UsageError("give --region (e.g. cn-hangzhou) or --endpoint")
    return "https://oss-%s.aliyuncs.com" % region, region


def presign(args, provider=None):
    """The presigned URL for ``args`` (parsed ``presign`` arguments)."""
    bucket, key = parse_oss_uri(args.uri)
    endpoint, region = _resolve_endpoint(args)
    if args.expires <= 0:
        raise UsageError("--expires must be a positive number of seconds, not %d" % args.expires)
    if args.version == "v4":
        if region is None:
            raise UsageError(
                "V4 signs the region, and it cannot be inferred from %s: give --region" % endpoint
            )
        if args.expires > _V4_MAX_EXPIRES:
            raise UsageError(
                "V4 presigned URLs last at most %d seconds (7 days); --expires is %d"
                % (_V4_MAX_EXPIRES, args.expires)
            )
    elif key.startswith("?"):
        # oss2's Bucket refuses these under V1 (is_verify_object_strict).
        raise UsageError("an object key cannot start with '?' when signing with %s" % args.version)
    method = args.method.upper()
    headers = _pairs(args.header, ":", "--header")
    headers = {name.lower(): value for name, value in headers.items()}
    params = _pairs(args.param, "=", "--param")
    url = object_url(
        endpoint, bucket, key, cname=args.cname, path_style=args.path_style, slash_safe=args.slash_safe
    )
    if provider is None:
        provider = _default_provider()
    auth = _AUTHS[args.version](provider)
    req = _Request(method, url, headers, params, region)
    if args.explain:
        details = auth.sign_url_explained(req, bucket, key, args.expires)
        print(details, file=sys.stderr)
        return details.url
    return auth._sign_url(req, bucket, key, args.expires)


def presign_many(args, provider=None):
    """The presigned URLs for every key of ``--keys-from`` (one a line), through
    ``Presigner.sign_urls``: the URI's key part, if any, is a prefix of every key."""
    from ._presigner import Presigner

    uri = args.uri
    if not uri.startswith("oss://"):
        raise UsageError("expected oss://BUCKET/, got %r" % uri)
    bucket, _, prefix = uri[len("oss://"):].partition("/")
    if not bucket or not is_valid_bucket_name(bucket):
        raise UsageError("%r is not a valid bucket name" % bucket)
    endpoint, region = _resolve_endpoint(args)
    if args.expires <= 0:
        raise UsageError("--expires must be a positive number of seconds, not %d" % args.expires)
    if args.version == "v4" and region is None:
        raise UsageError("V4 signs the region, and it cannot be inferred from %s: give --region" % endpoint)
    if args.version == "v4" and args.expires > _V4_MAX_EXPIRES:
        raise UsageError("V4 presigned URLs last at most %d seconds (7 days); --expires is %d"
                         % (_V4_MAX_EXPIRES, args.expires))
    if args.explain:
        raise UsageError("--explain signs one key: it cannot be used with --keys-from")
    try:
        source = sys.stdin if args.keys_from == "-" else open(args.keys_from, encoding="utf-8")
    except OSError as e:
        raise UsageError("--keys-from %s: %s" % (args.keys_from, e.strerror)) from None
    with source:
        # One key a line; the line break is not part of it, blank lines are skipped.
        lines = [line.rstrip("\r\n") for line in source]
    keys = [prefix + line for line in lines if line.strip()]
    for key in keys:
        if args.version == "v1" and key.startswith("?"):
            raise UsageError("key %r cannot start with '?' when signing with v1" % key)
    headers = {name.lower(): value for name, value in _pairs(args.header, ":", "--header").items()}
    params = _pairs(args.param, "=", "--param")
    if provider is None:
        provider = _default_provider()
    presigner = Presigner(_AUTHS[args.version](provider), endpoint, bucket, is_cname=args.cname,
                          region=region, is_path_style=args.path_style)
    return presigner.sign_urls(args.method.upper(), keys, args.expires, headers=headers or None,
                               params=params or None, slash_safe=args.slash_safe)


def _default_provider():
    from ._sources import DefaultCredentialsProvider

    return DefaultCredentialsProvider()


def describe_credentials(provider=None):
    """The lines ``ossauth credentials`` prints: which source, the masked AccessKey id, its kind
    and expiration. Never the secret or the token."""
    provider = provider if provider is not None else _default_provider()
    creds = provider.get_credentials()
    source = getattr(provider, "source_name", None) or type(provider).__name__
    key_id = creds.get_access_key_id()
    token = creds.get_security_token()
    if key_id.startswith("STS."):
        kind = "STS temporary key, with a security token" if token else (
            "STS temporary key WITHOUT a security token (OSS will refuse it)"
        )
    else:
        kind = "AccessKey with a security token" if token else "long-term AccessKey (no security token)"
    expiration = creds.expiration
    if expiration is None:
        expires = "none"
    else:
        now = _dt.datetime.fromtimestamp(_core._now_micros() / 1e6, _dt.timezone.utc)
        left = int((expiration - now).total_seconds())
        expires = "%s (%s)" % (
            expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "in %dh%02dm" % (left // 3600, left % 3600 // 60) if left >= 0 else "EXPIRED",
        )
    return [
        "source:        %s" % source,
        "access key id: %s" % creds.masked_access_key_id(),
        "kind:          %s" % kind,
        "expiration:    %s" % expires,
    ]


def _parser():
    parser = argparse.ArgumentParser(
        prog="ossauth",
        description="Sign Alibaba Cloud OSS requests (oss2-compatible, Rust core).",
    )
    parser.add_argument("--version", action="version", version="ossauth " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "presign",
        help="print a presigned URL for an object",
        description=(
            "Print a presigned URL for oss://BUCKET/KEY. Credentials come from the default "
            "chain: OSS_* then ALIBABA_CLOUD_* variables, OIDC (RRSA), ~/.aliyun/config.json, "
            "~/.alibabacloud/credentials.ini, the ECS RAM role, ALIBABA_CLOUD_CREDENTIALS_URI "
            "(see 'ossauth credentials')."
        ),
    )
    p.set_defaults(subparser=p)
    p.add_argument("uri", metavar="oss://BUCKET/KEY")
    p.add_argument("--keys-from", metavar="FILE",
                   help="presign every key in FILE ('-': stdin), one a line, printing one URL a line; "
                        "the URI is then oss://BUCKET/ (a key part is a prefix of every key)")
    p.add_argument("--region", help="region id, e.g. cn-hangzhou (inferred from a standard --endpoint)")
    p.add_argument(
        "--endpoint",
        help="endpoint URL (default https://oss-REGION.aliyuncs.com; without a scheme, http:// as in oss2)",
    )
    p.add_argument("--expires", type=int, default=3600, help="seconds the URL stays valid (default 3600)")
    p.add_argument("--method", default="GET", help="HTTP method the URL allows (default GET)")
    p.add_argument(
        "--version", dest="version", choices=sorted(_AUTHS), default="v4",
        help="signature version (default v4)",
    )
    p.add_argument("--header", action="append", metavar="NAME:VALUE",
                   help="a header the request will send and the signature covers, e.g. Content-Type:text/plain")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a query parameter to sign, e.g. response-content-disposition=attachment")
    p.add_argument("--cname", action="store_true", help="the endpoint is a custom domain bound to the bucket")
    p.add_argument("--path-style", action="store_true", help="https://endpoint/BUCKET/KEY instead of BUCKET.endpoint")
    p.add_argument("--slash-safe", action="store_true", help="keep '/' in the key unescaped")
    p.add_argument("--explain", action="store_true",
                   help="also print the canonical request and string to sign (to stderr)")
    p.add_argument("--at", metavar="INSTANT",
                   help="sign as if the clock read INSTANT (epoch seconds or ISO 8601), for reproducible output")

    c = commands.add_parser(
        "credentials",
        help="show which source the default credentials chain uses (secrets masked)",
        description=(
            "Show the source the default credentials chain used, the masked AccessKey id, "
            "whether it is an STS key and has a token, and the expiration."
        ),
    )
    c.set_defaults(subparser=c)
    return parser


def _run(args, provider=None):
    """The text ``presign`` prints: one URL, or one a line for --keys-from."""
    if args.keys_from is not None:
        return "\n".join(presign_many(args, provider))
    return presign(args, provider)


def main(argv=None):
    # Failures are reported once, below; the library's warnings would repeat them.
    logging.getLogger("ossauth").addHandler(logging.NullHandler())
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "credentials":
        try:
            lines = describe_credentials()
        except _core.CredentialsError as e:
            print("ossauth: credentials: %s" % e, file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0
    try:
        if args.at is not None:
            from .testing import frozen_time

            when = _parse_instant(args.at)
            # Credentials are fetched at the real time (STS checks its Timestamp, and
            # expirations are judged by the clock); only the signature is made at --at.
            creds = _default_provider().get_credentials()
            provider = _core.StaticCredentialsProvider(
                creds.get_access_key_id(), creds.get_access_key_secret(), creds.get_security_token()
            )
            with frozen_time(when):
                url = _run(args, provider)
        else:
            url = _run(args)
    except (UsageError, EndpointError) as e:
        args.subparser.error(str(e))
    except _core.CredentialsError as e:
        print("ossauth: credentials: %s" % e, file=sys.stderr)
        return 1
    except Exception as e:
        # A key oss2 refuses (ClientError / SigningError): say which, without a traceback.
        if type(e).__name__ not in ("ClientError", "SigningError"):
            raise
        args.subparser.error(getattr(e, "details", None) or str(e))
    if url:
        print(url)
    return 0
