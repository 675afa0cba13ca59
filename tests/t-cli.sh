#!/usr/bin/env bash
# tests/t-cli.sh — the CLI's conventions (issue 15): `--name=value` is `--name value`; a missing
# required option, a missing value and an unknown option are named, exit 2; with --json every
# error is JSON on stdout too ({"outcome":"error","error":…}); every command's --help (usage,
# options, exit status) and its section of pvf(1) come from its option table; a verdict carries
# its wall time next to its CPU time. Last line: "N passed, M failed[, K skipped]".
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
expect_error "--code needs a value" validate --params x --code
expect_error "cannot read /nonexistent" inspect /nonexistent --json
expect_error "unexpected argument 'b'" inspect a b --json
expect_error "FILE is required" prepare --json
expect_error "cannot read /nonexistent" prepare /nonexistent --json
expect_error "--export NAME is required" call --code x --json
expect_error "unknown profile 'nope'" wast --profile=nope x.json
expect_error "bad value for --kind: 'sideways'" validate --code x --params y --kind sideways --json
expect_error "unknown option '--bogus'" check-security --bogus --json
expect_error "unknown option '--bogus'" version --bogus --json

# Every command: --help from its table (usage line, exit status), 0; its section in pvf(1); the
# man pages render without a warning.
commands=$("$PVF" --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p')
[[ $(wc -w <<<"$commands") -ge 11 ]] && ok || bad "pvf --help lists: $commands"
for c in $commands; do
    out=$("$PVF" "$c" --help 2>&1); rc=$?
    ((rc == 0)) && [[ $out == "usage: pvf $c "* && $out == *$'\nexit status: '* ]] && ok ||
        bad "pvf $c --help: exit $rc: $(head -c 200 <<<"$out")"
    grep -q "^\.SS \"pvf $(sed 's/-/\\\\-/g' <<<"$c") " "$BUILD/man/pvf.1" && ok || bad "pvf(1) has no section for $c"
done
if command -v groff >/dev/null; then
    for page in "$BUILD/man/pvf.1" "$BUILD/man/libpvf.3"; do
        warnings=$(groff -man -ww -z "$page" 2>&1)
        [[ -z $warnings ]] && ok || bad "$page: $warnings"
    done
fi

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
