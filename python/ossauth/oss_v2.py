"""Native signers for alibabacloud-oss-v2 (``import alibabacloud_oss_v2 as oss``)::

    import alibabacloud_oss_v2 as oss
    import ossauth.oss_v2

    client = oss.Client(cfg, signer=ossauth.oss_v2.SignerV4())

``SignerV4`` and ``SignerV1`` implement oss-v2's ``Signer`` interface and sign byte for byte as
alibabacloud-oss-v2 1.4.1's own ``SignerV4`` and ``SignerV1`` do, for header signing and for
query (presign) signing: the same headers or URL, the same ``string_to_sign``,
``signing_time`` and ``expiration_time`` left on the context, the same oss-v2 exceptions. They
subclass oss-v2's signers, so ``isinstance`` checks (the presigner's 7-day limit for V4) and
``is_signed_header`` behave as with the originals. Signing does no I/O: the async client
(``alibabacloud_oss_v2.aio``) takes them too.

"Now" is ossauth's clock: ``ossauth.testing.frozen_time(when, oss_v2=True)`` pins it and
oss-v2's own signers' clock at the same instant.
"""

from alibabacloud_oss_v2 import signer as _signer
from alibabacloud_oss_v2.types import SigningContext

from ._core import _OssV2Signer

__all__ = ["SignerV1", "SignerV4"]


class SignerV4(_signer.SignerV4):
    """oss-v2's ``SignerV4`` (``OSS4-HMAC-SHA256``), signing in Rust. Keeps derived signing keys
    (per secret, date, region and product) for the signer's lifetime."""

    def __init__(self) -> None:
        native = _OssV2Signer(4)
        # The native bound method in the instance dict is found before the class's `sign`:
        # each call goes straight to Rust, without a Python frame.
        self.__dict__["sign"] = native.sign

    def sign(self, signing_ctx: SigningContext) -> None:
        """Signs ``signing_ctx.request`` in place (headers, or the URL for query signing)."""
        self.__dict__["sign"](signing_ctx)

    def __repr__(self) -> str:
        return "ossauth.oss_v2.SignerV4()"


class SignerV1(_signer.SignerV1):
    """oss-v2's ``SignerV1`` (``OSS id:signature``), signing in Rust."""

    def __init__(self) -> None:
        native = _OssV2Signer(1)
        self.__dict__["sign"] = native.sign

    def sign(self, signing_ctx: SigningContext) -> None:
        """Signs ``signing_ctx.request`` in place (headers, or the URL for query signing)."""
        self.__dict__["sign"](signing_ctx)

    def __repr__(self) -> str:
        return "ossauth.oss_v2.SignerV1()"
