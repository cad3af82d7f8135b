#!/usr/bin/env bash
# Builds the experimental floor signers (floor.patch on the commit in BASE) in a scratch
# worktree and venv, and runs bench_floor.py with them. Nothing in the checkout changes.
# Usage: bash benches/ossv2_floor/run.sh [--rounds N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
scratch="$(mktemp -d)"
cleanup() {
    git -C "$repo" worktree remove --force "$scratch/tree" 2>/dev/null || true
    rm -rf "$scratch"
    git -C "$repo" worktree prune
}
trap cleanup EXIT
git -C "$repo" worktree add --quiet --detach "$scratch/tree" "$(cat "$here/BASE")"
git -C "$scratch/tree" apply "$here/floor.patch"
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q "$scratch/tree" "alibabacloud-oss-v2==1.4.1"
# -B: importing benches/bench_vs_ossv2.py writes no __pycache__ into the checkout.
cd "$scratch" && "$scratch/venv/bin/python" -B "$here/bench_floor.py" "$@"
