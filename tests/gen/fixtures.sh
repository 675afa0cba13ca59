#!/usr/bin/env bash
# tests/gen/fixtures.sh — compile tests/fixtures/*.wat into the committed .wasm files.
#
# Uses wat2wasm from Debian's wabt (1.0.32). The MVP fixtures are compiled with every
# post-MVP feature switched off, so that a stray post-MVP instruction in them is an error
# here rather than a surprise in a pvf-profile test. The feature fixtures (one post-MVP
# feature each, for the pvf profile's rejection tests) use wabt's defaults.
#
#   tests/gen/fixtures.sh           regenerate every .wasm
#   tests/gen/fixtures.sh --check   exit 1 if a committed .wasm differs from its .wat
set -euo pipefail

cd "$(dirname "$0")/../fixtures"
command -v wat2wasm >/dev/null || { echo "fixtures.sh: wat2wasm not found (apt-get install wabt)" >&2; exit 2; }

MVP_FLAGS=(--disable-saturating-float-to-int --disable-sign-extension --disable-multi-value
           --disable-bulk-memory --disable-reference-types --disable-simd)
FEATURE_FIXTURES=" sign_ext multi_value bulk sat_float "

check=0
[[ "${1:-}" == --check ]] && check=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for wat in *.wat; do
    name=${wat%.wat}
    flags=("${MVP_FLAGS[@]}")
    [[ "$FEATURE_FIXTURES" == *" $name "* ]] && flags=()
    wat2wasm "${flags[@]}" "$wat" -o "$tmp/$name.wasm"
    if ((check)); then
        if ! cmp -s "$tmp/$name.wasm" "$name.wasm"; then
            echo "fixtures.sh: $name.wasm is out of date with $wat (run tests/gen/fixtures.sh)" >&2
            status=1
        fi
    else
        cp "$tmp/$name.wasm" "$name.wasm"
        echo "  $name.wasm ($(stat -c %s "$name.wasm") bytes)"
    fi
done
exit $status
