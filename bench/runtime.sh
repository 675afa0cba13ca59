#!/usr/bin/env bash
# bench/runtime.sh — Core_version and Metadata_metadata of every shared runtime, pvf against
# V8 (node), and a check that both engines return the same bytes. `make bench` runs it at the
# end of bench/run.sh; it also runs alone (about 2 minutes).
#
# For each runtime in $PVF_TESTDATA/pvf/ (compressed code blobs and plain wasm alike):
#   - pvf prepare:  `pvf prepare FILE --json`, cpu_ms, best of 3 (decompression included);
#   - pvf call:     `pvf call --code FILE --export NAME --repeat 10 --json` in 3 processes: each
#                   calls 10 times, each time on a fresh instance of the loaded code, as V8 does;
#                   cpu_ms = the fastest of them, first_cpu_ms = the first (best of the processes).
#                   A call's time is the thread's CPU time of: new store, linking the host
#                   functions, instantiation, __heap_base, allocator set-up, input allocation, the
#                   call, copying the output out. The prepare that each process does first is not in it.
#   - V8:           `node bench/v8/runtime.js FILE --export NAME --runs 10 --json`: one process
#                   per export; compile_ms = wall time of `new WebAssembly.Module` (best of the
#                   two processes); call_ms = wall time of new WebAssembly.Instance + allocator
#                   set-up + input allocation + the call + copying the output out, best of 10
#                   fresh instances of the one compiled module; first_call_ms = the first of them.
#                   node 20 compiles wasm lazily: `new WebAssembly.Module` only validates, each
#                   function is compiled (Liftoff) on its first call, and hot ones are recompiled
#                   by TurboFan in the background, so the first call pays for compiling what it
#                   touches and later calls get faster as TurboFan code arrives: with 3 runs
#                   Metadata_metadata had not settled yet (still 2-3x above its floor), with 10 it
#                   has, which is V8 at its best (closest to the reference's AOT-compiled code).
#   - ratio = pvf call ms / V8 best call ms (lower is better).
#   - outputs equal: sha256 of pvf's output bytes against node's; a call that fails must fail
#     the same way in both. A difference is printed loudly and makes the exit status 1.
# For each export: pvf, node (all its runs), pvf, pvf.
#
# Writes the section "## Runtime calls (issue 3)" of docs/BENCHMARKS.md, in place if the file
# has it, else at the end; the rest of the file is kept.
#
# Environment: BENCH_V8_RUNS (10), BUILD (build), PVF_TESTDATA (../shared/testdata), BENCH_OUT (docs/BENCHMARKS.md),
# BENCH_ONLY=TEXT only the runtimes whose file name contains TEXT, and the file is left alone.
# Needs node and the zstd command (node 20's zlib has no zstd; bench/v8/runtime.js uses it).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/common.sh
SECTION="## Runtime calls (issue 3)"
EXPORTS=(Core_version Metadata_metadata)
RUNS=3
V8_RUNS=${BENCH_V8_RUNS:-10}
SECONDS=0
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -x $PVF ]] || die "$PVF is not built (run make)"
command -v node >/dev/null || die "node is not installed (apt-get install nodejs)"
command -v zstd >/dev/null || die "the zstd command is not installed (apt-get install zstd)"
compgen -G "$DATA/pvf/*.wasm*" >/dev/null || die "no runtimes in $DATA/pvf (set PVF_TESTDATA; see README.md, 'Test data')"

json_num() { sed -nE 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*(-?[0-9.eE+]+).*/\1/p' | head -n 1; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
fmt() { [[ -z $1 ]] && echo "–" || awk -v x="$1" -v d="${2:-1}" 'BEGIN { printf "%.*f", d, x }'; }
geomean() { printf '%s\n' "$@" | awk 'NF { s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else printf "–" }'; }
ratio() { awk -v p="$1" -v v="$2" 'BEGIN { if (p != "" && v > 0) printf "%.2f", p / v; else printf "–" }'; }

# pvf_result FILE: "ok SHA256 LEN" or "fail MESSAGE" from a `pvf call --json` output. The
# output is hex in the JSON; node turns it into bytes (no xxd needed). A trap's message has
# pvf's "trap: " prefix removed so that it reads like V8's.
pvf_result() {
    node -e '
        const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        if (!j.ok) { console.log("fail " + String(j.error).replace(/^trap: /, "")); process.exit(0); }
        const b = Buffer.from(j.output.replace(/^0x/, ""), "hex");
        console.log("ok " + require("crypto").createHash("sha256").update(b).digest("hex") + " " + b.length);
    ' "$1"
}

# v8_result FILE: the same from a `node bench/v8/runtime.js --json` output.
v8_result() {
    node -e '
        const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(j.ok ? `ok ${j.output_sha256} ${j.output_len}` : `fail ${j.error}`);
    ' "$1"
}

rows=()
mismatches=0
declare -A ratios=()     # export -> the pvf / V8 ratios, space-separated

# prepare_ms FILE: sets prep (best pvf prepare cpu_ms of 3) and wasm_size; both empty on failure.
prepare_ms() {
    local i json
    prep="" wasm_size=""
    for ((i = 0; i < 3; i++)); do
        if ! json=$("$PVF" prepare "$1" --json 2>"$tmp/err"); then
            echo "  pvf prepare $(basename "$1") failed: $(head -c 300 "$tmp/err")" >&2
            prep=""
            return
        fi
        prep=$(min "$prep" "$(json_num cpu_ms <<<"$json")")
        wasm_size=$(json_num wasm_size <<<"$json")
    done
}

# call_export FILE NAME: sets pvf_ms, pvf_first, v8_ms, v8_first, v8_compile, same ("yes"/"NO"/why).
call_export() {
    local file=$1 name=$2 i json pres="" vres="" res
    pvf_ms="" pvf_first="" v8_ms="" v8_first="" v8_compile=""
    for ((i = 0; i < RUNS; i++)); do
        "$PVF" call --code "$file" --export "$name" --repeat "$V8_RUNS" --json >"$tmp/pvf.json" 2>"$tmp/err"
        res=$(pvf_result "$tmp/pvf.json" 2>>"$tmp/err") || res="fail pvf call printed no JSON: $(head -c 200 "$tmp/err")"
        [[ -n $pres && $res != "$pres" && $pres != "fail pvf differs"* ]] &&
            res="fail pvf differs from run to run: run 1: $pres; run $((i + 1)): $res"
        [[ $pres == "fail pvf differs"* ]] && res=$pres
        pres=$res
        if [[ $res == ok* ]]; then
            pvf_ms=$(min "$pvf_ms" "$(json_num cpu_ms <"$tmp/pvf.json")")
            pvf_first=$(min "$pvf_first" "$(json_num first_cpu_ms <"$tmp/pvf.json")")
        fi
        if ((i == 0)); then
            node bench/v8/runtime.js "$file" --export "$name" --runs "$V8_RUNS" --json >"$tmp/v8.json" 2>"$tmp/err"
            vres=$(v8_result "$tmp/v8.json" 2>>"$tmp/err") || vres="fail runtime.js printed no JSON: $(head -c 200 "$tmp/err")"
            if [[ $vres == ok* ]]; then
                v8_ms=$(json_num call_ms <"$tmp/v8.json")
                v8_first=$(json_num first_call_ms <"$tmp/v8.json")
            fi
            v8_compile=$(json_num compile_ms <"$tmp/v8.json")
        fi
    done
    if [[ $pres == "$vres" && $pres == ok* ]]; then
        same="yes"
    elif [[ $pres == "$vres" ]]; then
        same="both fail: ${pres#fail }"
    else
        same="NO"
        mismatches=$((mismatches + 1))
        {
            echo "!!!! MISMATCH: $(basename "$file") $name"
            echo "!!!!   pvf: $pres"
            echo "!!!!   V8:  $vres"
        } >&2
    fi
}

bench_runtime() {
    local file=$1 name compile="" e r cells="" notes=()
    name=$(basename "$file")
    name=${name%.zstdblob}
    name=${name%.wasm}
    prepare_ms "$file"
    printf '  %-48s prepare %7s ms\n' "$name" "$(fmt "$prep")"
    for e in "${EXPORTS[@]}"; do
        call_export "$file" "$e"
        [[ -n $v8_compile ]] && compile=$(min "$compile" "$v8_compile")
        printf '    %-18s pvf %8s ms (first %8s ms)   V8 %8s ms (first %8s ms)   ratio %6s   equal: %s\n' "$e" \
            "$(fmt "$pvf_ms" 2)" "$(fmt "$pvf_first" 2)" "$(fmt "$v8_ms" 2)" "$(fmt "$v8_first" 2)" \
            "$(ratio "$pvf_ms" "$v8_ms")" "$same"
        r=$(ratio "$pvf_ms" "$v8_ms")
        [[ $r != – ]] && ratios[$e]+=" $r"
        cells+=" $(fmt "$pvf_ms" 2) | $(fmt "$pvf_first" 2) | $(fmt "$v8_ms" 2) | $(fmt "$v8_first" 2) | $r |"
        if [[ $same != yes ]]; then
            if [[ $same == NO ]]; then notes+=("**$e: OUTPUTS DIFFER**")
            elif [[ $same == "both fail: Exported method $e is not found" ]]; then notes+=("no $e export (both)")
            else notes+=("$e: ${same//|//}"); fi
        fi
    done
    local equal="yes"
    if ((${#notes[@]})); then
        equal=$(IFS=';'; echo "${notes[*]}")
        equal=${equal//;/; }
    fi
    rows+=("| \`$name\` | ${wasm_size:-–} | $(fmt "$prep") | $(fmt "$compile") |$cells $equal |")
}

echo "== runtime calls: pvf vs V8 (pvf: CPU ms, best of $RUNS processes; V8: wall ms, best of $V8_RUNS instances)"
for f in "$DATA"/pvf/*.wasm*; do
    [[ -n ${BENCH_ONLY:-} && $(basename "$f") != *"$BENCH_ONLY"* ]] && continue
    bench_runtime "$f"
done
for e in "${EXPORTS[@]}"; do
    echo "== geometric mean of pvf / V8 for $e: $(geomean ${ratios[$e]:-}) ($(wc -w <<<"${ratios[$e]:-}") runtimes)"
done
if [[ -n ${BENCH_ONLY:-} ]]; then
    echo "== BENCH_ONLY is set: $OUT left alone"
    exit $((mismatches ? 1 : 0))
fi

# ---- docs/BENCHMARKS.md: replace (or append) our section ---------------------------------

cpu_model=$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit + local changes"
{
    echo "$SECTION"
    echo
    echo "\`Core_version\` and \`Metadata_metadata\` (empty input) of every runtime in \`\$PVF_TESTDATA/pvf/\`,"
    echo "in pvf and in V8 with the same host functions written in JS (\`bench/v8/runtime.js\`)."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: ${cpu_model:-unknown CPU}, $(nproc) cores (nproc), $mem_total RAM, Linux $(uname -r)"
    echo "- pvf: commit $commit; V8: node $(node --version)"
    echo "- Command: \`bench/runtime.sh\` (also the last step of \`make bench\`; took $((SECONDS / 60)) min $((SECONDS % 60)) s)"
    echo "- Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  (the benchmark itself accounts for about 1; more means other work shared the cores, and noisier numbers)"
    echo
    echo "What each number measures (the two engines' call times do not cover the same work):"
    echo
    echo "- **wasm bytes**: the code after decompressing the blob."
    echo "- **pvf prepare ms**: CPU time of \`pvf prepare FILE --json\` (decompression, validation, stack"
    echo "  limiter, translation to the artifact), best of 3. pvf compiles everything before the first call."
    echo "- **V8 compile ms**: wall time of \`new WebAssembly.Module\`, best of 2. node $(node --version | cut -d. -f1) compiles lazily,"
    echo "  so this is mostly validation: each function is compiled (Liftoff) on its first call and hot"
    echo "  ones recompiled by TurboFan on background threads. Not comparable with pvf prepare."
    echo "- **pvf ms**: \`pvf call --code FILE --export NAME --repeat $V8_RUNS --json\`'s \`cpu_ms\`: CPU time"
    echo "  of a fresh store and instance (linking the host functions, instantiation), the allocator"
    echo "  set-up and input allocation, the call, and copying the output out; the fastest of $V8_RUNS calls,"
    echo "  each on a fresh instance of the loaded code (as V8's), best of $RUNS processes. Prepare is not included."
    echo "- **pvf 1st ms**: the first of those calls (\`first_cpu_ms\`): it also pays for the process's"
    echo "  first touches (the native stack, the code's pages, the allocator's arenas)."
    echo "- **V8 ms**: wall time of the same steps in node (\`new WebAssembly.Instance\`, allocator, call,"
    echo "  copy), best of $V8_RUNS fresh instances of one compiled module: by then the functions the call"
    echo "  runs are compiled and the hot ones optimised by TurboFan (with 3 runs V8 had not settled)."
    echo "  Wall time, where pvf's is CPU time: other load on the machine counts against V8 only."
    echo "- **V8 1st ms**: the first of those runs alone: it includes compiling (Liftoff) every function"
    echo "  the call touches, so it sits between \"call only\" and \"compile + call\"."
    echo "- **pvf / V8** = pvf ms / V8 ms (lower is better)."
    echo "- **outputs equal**: sha256 of the output bytes from pvf and from V8 (all runs of an engine must"
    echo "  agree too); a call that fails must fail with the same message in both. The adder PVFs export"
    echo "  neither function."
    echo
    echo "| runtime | wasm bytes | pvf prepare ms | V8 compile ms | Core_version pvf ms | pvf 1st ms | V8 ms | V8 1st ms | pvf / V8 | Metadata_metadata pvf ms | pvf 1st ms | V8 ms | V8 1st ms | pvf / V8 | outputs equal |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    for e in "${EXPORTS[@]}"; do
        echo "**Geometric mean of pvf / V8 for $e: $(geomean ${ratios[$e]:-}) over $(wc -w <<<"${ratios[$e]:-}") runtimes.**"
        echo
    done
    if ((mismatches)); then
        echo "**$mismatches call(s) gave different outputs in pvf and V8.**"
    else
        echo "Every call gave the same bytes (or the same failure) in pvf and V8."
    fi
} >"$tmp/section.md"

write_section "$SECTION" "$tmp/section.md" "$OUT"
echo "== wrote the section \"${SECTION#\#\# }\" of $OUT (${SECONDS}s)"
if ((mismatches)); then
    echo "bench/runtime.sh: $mismatches call(s) gave different outputs in pvf and V8" >&2
    exit 1
fi
