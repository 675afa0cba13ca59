#!/usr/bin/env bash
# bench/run.sh — `make bench`: pvf against V8 (node) on the same wasm, and prepare speed.
#
# 1. Prepare speed: `pvf prepare --json` on two relay-chain runtimes and the adder PVF;
#    MB/s = wasm bytes (decompressed) / prepare CPU time. Best of 3.
# 2. Execution: each benchmark module runs in `pvf bench --json` on both engine tiers (native,
#    the default on x86-64, and `--tier interp`) and in `node bench/v8/run.js --json` (same
#    imports, same timed region), alternating native, interp, node, ...; best (lowest)
#    bench_ms of up to BENCH_RUNS (3) runs each.
#    An engine whose run took longer than BENCH_LONG_MS (5 s) is not run again: such runs
#    are long enough that the spread is small, and it keeps `make bench` near 10 minutes.
#    CoreMark times itself (about 20 s per run whatever the engine), so it runs once per
#    engine and its ratio is V8 score / pvf score.
#    Ratio = pvf bench_ms / V8 bench_ms (lower is better; 1.0 = as fast as V8).
# 3. docs/BENCHMARKS.md is rewritten with every number, the machine and the date.
# 4. bench/runtime.sh (about 2 min): Core_version and Metadata_metadata of every shared
#    runtime, pvf against V8 with the same outputs checked; it adds its own section to
#    docs/BENCHMARKS.md. Its exit status (1 when an output differs) is run.sh's.
# 5. bench/host.sh (about 30 s): validation latency through the host and throughput with
#    1, 2 and 4 execute workers; its own section of docs/BENCHMARKS.md.
# 6. bench/sandbox.sh (about 40 s): each sandbox layer's cost, and a validation's with and
#    without the sandbox; its own section. Then bench/pvfd.sh (about a minute): the same
#    validations through pvfd next to the library, and one `pvf validate` alone and --daemon.
# 7. bench/real_blocks.sh (about 5 min): validate_block of real parachain blocks (pvf build-block)
#    in pvf, V8 and smoldot; its own section (needs `npm ci` in tests/gen/node, else skipped).
#
# Environment: BUILD (build), PVF_TESTDATA (../shared/testdata), BENCH_RUNS (3),
# BENCH_LONG_MS (5000), BENCH_BUDGET_S (540: benchmarks not started by then are skipped),
# BENCH_EXTRA=1 also runs mandelbrot (about 5 s in V8, much longer in an interpreter),
# BENCH_OUT (docs/BENCHMARKS.md).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
DATA=${PVF_TESTDATA:-$ROOT/../shared/testdata}
RUNS=${BENCH_RUNS:-3}
LONG_MS=${BENCH_LONG_MS:-5000}
BUDGET_S=${BENCH_BUDGET_S:-540}
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
FIB_N=40        # fib(40): about 0.7 s in V8 (node 20) on the reference machine
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SECONDS=0
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

die() { echo "bench/run.sh: $*" >&2; exit 2; }
[[ -x $PVF ]] || die "$PVF is not built (run make)"
command -v node >/dev/null || die "node is not installed (apt-get install nodejs)"
[[ -d $DATA/bench ]] || die "no benchmark data at $DATA/bench (set PVF_TESTDATA; see README.md, 'Test data')"

# json_num KEY: the number under "KEY" in the one-line JSON object on stdin.
json_num() { sed -nE 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*(-?[0-9.eE+]+).*/\1/p' | head -n 1; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
fmt() { [[ -z $1 ]] && echo "–" || awk -v x="$1" -v d="${2:-1}" 'BEGIN { printf "%.*f", d, x }'; }

# ---- 1. prepare speed ------------------------------------------------------------------

prepare_rows=()
prepare_one() {
    local file=$1 best="" size="" art="" i json cpu
    for ((i = 0; i < 3; i++)); do
        if ! json=$("$PVF" prepare "$file" -o "$tmp/artifact" --json 2>"$tmp/err"); then
            echo "  pvf prepare $(basename "$file") failed: $(head -c 300 "$tmp/err")"
            prepare_rows+=("| $(basename "$file") | failed: $(head -n 1 "$tmp/err" | cut -c1-120) | | | |")
            return
        fi
        cpu=$(json_num cpu_ms <<<"$json")
        [[ -z $cpu ]] && cpu=$(json_num prepare_cpu_ms <<<"$json")
        size=$(json_num wasm_size <<<"$json")
        art=$(json_num artifact_size <<<"$json")
        [[ -z $cpu || -z $size ]] && { echo "  unexpected prepare --json output: $json"; return; }
        best=$(min "$best" "$cpu")
    done
    local mbs
    mbs=$(awk -v s="$size" -v ms="$best" 'BEGIN { if (ms > 0) printf "%.1f", s / 1e6 / (ms / 1e3) }')
    printf '  %-50s %9s bytes  %9s ms CPU  %7s MB/s\n' "$(basename "$file")" "$size" "$(fmt "$best" 1)" "$mbs"
    prepare_rows+=("| \`$(basename "$file")\` | $size | ${art:-–} | $(fmt "$best" 1) | $mbs |")
}

echo "== prepare speed (pvf prepare --json, best of 3)"
for f in smoldot__chainspec_rococo.wasm.zstdblob chopsticks__chainspec_kusama-local.wasm.zstdblob \
         kagome__pvf_hex_adder.wasm; do
    if [[ -f $DATA/pvf/$f ]]; then prepare_one "$DATA/pvf/$f"; else echo "  missing: $DATA/pvf/$f"; fi
done
# Linear in code size: the limit modules of tests/gen/limits.js (made here, nothing committed) —
# one 7.65 MB function body, the same size of nested blocks, 10,000 functions.
if node tests/gen/limits.js "$tmp/limits" >/dev/null 2>&1; then
    for f in body_at_limit nesting_2551436 functions_at_limit_pvf; do
        [[ -f $tmp/limits/$f.wasm ]] && prepare_one "$tmp/limits/$f.wasm"
    done
else
    echo "  tests/gen/limits.js failed: the limit modules are left out"
fi

# ---- 2. execution against V8 -----------------------------------------------------------

# run_engine ENGINE FILE: one run, JSON on stdout; non-zero status on failure.
run_engine() {
    local engine=$1 file=$2
    if [[ $engine == pvf ]]; then
        "$PVF" bench "$file" --json --fib-n "$FIB_N" --tier native
    elif [[ $engine == interp ]]; then
        "$PVF" bench "$file" --json --fib-n "$FIB_N" --tier interp
    else
        node bench/v8/run.js "$file" --json --fib-n "$FIB_N"
    fi
}

exec_rows=()
ratios=()
interp_ratios=()
bench_one() {
    local file=$1 name runs=$RUNS i engine json ms
    local -A best=() compile=() score=() err=() stop=()
    name=$(basename "$file" .wasm)
    [[ $name == coremark* ]] && runs=1
    if ((SECONDS > BUDGET_S)); then
        echo "  $name: skipped (time budget of ${BUDGET_S}s used up)"
        exec_rows+=("| $name | skipped: time budget | | | | |")
        return
    fi
    # Import names are plain strings in the binary. ackermann reads its parameters from
    # files; neither harness has a file system to give it.
    if grep -q path_open "$file"; then
        echo "  $name: skipped (reads input files through WASI path_open; no file system here)"
        exec_rows+=("| $name | skipped: reads input files (WASI \`path_open\`), which neither harness provides | | | | |")
        return
    fi
    for ((i = 0; i < runs; i++)); do
        for engine in pvf interp v8; do
            [[ -n ${stop[$engine]:-} ]] && continue
            if ! json=$(run_engine "$engine" "$file" 2>"$tmp/err"); then
                err[$engine]=$(grep -v '^$' "$tmp/err" | tail -n 1 |
                               sed -E 's/^(run\.js|pvf bench): ([^ ]*: )?//' | cut -c1-140)
                stop[$engine]=1
                continue
            fi
            ms=$(json_num bench_ms <<<"$json")
            best[$engine]=$(min "${best[$engine]:-}" "$ms")
            compile[$engine]=$(min "${compile[$engine]:-}" "$(json_num compile_ms <<<"$json")")
            score[$engine]=$(json_num score <<<"$json")
            awk -v ms="$ms" -v lim="$LONG_MS" 'BEGIN { exit !(ms > lim) }' && stop[$engine]=1
        done
    done
    local ratio="" iratio=""
    if [[ -n ${err[pvf]:-} || -n ${err[v8]:-} || -n ${err[interp]:-} ]]; then
        local why="${err[pvf]:+pvf: ${err[pvf]}}${err[v8]:+ V8: ${err[v8]}}"
        echo "  $name: not compared: $why"
        exec_rows+=("| $name | $(fmt "${compile[pvf]:-}" 2) | $(fmt "${best[pvf]:-}") | $(fmt "${best[interp]:-}") | $(fmt "${compile[v8]:-}" 2) | $(fmt "${best[v8]:-}") | not compared: ${why//|//} | |")
        return
    fi
    if [[ -n ${score[pvf]:-} && -n ${score[v8]:-} ]]; then
        ratio=$(awk -v p="${score[pvf]}" -v v="${score[v8]}" 'BEGIN { if (p > 0) printf "%.2f", v / p }')
        iratio=$(awk -v p="${score[interp]}" -v v="${score[v8]}" 'BEGIN { if (p > 0) printf "%.2f", v / p }')
    else
        ratio=$(awk -v p="${best[pvf]}" -v v="${best[v8]}" 'BEGIN { if (v > 0) printf "%.2f", p / v }')
        iratio=$(awk -v p="${best[interp]}" -v v="${best[v8]}" 'BEGIN { if (v > 0) printf "%.2f", p / v }')
    fi
    [[ -n $ratio ]] && ratios+=("$ratio")
    [[ -n $iratio ]] && interp_ratios+=("$iratio")
    local note=""
    [[ -n ${score[pvf]:-} ]] && note=" (score: pvf $(fmt "${score[pvf]}"), V8 $(fmt "${score[v8]}"))"
    printf '  %-24s native %10s ms   interp %10s ms   V8 %9s ms   ratios %6s %6s%s\n' "$name" \
        "$(fmt "${best[pvf]}")" "$(fmt "${best[interp]}")" "$(fmt "${best[v8]}")" "$ratio" "$iratio" "$note"
    exec_rows+=("| $name | $(fmt "${compile[pvf]}" 2) | $(fmt "${best[pvf]}") | $(fmt "${best[interp]}") | $(fmt "${compile[v8]}" 2) | $(fmt "${best[v8]}") | ${ratio:-–}$note | ${iratio:-–} |")
}

benchmarks=("$DATA/bench/wasm3/fib32.wasm" "$DATA/bench/wasm3/fib64.wasm" "$DATA/bench/wasm3/crc.wasm")
[[ ${BENCH_EXTRA:-} == 1 ]] && benchmarks+=("$DATA/bench/wasm3/mandelbrot.wasm")
benchmarks+=("$DATA"/bench/sightglass-mvp/*.wasm "$DATA/bench/wasm3/coremark-minimal.wasm")

echo "== execution: pvf vs V8 (bench_ms, best of up to $RUNS runs; ratio = pvf / V8)"
for f in "${benchmarks[@]}"; do
    if [[ -f $f ]]; then bench_one "$f"; else echo "  missing: $f"; fi
done

geomean="" igeomean=""
if ((${#ratios[@]})); then
    geomean=$(printf '%s\n' "${ratios[@]}" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
    igeomean=$(printf '%s\n' "${interp_ratios[@]}" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
fi
echo "== geometric mean of pvf/V8 over ${#ratios[@]} benchmarks: native ${geomean:-–}, interpreter ${igeomean:-–}"

# ---- 3. docs/BENCHMARKS.md -------------------------------------------------------------

cpu_model=$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit + local changes"
mkdir -p "$(dirname "$OUT")"
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (bench/run.sh); do not edit by hand — rerun it."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: ${cpu_model:-unknown CPU}, $(nproc) cores (nproc), $mem_total RAM, Linux $(uname -r)"
    echo "- pvf: commit $commit, built with \`$(${CC:-gcc} --version 2>/dev/null | head -n 1)\` (make's default flags)"
    echo "- V8: node $(node --version) (bench/v8/run.js)"
    echo "- Command: \`make bench\` (total time $((SECONDS / 60)) min $((SECONDS % 60)) s)"
    echo "- Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  (the benchmark itself accounts for about 1; more means other work shared the cores, and noisier numbers)"
    echo
    echo "## Prepare speed"
    echo
    echo "\`pvf prepare FILE --json\`, best of 3; MB/s = wasm bytes (after decompressing a code blob) / prepare CPU time."
    echo
    echo "| runtime | wasm bytes | artifact bytes | prepare CPU ms | MB/s |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${prepare_rows[@]}"
    echo
    echo "## Execution against V8"
    echo
    echo "Same module, same imports, same timed region in both (\`pvf bench --json\` and"
    echo "\`node bench/v8/run.js --json\`), runs alternating between the two; best of up to $RUNS runs"
    echo "(an engine is not rerun after a run longer than $((LONG_MS / 1000)) s). compile = pvf: CPU time of"
    echo "prepare + load; V8: wall time of \`new WebAssembly.Module\` (V8 compiles lazily and in the"
    echo "background, so this understates its compile work). Ratio = pvf bench ms / V8 bench ms; for"
    echo "CoreMark, which times itself, V8 score / pvf score. fib32/fib64 compute fib($FIB_N)."
    echo
    echo "pvf runs on both engine tiers: native (x86-64 machine code, the default) and the interpreter"
    echo "(\`--tier interp\`); compile is the native tier's (prepare + load + machine code)."
    echo
    echo "| benchmark | pvf compile ms | native bench ms | interp bench ms | V8 compile ms | V8 bench ms | native / V8 | interp / V8 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${exec_rows[@]}"
    echo
    echo "**Geometric mean over ${#ratios[@]} benchmarks: native / V8 ${geomean:-–}, interpreter / V8 ${igeomean:-–}**"
    echo
    echo "Sources: \`\$PVF_TESTDATA/bench/\` — sightglass shootout (bytecodealliance/sightglass),"
    echo "wasm3's CoreMark, fib, crc and mandelbrot (wasm3/wasm3); runtimes from \`\$PVF_TESTDATA/pvf/\`"
    echo "(sources in its MANIFEST.tsv). See README.md, 'Test data'."
} >"$OUT"
echo "== wrote $OUT (${SECONDS}s)"

# ---- 4. runtime calls (Core_version, Metadata_metadata) -------------------------------

BUILD=$BUILD PVF_TESTDATA=$DATA BENCH_OUT=$OUT bench/runtime.sh
status=$?

# ---- 5. the host end to end (latency, throughput per worker count) --------------------

BUILD=$BUILD PVF_TESTDATA=$DATA BENCH_OUT=$OUT bench/host.sh || status=2

# ---- 6. the sandbox's cost, per layer and per validation ------------------------------

BUILD=$BUILD PVF_TESTDATA=$DATA BENCH_OUT=$OUT bench/sandbox.sh || status=2
BUILD=$BUILD PVF_TESTDATA=$DATA BENCH_OUT=$OUT bench/pvfd.sh || status=2

# ---- 7. real parachain blocks: pvf, V8, smoldot ----------------------------------------

if [[ -d tests/gen/node/node_modules/@acala-network ]]; then
    BUILD=$BUILD PVF_TESTDATA=$DATA BENCH_OUT=$OUT bench/real_blocks.sh || status=2
else
    echo "== skipped bench/real_blocks.sh: run 'npm ci' in tests/gen/node (smoldot's executor)"
fi
exit $status
