#!/usr/bin/env bash
# tests/t-fixtures.sh — checks the project's own fixtures (tests/fixtures/).
#
#   1. every committed .wasm matches its .wat (tests/gen/fixtures.sh --check; needs wat2wasm);
#   2. the fixtures behave as their comments say, run in an independent engine (V8, node);
#   3. `pvf prepare` (pvf profile) accepts the MVP fixtures (exit 0) and rejects each
#      one-feature fixture (exit 1).
# Last line: "N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
FIX=tests/fixtures
passed=0 failed=0

ok()   { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok; else fail "$what"; fi; }

# --- 1. generated files are up to date --------------------------------------------------
if command -v wat2wasm >/dev/null; then
    check "fixtures .wasm up to date with .wat" tests/gen/fixtures.sh --check
else
    echo "  skipped: wat2wasm not installed (wabt), cannot check the fixtures' .wasm"
fi

# --- 2. behaviour in V8 ------------------------------------------------------------------
# Expected values are written out from the fixture's definition, not taken from pvf.
v8_check() {
    node - "$FIX" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const load = (n) => new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(`${dir}/${n}.wasm`)));
let failures = 0;
const expect = (what, cond) => { if (!cond) { console.log(`  FAIL: ${what}`); failures++; } };

// adder: state 5 + add 7, relay parent number 0x01020304.
const adder = load('adder');
const mem = new Uint8Array(adder.exports.memory.buffer);
const heap = adder.exports.__heap_base.value;
const ptr = heap + 8;
const input = [0x20, 5, 0, 0, 0, 0, 0, 0, 0, 0x20, 7, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2, 1]
    .concat(new Array(32).fill(0xaa));
mem.set(input, ptr);
const ret = adder.exports.validate_block(ptr, input.length);
const outPtr = Number(ret & 0xffffffffn), outLen = Number(ret >> 32n);
const want = [0x20, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2, 1];
expect('adder returns a 20-byte result', outLen === 20);
expect('adder result bytes', Buffer.from(mem.slice(outPtr, outPtr + outLen)).equals(Buffer.from(want)));
let trapped = false;
try { adder.exports.validate_block(ptr, input.length - 1); } catch (e) { trapped = e instanceof WebAssembly.RuntimeError; }
expect('adder traps on a 53-byte input', trapped);

// recurse: unbounded recursion ends in a stack overflow (RangeError in V8), not a result.
let overflow = false;
try { load('recurse').exports.validate_block(0, 0); } catch (e) { overflow = e instanceof RangeError; }
expect('recurse overflows the stack', overflow);

// halt and the one-feature fixtures: valid modules with the PVF exports.
for (const n of ['halt', 'sign_ext', 'multi_value', 'bulk', 'sat_float']) {
    const ex = load(n).exports;
    expect(`${n} exports memory, __heap_base and validate_block`,
           ex.memory instanceof WebAssembly.Memory && ex.__heap_base instanceof WebAssembly.Global &&
           typeof ex.validate_block === 'function');
}
const r = (n, a, b) => load(n).exports.validate_block(a, b);
expect('sign_ext: extend8_s(0x80) = -128', r('sign_ext', 0, 0x80) === 0xffffff80n);
expect('multi_value: $pair(ptr, len) = (len, ptr); drop leaves len', r('multi_value', 3, 9) === 9n);
expect('sat_float: trunc_sat(f32(len))', r('sat_float', 0, 1000) === 1000n);
expect('bulk: memory.fill runs', r('bulk', 0, 16) === 0n);

// logs: the five host calls its comment names, in order, then a trap.
const calls = [];
let logsMem;
const text = (span) => Buffer.from(new Uint8Array(logsMem.buffer, Number(span & 0xffffffffn), Number(span >> 32n))).toString('latin1');
const logs = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(`${dir}/logs.wasm`)), { env: {
    ext_logging_log_version_1: (level, target, msg) => calls.push(`log ${level} ${text(target)}: ${text(msg)}`),
    ext_misc_print_utf8_version_1: (s) => calls.push(`utf8 ${text(s)}`),
    ext_misc_print_hex_version_1: (s) => calls.push(`hex ${Buffer.from(text(s), 'latin1').toString('hex')}`),
    ext_misc_print_num_version_1: (n) => calls.push(`num ${n}`),
} });
logsMem = logs.exports.memory;
let logsTrapped = false;
try { logs.exports.validate_block(0, 0); } catch (e) { logsTrapped = e instanceof WebAssembly.RuntimeError; }
expect('logs: log, print utf8/hex/num, panic log, trap',
       logsTrapped && calls.join('|') === "log 2 pvf-test: hello|utf8 printed|hex dead|num 42|log 0 runtime: panicked at 'boom'");
process.exit(failures ? 1 : 0);
JS
}
if command -v node >/dev/null; then
    check "fixture behaviour in V8" v8_check
else
    echo "  skipped: node not installed, cannot run the fixtures in V8"
fi

# --- 3. pvf prepare: pvf profile accepts MVP, rejects each post-MVP feature --------------
expect_exit() {
    local want=$1 file=$2 got
    "$PVF" prepare "$file" -o /dev/null >/dev/null 2>"$tmp/err"
    got=$?
    [[ $got == "$want" ]] && return 0
    echo "  pvf prepare $file: exit $got, expected $want: $(head -c 300 "$tmp/err")"
    return 1
}
if [[ -x $PVF ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for n in adder halt recurse logs; do
        check "pvf prepare accepts $n.wasm" expect_exit 0 "$FIX/$n.wasm"
    done
    for n in sign_ext multi_value bulk sat_float; do
        check "pvf prepare rejects $n.wasm (post-MVP feature)" expect_exit 1 "$FIX/$n.wasm"
    done
else
    fail "$PVF not built"
fi

echo "$passed passed, $failed failed"
((failed == 0))
