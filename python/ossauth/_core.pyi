"""Type stubs for the Rust extension ``ossauth._core``."""

import datetime
from typing import Any, Awaitable, Callable, Iterable, List, Mapping, MutableMapping, Optional, Protocol, Union, final

# pyo3 classes have their own instance layout, so no class may derive from two of them
# (PEP 800's `@disjoint_base`); those declared without `subclass` cannot be derived from at all
# (`@final`, which implies it). mypy.stubtest checks both against the extension (tests/python/test_stubs.py).
from typing_extensions import Self, disjoint_base

_Expiration = Union[datetime.datetime, int, float, str, None]

class _Request(Protocol):
    """What the auth objects read from a request: oss2's ``http.Request`` or a look-alike."""

    method: str
    url: str
    headers: MutableMapping[str, Any]
    params: MutableMapping[Any, Any]
    region: Optional[str]
    product: Optional[str]
    cloudbox_id: Optional[str]

class _CredentialsProvider(Protocol):
    def get_credentials(self) -> Any: ...

class Error(Exception):
    """The base of every exception that ossauth raises of its own."""

class CredentialsError(Error):
    """Credentials are missing, malformed or could not be fetched. Never includes a secret."""

class CredentialsNotConfiguredError(CredentialsError):
    """The credential source is not set up at all (no such file, no variable set)."""

class CredentialsConfigError(CredentialsError):
    """The credential source's configuration is invalid (a bad role ARN, profile or file)."""

class CredentialsServiceError(CredentialsError):
    """The credentials service answered with an error, or a malformed or expired answer."""

class CredentialsTransportError(CredentialsError):
    """The credentials service could not be reached, or did not answer in time."""

class SigningError(Error, ValueError):
    """A request cannot be signed (raised where oss2 raises ClientError and oss2 is absent)."""

@final
class Credentials:
    """AccessKey id, secret and optional STS token. repr() masks the id and hides the rest."""

    def __new__(
        cls,
        access_key_id: str,
        access_key_secret: str,
        security_token: Optional[str] = None,
        expiration: _Expiration = None,
    ) -> Self: ...
    # oss2's getters
    def get_access_key_id(self) -> str: ...
    def get_access_key_secret(self) -> str: ...
    def get_security_token(self) -> Optional[str]: ...
    # alibabacloud-oss-v2's attributes
    @property
    def access_key_id(self) -> str: ...
    @property
    def access_key_secret(self) -> str: ...
    @property
    def security_token(self) -> Optional[str]: ...
    @property
    def expiration(self) -> Optional[datetime.datetime]: ...
    def has_keys(self) -> bool: ...
    def is_expired(self) -> bool: ...
    def masked_access_key_id(self) -> str: ...

@final
class StaticCredentialsProvider:
    """oss2's ``StaticCredentialsProvider``: always the same credentials."""

    def __new__(
        cls, access_key_id: str = "", access_key_secret: str = "", security_token: str = ""
    ) -> Self: ...
    def get_credentials(self) -> Credentials: ...

def _static_provider(
    access_key_id: str, access_key_secret: str, security_token: Optional[str] = None
) -> StaticCredentialsProvider: ...

@final
class EnvironmentVariableCredentialsProvider:
    """OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN, else
    ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN,
    read once at construction. Raises CredentialsError naming a missing variable."""

    def __init__(self) -> None: ...
    def get_credentials(self) -> Credentials: ...

@disjoint_base
class CachedProvider:
    """The Rust refreshing cache around one source; ``ossauth.RefreshingCredentialsProvider``
    (a Python ``fetch``) and the Rust sources derive from it and add ``get_credentials``."""

    def __new__(
        cls,
        fetch: Callable[[], Any],
        *,
        refresh_interval: Optional[float] = None,
        timeout: float = 10.0,
        name: Optional[str] = None,
    ) -> "CachedProvider": ...
    def _serve(self) -> Union[Credentials, "_Pending"]: ...
    def _timed_out(self) -> Credentials: ...
    @property
    def _timeout(self) -> float: ...
    def get_credentials_async(self) -> Awaitable[Credentials]: ...
    def _fetch_count(self) -> int: ...

@final
class _RefreshTicket:
    fetch: Callable[[], Any]
    fetch_name: str
    def complete(self, credentials: Credentials) -> None: ...
    def fail(
        self, what: str, kind: str, text: str, *, quiet: bool = False, error_kind: str = "service"
    ) -> None: ...

@final
class _Pending:
    credentials: Optional[Credentials]
    ticket: Optional[_RefreshTicket]

@final
class SigningDetails:
    """The stages of one signature, to compare with OSS's SignatureDoesNotMatch response."""

    version: str
    canonical_request: Optional[str]
    string_to_sign: str
    signature: str
    authorization: Optional[str]
    url: Optional[str]

@disjoint_base
class AuthBase:
    credentials_provider: _CredentialsProvider
    def __new__(cls, credentials_provider: _CredentialsProvider) -> Self: ...

@disjoint_base
class ProviderAuth(AuthBase):
    """Signature version 1 (oss2's ``ProviderAuth``)."""

    def _sign_request(self, req: _Request, bucket_name: Optional[str], key: str) -> None: ...
    def _sign_url(self, req: _Request, bucket_name: Optional[str], key: str, expires: int) -> str: ...
    def _sign_rtmp_url(
        self, url: str, bucket_name: str, channel_name: str, expires: int, params: MutableMapping[Any, Any]
    ) -> str: ...
    def sign_request_explained(self, req: _Request, bucket_name: Optional[str], key: str) -> SigningDetails: ...
    def sign_url_explained(
        self, req: _Request, bucket_name: Optional[str], key: str, expires: int
    ) -> SigningDetails: ...
    def auth_version(self) -> str: ...

class Auth(ProviderAuth):
    def __new__(cls, access_key_id: str, access_key_secret: str) -> Self: ...

@disjoint_base
class ProviderAuthV2(AuthBase):
    """Signature version 2 (oss2's ``ProviderAuthV2``)."""

    def _sign_request(
        self, req: _Request, bucket_name: Optional[str], key: str, in_additional_headers: Optional[Iterable[str]] = None
    ) -> None: ...
    def _sign_url(
        self,
        req: _Request,
        bucket_name: Optional[str],
        key: str,
        expires: int,
        in_additional_headers: Optional[Iterable[str]] = None,
    ) -> str: ...
    def _sign_rtmp_url(
        self, url: str, bucket_name: str, channel_name: str, expires: int, params: MutableMapping[Any, Any]
    ) -> str: ...
    def sign_request_explained(
        self, req: _Request, bucket_name: Optional[str], key: str, in_additional_headers: Optional[Iterable[str]] = None
    ) -> SigningDetails: ...
    def sign_url_explained(
        self,
        req: _Request,
        bucket_name: Optional[str],
        key: str,
        expires: int,
        in_additional_headers: Optional[Iterable[str]] = None,
    ) -> SigningDetails: ...
    def auth_version(self) -> str: ...

class AuthV2(ProviderAuthV2):
    def __new__(cls, access_key_id: str, access_key_secret: str) -> Self: ...

@disjoint_base
class ProviderAuthV4(AuthBase):
    """Signature version 4 (oss2's ``ProviderAuthV4``); signing keys cached per day and scope."""

    def _sign_request(
        self, req: _Request, bucket_name: Optional[str], key: str, in_additional_headers: Optional[Iterable[str]] = None
    ) -> None: ...
    def _sign_url(
        self,
        req: _Request,
        bucket_name: Optional[str],
        key: str,
        expires: int,
        in_additional_headers: Optional[Iterable[str]] = None,
    ) -> str: ...
    def _sign_rtmp_url(
        self, url: str, bucket_name: str, channel_name: str, expires: int, params: MutableMapping[Any, Any]
    ) -> str: ...
    def sign_request_explained(
        self, req: _Request, bucket_name: Optional[str], key: str, in_additional_headers: Optional[Iterable[str]] = None
    ) -> SigningDetails: ...
    def sign_url_explained(
        self,
        req: _Request,
        bucket_name: Optional[str],
        key: str,
        expires: int,
        in_additional_headers: Optional[Iterable[str]] = None,
    ) -> SigningDetails: ...
    def auth_version(self) -> str: ...
    def _cached_signing_keys(self) -> int: ...

class AuthV4(ProviderAuthV4):
    def __new__(cls, access_key_id: str, access_key_secret: str) -> Self: ...

def _freeze_clock(micros: int) -> Optional[int]: ...
def _restore_clock(previous: Optional[int] = None) -> None: ...
def _now_micros() -> int: ...
def _url_with_query(url: str, params: Mapping[Any, Any]) -> str: ...

# Log records of Rust threads (see ossauth/_logs.py) and interpreter exit (src/python/exit.rs).
def _log_socket(fd: int, *, after_fork: bool = False) -> None: ...  # Unix
def _take_logs() -> List[str]: ...  # elsewhere
def _refresh_threads() -> int: ...
def _interpreter_exiting() -> None: ...

@final
class _RustSource:
    """A Rust credential source on its way into a ``CachedProvider``."""

def _ecs_ram_role_source(
    role_name: Optional[str] = None,
    endpoint: Optional[str] = None,
    disable_imds_v1: Optional[bool] = None,
    connect_timeout: float = 1.0,
    read_timeout: float = 1.0,
) -> _RustSource: ...
def _ram_role_arn_source(
    role_arn: Optional[str] = None,
    access_key_id: Optional[str] = None,
    access_key_secret: Optional[str] = None,
    security_token: Optional[str] = None,
    source: Optional[_CredentialsProvider] = None,
    role_session_name: Optional[str] = None,
    policy: Optional[str] = None,
    external_id: Optional[str] = None,
    duration_seconds: Optional[int] = None,
    sts_endpoint: Optional[str] = None,
    sts_region: Optional[str] = None,
    enable_vpc: Optional[bool] = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
) -> _RustSource: ...
def _oidc_role_arn_source(
    role_arn: Optional[str] = None,
    oidc_provider_arn: Optional[str] = None,
    oidc_token_file: Optional[str] = None,
    role_session_name: Optional[str] = None,
    policy: Optional[str] = None,
    duration_seconds: Optional[int] = None,
    sts_endpoint: Optional[str] = None,
    sts_region: Optional[str] = None,
    enable_vpc: Optional[bool] = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
) -> _RustSource: ...
def _uri_source(
    uri: Optional[str] = None, connect_timeout: float = 5.0, read_timeout: float = 10.0
) -> _RustSource: ...
def _profile_source(profile: Optional[str] = None, path: Optional[str] = None) -> _RustSource: ...
def _default_chain_source(ecs_metadata_endpoint: Optional[str] = None) -> _RustSource: ...

@disjoint_base
class _PresignerCore:
    """The Rust half of ``ossauth.Presigner`` (build a ``Presigner``, not this)."""

    def __new__(
        cls,
        signer: Optional[AuthBase],
        kind: str,
        takes_additional: bool,
        scheme: str,
        netloc: str,
        style: str,
        bucket: str,
        region: Optional[str],
        cloudbox_id: Optional[str],
        strict: bool,
    ) -> "_PresignerCore": ...
    def sign_url(
        self,
        method: str,
        key: Union[str, bytes],
        expires: int,
        headers: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, Optional[str]]] = None,
        slash_safe: Optional[bool] = None,
        additional_headers: Optional[Iterable[str]] = None,
    ) -> str: ...
    def sign_urls(
        self,
        method: str,
        keys: Iterable[Union[str, bytes]],
        expires: int,
        headers: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, Optional[str]]] = None,
        slash_safe: Optional[bool] = None,
        additional_headers: Optional[Iterable[str]] = None,
        threads: Optional[int] = None,
    ) -> list[str]: ...

@final
class _OssV2Signer:
    """The native signer behind ``ossauth.oss_v2.SignerV4`` / ``SignerV1`` (version 4 or 1)."""

    def __new__(cls, version: int) -> Self: ...
    def sign(self, signing_ctx: Any) -> None: ...
