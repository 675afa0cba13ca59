#!/usr/bin/env node
// tests/gen/limits.js OUTDIR — modules at and just past each of the reference's implementation
// limits, for tests/t-limits.sh (issue 9: accept/reject parity).
//
// The limits are read from src/wasm/limits.h, the one place they are written (each with its
// source in wasmparser 0.235 / parity-wasm 0.45 / wasm-instrument 0.4). For every limit this
// writes a module exactly at it, which must prepare and run, and one just past it, which must be
// rejected. Nothing is committed: the modules are made here, at test time.
//
// Expected results are computed here in closed form from how each module is built. Wherever V8
// (this node) accepts a module, it runs the same calls and must give the same results, or this
// script fails. Where V8's own limit is the same number as the reference's (function size,
// locals, params, results, functions, data segments, types, globals, name size, element
// entries), V8 must also accept the module at the limit and reject the one past it: an
// independent check of the numbers in limits.h.
//
// Output in OUTDIR:
//   pvf.json, full.json   wast2json-style command lists for `pvf wast --profile pvf|full`
//   rejects.tsv           file, profile, text the error must contain (checked with `pvf prepare`)
//   prechecks.tsv         file, expected precheck outcome and reason (checked with `pvf precheck`)
//   the .wasm files they name
// It prints one line per case (sizes, V8's verdict) and exits 1 if V8 disagrees.
'use strict';
const fs = require('fs');
const path = require('path');

const outDir = process.argv[2];
if (!outDir) {
    console.error('usage: limits.js OUTDIR');
    process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

// ---- the limits, from src/wasm/limits.h -------------------------------------------------------
function readLimits() {
    const file = path.join(__dirname, '..', '..', 'src', 'wasm', 'limits.h');
    const limits = {};
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^#define\s+WASM_MAX_(\w+)\s+(.+)$/gm)) {
        const expr = m[2].replace(/(\d+)u\b/g, '$1').trim();
        if (!/^[\d\s()*+-]+$/.test(expr)) throw new Error(`limits.h: cannot read ${m[1]} = ${m[2]}`);
        limits[m[1]] = Function(`return (${expr});`)();
    }
    return limits;
}
const L = readLimits();
for (const k of ['FUNCTION_SIZE', 'LOCALS', 'PARAMS', 'RESULTS', 'DATA_SEGMENTS', 'FUNCTIONS',
                 'BR_TABLE_SIZE', 'TYPES', 'GLOBALS', 'TYPE_SIZE', 'ELEM_SEGMENTS', 'ELEM_ITEMS',
                 'STRING_SIZE', 'PAGES']) {
    if (!Number.isInteger(L[k])) throw new Error(`limits.h has no WASM_MAX_${k}`);
}
const STACK_LOGICAL_MAX = 65536;  // the stack limiter's default limit (StackLogicalMax)

// ---- bytes ------------------------------------------------------------------------------------
function uleb(v) {
    const out = [];
    do {
        let b = v % 128;
        v = Math.floor(v / 128);
        if (v) b |= 0x80;
        out.push(b);
    } while (v);
    return out;
}
function sleb(v) {  // v: a 32-bit signed integer
    const out = [];
    for (;;) {
        const b = v & 0x7f;
        v >>= 7;
        if ((v === 0 && !(b & 0x40)) || (v === -1 && (b & 0x40))) {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}
class Bytes {
    constructor(capacity = 64) { this.buf = Buffer.allocUnsafe(capacity); this.n = 0; }
    ensure(k) {
        if (this.n + k <= this.buf.length) return;
        const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
        this.buf.copy(nb, 0, 0, this.n);
        this.buf = nb;
    }
    byte(...bs) { return this.put(bs); }
    put(a) {
        this.ensure(a.length);
        if (Buffer.isBuffer(a)) a.copy(this.buf, this.n);
        else for (let i = 0; i < a.length; i++) this.buf[this.n + i] = a[i];
        this.n += a.length;
        return this;
    }
    fill(b, k) { this.ensure(k); this.buf.fill(b, this.n, this.n + k); this.n += k; return this; }
    u(v) { return this.put(uleb(v)); }
    s(v) { return this.put(sleb(v)); }
    name(str) { const b = Buffer.from(str, 'utf8'); return this.u(b.length).put(b); }
    get length() { return this.n; }
    done() { return this.buf.subarray(0, this.n); }
}

const I32 = 0x7f;
const OP = {
    unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, br: 0x0c, br_if: 0x0d, br_table: 0x0e,
    return: 0x0f, call: 0x10, call_indirect: 0x11, local_get: 0x20, local_set: 0x21,
    local_tee: 0x22, global_get: 0x23, i32_load8_u: 0x2d, i32_const: 0x41, i32_lt_u: 0x49,
    i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, end: 0x0b,
};
const EMPTY = 0x40;

// A module from its parts; sections in the spec's order. funcs: [{type, locals: [[n, t]], code}],
// code a Buffer without the local declarations; body(f) gives the encoded body.
function body(f) {
    const b = new Bytes();
    const groups = f.locals || [];
    b.u(groups.length);
    for (const [n, t] of groups) b.u(n).byte(t);
    return b.put(f.code).done();
}
function section(out, id, content) {
    out.byte(id).u(content.length).put(content);
}
function vecSection(out, id, items, write) {
    if (!items || !items.length) return;
    const b = new Bytes();
    b.u(items.length);
    items.forEach((it, i) => write(b, it, i));
    section(out, id, b.done());
}
function module(p) {
    const out = new Bytes().byte(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    vecSection(out, 1, p.types, (b, t) => {
        b.byte(0x60).u(t.params.length).put(t.params).u(t.results.length).put(t.results);
    });
    vecSection(out, 2, p.imports, (b, im) => b.name(im.module).name(im.name).put(im.desc));
    vecSection(out, 3, p.funcs, (b, f) => b.u(f.type));
    if (p.table) section(out, 4, Buffer.from([1, 0x70, 0x00, ...uleb(p.table)]));
    if (p.memory) section(out, 5, Buffer.from([1, 0x00, ...uleb(p.memory)]));
    vecSection(out, 6, p.globals, (b, g) => b.put(g));
    vecSection(out, 7, p.exports, (b, e) => b.name(e.name).byte(e.kind).u(e.index));
    vecSection(out, 9, p.elems, (b, e) => b.put(e));
    if (p.dataCount !== undefined) section(out, 12, Buffer.from(uleb(p.dataCount)));
    vecSection(out, 10, p.funcs, (b, f) => { const x = body(f); b.u(x.length).put(x); });
    vecSection(out, 11, p.datas, (b, d) => b.put(d));
    for (const c of p.customs || []) {
        const b = new Bytes().name(c.name).put(c.bytes || []);
        section(out, 0, b.done());
    }
    return out.done();
}
const FUNC = 0, GLOBAL = 3;
const typeI32 = { params: [], results: [I32] };
const i32 = (v) => ({ type: 'i32', value: String(v >>> 0) });

// ---- the cases ------------------------------------------------------------------------------
// Each: { name, profiles, wasm, valid, calls: [[field, args, expected]] | reject text, v8Same }
const cases = [];
function add(c) { cases.push(c); }

// The stack limiter's wrapping around a charged call, in bytes, as wasm-instrument 0.4's
// instrument_call! writes it and parity-wasm re-encodes it: global.get g, i32.const cost,
// i32.add, global.set g, global.get g, i32.const limit, i32.gt_u, if, unreachable, end,
// [call], global.get g, i32.const cost, i32.sub, global.set g.
function wrappingSize(globalIndex, cost, limit) {
    const g = 1 + uleb(globalIndex).length;
    return 4 * g + 2 * (1 + sleb(cost).length) + (1 + sleb(limit).length) + 5 + 2;
}

// One body of exactly `size` bytes: a loop run twice over a long chain of i32.add, then a block
// skipped by a forward branch over `nop`s. Returns the code and the value it computes.
// padded: the first constant is written with one byte more than needed (0x81 0x00 for 1), which
// parity-wasm re-encodes in one. call: index of a function () -> i32 to call and add.
function bigFunction(size, { padded = false, call = null, callResult = 0 } = {}) {
    const locals = [[2, I32]];                       // $n (0), $acc (1)
    const localsSize = 3;
    const head = [OP.i32_const, 2, OP.local_set, 0, OP.loop, EMPTY, OP.local_get, 1];
    const loopTail = [OP.local_set, 1, OP.local_get, 0, OP.i32_const, 1, OP.i32_sub,
                      OP.local_tee, 0, OP.br_if, 0, OP.end];
    const callPart = call === null ? [] : [OP.call, ...uleb(call), OP.local_get, 1, OP.i32_add,
                                           OP.local_set, 1];
    const skipHead = [OP.block, EMPTY, OP.i32_const, 1, OP.br_if, 0];
    const tail = [OP.unreachable, OP.end, OP.local_get, 1, OP.end];
    const fixed = localsSize + head.length + loopTail.length + callPart.length + skipHead.length +
                  tail.length + (padded ? 1 : 0);
    const free = size - fixed;
    const adds = Math.floor(free / 2 / 3);
    const nops = free - 3 * adds;
    const code = new Bytes().put(head);
    let sum = 0;
    for (let j = 0; j < adds; j++) {
        const c = (j % 63) + 1;
        if (j === 0 && padded) code.byte(OP.i32_const, c | 0x80, 0x00, OP.i32_add);
        else code.byte(OP.i32_const, c, OP.i32_add);
        sum += c;
    }
    code.put(loopTail).put(callPart).put(skipHead).fill(OP.nop, nops).put(tail);
    const f = { type: 0, locals, code: code.done() };
    if (body(f).length !== size) throw new Error(`bigFunction: ${body(f).length} != ${size}`);
    return { f, result: (2 * sum + (call === null ? 0 : callResult)) >>> 0 };
}

function bigBodyModule(size, opts = {}) {
    const { f, result } = bigFunction(size, opts);
    const funcs = [f];
    if (opts.call !== undefined && opts.call !== null)
        funcs.push({ type: 0, code: Buffer.from([OP.i32_const, 5, OP.end]) });
    const wasm = module({ types: [typeI32], funcs, memory: 1,
                          exports: [{ name: 'f', kind: FUNC, index: 0 }] });
    return { wasm, result };
}

// 1. Function-body size: 1 MB and exactly at the limit run; one byte more is refused.
{
    const mb = bigBodyModule(1000000);
    add({ name: 'body_1mb', profiles: ['pvf', 'full'], wasm: mb.wasm, calls: [['f', [], [i32(mb.result)]]] });
    const at = bigBodyModule(L.FUNCTION_SIZE);
    add({ name: 'body_at_limit', profiles: ['pvf', 'full'], wasm: at.wasm, v8Same: true,
          calls: [['f', [], [i32(at.result)]]] });
    add({ name: 'body_past_limit', profiles: ['pvf', 'full'], wasm: bigBodyModule(L.FUNCTION_SIZE + 1).wasm,
          v8Same: true, reject: 'function body too large' });
    // One padded LEB128: one byte past the limit as written, at the limit as the reference
    // re-encodes it before Wasmtime sees it (pvf); the full profile (and V8) read it as written.
    const padded = bigBodyModule(L.FUNCTION_SIZE + 1, { padded: true });
    add({ name: 'body_padded_pvf', profiles: ['pvf'], wasm: padded.wasm, calls: [['f', [], [i32(padded.result)]]] });
    add({ name: 'body_padded_full', profiles: ['full'], wasm: padded.wasm, reject: 'function body too large' });
    // A charged call: the limiter's wrapping counts. g = `i32.const 5` costs 0 locals + a
    // max height of 3 (the activation frame's 2, then one value); no defined globals, so the
    // stack-height global is global 0.
    const wrap = wrappingSize(0, 3, STACK_LOGICAL_MAX);
    const called = bigBodyModule(L.FUNCTION_SIZE - wrap, { call: 1, callResult: 5 });
    add({ name: 'body_call_at_limit', profiles: ['pvf', 'full'], wasm: called.wasm,
          calls: [['f', [], [i32(called.result)]]] });
    const over = bigBodyModule(L.FUNCTION_SIZE - wrap + 1, { call: 1, callResult: 5 });
    add({ name: 'body_call_past_limit_pvf', profiles: ['pvf'], wasm: over.wasm, reject: 'function body too large' });
    add({ name: 'body_call_past_limit_full', profiles: ['full'], wasm: over.wasm,
          calls: [['f', [], [i32(over.result)]]] });
}

// 2. Locals: parameters + declared locals.
function localsModule(total) {
    const declared = total - 1;
    const code = new Bytes().byte(OP.local_get, 0, OP.local_set).u(declared - 1)
        .byte(OP.local_get).u(declared - 1).byte(OP.local_get).u(Math.floor(declared / 2))
        .byte(OP.i32_add, OP.i32_const, 3, OP.i32_mul, OP.end);
    return module({ types: [{ params: [I32], results: [I32] }], memory: 1,
                    funcs: [{ type: 0, locals: [[declared, I32]], code: code.done() }],
                    exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
add({ name: 'locals_at_limit', profiles: ['pvf', 'full'], wasm: localsModule(L.LOCALS), v8Same: true,
      calls: [['f', [i32(7)], [i32(21)]], ['f', [i32(-5)], [i32(-15)]]] });
add({ name: 'locals_past_limit', profiles: ['pvf', 'full'], wasm: localsModule(L.LOCALS + 1), v8Same: true,
      reject: 'too many locals' });

// 3. Parameters (and, in the full profile, results) of a function type.
function paramsModule(n) {
    const code = new Bytes().byte(OP.local_get, 0, OP.local_get).u(n - 1).byte(OP.i32_add)
        .byte(OP.local_get).u(Math.floor(n / 2)).byte(OP.i32_sub, OP.end);
    return module({ types: [{ params: new Array(n).fill(I32), results: [I32] }], memory: 1,
                    funcs: [{ type: 0, code: code.done() }],
                    exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
{
    const n = L.PARAMS;
    const args = Array.from({ length: n }, (_, k) => i32(k + 1));
    add({ name: 'params_at_limit', profiles: ['pvf', 'full'], wasm: paramsModule(n), v8Same: true,
          calls: [['f', args, [i32(1 + n - (Math.floor(n / 2) + 1))]]] });
    add({ name: 'params_past_limit', profiles: ['pvf', 'full'], wasm: paramsModule(n + 1), v8Same: true,
          reject: 'too many function params' });
}
function resultsModule(n) {
    const code = new Bytes();
    for (let k = 0; k < n; k++) code.byte(OP.i32_const).s(k * 7);
    code.byte(OP.end);
    return module({ types: [{ params: [], results: new Array(n).fill(I32) }],
                    funcs: [{ type: 0, code: code.done() }],
                    exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
add({ name: 'results_at_limit', profiles: ['full'], wasm: resultsModule(L.RESULTS), v8Same: true,
      calls: [['f', [], Array.from({ length: L.RESULTS }, (_, k) => i32(k * 7))]] });
add({ name: 'results_past_limit', profiles: ['full'], wasm: resultsModule(L.RESULTS + 1), v8Same: true,
      reject: 'too many function returns' });

// 4. Data segments: n one-byte active segments, and a function summing the bytes.
function dataModule(n) {
    const datas = [];
    let sum = 0;
    for (let i = 0; i < n; i++) {
        const byte = (i * 31 + 7) & 255;
        sum += byte;
        datas.push(Buffer.from([0x00, OP.i32_const, ...sleb(i), OP.end, 1, byte]));
    }
    const code = new Bytes().byte(OP.loop, EMPTY, OP.local_get, 1, OP.local_get, 0, OP.i32_load8_u, 0, 0,
                                  OP.i32_add, OP.local_set, 1, OP.local_get, 0, OP.i32_const, 1,
                                  OP.i32_add, OP.local_tee, 0, OP.i32_const).s(n)
        .byte(OP.i32_lt_u, OP.br_if, 0, OP.end, OP.local_get, 1, OP.end);
    const pages = Math.ceil(n / 65536);
    const wasm = module({ types: [typeI32], memory: pages, datas,
                          funcs: [{ type: 0, locals: [[2, I32]], code: code.done() }],
                          exports: [{ name: 'sum', kind: FUNC, index: 0 }] });
    return { wasm, sum };
}
{
    const at = dataModule(L.DATA_SEGMENTS);
    add({ name: 'data_segments_at_limit', profiles: ['pvf', 'full'], wasm: at.wasm, v8Same: true,
          calls: [['sum', [], [i32(at.sum)]]] });
    add({ name: 'data_segments_past_limit', profiles: ['pvf', 'full'], wasm: dataModule(L.DATA_SEGMENTS + 1).wasm,
          v8Same: true, reject: 'too many data segments' });
}

// 5. Functions: imported + defined, and in the pvf profile the thunks of the two exported ones.
function functionsModule(n) {
    const funcs = [];
    for (let i = 0; i < n; i++)
        funcs.push({ type: 0, code: Buffer.from([OP.i32_const, ...sleb(i), OP.end]) });
    return module({ types: [typeI32], funcs, memory: 1,
                    exports: [{ name: 'first', kind: FUNC, index: 0 }, { name: 'last', kind: FUNC, index: n - 1 }] });
}
{
    const full = L.FUNCTIONS, pvf = L.FUNCTIONS - 2;  // pvf: two thunks make up the rest
    add({ name: 'functions_at_limit_full', profiles: ['full'], wasm: functionsModule(full), v8Same: true,
          calls: [['first', [], [i32(0)]], ['last', [], [i32(full - 1)]]] });
    add({ name: 'functions_past_limit_full', profiles: ['full'], wasm: functionsModule(full + 1), v8Same: true,
          reject: 'too many functions' });
    add({ name: 'functions_at_limit_pvf', profiles: ['pvf'], wasm: functionsModule(pvf),
          calls: [['first', [], [i32(0)]], ['last', [], [i32(pvf - 1)]]] });
    add({ name: 'functions_past_limit_pvf', profiles: ['pvf'], wasm: functionsModule(pvf + 1),
          reject: 'thunks exceed the limit' });
}

// 6. br_table targets (the default not counted). f(i): target i % 3, default 3 ⇒ 100 + target.
function brTableModule(n) {
    const code = new Bytes().byte(OP.block, EMPTY, OP.block, EMPTY, OP.block, EMPTY, OP.block, EMPTY,
                                  OP.local_get, 0, OP.br_table).u(n);
    for (let k = 0; k < n; k++) code.byte(k % 3);
    code.byte(3);
    for (let t = 0; t < 4; t++) code.byte(OP.end, OP.i32_const, ...sleb(100 + t), OP.return);
    code.byte(OP.end);
    return module({ types: [{ params: [I32], results: [I32] }], memory: 1,
                    funcs: [{ type: 0, code: code.done() }], exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
{
    const n = L.BR_TABLE_SIZE;
    add({ name: 'br_table_at_limit', profiles: ['pvf', 'full'], wasm: brTableModule(n),
          calls: [['f', [i32(0)], [i32(100)]], ['f', [i32(1)], [i32(101)]], ['f', [i32(2)], [i32(102)]],
                  ['f', [i32(n - 1)], [i32(100 + (n - 1) % 3)]], ['f', [i32(n)], [i32(103)]],
                  ['f', [i32(-1)], [i32(103)]]] });
    add({ name: 'br_table_past_limit', profiles: ['pvf', 'full'], wasm: brTableModule(n + 1),
          reject: 'br_table size is out of bounds' });
}

// 7. Block nesting: no limit but the body size. As deep as a body at the size limit allows,
// with a branch from the innermost block out of the outermost.
function nestingModule(size) {
    // body: locals (1) + (block i32) * d + i32.const 42 (2) + br d-1 + end * d + i32.const 1,
    // i32.add (3) + nops + end (1)
    let d = Math.floor((size - 1 - 2 - 4 - 3 - 1) / 3);
    const fixed = (dd) => 1 + 3 * dd + 2 + 1 + uleb(dd - 1).length + 3 + 1;
    while (fixed(d) > size) d--;
    const code = new Bytes();
    for (let k = 0; k < d; k++) code.byte(OP.block, I32);
    code.byte(OP.i32_const, 42, OP.br).u(d - 1);
    code.fill(OP.end, d).byte(OP.i32_const, 1, OP.i32_add).fill(OP.nop, size - fixed(d)).byte(OP.end);
    const f = { type: 0, code: code.done() };
    if (body(f).length !== size) throw new Error('nestingModule: size');
    return { wasm: module({ types: [typeI32], funcs: [f], memory: 1,
                            exports: [{ name: 'f', kind: FUNC, index: 0 }] }), depth: d };
}
{
    // V8 takes 5 to 12 s to compile the deepest one: it checks a shallower one of the same shape.
    const nest = nestingModule(L.FUNCTION_SIZE);
    add({ name: `nesting_${nest.depth}`, profiles: ['pvf', 'full'], wasm: nest.wasm, calls: [['f', [], [i32(43)]]],
          skipV8: true });
    const shallow = nestingModule(300000);
    add({ name: `nesting_${shallow.depth}`, profiles: ['pvf', 'full'], wasm: shallow.wasm, calls: [['f', [], [i32(43)]]] });
}

// 8. Types.
function typesModule(n) {
    const types = new Array(n).fill(typeI32);
    return module({ types, memory: 1, funcs: [{ type: n - 1, code: Buffer.from([OP.i32_const, 7, OP.end]) }],
                    exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
add({ name: 'types_at_limit', profiles: ['pvf', 'full'], wasm: typesModule(L.TYPES), v8Same: true,
      calls: [['f', [], [i32(7)]]] });
add({ name: 'types_past_limit', profiles: ['pvf', 'full'], wasm: typesModule(L.TYPES + 1), v8Same: true,
      reject: 'too many types' });

// 9. Globals: in the pvf profile the stack limiter's global is one of them.
function globalsModule(n) {
    const globals = [];
    for (let i = 0; i < n; i++) globals.push(Buffer.from([I32, 0x00, OP.i32_const, i % 64, OP.end]));
    const code = new Bytes().byte(OP.global_get).u(n - 1).byte(OP.end).done();
    return module({ types: [typeI32], globals, memory: 1, funcs: [{ type: 0, code }],
                    exports: [{ name: 'f', kind: FUNC, index: 0 }] });
}
add({ name: 'globals_at_limit_full', profiles: ['full'], wasm: globalsModule(L.GLOBALS), v8Same: true,
      calls: [['f', [], [i32((L.GLOBALS - 1) % 64)]]] });
add({ name: 'globals_past_limit_full', profiles: ['full'], wasm: globalsModule(L.GLOBALS + 1), v8Same: true,
      reject: 'too many globals' });
add({ name: 'globals_at_limit_pvf', profiles: ['pvf'], wasm: globalsModule(L.GLOBALS - 1),
      calls: [['f', [], [i32((L.GLOBALS - 2) % 64)]]] });
add({ name: 'globals_past_limit_pvf', profiles: ['pvf'], wasm: globalsModule(L.GLOBALS),
      reject: 'no room for the stack height global' });

// 10. The effective type size: 1 + the sizes of the imports and exports (a global's is 1).
// It makes the export and import count limits (1,000,000) unreachable.
function exportsModule(n) {
    const exports = [];
    for (let i = 0; i < n; i++) exports.push({ name: 'g' + i.toString(36), kind: GLOBAL, index: 0 });
    return module({ globals: [Buffer.from([I32, 0x00, OP.i32_const, 9, OP.end])], memory: 1, exports });
}
{
    const n = L.TYPE_SIZE - 2;  // 1 + n < limit
    add({ name: 'type_size_exports_at_limit', profiles: ['pvf', 'full'], wasm: exportsModule(n),
          gets: [['g' + (n - 1).toString(36), [i32(9)]]] });
    add({ name: 'type_size_exports_past_limit', profiles: ['pvf', 'full'], wasm: exportsModule(n + 1),
          reject: 'effective type size exceeds the limit' });
}

// 11. Element segments, and the entries of one segment.
function elemsModule(nsegs, perSeg) {
    const elems = [];
    for (let s = 0; s < nsegs; s++) {
        const e = new Bytes().byte(0x00, OP.i32_const).s(s * perSeg).byte(OP.end).u(perSeg);
        e.fill(0x00, perSeg);   // every entry: function 0
        elems.push(e.done());
    }
    const tableSize = nsegs * perSeg;
    const call = new Bytes().byte(OP.local_get, 0, OP.call_indirect, 0, 0, OP.end).done();
    return module({ types: [typeI32, { params: [I32], results: [I32] }], table: tableSize, elems, memory: 1,
                    funcs: [{ type: 0, code: Buffer.from([OP.i32_const, 11, OP.end]) }, { type: 1, code: call }],
                    exports: [{ name: 'call', kind: FUNC, index: 1 }] });
}
add({ name: 'elem_segments_at_limit', profiles: ['pvf', 'full'], wasm: elemsModule(L.ELEM_SEGMENTS, 1),
      calls: [['call', [i32(0)], [i32(11)]], ['call', [i32(L.ELEM_SEGMENTS - 1)], [i32(11)]]] });
add({ name: 'elem_segments_past_limit', profiles: ['pvf', 'full'], wasm: elemsModule(L.ELEM_SEGMENTS + 1, 1),
      reject: 'too many element segments' });
add({ name: 'elem_items_at_limit', profiles: ['pvf', 'full'], wasm: elemsModule(1, L.ELEM_ITEMS), v8Same: true,
      calls: [['call', [i32(L.ELEM_ITEMS - 1)], [i32(11)]]],
      traps: [['call', [i32(L.ELEM_ITEMS)], 'undefined element']] });
add({ name: 'elem_items_past_limit', profiles: ['pvf', 'full'], wasm: elemsModule(1, L.ELEM_ITEMS + 1),
      v8Same: true, reject: 'number of elements is out of bounds' });

// 12. Tables have no size limit but u32: a table one entry larger than the most entries a
// segment may fill (V8 refuses it: its table-size limit is 10,000,000).
{
    const n = L.ELEM_ITEMS + 1;
    const call = new Bytes().byte(OP.local_get, 0, OP.call_indirect, 0, 0, OP.end).done();
    const wasm = module({ types: [typeI32, { params: [I32], results: [I32] }], table: n, memory: 1,
                          elems: [Buffer.from([0x00, OP.i32_const, ...sleb(n - 1), OP.end, 1, 0])],
                          funcs: [{ type: 0, code: Buffer.from([OP.i32_const, 11, OP.end]) }, { type: 1, code: call }],
                          exports: [{ name: 'call', kind: FUNC, index: 1 }] });
    add({ name: 'table_entries_beyond_v8', profiles: ['pvf', 'full'], wasm,
          calls: [['call', [i32(n - 1)], [i32(11)]]],
          traps: [['call', [i32(0)], 'uninitialized element'], ['call', [i32(n)], 'undefined element']] });
}

// 13. Name sizes: an export name and a custom section name.
function namedModule(exportName, customName) {
    return module({ types: [typeI32], memory: 1, funcs: [{ type: 0, code: Buffer.from([OP.i32_const, 3, OP.end]) }],
                    exports: [{ name: exportName, kind: FUNC, index: 0 }],
                    customs: customName ? [{ name: customName, bytes: [1, 2, 3] }] : [] });
}
{
    const at = 'e'.repeat(L.STRING_SIZE), past = at + 'e';
    add({ name: 'name_at_limit', profiles: ['pvf', 'full'], wasm: namedModule(at, 'c'.repeat(L.STRING_SIZE)),
          calls: [[at, [], [i32(3)]]] });
    add({ name: 'export_name_past_limit', profiles: ['pvf', 'full'], wasm: namedModule(past, null),
          reject: 'string size out of bounds' });
    add({ name: 'custom_name_past_limit', profiles: ['pvf', 'full'], wasm: namedModule('f', 'c'.repeat(L.STRING_SIZE + 1)),
          reject: 'string size out of bounds' });
}

// 14. What the rest of the reference's pipeline refuses or accepts beyond the limits.
add({ name: 'interface_types_section', profiles: ['pvf', 'full'],
      wasm: namedModule('f', 'webidl-bindings'), reject: 'interface types are not supported' });
{
    // A data count section followed by code: the limiter's rebuild moves it after the data
    // section, so the reference refuses it (pvf); without code or data it stays in order.
    const withCode = module({ types: [typeI32], memory: 1, dataCount: 0,
                              funcs: [{ type: 0, code: Buffer.from([OP.i32_const, 1, OP.end]) }],
                              exports: [{ name: 'f', kind: FUNC, index: 0 }] });
    add({ name: 'data_count_with_code_pvf', profiles: ['pvf'], wasm: withCode, reject: 'data count section' });
    add({ name: 'data_count_with_code_full', profiles: ['full'], wasm: withCode, calls: [['f', [], [i32(1)]]] });
    add({ name: 'data_count_alone', profiles: ['pvf', 'full'], wasm: module({ memory: 1, dataCount: 0 }), calls: [] });
}

// ---- prechecks through the host (the error class, and the memory set-up) --------------------
// PVF-shaped modules: a memory and a validate_block export. The reference sets the memory up
// (min(initial, 2080) .. 2080 pages) before validating, so a module's own page counts never
// reach the validator; a limit is a Preparation error; parity-wasm's only one Prevalidation.
function pvfShaped(memoryLimits, extra = {}) {
    const b = new Bytes().byte(0x60, 2, I32, I32, 1, 0x7e);
    const out = new Bytes().byte(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    section(out, 1, new Bytes().u(1).put(b.done()).done());
    section(out, 3, Buffer.from([1, 0]));
    section(out, 5, Buffer.from([1, ...memoryLimits]));
    const ex = new Bytes().u(2).name('validate_block').byte(FUNC, 0).name('memory').byte(2, 0).done();
    section(out, 7, ex);
    const locals = extra.locals || [];
    const code = new Bytes().u(locals.length);
    for (const [n, t] of locals) code.u(n).byte(t);
    code.byte(0x42, 0x00, OP.end);  // i64.const 0
    const c = code.done();
    section(out, 10, new Bytes().u(1).u(c.length).put(c).done());
    return out.done();
}
const prechecks = [
    ['memory_pages_beyond_4gib', pvfShaped([0x00, ...uleb(L.PAGES + 1)]), 'valid', ''],
    ['memory_min_above_max', pvfShaped([0x01, ...uleb(3000), ...uleb(10)]), 'valid', ''],
    ['locals_past_limit_class', pvfShaped([0x00, 1], { locals: [[L.LOCALS + 1, I32]] }), 'invalid', 'Preparation'],
    ['locals_overflow_class', pvfShaped([0x00, 1], { locals: [[0xffffffff, I32], [1, I32]] }), 'invalid', 'Prevalidation'],
];

// ---- V8, and the output ---------------------------------------------------------------------
function fromWast(v) { return v.type === 'i32' ? (Number(v.value) | 0) : v; }
function v8Run(c) {
    let mod;
    try {
        mod = new WebAssembly.Module(c.wasm);
    } catch (e) {
        return { accepted: false, why: String(e.message).slice(0, 100) };
    }
    let inst;
    try {
        inst = new WebAssembly.Instance(mod, {});
    } catch (e) {
        return { accepted: true, instantiated: false, why: String(e.message).slice(0, 100) };
    }
    const problems = [];
    for (const [field, args, expected] of c.calls || []) {
        let got = inst.exports[field](...args.map(fromWast));
        if (!Array.isArray(got)) got = [got];
        const want = expected.map(fromWast);
        if (got.length !== want.length || got.some((g, i) => g !== want[i]))
            problems.push(`${field.slice(0, 20)}: V8 gives ${got.slice(0, 4)}, expected ${want.slice(0, 4)}`);
    }
    for (const [field, args] of c.traps || []) {
        try {
            inst.exports[field](...args.map(fromWast));
            problems.push(`${field}: V8 does not trap`);
        } catch (e) {
            if (!(e instanceof WebAssembly.RuntimeError)) problems.push(`${field}: ${e}`);
        }
    }
    for (const [field, expected] of c.gets || []) {
        if (inst.exports[field].value !== fromWast(expected[0])) problems.push(`${field}: V8 disagrees`);
    }
    return { accepted: true, instantiated: true, problems };
}

const commands = { pvf: [], full: [] };
const rejects = [];
let line = 1, failures = 0;
for (const c of cases) {
    const file = `${c.name}.wasm`;
    fs.writeFileSync(path.join(outDir, file), c.wasm);
    const t0 = Date.now();
    const v8 = c.skipV8 ? null : v8Run(c);
    const v8ms = Date.now() - t0;
    let note;
    if (!v8) {
        note = 'V8 not run';
    } else if (c.reject) {
        note = v8.accepted ? 'V8 accepts' : 'V8 rejects';
        if (c.v8Same && v8.accepted) { failures++; note += ' — but its limit is the same: FAIL'; }
    } else if (!v8.accepted || !v8.instantiated) {
        note = `V8 refuses (${v8.why})`;
        if (c.v8Same) { failures++; note += ' — but its limit is the same: FAIL'; }
    } else if (v8.problems.length) {
        failures++;
        note = `V8 disagrees with the expected results: ${v8.problems.join('; ')}: FAIL`;
    } else {
        note = 'V8 agrees';
    }
    console.log(`  ${c.name}: ${c.wasm.length} bytes, ${c.reject ? 'must be rejected' : 'must run'}; ${note} (${v8ms} ms)`);
    for (const profile of c.profiles) {
        const list = commands[profile];
        if (c.reject) {
            list.push({ type: 'assert_invalid', line: line++, filename: file, text: c.reject, module_type: 'binary' });
            rejects.push([file, profile, c.reject]);
            continue;
        }
        list.push({ type: 'module', line: line++, filename: file });
        for (const [field, args, expected] of c.calls || [])
            list.push({ type: 'assert_return', line: line++, action: { type: 'invoke', field, args }, expected });
        for (const [field, args, text] of c.traps || [])
            list.push({ type: 'assert_trap', line: line++, action: { type: 'invoke', field, args }, text });
        for (const [field, expected] of c.gets || [])
            list.push({ type: 'assert_return', line: line++, action: { type: 'get', field }, expected });
    }
}
for (const profile of ['pvf', 'full'])
    fs.writeFileSync(path.join(outDir, `${profile}.json`),
                     JSON.stringify({ source_filename: 'tests/gen/limits.js', commands: commands[profile] }, null, 1));
fs.writeFileSync(path.join(outDir, 'rejects.tsv'), rejects.map((r) => r.join('\t')).join('\n') + '\n');
const rows = [];
for (const [name, wasm, outcome, reason] of prechecks) {
    fs.writeFileSync(path.join(outDir, `${name}.wasm`), wasm);
    rows.push([`${name}.wasm`, outcome, reason].join('\t'));
}
fs.writeFileSync(path.join(outDir, 'prechecks.tsv'), rows.join('\n') + '\n');
if (failures) {
    console.log(`limits.js: ${failures} case(s) where V8 disagrees`);
    process.exit(1);
}
