"""Running a piece of a test in a forked child, which never returns into pytest."""

import json
import os
import signal
import traceback

import pytest

from waiting import DEADLINE, wait_for


def run_in_fork(child, deadline=DEADLINE):
    """Runs ``child()`` in a forked process; returns what it returned (JSON). The child always
    ends with os._exit; a child still running at the deadline is killed and the test fails."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            os.close(r)
            signal.alarm(int(deadline) + 10)  # outlives no lost parent
            payload = {"ok": True, "result": child()}
            code = 0
        except BaseException as e:
            payload = {"ok": False, "error": "%s: %s" % (type(e).__name__, e),
                       "traceback": traceback.format_exc()[-3000:]}
        try:
            os.write(w, json.dumps(payload).encode())
        finally:
            os._exit(code)
    os.close(w)
    exits = []

    def exited():
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exits.append(status)
        return bool(done)

    try:
        try:
            wait_for(exited, "the forked child to finish", deadline, interval=0.005)
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child did not finish within %.0f s (killed): it hung" % deadline)
        status = exits[0]
        chunks = []
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
    raw = b"".join(chunks)
    assert os.WIFEXITED(status), "the child died: status %r" % status
    assert raw, "the child exited with %d and said nothing" % os.WEXITSTATUS(status)
    payload = json.loads(raw)
    assert payload["ok"] and os.WEXITSTATUS(status) == 0, payload
    return payload["result"]
