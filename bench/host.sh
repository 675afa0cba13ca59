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
# A row of the fixed-cost table: name, bench-host JSON, in-process ms.
fixed_row() {
    local b s
    b=$(j .validation_ms.p50 "$2") s=$(j .validation_spaced_ms.p50 "$2")
    printf '| %s | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.0f KiB | %.0f KiB |\n' "$1" "$b" "$s" "$3" \
        "$(awk -v a="$b" -v b="$3" 'BEGIN { print a - b }')" "$(awk -v a="$s" -v b="$3" 'BEGIN { print a - b }')" \
        "$(j .worker_rss_kib "$2")" "$(j .job_max_rss_kib "$2")"
}
real_row=
if [[ -f $DATA/chainspecs/tick.json ]] &&
    "$PVF" build-block --chainspec "$DATA/chainspecs/tick.json" --blocks 1 -o "$tmp/tick" >/dev/null 2>&1; then
    "$PVF" bench-host --code "$tmp/tick.code" --params "$tmp/tick-1.params" --runs 200 --jobs 50 --json >"$tmp/tick.json" ||
        die "pvf bench-host on the Tick block failed"
    tick_inproc=$(in_process_ms "$tmp/tick.code" "$tmp/tick-1.params")
    real_row=$(fixed_row "Tick block 1 (a $(($(stat -c %s "$tmp/tick.code") / 1024)) KiB code blob)" "$tmp/tick.json" "$tick_inproc")
fi
{
    echo "$SECTION"
    echo
    echo "Command: \`bench/host.sh\` (run by \`make bench\`), i.e. \`pvf bench-host --code $(basename "$CODE") --params inputs/adder/000.params.scale --runs $RUNS --jobs $JOBS\`."
    echo "Machine: $(nproc) cores, $(date -u +%Y-%m-%d), load average at start $load_start."
    echo "Each validation goes host thread → execute queue → execute worker (Unix socket) → a fresh job"
    echo "process (clone3, pipes) → back; the adder itself runs for microseconds, so this is the host's own"
    echo "cost. The job is spawned ahead of its request and instantiates while it waits (docs/ARCHITECTURE.md,"
    echo "\"The hot path of one validation\"): back to back, the next request arrives while the job for it is"
    echo "still being made; spaced 10 ms apart (as candidates reach a validator), it is ready."
    echo
    echo "| measurement | p50 | p99 |"
    echo "|---|---|---|"
    printf '| bare fork (clone) + _exit + waitpid, %s times | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .clone_exit_wait_ms.p50)" "$(j .clone_exit_wait_ms.p99)"
    printf '| adder validation through the host, 1 execute worker, %s back to back | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .validation_ms.p50)" "$(j .validation_ms.p99)"
    printf '| the same, %s spaced %s ms apart | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .gap_ms)" "$(j .validation_spaced_ms.p50)" "$(j .validation_spaced_ms.p99)"
    printf '| the job process'"'"'s own CPU time, its spawn to its result (setup, instantiation, the call; its exit comes after the answer) | %.3f ms | |\n' "$(j .job_cpu_ms.p50)"

    echo
    echo "| execute workers | validations/s ($JOBS submitted at once) | CPU per validation (every process) | cores busy |"
    echo "|---|---|---|---|"
    for w in 1 2 4; do
        printf '| %s | %.0f | %.3f ms | %.2f |\n' "$w" "$(j ".validations_per_s[\"$w\"]")" \
            "$(j ".cpu_ms_per_validation[\"$w\"]")" "$(j ".cores_busy[\"$w\"]")"
    done
    echo
    echo "The machine has $(nproc) cores. The CPU column is all the work a validation costs — the host's"
    echo "threads, the worker, the job and its exit — so throughput is bounded by cores ÷ CPU per validation:"
    echo "one worker already keeps more than one core busy (its job's spawn and exit run beside its"
    echo "answer), and more workers than cores only compete for them."
    echo
    echo "Fixed cost per validation: the host's p50 minus instantiation + call in a process of their own"
    echo "(\`pvf validate --in-process\`, best of 5), and the memory of an execute worker after a job"
    echo "(\`pvf_worker_rss\`) and of a job at its peak (\`pvf_execution_max_rss\`, the job's own"
    echo "getrusage), means over the run:"
    echo
    echo "| PVF | through the host, back to back | spaced | in a process of its own | fixed cost, back to back | fixed cost, spaced | worker RSS | job peak RSS |"
    echo "|---|---|---|---|---|---|---|---|"
    fixed_row "adder block 000" "$tmp/out.json" "$adder_inproc"
    [[ -n $real_row ]] && echo "$real_row"
} >"$tmp/section.md"
write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT"
