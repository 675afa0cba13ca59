#!/usr/bin/env bash
# tests/t-opcodes.sh — the opcode table (src/wasm/opcodes.h), the one source every walker of a
# function body reads, checked row by row against V8 (tests/gen/opcodes.js: each row's canonical
# use must validate, with other operand types it must not, and each immediate kind must be the
# spec's encoding). tests/unit/test_opcodes.c checks that every walker agrees with the table.
# Last line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null; then
    if [[ -n ${CI:-} ]]; then echo "  FAIL: node (V8) not installed"; echo "0 passed, 1 failed"; exit 1; fi
    echo "  skipped: node not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
node tests/gen/opcodes.js
