"""Test helpers: pin the clock that ossauth signs with (and, optionally, oss2's).

::

    from ossauth.testing import frozen_time

    with frozen_time(1700000000, oss2=True):
        ours = ossauth_auth._sign_url(req1, 'bucket', 'key', 60)
        theirs = oss2_auth._sign_url(req2, 'bucket', 'key', 60)
        assert ours == theirs

With pytest, the ``ossauth_freeze`` fixture (registered automatically when ossauth is
installed) does the same until the test ends: ``ossauth_freeze(1700000000)``.
"""

import contextlib
import datetime as _dt
import sys
import types

from . import _core

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)


def _to_micros(when):
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(
                "frozen_time needs an aware datetime (e.g. datetime(..., tzinfo=timezone.utc)); "
                "a naive one is ambiguous"
            )
        return (when - _EPOCH) // _dt.timedelta(microseconds=1)
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise TypeError("frozen_time takes epoch seconds or an aware datetime, not %s" % type(when).__name__)
    if isinstance(when, int):
        return when * 1_000_000
    return int(round(when * 1_000_000))


@contextlib.contextmanager
def _oss2_frozen(micros):
    """Pins the three clocks oss2.auth reads: time.time(), datetime.utcnow(), utils.http_date()."""
    import email.utils
    from unittest import mock

    import oss2.auth
    import oss2.utils

    seconds = micros / 1_000_000
    naive = _EPOCH_NAIVE + _dt.timedelta(microseconds=micros)

    fake_time = types.ModuleType("time")
    fake_time.__dict__.update(sys.modules["time"].__dict__)
    fake_time.time = lambda: seconds

    class FrozenDatetime(_dt.datetime):
        @classmethod
        def utcnow(cls):
            return naive

    def http_date(timeval=None):
        return email.utils.formatdate(seconds if timeval is None else timeval, usegmt=True)

    with mock.patch.object(oss2.auth, "time", fake_time), mock.patch.object(
        oss2.auth, "datetime", FrozenDatetime
    ), mock.patch.object(oss2.utils, "http_date", http_date):
        yield


#: The alibabacloud-oss-v2 modules that read the clock while signing or presigning.
_OSS_V2_CLOCK_MODULES = (
    "alibabacloud_oss_v2.signer.v4",
    "alibabacloud_oss_v2.signer.v1",
    "alibabacloud_oss_v2.presigner",
    "alibabacloud_oss_v2.aio.presigner",
)


@contextlib.contextmanager
def _oss_v2_frozen(micros):
    """Pins ``datetime.datetime.now()`` where alibabacloud-oss-v2's signers and presigners read
    it (each module's ``datetime`` global is swapped for a copy whose ``datetime`` is frozen)."""
    import importlib
    from unittest import mock

    instant = _EPOCH + _dt.timedelta(microseconds=micros)

    class FrozenDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz) if tz is not None else instant.astimezone().replace(tzinfo=None)

    fake = types.ModuleType("datetime")
    fake.__dict__.update(_dt.__dict__)
    fake.datetime = FrozenDatetime

    with contextlib.ExitStack() as stack:
        for name in _OSS_V2_CLOCK_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:  # the async client needs aiohttp
                continue
            stack.enter_context(mock.patch.object(module, "datetime", fake))
        yield


@contextlib.contextmanager
def frozen_time(when, *, oss2=False, oss_v2=False):
    """Pins ossauth's clock at ``when`` (epoch seconds or an aware datetime) inside the block.

    The clock is process-wide: signing and credential caching in every thread see the pinned
    instant. Nested blocks restore the outer instant on exit. With ``oss2=True`` oss2's signing
    clock is pinned to the same instant, so both SDKs can be compared byte for byte; with
    ``oss_v2=True`` so is ``datetime.now()`` in alibabacloud-oss-v2's signers and presigners.
    Yields the pinned instant as an aware UTC datetime.
    """
    micros = _to_micros(when)
    previous = _core._freeze_clock(micros)
    try:
        with _oss2_frozen(micros) if oss2 else contextlib.nullcontext(), (
            _oss_v2_frozen(micros) if oss_v2 else contextlib.nullcontext()
        ):
            yield _EPOCH + _dt.timedelta(microseconds=micros)
    finally:
        _core._restore_clock(previous)


def now():
    """The instant ossauth signs with now, frozen or not, as an aware UTC datetime."""
    return _EPOCH + _dt.timedelta(microseconds=_core._now_micros())
