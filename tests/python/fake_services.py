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

Servers (one module each: ``fake_imds.py``, ``fake_sts.py``, ``fake_uri.py``)
    Each fake is a ``fake_http.FakeHttpServer`` (a threading HTTP/1.1 server on ``127.0.0.1``
    with an ephemeral port, as every fake of the suite), started by the constructor.

    * :class:`FakeImds` -- ECS instance metadata: ``PUT /latest/api/token`` (IMDSv2 token) and
      ``GET /latest/meta-data/ram/security-credentials/[<role>]``.
    * :class:`FakeSts` -- STS RPC API at ``/``: ``AssumeRole`` (signed) and
      ``AssumeRoleWithOIDC`` (unsigned), GET or POST, query and/or form body.
    * :class:`FakeCredentialsUri` -- ``GET`` on any path returns a credentials document.
    * :func:`refused_url` -- an ``http://127.0.0.1:PORT`` with nothing listening.

Common API, faults and the expiration format: ``fake_service_base.py``.

Usage::

    with FakeImds(role_name="EcsRole", require_v2=True) as imds:
        ...  # point the client at imds.url
        assert [r.path for r in imds.requests][-1].endswith("/EcsRole")

    with FakeSts({"LTAI-test": "secret"}) as sts:
        ...  # AssumeRole signed with LTAI-test/secret against sts.url
        assert sts.calls[-1].signature_verified
"""

from fake_imds import (
    DEFAULT_IMDS_ROLE,
    IMDS_CREDENTIALS_PATH,
    IMDS_MAX_TOKEN_TTL,
    IMDS_TOKEN_HEADER,
    IMDS_TOKEN_PATH,
    IMDS_TTL_HEADER,
    FakeImds,
)
from fake_service_base import (
    HUGE_BODY_SIZE,
    FakeCredentials,
    FakeService,
    RecordedRequest,
    _Response,
    format_expiration,
    parse_expiration,
    refused_url,
)
from fake_sts import (
    STS_HOST_ID,
    STS_VERSION,
    FakeSts,
    make_oidc_token,
    percent_encode,
    sts_signature,
    sts_string_to_sign,
)
from fake_uri import FakeCredentialsUri

# The fakes live one module each; this one names them all, so that a test imports from one place.
__all__ = [
    "DEFAULT_IMDS_ROLE",
    "IMDS_CREDENTIALS_PATH",
    "IMDS_MAX_TOKEN_TTL",
    "IMDS_TOKEN_HEADER",
    "IMDS_TOKEN_PATH",
    "IMDS_TTL_HEADER",
    "FakeImds",
    "HUGE_BODY_SIZE",
    "FakeCredentials",
    "FakeService",
    "RecordedRequest",
    "_Response",
    "format_expiration",
    "parse_expiration",
    "refused_url",
    "STS_HOST_ID",
    "STS_VERSION",
    "FakeSts",
    "make_oidc_token",
    "percent_encode",
    "sts_signature",
    "sts_string_to_sign",
    "FakeCredentialsUri",
]
