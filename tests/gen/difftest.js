#!/usr/bin/env node
/*
 * difftest.js — random wasm modules with V8 as the oracle, for tests/unit/test_difftest.c.
 *
 * Run from the repository root (node 20, wabt's wasm-validate on PATH; no npm packages):
 *
 *     node tests/gen/difftest.js [--seed N] [--count N] [--out DIR] [--big]
 *
 * It writes DIR/m000.wasm ... and DIR/expected.json (default DIR: tests/data/difftest).
 * The committed set is the default (seed, 300 modules under 3.5 KB each). For a longer
 * campaign, generate elsewhere (--big: larger, deeper functions, no size cap) and run
 *     PVF_DIFFTEST_DIR=DIR build/bin/pvf-unit-tests difftest
 * The same seed gives the same bytes: every module has its own generator seeded from
 * (seed, module number), and nothing reads the clock or Math.random.
 *
 * What the modules stress is the register-slot compiler: lazy `local.get`s still on the
 * operand stack while the local is overwritten (tee/set in a later operand, inside
 * blocks, ifs, loops and branches), values carried by br/br_if/br_table at various
 * depths, select, drop, return from nested blocks, bounded loops, calls (direct and
 * through a table), globals, memory accesses near the end of memory, and every
 * numeric operator, traps included (division, conversions, bounds, unreachable).
 *
 * Two families:
 *   "mvp"   Wasm MVP + mutable globals; the test runs them in the pvf AND full profiles.
 *   "full"  also multi-value (block params, several results), sign-extension,
 *           saturating truncation and bulk memory/table ops; full profile only.
 *
 * Each exported function gets 3-5 argument vectors; V8 runs each call on a fresh
 * instance. Values are recorded as unsigned decimal bit patterns, traps with the
 * spec suite's wording.
 *
 * Things the oracle cannot decide are kept out by construction:
 *  - NaN bit patterns are nondeterministic in wasm (and pvf canonicalises them), so
 *    every place that could observe them (reinterpret to integer, float stores,
 *    copysign's sign operand) gets a NaN-free value: x == x ? x : 0.
 *  - JS numbers cannot carry NaN payloads, so NaN arguments are the canonical NaN.
 *  - V8 says "float unrepresentable in integer range" for both NaN and overflow, and
 *    "null function or function signature mismatch" for two trap kinds. The modules
 *    record what tells them apart in exported globals just before each trapping
 *    truncation (gnan: the input was NaN) and call_indirect (gci: the index), which
 *    the oracle reads after the trap, together with the exported table.
 *  - Termination: calls only go to lower-numbered functions (the table holds only the
 *    first few, which never call through it), and every loop back-edge is guarded by a
 *    counter local that a global fuel budget pushes past its bound once spent.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

/* ---- command line ----------------------------------------------------------------------- */

function parseArgs(argv) {
    const o = { seed: 20240611, count: 300, out: 'tests/data/difftest', big: false };
    for (let i = 2; i < argv.length; i += 2) {
        const k = argv[i], v = argv[i + 1];
        if (k === '--big') { o.big = true; i--; continue; }
        if (k === '--seed') o.seed = Number(v) >>> 0;
        else if (k === '--count') o.count = Number(v);
        else if (k === '--out') o.out = v;
        else throw new Error(`unknown option ${k}`);
    }
    return o;
}

/* ---- deterministic random numbers (mulberry32) ------------------------------------------ */

function makeRng(seed) {
    let s = seed >>> 0;
    const u32 = () => {
        s = (s + 0x6D2B79F5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) >>> 0;
    };
    const rng = {
        u32,
        int: (n) => (n <= 1 ? 0 : u32() % n),
        range: (lo, hi) => lo + rng.int(hi - lo + 1),
        chance: (p) => u32() / 4294967296 < p,
        pick: (a) => a[rng.int(a.length)],
        u64: () => (BigInt(u32()) << 32n) | BigInt(u32()),
        /* entries: [weight, value] */
        weighted: (entries) => {
            let total = 0;
            for (const [w] of entries) total += w;
            let r = rng.int(total);
            for (const [w, v] of entries) {
                if (r < w) return v;
                r -= w;
            }
            throw new Error('unreachable');
        },
    };
    return rng;
}

/* ---- binary encoding --------------------------------------------------------------------- */

const VT = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };
const TYPES = ['i32', 'i64', 'f32', 'f64'];

function uleb(n) {
    const out = [];
    n >>>= 0;
    do {
        let b = n & 0x7f;
        n >>>= 7;
        if (n) b |= 0x80;
        out.push(b);
    } while (n);
    return out;
}

function sleb(v) {
    v = BigInt(v);
    const out = [];
    for (;;) {
        const b = Number(v & 0x7fn);
        v >>= 7n;
        if ((v === 0n && !(b & 0x40)) || (v === -1n && (b & 0x40))) {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

function bytesLE(v, n) {
    v = BigInt(v);
    const out = [];
    for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return out;
}

function name(s) {
    const b = Buffer.from(s, 'utf8');
    return [...uleb(b.length), ...b];
}

function vec(items) {
    const out = uleb(items.length);
    for (const it of items) out.push(...it);
    return out;
}

function section(id, content) {
    return [id, ...uleb(content.length), ...content];
}

/* A constant of type t from its bit pattern (Number for 32-bit types, BigInt for 64-bit). */
function constOp(t, bits) {
    switch (t) {
    case 'i32': return [0x41, ...sleb(BigInt.asIntN(32, BigInt(bits)))];
    case 'i64': return [0x42, ...sleb(BigInt.asIntN(64, BigInt(bits)))];
    case 'f32': return [0x43, ...bytesLE(bits, 4)];
    default: return [0x44, ...bytesLE(bits, 8)];
    }
}

/* ---- opcodes ------------------------------------------------------------------------------ */

const OP = {
    unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
    br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11,
    drop: 0x1a, select: 0x1b, local_get: 0x20, local_set: 0x21, local_tee: 0x22,
    global_get: 0x23, global_set: 0x24, memory_size: 0x3f, memory_grow: 0x40,
    i32_eqz: 0x45, i32_and: 0x71, i32_or: 0x72, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c,
    i32_lt_u: 0x49, i32_lt_s: 0x48, i32_gt_u: 0x4b, i32_ge_u: 0x4f,
    f32_eq: 0x5b, f32_ne: 0x5c, f64_eq: 0x61, f64_ne: 0x62,
};

const UNOPS = {
    i32: [0x67, 0x68, 0x69],
    i64: [0x79, 0x7a, 0x7b],
    f32: [0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91],
    f64: [0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f],
};
const SIGN_EXT = { i32: [0xc0, 0xc1], i64: [0xc2, 0xc3, 0xc4] };
/* div/rem first: they get the "maybe not zero" treatment of the divisor */
const DIVS = { i32: [0x6d, 0x6e, 0x6f, 0x70], i64: [0x7f, 0x80, 0x81, 0x82] };
const BINOPS = {
    i32: [0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78],
    i64: [0x7c, 0x7d, 0x7e, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a],
    f32: [0x92, 0x93, 0x94, 0x95, 0x96, 0x97],
    f64: [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5],
};
const COPYSIGN = { f32: 0x98, f64: 0xa6 };
const EQZ = { i32: 0x45, i64: 0x50 };
const COMPARES = {
    i32: [0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f],
    i64: [0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a],
    f32: [0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60],
    f64: [0x61, 0x62, 0x63, 0x64, 0x65, 0x66],
};
/* [from, opcode] producing the key type; trapping truncations separately */
const CONVERTS = {
    i32: [['i64', 0xa7]],
    i64: [['i32', 0xac], ['i32', 0xad]],
    f32: [['i32', 0xb2], ['i32', 0xb3], ['i64', 0xb4], ['i64', 0xb5], ['f64', 0xb6]],
    f64: [['i32', 0xb7], ['i32', 0xb8], ['i64', 0xb9], ['i64', 0xba], ['f32', 0xbb]],
};
const TRUNCS = {
    i32: [['f32', 0xa8], ['f32', 0xa9], ['f64', 0xaa], ['f64', 0xab]],
    i64: [['f32', 0xae], ['f32', 0xaf], ['f64', 0xb0], ['f64', 0xb1]],
};
const SAT_TRUNCS = {
    i32: [['f32', 0], ['f32', 1], ['f64', 2], ['f64', 3]],
    i64: [['f32', 4], ['f32', 5], ['f64', 6], ['f64', 7]],
};
const REINTERPRET = { i32: ['f32', 0xbc], i64: ['f64', 0xbd], f32: ['i32', 0xbe], f64: ['i64', 0xbf] };
/* [opcode, natural alignment log2] */
const LOADS = {
    i32: [[0x28, 2], [0x2c, 0], [0x2d, 0], [0x2e, 1], [0x2f, 1]],
    i64: [[0x29, 3], [0x30, 0], [0x31, 0], [0x32, 1], [0x33, 1], [0x34, 2], [0x35, 2]],
    f32: [[0x2a, 2]],
    f64: [[0x2b, 3]],
};
const STORES = {
    i32: [[0x36, 2], [0x3a, 0], [0x3b, 1]],
    i64: [[0x37, 3], [0x3c, 0], [0x3d, 1], [0x3e, 2]],
    f32: [[0x38, 2]],
    f64: [[0x39, 3]],
};

/* ---- interesting values --------------------------------------------------------------------- */

const EDGE = {
    i32: [0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x10000, 0xfff8, 0xfffc, 0x1fff8, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff],
    i64: [0n, 1n, 2n, 7n, 31n, 32n, 63n, 64n, 65n, 0x80n, 0xffn, 0x8000n, 0xffffn, 0x7fffffffn,
        0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
        0x8000000000000001n, 0xffffffff00000000n, 0xffffffff80000000n, 0xfffffffffffffffen,
        0xffffffffffffffffn],
    f32: [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000,
        0x40200000, 0xc0200000, 0x7f800000, 0xff800000, 0x7f7fffff, 0xff7fffff, 0x00000001,
        0x80000001, 0x00800000, 0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x4f800000,
        0x4f7fffff, 0x5effffff, 0x5f000000, 0xdf000000, 0xdf000001, 0x5f800000, 0x42f60000,
        0x7fc00000],
    f64: [0x0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n,
        0x3fe0000000000000n, 0xbfe0000000000000n, 0x3ff8000000000000n, 0x4004000000000000n,
        0xc004000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7fefffffffffffffn,
        0x0000000000000001n, 0x8000000000000001n, 0x0010000000000000n, 0x41dfffffffc00000n,
        0x41e0000000000000n, 0xc1e0000000000000n, 0xc1e0000000200000n, 0x41efffffffe00000n,
        0x41f0000000000000n, 0x43dfffffffffffffn, 0x43e0000000000000n, 0xc3e0000000000000n,
        0xc3e0000000000001n, 0x43f0000000000000n, 0x405ec00000000000n, 0x36a0000000000000n,
        0x7ff8000000000000n],
};
/* NaNs other than the canonical one: fine as constants in code, never as JS arguments */
const ODD_NANS = { f32: [0xffc00000, 0x7fa00000, 0x7fc00001], f64: [0xfff8000000000000n, 0x7ff4000000000000n] };

const f32buf = new Float32Array(1), f32bits = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1), f64bits = new BigUint64Array(f64buf.buffer);

function f32FromBits(b) { f32bits[0] = b >>> 0; return f32buf[0]; }
function f32ToBits(x) { f32buf[0] = x; return f32bits[0]; }
function f64FromBits(b) { f64bits[0] = BigInt(b); return f64buf[0]; }
function f64ToBits(x) { f64buf[0] = x; return f64bits[0]; }

function randomValue(rng, t, forArgs) {
    const r = rng.int(10);
    switch (t) {
    case 'i32':
        if (r < 5) return rng.pick(EDGE.i32);
        if (r < 7) return rng.int(300);
        if (r < 8) return (-rng.int(300)) >>> 0;
        return rng.u32();
    case 'i64':
        if (r < 5) return rng.pick(EDGE.i64);
        if (r < 7) return BigInt(rng.int(300));
        if (r < 8) return BigInt.asUintN(64, BigInt(-rng.int(300)));
        return rng.u64();
    case 'f32':
        if (r < 5) return rng.pick(EDGE.f32);
        if (r < 6 && !forArgs) return rng.pick(ODD_NANS.f32);
        if (r < 8) return f32ToBits(rng.int(2000) / 8 - 125);
        return canonNaN32(rng.u32());
    default:
        if (r < 5) return rng.pick(EDGE.f64);
        if (r < 6 && !forArgs) return rng.pick(ODD_NANS.f64);
        if (r < 8) return f64ToBits(rng.int(2000) / 8 - 125);
        return canonNaN64(rng.u64());
    }
}

/* Random bits may be a NaN; keep only the canonical one so that arguments survive JS. */
function canonNaN32(b) { return Number.isNaN(f32FromBits(b)) ? 0x7fc00000 : b; }
function canonNaN64(b) { return Number.isNaN(f64FromBits(b)) ? 0x7ff8000000000000n : b; }

/* ---- module model and encoder -------------------------------------------------------------- */

class ModuleBuilder {
    constructor() {
        this.types = [];        /* {params, results} */
        this.funcs = [];        /* {type, locals, body} */
        this.globals = [];      /* {type, mut, bits} */
        this.table = null;      /* {min, max} */
        this.memory = null;     /* {min, max} */
        this.elems = [];        /* {passive, offset, funcs} */
        this.datas = [];        /* {passive, offset, bytes} */
        this.exports = [];      /* {name, kind, index} */
        this.dataCount = false;
    }

    typeIndex(params, results, fresh) {
        const key = params.join(',') + '->' + results.join(',');
        if (!fresh) {
            const i = this.types.findIndex((t) => t.key === key);
            if (i >= 0) return i;
        }
        this.types.push({ params, results, key });
        return this.types.length - 1;
    }

    encode() {
        const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        const vt = (ts) => vec(ts.map((t) => [VT[t]]));
        out.push(...section(1, vec(this.types.map((t) => [0x60, ...vt(t.params), ...vt(t.results)]))));
        out.push(...section(3, vec(this.funcs.map((f) => uleb(f.type)))));
        if (this.table)
            out.push(...section(4, vec([[0x70, 0x01, ...uleb(this.table.min), ...uleb(this.table.max)]])));
        if (this.memory)
            out.push(...section(5, vec([[0x01, ...uleb(this.memory.min), ...uleb(this.memory.max)]])));
        out.push(...section(6, vec(this.globals.map((g) =>
            [VT[g.type], g.mut ? 1 : 0, ...constOp(g.type, g.bits), OP.end]))));
        out.push(...section(7, vec(this.exports.map((e) => [...name(e.name), e.kind, ...uleb(e.index)]))));
        if (this.elems.length)
            out.push(...section(9, vec(this.elems.map((e) => e.passive
                ? [0x01, 0x00, ...vec(e.funcs.map(uleb))]
                : [0x00, ...constOp('i32', e.offset), OP.end, ...vec(e.funcs.map(uleb))]))));
        if (this.dataCount)
            out.push(...section(12, uleb(this.datas.length)));
        out.push(...section(10, vec(this.funcs.map((f) => {
            const runs = [];
            for (const t of f.locals) {
                if (runs.length && runs[runs.length - 1][1] === t) runs[runs.length - 1][0]++;
                else runs.push([1, t]);
            }
            const body = [...vec(runs.map(([n, t]) => [...uleb(n), VT[t]])), ...f.body, OP.end];
            return [...uleb(body.length), ...body];
        }))));
        if (this.datas.length)
            out.push(...section(11, vec(this.datas.map((d) => d.passive
                ? [0x01, ...vec(d.bytes.map((b) => [b]))]
                : [0x00, ...constOp('i32', d.offset), OP.end, ...vec(d.bytes.map((b) => [b]))]))));
        return Buffer.from(out);
    }
}

/* ---- function body generator ----------------------------------------------------------------- */

/*
 * Fixed globals of every module: 0 fuel (loop budget), 1 gci (last call_indirect index),
 * 2 gnan (last trapping truncation's input was NaN), 3 gtf32, 4 gtf64 (truncation inputs
 * parked in a global on some paths); random ones follow.
 */
const G_FUEL = 0, G_CI = 1, G_NAN = 2, G_TF = { f32: 3, f64: 4 };
const FUEL = 48;

class FuncGen {
    constructor(mg, index, sig) {
        this.mg = mg;
        this.rng = mg.rng;
        this.full = mg.full;
        this.index = index;
        this.sig = sig;
        this.localTypes = [...sig.params];
        /* pool: locals random code reads; wpool: those it also writes. Some params (and
         * now and then a declared local) are never written: the compiler may keep reads
         * of those lazy across blocks. */
        this.pool = { i32: [], i64: [], f32: [], f64: [] };
        this.wpool = { i32: [], i64: [], f32: [], f64: [] };
        sig.params.forEach((t, i) => {
            this.pool[t].push(i);
            if (this.rng.chance(0.6)) this.wpool[t].push(i);
        });
        /* now and then a big frame: slot numbers past the small cases */
        const nl = this.rng.chance(0.08) ? this.rng.range(20, 70) : this.rng.range(1, 6);
        for (let i = 0; i < nl; i++) this.newLocal(this.rng.pick(TYPES), this.rng.chance(0.9) ? 'rw' : 'r');
        this.labels = [{ kind: 'func', types: sig.results }];
        this.budget = mg.bodyBudget;
        this.calls = 0;
        this.loops = 0;
    }

    /* access: 'rw' (random code reads and writes it) or 'r' (reads only: never-written
     * locals, and loop counters, which only their loop writes) */
    newLocal(t, access) {
        this.localTypes.push(t);
        const i = this.localTypes.length - 1;
        if (access) this.pool[t].push(i);
        if (access === 'rw') this.wpool[t].push(i);
        return i;
    }

    /* A writable local of type t (a fresh one when there is none). */
    someLocal(t) {
        if (!this.wpool[t].length) this.newLocal(t, 'rw');
        return this.rng.pick(this.wpool[t]);
    }

    /* ---- leaves ---- */

    leaf(t) {
        const rng = this.rng;
        const globals = this.mg.globalsOf(t);
        const r = rng.int(10);
        if (r < 5 && this.pool[t].length) return [OP.local_get, ...uleb(rng.pick(this.pool[t]))];
        if (r < 6 && globals.length) return [OP.global_get, ...uleb(rng.pick(globals))];
        return constOp(t, randomValue(rng, t, false));
    }

    /* ---- expressions: code pushing one value of type t (or leaving the stack polymorphic) ---- */

    expr(t, d) {
        if (d <= 0 || this.budget <= 0) return this.leaf(t);
        this.budget--;
        const rng = this.rng, full = this.full;
        const forms = [
            [6, () => this.leaf(t)],
            [8, () => this.unop(t, d)],
            [14, () => this.binop(t, d)],
            [t === 'i32' ? 10 : 0, () => this.compare(d)],
            [6, () => this.convert(t, d)],
            [5, () => this.load(t, d)],
            [6, () => [...this.expr(t, d - 1), OP.local_tee, ...uleb(this.someLocal(t))]],
            [5, () => this.select(t, d)],
            [5, () => this.blockExpr([t], d)],
            [5, () => this.ifExpr([t], d)],
            [3, () => this.loopExpr([t], d)],
            [4, () => this.callExpr(t, d)],
            [this.index >= this.mg.ntable ? 3 : 0, () => this.callIndirectExpr(t, d)],
            [12, () => this.pendingOverwrite(t, d)],
            [3, () => this.wide(t, d)],
            [6, () => [...this.stmt(d - 1), ...this.expr(t, d - 1)]],
            [3, () => this.brIfExpr(t, d)],
            [3, () => this.brTable([t], d)],
            [full ? 1 : 0, () => this.brAway(d)],
            [full ? 1 : 0, () => this.returnFrom(d)],
            [1, () => this.trapIf([t], d)],
            [t === 'i32' ? 2 : 0, () => this.memoryOp(d)],
            [full ? 4 : 0, () => this.multiBlock([t], d)],
        ];
        return rng.weighted(forms)();
    }

    /* code pushing values of `types`, in order */
    values(types, d) {
        const rng = this.rng;
        if (this.full && types.length >= 2 && d > 0 && rng.chance(0.35)) {
            const r = rng.int(3);
            if (r === 0) {
                const callee = this.mg.calleeWithResults(this.index, types);
                if (callee !== null && this.calls < this.mg.maxCalls) return this.callTo(callee, d);
            }
            if (r === 1) return this.blockExpr(types, d);
            return this.ifExpr(types, d);
        }
        const out = [];
        for (const t of types) out.push(...this.expr(t, d - 1));
        return out;
    }

    unop(t, d) {
        const rng = this.rng;
        if (t === 'i32' && rng.chance(0.25)) {
            const u = rng.pick(['i32', 'i64']);
            return [...this.expr(u, d - 1), EQZ[u]];
        }
        if (this.full && SIGN_EXT[t] && rng.chance(0.3))
            return [...this.expr(t, d - 1), rng.pick(SIGN_EXT[t])];
        return [...this.expr(t, d - 1), rng.pick(UNOPS[t])];
    }

    /* [operand type, code of the op] for a two-operand op producing t; sanitizeB when the
     * second operand's NaN bits would be observable */
    twoOperandOp(t) {
        const rng = this.rng;
        if (t === 'i32' && rng.chance(0.3)) {
            const u = rng.pick(TYPES);
            return { u, op: [rng.pick(COMPARES[u])] };
        }
        if ((t === 'f32' || t === 'f64') && rng.chance(0.12))
            return { u: t, op: [COPYSIGN[t]], sanitizeB: true };
        if ((t === 'i32' || t === 'i64') && rng.chance(0.2))
            return { u: t, op: [rng.pick(DIVS[t])], divisor: true };
        return { u: t, op: [rng.pick(BINOPS[t])] };
    }

    secondOperand(o, d) {
        let b = this.expr(o.u, d - 1);
        if (o.sanitizeB) b = this.sanitize(o.u, b);
        else if (o.divisor && this.rng.chance(0.85))
            b = [...b, ...constOp(o.u, o.u === 'i32' ? 1 : 1n), o.u === 'i32' ? OP.i32_or : 0x84];
        return b;
    }

    binop(t, d) {
        const o = this.twoOperandOp(t);
        const a = this.expr(o.u, d - 1);
        return [...a, ...this.secondOperand(o, d), ...o.op];
    }

    compare(d) {
        const u = this.rng.pick(TYPES);
        return [...this.expr(u, d - 1), ...this.expr(u, d - 1), this.rng.pick(COMPARES[u])];
    }

    /* an i32 condition, usually a comparison (the compiler fuses those with branches) */
    cond(d) {
        const r = this.rng.int(10);
        if (r < 5) return this.compare(d);
        if (r < 7) return [...this.expr('i32', d - 1), OP.i32_eqz];
        return this.expr('i32', d - 1);
    }

    convert(t, d) {
        const rng = this.rng;
        const r = rng.int(10);
        if ((t === 'i32' || t === 'i64') && r < 4) {
            if (this.full && rng.chance(0.35)) {
                const [from, sub] = rng.pick(SAT_TRUNCS[t]);
                return [...this.expr(from, d - 1), 0xfc, ...uleb(sub)];
            }
            const [from, op] = rng.pick(TRUNCS[t]);
            return [...this.noteNaN(from, this.expr(from, d - 1)), op];
        }
        if (r < 6) {
            const [from, op] = REINTERPRET[t];
            let a = this.expr(from, d - 1);
            if (from === 'f32' || from === 'f64') a = this.sanitize(from, a);
            return [...a, op];
        }
        if (t === 'i32' || t === 'i64') {
            if (CONVERTS[t].length && rng.chance(0.7)) {
                const [from, op] = rng.pick(CONVERTS[t]);
                return [...this.expr(from, d - 1), op];
            }
            return this.compareAs(t, d);
        }
        const [from, op] = rng.pick(CONVERTS[t]);
        return [...this.expr(from, d - 1), op];
    }

    compareAs(t, d) {
        const c = this.compare(d);
        return t === 'i64' ? [...c, 0xad] : c;
    }

    /* x == x ? x : 0 — hides NaN bit patterns from reinterpretations, stores and copysign */
    sanitize(t, code) {
        const x = this.someLocal(t);
        const eq = t === 'f32' ? OP.f32_eq : OP.f64_eq;
        return [...code, OP.local_tee, ...uleb(x), ...constOp(t, t === 'f32' ? 0 : 0n),
            OP.local_get, ...uleb(x), OP.local_get, ...uleb(x), eq, OP.select];
    }

    /* Before a trapping truncation: gnan := input is NaN (tells V8's one message apart). */
    noteNaN(t, code) {
        const ne = t === 'f32' ? OP.f32_ne : OP.f64_ne;
        const setNaN = [OP.global_set, ...uleb(G_NAN)];
        const r = this.rng.int(3);
        if (r === 0) {
            const x = this.someLocal(t);
            return [...code, OP.local_tee, ...uleb(x), OP.local_get, ...uleb(x), OP.local_get, ...uleb(x),
                ne, ...setNaN];
        }
        if (r === 1) {
            const x = this.someLocal(t);
            return [...code, OP.local_set, ...uleb(x), OP.local_get, ...uleb(x), OP.local_get, ...uleb(x),
                ne, ...setNaN, OP.local_get, ...uleb(x)];
        }
        const g = uleb(G_TF[t]);
        return [...code, OP.global_set, ...g, OP.global_get, ...g, OP.global_get, ...g, ne, ...setNaN,
            OP.global_get, ...g];
    }

    /* Before call_indirect: gci := the index. */
    noteIndex(code) {
        const setCI = [OP.global_set, ...uleb(G_CI)];
        if (this.rng.chance(0.5)) {
            const x = this.someLocal('i32');
            return [...code, OP.local_tee, ...uleb(x), ...setCI, OP.local_get, ...uleb(x)];
        }
        return [...code, ...setCI, OP.global_get, ...uleb(G_CI)];
    }

    /*
     * Memory accesses: mostly in bounds (masked or small addresses, small offsets); one in
     * eight goes near the end of memory (or past it) through the address or the offset.
     */
    access(d, natural) {
        const rng = this.rng;
        const pages = this.mg.b.memory.min;
        const align = uleb(rng.int(natural + 1));
        const smallOffset = () => uleb(rng.chance(0.6) ? 0 : rng.int(24));
        if (rng.chance(0.88)) {
            const addr = rng.chance(0.5) ? constOp('i32', rng.int(256))
                : [...this.expr('i32', d - 1), ...constOp('i32', rng.pick([0xff, 0x7ff8, 0x3fff, 0x3f])), OP.i32_and];
            return { addr, memarg: [...align, ...smallOffset()] };
        }
        switch (rng.int(4)) {
        case 0:
            return { addr: constOp('i32', pages * 65536 - rng.int(12)), memarg: [...align, ...uleb(rng.int(4))] };
        case 1:
            return { addr: constOp('i32', rng.int(16)), memarg: [...align, ...uleb(pages * 65536 - rng.int(20))] };
        case 2:
            return {
                addr: constOp('i32', rng.pick([65536 - rng.int(12), 131072 - rng.int(12), 0xfffffff0 + rng.int(16)])),
                memarg: [...align, ...uleb(rng.pick([0, 4, 0xfffffff0]))],
            };
        default:
            return { addr: this.expr('i32', d - 1), memarg: [...align, ...smallOffset()] };
        }
    }

    /* an address for bulk memory operations */
    address(d) {
        return this.access(d, 0).addr;
    }

    load(t, d) {
        const [op, natural] = this.rng.pick(LOADS[t]);
        const a = this.access(d, natural);
        return [...a.addr, op, ...a.memarg];
    }

    store(d) {
        const t = this.rng.pick(TYPES);
        const [op, natural] = this.rng.pick(STORES[t]);
        let v = this.expr(t, d - 1);
        if (t === 'f32' || t === 'f64') v = this.sanitize(t, v);
        const a = this.access(d, natural);
        return [...a.addr, ...v, op, ...a.memarg];
    }

    select(t, d) {
        return [...this.expr(t, d - 1), ...this.expr(t, d - 1), ...this.cond(d), OP.select];
    }

    memoryOp(d) {
        const rng = this.rng;
        if (rng.chance(0.4)) return [OP.memory_size, 0x00];
        const delta = rng.chance(0.7)
            ? [...this.expr('i32', d - 1), ...constOp('i32', 3), OP.i32_and]
            : this.expr('i32', d - 1);
        return [...delta, OP.memory_grow, 0x00];
    }

    /* ---- blocks ---- */

    blockType(params, results) {
        if (!params.length && results.length === 0) return [0x40];
        if (!params.length && results.length === 1) return [VT[results[0]]];
        return sleb(this.mg.b.typeIndex(params, results, false));
    }

    withLabel(label, fn) {
        this.labels.push(label);
        try { return fn(); } finally { this.labels.pop(); }
    }

    /*
     * Statements then values: the body of a block that starts with an empty stack.
     * Sometimes it ends in a branch away or a return instead.
     */
    seq(results, d) {
        const rng = this.rng;
        const out = [];
        const n = rng.int(3);
        for (let i = 0; i < n; i++) out.push(...this.stmt(d - 1));
        if (rng.chance(0.08)) out.push(...this.brAway(d));
        else if (rng.chance(0.04)) out.push(...this.returnFrom(d));
        else out.push(...this.values(results, d));
        return out;
    }

    returnFrom(d) {
        return [...this.values(this.sig.results, d - 1), OP.return];
    }

    /* A body that starts with `params` on the stack and ends with `results`. */
    seqFrom(params, results, d) {
        const rng = this.rng;
        const out = [];
        if (rng.chance(0.3)) out.push(...this.stmt(d - 1));   /* statements under the params */
        if (params.length === 1 && results.length === 1 && params[0] === results[0] && rng.chance(0.6)) {
            const t = params[0];
            const o = rng.chance(0.5) ? this.twoOperandOpSame(t) : null;
            if (o) out.push(...this.secondOperand(o, d), ...o.op);
            return out;
        }
        out.push(...this.consume(params));
        out.push(...this.seq(results, d));
        return out;
    }

    /* a two-operand op t × t → t */
    twoOperandOpSame(t) {
        for (;;) {
            const o = this.twoOperandOp(t);
            if (o.u === t) return o;
        }
    }

    /* pop values of `types` (top first) into locals, or drop them */
    consume(types) {
        const out = [];
        for (let i = types.length - 1; i >= 0; i--) {
            if (this.rng.chance(0.6)) out.push(OP.local_set, ...uleb(this.someLocal(types[i])));
            else out.push(OP.drop);
        }
        return out;
    }

    blockExpr(results, d) {
        const bt = this.blockType([], results);
        const body = this.withLabel({ kind: 'block', types: results }, () => this.seq(results, d - 1));
        return [OP.block, ...bt, ...body, OP.end];
    }

    ifExpr(results, d) {
        const c = this.cond(d);
        const bt = this.blockType([], results);
        const label = { kind: 'if', types: results };
        const a = this.withLabel(label, () => this.seq(results, d - 1));
        if (!results.length && this.rng.chance(0.4)) return [...c, OP.if, ...bt, ...a, OP.end];
        const b = this.withLabel(label, () => this.seq(results, d - 1));
        return [...c, OP.if, ...bt, ...a, OP.else, ...b, OP.end];
    }

    /* multi-value blocks: params come from the enclosing stack */
    multiBlock(results, d) {
        const rng = this.rng;
        const np = rng.range(1, 3);
        let params = [];
        for (let i = 0; i < np; i++) params.push(rng.pick(TYPES));
        if (rng.chance(0.4)) params[np - 1] = results[results.length - 1] || params[np - 1];
        if (results.length && rng.chance(0.25)) params = [...results];
        const bt = this.blockType(params, results);
        const label = { kind: 'block', types: results };
        const args = this.values(params, d - 1);
        const r = rng.int(3);
        if (r === 0) {
            const body = this.withLabel(label, () => this.seqFrom(params, results, d - 1));
            return [...args, OP.block, ...bt, ...body, OP.end];
        }
        if (r === 1) {
            const c = this.cond(d);
            const a = this.withLabel({ kind: 'if', types: results }, () => this.seqFrom(params, results, d - 1));
            if (params.join() === results.join() && rng.chance(0.4))
                return [...args, ...c, OP.if, ...bt, ...a, OP.end];     /* else: the params pass through */
            const b = this.withLabel({ kind: 'if', types: results }, () => this.seqFrom(params, results, d - 1));
            return [...args, ...c, OP.if, ...bt, ...a, OP.else, ...b, OP.end];
        }
        return this.loopExpr(results, d, params, args);
    }

    /*
     * A loop that runs at most N+1 times: the counter goes up at the top (by 100 once the
     * fuel is spent), and every branch back to the loop is guarded by counter < N.
     */
    loopExpr(results, d, params = [], args = []) {
        const rng = this.rng;
        if (this.loops >= 4 || this.labels.filter((l) => l.kind === 'loop').length >= 2)
            return params.length ? [...args, ...this.blockExprFrom(params, results, d)] : this.blockExpr(results, d);
        this.loops++;
        const c = this.newLocal('i32', 'r');   /* random code may read the counter, never write it */
        const N = rng.range(1, 3);
        const label = { kind: 'loop', types: params, counter: c, N };
        const bt = this.blockType(params, results);
        const init = [...constOp('i32', 0), OP.local_set, ...uleb(c)];
        const top = [OP.local_get, ...uleb(c), ...constOp('i32', 1), OP.i32_add,
            OP.global_get, ...uleb(G_FUEL), ...constOp('i32', 1), OP.i32_lt_s,
            ...constOp('i32', 100), OP.i32_mul, OP.i32_add, OP.local_set, ...uleb(c),
            OP.global_get, ...uleb(G_FUEL), ...constOp('i32', 1), OP.i32_sub, OP.global_set, ...uleb(G_FUEL)];
        const body = this.withLabel(label, () => {
            const out = [...top];
            if (params.length && rng.chance(0.5)) {
                /* keep the params on the stack: they are the values of the back-edge */
                if (rng.chance(0.5)) out.push(...this.stmt(d - 1));
                if (params.length === 1 && rng.chance(0.6)) {
                    const o = this.twoOperandOpSame(params[0]);
                    out.push(...this.secondOperand(o, d - 1), ...o.op);
                }
            } else {
                out.push(...this.consume(params));
                const n = rng.int(3);
                for (let i = 0; i < n; i++) out.push(...this.stmt(d - 1));
                out.push(...this.values(params, d - 1));
            }
            out.push(...this.guard(label, d - 1), OP.br_if, ...uleb(0));
            out.push(...this.seqFrom(params, results, d - 1));
            return out;
        });
        return [...init, ...args, OP.loop, ...bt, ...body, OP.end];
    }

    blockExprFrom(params, results, d) {
        const bt = this.blockType(params, results);
        const body = this.withLabel({ kind: 'block', types: results }, () => this.seqFrom(params, results, d - 1));
        return [OP.block, ...bt, ...body, OP.end];
    }

    /* condition for a branch to loop `label`: only while its counter is below N */
    guard(label, d) {
        const rng = this.rng;
        const c = uleb(label.counter), n = constOp('i32', label.N);
        const r = rng.int(4);
        if (r === 0) return [OP.local_get, ...c, ...n, OP.i32_lt_u];
        if (r === 1) return [...n, OP.local_get, ...c, OP.i32_gt_u];
        if (r === 2) return [OP.local_get, ...c, ...n, OP.i32_ge_u, OP.i32_eqz];
        return [...this.cond(d), OP.local_get, ...c, ...n, OP.i32_lt_u, OP.i32_and];
    }

    /* relative depth of label index i */
    depthOf(i) { return this.labels.length - 1 - i; }

    /* `values; cond; br_if L` to a label whose types are [t]: leaves the value */
    brIfExpr(t, d) {
        const cands = [];
        this.labels.forEach((l, i) => {
            if (l.types.length === 1 && l.types[0] === t) cands.push(i);
        });
        if (!cands.length) return this.blockExpr([t], d);
        const i = this.rng.pick(cands);
        const l = this.labels[i];
        const c = l.kind === 'loop' ? this.guard(l, d) : this.cond(d);
        return [...this.expr(t, d - 1), ...c, OP.br_if, ...uleb(this.depthOf(i))];
    }

    /*
     * `values; br L` (not to loops): leaves the stack polymorphic. MVP modules have these
     * (and `return`) only at the end of a block: code after them, dead but still walked by
     * the stack limiter's height model, can underflow that model, which then rejects the
     * module as wasm-instrument would; the full family has no limiter and gets dead code.
     */
    brAway(d) {
        const cands = [];
        this.labels.forEach((l, i) => { if (l.kind !== 'loop') cands.push(i); });
        const i = this.rng.pick(cands);
        return [...this.values(this.labels[i].types, d - 1), OP.br, ...uleb(this.depthOf(i))];
    }

    /*
     * k nested blocks of result `types`; the innermost ends in a br_table over them and
     * over enclosing labels of the same types. After each inner block the value is
     * changed, so that every target gives a different result. One enclosing loop may be
     * a target: the index is then `guard ? idx : default`, the default never a loop.
     */
    brTable(types, d) {
        const rng = this.rng;
        const k = rng.range(1, 3);
        const bt = this.blockType([], types);
        const outer = [], loops = [];
        this.labels.forEach((l, i) => {
            if (l.types.join() === types.join()) (l.kind === 'loop' ? loops : outer).push(i);
        });
        const loop = loops.length && rng.chance(0.4) ? rng.pick(loops) : -1;
        const base = this.labels.length;
        for (let j = 0; j < k; j++) this.labels.push({ kind: 'block', types });
        const inner = [];
        if (rng.chance(0.4)) inner.push(...this.stmt(d - 1));
        inner.push(...this.values(types, d - 1));
        const n = rng.int(5);
        let idx = rng.chance(0.5) ? constOp('i32', rng.int(k + 3)) : this.expr('i32', d - 1);
        if (loop >= 0)
            idx = [...idx, ...constOp('i32', n + rng.int(3)), ...this.guard(this.labels[loop], d - 1), OP.select];
        inner.push(...idx);
        const targets = [];
        for (let j = 0; j <= n; j++) {
            if (loop >= 0 && j < n && rng.chance(0.4)) targets.push(this.depthOf(loop));
            else if (outer.length && rng.chance(0.25)) targets.push(this.depthOf(rng.pick(outer)));
            else targets.push(this.depthOf(base + rng.int(k)));
        }
        inner.push(OP.br_table, ...uleb(n), ...targets.slice(0, n).flatMap(uleb), ...uleb(targets[n]));
        /* close the blocks from the inside, altering the values after each */
        let code = [...inner, OP.end];
        for (let j = k - 1; j >= 1; j--) {
            this.labels.pop();
            code = [...code, ...this.alter(types, d - 1), OP.end];
        }
        this.labels.pop();
        const open = [];
        for (let j = 0; j < k; j++) open.push(OP.block, ...bt);
        return [...open, ...code];
    }

    /* code that takes `types` on the stack and leaves `types` */
    alter(types, d) {
        if (!types.length) return this.rng.chance(0.5) ? this.stmt(d) : [];
        const t = types[types.length - 1];
        const o = this.twoOperandOpSame(t);
        return [...this.secondOperand(o, d), ...o.op];
    }

    /* `cond; if (result) unreachable else value end` */
    trapIf(results, d) {
        if (this.rng.chance(0.5)) return this.ifExpr(results, d);
        const c = this.cond(d);
        const bt = this.blockType([], results);
        const label = { kind: 'if', types: results };
        const b = this.withLabel(label, () => this.seq(results, d - 1));
        return this.rng.chance(0.5)
            ? [...c, OP.if, ...bt, OP.unreachable, OP.else, ...b, OP.end]
            : [...c, OP.if, ...bt, ...b, OP.else, OP.unreachable, OP.end];
    }

    /*
     * The point of the exercise: `local.get x` stays pending (lazy) while a later operand
     * overwrites x, in one of many ways.
     */
    pendingOverwrite(t, d) {
        const rng = this.rng;
        const o = this.twoOperandOp(t);
        const x = this.someLocal(o.u);
        const get = [OP.local_get, ...uleb(x)];
        let b = this.overwriting(o.u, x, d - 1);
        if (o.sanitizeB) b = this.sanitize(o.u, b);
        if (rng.chance(0.25)) {
            /* two pending reads, one below the other */
            const o2 = this.twoOperandOpSame(o.u);
            return [...get, ...get, ...b, ...o2.op, ...o.op];
        }
        return [...get, ...b, ...o.op];
    }

    /*
     * A deep operand stack: k values of type t, many of them reads of one local x that
     * later values overwrite (tee, set in a statement), then k-1 two-operand ops.
     */
    wide(t, d) {
        const rng = this.rng;
        const k = rng.range(4, 10);
        const x = this.someLocal(t);
        const X = uleb(x);
        const out = [];
        for (let i = 0; i < k; i++) {
            switch (rng.int(6)) {
            case 0: case 1: out.push(OP.local_get, ...X); break;
            case 2: out.push(...this.leaf(t), OP.local_tee, ...X); break;
            case 3: out.push(...this.leaf(t), OP.local_set, ...X, OP.local_get, ...X); break;
            case 4: out.push(...this.stmt(d - 2), ...this.leaf(t)); break;
            default: out.push(...this.expr(t, d - 2)); break;
            }
        }
        for (let i = 1; i < k; i++) {
            const o = this.twoOperandOpSame(t);
            if (o.sanitizeB || o.divisor) {
                /* the operand is already on the stack: no sanitising, no `or 1` — use an
                 * op that needs neither */
                out.push(rng.pick(BINOPS[t]));
            } else {
                out.push(...o.op);
            }
        }
        return out;
    }

    /* a value of type u whose computation writes local x */
    overwriting(u, x, d) {
        const rng = this.rng;
        const X = uleb(x);
        switch (rng.int(9)) {
        case 0: return [...this.expr(u, d - 1), OP.local_tee, ...X];
        case 1: return [...this.expr(u, d - 1), OP.local_set, ...X, ...this.expr(u, d - 1)];
        case 2: {
            const body = this.withLabel({ kind: 'block', types: [u] },
                () => [...this.expr(u, d - 1), OP.local_set, ...X, ...this.expr(u, d - 1)]);
            return [OP.block, VT[u], ...body, OP.end];
        }
        case 3: {
            const c = this.cond(d);
            const a = this.withLabel({ kind: 'if', types: [u] }, () => [...this.expr(u, d - 1), OP.local_tee, ...X]);
            const b = this.withLabel({ kind: 'if', types: [u] }, () => this.expr(u, d - 1));
            return rng.chance(0.5) ? [...c, OP.if, VT[u], ...a, OP.else, ...b, OP.end]
                : [...c, OP.if, VT[u], ...b, OP.else, ...a, OP.end];
        }
        case 4: {
            /* set inside a block that may be left early by br_if carrying a value */
            const body = this.withLabel({ kind: 'block', types: [u] }, () =>
                [...this.expr(u, d - 1), OP.local_tee, ...X, ...this.cond(d), OP.br_if, 0,
                    OP.drop, ...this.expr(u, d - 1), OP.local_tee, ...X]);
            return [OP.block, VT[u], ...body, OP.end];
        }
        case 5: {
            /* a swap through the stack */
            const y = this.someLocal(u);
            return [OP.local_get, ...uleb(y), OP.local_get, ...X, OP.local_set, ...uleb(y),
                OP.local_set, ...X, OP.local_get, ...uleb(y)];
        }
        case 6: {
            /* inside a loop body */
            const body = [...this.expr(u, d - 1), OP.local_set, ...X];
            const inner = this.loopExpr([u], d);
            return [...body, ...inner];
        }
        case 7: {
            const callee = this.mg.calleeWithResults(this.index, [u]);
            if (callee !== null && this.calls < this.mg.maxCalls)
                return [...this.callTo(callee, d), OP.local_tee, ...X];
            return [...this.expr(u, d - 1), OP.local_tee, ...X];
        }
        default: {
            /* br_table leaving a block whose value was written to x */
            const body = this.withLabel({ kind: 'block', types: [u] }, () =>
                [...this.expr(u, d - 1), OP.local_tee, ...X, ...this.expr('i32', d - 1),
                    OP.br_table, 1, 0, 0]);
            return [OP.block, VT[u], ...body, OP.end];
        }
        }
    }

    /* ---- calls ---- */

    callTo(callee, d) {
        this.calls++;
        const sig = this.mg.sigs[callee];
        return [...this.values(sig.params, d - 1), OP.call, ...uleb(callee)];
    }

    /* keep the result at position j of `results` and get rid of the others */
    keepOne(results, j) {
        const rng = this.rng;
        const out = [];
        let saved = -1;
        for (let i = results.length - 1; i >= 0; i--) {
            if (i === j) {
                if (i === 0) break;
                saved = this.someLocal(results[i]);
                out.push(OP.local_set, ...uleb(saved));
            } else if (rng.chance(0.6) && !(saved >= 0 && results[i] === results[j])) {
                /* (never into a local that may hold the kept value) */
                out.push(OP.local_set, ...uleb(this.someLocal(results[i])));
            } else {
                out.push(OP.drop);
            }
        }
        if (saved >= 0) out.push(OP.local_get, ...uleb(saved));
        return out;
    }

    callExpr(t, d) {
        if (this.calls >= this.mg.maxCalls) return this.binop(t, d);
        const cands = this.mg.calleesReturning(this.index, t);
        if (!cands.length) return this.binop(t, d);
        const callee = this.rng.pick(cands);
        const results = this.mg.sigs[callee].results;
        const js = results.map((r, i) => (r === t ? i : -1)).filter((i) => i >= 0);
        return [...this.callTo(callee, d), ...this.keepOne(results, this.rng.pick(js))];
    }

    /* a call_indirect; the type is usually that of some table function */
    callIndirect(d) {
        const rng = this.rng;
        const mg = this.mg;
        let type;
        if (rng.chance(0.8)) {
            const f = rng.int(mg.ntable);
            const s = mg.sigs[f];
            type = mg.b.typeIndex(s.params, s.results, rng.chance(0.15));
        } else {
            type = rng.int(mg.b.types.length);
        }
        const sig = mg.b.types[type];
        this.calls++;
        const args = this.values(sig.params, d - 1);
        const r = rng.int(10);
        let idx;
        if (r < 5) idx = constOp('i32', rng.int(mg.b.table.min + 1));
        else if (r < 8) idx = [...this.expr('i32', d - 1), ...constOp('i32', 7), OP.i32_and];
        else idx = this.expr('i32', d - 1);
        return { code: [...args, ...this.noteIndex(idx), OP.call_indirect, ...uleb(type), 0x00], sig };
    }

    callIndirectExpr(t, d) {
        if (this.calls >= this.mg.maxCalls) return this.binop(t, d);
        for (let tries = 0; tries < 4; tries++) {
            const { code, sig } = this.callIndirect(d);
            const js = sig.results.map((r, i) => (r === t ? i : -1)).filter((i) => i >= 0);
            if (js.length) return [...code, ...this.keepOne(sig.results, this.rng.pick(js))];
            this.calls--;
        }
        return this.binop(t, d);
    }

    /* ---- statements: code with no net effect on the stack ---- */

    stmt(d) {
        if (d <= 0 || this.budget <= 0) {
            const t = this.rng.pick(TYPES);
            return [...this.leaf(t), OP.local_set, ...uleb(this.someLocal(t))];
        }
        this.budget--;
        const rng = this.rng, full = this.full, mg = this.mg;
        const forms = [
            [4, () => [...this.expr(rng.pick(TYPES), d - 1), OP.drop]],
            [14, () => { const t = rng.pick(TYPES); return [...this.expr(t, d - 1), OP.local_set, ...uleb(this.someLocal(t))]; }],
            [4, () => this.globalSet(d)],
            [6, () => this.store(d)],
            [6, () => this.ifExpr([], d)],
            [5, () => this.blockExpr([], d)],
            [4, () => this.loopExpr([], d)],
            [4, () => this.callStmt(d)],
            [8, () => this.permute(d)],
            [7, () => this.brIfStmt(d)],
            [2, () => this.brToLoop(d)],
            [2, () => this.brTable([], d)],
            [full ? 1 : 0, () => this.brAway(d)],
            [1, () => [OP.nop]],
            [2, () => [...this.memoryOp(d), OP.drop]],
            [full ? 3 : 0, () => this.bulkOp(d)],
            [full ? 4 : 0, () => {
                const n = rng.range(1, 3);
                const rs = [];
                for (let i = 0; i < n; i++) rs.push(rng.pick(TYPES));
                return [...this.multiBlock(rs, d), ...this.consume(rs)];
            }],
            [full ? 2 : 0, () => { const ts = this.randomTypes(2); return [...this.brTable(ts, d), ...this.consume(ts)]; }],
        ];
        return rng.weighted(forms)();
    }

    randomTypes(max) {
        const n = this.rng.range(1, max);
        const ts = [];
        for (let i = 0; i < n; i++) ts.push(this.rng.pick(TYPES));
        return ts;
    }

    globalSet(d) {
        const g = this.rng.pick(this.mg.mutableGlobals);
        const t = this.mg.b.globals[g].type;
        return [...this.expr(t, d - 1), OP.global_set, ...uleb(g)];
    }

    callStmt(d) {
        const mg = this.mg;
        if (this.calls >= mg.maxCalls) return this.store(d);
        if (this.index >= mg.ntable && this.rng.chance(0.4)) {
            const { code, sig } = this.callIndirect(d);
            return [...code, ...this.consume(sig.results)];
        }
        if (this.index === 0) return this.store(d);
        const callee = this.rng.int(this.index);
        return [...this.callTo(callee, d), ...this.consume(mg.sigs[callee].results)];
    }

    /* push several values (mostly local.gets), pop them into locals in another order */
    permute(d) {
        const rng = this.rng;
        const n = rng.range(2, 4);
        const types = [];
        const out = [];
        for (let i = 0; i < n; i++) {
            const t = rng.chance(0.6) && types.length ? types[rng.int(types.length)] : rng.pick(TYPES);
            types.push(t);
            if (rng.chance(0.7) && this.pool[t].length) out.push(OP.local_get, ...uleb(rng.pick(this.pool[t])));
            else out.push(...this.expr(t, d - 1));
        }
        if (rng.chance(0.3)) out.push(...this.stmt(d - 1));
        for (let i = n - 1; i >= 0; i--) {
            if (rng.chance(0.85)) out.push(OP.local_set, ...uleb(this.someLocal(types[i])));
            else if (rng.chance(0.5)) out.push(OP.local_tee, ...uleb(this.someLocal(types[i])), OP.drop);
            else out.push(OP.drop);
        }
        return out;
    }

    /* `values; cond; br_if L; consume` to any label in scope (to loops only when guarded) */
    brIfStmt(d) {
        const rng = this.rng;
        /* prefer the innermost labels */
        const i = this.labels.length - 1 - Math.min(rng.int(4), rng.int(this.labels.length));
        const l = this.labels[i];
        const c = l.kind === 'loop' ? this.guard(l, d) : this.cond(d);
        return [...this.values(l.types, d - 1), ...c, OP.br_if, ...uleb(this.depthOf(i)), ...this.consume(l.types)];
    }

    /* `guard; if; values; br L; end` to an enclosing loop L (a br that needs the if's depth) */
    brToLoop(d) {
        const loops = [];
        this.labels.forEach((l, i) => { if (l.kind === 'loop') loops.push(i); });
        if (!loops.length) return this.brIfStmt(d);
        const i = this.rng.pick(loops);
        const l = this.labels[i];
        const g = this.guard(l, d);
        const vals = this.withLabel({ kind: 'if', types: [] }, () => this.values(l.types, d - 1));
        return [...g, OP.if, 0x40, ...vals, OP.br, ...uleb(this.depthOf(i) + 1), OP.end];
    }

    bulkOp(d) {
        const rng = this.rng, mg = this.mg;
        const small = () => (rng.chance(0.7)
            ? constOp('i32', rng.pick([0, 1, 4, 8, 17, 100]))
            : [...this.expr('i32', d - 1), ...constOp('i32', 0x1f), OP.i32_and]);
        const addr = () => this.address(d);
        switch (rng.int(7)) {
        case 0: return [...addr(), ...this.expr('i32', d - 1), ...small(), 0xfc, 11, 0x00];
        case 1: return [...addr(), ...addr(), ...small(), 0xfc, 10, 0x00, 0x00];
        case 2: {
            const seg = rng.int(mg.b.datas.length);
            return [...addr(), ...constOp('i32', rng.int(24)), ...small(), 0xfc, 8, ...uleb(seg), 0x00];
        }
        case 3: return [0xfc, 9, ...uleb(rng.int(mg.b.datas.length))];
        case 4: {
            const seg = rng.int(mg.b.elems.length);
            return [...constOp('i32', rng.int(mg.b.table.min + 2)), ...constOp('i32', rng.int(4)),
                ...constOp('i32', rng.int(4)), 0xfc, 12, ...uleb(seg), 0x00];
        }
        case 5: return [0xfc, 13, ...uleb(rng.int(mg.b.elems.length))];
        default:
            return [...constOp('i32', rng.int(mg.b.table.min + 1)), ...constOp('i32', rng.int(mg.b.table.min + 1)),
                ...constOp('i32', rng.int(4)), 0xfc, 14, 0x00, 0x00];
        }
    }

    /* the whole body */
    body() {
        const out = [];
        const d = this.mg.depth;
        const n = this.rng.range(1, 5);
        for (let i = 0; i < n; i++) out.push(...this.stmt(d));
        out.push(...this.values(this.sig.results, d + 1));
        return out;
    }
}

/* ---- module generator ---------------------------------------------------------------------- */

class ModuleGen {
    constructor(seed, full, size) {
        this.rng = makeRng(seed);
        this.full = full;
        this.b = new ModuleBuilder();
        this.depth = size.depth;
        this.bodyBudget = size.budget;
        this.maxCalls = 3;
    }

    randomSig() {
        const rng = this.rng;
        const np = rng.int(5);
        const params = [];
        for (let i = 0; i < np; i++) params.push(rng.pick(TYPES));
        const nr = this.full ? rng.weighted([[2, 0], [5, 1], [3, 2], [2, 3]]) : rng.weighted([[1, 0], [4, 1]]);
        const results = [];
        for (let i = 0; i < nr; i++) results.push(rng.pick(TYPES));
        return { params, results };
    }

    globalsOf(t) {
        const out = [];
        this.b.globals.forEach((g, i) => { if (g.type === t && i !== G_FUEL) out.push(i); });
        return out;
    }

    calleesReturning(index, t) {
        const out = [];
        for (let f = 0; f < index; f++) if (this.sigs[f].results.includes(t)) out.push(f);
        return out;
    }

    calleeWithResults(index, results) {
        const out = [];
        for (let f = 0; f < index; f++) if (this.sigs[f].results.join() === results.join()) out.push(f);
        return out.length ? this.rng.pick(out) : null;
    }

    generate() {
        const rng = this.rng, b = this.b;
        const nfuncs = rng.range(2, 6);
        this.ntable = rng.range(1, Math.min(3, nfuncs - 1));
        this.sigs = [];
        for (let i = 0; i < nfuncs; i++) this.sigs.push(this.randomSig());
        /* a couple of table functions often share a type, so that call_indirect matches */
        if (this.ntable > 1 && rng.chance(0.5)) this.sigs[1] = this.sigs[0];

        b.globals.push({ type: 'i32', mut: true, bits: FUEL });
        b.globals.push({ type: 'i32', mut: true, bits: 0 });
        b.globals.push({ type: 'i32', mut: true, bits: 0 });
        b.globals.push({ type: 'f32', mut: true, bits: 0 });
        b.globals.push({ type: 'f64', mut: true, bits: 0n });
        const ng = rng.range(1, 4);
        for (let i = 0; i < ng; i++) {
            const t = rng.pick(TYPES);
            b.globals.push({ type: t, mut: rng.chance(0.8), bits: randomValue(rng, t, false) });
        }
        this.mutableGlobals = [];
        b.globals.forEach((g, i) => { if (g.mut && i !== G_FUEL) this.mutableGlobals.push(i); });

        const tsize = this.ntable + rng.range(1, 3);
        b.table = { min: tsize, max: tsize };
        const elems = [];
        const nelem = rng.range(1, tsize - 1);
        for (let i = 0; i < nelem; i++) elems.push(rng.int(this.ntable));
        b.elems.push({ passive: false, offset: rng.int(tsize - nelem + 1), funcs: elems });
        const pages = rng.range(1, 2);
        b.memory = { min: pages, max: pages + rng.range(0, 2) };
        b.datas.push({ passive: false, offset: rng.int(64), bytes: Array.from({ length: rng.range(4, 24) }, () => rng.int(256)) });
        b.datas.push({ passive: false, offset: pages * 65536 - 16, bytes: Array.from({ length: 16 }, () => rng.int(256)) });
        if (this.full) {
            b.elems.push({ passive: true, funcs: Array.from({ length: rng.range(1, 4) }, () => rng.int(this.ntable)) });
            b.datas.push({ passive: true, offset: 0, bytes: Array.from({ length: rng.range(1, 20) }, () => rng.int(256)) });
            b.dataCount = true;
        }

        /* types of the functions first, then bodies (which may add block types) */
        const typeIdx = this.sigs.map((s) => b.typeIndex(s.params, s.results, false));
        for (let i = 0; i < nfuncs; i++) b.funcs.push({ type: typeIdx[i], locals: [], body: [] });
        for (let i = 0; i < nfuncs; i++) {
            const fg = new FuncGen(this, i, this.sigs[i]);
            const body = fg.body();
            b.funcs[i].body = body;
            b.funcs[i].locals = fg.localTypes.slice(this.sigs[i].params.length);
        }
        for (let i = 0; i < nfuncs; i++) b.exports.push({ name: `f${i}`, kind: 0, index: i });
        b.exports.push({ name: 'tab', kind: 1, index: 0 });
        b.exports.push({ name: 'gci', kind: 3, index: G_CI });
        b.exports.push({ name: 'gnan', kind: 3, index: G_NAN });
        return b.encode();
    }
}

/* ---- the oracle ------------------------------------------------------------------------------ */

function toJs(t, bits) {
    switch (t) {
    case 'i32': return Number(bits) | 0;
    case 'i64': return BigInt.asIntN(64, BigInt(bits));
    case 'f32': return f32FromBits(Number(bits));
    default: return f64FromBits(BigInt(bits));
    }
}

function fromJs(t, v) {
    switch (t) {
    case 'i32': return String(v >>> 0);
    case 'i64': return String(BigInt.asUintN(64, v));
    case 'f32': return String(f32ToBits(v));
    default: return String(f64ToBits(v));
    }
}

/* V8's RuntimeError message → the spec suite's trap text. */
function trapKind(message, inst) {
    switch (message) {
    case 'unreachable': return 'unreachable';
    case 'divide by zero':
    case 'remainder by zero': return 'integer divide by zero';
    case 'divide result unrepresentable': return 'integer overflow';
    case 'float unrepresentable in integer range':
        return inst.exports.gnan.value ? 'invalid conversion to integer' : 'integer overflow';
    case 'memory access out of bounds': return 'out of bounds memory access';
    case 'table index is out of bounds':
    case 'element segment out of bounds': return 'undefined element';
    case 'null function or function signature mismatch': {
        const i = inst.exports.gci.value >>> 0;
        return inst.exports.tab.get(i) === null ? 'uninitialized element' : 'indirect call type mismatch';
    }
    }
    throw new Error(`unexpected V8 trap message: ${message}`);
}

function runCall(module, exp, sig, args) {
    const inst = new WebAssembly.Instance(module, {});
    try {
        const r = inst.exports[exp](...args.map((a, i) => toJs(sig.params[i], a)));
        const rs = sig.results.length === 1 ? [r] : sig.results.length ? r : [];
        return { results: sig.results.map((t, i) => ({ type: t, value: fromJs(t, rs[i]) })) };
    } catch (e) {
        if (!(e instanceof WebAssembly.RuntimeError)) throw e;
        return { trap: trapKind(e.message, inst) };
    }
}

function validate(file, full) {
    const flags = ['--disable-reference-types'];
    if (!full)
        flags.push('--disable-saturating-float-to-int', '--disable-sign-extension',
            '--disable-multi-value', '--disable-bulk-memory');
    const r = spawnSync('wasm-validate', [...flags, file], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run wasm-validate: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${file} is invalid:\n${r.stderr}`);
}

/* One module: generated small enough (retrying smaller), validated, run. */
function makeModule(seed, index, full, outDir, big) {
    const sizes = big ? [{ depth: 7, budget: 300 }]
        : [{ depth: 5, budget: 70 }, { depth: 4, budget: 45 }, { depth: 3, budget: 30 }, { depth: 2, budget: 15 }];
    let bytes, mg;
    for (const size of sizes) {
        mg = new ModuleGen((seed ^ Math.imul(index + 1, 0x9E3779B1)) >>> 0, full, size);
        bytes = mg.generate();
        if (big || bytes.length < 3500) break;
    }
    const file = `m${String(index).padStart(3, '0')}.wasm`;
    const fullPath = path.join(outDir, file);
    fs.writeFileSync(fullPath, bytes);
    validate(fullPath, full);
    const module = new WebAssembly.Module(bytes);
    const rng = makeRng((seed + index * 7919) >>> 0);
    const calls = [];
    mg.sigs.forEach((sig, f) => {
        const n = rng.range(3, 5);
        for (let k = 0; k < n; k++) {
            const args = sig.params.map((t) => String(randomValue(rng, t, true)));
            const r = runCall(module, `f${f}`, sig, args);
            calls.push({ export: `f${f}`, args: args.map((v, i) => ({ type: sig.params[i], value: v })), ...r });
        }
    });
    return { module: file, profile: full ? 'full' : 'mvp', calls, size: bytes.length };
}

function main() {
    const opt = parseArgs(process.argv);
    fs.mkdirSync(opt.out, { recursive: true });
    for (const f of fs.readdirSync(opt.out))
        if (/^m\d+\.wasm$/.test(f)) fs.unlinkSync(path.join(opt.out, f));
    const modules = [];
    let ncalls = 0, ntraps = 0, bytes = 0;
    for (let i = 0; i < opt.count; i++) {
        const m = makeModule(opt.seed, i, i % 2 === 1, opt.out, opt.big);
        bytes += m.size;
        delete m.size;
        ncalls += m.calls.length;
        ntraps += m.calls.filter((c) => c.trap).length;
        modules.push(m);
    }
    /* one module per line: small diffs, easy to grep */
    const text = '{"seed":' + opt.seed + ',"modules":[\n' +
        modules.map((m) => JSON.stringify(m)).join(',\n') + '\n]}\n';
    fs.writeFileSync(path.join(opt.out, 'expected.json'), text);
    console.log(`${modules.length} modules (${bytes} bytes), ${ncalls} calls, ${ntraps} traps; ` +
        `expected.json ${text.length} bytes`);
}

main();
