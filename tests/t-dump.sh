#!/usr/bin/env bash
# tests/t-dump.sh — `--dump-dir` (issue 15): a verdict other than Valid leaves a directory with
# the code, the candidate's ValidationParams (the very bytes validated), the ExecutorParams, the
# verdict and a README naming one command, and that command, run in the directory, gives the
# same verdict again; a Valid one leaves nothing.
# Last line: "N passed, M failed[, K skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
PVF=$PWD/$BUILD/bin/pvf

CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
BAD=$DATA/inputs/adder/bad_state_mismatch.params.scale
GOOD=$DATA/inputs/adder/000.params.scale
if [[ ! -f $CODE || ! -f $BAD || ! -f $GOOD ]]; then
    no_data "no adder in $DATA"
    finish
fi

"$PVF" validate --dump-dir "$tmp/good" --code "$CODE" --params "$GOOD" >/dev/null 2>&1
[[ ! -e $tmp/good ]] && ok || bad "a Valid verdict was dumped: $(ls "$tmp/good")"

first=$("$PVF" validate --dump-dir "$tmp/dumps" --kind approval --code "$CODE" --params "$BAD" 2>"$tmp/log")
n=$(ls "$tmp/dumps" 2>/dev/null | wc -l)
((n == 1)) && ok || { bad "$n dumps for one invalid verdict"; finish; }
d=$tmp/dumps/$(ls "$tmp/dumps")
for f in code params.scale executor_params.scale verdict.json README; do [[ -s $d/$f ]] || bad "the dump lacks $f"; done
cmp -s "$d/code" "$CODE" && cmp -s "$d/params.scale" "$BAD" && ok || bad "the dump's code or params differ from the input"
# the runtime's panic, logged through sp-io: in the dump, on stdout and in the host's log (tagged)
grep -q '^ERROR runtime: panicked at .*StateMismatch' "$d/runtime.log" 2>/dev/null && ok ||
    bad "the dump's runtime.log lacks the panic: $(head -c 300 "$d/runtime.log" 2>&1)"
[[ $first == *$'runtime log:\n  ERROR runtime: panicked at '* ]] && ok || bad "validate printed no runtime log: $first"
grep -q '^pvf host: candidate 1 (approval, code 0x[0-9a-f]*…, relay parent 0x[0-9a-f]*…): runtime: ERROR runtime: panicked' \
    "$tmp/log" && ok || bad "the host's log has no tagged runtime line: $(head -c 300 "$tmp/log")"
if command -v node >/dev/null; then
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
             if (j.verdict !== "Invalid" || j.kind !== "approval" || !/^0x[0-9a-f]{64}$/.test(j.code_hash) ||
                 !/StateMismatch/.test(j.message)) throw new Error(JSON.stringify(j))' "$d/verdict.json" 2>"$tmp/err" &&
        ok || bad "verdict.json: $(head -3 "$tmp/err")"
fi
cmd=$(sed -n 's/^Replay (in this directory): pvf //p' "$d/README")
[[ -n $cmd ]] || { bad "README names no pvf command: $(cat "$d/README")"; finish; }
# shellcheck disable=SC2086  # the README's command, word-split as a shell would
again=$(cd "$d" && "$PVF" $cmd 2>/dev/null)
[[ $again == "$first" && $again == invalid* ]] && ok || bad "the replay said '$again', the first run '$first'"
finish
