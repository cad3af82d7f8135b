"""Count the copies of secrets left in a child process's memory, read through /proc/PID/mem.

Why
    "No copy of a secret outlives its owner" can only be checked from outside: the process that
    looks for a secret must not hold it itself. The child runs a script (which gets its secrets
    from files or local servers, never from argv or the environment, which stay mapped), then
    prints ``MEMSCAN-READY`` and blocks on stdin; the parent, which knows the secrets, reads every
    readable mapping of the child and counts each secret's occurrences.

Usage
    counts = secret_copies(script, [b"secret-1", b"token-2"])
    assert counts == {b"secret-1": 0, b"token-2": 0}

The script's last act should be to drop its providers and auth objects and run ``gc.collect()``;
``secret_copies`` appends the ready/wait protocol itself. Linux only (``/proc``); the parent
must be allowed to ptrace the child (true for a parent of its own child under Yama's default).
"""

import os
import re
import subprocess
import sys
import textwrap
from typing import Dict, Iterable, Optional

_READY = "MEMSCAN-READY"
_EPILOGUE = textwrap.dedent(
    """
    import sys as _memscan_sys
    _memscan_sys.stdout.write(%r + "\\n")
    _memscan_sys.stdout.flush()
    _memscan_sys.stdin.readline()
    """
    % _READY
)
_MAPS_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4})")


def scan_process(pid: int, needles: Iterable[bytes]) -> Dict[bytes, int]:
    """Occurrences of each needle in the readable mappings of process ``pid``."""
    needles = list(needles)
    counts = {n: 0 for n in needles}
    longest = max(len(n) for n in needles)
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for line in maps:
            m = _MAPS_LINE.match(line)
            if not m or m.group(3)[0] != "r" or "[vvar" in line or "[vsyscall" in line:
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            tail = b""
            pos = start
            while pos < end:
                size = min(8 << 20, end - pos)
                try:
                    mem.seek(pos)
                    chunk = mem.read(size)
                except OSError:
                    break  # an unreadable mapping (e.g. a guard page)
                window = tail + chunk
                for n in needles:
                    counts[n] += window.count(n)
                # Keep a tail shorter than the longest needle, so that a match across chunks
                # is counted once and none is counted twice.
                tail = window[-(longest - 1):] if longest > 1 else b""
                pos += size
    return counts


def secret_copies(script: str, needles: Iterable[bytes], env: Optional[Dict[str, str]] = None,
                  timeout: float = 600.0) -> Dict[bytes, int]:
    """Run ``script`` in a fresh interpreter and count each needle in its memory afterwards.

    Raises AssertionError with the child's stderr if it fails before reaching the scan point.
    """
    child_env = dict(os.environ if env is None else env)
    for name in list(child_env):
        if name.startswith(("OSS_", "ALIBABA_CLOUD_")) and (env is None or name not in env):
            del child_env[name]
    code = textwrap.dedent(script) + _EPILOGUE
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env, text=True)
    try:
        line = proc.stdout.readline()
        if line.strip() != _READY:
            proc.kill()
            _, err = proc.communicate(timeout=timeout)
            raise AssertionError("child did not reach the scan point: %r\n%s" % (line, err))
        return scan_process(proc.pid, needles)
    finally:
        if proc.poll() is None:
            try:
                proc.communicate("\n", timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
