#!/usr/bin/env bash
# bench/pvfd.sh — the host as a service (issue 16) against the host in-process, side by side in
# one run: `pvf bench-host --pvfd` measures the adder's latency back to back (1 execute worker)
# and the throughput of a burst with 1, 2 and 4 execute workers, in the library and through a
# pvfd of its own (one connection); then what one `pvf validate` command costs, on its own
# (it starts a host, its workers and their sandbox each time) and with --daemon (a running pvfd).
# `make bench` runs it after bench/sandbox.sh; it also runs alone (about a minute).
#
# Writes the section "## pvfd: the host as a service (issue 16)" of docs/BENCHMARKS.md.
# Environment: BUILD, PVF_TESTDATA, BENCH_OUT, BENCH_PVFD_RUNS (500), BENCH_PVFD_JOBS (500).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/common.sh
RUNS=${BENCH_PVFD_RUNS:-500}
JOBS=${BENCH_PVFD_JOBS:-500}
SECTION="## pvfd: the host as a service (issue 16)"
CODE=$ADDER_CODE
PARAMS=$ADDER_PARAMS
PVFD=$BUILD/bin/pvfd
[[ -x $PVF && -x $PVFD ]] || die "$PVF or $PVFD is not built (run make)"
[[ -f $CODE && -f $PARAMS ]] || die "no adder in $DATA (set PVF_TESTDATA; see README.md, 'Test data')"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$PVF" bench-host --code "$CODE" --params "$PARAMS" --runs "$RUNS" --jobs "$JOBS" --pvfd --json >"$tmp/out.json" ||
    die "pvf bench-host --pvfd failed"
j() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(eval("j" + process.argv[2]))' "$tmp/out.json" "$1"; }

# One command's wall time, the mean of n runs, ms.
command_ms() {
    local n=$1 t0 t1; shift
    t0=$(date +%s%N)
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || die "failed: $*"; done
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n / 1e6 }'
}
"$PVF" validate --code "$CODE" --params "$PARAMS" --cache-dir "$tmp/cache" >/dev/null 2>&1   # prepared once
alone=$(command_ms 10 "$PVF" validate --code "$CODE" --params "$PARAMS" --cache-dir "$tmp/cache")
: >"$tmp/empty.conf"
"$PVFD" --config "$tmp/empty.conf" --socket "$tmp/pvfd.sock" --cache-dir "$tmp/cache" --log-file "$tmp/pvfd.log" &
pvfd_pid=$!
for _ in $(seq 100); do grep -q event=ready "$tmp/pvfd.log" 2>/dev/null && break; sleep 0.1; done
daemon=$(command_ms 50 "$PVF" validate --daemon "$tmp/pvfd.sock" --code "$CODE" --params "$PARAMS")
kill -TERM "$pvfd_pid"; wait "$pvfd_pid"

{
    echo "$SECTION"
    echo
    echo "Command: \`bench/pvfd.sh\` (run by \`make bench\`), i.e. \`pvf bench-host --code $(basename "$CODE") --params inputs/adder/000.params.scale --runs $RUNS --jobs $JOBS --pvfd\`,"
    echo "then \`pvf validate\` alone and with \`--daemon\`."
    echo "Machine: $(nproc) cores, $(date -u +%Y-%m-%d), load average at start $load_start."
    echo "The same adder block, the same workers and sandbox: once through the host in the benchmark's own"
    echo "process (libpvf), once through a pvfd it starts (the C client, one connection: the request framed"
    echo "and copied over a Unix socket, pvfd's event loop, the answer back)."
    echo
    echo "| measurement | libpvf in-process | through pvfd |"
    echo "|---|---|---|"
    printf '| latency, 1 execute worker, %s back to back: p50 | %.3f ms | %.3f ms |\n' "$RUNS" "$(j .validation_ms.p50)" "$(j .pvfd.validation_ms.p50)"
    printf '| the same: p99 | %.3f ms | %.3f ms |\n' "$(j .validation_ms.p99)" "$(j .pvfd.validation_ms.p99)"
    for w in 1 2 4; do
        printf '| throughput, %s execute worker%s, %s at once | %.0f /s | %.0f /s |\n' "$w" "$([[ $w == 1 ]] || echo s)" "$JOBS" \
            "$(j ".validations_per_s[\"$w\"]")" "$(j ".pvfd.validations_per_s[\"$w\"]")"
    done
    echo
    echo "One \`pvf validate\` command, wall time per command (mean): on its own, which starts a host, a"
    echo "prepare and an execute worker and checks the sandbox each time (the artifact cached), **$alone ms**;"
    echo "with \`--daemon\` against a running pvfd, **$daemon ms** (mostly the \`pvf\` process's own start)."
} >"$tmp/section.md"
write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT"
