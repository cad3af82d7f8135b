"""A fake ECS instance metadata service (IMDS) serving RAM role credentials, with IMDSv2 tokens
(see ``fake_services.py`` for the family and ``fake_service_base.py`` for the faults)."""

import base64
import json
import secrets
import time
from typing import Dict, Optional

from fake_service_base import FakeCredentials, FakeService, RecordedRequest, _Fault, _Response, parse_expiration, format_expiration

IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"
IMDS_TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"
IMDS_TOKEN_HEADER = "x-aliyun-ecs-metadata-token"
IMDS_MAX_TOKEN_TTL = 21600
DEFAULT_IMDS_ROLE = "EcsRamRoleTest"


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


