"""The README's Python examples run as written, each in a fresh process whose environment holds
only what a fresh shell has plus what the README tells the reader to export; and its commands
are the ones CI runs."""

import os
import pathlib
import re
import shlex
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^ *```python\n(.*?)^ *```", README, flags=re.S | re.M)
SH_BLOCKS = re.findall(r"^ *```sh\n(.*?)^ *```", README, flags=re.S | re.M)


def exported():
    """The variables the README's `export NAME=value ...` lines set."""
    variables = {}
    for block in SH_BLOCKS:
        for line in textwrap.dedent(block).splitlines():
            words = shlex.split(line)
            if words[:1] == ["export"]:
                variables.update(word.split("=", 1) for word in words[1:])
    return variables


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


def test_readme_exports_example_credentials():
    assert set(exported()) == {"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"}


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_example_runs_in_a_fresh_shell(index, tmp_path):
    # A fresh shell: PATH and an empty HOME (no profiles of this machine's user), then the
    # README's exports; nothing else of this process's environment.
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp_path)}
    for name in ("SYSTEMROOT", "TEMP", "TMP"):  # what Python itself needs on Windows
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(exported())
    code = textwrap.dedent(BLOCKS[index])
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, "README python block %d failed:\n%s\n%s" % (index, code, run.stderr)
    for secret in [value for name, value in exported().items() if "SECRET" in name]:
        assert secret not in run.stdout and secret not in run.stderr


def test_ci_runs_the_readme_test_command():
    command = re.search(r"## Run every test\s+```sh\n(.*?)\n```", README, flags=re.S).group(1).strip()
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
