#!/usr/bin/env bash
# tests/t-bench.sh — `pvf bench` and bench/v8/run.js follow the same conventions.
#
# Runs both harnesses on small benchmark-shaped fixtures (tests/fixtures/bench_*.wat) whose
# expected behaviour is written in their comments: sightglass _start with fd_write /
# fd_fdstat_get / proc_exit(0), a failing proc_exit(3), a CoreMark-style run() returning the
# score 1234.5, and fib(20) = 6765. Also the usage and I/O exit statuses of `pvf bench`.
# Last line: "N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
FIX=tests/fixtures
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}

# run_harness pvf|v8 ARGS...: output in $tmp/out, stderr in $tmp/err, status in $tmp/rc.
run_harness() {
    local engine=$1; shift
    if [[ $engine == pvf ]]; then
        "$PVF" bench "$@" >"$tmp/out" 2>"$tmp/err"
    else
        node bench/v8/run.js "$@" >"$tmp/out" 2>"$tmp/err"
    fi
    echo $? >"$tmp/rc"
}

status_is() { [[ $(cat "$tmp/rc") == "$1" ]] || { echo "    exit status $(cat "$tmp/rc"), expected $1: $(head -c 200 "$tmp/err")"; false; }; }
out_has()   { grep -qE "$1" "$tmp/out" || { echo "    output: $(head -c 300 "$tmp/out")"; false; }; }
err_has()   { grep -qE "$1" "$tmp/err" || { echo "    stderr: $(head -c 300 "$tmp/err")"; false; }; }
json_ok()   { out_has '^\{"compile_ms":[0-9.]+,"bench_ms":[0-9.]+,"total_ms":[0-9.]+(,"score":[0-9.]+)?\}$'; }
bench_within_total() {
    awk -F'[:,}]' '{ exit !($4 + 0 <= $6 + 0) }' "$tmp/out" || { echo "    bench_ms > total_ms: $(cat "$tmp/out")"; false; }
}

engines=(pvf)
if command -v node >/dev/null; then engines+=(v8); else echo "  skipped: node not installed, bench/v8/run.js not checked"; fi
if [[ ! -x $PVF ]]; then
    echo "  FAIL: $PVF not built"
    echo "0 passed, 1 failed"
    exit 1
fi

for e in "${engines[@]}"; do
    run_harness "$e" "$FIX/bench_sightglass.wasm" --json
    check "$e: sightglass module succeeds" status_is 0
    check "$e: sightglass JSON has compile_ms, bench_ms, total_ms" json_ok
    check "$e: bench_ms <= total_ms" bench_within_total

    run_harness "$e" "$FIX/bench_exit3.wasm" --json
    check "$e: proc_exit(3) is a failure (exit status 1)" status_is 1
    check "$e: proc_exit(3) is named" err_has 'proc_exit\(3\)'

    run_harness "$e" "$FIX/bench_coremark.wasm" --json
    check "$e: CoreMark-style module succeeds" status_is 0
    check "$e: CoreMark score 1234.5 in the JSON" out_has '"score":1234\.5(00)?\}$'

    run_harness "$e" "$FIX/bench_fib.wasm" --fib-n 20
    check "$e: fib module succeeds" status_is 0
    check "$e: fib(20) = 6765" out_has '6765'
done

run_harness pvf "$FIX/adder.wasm"
check "pvf: a module without an entry point is rejected" status_is 1
check "pvf: ... and the message says so" err_has 'no entry point'
run_harness pvf
check "pvf: no file is a usage error (2)" status_is 2
run_harness pvf "$tmp/does-not-exist.wasm"
check "pvf: an unreadable file is exit status 2" status_is 2
run_harness pvf "$FIX/bench_fib.wasm" --fib-n -1
check "pvf: a negative --fib-n is a usage error" status_is 2

echo "$passed passed, $failed failed"
((failed == 0))
