"""A fake credentials URI endpoint (``ALIBABA_CLOUD_CREDENTIALS_URI``)."""

from typing import Optional

from fake_service_base import FakeCredentials, FakeService, RecordedRequest, _Fault, _json_response, _Response


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
