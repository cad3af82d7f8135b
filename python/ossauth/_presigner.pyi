from typing import Any, Optional

from ._core import _PresignerCore

class Presigner(_PresignerCore):
    auth: Any
    endpoint: str
    bucket_name: str
    region: Optional[str]
    cloudbox_id: Optional[str]
    product: str
    is_cname: bool
    is_path_style: bool
    is_verify_object_strict: bool
    def __new__(
        cls,
        auth: Any,
        endpoint: str,
        bucket_name: str,
        *,
        is_cname: bool = False,
        region: Optional[str] = None,
        cloudbox_id: Optional[str] = None,
        is_path_style: bool = False,
        is_verify_object_strict: bool = True,
    ) -> "Presigner": ...
    @classmethod
    def from_bucket(cls, bucket: Any) -> "Presigner": ...
    def sign_rtmp_url(self, channel_name: str, playlist_name: Optional[str], expires: int) -> str: ...
