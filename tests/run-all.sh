#!/usr/bin/env bash
# tests/run-all.sh — every test of pvf; `make test` runs it (BUILD=build, or build-asan).
#
# Suites, run two at a time (the machines have 2 cores):
#   unit         $BUILD/bin/pvf-unit-tests
#   spec-1/2     $BUILD/bin/pvf wast --profile full --tier native on the WebAssembly spec suite:
#                spec/core/*/*.json, except the files that spec/bulk-memory/ replaces,
#                plus spec/bulk-memory/*/*.json (split in two halves to use both cores)
#   spec-interp  the same files on the interpreter (--tier interp): both tiers, same counts
#   t-*.sh       every tests/t-*.sh script
# Each suite ends its output with "N passed, M failed[, K skipped]"; this script prints
# each suite's output, one line saying what was skipped and why, and as its very last
# line the sums: "N passed, M failed". Exit status 1 if anything failed.
#
# Test data: $PVF_TESTDATA (default ../shared/testdata from the repository root). When it
# is missing the spec suites are skipped with a note, or count as failed when $CI is set.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
export BUILD
export PVF_TESTDATA=${PVF_TESTDATA:-../shared/testdata}   # relative to the repository root
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}
# Sanitizer reports must not look like an ordinary "rejected" exit status 1.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=87:print_stacktrace=1:halt_on_error=1}

DATA_SOURCE="the WebAssembly spec tests are WebAssembly/testsuite@35c50bf converted with wast2json \
(wabt 1.0.32); the runtimes' sources are listed in pvf/MANIFEST.tsv; see README.md, 'Test data'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
suites=()          # names, in the order their output is printed
skipped_notes=()   # "what (why)"
extra_failed=0     # failures found here rather than in a suite's count line

# ---- running suites --------------------------------------------------------------------

# run_suite NAME COMMAND...: start COMMAND in the background, output to $tmp/NAME.log.
run_suite() {
    local name=$1; shift
    suites+=("$name")
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n; done
    (
        timeout --signal=KILL "$SUITE_TIMEOUT" "$@" >"$tmp/$name.log" 2>&1
        echo $? >"$tmp/$name.rc"
    ) &
}

spec_files() {
    local spec=$PVF_TESTDATA/spec f dir
    for f in "$spec"/core/*/*.json; do
        dir=$(basename "$(dirname "$f")")
        [[ -d $spec/bulk-memory/$dir ]] && continue
        echo "$f"
    done
    ls "$spec"/bulk-memory/*/*.json
}

start_spec_suites() {
    if [[ ! -d $PVF_TESTDATA/spec/core ]]; then
        if [[ -n ${CI:-} ]]; then
            echo "FAIL: spec test data missing at $PVF_TESTDATA/spec (CI is set, so this is a failure)"
            extra_failed=$((extra_failed + 1))
        fi
        skipped_notes+=("spec suite (no test data at $PVF_TESTDATA/spec; set PVF_TESTDATA; $DATA_SOURCE)")
        return
    fi
    mapfile -t files < <(spec_files)
    local half=$(((${#files[@]} + 1) / 2))
    run_suite spec-1 "$BUILD/bin/pvf" wast --profile full --tier native "${files[@]:0:half}"
    run_suite spec-2 "$BUILD/bin/pvf" wast --profile full --tier native "${files[@]:half}"
    run_suite spec-interp "$BUILD/bin/pvf" wast --profile full --tier interp "${files[@]}"
}

# ---- collecting results ----------------------------------------------------------------

total_passed=0
total_failed=0
total_wast_skipped=0

# Add up one suite: its last "[WORD: ]N passed, M failed[, K skipped]" line; a crash, a timeout or
# an exit status that disagrees with the counts is one more failure.
collect() {
    local name=$1 log=$tmp/$1.log rc line p f s
    rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo 255)
    echo "=== $name"
    cat "$log"
    # The summary line, optionally prefixed by a word ("unit: "); per-file lines name a path.
    line=$(grep -E '^([A-Za-z0-9_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [[ -z $line ]]; then
        echo "FAIL: $name printed no 'N passed, M failed' line (exit status $rc$( ((rc == 137)) && echo ", killed: timeout ${SUITE_TIMEOUT}s?"))"
        total_failed=$((total_failed + 1))
        return
    fi
    p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
    s=$(sed -nE 's/.*\b([0-9]+) skipped.*/\1/p' <<<"$line")
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    [[ $name == spec-* && -n $s ]] && total_wast_skipped=$((total_wast_skipped + s))
    if [[ $rc != 0 && $f == 0 ]]; then
        echo "FAIL: $name exited with status $rc although it counted no failure"
        total_failed=$((total_failed + 1))
    elif [[ $rc == 0 && $f != 0 ]]; then
        echo "FAIL: $name counted $f failures but exited with status 0"
    fi
}

# ---- main ------------------------------------------------------------------------------

for bin in "$BUILD/bin/pvf" "$BUILD/bin/pvf-unit-tests"; do
    if [[ ! -x $bin ]]; then
        echo "run-all.sh: $bin is not built (run 'make' first)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

run_suite unit "$BUILD/bin/pvf-unit-tests"
start_spec_suites
for t in tests/t-*.sh; do
    [[ -e $t ]] && run_suite "$(basename "$t" .sh)" bash "$t"
done
wait

for name in "${suites[@]}"; do
    collect "$name"
done
total_failed=$((total_failed + extra_failed))

((total_wast_skipped)) &&
    skipped_notes+=("$total_wast_skipped spec commands (text-format modules and the like; 'pvf wast --verbose' lists them)")
unit_skips=$(sed -nE 's/^unit: ([0-9]+) checks skipped.*/\1/p' "$tmp/unit.log" 2>/dev/null)
[[ -n $unit_skips ]] &&
    skipped_notes+=("$unit_skips unit checks (their test data is missing under $PVF_TESTDATA)")
echo "==="
line="skipped: nothing"
if ((${#skipped_notes[@]})); then
    line="skipped: ${skipped_notes[0]}"
    for note in "${skipped_notes[@]:1}"; do line+=" | $note"; done
fi
echo "$line"
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
