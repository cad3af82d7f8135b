"""Exit-stress scenario: ``RefreshingCredentialsProvider(fetch)`` with a Python fetch that
sleeps; the interpreter exits while those refreshes (on Python daemon threads) are in flight.

    python python_fetch.py [--seed N] [--finalizers] [--failing]
"""

import random
import secrets
import time

import _common
import ossauth

_common.setup()


def fetch():
    _common.fetch_started()
    try:
        time.sleep(random.uniform(0, _common.SERVICE_DELAY))
        if _common.should_fail():
            raise RuntimeError("injected fetch failure")
        return ossauth.Credentials(
            "STS.exit" + secrets.token_hex(8),
            secrets.token_hex(15),
            "token-" + secrets.token_hex(16),
            _common.expiration_epoch(),
        )
    finally:
        _common.fetch_ended()


def make_provider():
    return ossauth.RefreshingCredentialsProvider(fetch)


_common.run(make_provider)
# Falls off the end here: fetch() may be sleeping on a refresh thread.
