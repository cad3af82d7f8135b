from typing import Any, Callable, Optional

from ._core import CachedProvider, Credentials

class RefreshingCredentialsProvider(CachedProvider):
    def __new__(
        cls,
        fetch: Callable[[], Any],
        *,
        refresh_interval: Optional[float] = None,
        timeout: float = 10.0,
        name: Optional[str] = None,
    ) -> "RefreshingCredentialsProvider": ...
    def get_credentials(self) -> Credentials: ...

class FunctionComputeCredentialsProvider(RefreshingCredentialsProvider):
    def __new__(
        cls, context: Any = None, *, refresh_interval: float = 300.0, timeout: float = 10.0
    ) -> "FunctionComputeCredentialsProvider": ...

class CredentialsClientProvider(RefreshingCredentialsProvider):
    def __new__(
        cls, client: Any, *, refresh_interval: float = 300.0, timeout: float = 10.0
    ) -> "CredentialsClientProvider": ...
