"""A small OSS-like HTTP server for end-to-end tests that verifies every request's signature.

What it is
    An in-memory object store speaking enough of the Alibaba Cloud OSS REST API for oss2's
    ``Bucket``/``Service`` to work against it: PutObject, GetObject (with Range), HeadObject,
    GetObjectMeta (``?objectMeta``), DeleteObject, ListObjects (v1), ListObjectsV2
    (``list-type=2``) and ListBuckets (``GET /``). Path-style addressing only
    (``http://127.0.0.1:PORT/bucket/key``), which is what oss2 uses for IP endpoints.

What it checks
    Every request's signature, with ``oss_signature_verifier.py`` (V1, V2 and V4, headers and
    presigned URLs; OSS's answers to every failure).

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
import datetime
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape

from fake_http import FakeHttpServer, Handler
from oss_signature_verifier import OssError, Record, SignatureVerifier, _http_date, _Req

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
