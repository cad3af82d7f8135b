"""Local fake Alibaba Cloud credential services for tests: ECS IMDS, STS and a credentials URI.

Why
    ossauth fetches credentials over HTTP from three kinds of services. Testing its sources,
    refreshing and error handling needs servers that answer *like the real ones* (paths,
    headers, JSON shapes, error codes, signature checks) and that can be told to misbehave
    (slow, truncated, malformed, hanging up ...) on demand. Every fake here was validated
    against the reference client ``alibabacloud_credentials`` 1.0.12 (see
    ``test_fake_services.py``), so a test that passes against a fake is evidence about the
    real service contract, not just about the fake.

    The STS fake verifies RPC HMAC-SHA1 signatures with its own implementation of the public
    spec (``hashlib``/``hmac``/``urllib.parse`` only -- it imports neither
    ``alibabacloud_credentials`` nor ``ossauth``), so it cannot share a bug with either signer.

Servers
    Each fake is a ``fake_http.FakeHttpServer`` (a threading HTTP/1.1 server on ``127.0.0.1``
    with an ephemeral port, as every fake of the suite), started by the constructor.

    * :class:`FakeImds` -- ECS instance metadata: ``PUT /latest/api/token`` (IMDSv2 token) and
      ``GET /latest/meta-data/ram/security-credentials/[<role>]``.
    * :class:`FakeSts` -- STS RPC API at ``/``: ``AssumeRole`` (signed) and
      ``AssumeRoleWithOIDC`` (unsigned), GET or POST, query and/or form body.
    * :class:`FakeCredentialsUri` -- ``GET`` on any path returns a credentials document.
    * :func:`refused_url` -- an ``http://127.0.0.1:PORT`` with nothing listening.

Common API (:class:`FakeService`)
    ``url`` (``http://127.0.0.1:PORT``), ``netloc`` (``127.0.0.1:PORT``), ``host``, ``port``,
    ``close()``, ``with ... as fake:``, ``requests`` (a snapshot list of
    :class:`RecordedRequest`, appended when a request arrives and completed with the status
    sent), ``clear_requests()``, and faults: ``fault``, ``fault_times``, ``fault_target``,
    ``set_fault()``.

Faults (``fault``, ``None`` by default; settable at any time, also several joined by ``,``)
    ``"status:N"``        answer with HTTP status N (200..599) and a small error body
    ``"slow:SECONDS"``    wait (float) before answering normally; ``close()`` cuts the wait short
    ``"truncated"``       send half the normal body with the Content-Length of all of it, then close
    ``"malformed"``       status 200 with body ``{not json``
    ``"missing:FIELD"``   drop FIELD from the credentials JSON (STS: from ``Credentials``,
                          or top-level if it names a top-level key)
    ``"code:VALUE"``      IMDS/URI: ``"Code": VALUE`` instead of ``"Success"``;
                          STS: an HTTP 400 error whose ``Code`` is VALUE
    ``"expired"``         Expiration one hour in the past
    ``"bad-expiration"``  ``"Expiration": "tomorrow"``
    ``"huge"``            a 40 MiB body (valid JSON if read whole) streamed in 64 KiB chunks,
                          with Content-Length; stops quietly when the client disconnects
    ``"hang-up"``         read the request, then close the connection without any response

    ``fault_times``: ``None`` applies the fault to every matching request; an int N applies it
    to the next N matching requests only, after which ``fault`` resets to ``None`` (e.g. to test
    a retry); assigning ``fault`` resets ``fault_times`` to ``None``, so use
    ``set_fault(fault, times=N)`` for a counted fault. ``fault_target`` (IMDS only; other fakes fault every request): ``"credentials"``
    (default: ``GET .../security-credentials/<role>``), ``"token"`` (``PUT /latest/api/token``),
    ``"role"`` (``GET .../security-credentials/``) or ``"any"``.

Expiration format
    ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, no fraction), e.g. ``2021-10-20T04:27:09Z``, which is exactly
    what the reference SDK parses (``time.strptime(v, '%Y-%m-%dT%H:%M:%SZ')``). Times come from
    the real ``time.time()`` (never a frozen test clock).

Usage::

    with FakeImds(role_name="EcsRole", require_v2=True) as imds:
        ...  # point the client at imds.url
        assert [r.path for r in imds.requests][-1].endswith("/EcsRole")

    with FakeSts({"LTAI-test": "secret"}) as sts:
        ...  # AssumeRole signed with LTAI-test/secret against sts.url
        assert sts.calls[-1].signature_verified
"""

import base64
import binascii
import calendar
import hashlib
import hmac
import json
import re
import secrets
import socket
import string
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, quote, urlsplit

from fake_http import FakeHttpServer, Handler

__all__ = [
    "FakeCredentials",
    "RecordedRequest",
    "FakeService",
    "FakeImds",
    "FakeSts",
    "FakeCredentialsUri",
    "refused_url",
    "format_expiration",
    "parse_expiration",
    "percent_encode",
    "sts_string_to_sign",
    "sts_signature",
    "HUGE_BODY_SIZE",
]

EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
HUGE_BODY_SIZE = 40 * 1024 * 1024
_HUGE_CHUNK = 64 * 1024
IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"
IMDS_TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"
IMDS_TOKEN_HEADER = "x-aliyun-ecs-metadata-token"
IMDS_MAX_TOKEN_TTL = 21600
DEFAULT_IMDS_ROLE = "EcsRamRoleTest"
STS_VERSION = "2015-04-01"
STS_HOST_ID = "sts.aliyuncs.com"

_ALNUM = string.ascii_letters + string.digits
_STATUS_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    429: "Throttling",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


# ---------------------------------------------------------------------------------------------
# Helpers (public: tests use them to build requests and expectations)
# ---------------------------------------------------------------------------------------------


def format_expiration(epoch_seconds: float) -> str:
    """Epoch seconds -> ``2021-10-20T04:27:09Z`` (the only format the services emit)."""
    return time.strftime(EXPIRATION_FORMAT, time.gmtime(int(epoch_seconds)))


def parse_expiration(text: str) -> int:
    """``2021-10-20T04:27:09Z`` -> epoch seconds (UTC), as the reference SDK parses it."""
    return calendar.timegm(time.strptime(text, EXPIRATION_FORMAT))


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as the Alibaba Cloud RPC signature spec requires.

    Unreserved characters (``A-Z a-z 0-9 - _ . ~``) stay literal, everything else -- including
    ``/``, ``*`` (``%2A``) and space (``%20``, never ``+``) -- is ``%XX`` of its UTF-8 bytes.
    """
    return quote(value, safe="~")


def _form_encode(value: str) -> str:
    # application/x-www-form-urlencoded flavour (space -> '+'); only for the lenient mode.
    return quote(value, safe="~ ").replace(" ", "+")


def sts_string_to_sign(method: str, params: Dict[str, str], encode=percent_encode) -> str:
    """The RPC (signature version 1.0) StringToSign for ``params`` (``Signature`` excluded)."""
    canonical = "&".join(
        "%s=%s" % (encode(k), encode(v)) for k, v in sorted(params.items()) if k != "Signature"
    )
    return method.upper() + "&" + encode("/") + "&" + encode(canonical)


def sts_signature(string_to_sign: str, access_key_secret: str) -> str:
    """base64(HMAC-SHA1(secret + "&", StringToSign))."""
    digest = hmac.new((access_key_secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def refused_url() -> str:
    """``http://127.0.0.1:PORT`` for a port with nothing listening (connection refused).

    Why: tests of "service unreachable" need a port that refuses at once instead of timing out.
    The port is reserved by binding without listening and then released; on loopback nothing
    else grabs it in practice.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    finally:
        s.close()
    return "http://127.0.0.1:%d" % port


def _random_text(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeCredentials:
    """Credentials a fake hands out.

    ``expiration`` is epoch seconds; ``None`` means "computed when served" (now + the service's
    usual lifetime), so a long-lived fake never serves stale credentials by accident.
    """

    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: Optional[float] = None

    @classmethod
    def random(cls, expiration: Optional[float] = None) -> "FakeCredentials":
        """STS-looking random credentials (``STS.NT...`` id, ``CAIS...`` token)."""
        return cls(
            access_key_id="STS.NT" + _random_text(22),
            access_key_secret=_random_text(44),
            security_token="CAIS" + _random_text(340, _ALNUM + "+/") + "=",
            expiration=expiration,
        )


@dataclass
class RecordedRequest:
    """One request as a fake saw it (and, once answered, what it answered).

    ``query`` keeps the last value of repeated keys; ``raw_query`` is the undecoded query
    string; ``headers`` has lower-case names. STS-only fields stay ``None`` elsewhere.
    """

    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: bytes
    raw_query: str = ""
    fault: Optional[str] = None  # the fault applied to this request, if any
    status: Optional[int] = None  # HTTP status sent (None: no response, e.g. hang-up)
    error_code: Optional[str] = None  # service error Code sent, if any
    # STS
    params: Optional[Dict[str, str]] = None  # query and form body merged
    action: Optional[str] = None
    oidc_token: Optional[str] = None
    string_to_sign: Optional[str] = None  # the server's own StringToSign (AssumeRole)
    signature_verified: bool = False
    issued: Optional[FakeCredentials] = None  # credentials returned on success


class _Fault:
    """A parsed fault string (validated eagerly so typos fail at the assignment)."""

    _SIMPLE = {"truncated", "malformed", "expired", "bad-expiration", "huge", "hang-up"}

    def __init__(self, text: str):
        self.text = text
        self.status: Optional[int] = None
        self.slow: Optional[float] = None
        self.missing: List[str] = []
        self.code: Optional[str] = None
        self.flags = set()
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, _, arg = part.partition(":")
            if name == "status":
                try:
                    self.status = int(arg)
                except ValueError:
                    raise ValueError("bad fault %r: status needs an integer" % part) from None
                if not 200 <= self.status <= 599:
                    raise ValueError("bad fault %r: status must be 200..599" % part)
            elif name == "slow":
                try:
                    self.slow = float(arg)
                except ValueError:
                    raise ValueError("bad fault %r: slow needs seconds" % part) from None
                if self.slow < 0:
                    raise ValueError("bad fault %r: negative delay" % part)
            elif name == "missing" and arg:
                self.missing.append(arg)
            elif name == "code" and arg:
                self.code = arg
            elif part in self._SIMPLE:
                self.flags.add(part)
            else:
                raise ValueError(
                    "unknown fault %r (known: status:N, slow:SECONDS, truncated, malformed, "
                    "missing:FIELD, code:VALUE, expired, bad-expiration, huge, hang-up)" % part
                )


class _Response:
    def __init__(self, status: int, body: bytes, content_type: str, error_code: Optional[str] = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.error_code = error_code


def _json_response(status: int, obj, error_code: Optional[str] = None, indent=None, separators=None) -> _Response:
    body = json.dumps(obj, indent=indent, separators=separators).encode("utf-8")
    return _Response(status, body, "application/json;charset=utf-8", error_code)


class _Handler(Handler):
    server_version = "FakeAliyun/1.0"
    timeout = 60  # an idle keep-alive connection is dropped after this


# ---------------------------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------------------------


class FakeService(FakeHttpServer):
    """Common machinery: server (``fake_http.py``), started by the constructor; request log;
    fault injection.

    Subclasses implement :meth:`_respond` (the service itself) and :meth:`_target_of`
    (which ``fault_target`` a request belongs to).
    """

    handler_class = _Handler
    _error_style = "json"  # "json" or "text" bodies for status:N faults

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__(host)
        self._fault: Optional[_Fault] = None
        self.fault_times: Optional[int] = None
        self.fault_target: str = "any"
        self.start()

    # -- request log --------------------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        """A snapshot (copy) of the request log, oldest first."""
        return self._recorded()

    def clear_requests(self):
        self._forget()

    # -- faults -------------------------------------------------------------------------------

    @property
    def fault(self) -> Optional[str]:
        f = self._fault
        return f.text if f is not None else None

    @fault.setter
    def fault(self, value: Optional[str]):
        parsed = _Fault(value) if value else None
        with self._lock:
            self._fault = parsed
            self.fault_times = None  # a plain assignment is persistent; set_fault() counts

    def set_fault(self, fault: Optional[str], times: Optional[int] = None, target: Optional[str] = None):
        """Set ``fault`` (and ``fault_times`` / ``fault_target``) in one atomic step."""
        parsed = _Fault(fault) if fault else None
        with self._lock:
            self._fault = parsed
            self.fault_times = times
            if target is not None:
                self.fault_target = target

    def _take_fault(self, target: str) -> Optional[_Fault]:
        with self._lock:
            f = self._fault
            if f is None:
                return None
            if self.fault_target != "any" and target != self.fault_target:
                return None
            if self.fault_times is not None:
                if self.fault_times <= 0:
                    self._fault = None
                    return None
                self.fault_times -= 1
                if self.fault_times == 0:
                    self._fault = None
            return f

    # -- to be provided by subclasses -----------------------------------------------------------

    def _target_of(self, rec: RecordedRequest) -> str:
        return "credentials"

    def _respond(self, rec: RecordedRequest, fault: Optional[_Fault]) -> _Response:
        raise NotImplementedError

    def _status_fault_response(self, status: int) -> _Response:
        code = _STATUS_CODES.get(status, "Fault%d" % status)
        if self._error_style == "text":
            return _Response(status, ("%d %s\n" % (status, code)).encode(), "text/plain")
        return _json_response(
            status,
            {"RequestId": _request_id(), "Code": code, "Message": "injected fault: status %d" % status},
            error_code=code,
        )

    # -- serving ------------------------------------------------------------------------------

    def handle(self, h: _Handler):
        split = urlsplit(h.path)
        body = h.read_body()
        rec = RecordedRequest(
            method=h.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
            raw_query=split.query,
        )
        self._record(rec)
        fault = self._take_fault(self._target_of(rec))
        rec.fault = fault.text if fault else None

        if fault is not None and fault.slow:
            if self.closing.wait(fault.slow):
                h.close_connection = True
                return
        if fault is not None and "hang-up" in fault.flags:
            h.close_connection = True
            return
        if fault is not None and fault.status is not None:
            resp = self._status_fault_response(fault.status)
        elif fault is not None and "malformed" in fault.flags:
            resp = _Response(200, b"{not json", "application/json;charset=utf-8")
        elif fault is not None and "huge" in fault.flags:
            rec.status = 200
            self._send_huge(h)
            return
        else:
            resp = self._respond(rec, fault)
        rec.status = resp.status
        rec.error_code = resp.error_code
        self._send(h, resp, truncated=fault is not None and "truncated" in fault.flags)

    def _send(self, h: _Handler, resp: _Response, truncated: bool = False):
        body = resp.body if h.command != "HEAD" else b""
        h.send_response(resp.status)
        h.send_header("Content-Type", resp.content_type)
        h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        if truncated:
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True  # the rest never comes: the client sees a short read
        else:
            h.wfile.write(body)

    def _send_huge(self, h: _Handler):
        head = b'{"Code": "Success", "Padding": "'
        tail = b'"}'
        h.send_response(200)
        h.send_header("Content-Type", "application/json;charset=utf-8")
        h.send_header("Content-Length", str(HUGE_BODY_SIZE))
        h.end_headers()
        h.close_connection = True
        remaining = HUGE_BODY_SIZE - len(head) - len(tail)
        filler = b"x" * _HUGE_CHUNK
        try:
            h.wfile.write(head)
            while remaining > 0 and not self.closing.is_set():
                n = min(remaining, _HUGE_CHUNK)
                h.wfile.write(filler[:n])
                remaining -= n
            if remaining == 0:
                h.wfile.write(tail)
        except OSError:
            pass  # the client disconnected (that is the point of the test): stop quietly

    # -- shared credential document helpers -------------------------------------------------------

    @staticmethod
    def _expiration_text(creds: FakeCredentials, default_lifetime: float, fault: Optional[_Fault]) -> str:
        if fault is not None and "bad-expiration" in fault.flags:
            return "tomorrow"
        if fault is not None and "expired" in fault.flags:
            return format_expiration(time.time() - 3600)
        exp = creds.expiration if creds.expiration is not None else time.time() + default_lifetime
        return format_expiration(exp)


# ---------------------------------------------------------------------------------------------
# ECS instance metadata service
# ---------------------------------------------------------------------------------------------


class FakeImds(FakeService):
    """ECS metadata service (IMDS) serving RAM role credentials, with optional IMDSv2 tokens.

    :param role_name: the role attached to the "instance" (``None``: no role, the role list is 404).
    :param credentials: a :class:`FakeCredentials` (random by default; ``expiration=None`` means
        now + 6 h at each response, like IMDS which always serves hours-valid credentials).
    :param require_v2: hardened mode -- GETs without a valid ``X-aliyun-ecs-metadata-token``
        get 401.
    :param v2_enabled: ``False`` simulates an IMDS without token support: the PUT answers
        ``token_disabled_status`` (404 by default).

    Attributes ``role_name``, ``credentials``, ``require_v2``, ``v2_enabled``,
    ``token_disabled_status`` may be changed at any time. ``issued_tokens`` maps each token
    handed out to its expiry (epoch seconds). A token sent but unknown/expired always gets 401,
    even when v2 is optional (like AWS's IMDS: a wrong token is never silently ignored).
    """

    _error_style = "text"
    CREDENTIALS_LIFETIME = 6 * 3600

    def __init__(
        self,
        role_name: Optional[str] = DEFAULT_IMDS_ROLE,
        credentials: Optional[FakeCredentials] = None,
        require_v2: bool = False,
        v2_enabled: bool = True,
        host: str = "127.0.0.1",
    ):
        self.role_name = role_name
        self.credentials = credentials if credentials is not None else FakeCredentials.random()
        self.require_v2 = require_v2
        self.v2_enabled = v2_enabled
        self.token_disabled_status = 404
        self.issued_tokens: Dict[str, float] = {}
        super().__init__(host)
        self.fault_target = "credentials"

    def rotate_credentials(self) -> FakeCredentials:
        """Replace the served credentials with fresh random ones (what IMDS does hourly)."""
        self.credentials = FakeCredentials.random()
        return self.credentials

    def _target_of(self, rec: RecordedRequest) -> str:
        if rec.path == IMDS_TOKEN_PATH:
            return "token"
        if rec.path.rstrip("/") == IMDS_CREDENTIALS_PATH.rstrip("/"):
            return "role"
        if rec.path.startswith(IMDS_CREDENTIALS_PATH):
            return "credentials"
        return "other"

    @staticmethod
    def _text(status: int, text: str) -> _Response:
        return _Response(status, text.encode("utf-8"), "text/plain")

    def _respond(self, rec: RecordedRequest, fault: Optional[_Fault]) -> _Response:
        if rec.path == IMDS_TOKEN_PATH:
            return self._token(rec)
        if rec.method not in ("GET", "HEAD"):
            return self._text(405, "405 Method Not Allowed")
        token = rec.headers.get(IMDS_TOKEN_HEADER)
        if token is not None:
            with self._lock:
                expiry = self.issued_tokens.get(token)
            if expiry is None or expiry < time.time():
                return self._text(401, "401 Unauthorized")
        elif self.require_v2:
            return self._text(401, "401 Unauthorized")

        if rec.path.rstrip("/") == IMDS_CREDENTIALS_PATH.rstrip("/"):
            if not self.role_name:
                return self._text(404, "404 Not Found")
            return self._text(200, self.role_name)  # no trailing newline: clients use it verbatim
        if rec.path.startswith(IMDS_CREDENTIALS_PATH):
            role = rec.path[len(IMDS_CREDENTIALS_PATH):]
            if not self.role_name or role != self.role_name:
                return self._text(404, "404 Not Found")
            return self._credentials_document(fault)
        return self._text(404, "404 Not Found")

    def _token(self, rec: RecordedRequest) -> _Response:
        if rec.method != "PUT":
            return self._text(405, "405 Method Not Allowed")
        if not self.v2_enabled:
            return self._text(self.token_disabled_status, "%d Not Found" % self.token_disabled_status)
        ttl_text = rec.headers.get(IMDS_TTL_HEADER)
        try:
            ttl = int(ttl_text)
        except (TypeError, ValueError):
            return self._text(400, "400 Bad Request: missing or invalid X-aliyun-ecs-metadata-token-ttl-seconds")
        if not 1 <= ttl <= IMDS_MAX_TOKEN_TTL:
            return self._text(400, "400 Bad Request: token ttl must be 1..%d" % IMDS_MAX_TOKEN_TTL)
        token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode("ascii")
        with self._lock:
            self.issued_tokens[token] = time.time() + ttl
        return self._text(200, token)

    def _credentials_document(self, fault: Optional[_Fault]) -> _Response:
        creds = self.credentials
        expiration = self._expiration_text(creds, self.CREDENTIALS_LIFETIME, fault)
        try:
            last_updated = format_expiration(parse_expiration(expiration) - self.CREDENTIALS_LIFETIME)
        except ValueError:
            last_updated = format_expiration(time.time())
        doc = {
            "AccessKeyId": creds.access_key_id,
            "AccessKeySecret": creds.access_key_secret,
            "Expiration": expiration,
            "SecurityToken": creds.security_token,
            "LastUpdated": last_updated,
            "Code": "Success",
        }
        if fault is not None:
            if fault.code is not None:
                doc["Code"] = fault.code
            for name in fault.missing:
                doc.pop(name, None)
        # IMDS pretty-prints with " : " and answers text/plain
        body = json.dumps(doc, indent=2, separators=(",", " : ")).encode("utf-8")
        return _Response(200, body, "text/plain")


# ---------------------------------------------------------------------------------------------
# STS
# ---------------------------------------------------------------------------------------------


class _StsError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message


_ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([^/\s]+)$", re.IGNORECASE)
_OIDC_PROVIDER_ARN = re.compile(r"^acs:ram::\d+:oidc-provider/\S+$", re.IGNORECASE)
_SESSION_NAME = re.compile(r"^[\w.@-]{2,64}$")


class FakeSts(FakeService):
    """Alibaba Cloud STS (RPC style, API version 2015-04-01) at ``/``.

    Accepts GET or POST; parameters from the query string and an
    ``application/x-www-form-urlencoded`` body are merged (body wins on a clash).

    * ``AssumeRole`` -- signed (HMAC-SHA1, SignatureVersion 1.0). The signature is *verified*
      with this module's own RFC 3986 implementation over the HTTP method actually used.
    * ``AssumeRoleWithOIDC`` -- unsigned; needs RoleArn, OIDCProviderArn, OIDCToken,
      RoleSessionName.

    Both need ``Format=JSON`` and ``Version=2015-04-01`` (the real STS answers XML without
    Format=JSON, which no JSON client survives, so a missing Format is reported here).

    :param keys: ``{access_key_id: secret}`` or ``{access_key_id: (secret, security_token)}``
        (a token makes it an STS key: AssumeRole must then carry exactly that SecurityToken).
    :param max_duration_seconds: the role's maximum session duration (3600 .. 43200).
    :param max_clock_skew: reject a Timestamp further than this from now (seconds; ``None``
        disables the check, e.g. for clients driven by a frozen clock).
    :param accept_issued: credentials this fake issues become valid signing keys (role chaining).
    :param lenient_space_encoding: also accept signatures whose StringToSign encoded a space as
        ``+`` (form encoding) instead of ``%20``; the reference Python SDK does that.

    Settable attributes: ``next_credentials`` (a :class:`FakeCredentials` returned by every
    successful call while set; ``expiration=None`` -> now + DurationSeconds; ``None`` -> fresh
    random credentials per call), ``expected_oidc_token`` (``None``: any non-empty token;
    otherwise the exact token required, else 401 ``AuthenticationFail.OIDCToken.Invalid``),
    ``account_id``, ``max_duration_seconds``, ``max_clock_skew``, ``lenient_space_encoding``.
    ``calls`` lists the recorded requests that named an Action.
    """

    def __init__(
        self,
        keys: Optional[Dict[str, Union[str, Tuple[str, Optional[str]]]]] = None,
        *,
        next_credentials: Optional[FakeCredentials] = None,
        expected_oidc_token: Optional[str] = None,
        account_id: str = "1234567890123456",
        max_duration_seconds: int = 3600,
        max_clock_skew: Optional[float] = 900,
        accept_issued: bool = True,
        lenient_space_encoding: bool = False,
        host: str = "127.0.0.1",
    ):
        self.keys: Dict[str, Tuple[str, Optional[str]]] = {}
        for key_id, value in (keys or {}).items():
            self.keys[key_id] = (value[0], value[1]) if isinstance(value, tuple) else (value, None)
        self.next_credentials = next_credentials
        self.expected_oidc_token = expected_oidc_token
        self.account_id = account_id
        self.max_duration_seconds = max_duration_seconds
        self.max_clock_skew = max_clock_skew
        self.accept_issued = accept_issued
        self.lenient_space_encoding = lenient_space_encoding
        self.used_nonces = set()
        super().__init__(host)

    def add_key(self, access_key_id: str, secret: str, security_token: Optional[str] = None):
        with self._lock:
            self.keys[access_key_id] = (secret, security_token)

    @property
    def calls(self) -> List[RecordedRequest]:
        return [r for r in self.requests if r.action is not None]

    # -- serving ------------------------------------------------------------------------------

    def _error(self, e: _StsError) -> _Response:
        rid = _request_id()
        return _json_response(
            e.status,
            {
                "RequestId": rid,
                "HostId": STS_HOST_ID,
                "Code": e.code,
                "Message": e.message,
                "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=Sts&requestId=%s" % (e.code, rid),
            },
            error_code=e.code,
        )

    def _respond(self, rec: RecordedRequest, fault: Optional[_Fault]) -> _Response:
        params = dict(rec.query)
        ctype = rec.headers.get("content-type", "")
        if rec.body and ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            params.update(parse_qsl(rec.body.decode("utf-8", "replace"), keep_blank_values=True))
        rec.params = params
        rec.action = params.get("Action")
        try:
            if rec.method not in ("GET", "POST"):
                raise _StsError(405, "MethodNotAllowed", "The specified HTTP method is not allowed.")
            if rec.path != "/":
                raise _StsError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
            if rec.action == "AssumeRole":
                return self._assume_role(rec, params, fault)
            if rec.action == "AssumeRoleWithOIDC":
                return self._assume_role_with_oidc(rec, params, fault)
            if not rec.action:
                raise _missing("Action")
            raise _StsError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        except _StsError as e:
            return self._error(e)

    @staticmethod
    def _require(params: Dict[str, str], names):
        for name in names:
            if not params.get(name):
                raise _missing(name)

    def _common_checks(self, params: Dict[str, str]):
        if params["Version"] != STS_VERSION:
            raise _StsError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if params["Format"].upper() != "JSON":
            raise _StsError(400, "InvalidParameter", "Specified parameter Format is not valid (this fake only speaks JSON).")

    def _assume_role(self, rec: RecordedRequest, params: Dict[str, str], fault) -> _Response:
        self._require(
            params,
            ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
             "Timestamp", "Format", "Version", "RoleArn", "RoleSessionName"),
        )
        self._common_checks(params)
        if params["SignatureMethod"] != "HMAC-SHA1":
            raise _StsError(400, "InvalidParameter", "Specified parameter SignatureMethod is not valid.")
        if params["SignatureVersion"] != "1.0":
            raise _StsError(400, "InvalidParameter", "Specified parameter SignatureVersion is not valid.")
        self._check_timestamp(params["Timestamp"])

        with self._lock:
            key = self.keys.get(params["AccessKeyId"])
        if key is None:
            raise _StsError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, expected_token = key

        sts = sts_string_to_sign(rec.method, params)
        rec.string_to_sign = sts
        ok = hmac.compare_digest(sts_signature(sts, secret), params["Signature"])
        if not ok and self.lenient_space_encoding:
            alt = sts_string_to_sign(rec.method, params, encode=_form_encode)
            ok = hmac.compare_digest(sts_signature(alt, secret), params["Signature"])
        if not ok:
            raise _StsError(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:" + sts,
            )
        rec.signature_verified = True
        with self._lock:
            nonce = params["SignatureNonce"]
            if nonce in self.used_nonces:
                raise _StsError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self.used_nonces.add(nonce)

        if expected_token is not None:
            got = params.get("SecurityToken")
            if not got:
                raise _StsError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
            if got != expected_token:
                raise _StsError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                                "Specified SecurityToken mismatch with the AccessKey.")
        self._check_policy(params.get("Policy"))
        return self._issue(rec, params, fault)

    def _assume_role_with_oidc(self, rec: RecordedRequest, params: Dict[str, str], fault) -> _Response:
        self._require(params, ("Format", "Version"))
        self._common_checks(params)
        rec.oidc_token = params.get("OIDCToken")
        self._require(params, ("RoleArn", "OIDCProviderArn"))
        if not params.get("OIDCToken"):
            raise _StsError(401, "AuthenticationFail.OIDCToken.Invalid", "The OIDCToken can not empty.")
        self._require(params, ("RoleSessionName",))
        if not _OIDC_PROVIDER_ARN.match(params["OIDCProviderArn"]):
            raise _StsError(400, "InvalidParameter.OIDCProviderArn", "The parameter OIDCProviderArn is wrongly formed.")
        expected = self.expected_oidc_token
        if expected is not None and params["OIDCToken"] != expected:
            raise _StsError(401, "AuthenticationFail.OIDCToken.Invalid", "The Jwt content is invalid that cannot be recognized.")
        self._check_policy(params.get("Policy"))
        return self._issue(rec, params, fault, oidc=True)

    def _check_timestamp(self, text: str):
        try:
            ts = parse_expiration(text)
        except ValueError:
            raise _StsError(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.") from None
        if self.max_clock_skew is not None and abs(time.time() - ts) > self.max_clock_skew:
            raise _StsError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

    @staticmethod
    def _check_policy(policy: Optional[str]):
        if policy is None:
            return
        try:
            ok = isinstance(json.loads(policy), dict)
        except ValueError:
            ok = False
        if not ok:
            raise _StsError(400, "InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check.")

    def _issue(self, rec: RecordedRequest, params: Dict[str, str], fault: Optional[_Fault], oidc: bool = False) -> _Response:
        m = _ROLE_ARN.match(params["RoleArn"])
        if not m:
            raise _StsError(400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
        session = params["RoleSessionName"]
        if not _SESSION_NAME.match(session):
            raise _StsError(400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
        duration_text = params.get("DurationSeconds") or "3600"
        try:
            duration = int(duration_text)
        except ValueError:
            duration = -1
        if not 900 <= duration <= self.max_duration_seconds:
            raise _StsError(
                400,
                "InvalidParameter.DurationSeconds",
                "The Min/Max value of DurationSeconds is 15min/%ds." % self.max_duration_seconds,
            )
        if fault is not None and fault.code is not None:
            raise _StsError(400, fault.code, "injected fault: code %s" % fault.code)

        template = self.next_credentials
        creds = template if template is not None else FakeCredentials.random()
        expiration = self._expiration_text(creds, duration, fault)
        if creds.expiration is None:
            try:
                issued_expiration = float(parse_expiration(expiration))
            except ValueError:
                issued_expiration = None
        else:
            issued_expiration = creds.expiration
        issued = FakeCredentials(creds.access_key_id, creds.access_key_secret, creds.security_token, issued_expiration)
        rec.issued = issued
        if self.accept_issued:
            self.add_key(issued.access_key_id, issued.access_key_secret, issued.security_token)

        role_name = m.group(2)
        doc = {
            "RequestId": _request_id(),
            "AssumedRoleUser": {
                "AssumedRoleId": "3%017d:%s" % (secrets.randbelow(10 ** 17), session),
                "Arn": "acs:ram::%s:assumed-role/%s/%s" % (m.group(1), role_name, session),
            },
            "Credentials": {
                "SecurityToken": issued.security_token,
                "AccessKeyId": issued.access_key_id,
                "AccessKeySecret": issued.access_key_secret,
                "Expiration": expiration,
            },
        }
        if oidc:
            doc["OIDCTokenInfo"] = _oidc_token_info(params["OIDCToken"])
        if fault is not None:
            for name in fault.missing:
                if name in doc:
                    doc.pop(name)
                else:
                    doc["Credentials"].pop(name, None)
        return _json_response(200, doc)


def _missing(name: str) -> _StsError:
    return _StsError(
        400,
        "MissingParameter",
        'The input parameter "%s" that is mandatory for processing this request is not supplied.' % name,
    )


def _oidc_token_info(token: str) -> Dict[str, str]:
    """Issuer/Subject/ClientIds from the JWT payload when it decodes (the real STS echoes them)."""
    info = {"Issuer": "", "Subject": "", "ClientIds": ""}
    parts = token.strip().split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            return info
        if isinstance(payload, dict):
            aud = payload.get("aud", "")
            info = {
                "Issuer": str(payload.get("iss", "")),
                "Subject": str(payload.get("sub", "")),
                "ClientIds": ",".join(aud) if isinstance(aud, list) else str(aud),
            }
    return info


# ---------------------------------------------------------------------------------------------
# Credentials URI
# ---------------------------------------------------------------------------------------------


class FakeCredentialsUri(FakeService):
    """A credentials URI endpoint (``ALIBABA_CLOUD_CREDENTIALS_URI``): GET on any path returns
    ``{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}``.

    :param credentials: a :class:`FakeCredentials` (random by default; ``expiration=None`` means
        now + 1 h at each response). Settable at any time, as is ``rotate_credentials()``.
    Other methods get 405.
    """

    CREDENTIALS_LIFETIME = 3600

    def __init__(self, credentials: Optional[FakeCredentials] = None, host: str = "127.0.0.1"):
        self.credentials = credentials if credentials is not None else FakeCredentials.random()
        super().__init__(host)

    def rotate_credentials(self) -> FakeCredentials:
        self.credentials = FakeCredentials.random()
        return self.credentials

    def _respond(self, rec: RecordedRequest, fault: Optional[_Fault]) -> _Response:
        if rec.method not in ("GET", "HEAD"):
            return _json_response(405, {"Code": "MethodNotAllowed", "Message": "only GET"}, error_code="MethodNotAllowed")
        creds = self.credentials
        doc = {
            "Code": "Success",
            "AccessKeyId": creds.access_key_id,
            "AccessKeySecret": creds.access_key_secret,
            "SecurityToken": creds.security_token,
            "Expiration": self._expiration_text(creds, self.CREDENTIALS_LIFETIME, fault),
        }
        if fault is not None:
            if fault.code is not None:
                doc["Code"] = fault.code
            for name in fault.missing:
                doc.pop(name, None)
        return _json_response(200, doc)
