"""The README's Python examples run as written (offline), and its commands are the ones CI runs."""

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^ *```python\n(.*?)^ *```", README, flags=re.S | re.M)


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_example_runs(index, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith(("OSS_", "ALIBABA_CLOUD_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "LTAI5tReadmeExample")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "readme-secret")
    code = "\n".join(line[2:] if line.startswith("  ") else line for line in BLOCKS[index].splitlines())
    exec(compile(code, "README.md[python block %d]" % index, "exec"), {"__name__": "__readme__"})
    assert "readme-secret" not in capsys.readouterr().out


def test_ci_runs_the_readme_test_command():
    command = re.search(r"## Run every test\s+```sh\n(.*?)\n```", README, flags=re.S).group(1).strip()
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
