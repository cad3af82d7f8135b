"""Importing ossauth while another process may be reinstalling it (a development machine shared
by several engineers): retry instead of failing the whole module."""

import importlib
import sys
import time


def import_ossauth(attempts, delay):
    """``ossauth`` (and ``ossauth.testing``), tried ``attempts`` times ``delay`` seconds apart;
    the last ImportError if it never imports."""
    for attempt in range(attempts):
        try:
            mod = importlib.import_module("ossauth")
            importlib.import_module("ossauth.testing")
            return mod
        except ImportError:  # pragma: no cover - depends on a concurrent reinstall
            if attempt == attempts - 1:
                raise
            for name in [m for m in sys.modules if m == "ossauth" or m.startswith("ossauth.")]:
                del sys.modules[name]
            time.sleep(delay)
