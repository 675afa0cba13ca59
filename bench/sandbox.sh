#!/usr/bin/env bash
# bench/sandbox.sh — what the sandbox costs (issue 5). `make bench` runs it after bench/host.sh;
# it also runs alone (about 40 s).
#
# 1. Each layer on its own: the sandbox unit tests measure every layer in fresh forked children
#    (median of 200) and print `[sandbox] …` lines; they are copied here as they are.
# 2. Per validation: `pvf bench-host` on the adder (as bench/host.sh) with the full sandbox
#    (secure mode: L0–L6) and with `--no-sandbox` (no layer at all), alternating, best of 2: p50
#    back to back, p50 spaced, and CPU time per validation.
#
# Writes the section "## Sandbox cost (issues 5, 13)" of docs/BENCHMARKS.md (in place).
# Environment: BUILD (build), PVF_TESTDATA (../shared/testdata), BENCH_OUT (docs/BENCHMARKS.md),
# BENCH_SANDBOX_RUNS (500 validations per run).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/common.sh
RUNS=${BENCH_SANDBOX_RUNS:-500}
SECTION="## Sandbox cost (issues 5, 13)"
CODE=$ADDER_CODE
PARAMS=$ADDER_PARAMS
[[ -x $PVF && -x $BUILD/bin/pvf-unit-tests ]] || die "not built (run make)"
[[ -f $CODE && -f $PARAMS ]] || die "no adder in $DATA (set PVF_TESTDATA; see README.md, 'Test data')"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$BUILD/bin/pvf-unit-tests" sandbox_ 2>&1 | grep -F '[sandbox]' | sed 's/^ *//' >"$tmp/layers.txt"
[[ -s $tmp/layers.txt ]] || die "the sandbox tests printed no measurements"

# From one bench-host JSON: back-to-back p50, spaced p50, CPU per validation with one worker.
fields() { node -e 'const j = JSON.parse(require("fs").readFileSync(0)); console.log(j.validation_ms.p50, j.validation_spaced_ms.p50, j.cpu_ms_per_validation["1"])'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
declare -A with without
for i in 1 2; do
    for mode in with without; do
        flag=; [[ $mode == without ]] && flag=--no-sandbox
        read -r b s c < <("$PVF" bench-host --code "$CODE" --params "$PARAMS" --runs "$RUNS" --jobs 300 --json $flag 2>/dev/null | fields) ||
            die "bench-host $flag failed"
        [[ -n $c ]] || die "bench-host $flag printed no numbers"
        declare -n m=$mode
        m[b]=$(best "${m[b]:-}" "$b") m[s]=$(best "${m[s]:-}" "$s") m[c]=$(best "${m[c]:-}" "$c")
        unset -n m
    done
done
{
    echo "$SECTION"
    echo
    echo "Command: \`bench/sandbox.sh\` (run by \`make bench\`). Machine: $(nproc) cores, $(date -u +%Y-%m-%d),"
    echo "load average at start $load_start; uid $(id -u)."
    echo
    echo "Per validation (adder block 000 through the host, 1 execute worker, $RUNS in a row back to back and"
    echo "$RUNS spaced 10 ms apart, p50; the CPU time of every process per validation in a burst of 300 —"
    echo "\`pvf bench-host\`; each the best of 2):"
    echo
    echo "| sandbox | back to back | spaced | CPU per validation |"
    echo "|---|---|---|---|"
    printf '| full (secure mode: L0–L6; the worker in its own user + pid namespace and its own network/IPC/UTS/cgroup namespaces, which its jobs share; each job in a new pid namespace, on the syscall allowlist, with a memory limit and no capabilities) | %.3f ms | %.3f ms | %.3f ms |\n' "${with[b]}" "${with[s]}" "${with[c]}"
    printf '| none (`--no-sandbox`) | %.3f ms | %.3f ms | %.3f ms |\n' "${without[b]}" "${without[s]}" "${without[c]}"
    awk -v a="${with[b]}" -v b="${without[b]}" -v sa="${with[s]}" -v sb="${without[s]}" -v ca="${with[c]}" -v cb="${without[c]}" 'BEGIN {
        printf "\nThe sandbox costs %.2f ms per validation back to back, %.2f ms spaced, and %.2f ms of CPU", a - b, sa - sb, ca - cb
        print " (a difference within ±0.1 ms is this machine'"'"'s noise); the worker-side layers (L0–L3) are paid once per worker." }'
    echo
    echo "Each layer alone (the sandbox unit tests, fresh forked children, median of 200):"
    echo
    echo '```'
    cat "$tmp/layers.txt"
    echo '```'
} >"$tmp/section.md"
write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT"
