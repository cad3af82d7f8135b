"""Interpreter exit with refreshes in flight (issue 10): ``scripts/exit-stress.py`` for a few
runs of every scenario on the running interpreter.

Each run is a child process that exits while credential refreshes are in flight (a Rust
source, a RAM role with a Python ``source=``, a Python fetch; plain, with at-exit finalizers
that release the GIL, and with logging on and refreshes failing). A run that aborts, crashes,
hangs, exits non-zero or prints a panic or traceback fails the test. The full check is the
script itself: 50 runs on each CPython 3.9-3.13.

Timing is random by design (that is the stress), so a regression shows as a failure in some
runs, not necessarily every time; the per-run timeout (a hang) is generous and nothing here
depends on how fast the machine is.
"""

import os
import re
import subprocess
import sys

import ossauth

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "exit-stress.py")
RUNS = 3  # per scenario: 36 child runs in all
RUN_TIMEOUT = 120  # seconds before one run counts as a hang


def test_exit_with_refreshes_in_flight_never_aborts_panics_or_hangs():
    # The ossauth under test (not necessarily the one in python/ of this checkout).
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(ossauth.__file__)))
    out = subprocess.run(
        [
            sys.executable,
            SCRIPT,
            "--runs", str(RUNS),
            "--python", sys.executable,
            "--extension-dir", package_dir,
            "--timeout", str(RUN_TIMEOUT),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, "exit-stress failed (status %d):\n%s\n%s" % (out.returncode, out.stdout, out.stderr)
    # The table: one row per scenario, each with RUNS runs, and refreshes were in flight as
    # most runs ended (else the test would prove nothing).
    rows = re.findall(r"^\S+\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)/(\d+)\s", out.stdout, re.MULTILINE)
    assert len(rows) >= 12, out.stdout
    assert all(int(runs) == RUNS and failures == "0" for _, runs, failures, _, _ in rows), out.stdout
    busy = sum(int(b) for _, _, _, b, _ in rows)
    assert busy * 2 >= RUNS * len(rows), "too few runs ended with refreshes in flight:\n" + out.stdout
