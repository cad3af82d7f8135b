"""Refreshing providers built on ``RefreshingCredentialsProvider`` (the Rust cache) for sources
that live in Python: Function Compute's context and alibabacloud_credentials' ``Client``."""

import _thread as _lowlevel
import os
import threading
import time

from . import _logs
from ._core import (
    CachedProvider,
    Credentials,
    CredentialsConfigError,
    CredentialsError,
    CredentialsNotConfiguredError,
    CredentialsServiceError,
    CredentialsTransportError,
)
from ._convert import to_credentials


class RefreshingCredentialsProvider(CachedProvider):
    """``fetch()`` (any callable returning credentials in a supported shape) behind the Rust
    refreshing cache: served while fresh, refreshed in the background from the advisory window,
    waited for (GIL released, at most ``timeout`` seconds) from the mandatory window.

    ``fetch`` runs on a short-lived daemon thread, one refresh at a time; its exceptions are
    logged (logger ``ossauth``) and retried with backoff, and reach callers as
    ``CredentialsError`` only once no valid credentials are left.
    """

    def get_credentials(self):
        """The current credentials (the same object while they are fresh)."""
        try:
            got = self._serve()
            if type(got) is Credentials:
                return got
            return self._pending(got)
        except CredentialsError:
            _logs.drain()  # the failure's record first
            raise

    def _pending(self, got):
        # Refreshes start and waits happen here, in Python, not under a Rust frame: a daemon
        # thread that needs the GIL while the interpreter exits is ended by CPython (< 3.14)
        # with a forced unwind, which must not cross Rust frames. A sleep releases the GIL.
        deadline = None
        pause = 0.0005
        while True:
            if got.ticket is not None:
                _start(got.ticket)
            if got.credentials is not None:
                return got.credentials
            now = time.monotonic()
            if deadline is None:
                deadline = now + self._timeout
            elif now >= deadline:
                return self._timed_out()
            time.sleep(min(pause, deadline - now))
            pause = min(pause * 2, 0.02)
            got = self._serve()
            if type(got) is Credentials:
                return got


def _refresh(ticket):
    """The refresh thread: only Python frames around ``fetch``."""
    what = ticket.fetch_name
    converting = False
    try:
        value = ticket.fetch()
        if type(value) is not Credentials:
            what = "reading what %s returned" % what
            converting = True
            value = to_credentials(value)
    except BaseException as exc:  # noqa: B902 - whatever it raised is the failed attempt
        kind = "config" if converting else _error_kind(exc)
        ticket.fail(what, type(exc).__qualname__, _text(exc), error_kind=kind)
    else:
        ticket.complete(value)
    # This thread's records (published above) go to logging from here, a Python thread.
    _logs.drain()


_KINDS = (
    (CredentialsNotConfiguredError, "not_configured"),
    (CredentialsConfigError, "config"),
    (CredentialsServiceError, "service"),
    (CredentialsTransportError, "transport"),
    (TimeoutError, "transport"),
    (ConnectionError, "transport"),
)


def _error_kind(exc):
    """The kind of credentials error a fetch function's exception is: that of an ossauth
    credentials error it passed on, transport for timeouts and connection errors, else service
    (what the fetch asked answered with an error)."""
    for cls, kind in _KINDS:
        if isinstance(exc, cls):
            return kind
    return "service"


def _text(exc):
    try:
        return str(exc)
    except BaseException:  # noqa: B902 - a broken __str__ must not lose the failure
        return "(unprintable)"


def _start_soon(ticket):
    """``_start`` for code under a Rust frame (the auth objects' wait), which must never wait:
    ``Thread.start()`` does (releasing the GIL, and at interpreter exit CPython < 3.14 ends such a
    thread with an unwind that aborts in Rust frames). A thread of the low-level module, which
    starts without waiting, calls ``_start``."""
    try:
        _lowlevel.start_new_thread(_start, (ticket,))
    except RuntimeError as exc:  # at interpreter shutdown (3.12+)
        _not_started(ticket, exc)


def _start(ticket):
    thread = threading.Thread(target=_refresh, args=(ticket,), name="ossauth-refresh", daemon=True)
    try:
        thread.start()
    except RuntimeError as exc:  # at interpreter shutdown (3.12+)
        _not_started(ticket, exc)


def _not_started(ticket, exc):
    # "can't create new thread at interpreter shutdown": a failed attempt, and the caller keeps
    # any valid credentials, as with any failed refresh; not logged, the process is ending.
    what = "starting the refresh thread"
    ticket.fail(what, type(exc).__qualname__, _text(exc), quiet=True, error_kind="transport")


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
