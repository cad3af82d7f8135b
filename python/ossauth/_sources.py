"""The credential sources implemented in Rust, each in the refreshing cache.

Every class here is a ``RefreshingCredentialsProvider`` whose fetch is a Rust function: the
network I/O happens on a short-lived Rust thread without the GIL, with connect and read
timeouts and a cap on response size, and no retries of its own (the cache retries with
backoff). Constructor errors (a missing role ARN, a profile that does not exist) are
``CredentialsError`` and name what is missing and where it was looked for.
"""

import os

from . import _core
from ._refreshing import RefreshingCredentialsProvider


# Argument checks, so that a wrong type reads as Python's own errors do ("role_arn must be str
# or None, not int") rather than as the binding layer's conversion errors.


def _type_error(name, wanted, value):
    return TypeError("%s must be %s, not %s" % (name, wanted, type(value).__name__))


def _text(name, value):
    if value is not None and not isinstance(value, str):
        raise _type_error(name, "str or None", value)
    return value


def _flag(name, value):
    if value is not None and not isinstance(value, bool):
        raise _type_error(name, "bool or None", value)
    return value


def _seconds(name, value, optional=False):
    if optional and value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(name, "int or float" + (" or None" if optional else ""), value)
    return value


def _whole_seconds(name, value):
    if value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(name, "int or None", value)
    if not 0 <= value < 2**32:
        raise ValueError("%s is out of range: %d" % (name, value))
    return value


def _path(name, value):
    if value is None:
        return value
    try:
        return os.fsdecode(os.fspath(value))
    except TypeError:
        raise _type_error(name, "str, os.PathLike or None", value) from None


def _provider(name, value):
    if value is not None and not callable(getattr(value, "get_credentials", None)):
        raise _type_error(name, "a credentials provider (with get_credentials()) or None", value)
    return value


def _session_kwargs(
    duration_seconds, sts_endpoint, sts_region, enable_vpc, connect_timeout, read_timeout
):
    """The keyword arguments both STS roles pass on after ``policy``, checked in this order.
    (``role_session_name`` and ``policy`` are checked by the caller: a RAM role checks
    ``external_id`` between them and these, and the first wrong argument is the one reported.)"""
    return {
        "duration_seconds": _whole_seconds("duration_seconds", duration_seconds),
        "sts_endpoint": _text("sts_endpoint", sts_endpoint),
        "sts_region": _text("sts_region", sts_region),
        "enable_vpc": _flag("enable_vpc", enable_vpc),
        "connect_timeout": _seconds("connect_timeout", connect_timeout),
        "read_timeout": _seconds("read_timeout", read_timeout),
    }


def _wait_timeout(timeout, connect_timeout, read_timeout, requests=1):
    """By default callers wait as long as the source's requests may take, and a second more,
    so that a slow service is reported by its own cause rather than by the wait running out."""
    return timeout if timeout is not None else requests * (connect_timeout + read_timeout) + 1.0


class EcsRamRoleCredentialsProvider(RefreshingCredentialsProvider):
    """The RAM role attached to this ECS instance, from its metadata service.

    IMDSv2 (a session token from ``PUT /latest/api/token``, sent on every request) with a
    fallback to IMDSv1 unless ``disable_imds_v1`` (or ``ALIBABA_CLOUD_IMDSV1_DISABLED=true``).
    Without ``role_name`` (or ``ALIBABA_CLOUD_ECS_METADATA``) the role is discovered.
    """

    def __new__(
        cls,
        role_name=None,
        *,
        endpoint="http://100.100.100.200",
        disable_imds_v1=None,
        connect_timeout=1.0,
        read_timeout=1.0,
        timeout=None,
    ):
        source = _core._ecs_ram_role_source(
            _text("role_name", role_name),
            endpoint=_text("endpoint", endpoint),
            disable_imds_v1=_flag("disable_imds_v1", disable_imds_v1),
            connect_timeout=_seconds("connect_timeout", connect_timeout),
            read_timeout=_seconds("read_timeout", read_timeout),
        )
        _seconds("timeout", timeout, optional=True)
        return super().__new__(cls, source, timeout=_wait_timeout(timeout, connect_timeout, read_timeout, 3))


class RamRoleArnCredentialsProvider(RefreshingCredentialsProvider):
    """STS ``AssumeRole``: temporary credentials of ``role_arn``, signed with the source
    credentials (an AccessKey given here, ``source`` -- any provider --, else the environment).

    ``ALIBABA_CLOUD_ROLE_ARN``, ``ALIBABA_CLOUD_ROLE_SESSION_NAME``, ``ALIBABA_CLOUD_STS_REGION``
    and ``ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`` fill what is not given. ``sts_endpoint`` takes a
    host (https) or a full URL.
    """

    def __new__(
        cls,
        role_arn=None,
        *,
        access_key_id=None,
        access_key_secret=None,
        security_token=None,
        source=None,
        role_session_name=None,
        policy=None,
        external_id=None,
        duration_seconds=3600,
        sts_endpoint=None,
        sts_region=None,
        enable_vpc=None,
        connect_timeout=5.0,
        read_timeout=10.0,
        timeout=None,
    ):
        fetch = _core._ram_role_arn_source(
            _text("role_arn", role_arn),
            access_key_id=_text("access_key_id", access_key_id),
            access_key_secret=_text("access_key_secret", access_key_secret),
            security_token=_text("security_token", security_token),
            source=_provider("source", source),
            role_session_name=_text("role_session_name", role_session_name),
            policy=_text("policy", policy),
            external_id=_text("external_id", external_id),
            **_session_kwargs(
                duration_seconds, sts_endpoint, sts_region, enable_vpc, connect_timeout, read_timeout
            ),
        )
        _seconds("timeout", timeout, optional=True)
        return super().__new__(cls, fetch, timeout=_wait_timeout(timeout, connect_timeout, read_timeout, 2))


class OidcRoleArnCredentialsProvider(RefreshingCredentialsProvider):
    """STS ``AssumeRoleWithOIDC`` (ACK's RRSA): the OIDC token file is read again on every
    refresh, since the cluster rotates it.

    ``ALIBABA_CLOUD_ROLE_ARN``, ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN`` and
    ``ALIBABA_CLOUD_OIDC_TOKEN_FILE`` (set by RRSA) fill what is not given.
    """

    def __new__(
        cls,
        role_arn=None,
        oidc_provider_arn=None,
        oidc_token_file=None,
        *,
        role_session_name=None,
        policy=None,
        duration_seconds=3600,
        sts_endpoint=None,
        sts_region=None,
        enable_vpc=None,
        connect_timeout=5.0,
        read_timeout=10.0,
        timeout=None,
    ):
        fetch = _core._oidc_role_arn_source(
            _text("role_arn", role_arn),
            _text("oidc_provider_arn", oidc_provider_arn),
            _path("oidc_token_file", oidc_token_file),
            role_session_name=_text("role_session_name", role_session_name),
            policy=_text("policy", policy),
            **_session_kwargs(
                duration_seconds, sts_endpoint, sts_region, enable_vpc, connect_timeout, read_timeout
            ),
        )
        _seconds("timeout", timeout, optional=True)
        return super().__new__(cls, fetch, timeout=_wait_timeout(timeout, connect_timeout, read_timeout))


class UriCredentialsProvider(RefreshingCredentialsProvider):
    """Credentials served by a URI (``ALIBABA_CLOUD_CREDENTIALS_URI``) as
    ``{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}``."""

    def __new__(cls, uri=None, *, connect_timeout=5.0, read_timeout=10.0, timeout=None):
        fetch = _core._uri_source(
            _text("uri", uri),
            connect_timeout=_seconds("connect_timeout", connect_timeout),
            read_timeout=_seconds("read_timeout", read_timeout),
        )
        _seconds("timeout", timeout, optional=True)
        return super().__new__(cls, fetch, timeout=_wait_timeout(timeout, connect_timeout, read_timeout))


class ProfileCredentialsProvider(RefreshingCredentialsProvider):
    """A profile of ``~/.alibabacloud/credentials.ini`` (``ALIBABA_CLOUD_CREDENTIALS_FILE``),
    else of the Alibaba Cloud CLI's ``~/.aliyun/config.json``; ``profile`` defaults to
    ``ALIBABA_CLOUD_PROFILE``, else ``default`` (the CLI's ``current`` profile for config.json).

    ``path`` names the file to read; a ``.json`` file is read as the CLI's config. The file is
    read again on every refresh; credentials without an expiration (an AccessKey, a fixed STS
    token) are re-read every ``refresh_interval`` seconds, in the background.
    """

    def __new__(cls, profile=None, path=None, *, refresh_interval=300.0, timeout=None):
        _seconds("refresh_interval", refresh_interval, optional=True)
        _seconds("timeout", timeout, optional=True)
        fetch = _core._profile_source(_text("profile", profile), _path("path", path))
        # A role profile may chain two STS calls.
        return super().__new__(
            cls, fetch, refresh_interval=refresh_interval, timeout=_wait_timeout(timeout, 5.0, 10.0, 2)
        )


class DefaultCredentialsProvider(RefreshingCredentialsProvider):
    """The default chain: environment variables (``OSS_*``, then ``ALIBABA_CLOUD_*``), OIDC when
    its variables are set, the CLI's ``~/.aliyun/config.json``, ``credentials.ini``, the ECS
    RAM role (unless ``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true``), the credentials URI when set.

    ``ecs_metadata_endpoint`` points the ECS source at another metadata service (tests).
    Credentials without an expiration are looked for again every ``refresh_interval`` seconds,
    in the background.
    The source that worked is used again first. When every source fails, the error lists each
    and why. ``source_name`` says which one gave the current credentials.
    """

    def __new__(cls, *, ecs_metadata_endpoint=None, refresh_interval=300.0, timeout=None):
        _seconds("refresh_interval", refresh_interval, optional=True)
        _seconds("timeout", timeout, optional=True)
        fetch = _core._default_chain_source(_text("ecs_metadata_endpoint", ecs_metadata_endpoint))
        return super().__new__(
            cls, fetch, refresh_interval=refresh_interval, timeout=_wait_timeout(timeout, 5.0, 10.0, 2)
        )

    @property
    def source_name(self):
        """The chain's source that gave the current credentials, or None before any."""
        return self._chain_source()
