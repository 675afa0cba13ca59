#!/usr/bin/env bash
# bench/host.sh — end-to-end numbers of the host (issues 4, 14): `pvf bench-host` on the adder PVF
# and its block 000 from $PVF_TESTDATA, i.e. host thread → execute queue → execute worker →
# job process and back, next to a bare clone+exit+wait measured in the same run; then
# validations per second with 1, 2 and 4 execute workers; then the fixed cost per validation
# (the host's p50 minus `pvf validate --in-process`) and the worker's and a job's memory, for
# the adder and a Tick block built from the chain spec. `make bench` runs it after
# bench/runtime.sh; it also runs alone (about 45 s).
#
# Writes the section "## Host end to end (issue 4)" of docs/BENCHMARKS.md (in place).
# Environment: BUILD (build), PVF_TESTDATA (../shared/testdata), BENCH_OUT (docs/BENCHMARKS.md),
# BENCH_HOST_RUNS (1000 sequential validations), BENCH_HOST_JOBS (1000 per burst).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/common.sh
RUNS=${BENCH_HOST_RUNS:-1000}
JOBS=${BENCH_HOST_JOBS:-1000}
SECTION="## Host end to end (issue 4)"
CODE=$ADDER_CODE
PARAMS=$ADDER_PARAMS
[[ -x $PVF ]] || die "$PVF is not built (run make)"
[[ -f $CODE && -f $PARAMS ]] || die "no adder in $DATA (set PVF_TESTDATA; see README.md, 'Test data')"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$PVF" bench-host --code "$CODE" --params "$PARAMS" --runs "$RUNS" --jobs "$JOBS" --json >"$tmp/out.json" ||
    die "pvf bench-host failed"
j() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(eval("j" + process.argv[2]))' "${2:-$tmp/out.json}" "$1"; }
# The fixed cost of a validation through the host: its p50 minus what instantiation and the call
# take in a process of their own (`pvf validate --in-process`, best of 5) — for the adder and a
# real runtime (a Tick block built from the chain spec, when the test data has it).
in_process_ms() {
    local best= x i
    for i in 1 2 3 4 5; do
        x=$("$PVF" validate --in-process --code "$1" --params "$2" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).cpu_ms)')
        best=$(awk -v a="$best" -v b="$x" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
    done
    echo "$best"
}
adder_inproc=$(in_process_ms "$CODE" "$PARAMS")
real_row=
if [[ -f $DATA/chainspecs/tick.json ]] &&
    "$PVF" build-block --chainspec "$DATA/chainspecs/tick.json" --blocks 1 -o "$tmp/tick" >/dev/null 2>&1; then
    "$PVF" bench-host --code "$tmp/tick.code" --params "$tmp/tick-1.params" --runs 200 --jobs 50 --json >"$tmp/tick.json" ||
        die "pvf bench-host on the Tick block failed"
    tick_inproc=$(in_process_ms "$tmp/tick.code" "$tmp/tick-1.params")
    real_row=$(printf '| Tick block 1 (a %s KiB code blob) | %.3f ms | %.3f ms | %.3f ms | %.0f KiB | %.0f KiB |' \
        "$(($(stat -c %s "$tmp/tick.code") / 1024))" "$(j .validation_ms.p50 "$tmp/tick.json")" "$tick_inproc" \
        "$(awk -v a="$(j .validation_ms.p50 "$tmp/tick.json")" -v b="$tick_inproc" 'BEGIN { print a - b }')" \
        "$(j .worker_rss_kib "$tmp/tick.json")" "$(j .job_max_rss_kib "$tmp/tick.json")")
fi
{
    echo "$SECTION"
    echo
    echo "Command: \`bench/host.sh\` (run by \`make bench\`), i.e. \`pvf bench-host --code $(basename "$CODE") --params inputs/adder/000.params.scale --runs $RUNS --jobs $JOBS\`."
    echo "Machine: $(nproc) cores, $(date -u +%Y-%m-%d), load average at start $load_start."
    echo "Each validation goes host thread → execute queue → execute worker (Unix socket) → a fresh job"
    echo "process (clone3, pipe) → back; the adder itself runs for microseconds, so this is the host's own cost."
    echo
    echo "| measurement | p50 | p99 |"
    echo "|---|---|---|"
    printf '| bare fork (clone) + _exit + waitpid, %s times | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .clone_exit_wait_ms.p50)" "$(j .clone_exit_wait_ms.p99)"
    printf '| adder validation through the host, 1 execute worker, %s in a row | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .validation_ms.p50)" "$(j .validation_ms.p99)"
    printf '| of which the job process'"'"'s own CPU time (fork'"'"'s copy-on-write faults, setup, instantiation, the call, exit) | %.3f ms | |\n' "$(j .job_cpu_ms.p50)"

    echo
    echo "| execute workers | validations/s ($JOBS submitted at once) |"
    echo "|---|---|"
    for w in 1 2 4; do printf '| %s | %.0f |\n' "$w" "$(j ".validations_per_s[\"$w\"]")"; done
    echo
    echo "The machine has $(nproc) cores: with more workers than cores the jobs compete for CPU, so"
    echo "throughput stops growing at the core count."
    echo
    echo "Fixed cost per validation: the host's p50 minus instantiation + call in a process of their own"
    echo "(\`pvf validate --in-process\`, best of 5), and the memory of an execute worker after a job"
    echo "(\`pvf_worker_rss\`) and of a job at its peak (\`pvf_execution_max_rss\`), means over the run:"
    echo
    echo "| PVF | through the host, p50 | in a process of its own | fixed cost | worker RSS | job peak RSS |"
    echo "|---|---|---|---|---|---|"
    printf '| adder block 000 | %.3f ms | %.3f ms | %.3f ms | %.0f KiB | %.0f KiB |\n' "$(j .validation_ms.p50)" "$adder_inproc" \
        "$(awk -v a="$(j .validation_ms.p50)" -v b="$adder_inproc" 'BEGIN { print a - b }')" "$(j .worker_rss_kib)" "$(j .job_max_rss_kib)"
    [[ -n $real_row ]] && echo "$real_row"
} >"$tmp/section.md"
write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT"
