#!/usr/bin/env bash
# Builds what a release uploads from Linux x86_64, into dist/:
#   - one manylinux2014 (manylinux_2_17) x86_64 abi3 wheel, for every CPython >= 3.9;
#   - the sdist (with Cargo.lock, LICENSE and pyproject.toml, so that it builds as locked).
# No Docker: maturin links against glibc 2.17 through zig (the `ziglang` package from PyPI).
# The wheel is then checked with `auditwheel show`; the script fails unless auditwheel finds
# it consistent with manylinux_2_17 or older.
#
# Run from the repository root: `bash scripts/build-wheels.sh`. Needs Python >= 3.9 with venv
# and pip, and Rust (cargo) >= Cargo.toml's rust-version. The build tools (maturin, ziglang,
# auditwheel) go into a throwaway venv. PYTHON picks the interpreter that runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# Pinned so that a release is built as it was tested here.
TOOLS_REQUIREMENTS=(maturin==1.16.0 ziglang==0.15.2 auditwheel==6.8.2)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet "${TOOLS_REQUIREMENTS[@]}"
export PATH="$work/tools/bin:$PATH"

rm -rf dist
mkdir dist
start=$SECONDS

# --zig with manylinux2014 links with zig's glibc 2.17 stubs, so the wheel loads on any glibc
# >= 2.17 whatever this machine's glibc is. The extension is abi3 (pyo3's abi3-py39 feature),
# so one wheel serves CPython 3.9 and later.
maturin build --release --locked --strip --zig --compatibility manylinux2014 \
    --target x86_64-unknown-linux-gnu --out dist
maturin sdist --out dist
echo "build-wheels: built in $((SECONDS - start)) s"

shopt -s nullglob
wheels=(dist/*.whl)
sdists=(dist/*.tar.gz)
if [ "${#wheels[@]}" -ne 1 ] || [ "${#sdists[@]}" -ne 1 ]; then
    echo "build-wheels: expected one wheel and one sdist in dist/, found: $(ls dist)" >&2
    exit 1
fi
wheel=${wheels[0]}
sdist=${sdists[0]}

# name-version-cp39-abi3-PLATFORMS.whl, PLATFORMS being dot-separated.
name=$(basename "$wheel" .whl)
platforms=".${name##*-}."
if [[ "$name" != ossauth-*-cp39-abi3-* || "$platforms" != *.manylinux_2_17_x86_64.* ||
    "$platforms" != *.manylinux2014_x86_64.* ]]; then
    echo "build-wheels: $wheel is not tagged cp39-abi3 manylinux_2_17 / manylinux2014 x86_64" >&2
    exit 1
fi

# auditwheel reads the ELF itself (symbol versions, linked libraries): the tag in the file
# name is only maturin's claim.
report=$(auditwheel show "$wheel")
echo "$report"
# (auditwheel wraps its sentences: read the report as one line.)
policy=$(printf '%s\n' "$report" | tr -s '\n ' '  ' | sed -n 's/.*consistent with the following platform tag:[^"]*"manylinux_2_\([0-9]*\)_x86_64".*/\1/p' | head -n 1)
if [ -z "$policy" ] || [ "$policy" -gt 17 ]; then
    echo "build-wheels: auditwheel does not find $wheel manylinux_2_17 (manylinux2014) compatible" >&2
    exit 1
fi

# The sdist must build as locked and carry the licence.
listing=$(tar -tzf "$sdist")
for needed in Cargo.lock LICENSE pyproject.toml Cargo.toml; do
    if ! printf '%s\n' "$listing" | grep -qE "^[^/]+/$needed\$"; then
        echo "build-wheels: $sdist lacks $needed" >&2
        exit 1
    fi
done

echo "build-wheels: OK: $wheel (auditwheel: manylinux_2_$policy), $sdist"
