"""pytest plugin (registered through the ``pytest11`` entry point): the ``ossauth_freeze``
fixture.

::

    def test_same_signature_as_oss2(ossauth_freeze):
        ossauth_freeze(1700000000)          # ossauth and oss2 both sign at this instant
        ...
"""

import contextlib

import pytest

from .testing import frozen_time


@pytest.fixture
def ossauth_freeze():
    """A function ``freeze(when, oss2=True)`` that pins the signing clock until the test ends.

    ``oss2=True`` (the default here) pins oss2's clock too when oss2 is installed.
    """
    with contextlib.ExitStack() as stack:

        def freeze(when, oss2=True):
            if oss2:
                try:
                    import oss2 as _oss2  # noqa: F401
                except ImportError:
                    oss2 = False
            return stack.enter_context(frozen_time(when, oss2=oss2))

        yield freeze
