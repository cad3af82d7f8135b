"""A fetch function for ``RefreshingCredentialsProvider`` tests, run on the frozen clock."""

import datetime as dt
import threading

import ossauth

from waiting import DEADLINE


class Upstream:
    """A fetch handing out numbered STS credentials (``STS.id<n>``, ``secret-<n>``,
    ``token-<n>``) valid for ``lifetime`` seconds from the frozen instant; failing while ``fail``
    is set (an exception to raise, or the message of a ``ConnectionError``); waiting on
    ``gate`` (a ``threading.Event``) when one is set."""

    def __init__(self, lifetime=3600):
        self.calls = 0
        self.fail = None
        self.lifetime = lifetime
        self.gate = None
        self.lock = threading.Lock()

    def __call__(self):
        if self.gate is not None:
            assert self.gate.wait(DEADLINE), "gate never opened"
        with self.lock:
            self.calls += 1
            n = self.calls
        if isinstance(self.fail, BaseException):
            raise self.fail
        if self.fail:
            raise ConnectionError(self.fail)
        now = ossauth.testing.now()
        return ossauth.Credentials("STS.id%d" % n, "secret-%d" % n, "token-%d" % n,
                                   now + dt.timedelta(seconds=self.lifetime))
