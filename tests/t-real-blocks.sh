#!/usr/bin/env bash
# tests/t-real-blocks.sh — real parachain blocks (issue 11): `pvf build-block` authors them from
# real chain specs with the chains' own runtimes, and the PVF host validates them.
#
# For every chain of tests/data/real_blocks.tsv (Glutton at compute/storage 0, 0.25, 0.5, 1.0;
# Tick; Westend Asset Hub's 2021 genesis runtime):
#   1. build 3 consecutive blocks (and the deliberately broken variants of block 2);
#   2. the builder is deterministic: every params file has the sha256 recorded in
#      tests/data/real_blocks.json (made by tests/gen/node/real_blocks.js), and a second build
#      gives the same bytes;
#   3. `pvf validate` through the sandboxed host (approval budget, 12 s: a full Glutton block
#      takes the interpreter ~3.4 s, over backing's 2 s — issue 12): each block is Valid, its ValidationResult is
#      byte for byte smoldot's (the independent executor, committed) and its head is the one
#      the builder reported;
#   4. the interpreter tier gives the same results through the host (Tick, Westend Asset Hub);
#   5. each broken variant (a proof node removed, a wrong parent head, a tampered extrinsic, a
#      wrong relay parent storage root) is Invalid, with the runtime's own panic message —
#      the one smoldot's run of the same bytes printed.
# Under ASan (BUILD=build-asan) the two heaviest Glutton chains are skipped (minutes of
# hashing under the sanitizer; the same code paths run with the lighter ones).
# Last line: "N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
PVF_TESTDATA=${PVF_TESTDATA:-../shared/testdata}
EXPECT=tests/data/real_blocks.json
passed=0 failed=0 skipped=0

ok()   { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }
finish() {
    if ((skipped)); then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
    ((failed == 0)); exit
}

if [[ ! -d $PVF_TESTDATA/chainspecs ]]; then
    if [[ -n ${CI:-} ]]; then fail "no chain specs at $PVF_TESTDATA/chainspecs"
    else echo "  skipped: no chain specs at $PVF_TESTDATA/chainspecs"; fi
    finish
fi
if ! command -v node >/dev/null; then
    if [[ -n ${CI:-} ]]; then fail "node not installed: it reads $EXPECT"
    else echo "  skipped: node not installed (it reads $EXPECT)"; fi
    finish
fi
[[ -x $PVF ]] || { fail "$PVF not built"; finish; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The committed expectations as lines: block NAME N SHA NEW_HEAD RESULT | broken NAME KIND SHA PANIC
node -e '
const d = require(process.argv[1]);
for (const c of d.chains) {
    for (const b of c.blocks)
        console.log(["block", c.name, b.number, b.params_sha256, b.new_head, b.smoldot_result || "none"].join("\t"));
    for (const b of c.broken) {
        let p = b.smoldot_panic || "none";
        const end = p.indexOf("\x27, /");
        if (end > 0) p = p.slice(0, end + 1);
        console.log(["broken", c.name, b.kind, b.params_sha256, p].join("\t"));
    }
}' "$PWD/$EXPECT" >"$tmp/expect.tsv" || { fail "cannot read $EXPECT"; finish; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }

# build NAME SPEC OPTS...: the chain's blocks into $tmp/NAME-*; its JSON report in $tmp/NAME.json
build() {
    local name=$1 spec=$2; shift 2
    "$PVF" build-block --chainspec "$PVF_TESTDATA/chainspecs/$spec" --blocks 3 --invalid all --json \
        -o "$tmp/$name" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
}

check_chain() {
    local name=$1 spec=$2; shift 2
    if [[ $BUILD == *asan* && ($name == glutton-50 || $name == glutton-100) ]]; then
        skipped=$((skipped + 1))
        echo "  skipped under ASan: $name (the same paths as glutton-25, minutes of hashing)"
        return
    fi
    if build "$name" "$spec" "$@"; then ok; else fail "$name: build-block: $(cat "$tmp/$name.err")"; return; fi
    # the second build of the cheap chains must give the same bytes
    if [[ $name == glutton || $name == tick || $name == asset-hub-westend ]]; then
        mkdir -p "$tmp/again"
        if "$PVF" build-block --chainspec "$PVF_TESTDATA/chainspecs/$spec" --blocks 3 --invalid all \
            -o "$tmp/again/$name" "$@" >/dev/null 2>&1; then
            local f same=1
            for f in "$tmp/$name"-*.params "$tmp/$name.code"; do
                cmp -s "$f" "$tmp/again/$(basename "$f")" || { same=0; fail "$name: $(basename "$f") differs between two builds"; }
            done
            ((same)) && ok
        else
            fail "$name: the second build failed"
        fi
    fi
    local cache=$tmp/cache-$name
    local kind n want_sha new_head result panic out got
    while IFS=$'\t' read -r kind cname n want_sha new_head result; do
        [[ $cname == "$name" ]] || continue
        if [[ $kind == block ]]; then
            local params=$tmp/$name-$n.params
            [[ $(sha "$params") == "$want_sha" ]] && ok || fail "$name block $n: params differ from the committed build (sha256)"
            got=$(grep -o '"new_head":"[^"]*"' "$tmp/$name.json" | sed -n "${n}p" | cut -d'"' -f4)
            [[ $got == "$new_head" ]] && ok || fail "$name block $n: build-block reports another new head"
            out=$("$PVF" validate --code "$tmp/$name.code" --params "$params" --cache-dir "$cache" --kind approval --json 2>&1)
            if [[ $(field outcome <<<"$out") == valid ]]; then ok; else fail "$name block $n: not valid: $out"; continue; fi
            [[ $(field result_scale <<<"$out") == "$result" ]] && ok \
                || fail "$name block $n: ValidationResult differs from smoldot's"
            [[ $(field head_data <<<"$out") == "$new_head" ]] && ok || fail "$name block $n: head_data is not the block's header"
        else
            panic=$result          # broken lines: kind name KIND SHA PANIC
            local params=$tmp/$name-2.$n.params
            [[ $(sha "$params") == "$want_sha" ]] && ok || fail "$name broken $n: params differ from the committed build"
            out=$("$PVF" validate --code "$tmp/$name.code" --params "$params" --cache-dir "$cache" --kind approval --json 2>&1)
            local rc=$?
            if [[ $rc == 1 && $(field outcome <<<"$out") == invalid ]]; then ok; else fail "$name broken $n: not invalid (exit $rc): $out"; continue; fi
            if [[ $panic == none ]]; then fail "$name broken $n: smoldot did not panic"; continue; fi
            [[ $(field message <<<"$out") == *"$panic"* ]] && ok \
                || fail "$name broken $n: reason $(field message <<<"$out") lacks smoldot's $panic"
        fi
    done <"$tmp/expect.tsv"
    grep -q "^block	$name	" "$tmp/expect.tsv" || fail "$name: no committed expectations (run tests/gen/node/real_blocks.js)"
}

while IFS=$'\t' read -r name spec opts; do
    [[ -z $name || $name == \#* ]] && continue
    # shellcheck disable=SC2086  # options are words
    check_chain "$name" "$spec" $opts
done <tests/data/real_blocks.tsv

# The interpreter tier through the host too (the default is the native tier on x86-64): the
# same ValidationResults for Tick's and Westend Asset Hub's blocks.
while IFS=$'\t' read -r kind cname n want_sha new_head result; do
    [[ $kind == block && ($cname == tick || $cname == asset-hub-westend) ]] || continue
    out=$("$PVF" validate --code "$tmp/$cname.code" --params "$tmp/$cname-$n.params" --cache-dir "$tmp/cache-interp" \
        --kind approval --tier interp --json 2>&1)
    [[ $(field result_scale <<<"$out") == "$result" ]] && ok || fail "$cname block $n on the interpreter tier: $out"
done <"$tmp/expect.tsv"

# A chain spec the builder cannot use gets a clear error and exit 2.
bad_spec() {   # JSON EXPECTED-TEXT
    printf '%s' "$1" >"$tmp/bad.json"
    out=$("$PVF" build-block --chainspec "$tmp/bad.json" -o "$tmp/bad" 2>&1)
    rc=$?
    [[ $rc == 2 && $out == *"$2"* ]] && ok || fail "chain spec $1: exit $rc: $out"
}
bad_spec '{"name":"x","genesis":{"runtime":{}}}' "no genesis.raw.top"
bad_spec '{"name":"x","genesis":{"raw":{"top":{}}}}' "no para_id"
bad_spec '{"name":"x","para_id":5,"genesis":{"raw":{"top":{"0x01":"zz"}}}}' "must be hex strings"
bad_spec '{"name":"x","para_id":5,"genesis":{"raw":{"top":{"0x01":"0x02"}}}}' "no :code"
bad_spec '{"name":"x","para_id":5,"genesis":{"raw":{"top":{},"childrenDefault":{"0x01":{}}}}}' "childrenDefault is not empty"
bad_spec '{"name":' "not JSON"
out=$("$PVF" build-block --chainspec "$tmp/none.json" -o "$tmp/bad" 2>&1)
[[ $? == 2 && $out == *"cannot read the chain spec"* ]] && ok || fail "a missing chain spec: $out"
out=$("$PVF" build-block --chainspec x.json -o "$tmp/bad" --glutton-compute 1.5 2>&1)
[[ $? == 2 && $out == *"bad value for --glutton-compute: '1.5'"* ]] && ok || fail "--glutton-compute 1.5: $out"

finish
