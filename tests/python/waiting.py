"""Time limits for the tests, in one place, and the one way to wait for something to happen.

CI runs on shared 2-core machines where a load of 10 is normal: no test may depend on how fast
the machine is. So

* timing logic (refresh windows, backoff, expiry) runs on ossauth's frozen clock
  (``ossauth.testing.frozen_time``), never on the wall clock;
* something that happens on another thread is awaited with ``wait_for(predicate)`` or an
  event, never with a ``time.sleep`` that "should be enough";
* the only wall-clock limits are ``DEADLINE``s: far longer than the milliseconds the awaited
  thing takes, they only turn a hang into a failure;
* a fetch or server meant to hang hangs for ``HANG`` (longer than any deadline), and a provider
  ``timeout`` that a test must never reach is ``HANG`` too, so that "returned within the
  deadline" still tells a timely answer from one that waited for the hang.
"""

import time

#: Seconds a test waits for something that should take milliseconds before calling it a hang.
DEADLINE = 60.0

#: Seconds something meant to hang hangs (a gated fetch, a provider timeout never to be reached).
HANG = 10 * DEADLINE


def wait_for(predicate, what, deadline=DEADLINE, interval=0.002):
    """Polls ``predicate()`` until it is true; fails after ``deadline`` seconds (a hang)."""
    end = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s" % (deadline, what))
        time.sleep(interval)
