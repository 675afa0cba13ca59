#!/usr/bin/env bash
# tests/t-cli.sh — the CLI's conventions (issue 15): `--name=value` is `--name value`; a missing
# required option and an unknown one are named, exit 2; with --json every error is JSON on
# stdout too ({"outcome":"error","error":…}) and a verdict carries its wall time next to its CPU
# time. Last line: "N passed, M failed[, K skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
PVF=$BUILD/bin/pvf

# expect_error WANT_TEXT ARGS...: exit 2, WANT_TEXT on stderr, and (with --json) JSON on stdout
expect_error() {
    local want=$1; shift
    local out err rc
    out=$("$PVF" "$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
    ((rc == 2)) && [[ $err == *"$want"* ]] && ok || { bad "pvf $*: exit $rc, stderr '$err'"; return; }
    if [[ " $* " == *" --json "* ]] && command -v node >/dev/null; then
        WANT=$want node -e 'const j = JSON.parse(require("fs").readFileSync(0));
                 if (j.outcome !== "error" || !j.error.includes(process.env.WANT)) throw new Error(JSON.stringify(j))' \
            <<<"$out" 2>"$tmp/err" && ok || bad "pvf $* stdout: '$out'"
    fi
}
expect_error "--params FILE is required" validate --code x
expect_error "--params FILE is required" validate --code x --json
expect_error "unknown option '--bogus'" validate --json --bogus
expect_error "cannot read /nonexistent" validate --code /nonexistent --params /nonexistent --json
expect_error "--code FILE is required" precheck --json
expect_error "unknown option '--bogus'" precheck --bogus=1 --json

CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
PARAMS=$DATA/inputs/adder/000.params.scale
if [[ -f $CODE && -f $PARAMS ]]; then
    out=$("$PVF" validate --code="$CODE" --params="$PARAMS" --json 2>&1)
    if command -v node >/dev/null; then
        node -e 'const j = JSON.parse(require("fs").readFileSync(0));
                 if (j.outcome !== "valid" || !(j.wall_ms >= j.cpu_ms) || !(j.cpu_ms > 0)) throw new Error(JSON.stringify(j))' \
            <<<"$out" 2>"$tmp/err" && ok || bad "validate --code=… --params=… --json: '$out' $(cat "$tmp/err")"
    fi
    out=$("$PVF" validate --code="$CODE" --params="$PARAMS" 2>&1)
    [[ $out == "valid (execute "*" ms CPU, prepare "*" ms wall, via host)"* ]] && ok || bad "validate text: '$out'"
else
    no_data "the validations: no adder in $DATA"
fi
finish
