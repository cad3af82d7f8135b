"""Exit-stress scenario: a RAM role (STS AssumeRole against a slow local STS) whose source
credentials come from a Python object (``source=``), which the Rust refresh thread calls with
the GIL; the interpreter exits while those refreshes are in flight.

    python ram_role_python_source.py [--seed N] [--finalizers] [--failing]
"""

import random
import time

import _common
import ossauth

_common.setup()
sts = _common.sts_server()


class SlowSource:
    """Source credentials that take a while (sleeping releases the GIL, so the refresh thread
    must take it back, possibly while the interpreter finalizes)."""

    def get_credentials(self):
        _common.fetch_started()
        try:
            time.sleep(random.uniform(0, 0.05))
            if _common.should_fail():
                raise RuntimeError("injected source failure")
            return ossauth.Credentials("LTAI-exit-source", "source-secret")
        finally:
            _common.fetch_ended()


def make_provider():
    return ossauth.RamRoleArnCredentialsProvider(_common.ROLE_ARN, source=SlowSource(), sts_endpoint=sts)


_common.run(make_provider)
# Falls off the end here: Rust refresh threads may be inside SlowSource or waiting on STS.
