#!/usr/bin/env bash
# bench/sandbox.sh — what the sandbox costs (issue 5). `make bench` runs it after bench/host.sh;
# it also runs alone (about 40 s).
#
# 1. Each layer on its own: the sandbox unit tests measure every layer in fresh forked children
#    (median of 200) and print `[sandbox] …` lines; they are copied here as they are.
# 2. Per validation: `pvf bench-host` on the adder (as bench/host.sh) with the full sandbox
#    (secure mode: L0–L6) and with `--no-sandbox` (no layer at all), alternating, best p50 of 2.
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

p50() { node -e 'const j = JSON.parse(require("fs").readFileSync(0)); console.log(j.validation_ms.p50)'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
with= without=
for i in 1 2; do
    x=$("$PVF" bench-host --code "$CODE" --params "$PARAMS" --runs "$RUNS" --jobs 10 --json | p50) || die "bench-host failed"
    with=$(best "$with" "$x")
    x=$("$PVF" bench-host --code "$CODE" --params "$PARAMS" --runs "$RUNS" --jobs 10 --json --no-sandbox 2>/dev/null | p50) ||
        die "bench-host --no-sandbox failed"
    without=$(best "$without" "$x")
done
{
    echo "$SECTION"
    echo
    echo "Command: \`bench/sandbox.sh\` (run by \`make bench\`). Machine: $(nproc) cores, $(date -u +%Y-%m-%d),"
    echo "load average at start $load_start; uid $(id -u)."
    echo
    echo "Per validation (adder block 000 through the host, 1 execute worker, $RUNS in a row, best p50 of 2):"
    echo
    echo "| sandbox | p50 |"
    echo "|---|---|"
    printf '| full (secure mode: L0–L6; the worker in its own user + pid namespace and its own network/IPC/UTS/cgroup namespaces, which its jobs share; each job in a new pid namespace, on the syscall allowlist, with a memory limit and no capabilities) | %.3f ms |\n' "$with"
    printf '| none (`--no-sandbox`) | %.3f ms |\n' "$without"
    awk -v a="$with" -v b="$without" 'BEGIN {
        if (a - b > 0.05) printf "\nThe sandbox costs %.2f ms per validation", a - b
        else printf "\nThe sandbox costs nothing measurable per validation (full − none = %.2f ms, within this run'"'"'s noise)", a - b
        print "; the worker-side layers (L0–L3) are paid once per worker." }'
    echo
    echo "Each layer alone (the sandbox unit tests, fresh forked children, median of 200):"
    echo
    echo '```'
    cat "$tmp/layers.txt"
    echo '```'
} >"$tmp/section.md"
write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT"
