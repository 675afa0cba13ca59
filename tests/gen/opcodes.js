#!/usr/bin/env node
// tests/gen/opcodes.js — the opcode table of src/wasm/opcodes.h against V8 (tests/t-opcodes.sh).
//
// The table is the one source every walker of pvf reads (decoder, validator, stack-limiter
// analysis, compiler, inspect), so a wrong row would be wrong everywhere at once and no walker
// could catch it. This checks each row against an independent engine: for every instruction
// with a fixed signature it builds the canonical use the row describes — the operands its
// signature pops (constants of those types), the instruction with immediates of its kind,
// a drop of what it pushes — and V8 must validate that module. It must also refuse the same
// module with the instruction's operand types changed (i32 ↔ i64, f32 ↔ f64), so that a row
// with a wrong signature or immediate kind cannot pass by accident; results are stored in a
// local of the row's result type, so a wrong result type fails too. Instructions whose effect depends on
// their immediates are checked with one canonical use per immediate kind. Last line:
// "N passed, M failed".
'use strict';
const fs = require('fs');
const path = require('path');

const text = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'wasm', 'opcodes.h'), 'utf8');
const rows = [];
for (const m of text.matchAll(/X\((0x[0-9A-F]{2}), (\w+), "([^"]+)", (IMM_\w+), (\w+), (SPECIAL|SIG_\w+(?:\([^)]*\))?)\)/g))
    rows.push({ code: parseInt(m[1], 16), name: m[2], text: m[3], imm: m[4], feature: m[5], sig: m[6],
                fc: m.index > text.indexOf('WASM_FC_OPCODE_LIST(X) \\') });

const TYPES = { I32: 0x7f, I64: 0x7e, F32: 0x7d, F64: 0x7c };
const CONST = { I32: [0x41, 0], I64: [0x42, 0], F32: [0x43, 0, 0, 0, 0], F64: [0x44, 0, 0, 0, 0, 0, 0, 0, 0] };
const SWAP = { I32: 'I64', I64: 'I32', F32: 'F64', F64: 'F32' };

// The signature a row names: pops (deeper first) and pushes.
function sigOf(sig) {
    let m;
    if (sig === 'SIG_NOTHING') return { pop: [], push: [] };
    if (sig === 'SIG_DROP') return { pop: ['I32'], push: [] };
    if ((m = sig.match(/^SIG_UN\((\w+), (\w+)\)$/))) return { pop: [m[1]], push: [m[2]] };
    if ((m = sig.match(/^SIG_BIN\((\w+), (\w+)\)$/))) return { pop: [m[1], m[1]], push: [m[2]] };
    if ((m = sig.match(/^SIG_LOAD\((\w+)\)$/))) return { pop: ['I32'], push: [m[1]] };
    if ((m = sig.match(/^SIG_STORE\((\w+)\)$/))) return { pop: ['I32', m[1]], push: [] };
    if ((m = sig.match(/^SIG_CONST\((\w+)\)$/))) return { pop: [], push: [m[1]] };
    return null;
}

// Canonical immediates of a kind (an index is 0: local 0, function 0, global 0, label 0).
const IMMS = {
    IMM_NONE: [], IMM_INDEX: [0], IMM_MEMARG: [0, 0], IMM_ZERO_BYTE: [0], IMM_I32: [0], IMM_I64: [0],
    IMM_F32: [0, 0, 0, 0], IMM_F64: [0, 0, 0, 0, 0, 0, 0, 0], IMM_BLOCK: [0x40], IMM_BR_TABLE: [0, 0],
    IMM_CALL_INDIRECT: [0, 0], IMM_INDEX_ZERO: [0, 0], IMM_TWO_ZEROS: [0, 0], IMM_TWO_INDICES: [0, 0],
    IMM_SELECT_T: [1, 0x7f], IMM_REF_TYPE: [0x70],
};

function uleb(v) { const o = []; do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; o.push(b); } while (v); return o; }
function section(id, bytes) { return [id, ...uleb(bytes.length), ...bytes]; }

// A module: type 0 = () -> (), type 1 = (i32) -> (); one memory, one table with an element
// segment and a passive data segment (for the bulk-memory rows), one mutable i32 global,
// function 0 of type 0 whose body is `code`, with locals 0..3 of types i32, i64, f32, f64.
const LOCAL_OF = { I32: 0, I64: 1, F32: 2, F64: 3 };
function moduleWith(code) {
    const body = [4, 1, 0x7f, 1, 0x7e, 1, 0x7d, 1, 0x7c, ...code, 0x0b];
    return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
        ...section(1, [2, 0x60, 0, 0, 0x60, 1, 0x7f, 0]),
        ...section(3, [1, 0]),
        ...section(4, [1, 0x70, 0, 1]),
        ...section(5, [1, 0, 1]),
        ...section(6, [1, 0x7f, 1, 0x41, 0, 0x0b]),
        ...section(9, [1, 0, 0x41, 0, 0x0b, 1, 0]),
        ...section(12, [1]),
        ...section(10, [1, ...uleb(body.length), ...body]),
        ...section(11, [1, 1, 1, 0x2a])]);
}

function instr(row) {
    return row.fc ? [0xfc, ...uleb(row.code), ...IMMS[row.imm]] : [row.code, ...IMMS[row.imm]];
}

function useOf(row, types) {
    const s = sigOf(row.sig);
    const code = [];
    for (const t of types) code.push(...CONST[t]);
    code.push(...instr(row));
    for (const t of s.push) code.push(0x21, LOCAL_OF[t]);   /* local.set of the result's type */
    return code;
}

// Canonical uses of the instructions whose effect is not a fixed signature: what comes
// before the instruction, its immediates as the spec encodes them, what comes after.
const C0 = [0x41, 0];   /* i32.const 0 */
const NULLREF = [0xd0, 0x70];
const SPECIAL_USES = {
    UNREACHABLE: [[], [], []], BLOCK: [[], [0x40], [0x0b]], LOOP: [[], [0x40], [0x0b]],
    IF: [C0, [0x40], [0x0b]], ELSE: [[...C0, 0x04, 0x40], [], [0x0b]], END: [[0x02, 0x40], [], []],
    BR: [[], [0], []], BR_IF: [C0, [0], []], BR_TABLE: [C0, [0, 0], []], RETURN: [[], [], []],
    CALL: [[], [0], []], CALL_INDIRECT: [C0, [0, 0], []], SELECT: [[...C0, ...C0, ...C0], [], [0x1a]],
    SELECT_T: [[...C0, ...C0, ...C0], [1, 0x7f], [0x1a]],
    LOCAL_GET: [[], [0], [0x1a]], LOCAL_SET: [C0, [0], []], LOCAL_TEE: [C0, [0], [0x1a]],
    GLOBAL_GET: [[], [0], [0x1a]], GLOBAL_SET: [C0, [0], []],
    TABLE_GET: [C0, [0], [0x1a]], TABLE_SET: [[...C0, ...NULLREF], [0], []],
    REF_NULL: [[], [0x70], [0x1a]], REF_IS_NULL: [NULLREF, [], [0x1a]], REF_FUNC: [[], [0], [0x1a]],
    MEMORY_INIT: [[...C0, ...C0, ...C0], [0, 0], []], DATA_DROP: [[], [0], []],
    MEMORY_COPY: [[...C0, ...C0, ...C0], [0, 0], []], MEMORY_FILL: [[...C0, ...C0, ...C0], [0], []],
    TABLE_INIT: [[...C0, ...C0, ...C0], [0, 0], []], ELEM_DROP: [[], [0], []],
    TABLE_COPY: [[...C0, ...C0, ...C0], [0, 0], []],
    TABLE_GROW: [[...NULLREF, ...C0], [0], [0x1a]], TABLE_SIZE: [[], [0], [0x1a]],
    TABLE_FILL: [[...C0, ...NULLREF, ...C0], [0], []],
};

let passed = 0, failed = 0;
const check = (what, ok) => { if (ok) passed++; else { failed++; console.log(`  FAIL: ${what}`); } };
const prefixRow = rows.find((r) => r.name === 'PREFIX_FC');
check('the table has 0xFC as a prefix', prefixRow && prefixRow.imm === 'IMM_PREFIX');
for (const row of rows) {
    if (row.name === 'PREFIX_FC') continue;
    const label = `${row.fc ? '0xFC ' : ''}0x${row.code.toString(16)} ${row.text}`;
    const s = sigOf(row.sig);
    if (s) {
        // The special uses double-check the immediates of the rows they list too.
        check(`${label}: V8 validates the use its row describes (${row.sig}, ${row.imm})`,
              WebAssembly.validate(moduleWith(useOf(row, s.pop))));
        if (s.pop.length && row.name !== 'DROP')
            check(`${label}: V8 refuses it with other operand types`,
                  !WebAssembly.validate(moduleWith(useOf(row, s.pop.map((t) => SWAP[t])))));
    } else {
        const use = SPECIAL_USES[row.name];
        check(`${label}: has a canonical use to check`, !!use);
        if (!use) continue;
        const [pre, imm, post] = use;
        const op = row.fc ? [0xfc, ...uleb(row.code)] : [row.code];
        check(`${label}: V8 validates its canonical use`, WebAssembly.validate(moduleWith([...pre, ...op, ...imm, ...post])));
        check(`${label}: its immediate kind ${row.imm} is the spec's encoding`,
              JSON.stringify(IMMS[row.imm]) === JSON.stringify(imm));
    }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
