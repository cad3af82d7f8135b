"""Interpreter-exit stress for ossauth (issue 10): scripts that exit while credential refreshes
are in flight must never abort, crash, hang, panic or print a traceback.

For each CPython 3.9-3.13 found under pyenv (or each ``--python`` given) and each scenario in
``scripts/exit_stress/`` (a Rust source, a RAM role with a Python ``source=``, a Python fetch;
each plain, with at-exit finalizers that release the GIL, and with logging on and refreshes
failing), runs the scenario ``--runs`` times as a child process, ``--jobs`` at a time.

A run fails when it dies by a signal, exits non-zero, outlives ``--timeout`` (a hang), or its
stderr has any of MARKERS. Prints a table (python x scenario), the first failing stderr of each
kind, and exits 1 on any failure (2 when an interpreter cannot import ossauth at all).

    python scripts/exit-stress.py [--runs 50] [--pythons 3.9,3.10] [--extension-dir python]
        [--scenarios uri,py-fetch+failing] [--python /path/to/python] [--jobs 2]
        [--timeout 120] [--log-dir DIR]

Standard library only.
"""

import argparse
import collections
import concurrent.futures
import glob
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.join(HERE, "exit_stress")
REPO = os.path.dirname(HERE)

# name -> (script in scripts/exit_stress, arguments)
SOURCES = {
    "uri": ("rust_source.py", ["--source", "uri"]),
    "ecs": ("rust_source.py", ["--source", "ecs"]),
    "ram-role+py-source": ("ram_role_python_source.py", []),
    "py-fetch": ("python_fetch.py", []),
}
VARIANTS = {
    "": [],
    "+finalizers": ["--finalizers"],  # atexit / threading._register_atexit / weakref.finalize
    "+failing": ["--failing"],  # logging at DEBUG, 30% of fetches fail
}
SCENARIOS = {
    source + variant: (script, args + extra)
    for source, (script, args) in SOURCES.items()
    for variant, extra in VARIANTS.items()
}

# stderr text that fails a run, with the kind it is reported as. A traceback counts: a daemon
# thread's exception at shutdown, or an at-exit callback's, is a bug too (the scenarios catch
# the errors ossauth is expected to raise while refreshes fail).
MARKERS = [
    ("interpreter is not initialized", "pyo3 panic: interpreter not initialized"),
    ("panicked", "Rust panic"),
    ("PanicException", "PanicException"),
    ("Fatal Python error", "Fatal Python error"),
    ("fatal runtime error", "Rust fatal runtime error"),
    # glibc, when a forced unwind (pthread_exit of a thread taking the GIL during
    # finalization) is caught and not rethrown: the abort
    ("exception not rethrown", "forced unwind not rethrown"),
    # CPython >= 3.12: Thread.start() raises once shutdown has begun; from ossauth's own
    # refresh start, get_credentials() raises it to the caller
    ("can't create new thread at interpreter shutdown", "RuntimeError: no new thread at shutdown"),
    ("Traceback", "Traceback"),
    ("Exception ignored", "Exception ignored"),
    ("core dumped", "core dumped"),
]

# ossauth's refresh records, as logging.basicConfig or logging's last-resort handler prints them.
LOG_RECORD = re.compile(r"^(?:(?:DEBUG|INFO|WARNING):ossauth|.*: credentials refresh(?:ed| failed))")
IN_FLIGHT = re.compile(r"exit-stress: seed=\d+ in-flight=(\d+)")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


class Run:
    """One child run: what it did and how it is judged."""

    def __init__(self, python, scenario, seed):
        self.python, self.scenario, self.seed = python, scenario, seed
        self.returncode = None
        self.stdout = self.stderr = ""
        self.timed_out = False
        self.seconds = 0.0

    def kinds(self):
        """Every reason this run failed (empty: it passed)."""
        found = []
        if self.timed_out:
            found.append("hang (timeout)")
        elif self.returncode is not None and self.returncode < 0:
            try:
                found.append("signal " + signal.Signals(-self.returncode).name)
            except ValueError:
                found.append("signal %d" % -self.returncode)
        elif self.returncode:
            found.append("exit status %d" % self.returncode)
        # The first marker of each kind; "interpreter is not initialized" also says "panicked".
        for text, kind in MARKERS:
            if text in self.stderr and kind not in found:
                found.append(kind)
        if "pyo3 panic: interpreter not initialized" in found and "Rust panic" in found:
            found.remove("Rust panic")
        return found

    def in_flight(self):
        m = IN_FLIGHT.search(self.stdout)
        return int(m.group(1)) if m else None

    def command(self, exe):
        script, args = SCENARIOS[self.scenario]
        return [exe, "-X", "faulthandler", os.path.join(SCENARIO_DIR, script), "--seed", str(self.seed)] + args


def find_pythons(wanted):
    """{"3.9": path, ...}: the newest patch release of each wanted minor version under pyenv."""
    root = os.environ.get("PYENV_ROOT")
    if not root:
        try:
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            root = os.path.expanduser("~/.pyenv")
    found = {}
    for path in glob.glob(os.path.join(root, "versions", "*", "bin", "python")):
        m = re.fullmatch(r"(3\.\d+)\.(\d+)", os.path.basename(os.path.dirname(os.path.dirname(path))))
        if m and m.group(1) in wanted:
            patch = int(m.group(2))
            if m.group(1) not in found or patch > found[m.group(1)][0]:
                found[m.group(1)] = (patch, path)
    return {v: found[v][1] for v in wanted if v in found}


def label(exe):
    out = subprocess.run(
        [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    )
    return out.stdout.strip() or exe


def child_env(extension_dir):
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["PYTHONPATH"] = extension_dir
    env.pop("PYTHONSTARTUP", None)
    # Rust's panic message is enough; a backtrace would only bloat the excerpts.
    env.setdefault("RUST_BACKTRACE", "0")
    return env


def preflight(exe, env):
    """None when ossauth imports under exe, else the error (a setup problem, not a result)."""
    out = subprocess.run([exe, "-c", "import ossauth._core"], capture_output=True, text=True, env=env)
    return None if out.returncode == 0 else out.stderr.strip()[-2000:]


def execute(run, exe, env, timeout):
    started = time.monotonic()
    try:
        out = subprocess.run(run.command(exe), capture_output=True, env=env, timeout=timeout)
        run.returncode, stdout, stderr = out.returncode, out.stdout, out.stderr
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed it
        run.timed_out = True
        stdout, stderr = e.stdout or b"", e.stderr or b""
    run.stdout = stdout.decode("utf-8", "replace")
    run.stderr = stderr.decode("utf-8", "replace")
    run.seconds = time.monotonic() - started
    return run


def excerpt(run, kind, lines=30):
    """The stderr lines around the first marker of kind (for a signal, exit status or hang:
    around the first marker of any kind), else its last lines; ossauth's own log records
    (the --failing scenarios) are left out."""
    text = [line for line in run.stderr.splitlines() if not LOG_RECORD.search(line)]
    omitted = len(run.stderr.splitlines()) - len(text)
    markers = [t for t, k in MARKERS if k == kind] or [t for t, _ in MARKERS]
    if kind == "pyo3 panic: interpreter not initialized":
        markers = ["panicked"]  # start at the panic's first line
    at = next((i for i, line in enumerate(text) if any(m in line for m in markers)), None)
    shown = text[-lines:] if at is None else text[max(0, at - 3) : at + lines - 3]
    if omitted:
        shown.append("(%d log records of logger ossauth left out)" % omitted)
    return "\n".join("    " + line for line in shown) or "    (stderr empty)"


def save(run, exe, log_dir):
    """A failing run's command, status and output, as a file in log_dir (written at once, so
    a long stress run can be inspected while it goes on)."""
    os.makedirs(log_dir, exist_ok=True)
    name = "%s-%s-%d.log" % (run.python, run.scenario.replace("+", "_"), run.seed)
    with open(os.path.join(log_dir, name), "w") as f:
        f.write(
            "# %s\n# returncode=%s timed_out=%s kinds=%s\n--- stdout\n%s\n--- stderr\n%s"
            % (" ".join(run.command(exe)), run.returncode, run.timed_out, ", ".join(run.kinds()), run.stdout, run.stderr)
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per python and scenario")
    parser.add_argument("--pythons", default="3.9,3.10,3.11,3.12,3.13", help="minor versions under pyenv")
    parser.add_argument(
        "--python", action="append", default=[], help="an interpreter to use instead of pyenv's (repeatable)"
    )
    parser.add_argument(
        "--extension-dir", default=os.path.join(REPO, "python"), help="the directory holding the ossauth package"
    )
    parser.add_argument("--scenarios", default=None, help="comma-separated subset of: " + ", ".join(SCENARIOS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="runs at a time")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run counts as a hang")
    parser.add_argument("--log-dir", default=None, help="write every failing run's stdout/stderr here")
    args = parser.parse_args()

    scenarios = list(SCENARIOS) if not args.scenarios else args.scenarios.split(",")
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        parser.error("unknown scenarios: %s" % ", ".join(unknown))
    if args.python:
        pythons = {label(exe): exe for exe in args.python}
    else:
        wanted = args.pythons.split(",")
        pythons = find_pythons(wanted)
        missing = [v for v in wanted if v not in pythons]
        if missing:
            print("not found under pyenv: %s" % ", ".join(missing), file=sys.stderr)
    if not pythons:
        print("no interpreter to run", file=sys.stderr)
        return 2
    env = child_env(os.path.abspath(args.extension_dir))
    for version, exe in pythons.items():
        problem = preflight(exe, env)
        if problem:
            print("%s (%s) cannot import ossauth from %s:\n%s" % (version, exe, args.extension_dir, problem))
            return 2

    print(
        "exit-stress: %d runs x %d scenarios x pythons %s, %d at a time, timeout %.0f s, ossauth from %s"
        % (args.runs, len(scenarios), ",".join(pythons), args.jobs, args.timeout, env["PYTHONPATH"]),
        flush=True,
    )
    runs = [
        Run(version, scenario, secrets.randbelow(2**32))
        for version in pythons
        for scenario in scenarios
        for _ in range(args.runs)
    ]
    remaining = collections.Counter((r.python, r.scenario) for r in runs)
    lock = threading.Lock()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(execute, r, pythons[r.python], env, args.timeout) for r in runs]
        for future in concurrent.futures.as_completed(futures):
            run = future.result()
            with lock:
                remaining[(run.python, run.scenario)] -= 1
                if run.kinds():
                    if args.log_dir:
                        save(run, pythons[run.python], args.log_dir)
                    print("  FAIL %s %s seed=%d: %s" % (run.python, run.scenario, run.seed, ", ".join(run.kinds())), flush=True)
                if remaining[(run.python, run.scenario)] == 0:
                    cell = [r for r in runs if (r.python, r.scenario) == (run.python, run.scenario)]
                    bad = sum(1 for r in cell if r.kinds())
                    print("  done %-5s %-30s %d/%d failed" % (run.python, run.scenario, bad, len(cell)), flush=True)
    elapsed = time.monotonic() - started

    # The table: python x scenario.
    print()
    header = "%-6s %-30s %5s %8s %10s  %s" % ("python", "scenario", "runs", "failures", "in-flight", "by kind")
    print(header)
    print("-" * len(header))
    first = {}  # kind -> first failing run
    total_failures = 0
    for version in pythons:
        for scenario in scenarios:
            cell = [r for r in runs if (r.python, r.scenario) == (version, scenario)]
            kinds = collections.Counter()
            failures = 0
            for r in cell:
                found = r.kinds()
                failures += bool(found)
                kinds.update(found)
                for k in found:
                    first.setdefault(k, r)
            total_failures += failures
            # Runs whose fake services or fetches were busy as the main module ended.
            busy = sum(1 for r in cell if (r.in_flight() or 0) > 0)
            print(
                "%-6s %-30s %5d %8d %10s  %s"
                % (version, scenario, len(cell), failures, "%d/%d" % (busy, len(cell)),
                   ", ".join("%s x%d" % (k, n) for k, n in kinds.most_common()) or "-")
            )
    print()
    print("%d runs in %.0f s, %d failed" % (len(runs), elapsed, total_failures))
    for kind, r in first.items():
        print()
        print("first %r: python %s, scenario %s, seed %d, returncode %s%s"
              % (kind, r.python, r.scenario, r.seed, r.returncode, " (timed out)" if r.timed_out else ""))
        print("  " + " ".join(r.command(pythons[r.python])))
        print(excerpt(r, kind))
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
