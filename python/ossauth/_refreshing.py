"""Refreshing providers built on ``RefreshingCredentialsProvider`` (the Rust cache) for sources
that live in Python: Function Compute's context and alibabacloud_credentials' ``Client``."""

import os

from ._core import RefreshingCredentialsProvider
from ._convert import to_credentials

_FC_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")


def _fc_fetch(context):
    def fetch():
        creds = getattr(context, "credentials", None) if context is not None else None
        if creds is not None:
            return to_credentials(creds)
        values = [os.environ.get(name) for name in _FC_ENV]
        missing = [name for name, value in zip(_FC_ENV[:2], values[:2]) if not value]
        if missing:
            raise ValueError(
                "no context.credentials and %s not set (Function Compute sets them for a function "
                "with a role)" % " / ".join(missing)
            )
        return to_credentials(
            {"AccessKeyId": values[0], "AccessKeySecret": values[1], "SecurityToken": values[2]}
        )

    return fetch


class FunctionComputeCredentialsProvider(RefreshingCredentialsProvider):
    """The function's role credentials in Function Compute.

    ``context`` is the handler's context: its ``credentials`` (``access_key_id``,
    ``access_key_secret``, ``security_token``) are read; without a context, or in a runtime
    whose context has none, the ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` /
    ``ALIBABA_CLOUD_SECURITY_TOKEN`` variables Function Compute sets. They carry no expiration,
    so they are read again every ``refresh_interval`` seconds (default 300), in the background.
    """

    def __new__(cls, context=None, *, refresh_interval=300.0, timeout=10.0):
        return super().__new__(
            cls,
            _fc_fetch(context),
            refresh_interval=refresh_interval,
            timeout=timeout,
            name="FunctionComputeCredentialsProvider",
        )

    def __init__(self, context=None, *, refresh_interval=300.0, timeout=10.0):
        pass


def _client_fetch(client):
    def fetch():
        # The client's own provider returns credentials with their expiration; its
        # get_credential() model drops it.
        provider = getattr(getattr(client, "cloud_credential", None), "provider", None)
        if provider is not None and callable(getattr(provider, "get_credentials", None)):
            return to_credentials(provider.get_credentials())
        return to_credentials(client.get_credential())

    return fetch


class CredentialsClientProvider(RefreshingCredentialsProvider):
    """alibabacloud_credentials' ``Client`` (any of its credential types) behind the Rust cache.

    Credentials with an expiration are refreshed by the windows; ones without are read again
    every ``refresh_interval`` seconds (default 300).
    """

    def __new__(cls, client, *, refresh_interval=300.0, timeout=10.0):
        return super().__new__(
            cls,
            _client_fetch(client),
            refresh_interval=refresh_interval,
            timeout=timeout,
            name="CredentialsClientProvider(%s)" % type(client).__name__,
        )

    def __init__(self, client, *, refresh_interval=300.0, timeout=10.0):
        pass
