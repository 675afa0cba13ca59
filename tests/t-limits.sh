#!/usr/bin/env bash
# tests/t-limits.sh — accept/reject parity at the reference's implementation limits (issue 9).
#
#   1. tests/gen/limits.js writes, for every limit of src/wasm/limits.h, a module exactly at it and
#      one just past it (made here, nothing committed). V8 runs them wherever it accepts them and
#      must give the results the script computes, and where V8's limit is the same number it must
#      accept and refuse the same modules;
#   2. `pvf wast --profile pvf` and `--profile full` run them: at a limit a module prepares,
#      instantiates and gives those results; past it, prepare refuses it;
#   3. `pvf prepare --json` names the limit in its error for every module past one;
#   4. `pvf precheck` through the host and its workers: a PVF's own memory sizes never reach the
#      validator (the reference sets the memory up first), a limit is a Preparation error and
#      parity-wasm's one limit a Prevalidation error;
#   5. the prepare CPU time and peak memory of the largest modules are printed (not asserted:
#      speed is benchmarked, not tested).
# Last line: "N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
passed=0 failed=0

ok()   { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }

if ! command -v node >/dev/null; then
    if [[ -n ${CI:-} ]]; then fail "node (V8) not installed: it generates the limit modules"
    else echo "  skipped: node not installed (it generates the limit modules)"; fi
    echo "$passed passed, $failed failed"
    ((failed == 0)); exit
fi
[[ -x $PVF ]] || { fail "$PVF not built"; echo "$passed passed, $failed failed"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. the modules, and V8 --------------------------------------------------------------------
if node tests/gen/limits.js "$tmp" >"$tmp/gen.log" 2>&1; then ok; else fail "tests/gen/limits.js (V8 disagrees, or it failed)"; fi
cat "$tmp/gen.log"

# --- 2. pvf wast, both profiles ----------------------------------------------------------------
for profile in pvf full; do
    [[ -f $tmp/$profile.json ]] || { fail "no $profile.json"; continue; }
    "$PVF" wast --profile "$profile" --verbose "$tmp/$profile.json" >"$tmp/wast.log" 2>&1
    last=$(tail -n 1 "$tmp/wast.log")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
        ((BASH_REMATCH[2] == 0)) || grep -v '^  *skip' "$tmp/wast.log" | head -n 20
        echo "  pvf wast --profile $profile: $last"
    else
        fail "pvf wast --profile $profile did not finish: $(tail -n 3 "$tmp/wast.log")"
    fi
done

# --- 3. the error names the limit --------------------------------------------------------------
while IFS=$'\t' read -r file profile text; do
    [[ -n $file ]] || continue
    out=$("$PVF" prepare --json --profile "$profile" "$tmp/$file" 2>&1)
    if [[ $out == *'"ok":false'* && $out == *"$text"* ]]; then ok
    else fail "pvf prepare --profile $profile $file: expected an error with \"$text\", got: ${out:0:300}"; fi
done <"$tmp/rejects.tsv"

# --- 4. prechecks through the host -------------------------------------------------------------
while IFS=$'\t' read -r file outcome reason; do
    [[ -n $file ]] || continue
    out=$("$PVF" precheck --json --code "$tmp/$file" 2>/dev/null)
    if [[ $out == *"\"outcome\":\"$outcome\""* && ( -z $reason || $out == *"\"reason\":\"$reason\""* ) ]]; then ok
    else fail "pvf precheck $file: expected $outcome ${reason:+($reason)}, got: ${out:0:300}"; fi
done <"$tmp/prechecks.tsv"

# --- 5. what the largest modules cost to prepare (pvf profile) --------------------------------
for file in body_at_limit nesting_2551436 functions_at_limit_pvf elem_items_at_limit; do
    [[ -f $tmp/$file.wasm ]] || continue
    out=$("$PVF" prepare --json "$tmp/$file.wasm")
    cpu=$(grep -o '"cpu_ms":[0-9.]*' <<<"$out" | cut -d: -f2)
    rss=$(grep -o '"peak_rss_kib":[0-9]*' <<<"$out" | cut -d: -f2)
    echo "  prepare $file ($(stat -c %s "$tmp/$file.wasm") bytes): ${cpu:-?} ms CPU, peak RSS $((${rss:-0} / 1024)) MiB"
done

echo "$passed passed, $failed failed"
((failed == 0))
