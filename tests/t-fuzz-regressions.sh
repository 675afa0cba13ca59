#!/usr/bin/env bash
# tests/t-fuzz-regressions.sh — the saved fuzzer finds (fuzz/regressions/) stay harmless.
#
# Runs `pvf prepare` and `pvf inspect` on every file in fuzz/regressions/ and on a few
# mangled copies of the fixtures (truncated, a byte flipped); each run must end with exit
# status 0 (accepted) or 1 (rejected): not a signal, not 2 (internal error), no sanitizer
# report. Last line: "N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# harmless COMMAND FILE: pvf COMMAND on FILE ends in 0 or 1 without a sanitizer report.
harmless() {
    local cmd=$1 file=$2 rc
    timeout --signal=KILL 60 "$PVF" "$cmd" "$file" >/dev/null 2>"$tmp/err"
    rc=$?
    if [[ $rc -le 1 ]] && ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
        passed=$((passed + 1))
        return
    fi
    failed=$((failed + 1))
    echo "  FAIL: pvf $cmd $file: exit status $rc"
    head -n 20 "$tmp/err" | sed 's/^/    /'
}

check_file() {
    harmless prepare "$1"
    harmless inspect "$1"
}

if [[ ! -x $PVF ]]; then
    echo "  FAIL: $PVF not built"
    echo "0 passed, 1 failed"
    exit 1
fi

for f in fuzz/regressions/*; do
    [[ -f $f && $(basename "$f") != README.md ]] && check_file "$f"
done

# Mangled fixtures: every prefix length of the adder's first 64 bytes, and a flipped
# byte at every 7th offset; hostile input must be rejected cleanly.
adder=tests/fixtures/adder.wasm
size=$(stat -c %s "$adder")
for n in $(seq 0 63); do
    head -c "$n" "$adder" >"$tmp/cut.wasm"
    check_file "$tmp/cut.wasm"
done
for ((off = 0; off < size; off += 7)); do
    byte=$(od -An -tu1 -j "$off" -N1 "$adder" | tr -d ' ')
    cp "$adder" "$tmp/flip.wasm"
    printf "\\$(printf '%03o' $((byte ^ 0xff)))" |
        dd of="$tmp/flip.wasm" bs=1 seek="$off" conv=notrunc status=none
    check_file "$tmp/flip.wasm"
done

echo "$passed passed, $failed failed"
((failed == 0))
