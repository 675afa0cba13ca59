#!/usr/bin/env bash
# tests/demo.sh — `make demo`: pvf on the project's own fixtures and on one real runtime.
#
# Shows each command and its output: `pvf inspect` describes a module, `pvf prepare`
# accepts the MVP fixtures and rejects the post-MVP ones (pvf profile), then both run on a
# real parachain runtime (a compressed code blob) from $PVF_TESTDATA; then the host:
# `pvf check-security`, prechecks, and a validation that runs out of CPU time; last a real
# Glutton block, built with `pvf build-block` and validated through the sandboxed host.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
DATA=${PVF_TESTDATA:-../shared/testdata}
RUNTIME=$DATA/pvf/cumulus__chainspec_tick_100_403c45.wasm.zstdblob
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[[ -x $PVF ]] || { echo "demo.sh: $PVF is not built (run make)" >&2; exit 2; }

show() {
    echo
    echo "\$ pvf $*"
    "$PVF" "$@" 2>&1
    echo "[exit status $?]"
}

echo "== the adder fixture (tests/fixtures/adder.wat): a tiny PVF"
show inspect tests/fixtures/adder.wasm
show prepare tests/fixtures/adder.wasm -o "$tmp/adder.artifact"
show prepare tests/fixtures/adder.wasm -o "$tmp/adder.artifact" --json

echo
echo "== fixtures using one post-MVP feature each: the pvf profile rejects them (exit 1)"
for n in sign_ext multi_value bulk sat_float; do
    show prepare "tests/fixtures/$n.wasm" -o "$tmp/$n.artifact"
done

echo
echo "== a real parachain runtime: $(basename "$RUNTIME")"
if [[ -f $RUNTIME ]]; then
    show inspect "$RUNTIME"
    show prepare "$RUNTIME" -o "$tmp/runtime.artifact" --json
else
    echo "(skipped: $RUNTIME not found; set PVF_TESTDATA, see README.md 'Test data')"
fi

echo
echo "== the host: which sandbox layers work here, then a precheck and a validation through"
echo "   the workers and their sandboxed job processes"
show check-security
show precheck --code tests/fixtures/adder.wasm
show precheck --code tests/fixtures/halt.wasm --json
# halt.wasm loops forever in validate_block: any ValidationParams will do (here the smallest:
# empty parent head, empty block, relay parent 0, zero storage root = 38 zero bytes); it runs
# out of CPU time.
head -c 38 /dev/zero >"$tmp/params.scale"
show validate --code tests/fixtures/halt.wasm --params "$tmp/params.scale" --exec-timeout-ms 300

echo
echo "== a real parachain block: Glutton (Kusama's load-test parachain) burning a quarter of its"
echo "   block's compute, authored from its chain spec, validated through the sandboxed host"
SPEC=$DATA/chainspecs/glutton.json
if [[ -f $SPEC ]]; then
    show build-block --chainspec "$SPEC" --blocks 2 --glutton-compute 0.25 -o "$tmp/glutton"
    show validate --code "$tmp/glutton.code" --params "$tmp/glutton-2.params"
    show validate --code "$tmp/glutton.code" --params "$tmp/glutton-2.params" --json
else
    echo "(skipped: $SPEC not found; set PVF_TESTDATA, see README.md 'Test data')"
fi
