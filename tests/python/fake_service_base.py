"""What every fake credential service shares: the :class:`FakeService` base (its server comes
from ``fake_http.py``), the credentials it serves, the request log and fault injection.

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
"""

import calendar
import json
import secrets
import socket
import string
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

from fake_http import FakeHttpServer, Handler

EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
HUGE_BODY_SIZE = 40 * 1024 * 1024
_HUGE_CHUNK = 64 * 1024
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


