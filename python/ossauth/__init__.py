"""ossauth: Alibaba Cloud OSS request signing (V1, V2, V4) and credentials, with a Rust core.

Drop-in for oss2's auth objects and credentials providers::

    import oss2, ossauth
    auth = ossauth.ProviderAuthV4(ossauth.EnvironmentVariableCredentialsProvider())
    bucket = oss2.Bucket(auth, 'https://oss-cn-hangzhou.aliyuncs.com', 'examplebucket',
                         region='cn-hangzhou')

Every header, parameter and URL equals what oss2 2.19.1 produces for the same request,
credentials and instant. ``Error`` is the base of ossauth's own exceptions: ``CredentialsError``
(with one subclass per kind of failure) and ``SigningError``, all importable without oss2;
oss2's ``ClientError`` is raised where oss2 raises it.
"""

from ._core import (
    Auth,
    AuthBase,
    AuthV2,
    AuthV4,
    Credentials,
    CredentialsConfigError,
    CredentialsError,
    CredentialsNotConfiguredError,
    CredentialsServiceError,
    CredentialsTransportError,
    EnvironmentVariableCredentialsProvider,
    Error,
    ProviderAuth,
    ProviderAuthV2,
    ProviderAuthV4,
    SigningDetails,
    SigningError,
    StaticCredentialsProvider,
)
from ._refreshing import (
    CredentialsClientProvider,
    FunctionComputeCredentialsProvider,
    RefreshingCredentialsProvider,
)
from ._sources import (
    DefaultCredentialsProvider,
    EcsRamRoleCredentialsProvider,
    OidcRoleArnCredentialsProvider,
    ProfileCredentialsProvider,
    RamRoleArnCredentialsProvider,
    UriCredentialsProvider,
)
from ._presigner import Presigner
from ._auth import (
    AUTH_VERSION_1,
    AUTH_VERSION_2,
    AUTH_VERSION_4,
    AnonymousAuth,
    StsAuth,
    make_auth,
)

__version__ = "0.1.0"

__all__ = [
    "AUTH_VERSION_1",
    "AUTH_VERSION_2",
    "AUTH_VERSION_4",
    "AnonymousAuth",
    "Auth",
    "AuthBase",
    "AuthV2",
    "AuthV4",
    "Credentials",
    "CredentialsClientProvider",
    "CredentialsConfigError",
    "CredentialsError",
    "CredentialsNotConfiguredError",
    "CredentialsServiceError",
    "CredentialsTransportError",
    "DefaultCredentialsProvider",
    "EcsRamRoleCredentialsProvider",
    "EnvironmentVariableCredentialsProvider",
    "Error",
    "FunctionComputeCredentialsProvider",
    "OidcRoleArnCredentialsProvider",
    "Presigner",
    "ProfileCredentialsProvider",
    "ProviderAuth",
    "ProviderAuthV2",
    "ProviderAuthV4",
    "RamRoleArnCredentialsProvider",
    "RefreshingCredentialsProvider",
    "SigningDetails",
    "SigningError",
    "StaticCredentialsProvider",
    "StsAuth",
    "UriCredentialsProvider",
    "make_auth",
]
