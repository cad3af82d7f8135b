"""Package metadata: the version written once (Cargo.toml), a rust-version that can build the
locked dependencies, the Apache License 2.0 in full, and the metadata pip and PyPI show."""

import hashlib
import importlib.metadata
import json
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _cargo_metadata():
    run = subprocess.run(["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _version(text):
    """'1.85' -> (1, 85, 0)."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def test_rust_version_builds_every_locked_dependency():
    metadata = _cargo_metadata()
    ours = next(p for p in metadata["packages"] if p["id"] in metadata["workspace_members"])
    assert ours["rust_version"], "Cargo.toml has no rust-version"
    needed = [(_version(p["rust_version"]), p["name"], p["version"]) for p in metadata["packages"]
              if p["rust_version"] and p["id"] not in metadata["workspace_members"]]
    assert len(needed) > 20, "cargo metadata listed too few dependencies: %s" % needed
    highest = max(needed)
    assert _version(ours["rust_version"]) >= highest[0], (
        "rust-version %s in Cargo.toml is below what %s %s needs (%s): raise it"
        % (ours["rust_version"], highest[1], highest[2], ".".join(map(str, highest[0]))))


def test_version_is_written_once():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, flags=re.M), "pyproject.toml repeats the version"
    assert re.search(r'^dynamic\s*=\s*\["version"\]', project, flags=re.M)
    cargo = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', cargo, flags=re.M).group(1)
    # The installed package (built from this tree by the test command) carries Cargo.toml's version.
    assert importlib.metadata.version("ossauth") == version


def test_license_is_the_apache_license_2_0_in_full():
    # The MD5 of the canonical text, https://www.apache.org/licenses/LICENSE-2.0.txt (202 lines).
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(text).hexdigest() == "3b83ef96387f14655fc854ddc3c6bd57"


def test_installed_metadata():
    meta = importlib.metadata.metadata("ossauth")
    assert meta["License-Expression"] == "Apache-2.0"
    classifiers = set(meta.get_all("Classifier"))
    for required in [
        "Development Status :: 4 - Beta",
        "Typing :: Typed",
        "Programming Language :: Rust",
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
        "Operating System :: Microsoft :: Windows",
    ] + ["Programming Language :: Python :: 3.%d" % minor for minor in range(9, 14)]:
        assert required in classifiers, required
    # PEP 639: with License-Expression, PyPI refuses "License ::" classifiers.
    assert not [c for c in classifiers if c.startswith("License ::")]
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Source", "Issues", "Changelog"}, urls
    assert meta["Author"] or meta["Author-email"]
    assert meta["Requires-Python"] == ">=3.9"
