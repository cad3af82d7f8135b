"""The fake OSS's signature check: an independent implementation of the OSS signing spec.

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
"""

import base64
import calendar
import datetime
import email.utils
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote

MAX_SKEW_SECONDS = 15 * 60
V4_MAX_EXPIRES = 7 * 24 * 3600


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
