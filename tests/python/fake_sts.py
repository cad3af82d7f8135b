"""A fake Alibaba Cloud STS (RPC API 2015-04-01): AssumeRole, verified with its own
implementation of the RPC signature (the helpers below), and AssumeRoleWithOIDC."""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, quote

from fake_service_base import (
    FakeCredentials,
    FakeService,
    RecordedRequest,
    _Fault,
    _json_response,
    _request_id,
    _Response,
    parse_expiration,
)

STS_VERSION = "2015-04-01"
STS_HOST_ID = "sts.aliyuncs.com"


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


def make_oidc_token(subject: str) -> str:
    """A JWT as a Kubernetes service account's (RRSA) would be, for ``system:serviceaccount:ns:<subject>``,
    unique (``jti``) and with a random signature: STS only compares it."""

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {"iss": "https://oidc-ack.example", "sub": "system:serviceaccount:ns:" + subject,
               "aud": ["sts.aliyuncs.com"], "jti": secrets.token_hex(8)}
    return "%s.%s.%s" % (b64({"alg": "RS256", "kid": "k1"}), b64(payload), secrets.token_urlsafe(48))


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


