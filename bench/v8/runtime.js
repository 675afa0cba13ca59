#!/usr/bin/env node
/*
 * bench/v8/runtime.js — call one export of a real Substrate runtime in V8 (node 20),
 * with the host functions written in JS, the way `pvf call` calls it in pvf; the V8
 * half of bench/runtime.sh.
 *
 *   node bench/v8/runtime.js FILE --export NAME [--input FILE] [--runs N] [--json] [--output]
 *                            [--host-time]
 *
 * N (runs, each on a fresh instance) defaults to 10. FILE is plain wasm or a
 * compressed code blob (8-byte magic 52 BC 53 76 46 DB 8E 05 + a zstd frame);
 * node 20's zlib has no zstd, so the `zstd` command decompresses it. --input FILE:
 * the call's input bytes (empty without it), e.g. a parachain block's ValidationParams
 * for validate_block, as `pvf build-block` writes them:
 *
 *   node bench/v8/runtime.js PREFIX.code --export validate_block --input PREFIX-2.params --json
 *
 * The call convention is the reference's (reference-behaviour.md §5.3): a fresh
 * instance per call, a freeing-bump allocator starting at `__heap_base`, the input
 * placed by its first allocation, `NAME(ptr, len) -> i64` with the output at
 * ptr = low 32 bits, len = high 32 bits. The memory import `env.memory` gets a memory
 * of the import's declared minimum and a maximum of 2080 pages (the PVF default), or
 * the import's own maximum when it declares a smaller one.
 *
 * Host functions (arguments as sp-runtime-interface passes them: a slice is an i64
 * ptr | len << 32, a fixed-size array an i32 pointer, a bool an i32; a returned hash is
 * a pointer to memory the runtime's allocator gave):
 *   - the allocator (bit-exact freeing-bump, §5.6) and logging (max level 0 = off; log
 *     is a no-op) — all that Core_version and Metadata_metadata of the shared runtimes
 *     call; ext_misc_print_{num,utf8,hex} as no-ops;
 *   - hashing: sha2_256 through node's crypto, blake2b-128/256 and twox-64/128/256
 *     written here;
 *   - what validate_block of cumulus parachains (glutton, tick, asset-hub-westend) calls
 *     besides: ext_trie_blake2_256_ordered_root_version_{1,2} (the Substrate trie
 *     written here: the root of SCALE-compact(i) -> value_i, layout V0 or V1),
 *     ext_crypto_sr25519_verify_version_2 (@scure/sr25519 from tests/gen/node/node_modules,
 *     `npm ci` there installs it: schnorrkel's verify with the signing context "substrate",
 *     except that it refuses the identity public key; loaded and warmed up before the timed
 *     runs, and only when the module imports an sr25519 function),
 *     ext_crypto_ed25519_verify_version_1 (OpenSSL's, through node: RFC 8032 where
 *     Substrate's ed25519-zebra follows ZIP-215; they differ only on non-canonical encodings
 *     and small-order points: 23 of tests/data/ed25519_vectors.tsv's 147 cases),
 *     ext_crypto_start/finish_batch_verify_version_1 and the legacy
 *     {ed25519,sr25519}_batch_verify_version_1 (these verify at once; finish returns 1
 *     when every batch_verify since start succeeded, so 1 when there was none).
 * Any other import traps with "call to a missing function env:NAME" when called, as in
 * the reference: ext_storage_*, child storage and offchain ones among them, which
 * validate_block does not call (cumulus brings its own storage, over the PoV's proof).
 *
 * Output, one JSON line with --json:
 *   compile_ms      wall time of `new WebAssembly.Module` (decompression excluded);
 *   call_ms         best (lowest) of N runs of: new WebAssembly.Instance + allocator
 *                   set-up + input allocation + the call + copying the output out,
 *                   wall time, a fresh instance each run, the module compiled once;
 *   first_call_ms   the same for run 1 alone, which also pays for compiling (lazily,
 *                   with Liftoff) every function the call reaches;
 *   output_sha256, output_len; output (hex) too with --output;
 *   host_ms         with --host-time: wall time spent inside host functions during the
 *                   best run (each host call is timed, which adds a little to call_ms).
 *                   The host functions are JS: blake2b of validate_block's proof (400 KB
 *                   for asset-hub-westend) or an sr25519 verification (~3 ms) costs far more
 *                   here than in pvf's C, so host_ms tells engine time from host time.
 * Exit 0 when the call returned, 1 when it failed (JSON {"ok":false,"error":…}).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { performance } = require('perf_hooks');

const BLOB_MAGIC = Buffer.from([0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05]);
const DEFAULT_HEAP_PAGES = 2080;       // 2048 extra + 32 estimate (§4.2)
const CODE_BOMB_LIMIT = 30 << 20;      // what pvf uses for tests
const PAGE = 65536;

class HostError extends Error {}

function usage() {
    process.stderr.write('usage: node bench/v8/runtime.js FILE --export NAME [--input FILE] [--runs N] [--json] [--output] [--host-time]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const o = { file: null, exportName: null, input: null, runs: 10, json: false, output: false, hostTime: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--export' && i + 1 < argv.length) o.exportName = argv[++i];
        else if (a === '--input' && i + 1 < argv.length) o.input = argv[++i];
        else if (a === '--runs' && i + 1 < argv.length) o.runs = Number(argv[++i]);
        else if (a === '--json') o.json = true;
        else if (a === '--output') o.output = true;
        else if (a === '--host-time') o.hostTime = true;
        else if (a.startsWith('-') || o.file) usage();
        else o.file = a;
    }
    if (!o.file || !o.exportName || !Number.isInteger(o.runs) || o.runs < 1) usage();
    return o;
}

/* ---- the code blob ------------------------------------------------------------------ */

function readCode(file) {
    const raw = fs.readFileSync(file);
    if (raw.length < 8 || !raw.subarray(0, 8).equals(BLOB_MAGIC)) return raw;
    // Read at most limit + 1 bytes, as the reference does, so a bomb is told apart.
    const wasm = execFileSync('zstd', ['-d', '-q', '-c'], {
        input: raw.subarray(8), maxBuffer: CODE_BOMB_LIMIT + 1,
    });
    return wasm;
}

/* ---- the memory import's limits (WebAssembly.Module.imports does not give them) ---- */

function leb(bytes, pos) {
    let result = 0, shift = 0, b;
    do {
        if (pos.at >= bytes.length) throw new Error('truncated LEB128 in the import section');
        b = bytes[pos.at++];
        result += (b & 0x7f) * 2 ** shift;
        shift += 7;
    } while (b & 0x80);
    return result;
}

function skipName(bytes, pos) {
    const n = leb(bytes, pos);
    const s = bytes.subarray(pos.at, pos.at + n).toString('utf8');
    pos.at += n;
    return s;
}

function readLimits(bytes, pos) {
    const flags = bytes[pos.at++];
    const min = leb(bytes, pos);
    const max = flags & 1 ? leb(bytes, pos) : null;
    return { min, max };
}

/* The limits of the imported memory `env.memory`, or null when there is none. */
function memoryImportLimits(bytes) {
    const pos = { at: 8 };
    while (pos.at < bytes.length) {
        const id = bytes[pos.at++];
        const size = leb(bytes, pos);
        const end = pos.at + size;
        if (id !== 2) { pos.at = end; continue; }
        const count = leb(bytes, pos);
        for (let i = 0; i < count; i++) {
            const mod = skipName(bytes, pos), name = skipName(bytes, pos);
            const kind = bytes[pos.at++];
            if (kind === 0) leb(bytes, pos);                                   // function: type index
            else if (kind === 1) { pos.at++; readLimits(bytes, pos); }         // table: reftype + limits
            else if (kind === 3) pos.at += 2;                                  // global: valtype + mut
            else if (kind === 2) {
                const lim = readLimits(bytes, pos);
                if (mod === 'env' && name === 'memory') return lim;
            } else throw new Error(`unknown import kind ${kind}`);
        }
        return null;
    }
    return null;
}

/* ---- freeing-bump allocator (reference-behaviour.md §5.6) --------------------------- */

const NIL = 0xffffffff;
const N_ORDERS = 23;
const MAX_ALLOCATION = 1 << 25;         // 32 MiB

class FreeingBump {
    constructor(heapBase, memory, maxPages) {
        this.bumper = (heapBase + 7) & ~7;
        this.heads = new Array(N_ORDERS).fill(NIL);
        this.memory = memory;
        this.maxPages = maxPages;
        this.poisoned = false;
        this.lastSize = memory.buffer.byteLength;
    }
    fail(msg) {
        this.poisoned = true;
        throw new HostError(`allocator: ${msg}`);
    }
    view() { return new DataView(this.memory.buffer); }
    checkNotShrunk() {
        const size = this.memory.buffer.byteLength;
        if (size < this.lastSize) this.fail('memory shrank');
        this.lastSize = size;
        return size;
    }
    malloc(size) {
        if (this.poisoned) throw new HostError('allocator poisoned');
        let memSize = this.checkNotShrunk();
        if (size > MAX_ALLOCATION) this.fail(`requested allocation too large (${size})`);
        let order = 0;
        while ((8 << order) < size) order++;
        const orderSize = 8 << order;
        let header;
        if (this.heads[order] !== NIL) {
            header = this.heads[order];
            if (header + orderSize + 8 > memSize) this.fail('invalid header pointer detected');
            const v = this.view();
            if (v.getUint32(header + 4, true) & 1) this.fail('free list entry is not free');
            this.heads[order] = v.getUint32(header, true);
        } else {
            const required = this.bumper + orderSize + 8;
            if (required > memSize) {
                const cur = memSize / PAGE, requiredPages = Math.ceil(required / PAGE);
                if (cur >= this.maxPages || requiredPages > this.maxPages)
                    this.fail(`out of space (${required} bytes needed, ${this.maxPages} pages at most)`);
                const target = Math.max(Math.min(cur * 2, this.maxPages), requiredPages);
                this.memory.grow(target - cur);
                memSize = this.checkNotShrunk();
            }
            header = this.bumper;
            this.bumper += orderSize + 8;
        }
        const v = this.view();
        v.setUint32(header, order, true);
        v.setUint32(header + 4, 1, true);          // bit 32: occupied
        return header + 8;
    }
    free(ptr) {
        if (this.poisoned) throw new HostError('allocator poisoned');
        const memSize = this.checkNotShrunk();
        if (ptr < 8 || ptr - 8 + 8 > memSize) this.fail(`invalid pointer ${ptr}`);
        const header = ptr - 8, v = this.view();
        const order = v.getUint32(header, true);
        if (!(v.getUint32(header + 4, true) & 1) || order >= N_ORDERS)
            this.fail(`freeing ${ptr}, which is not allocated`);
        v.setUint32(header, this.heads[order], true);
        v.setUint32(header + 4, 0, true);
        this.heads[order] = header;
    }
}

/* ---- hashing: BLAKE2b and xxHash64 ---------------------------------------------------
 * Both on 32-bit halves of the 64-bit words, in plain numbers: with BigInt arithmetic,
 * hashing took most of validate_block's time (blake2_256 of a 400 KB proof: ~300 ms). */

const TWO32 = 0x100000000;
const BLAKE2B_IV = new Int32Array([      // (lo, hi) of each 64-bit word
    0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
    0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);
const SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const SIGMA2 = new Uint8Array(SIGMA.flat().map((i) => 2 * i));  // as indices into the (lo, hi) message words
const b2v = new Int32Array(32), b2m = new Int32Array(32);

/* The mixing function on words a, b, c, d of v (indices of their lo halves), message words x, y.
 * Values are int32 (| 0); a sum of lo halves is taken unsigned (>>> 0) to get the carry. */
function b2g(v, m, a, b, c, d, x, y) {
    let alo = v[a], ahi = v[a + 1], blo = v[b], bhi = v[b + 1];
    let clo = v[c], chi = v[c + 1], dlo = v[d], dhi = v[d + 1], t, xl, xh;
    t = (alo >>> 0) + (blo >>> 0) + (m[x] >>> 0); ahi = (ahi + bhi + m[x + 1] + ((t / TWO32) | 0)) | 0; alo = t | 0;
    xl = dlo ^ alo; dlo = dhi ^ ahi; dhi = xl;                                  // d = (d ^ a) >>> 32
    t = (clo >>> 0) + (dlo >>> 0); chi = (chi + dhi + ((t / TWO32) | 0)) | 0; clo = t | 0;
    xl = blo ^ clo; xh = bhi ^ chi;                                             // b = (b ^ c) >>> 24
    blo = (xl >>> 24) | (xh << 8); bhi = (xh >>> 24) | (xl << 8);
    t = (alo >>> 0) + (blo >>> 0) + (m[y] >>> 0); ahi = (ahi + bhi + m[y + 1] + ((t / TWO32) | 0)) | 0; alo = t | 0;
    xl = dlo ^ alo; xh = dhi ^ ahi;                                             // d = (d ^ a) >>> 16
    dlo = (xl >>> 16) | (xh << 16); dhi = (xh >>> 16) | (xl << 16);
    t = (clo >>> 0) + (dlo >>> 0); chi = (chi + dhi + ((t / TWO32) | 0)) | 0; clo = t | 0;
    xl = blo ^ clo; xh = bhi ^ chi;                                             // b = (b ^ c) >>> 63
    blo = (xl << 1) | (xh >>> 31); bhi = (xh << 1) | (xl >>> 31);
    v[a] = alo; v[a + 1] = ahi; v[b] = blo; v[b + 1] = bhi;
    v[c] = clo; v[c + 1] = chi; v[d] = dlo; v[d + 1] = dhi;
}

/* Compress the 128-byte block at bytes[off..]; t = bytes hashed so far, this block included. */
function b2compress(h, bytes, off, t, last) {
    const v = b2v, m = b2m;
    for (let i = 0; i < 16; i++) { v[i] = h[i]; v[i + 16] = BLAKE2B_IV[i]; }
    v[24] ^= t;
    v[25] ^= t / TWO32;
    if (last) { v[28] = ~v[28]; v[29] = ~v[29]; }
    for (let i = 0; i < 32; i++, off += 4)
        m[i] = bytes[off] | bytes[off + 1] << 8 | bytes[off + 2] << 16 | bytes[off + 3] << 24;
    for (let r = 0, s = 0; r < 12; r++, s = s === 144 ? 0 : s + 16) {       // s: SIGMA[r % 10]
        const S = SIGMA2;
        b2g(v, m, 0, 8, 16, 24, S[s], S[s + 1]); b2g(v, m, 2, 10, 18, 26, S[s + 2], S[s + 3]);
        b2g(v, m, 4, 12, 20, 28, S[s + 4], S[s + 5]); b2g(v, m, 6, 14, 22, 30, S[s + 6], S[s + 7]);
        b2g(v, m, 0, 10, 20, 30, S[s + 8], S[s + 9]); b2g(v, m, 2, 12, 22, 24, S[s + 10], S[s + 11]);
        b2g(v, m, 4, 14, 16, 26, S[s + 12], S[s + 13]); b2g(v, m, 6, 8, 18, 28, S[s + 14], S[s + 15]);
    }
    for (let i = 0; i < 16; i++) h[i] ^= v[i] ^ v[i + 16];
}

function blake2b(data, outLen) {
    const h = new Int32Array(BLAKE2B_IV);
    h[0] ^= 0x01010000 ^ outLen;
    let off = 0;
    // Every full block but the last is compressed as soon as more data follows it.
    for (; data.length - off > 128; off += 128) b2compress(h, data, off, off + 128, false);
    const block = Buffer.alloc(128);
    data.copy(block, 0, off);
    b2compress(h, block, 0, data.length, true);
    const out = Buffer.alloc(outLen);
    for (let i = 0; i < outLen; i++) out[i] = h[i >> 2] >>> 8 * (i & 3);
    return out;
}

/* xxHash64 on (hi, lo) pairs of 32-bit numbers: each helper returns the low half of its
 * 64-bit result and leaves the high half in xhi. */
let xhi = 0;
const P1 = [0x9e3779b1, 0x85ebca87], P2 = [0xc2b2ae3d, 0x27d4eb4f], P3 = [0x165667b1, 0x9e3779f9];
const P4 = [0x85ebca77, 0xc2b2ae63], P5 = [0x27d4eb2f, 0x165667c5];
const NEG_P1 = [0x61c8864e, 0x7a143579];                    // 2^64 - P1
const P1P2 = [0x60ea27ee, 0xadc0b5d6];                      // P1 + P2 mod 2^64

function add64(ah, al, bh, bl) {
    const t = al + bl;
    xhi = (ah + bh + (t >= TWO32 ? 1 : 0)) >>> 0;
    return t >>> 0;
}

/* The low 64 bits of a * b: 16-bit pieces keep every partial product exact. */
function mul64(ah, al, bh, bl) {
    const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
    const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    xhi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
    return ((p00 & 0xffff) | (mid << 16)) >>> 0;
}

function rotl64(h, l, n) {          // 0 < n < 32
    xhi = ((h << n) | (l >>> (32 - n))) >>> 0;
    return ((l << n) | (h >>> (32 - n))) >>> 0;
}

/* rotl(acc + lane * P2, 31) * P1 */
function xxRound(ah, al, lh, ll) {
    let l = mul64(lh, ll, P2[0], P2[1]);
    l = add64(ah, al, xhi, l);
    l = rotl64(xhi, l, 31);
    return mul64(xhi, l, P1[0], P1[1]);
}

/* The 64-bit little-endian word at data[off..off+8), its high half in xhi. */
function u64At(data, off) {
    xhi = (data[off + 4] | data[off + 5] << 8 | data[off + 6] << 16 | data[off + 7] << 24) >>> 0;
    return (data[off] | data[off + 1] << 8 | data[off + 2] << 16 | data[off + 3] << 24) >>> 0;
}

/* xxHash64 of data with a small integer seed, as [hi, lo]. */
function xxh64(data, seed) {
    const len = data.length;
    let off = 0, h, l, t;
    if (len >= 32) {
        const v = [0, 0, 0, 0, 0, seed, 0, 0];     // hi, lo of the four lanes
        v[1] = add64(P1P2[0], P1P2[1], 0, seed); v[0] = xhi;
        v[3] = add64(P2[0], P2[1], 0, seed); v[2] = xhi;
        v[7] = add64(NEG_P1[0], NEG_P1[1], 0, seed); v[6] = xhi;
        for (; off + 32 <= len; off += 32)
            for (let i = 0; i < 8; i += 2) {
                t = u64At(data, off + 4 * i);
                v[i + 1] = xxRound(v[i], v[i + 1], xhi, t);
                v[i] = xhi;
            }
        l = rotl64(v[0], v[1], 1); h = xhi;
        t = rotl64(v[2], v[3], 7); l = add64(h, l, xhi, t); h = xhi;
        t = rotl64(v[4], v[5], 12); l = add64(h, l, xhi, t); h = xhi;
        t = rotl64(v[6], v[7], 18); l = add64(h, l, xhi, t); h = xhi;
        for (let i = 0; i < 8; i += 2) {
            // acc = (acc ^ round(0, v)) * P1 + P4
            t = xxRound(0, 0, v[i], v[i + 1]);
            l = mul64((h ^ xhi) >>> 0, (l ^ t) >>> 0, P1[0], P1[1]);
            l = add64(xhi, l, P4[0], P4[1]); h = xhi;
        }
    } else {
        l = add64(P5[0], P5[1], 0, seed); h = xhi;
    }
    l = add64(h, l, 0, len); h = xhi;
    for (; off + 8 <= len; off += 8) {
        // acc = rotl(acc ^ round(0, lane), 27) * P1 + P4
        t = u64At(data, off);
        t = xxRound(0, 0, xhi, t);
        l = rotl64((h ^ xhi) >>> 0, (l ^ t) >>> 0, 27);
        l = mul64(xhi, l, P1[0], P1[1]);
        l = add64(xhi, l, P4[0], P4[1]); h = xhi;
    }
    if (off + 4 <= len) {
        // acc = rotl(acc ^ (u32 * P1), 23) * P2 + P3
        t = mul64(0, (data[off] | data[off + 1] << 8 | data[off + 2] << 16 | data[off + 3] << 24) >>> 0, P1[0], P1[1]);
        l = rotl64((h ^ xhi) >>> 0, (l ^ t) >>> 0, 23);
        l = mul64(xhi, l, P2[0], P2[1]);
        l = add64(xhi, l, P3[0], P3[1]); h = xhi;
        off += 4;
    }
    for (; off < len; off++) {
        // acc = rotl(acc ^ (byte * P5), 11) * P1
        t = mul64(0, data[off], P5[0], P5[1]);
        l = rotl64((h ^ xhi) >>> 0, (l ^ t) >>> 0, 11);
        l = mul64(xhi, l, P1[0], P1[1]); h = xhi;
    }
    l = mul64(h, (l ^ (h >>> 1)) >>> 0, P2[0], P2[1]); h = xhi;                         // acc ^= acc >> 33; * P2
    l = mul64((h ^ (h >>> 29)) >>> 0, (l ^ ((l >>> 29) | (h << 3))) >>> 0, P3[0], P3[1]); h = xhi;   // >> 29; * P3
    return [h, (l ^ h) >>> 0];                                                          // acc ^= acc >> 32
}

/* Substrate's twox_N: N/64 xxHash64 with seeds 0, 1, …, each little-endian, concatenated. */
function twox(data, bits) {
    const out = Buffer.alloc(bits / 8);
    for (let i = 0; i < bits / 64; i++) {
        const [h, l] = xxh64(data, i);
        out.writeUInt32LE(l, i * 8);
        out.writeUInt32LE(h, i * 8 + 4);
    }
    return out;
}

/* ---- SCALE, just what the trie host functions read and write ------------------------- */

/* A SCALE compact integer at pos.at that fits in a u32 (lengths and counts), strictly
 * encoded as parity-scale-codec wants it. */
function readCompactU32(buf, pos) {
    const need = (n) => {
        if (pos.at + n > buf.length) throw new HostError('cannot decode the argument: not enough data');
    };
    need(1);
    const b = buf[pos.at];
    let v, min;
    switch (b & 3) {
    case 0: pos.at += 1; return b >>> 2;
    case 1: need(2); v = buf.readUInt16LE(pos.at) >>> 2; min = 1 << 6; pos.at += 2; break;
    case 2: need(4); v = buf.readUInt32LE(pos.at) >>> 2; min = 1 << 14; pos.at += 4; break;
    default:
        if (b >>> 2 !== 0) throw new HostError('cannot decode the argument: out of range compact');
        need(5); v = buf.readUInt32LE(pos.at + 1); min = 2 ** 30; pos.at += 5; break;
    }
    if (v < min) throw new HostError('cannot decode the argument: non-canonical compact');
    return v;
}

/* Vec<Vec<u8>>: views into buf (bytes after the vector are ignored, as the reference does). */
function readByteVecs(buf) {
    const pos = { at: 0 };
    const n = readCompactU32(buf, pos);
    if (n > buf.length - pos.at) throw new HostError('cannot decode the argument: not enough data');
    const out = [];
    for (let i = 0; i < n; i++) {
        const len = readCompactU32(buf, pos);
        if (len > buf.length - pos.at) throw new HostError('cannot decode the argument: not enough data');
        out.push(buf.subarray(pos.at, pos.at + len));
        pos.at += len;
    }
    return out;
}

function compact(n) {
    if (n < 1 << 6) return Buffer.from([n << 2]);
    if (n < 1 << 14) { const b = Buffer.alloc(2); b.writeUInt16LE(n * 4 + 1); return b; }
    if (n < 2 ** 30) { const b = Buffer.alloc(4); b.writeUInt32LE(n * 4 + 2); return b; }
    const b = Buffer.alloc(5);          // n < 2^32 here: 4 bytes in "big integer" mode
    b[0] = 3;
    b.writeUInt32LE(n, 1);
    return b;
}

/* ---- the Substrate trie root (src/runtime/trie.h, trie_codec.h) -------------------------
 *
 * A node is: header (kind + partial-key length in nibbles), the partial key packed two
 * nibbles a byte (an odd count leaves the first byte's high nibble 0), then for a branch a
 * u16 LE child bitmap; the value (compact length + bytes, or its 32-byte hash); for a branch
 * each present child as compact length + bytes: the child's encoding when shorter than 32
 * bytes, else its hash. Layout V1 stores values of 33 bytes or more as their hash ("hashed
 * value" headers); V0 always inline. The root is the hash of the root node's encoding (of
 * 0x00 for the empty trie), whatever its length.
 */

/* First byte and number of prefix bits of each header kind. */
const HDR_LEAF = [0x40, 2], HDR_BRANCH = [0x80, 2], HDR_BRANCH_VALUE = [0xc0, 2];
const HDR_HASHED_LEAF = [0x20, 3], HDR_HASHED_BRANCH = [0x10, 4];
const VALUE_NODE_THRESHOLD = 33;

const nibbleAt = (bytes, i) => (i & 1 ? bytes[i >> 1] & 0x0f : bytes[i >> 1] >> 4);

function writeHeader(out, [prefix, bits], nibbles) {
    const max = 0xff >> bits;
    if (nibbles < max) { out.push(prefix + nibbles); return; }
    out.push(prefix + max);
    let rem = nibbles - (max - 1);
    for (; rem >= 256; rem -= 255) out.push(255);
    out.push(rem - 1);
}

/* `count` nibbles of `bytes` from nibble `first`, packed. */
function writePartial(out, bytes, first, count) {
    let i = first;
    const end = first + count;
    if (count & 1) out.push(nibbleAt(bytes, i++));
    for (; i < end; i += 2) out.push(nibbleAt(bytes, i) << 4 | nibbleAt(bytes, i + 1));
}

/* The node of the sorted, unique entries e[lo, hi), all sharing their first `cursor` nibbles. */
function encodeNode(t, e, lo, hi, cursor) {
    const out = [];     // header, partial key, bitmap: bytes
    // A value as the layout stores it: its hash, or compact length + the bytes.
    const value = (v) => (t.v1 && v.length >= VALUE_NODE_THRESHOLD ? [t.hash(v)] : [compact(v.length), v]);
    if (hi - lo === 1) {
        const [key, v] = e[lo], stored = value(v);
        writeHeader(out, stored.length === 1 ? HDR_HASHED_LEAF : HDR_LEAF, 2 * key.length - cursor);
        writePartial(out, key, cursor, 2 * key.length - cursor);
        return Buffer.concat([Buffer.from(out), ...stored]);
    }
    // The entries are sorted: what the first and the last share, all share.
    const a = e[lo][0], b = e[hi - 1][0], n = Math.min(a.length, b.length);
    let i = cursor >> 1;
    while (i < n && a[i] === b[i]) i++;
    const shared = i === n ? 2 * n : 2 * i + ((a[i] >> 4) === (b[i] >> 4) ? 1 : 0);
    const at = Math.max(shared, cursor);
    const hasValue = 2 * a.length === at;       // only the smallest key can end here
    let bitmap = 0;
    for (let j = lo + (hasValue ? 1 : 0); j < hi; j++) bitmap |= 1 << nibbleAt(e[j][0], at);
    const stored = hasValue ? value(e[lo][1]) : [];
    writeHeader(out, !hasValue ? HDR_BRANCH : stored.length === 1 ? HDR_HASHED_BRANCH : HDR_BRANCH_VALUE, at - cursor);
    writePartial(out, a, cursor, at - cursor);
    out.push(bitmap & 0xff, bitmap >> 8);
    const parts = [Buffer.from(out), ...stored];
    // Each child: the run of entries with the same nibble at `at`.
    for (let j = lo + (hasValue ? 1 : 0); j < hi;) {
        const nib = nibbleAt(e[j][0], at);
        let k = j + 1;
        while (k < hi && nibbleAt(e[k][0], at) === nib) k++;
        const child = encodeNode(t, e, j, k, at + 1);
        parts.push(child.length < 32 ? compact(child.length) : compact(32), child.length < 32 ? child : t.hash(child));
        j = k;
    }
    return Buffer.concat(parts);
}

/* The root of the trie of entries [key, value] (any order; a repeated key: the last wins). */
function trieRoot(entries, v1, hash) {
    const sorted = entries.map((x, i) => [x[0], x[1], i])
        .sort((x, y) => Buffer.compare(x[0], y[0]) || x[2] - y[2]);
    const e = sorted.filter((x, i) => i + 1 === sorted.length || !sorted[i + 1][0].equals(x[0]));
    if (e.length === 0) return hash(Buffer.from([0]));
    return hash(encodeNode({ v1, hash }, e, 0, e.length, 0));
}

/* The root of the trie mapping SCALE-compact(i) to values[i]. */
const orderedTrieRoot = (values, v1, hash) => trieRoot(values.map((v, i) => [compact(i), v]), v1, hash);

/* ---- signature verification ------------------------------------------------------------ */

/* sr25519 is @scure/sr25519 (schnorrkel's verify with the signing context "substrate"), from
 * tests/gen/node/node_modules; loadSr25519 is called before the timed runs when the module
 * imports an sr25519 function, and a missing package fails only a call that needs it. */
const SR25519_PATH = path.join(__dirname, '..', '..', 'tests', 'gen', 'node', 'node_modules', '@scure', 'sr25519');
let sr25519 = null, sr25519Error = null;

function loadSr25519() {
    if (sr25519 || sr25519Error) return;
    try {
        sr25519 = require(SR25519_PATH);
    } catch (e) {
        sr25519Error = `sr25519: cannot load @scure/sr25519 from ${SR25519_PATH} (run npm ci in tests/gen/node): ${e.message.split('\n')[0]}`;
        return;
    }
    // The library builds its base-point tables on first use: do that here, untimed.
    const secret = sr25519.secretFromSeed(new Uint8Array(32).fill(7)), msg = new Uint8Array(1);
    if (!sr25519.verify(msg, sr25519.sign(secret, msg), sr25519.getPublicKey(secret)))
        throw new Error('sr25519: @scure/sr25519 rejects its own signature');
}

function sr25519Verify(sig, msg, pub) {
    if (!sr25519) throw new HostError(sr25519Error || 'sr25519: @scure/sr25519 not loaded');
    try {
        return sr25519.verify(msg, sig, pub);
    } catch (e) {
        return false;       // no schnorrkel marker, a point that does not decode, s out of range
    }
}

/* ed25519: OpenSSL's, through node. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

function ed25519Verify(sig, msg, pub) {
    try {
        const key = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI, pub]), format: 'der', type: 'spki' });
        return crypto.verify(null, msg, key, sig);
    } catch (e) {
        return false;
    }
}

/* ---- host functions ------------------------------------------------------------------ */

function makeHost(hostTime) {
    const host = { memory: null, alloc: null, batch: null, hostMs: null };
    const fixedAt = (ptr, len) => {
        ptr >>>= 0;
        if (ptr + len > host.memory.buffer.byteLength) throw new HostError(`bytes out of bounds at ${ptr}+${len}`);
        return Buffer.from(host.memory.buffer, ptr, len);
    };
    // A slice: i64 ptr | len << 32. The view is into the memory: use it before the next malloc.
    const bytesAt = (ptrSize) => {
        const ptr = Number(BigInt.asUintN(64, ptrSize) & 0xffffffffn), len = Number(BigInt.asUintN(64, ptrSize) >> 32n);
        return fixedAt(ptr, len);
    };
    // The result of a fixed-size hash lives in memory allocated by the runtime's allocator.
    const hashTo = (fn) => (ptrSize) => {
        const digest = fn(bytesAt(ptrSize));
        const ptr = host.alloc.malloc(digest.length);
        Buffer.from(host.memory.buffer, ptr, digest.length).set(digest);
        return ptr;
    };
    const blake2_256 = (d) => blake2b(d, 32);
    // ext_trie_*_ordered_root: (Vec<Vec<u8>> slice[, state version]) -> pointer to the 32-byte root.
    // Only the version's low byte counts (sp-runtime-interface truncates it to u8): 0 = V0, 1 = V1.
    const orderedRoot = (hash) => (input, version = 0) => {
        const v = version & 0xff;
        if (v > 1) throw new HostError(`trie: invalid state version ${v}`);
        return hashTo((d) => orderedTrieRoot(readByteVecs(d), v === 1, hash))(input);
    };
    // (signature pointer, message slice, public key pointer) -> bool.
    const verify = (fn) => (sig, msg, pub) => (fn(fixedAt(sig, 64), bytesAt(msg), fixedAt(pub, 32)) ? 1 : 0);
    // The legacy *_batch_verify: verify now; inside start/finish, AND the result into the batch.
    const batchVerify = (fn) => (sig, msg, pub) => {
        const ok = verify(fn)(sig, msg, pub);
        if (host.batch) host.batch.ok = host.batch.ok && ok === 1;
        return ok;
    };
    host.functions = {
        ext_allocator_malloc_version_1: (size) => host.alloc.malloc(size >>> 0),
        ext_allocator_free_version_1: (ptr) => host.alloc.free(ptr >>> 0),
        ext_logging_max_level_version_1: () => 0,
        ext_logging_log_version_1: () => {},
        ext_hashing_sha2_256_version_1: hashTo((d) => crypto.createHash('sha256').update(d).digest()),
        ext_hashing_blake2_128_version_1: hashTo((d) => blake2b(d, 16)),
        ext_hashing_blake2_256_version_1: hashTo(blake2_256),
        ext_hashing_twox_64_version_1: hashTo((d) => twox(d, 64)),
        ext_hashing_twox_128_version_1: hashTo((d) => twox(d, 128)),
        ext_hashing_twox_256_version_1: hashTo((d) => twox(d, 256)),
        ext_trie_blake2_256_ordered_root_version_1: orderedRoot(blake2_256),
        ext_trie_blake2_256_ordered_root_version_2: orderedRoot(blake2_256),
        ext_crypto_ed25519_verify_version_1: verify(ed25519Verify),
        ext_crypto_sr25519_verify_version_2: verify(sr25519Verify),
        ext_crypto_ed25519_batch_verify_version_1: batchVerify(ed25519Verify),
        ext_crypto_sr25519_batch_verify_version_1: batchVerify(sr25519Verify),
        ext_crypto_start_batch_verify_version_1: () => {
            if (host.batch) throw new HostError('Failed to register required extension: `VerificationExt`');
            host.batch = { ok: true };
        },
        ext_crypto_finish_batch_verify_version_1: () => {
            if (!host.batch) throw new HostError('`finish_batch_verify` should only be called after `start_batch_verify`');
            const ok = host.batch.ok;
            host.batch = null;
            return ok ? 1 : 0;
        },
        ext_misc_print_num_version_1: () => {},
        ext_misc_print_utf8_version_1: () => {},
        ext_misc_print_hex_version_1: () => {},
    };
    if (hostTime) {
        host.hostMs = 0;
        for (const [name, fn] of Object.entries(host.functions)) {
            host.functions[name] = (...args) => {
                const t0 = performance.now();
                try { return fn(...args); } finally { host.hostMs += performance.now() - t0; }
            };
        }
    }
    return host;
}

function resolveImports(module, host, memLimits) {
    const env = {};
    for (const imp of WebAssembly.Module.imports(module)) {
        if (imp.module !== 'env') throw new Error(`import ${imp.module}:${imp.name} is not from module env`);
        if (imp.kind === 'memory') {
            const max = memLimits.max !== null && memLimits.max < DEFAULT_HEAP_PAGES ? memLimits.max : DEFAULT_HEAP_PAGES;
            host.memory = new WebAssembly.Memory({ initial: memLimits.min, maximum: max });
            host.maxPages = max;
            env[imp.name] = host.memory;
        } else if (imp.kind === 'function') {
            env[imp.name] = host.functions[imp.name] ||
                (() => { throw new HostError(`call to a missing function env:${imp.name}`); });
        } else {
            throw new Error(`cannot provide import env:${imp.name} (${imp.kind})`);
        }
    }
    return env;
}

/* ---- one call on a fresh instance -------------------------------------------------------- */

/* The output bytes, and the time spent in host functions when hostTime. */
function callOnce(module, memLimits, exportName, input, hostTime) {
    const host = makeHost(hostTime);
    const instance = new WebAssembly.Instance(module, { env: resolveImports(module, host, memLimits) });
    const ex = instance.exports;
    if (!host.memory) {
        if (!(ex.memory instanceof WebAssembly.Memory)) throw new HostError('memory is not exported as "memory"');
        host.memory = ex.memory;
        host.maxPages = DEFAULT_HEAP_PAGES;
    }
    if (!(ex.__heap_base instanceof WebAssembly.Global)) throw new HostError('__heap_base is not found');
    if (typeof ex[exportName] !== 'function') throw new HostError(`Exported method ${exportName} is not found`);
    host.alloc = new FreeingBump(ex.__heap_base.value, host.memory, host.maxPages);
    const inputPtr = host.alloc.malloc(input.length);
    Buffer.from(host.memory.buffer, inputPtr, input.length).set(input);
    const packed = BigInt.asUintN(64, ex[exportName](inputPtr, input.length));
    const ptr = Number(packed & 0xffffffffn), len = Number(packed >> 32n);
    if (ptr + len > host.memory.buffer.byteLength)
        throw new HostError(`output exceeds bounds: ${len} bytes at ${ptr}`);
    return { out: Buffer.from(host.memory.buffer.slice(ptr, ptr + len)), hostMs: host.hostMs };
}

/* Known once the module compiled; a failed call still reports it. */
let compileMs = null;

function main() {
    const o = parseArgs(process.argv.slice(2));
    const wasm = readCode(o.file);
    const input = o.input === null ? Buffer.alloc(0) : fs.readFileSync(o.input);
    const memLimits = memoryImportLimits(wasm) || { min: 0, max: null };
    const c0 = performance.now();
    const module = new WebAssembly.Module(wasm);
    compileMs = performance.now() - c0;
    if (WebAssembly.Module.imports(module).some((i) => i.name.startsWith('ext_crypto_sr25519_'))) loadSr25519();
    let best = Infinity, first = null, output = null, bestHostMs = null;
    for (let i = 0; i < o.runs; i++) {
        const t0 = performance.now();
        const { out, hostMs } = callOnce(module, memLimits, o.exportName, input, o.hostTime);
        const ms = performance.now() - t0;
        if (first === null) first = ms;
        if (ms < best) { best = ms; bestHostMs = hostMs; }
        if (output && !output.equals(out)) throw new Error(`run ${i + 1} gave a different output`);
        output = out;
    }
    const sha = crypto.createHash('sha256').update(output).digest('hex');
    if (o.json) {
        const r = { ok: true, compile_ms: +compileMs.toFixed(3), call_ms: +best.toFixed(3),
                    first_call_ms: +first.toFixed(3), runs: o.runs, wasm_size: wasm.length,
                    output_sha256: sha, output_len: output.length };
        if (o.hostTime) r.host_ms = +bestHostMs.toFixed(3);
        if (o.output) r.output = '0x' + output.toString('hex');
        process.stdout.write(JSON.stringify(r) + '\n');
    } else {
        if (o.output) process.stdout.write('0x' + output.toString('hex') + '\n');
        process.stderr.write(`${o.exportName}: ${output.length} bytes (sha256 ${sha}); compile ${compileMs.toFixed(1)} ms, ` +
                             `call ${best.toFixed(2)} ms (best of ${o.runs}; first ${first.toFixed(2)} ms)` +
                             (o.hostTime ? `, ${bestHostMs.toFixed(2)} ms of it in host functions\n` : '\n'));
    }
}

if (require.main !== module) {
    module.exports = { FreeingBump, blake2b, twox, memoryImportLimits };
    return;
}
try {
    main();
} catch (e) {
    const msg = e && e.message ? e.message : String(e);
    if (process.argv.includes('--json')) {
        const r = { ok: false, error: msg };
        if (compileMs !== null) r.compile_ms = +compileMs.toFixed(3);
        process.stdout.write(JSON.stringify(r) + '\n');
    }
    process.stderr.write(`runtime.js: ${msg}\n`);
    process.exit(1);
}
