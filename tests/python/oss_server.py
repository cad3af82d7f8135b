"""A small OSS-like HTTP server for end-to-end tests that verifies every request's signature.

What it is
    An in-memory object store speaking enough of the Alibaba Cloud OSS REST API for oss2's
    ``Bucket``/``Service`` to work against it: PutObject, GetObject (with Range), HeadObject,
    GetObjectMeta (``?objectMeta``), DeleteObject, ListObjects (v1), ListObjectsV2
    (``list-type=2``) and ListBuckets (``GET /``). Path-style addressing only
    (``http://127.0.0.1:PORT/bucket/key``), which is what oss2 uses for IP endpoints.

What it checks
    Every request must carry a valid signature; anonymous requests are refused. The
    verifier is written here from the public OSS signing specification with ``hashlib`` and
    ``hmac`` only -- it deliberately imports neither ``oss2.auth`` nor ``ossauth`` -- and
    supports:

    * V1: ``Authorization: OSS <id>:<base64 hmac-sha1>`` and presigned URLs
      (``OSSAccessKeyId``, ``Expires``, ``Signature``; STS token in ``security-token``).
    * V2: ``Authorization: OSS2 AccessKeyId:<id>,AdditionalHeaders:<h;h>,Signature:<b64>``
      and presigned URLs (``x-oss-signature-version=OSS2``, ``x-oss-access-key-id``,
      ``x-oss-expires`` (absolute), ``x-oss-additional-headers``, ``x-oss-signature``).
    * V4: ``Authorization: OSS4-HMAC-SHA256 Credential=<id>/<yyyymmdd>/<region>/oss/
      aliyun_v4_request[, AdditionalHeaders=<h;h>], Signature=<hex>`` (with ``x-oss-date``
      and ``x-oss-content-sha256``) and presigned URLs (``x-oss-signature-version=
      OSS4-HMAC-SHA256``, ``x-oss-credential``, ``x-oss-date``, ``x-oss-expires`` (relative
      seconds), ``x-oss-additional-headers``, ``x-oss-signature``, STS token in
      ``x-oss-security-token``).

    The server knows each AccessKey id's secret (and, for STS keys, the expected security
    token). It answers like OSS does:

    * unknown AccessKey id             -> 403 ``InvalidAccessKeyId``
    * signature mismatch               -> 403 ``SignatureDoesNotMatch`` (the body carries the
      server's ``StringToSign`` -- and for V4 its ``CanonicalRequest`` -- for debugging)
    * presigned URL past its expiry    -> 403 ``AccessDenied`` ("Request has expired.")
      (checked *after* the signature, so that answer proves the signature itself was valid)
    * STS key without / with a wrong ``x-oss-security-token`` -> 403 ``InvalidSecurityToken``
    * Date / x-oss-date more than 15 minutes off -> 403 ``RequestTimeTooSkewed``
    * no signature at all              -> 403 ``AccessDenied``

Recording
    Every request that reaches the authentication step is appended to ``server.records`` as
    a :class:`Record` (method, raw path, bucket, key, signature version ``'v1'``/``'v2'``/
    ``'v4'``, kind ``'header'``/``'presigned'``/``'anonymous'``, access key id, whether a
    security token was verified, the outcome and the server-side string to sign), so tests
    can assert that the server really verified what they think it verified.

CRC-64
    PUT and GET responses carry ``x-oss-hash-crc64ecma`` (CRC-64/ECMA-182 as OSS computes
    it: reflected poly 0x42F0E1EBA9EA3693, init 0, xorout 0xFFFFFFFFFFFFFFFF), so oss2's
    default ``enable_crc=True`` end-to-end check is exercised. ``crcmod`` (an oss2
    dependency) is used when importable; a pure-Python table implementation is the fallback.

Usage::

    with OssTestServer({'AKID': 'secret', 'STSID': ('stssecret', 'token')}) as server:
        bucket = oss2.Bucket(oss2.AuthV4('AKID', 'secret'), server.endpoint, 'test-bucket',
                             region=server.region)
        bucket.put_object('k', b'v')
        assert server.records[-1].version == 'v4'
"""

import base64
import calendar
import datetime
import email.utils
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, quote, unquote
from xml.sax.saxutils import escape as _xml_escape

from fake_http import FakeHttpServer, Handler

__all__ = [
    "OssTestServer",
    "Record",
    "StoredObject",
    "crc64_ecma",
    "start_server",
    "stop_server",
    "running_server",
]

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_BUCKET = "test-bucket"
MAX_SKEW_SECONDS = 15 * 60
V4_MAX_EXPIRES = 7 * 24 * 3600

# ---------------------------------------------------------------------------------------------
# CRC-64/ECMA-182 (the variant OSS reports in x-oss-hash-crc64ecma)
# ---------------------------------------------------------------------------------------------

_CRC64_REFLECTED_POLY = 0xC96C5795D7870F42  # bit-reversed 0x42F0E1EBA9EA3693
_CRC64_MASK = 0xFFFFFFFFFFFFFFFF

try:  # crcmod ships with oss2 and has a C extension: much faster for big bodies
    import crcmod as _crcmod

    _crc64_fun = _crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=_CRC64_MASK, rev=True)
except Exception:  # pragma: no cover - fallback when crcmod is missing
    _crc64_fun = None

_CRC64_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _CRC64_REFLECTED_POLY if _c & 1 else _c >> 1
    _CRC64_TABLE.append(_c)


def _crc64_pure(data: bytes) -> int:
    crc = _CRC64_MASK  # init 0 xor-ed with xorout, the usual reflected formulation
    for b in data:
        crc = _CRC64_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ _CRC64_MASK


def crc64_ecma(data: bytes) -> int:
    """CRC-64/ECMA-182 of ``data`` as OSS reports it (decimal in x-oss-hash-crc64ecma)."""
    if _crc64_fun is not None:
        return _crc64_fun(data)
    return _crc64_pure(data)


# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    meta: Dict[str, str]  # lower-case x-oss-meta-* name -> value
    etag: str  # upper-case hex MD5, without quotes
    crc64: int
    last_modified: float


@dataclass
class Record:
    """One request as the server saw and judged it."""

    method: str
    path: str  # raw request path (without the query string)
    query: str  # raw query string
    bucket: str
    key: str
    version: Optional[str]  # 'v1' | 'v2' | 'v4' | None (anonymous / unparsable)
    kind: str  # 'header' | 'presigned' | 'anonymous'
    access_key_id: Optional[str] = None
    security_token_verified: bool = False
    verified: bool = False  # the signature matched the server's own computation
    accepted: bool = False  # authentication passed completely (signature, expiry, token, skew)
    error_code: Optional[str] = None
    string_to_sign: Optional[str] = None
    canonical_request: Optional[str] = None
    additional_headers: Tuple[str, ...] = ()
    status: Optional[int] = None  # HTTP status finally sent
    headers: Dict[str, str] = field(default_factory=dict)  # request headers (lower-case names)


class OssError(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


# ---------------------------------------------------------------------------------------------
# Signature verification (independent implementation of the OSS spec)
# ---------------------------------------------------------------------------------------------

# Sub-resources that take part in the V1 CanonicalizedResource (OSS V1 signing spec).
V1_SUBRESOURCES = frozenset(
    """
    acl uploads location cors logging website referer lifecycle delete append tagging
    objectMeta uploadId partNumber security-token position img style styleName replication
    replicationProgress replicationLocation cname bucketInfo comp qos live status vod
    startTime endTime symlink x-oss-process response-content-type x-oss-traffic-limit
    response-content-language response-expires response-cache-control
    response-content-disposition response-content-encoding udf udfName udfImage udfId
    udfImageDesc udfApplication udfApplicationLog restore callback callback-var qosInfo
    policy stat encryption versions versioning versionId requestPayment x-oss-request-payer
    sequential inventory inventoryId continuation-token asyncFetch worm wormId wormExtend
    withHashContext x-oss-enable-md5 x-oss-enable-sha1 x-oss-enable-sha256 x-oss-hash-ctx
    x-oss-md5-ctx transferAcceleration regionList cloudboxes x-oss-ac-source-ip
    x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-ac-forward-allow metaQuery resourceGroup rtc
    accessPoint accessPointPolicy httpsConfig publicAccessBlock
    """.split()
)

_V4_DEFAULT_SIGNED = ("content-type", "content-md5")


def _b64_hmac(secret: str, msg: bytes, digest) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), msg, digest).digest()).decode("ascii")


def _uri_encode(text: str, keep_slash: bool) -> str:
    """RFC 3986 percent-encoding of UTF-8 bytes; only A-Za-z0-9-_.~ (and '/' if asked) kept."""
    out = []
    for b in text.encode("utf-8"):
        c = chr(b)
        if ("A" <= c <= "Z") or ("a" <= c <= "z") or ("0" <= c <= "9") or c in "-_.~":
            out.append(c)
        elif keep_slash and c == "/":
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def _parse_http_date(value: str) -> Optional[float]:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def _parse_v4_timestamp(value: str) -> Optional[float]:
    try:
        parsed = datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ")
    except (TypeError, ValueError):
        return None
    return calendar.timegm(parsed.timetuple())


class _Req:
    """The parts of an HTTP request the verifier needs, already decoded."""

    def __init__(self, method, raw_path, raw_query, headers, body):
        self.method = method
        self.raw_path = raw_path
        self.raw_query = raw_query
        self.headers = headers  # list of (name, value) as received
        self.body = body
        # Query parameters: values percent-decoded; '+' means space as in
        # application/x-www-form-urlencoded (which is how requests encodes params).
        self.params: List[Tuple[str, str]] = parse_qsl(
            raw_query, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict"
        )
        path = raw_path[1:] if raw_path.startswith("/") else raw_path
        if "/" in path:
            bucket_enc, key_enc = path.split("/", 1)
        else:
            bucket_enc, key_enc = path, ""
        self.bucket = unquote(bucket_enc, encoding="utf-8", errors="strict")
        self.key = unquote(key_enc, encoding="utf-8", errors="strict")

    def header(self, name: str) -> Optional[str]:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def param(self, name: str) -> Optional[str]:
        for k, v in self.params:
            if k == name:
                return v
        return None

    def has_param(self, name: str) -> bool:
        return any(k == name for k, _ in self.params)

    def lower_headers(self) -> List[Tuple[str, str]]:
        return [(k.lower(), v.strip()) for k, v in self.headers]


class SignatureVerifier:
    """Verifies OSS V1/V2/V4 signatures for a fixed credential table and region."""

    def __init__(self, credentials, region, clock, product="oss", max_skew=MAX_SKEW_SECONDS):
        self.credentials = credentials  # id -> (secret, token or None)
        self.region = region
        self.product = product
        self.clock = clock
        self.max_skew = max_skew

    # -- helpers ---------------------------------------------------------------------------

    def _lookup(self, access_key_id):
        cred = self.credentials.get(access_key_id)
        if cred is None:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
                OSSAccessKeyId=access_key_id,
            )
        return cred

    def _check_token(self, record, expected_token, presented_token):
        if expected_token is None:
            if presented_token:
                raise OssError(
                    403, "InvalidSecurityToken", "A security token was sent for a non-STS AccessKey id."
                )
            return
        if presented_token is None or presented_token == "":
            raise OssError(403, "InvalidSecurityToken", "The security token is missing for an STS AccessKey id.")
        if not hmac.compare_digest(presented_token.encode("utf-8"), expected_token.encode("utf-8")):
            raise OssError(403, "InvalidSecurityToken", "The security token you provided is invalid.")
        record.security_token_verified = True

    def _check_skew(self, ts):
        if ts is None:
            raise OssError(403, "AccessDenied", "Invalid date format in the request.")
        if abs(self.clock() - ts) > self.max_skew:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                MaxAllowedSkewMilliseconds=str(self.max_skew * 1000),
            )

    def _check_expired(self, expires_at):
        if self.clock() > expires_at:
            raise OssError(
                403,
                "AccessDenied",
                "Request has expired.",
                Expires=_http_date(expires_at),
                ServerTime=_http_date(self.clock()),
            )

    @staticmethod
    def _mismatch(record, provided, **extra):
        raise OssError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            StringToSign=record.string_to_sign,
            SignatureProvided=provided,
            **extra,
        )

    # -- entry point -------------------------------------------------------------------------

    def verify(self, req: _Req, record: Record):
        auth = req.header("authorization")
        if auth:
            record.kind = "header"
            if auth.startswith("OSS4-HMAC-SHA256 "):
                return self._v4_header(req, record, auth[len("OSS4-HMAC-SHA256 "):])
            if auth.startswith("OSS2 "):
                return self._v2_header(req, record, auth[len("OSS2 "):])
            if auth.startswith("OSS "):
                return self._v1_header(req, record, auth[len("OSS "):])
            raise OssError(400, "InvalidArgument", "Unsupported Authorization header: %r" % auth.split(" ")[0])
        version = req.param("x-oss-signature-version")
        if version is not None:
            record.kind = "presigned"
            if version == "OSS4-HMAC-SHA256":
                return self._v4_query(req, record)
            if version == "OSS2":
                return self._v2_query(req, record)
            raise OssError(400, "InvalidArgument", "Unsupported x-oss-signature-version %r" % version)
        if req.has_param("OSSAccessKeyId") or req.has_param("Signature"):
            record.kind = "presigned"
            return self._v1_query(req, record)
        record.kind = "anonymous"
        raise OssError(403, "AccessDenied", "You have no right to access this object because of bucket acl.")

    # -- V1 ----------------------------------------------------------------------------------

    def _v1_canonical_resource(self, req: _Req) -> str:
        if req.bucket:
            resource = "/" + req.bucket + "/" + req.key
        else:
            resource = "/"
        subs = sorted((k, v) for k, v in req.params if k in V1_SUBRESOURCES)
        if subs:
            resource += "?" + "&".join(k + "=" + v if v != "" else k for k, v in subs)
        return resource

    def _v1_string_to_sign(self, req: _Req, date: str) -> str:
        oss_headers = sorted((k, v) for k, v in req.lower_headers() if k.startswith("x-oss-"))
        canonical_headers = "".join("%s:%s\n" % (k, v) for k, v in oss_headers)
        return "\n".join(
            [
                req.method,
                (req.header("content-md5") or "").strip(),
                (req.header("content-type") or "").strip(),
                date,
                canonical_headers + self._v1_canonical_resource(req),
            ]
        )

    def _v1_header(self, req, record, rest):
        record.version = "v1"
        if ":" not in rest:
            raise OssError(400, "InvalidArgument", "Authorization header is invalid.")
        access_key_id, provided = rest.rsplit(":", 1)
        access_key_id = access_key_id.strip()
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        # x-oss-date, when present, replaces Date in the string to sign.
        date = req.header("x-oss-date") or req.header("date") or ""
        record.string_to_sign = self._v1_string_to_sign(req, date)
        expected = _b64_hmac(secret, record.string_to_sign.encode("utf-8"), hashlib.sha1)
        if not hmac.compare_digest(expected, provided.strip()):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id)
        record.verified = True
        self._check_skew(_parse_http_date(date))
        self._check_token(record, token, req.header("x-oss-security-token"))

    def _v1_query(self, req, record):
        record.version = "v1"
        access_key_id = req.param("OSSAccessKeyId")
        expires = req.param("Expires")
        provided = req.param("Signature")
        if not access_key_id or not expires or not provided:
            raise OssError(403, "AccessDenied", "OSSAccessKeyId, Expires and Signature are all required.")
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        try:
            expires_at = int(expires)
        except ValueError:
            raise OssError(403, "AccessDenied", "Expires is not a number: %r" % expires)
        record.string_to_sign = self._v1_string_to_sign(req, expires)
        expected = _b64_hmac(secret, record.string_to_sign.encode("utf-8"), hashlib.sha1)
        if not hmac.compare_digest(expected, provided):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id)
        record.verified = True
        self._check_expired(expires_at)
        # The token must be covered by the signature: header x-oss-security-token or the
        # security-token sub-resource.
        self._check_token(record, token, req.header("x-oss-security-token") or req.param("security-token"))

    # -- V2 ----------------------------------------------------------------------------------

    def _v2_string_to_sign(self, req: _Req, date: str, additional: List[str], exclude_params=()):
        additional = sorted(set(h.lower() for h in additional if h))
        lh = req.lower_headers()
        canon = sorted((k, v) for k, v in lh if k.startswith("x-oss-") or k in additional)
        canonical_headers = "".join("%s:%s\n" % (k, v) for k, v in canon)
        resource = _uri_encode("/" + req.bucket + "/" + req.key if req.bucket else "/", keep_slash=False)
        encoded = sorted(
            (_uri_encode(k, False), _uri_encode(v, False)) for k, v in req.params if k not in exclude_params
        )
        if encoded:
            resource += "?" + "&".join(k + "=" + v if v != "" else k for k, v in encoded)
        return (
            req.method
            + "\n"
            + (req.header("content-md5") or "").strip()
            + "\n"
            + (req.header("content-type") or "").strip()
            + "\n"
            + date
            + "\n"
            + canonical_headers
            + ";".join(additional)
            + "\n"
            + resource
        ), tuple(additional)

    def _v2_header(self, req, record, rest):
        record.version = "v2"
        fields = {}
        for part in rest.split(","):
            if ":" not in part:
                raise OssError(400, "InvalidArgument", "Authorization header is invalid.")
            name, value = part.split(":", 1)
            fields[name.strip()] = value.strip()
        access_key_id = fields.get("AccessKeyId")
        provided = fields.get("Signature")
        if not access_key_id or not provided:
            raise OssError(400, "InvalidArgument", "AccessKeyId and Signature are required.")
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
        date = req.header("date") or ""
        record.string_to_sign, record.additional_headers = self._v2_string_to_sign(req, date, additional)
        expected = _b64_hmac(secret, record.string_to_sign.encode("utf-8"), hashlib.sha256)
        if not hmac.compare_digest(expected, provided):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id)
        record.verified = True
        self._check_skew(_parse_http_date(date))
        self._check_token(record, token, req.header("x-oss-security-token"))

    def _v2_query(self, req, record):
        record.version = "v2"
        access_key_id = req.param("x-oss-access-key-id")
        expires = req.param("x-oss-expires")
        provided = req.param("x-oss-signature")
        if not access_key_id or not expires or not provided:
            raise OssError(
                403, "AccessDenied", "x-oss-access-key-id, x-oss-expires and x-oss-signature are required."
            )
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        try:
            expires_at = int(expires)
        except ValueError:
            raise OssError(403, "AccessDenied", "x-oss-expires is not a number: %r" % expires)
        additional = [h for h in (req.param("x-oss-additional-headers") or "").split(";") if h]
        record.string_to_sign, record.additional_headers = self._v2_string_to_sign(
            req, expires, additional, exclude_params=("x-oss-signature",)
        )
        expected = _b64_hmac(secret, record.string_to_sign.encode("utf-8"), hashlib.sha256)
        if not hmac.compare_digest(expected, provided):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id)
        record.verified = True
        self._check_expired(expires_at)
        self._check_token(record, token, req.header("x-oss-security-token") or req.param("security-token"))

    # -- V4 ----------------------------------------------------------------------------------

    def _v4_scope_check(self, credential):
        parts = credential.split("/")
        if len(parts) != 5:
            raise OssError(400, "InvalidArgument", "Invalid credential %r." % credential)
        access_key_id, date, region, product, terminator = parts
        if terminator != "aliyun_v4_request":
            raise OssError(400, "InvalidArgument", "Invalid credential terminator %r." % terminator)
        if product != self.product:
            raise OssError(400, "InvalidArgument", "Invalid credential product %r." % product)
        if region != self.region:
            raise OssError(
                400,
                "InvalidArgument",
                "Invalid signing region in Authorization header: %r, expected %r." % (region, self.region),
            )
        return access_key_id, date

    def _v4_signing_key(self, secret, date):
        k = hmac.new(("aliyun_v4" + secret).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
        k = hmac.new(k, self.region.encode("utf-8"), hashlib.sha256).digest()
        k = hmac.new(k, self.product.encode("utf-8"), hashlib.sha256).digest()
        return hmac.new(k, b"aliyun_v4_request", hashlib.sha256).digest()

    def _v4_compute(self, req, record, secret, timestamp, additional, payload_hash, exclude_params=()):
        additional = sorted(
            set(
                h.lower()
                for h in additional
                if h and not h.lower().startswith("x-oss-") and h.lower() not in _V4_DEFAULT_SIGNED
            )
        )
        uri = _uri_encode("/" + req.bucket + "/" + req.key if req.bucket else "/", keep_slash=True)
        query = sorted(
            (_uri_encode(k, False), _uri_encode(v, False)) for k, v in req.params if k not in exclude_params
        )
        canonical_query = "&".join(k + "=" + v if v != "" else k for k, v in query)
        canon = sorted(
            (k, v)
            for k, v in req.lower_headers()
            if k.startswith("x-oss-") or k in _V4_DEFAULT_SIGNED or k in additional
        )
        canonical_headers = "".join("%s:%s\n" % (k, v) for k, v in canon)
        canonical_request = "\n".join(
            [req.method, uri, canonical_query, canonical_headers, ";".join(additional), payload_hash]
        )
        date = timestamp[:8]
        scope = "%s/%s/%s/aliyun_v4_request" % (date, self.region, self.product)
        string_to_sign = "\n".join(
            [
                "OSS4-HMAC-SHA256",
                timestamp,
                scope,
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            ]
        )
        record.canonical_request = canonical_request
        record.string_to_sign = string_to_sign
        record.additional_headers = tuple(additional)
        signing_key = self._v4_signing_key(secret, date)
        return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()

    def _v4_header(self, req, record, rest):
        record.version = "v4"
        fields = {}
        for part in rest.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise OssError(400, "InvalidArgument", "Authorization header is invalid: %r." % part)
            name, value = part.split("=", 1)
            fields[name.strip()] = value.strip()
        credential = fields.get("Credential")
        provided = fields.get("Signature")
        if not credential or not provided:
            raise OssError(400, "InvalidArgument", "Credential and Signature are required.")
        if "AdditionalHeaders" in fields and not fields["AdditionalHeaders"]:
            raise OssError(400, "InvalidArgument", "AdditionalHeaders must not be empty when present.")
        access_key_id, cred_date = self._v4_scope_check(credential)
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        timestamp = req.header("x-oss-date")
        if not timestamp:
            raise OssError(403, "AccessDenied", "x-oss-date header is required for V4 signatures.")
        timestamp = timestamp.strip()
        if cred_date != timestamp[:8]:
            raise OssError(400, "InvalidArgument", "Credential date does not match x-oss-date.")
        payload_hash = req.header("x-oss-content-sha256")
        if payload_hash is None:
            raise OssError(400, "InvalidArgument", "x-oss-content-sha256 header is required for V4 signatures.")
        payload_hash = payload_hash.strip()
        additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
        expected = self._v4_compute(req, record, secret, timestamp, additional, payload_hash)
        if not hmac.compare_digest(expected, provided):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id, CanonicalRequest=record.canonical_request)
        record.verified = True
        if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(req.body).hexdigest():
            raise OssError(400, "InvalidArgument", "x-oss-content-sha256 does not match the request body.")
        self._check_skew(_parse_v4_timestamp(timestamp))
        self._check_token(record, token, req.header("x-oss-security-token"))

    def _v4_query(self, req, record):
        record.version = "v4"
        credential = req.param("x-oss-credential")
        timestamp = req.param("x-oss-date")
        expires = req.param("x-oss-expires")
        provided = req.param("x-oss-signature")
        if not credential or not timestamp or not expires or not provided:
            raise OssError(
                403,
                "AccessDenied",
                "x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature are required.",
            )
        access_key_id, cred_date = self._v4_scope_check(credential)
        record.access_key_id = access_key_id
        secret, token = self._lookup(access_key_id)
        if cred_date != timestamp[:8]:
            raise OssError(400, "InvalidArgument", "Credential date does not match x-oss-date.")
        signed_at = _parse_v4_timestamp(timestamp)
        if signed_at is None:
            raise OssError(400, "InvalidArgument", "x-oss-date is invalid: %r." % timestamp)
        try:
            expires_in = int(expires)
        except ValueError:
            raise OssError(400, "InvalidArgument", "x-oss-expires is not a number: %r." % expires)
        if not 0 < expires_in <= V4_MAX_EXPIRES:
            raise OssError(400, "InvalidArgument", "x-oss-expires must be within (0, 604800].")
        additional = [h for h in (req.param("x-oss-additional-headers") or "").split(";") if h]
        expected = self._v4_compute(
            req, record, secret, timestamp, additional, "UNSIGNED-PAYLOAD", exclude_params=("x-oss-signature",)
        )
        if not hmac.compare_digest(expected, provided):
            self._mismatch(record, provided, OSSAccessKeyId=access_key_id, CanonicalRequest=record.canonical_request)
        record.verified = True
        if signed_at - self.clock() > self.max_skew:
            raise OssError(403, "AccessDenied", "x-oss-date is in the future.")
        self._check_expired(signed_at + expires_in)
        self._check_token(record, token, req.header("x-oss-security-token") or req.param("x-oss-security-token"))


# ---------------------------------------------------------------------------------------------
# HTTP layer
# ---------------------------------------------------------------------------------------------


def _x(text) -> str:
    return _xml_escape("" if text is None else str(text))


def _iso8601(ts: float) -> str:
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error_xml(code, message, request_id, host, extra) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<Error>"]
    parts.append("  <Code>%s</Code>" % _x(code))
    parts.append("  <Message>%s</Message>" % _x(message))
    parts.append("  <RequestId>%s</RequestId>" % _x(request_id))
    parts.append("  <HostId>%s</HostId>" % _x(host))
    for name, value in extra.items():
        if value is not None:
            parts.append("  <%s>%s</%s>" % (name, _x(value), name))
    if "StringToSign" in extra and extra["StringToSign"] is not None:
        parts.append(
            "  <StringToSignBytes>%s</StringToSignBytes>"
            % " ".join("%02x" % b for b in extra["StringToSign"].encode("utf-8"))
        )
    parts.append("</Error>")
    return ("\n".join(parts) + "\n").encode("utf-8")


class _Handler(Handler):
    """What OSS says about itself, and its two ways of answering (with the request id and the
    server's Date): ``_send`` and ``_send_error``."""

    server_version = "AliyunOSS"
    sys_version = ""
    timeout = None  # no idle limit: a pooled connection stays usable however long a test pauses
    # Send status line, headers and body in one segment (buffered wfile, flushed after each
    # request): otherwise every response waits ~40 ms on delayed ACKs.
    wbufsize = -1

    def _send(self, status, headers=None, body=b""):
        oss = self.server.fake
        if self._record is not None:  # before the client can see the response
            self._record.status = status
        self.send_response(status)
        self.send_header("x-oss-request-id", self._request_id)
        self.send_header("Date", _http_date(oss.now()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if not any(k.lower() == "content-length" for k in (headers or {})):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_error(self, err: OssError):
        body = _error_xml(err.code, err.message, self._request_id, self.headers.get("Host", ""), err.extra)
        headers = {"Content-Type": "application/xml"}
        if self.command == "HEAD":
            # HEAD responses have no body: OSS puts the base64 error document in x-oss-err.
            headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
            headers["Content-Length"] = "0"
        if self._record is not None:
            self._record.error_code = self._record.error_code or err.code
        self._send(err.status, headers, body)

class OssTestServer(FakeHttpServer):
    """The OSS-like server (``fake_http.py`` serves it). Use as a context manager or call
    :meth:`start` / :meth:`stop`.

    :param credentials: ``{access_key_id: secret}`` or ``{access_key_id: (secret, security_token)}``
        (a token makes the key an STS key: requests must carry exactly that token).
    :param region: region the V4 credential scope must name.
    :param buckets: names of the buckets that exist.
    """

    handler_class = _Handler
    methods = ("GET", "PUT", "HEAD", "DELETE", "POST")

    def __init__(self, credentials=None, region=DEFAULT_REGION, buckets=(DEFAULT_BUCKET,), host="127.0.0.1"):
        super().__init__(host)
        self.region = region
        self.credentials: Dict[str, Tuple[str, Optional[str]]] = {}
        for key_id, value in (credentials or {}).items():
            if isinstance(value, tuple):
                self.add_credentials(key_id, *value)
            else:
                self.add_credentials(key_id, value)
        self._buckets: Dict[str, Dict[str, StoredObject]] = {}
        self._bucket_created: Dict[str, float] = {}
        for name in buckets:
            self.create_bucket(name)
        self.clock_offset = 0.0  # seconds added to the real clock (simulate time passing)
        self.verifier = SignatureVerifier(self.credentials, region, self.now)

    # -- configuration / inspection -----------------------------------------------------------

    def add_credentials(self, access_key_id, secret, security_token=None):
        self.credentials[access_key_id] = (secret, security_token)

    def create_bucket(self, name):
        with self._lock:
            self._buckets.setdefault(name, {})
            self._bucket_created.setdefault(name, time.time())

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds):
        self.clock_offset += seconds

    def reset(self):
        """Empty every bucket, forget the records, reset the clock."""
        with self._lock:
            for objects in self._buckets.values():
                objects.clear()
            self._forget()
            self.clock_offset = 0.0

    @property
    def records(self) -> List[Record]:
        """Every request that reached the authentication step, oldest first (a snapshot)."""
        return self._recorded()

    def clear_records(self):
        self._forget()

    def get_stored(self, key, bucket=DEFAULT_BUCKET) -> Optional[StoredObject]:
        with self._lock:
            return self._buckets.get(bucket, {}).get(key)

    def keys(self, bucket=DEFAULT_BUCKET) -> List[str]:
        with self._lock:
            return sorted(self._buckets.get(bucket, {}))

    @property
    def endpoint(self) -> str:
        return self.url

    def stop(self):
        self.close()

    # -- serving ------------------------------------------------------------------------------

    def handle(self, h: _Handler):
        h._request_id = uuid.uuid4().hex.upper()[:24]
        h._record = None
        body = h.read_body()
        raw_path, _, raw_query = h.path.partition("?")
        try:
            try:
                req = _Req(h.command, raw_path, raw_query, list(h.headers.items()), body)
            except UnicodeDecodeError:
                raise OssError(400, "InvalidURI", "The request URI is not valid UTF-8.")
            record = Record(
                method=h.command,
                path=raw_path,
                query=raw_query,
                bucket=req.bucket,
                key=req.key,
                version=None,
                kind="anonymous",
                headers={k.lower(): v for k, v in h.headers.items()},
            )
            h._record = record
            self._record(record)
            try:
                self.verifier.verify(req, record)
            except OssError as e:
                record.error_code = e.code
                raise
            record.accepted = True
            self._dispatch(h, req)
        except OssError as e:
            h._send_error(e)
        except Exception as e:  # pragma: no cover - bug in the test server itself
            h._send_error(OssError(500, "InternalError", "test server error: %r" % (e,)))

    # -- operations ----------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler, req: _Req):
        if not req.bucket:
            if req.method == "GET":
                return self._list_buckets(handler, req)
            raise OssError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        with self._lock:
            objects = self._buckets.get(req.bucket)
        if objects is None:
            raise OssError(404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=req.bucket)
        if req.key == "":
            if req.method == "GET":
                if req.param("list-type") == "2":
                    return self._list_objects_v2(handler, req, objects)
                return self._list_objects(handler, req, objects)
            raise OssError(400, "NotImplemented", "Bucket operation %s is not implemented here." % req.method)
        if len(req.key.encode("utf-8")) > 1023:
            raise OssError(400, "InvalidObjectName", "The object name is too long.")
        if req.method == "PUT":
            return self._put_object(handler, req, objects)
        if req.method in ("GET", "HEAD"):
            return self._get_object(handler, req, objects)
        if req.method == "DELETE":
            with self._lock:
                objects.pop(req.key, None)
            return handler._send(204)
        raise OssError(400, "NotImplemented", "Object operation %s is not implemented here." % req.method)

    def _put_object(self, handler, req, objects):
        if any(req.has_param(p) for p in ("uploadId", "partNumber", "acl", "tagging", "append", "symlink")):
            raise OssError(400, "NotImplemented", "This sub-resource is not implemented here.")
        if req.header("x-oss-copy-source"):
            raise OssError(400, "NotImplemented", "CopyObject is not implemented here.")
        data = req.body
        md5 = hashlib.md5(data).digest()
        content_md5 = req.header("content-md5")
        if content_md5 is not None and content_md5.strip() != base64.b64encode(md5).decode("ascii"):
            raise OssError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        meta = {k.lower(): v.strip() for k, v in req.headers if k.lower().startswith("x-oss-meta-")}
        obj = StoredObject(
            data=data,
            content_type=(req.header("content-type") or "application/octet-stream").strip(),
            meta=meta,
            etag=md5.hex().upper(),
            crc64=crc64_ecma(data),
            last_modified=self.now(),
        )
        with self._lock:
            objects[req.key] = obj
        handler._send(
            200,
            {
                "ETag": '"%s"' % obj.etag,
                "Content-MD5": base64.b64encode(md5).decode("ascii"),
                "x-oss-hash-crc64ecma": str(obj.crc64),
            },
        )

    def _get_object(self, handler, req, objects):
        with self._lock:
            obj = objects.get(req.key)
        if obj is None:
            raise OssError(404, "NoSuchKey", "The specified key does not exist.", Key=req.key)
        headers = {
            "ETag": '"%s"' % obj.etag,
            "Last-Modified": _http_date(obj.last_modified),
            "x-oss-hash-crc64ecma": str(obj.crc64),
        }
        if req.has_param("objectMeta"):  # GetObjectMeta: a HEAD with a reduced header set
            headers["Content-Length"] = str(len(obj.data))
            return handler._send(200, headers)
        headers.update(
            {
                "Content-Type": obj.content_type,
                "Accept-Ranges": "bytes",
                "x-oss-object-type": "Normal",
                "x-oss-storage-class": "Standard",
                "Content-MD5": base64.b64encode(bytes.fromhex(obj.etag)).decode("ascii"),
            }
        )
        for k, v in obj.meta.items():
            headers[k] = v
        override = req.param("response-content-type")
        if override:
            headers["Content-Type"] = override
        data = obj.data
        status = 200
        rng = _parse_range(req.header("range"), len(data))
        if rng is not None:
            start, end = rng
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
            data = data[start:end + 1]
            status = 206
        headers["Content-Length"] = str(len(data))
        handler._send(status, headers, data)

    @staticmethod
    def _max_keys(req):
        raw = req.param("max-keys")
        if raw in (None, ""):
            return 100
        try:
            n = int(raw)
        except ValueError:
            raise OssError(400, "InvalidArgument", "max-keys is not a number.")
        if not 0 <= n <= 1000:
            raise OssError(400, "InvalidArgument", "max-keys must be in [0, 1000].")
        return n

    def _collect(self, objects, prefix, delimiter, after, max_keys):
        """Keys (and common prefixes) strictly after ``after``: (contents, prefixes, truncated, last)."""
        with self._lock:
            items = sorted(objects.items())
        contents, prefixes, last = [], [], None
        seen_prefixes = set()
        truncated = False
        for key, obj in items:
            if not key.startswith(prefix) or key <= after:
                continue
            entry = None
            if delimiter:
                idx = key.find(delimiter, len(prefix))
                if idx >= 0:
                    cp = key[: idx + len(delimiter)]
                    if cp in seen_prefixes or cp == after or after.startswith(cp):
                        continue
                    entry = ("prefix", cp)
            if entry is None:
                entry = ("key", key, obj)
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if entry[0] == "prefix":
                seen_prefixes.add(entry[1])
                prefixes.append(entry[1])
                last = entry[1]
            else:
                contents.append((entry[1], entry[2]))
                last = entry[1]
        return contents, prefixes, truncated, last

    @staticmethod
    def _contents_xml(contents, enc, fetch_owner=True):
        out = []
        for key, obj in contents:
            out.append("  <Contents>")
            out.append("    <Key>%s</Key>" % _x(enc(key)))
            out.append("    <LastModified>%s</LastModified>" % _iso8601(obj.last_modified))
            out.append('    <ETag>"%s"</ETag>' % obj.etag)
            out.append("    <Type>Normal</Type>")
            out.append("    <Size>%d</Size>" % len(obj.data))
            out.append("    <StorageClass>Standard</StorageClass>")
            if fetch_owner:
                out.append("    <Owner><ID>1234567890</ID><DisplayName>1234567890</DisplayName></Owner>")
            out.append("  </Contents>")
        return out

    @staticmethod
    def _encoder(req):
        encoding_type = req.param("encoding-type") or ""
        if encoding_type not in ("", "url"):
            raise OssError(400, "InvalidArgument", "encoding-type must be 'url'.")
        if encoding_type == "url":
            return encoding_type, (lambda s: quote(s, safe=""))
        return encoding_type, (lambda s: s)

    def _list_objects(self, handler, req, objects):
        prefix = req.param("prefix") or ""
        delimiter = req.param("delimiter") or ""
        marker = req.param("marker") or ""
        max_keys = self._max_keys(req)
        encoding_type, enc = self._encoder(req)
        contents, prefixes, truncated, last = self._collect(objects, prefix, delimiter, marker, max_keys)
        out = ['<?xml version="1.0" encoding="UTF-8"?>', "<ListBucketResult>"]
        out.append("  <Name>%s</Name>" % _x(req.bucket))
        out.append("  <Prefix>%s</Prefix>" % _x(enc(prefix)))
        out.append("  <Marker>%s</Marker>" % _x(enc(marker)))
        out.append("  <MaxKeys>%d</MaxKeys>" % max_keys)
        out.append("  <Delimiter>%s</Delimiter>" % _x(enc(delimiter)))
        if encoding_type:
            out.append("  <EncodingType>%s</EncodingType>" % encoding_type)
        out.append("  <IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
        if truncated:
            out.append("  <NextMarker>%s</NextMarker>" % _x(enc(last or "")))
        out.extend(self._contents_xml(contents, enc))
        for cp in prefixes:
            out.append("  <CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % _x(enc(cp)))
        out.append("</ListBucketResult>")
        handler._send(200, {"Content-Type": "application/xml"}, ("\n".join(out) + "\n").encode("utf-8"))

    def _list_objects_v2(self, handler, req, objects):
        prefix = req.param("prefix") or ""
        delimiter = req.param("delimiter") or ""
        token = req.param("continuation-token") or ""
        start_after = req.param("start-after") or ""
        fetch_owner = (req.param("fetch-owner") or "false") == "true"
        max_keys = self._max_keys(req)
        encoding_type, enc = self._encoder(req)
        after = start_after
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
            except Exception:
                raise OssError(400, "InvalidArgument", "The continuation token is invalid.")
        contents, prefixes, truncated, last = self._collect(objects, prefix, delimiter, after, max_keys)
        out = ['<?xml version="1.0" encoding="UTF-8"?>', "<ListBucketResult>"]
        out.append("  <Name>%s</Name>" % _x(req.bucket))
        out.append("  <Prefix>%s</Prefix>" % _x(enc(prefix)))
        if start_after:
            out.append("  <StartAfter>%s</StartAfter>" % _x(enc(start_after)))
        if token:
            out.append("  <ContinuationToken>%s</ContinuationToken>" % _x(token))
        out.append("  <MaxKeys>%d</MaxKeys>" % max_keys)
        out.append("  <Delimiter>%s</Delimiter>" % _x(enc(delimiter)))
        if encoding_type:
            out.append("  <EncodingType>%s</EncodingType>" % encoding_type)
        out.append("  <IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
        if truncated:
            next_token = base64.urlsafe_b64encode((last or "").encode("utf-8")).decode("ascii")
            out.append("  <NextContinuationToken>%s</NextContinuationToken>" % _x(next_token))
        out.append("  <KeyCount>%d</KeyCount>" % (len(contents) + len(prefixes)))
        out.extend(self._contents_xml(contents, enc, fetch_owner))
        for cp in prefixes:
            out.append("  <CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % _x(enc(cp)))
        out.append("</ListBucketResult>")
        handler._send(200, {"Content-Type": "application/xml"}, ("\n".join(out) + "\n").encode("utf-8"))

    def _list_buckets(self, handler, req):
        prefix = req.param("prefix") or ""
        marker = req.param("marker") or ""
        max_keys = self._max_keys(req)
        with self._lock:
            names = sorted(n for n in self._buckets if n.startswith(prefix) and n > marker)
            created = dict(self._bucket_created)
        truncated = len(names) > max_keys
        names = names[:max_keys]
        out = ['<?xml version="1.0" encoding="UTF-8"?>', "<ListAllMyBucketsResult>"]
        if prefix or marker or truncated:
            out.append("  <Prefix>%s</Prefix>" % _x(prefix))
            out.append("  <Marker>%s</Marker>" % _x(marker))
            out.append("  <MaxKeys>%d</MaxKeys>" % max_keys)
            out.append("  <IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
            if truncated:
                out.append("  <NextMarker>%s</NextMarker>" % _x(names[-1]))
        out.append("  <Owner><ID>1234567890</ID><DisplayName>1234567890</DisplayName></Owner>")
        out.append("  <Buckets>")
        for name in names:
            out.append("    <Bucket>")
            out.append("      <CreationDate>%s</CreationDate>" % _iso8601(created[name]))
            out.append("      <ExtranetEndpoint>oss-%s.aliyuncs.com</ExtranetEndpoint>" % _x(self.region))
            out.append("      <IntranetEndpoint>oss-%s-internal.aliyuncs.com</IntranetEndpoint>" % _x(self.region))
            out.append("      <Location>oss-%s</Location>" % _x(self.region))
            out.append("      <Name>%s</Name>" % _x(name))
            out.append("      <Region>%s</Region>" % _x(self.region))
            out.append("      <StorageClass>Standard</StorageClass>")
            out.append("    </Bucket>")
        out.append("  </Buckets>")
        out.append("</ListAllMyBucketsResult>")
        handler._send(200, {"Content-Type": "application/xml"}, ("\n".join(out) + "\n").encode("utf-8"))


def _parse_range(value: Optional[str], size: int) -> Optional[Tuple[int, int]]:
    """(start, end) inclusive for a single 'bytes=a-b' range, or None to send the whole object.

    Like OSS: a malformed range (or several ranges) is ignored; a start past the end is 416.
    """
    if not value:
        return None
    value = value.strip()
    if not value.startswith("bytes=") or "," in value:
        return None
    spec = value[len("bytes="):].strip()
    if "-" not in spec:
        return None
    first, last = spec.split("-", 1)
    try:
        if first == "":
            if last == "":
                return None
            n = int(last)
            if n <= 0:
                return None
            return (max(0, size - n), size - 1) if size else None
        start = int(first)
        end = int(last) if last != "" else size - 1
    except ValueError:
        return None
    if start < 0 or end < start:
        return None
    if start >= size:
        raise OssError(416, "InvalidRange", "The requested range cannot be satisfied.")
    return start, min(end, size - 1)


# ---------------------------------------------------------------------------------------------
# Convenience helpers
# ---------------------------------------------------------------------------------------------


def start_server(credentials=None, **kwargs) -> OssTestServer:
    """Start a server on 127.0.0.1 with an ephemeral port in a daemon thread and return it."""
    return OssTestServer(credentials, **kwargs).start()


def stop_server(server: OssTestServer):
    server.stop()


class running_server:
    """``with running_server(creds) as server: ...`` -- start, yield, stop."""

    def __init__(self, credentials=None, **kwargs):
        self._server = OssTestServer(credentials, **kwargs)

    def __enter__(self) -> OssTestServer:
        return self._server.start()

    def __exit__(self, *exc):
        self._server.stop()
        return False
