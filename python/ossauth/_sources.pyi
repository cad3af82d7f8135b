from os import PathLike
from typing import Optional, Union

from ._core import _CredentialsProvider
from ._refreshing import RefreshingCredentialsProvider

class EcsRamRoleCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        role_name: Optional[str] = None,
        *,
        endpoint: str = "http://100.100.100.200",
        disable_imds_v1: Optional[bool] = None,
        connect_timeout: float = 1.0,
        read_timeout: float = 1.0,
        timeout: Optional[float] = None,
    ) -> "EcsRamRoleCredentialsProvider": ...

class RamRoleArnCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        role_arn: Optional[str] = None,
        *,
        access_key_id: Optional[str] = None,
        access_key_secret: Optional[str] = None,
        security_token: Optional[str] = None,
        source: Optional[_CredentialsProvider] = None,
        role_session_name: Optional[str] = None,
        policy: Optional[str] = None,
        external_id: Optional[str] = None,
        duration_seconds: int = 3600,
        sts_endpoint: Optional[str] = None,
        sts_region: Optional[str] = None,
        enable_vpc: Optional[bool] = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        timeout: Optional[float] = None,
    ) -> "RamRoleArnCredentialsProvider": ...

class OidcRoleArnCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        role_arn: Optional[str] = None,
        oidc_provider_arn: Optional[str] = None,
        oidc_token_file: Union[str, "PathLike[str]", None] = None,
        *,
        role_session_name: Optional[str] = None,
        policy: Optional[str] = None,
        duration_seconds: int = 3600,
        sts_endpoint: Optional[str] = None,
        sts_region: Optional[str] = None,
        enable_vpc: Optional[bool] = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        timeout: Optional[float] = None,
    ) -> "OidcRoleArnCredentialsProvider": ...

class UriCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        uri: Optional[str] = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        timeout: Optional[float] = None,
    ) -> "UriCredentialsProvider": ...

class ProfileCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        profile: Optional[str] = None,
        path: Union[str, "PathLike[str]", None] = None,
        *,
        refresh_interval: Optional[float] = 300.0,
        timeout: Optional[float] = None,
    ) -> "ProfileCredentialsProvider": ...

class DefaultCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls,
        *,
        ecs_metadata_endpoint: Optional[str] = None,
        refresh_interval: Optional[float] = 300.0,
        timeout: Optional[float] = None,
    ) -> "DefaultCredentialsProvider": ...
    @property
    def source_name(self) -> Optional[str]: ...
