#!/usr/bin/env node
/*
 * bench/v8/runtime.js — call one export of a real Substrate runtime in V8 (node 20),
 * with the host functions written in JS, the way `pvf call` calls it in pvf; the V8
 * half of bench/runtime.sh.
 *
 *   node bench/v8/runtime.js FILE --export NAME [--runs N] [--json] [--output]
 *
 * N (runs, each on a fresh instance) defaults to 10. FILE is plain wasm or a
 * compressed code blob (8-byte magic 52 BC 53 76 46 DB 8E 05 + a zstd frame);
 * node 20's zlib has no zstd, so the `zstd` command decompresses it.
 *
 * The call convention is the reference's (reference-behaviour.md §5.3): a fresh
 * instance per call, a freeing-bump allocator starting at `__heap_base`, the (empty)
 * input placed by its first allocation, `NAME(ptr, len) -> i64` with the output at
 * ptr = low 32 bits, len = high 32 bits. The memory import `env.memory` gets a memory
 * of the import's declared minimum and a maximum of 2080 pages (the PVF default), or
 * the import's own maximum when it declares a smaller one.
 *
 * Host functions: the allocator (bit-exact freeing-bump, §5.6) and logging
 * (max level 0 = off; log is a no-op) — all that Core_version and Metadata_metadata
 * of the shared runtimes call. Hashing is there too in case a runtime hashes on
 * the way: sha2_256 through node's crypto, blake2b-128/256 and twox-64/128/256
 * written here. Any other import traps with "call to a missing function env:NAME"
 * when called, as in the reference.
 *
 * Output, one JSON line with --json:
 *   compile_ms      wall time of `new WebAssembly.Module` (decompression excluded);
 *   call_ms         best (lowest) of N runs of: new WebAssembly.Instance + allocator
 *                   set-up + input allocation + the call + copying the output out,
 *                   wall time, a fresh instance each run, the module compiled once;
 *   first_call_ms   the same for run 1 alone, which also pays for compiling (lazily,
 *                   with Liftoff) every function the call reaches;
 *   output_sha256, output_len; output (hex) too with --output.
 * Exit 0 when the call returned, 1 when it failed (JSON {"ok":false,"error":…}).
 */
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { performance } = require('perf_hooks');

const BLOB_MAGIC = Buffer.from([0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05]);
const DEFAULT_HEAP_PAGES = 2080;       // 2048 extra + 32 estimate (§4.2)
const CODE_BOMB_LIMIT = 30 << 20;      // what pvf uses for tests
const PAGE = 65536;

class HostError extends Error {}

function usage() {
    process.stderr.write('usage: node bench/v8/runtime.js FILE --export NAME [--input FILE] [--runs N] [--json] [--output]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const o = { file: null, exportName: null, input: null, runs: 10, json: false, output: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--export' && i + 1 < argv.length) o.exportName = argv[++i];
        else if (a === '--input' && i + 1 < argv.length) o.input = argv[++i];
        else if (a === '--runs' && i + 1 < argv.length) o.runs = Number(argv[++i]);
        else if (a === '--json') o.json = true;
        else if (a === '--output') o.output = true;
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

/* ---- hashing: BLAKE2b and xxHash64, small and only for completeness ------------------ */

const M64 = (1n << 64n) - 1n;
const BLAKE2B_IV = [
    0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const rotr64 = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

function blake2b(data, outLen) {
    const h = BLAKE2B_IV.slice();
    h[0] ^= 0x01010000n ^ BigInt(outLen);
    const block = Buffer.alloc(128);
    let t = 0n;
    const compress = (last) => {
        const m = [], v = h.concat(BLAKE2B_IV);
        for (let i = 0; i < 16; i++) m.push(block.readBigUInt64LE(i * 8));
        v[12] ^= t & M64;
        v[13] ^= t >> 64n;
        if (last) v[14] ^= M64;
        const g = (a, b, c, d, x, y) => {
            v[a] = (v[a] + v[b] + x) & M64; v[d] = rotr64(v[d] ^ v[a], 32n);
            v[c] = (v[c] + v[d]) & M64;     v[b] = rotr64(v[b] ^ v[c], 24n);
            v[a] = (v[a] + v[b] + y) & M64; v[d] = rotr64(v[d] ^ v[a], 16n);
            v[c] = (v[c] + v[d]) & M64;     v[b] = rotr64(v[b] ^ v[c], 63n);
        };
        for (let r = 0; r < 12; r++) {
            const s = SIGMA[r % 10];
            g(0, 4, 8, 12, m[s[0]], m[s[1]]); g(1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(2, 6, 10, 14, m[s[4]], m[s[5]]); g(3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(0, 5, 10, 15, m[s[8]], m[s[9]]); g(1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(2, 7, 8, 13, m[s[12]], m[s[13]]); g(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    };
    let off = 0;
    // Every full block but the last is compressed as soon as more data follows it.
    while (data.length - off > 128) {
        data.copy(block, 0, off, off + 128);
        t += 128n;
        compress(false);
        off += 128;
    }
    block.fill(0);
    data.copy(block, 0, off);
    t += BigInt(data.length - off);
    compress(true);
    const out = Buffer.alloc(64);
    h.forEach((x, i) => out.writeBigUInt64LE(x, i * 8));
    return out.subarray(0, outLen);
}

const P1 = 11400714785074694791n, P2 = 14029467366897019727n, P3 = 1609587929392839161n;
const P4 = 9650029242287828579n, P5 = 2870177450012600261n;
const rotl64 = (x, n) => ((x << n) | (x >> (64n - n))) & M64;
const mul = (a, b) => (a * b) & M64;
const round64 = (acc, lane) => mul(rotl64((acc + mul(lane, P2)) & M64, 31n), P1);
const merge64 = (acc, v) => (mul(acc ^ round64(0n, v), P1) + P4) & M64;

function xxh64(data, seed) {
    let off = 0, acc;
    const len = data.length;
    if (len >= 32) {
        const v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64];
        for (; off + 32 <= len; off += 32)
            for (let i = 0; i < 4; i++) v[i] = round64(v[i], data.readBigUInt64LE(off + i * 8));
        acc = (rotl64(v[0], 1n) + rotl64(v[1], 7n) + rotl64(v[2], 12n) + rotl64(v[3], 18n)) & M64;
        for (let i = 0; i < 4; i++) acc = merge64(acc, v[i]);
    } else {
        acc = (seed + P5) & M64;
    }
    acc = (acc + BigInt(len)) & M64;
    for (; off + 8 <= len; off += 8)
        acc = (mul(rotl64(acc ^ round64(0n, data.readBigUInt64LE(off)), 27n), P1) + P4) & M64;
    if (off + 4 <= len) {
        acc = (mul(rotl64(acc ^ mul(BigInt(data.readUInt32LE(off)), P1), 23n), P2) + P3) & M64;
        off += 4;
    }
    for (; off < len; off++) acc = mul(rotl64(acc ^ mul(BigInt(data[off]), P5), 11n), P1);
    acc = mul(acc ^ (acc >> 33n), P2);
    acc = mul(acc ^ (acc >> 29n), P3);
    return acc ^ (acc >> 32n);
}

/* Substrate's twox_N: N/64 xxHash64 with seeds 0, 1, …, each little-endian, concatenated. */
function twox(data, bits) {
    const out = Buffer.alloc(bits / 8);
    for (let i = 0; i < bits / 64; i++) out.writeBigUInt64LE(xxh64(data, BigInt(i)), i * 8);
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
    const out = [];
    const value = (v) => (t.v1 && v.length >= VALUE_NODE_THRESHOLD ? t.hash(v) : null);
    const pushValue = (v, hashed) => out.push(...(hashed || Buffer.concat([compact(v.length), v])));
    if (hi - lo === 1) {
        const [key, v] = e[lo], hashed = value(v);
        writeHeader(out, hashed ? HDR_HASHED_LEAF : HDR_LEAF, 2 * key.length - cursor);
        writePartial(out, key, cursor, 2 * key.length - cursor);
        pushValue(v, hashed);
        return Buffer.from(out);
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
    const hashed = hasValue ? value(e[lo][1]) : null;
    writeHeader(out, !hasValue ? HDR_BRANCH : hashed ? HDR_HASHED_BRANCH : HDR_BRANCH_VALUE, at - cursor);
    writePartial(out, a, cursor, at - cursor);
    out.push(bitmap & 0xff, bitmap >> 8);
    if (hasValue) pushValue(e[lo][1], hashed);
    const parts = [Buffer.from(out)];
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
const SR25519_PATH = require('path').join(__dirname, '..', '..', 'tests', 'gen', 'node', 'node_modules', '@scure', 'sr25519');
let sr25519 = null, sr25519Error = null;

function loadSr25519() {
    if (sr25519 || sr25519Error) return;
    try {
        sr25519 = require(SR25519_PATH);
    } catch (e) {
        sr25519Error = `sr25519: cannot load @scure/sr25519 from ${SR25519_PATH} (run npm ci in tests/gen/node): ${e.message}`;
        return;
    }
    // The library builds its base-point tables on first use: do that here, untimed.
    try { sr25519.verify(Buffer.alloc(1), Buffer.alloc(64, 0x80), Buffer.alloc(32)); } catch (e) { /* false */ }
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

function makeHost() {
    const host = { memory: null, alloc: null };
    const bytesAt = (ptrSize) => {
        const ptr = Number(BigInt.asUintN(64, ptrSize) & 0xffffffffn), len = Number(BigInt.asUintN(64, ptrSize) >> 32n);
        if (ptr + len > host.memory.buffer.byteLength) throw new HostError(`bytes out of bounds at ${ptr}+${len}`);
        return Buffer.from(host.memory.buffer, ptr, len);
    };
    // The result of a fixed-size hash lives in memory allocated by the runtime's allocator.
    const hashTo = (fn) => (ptrSize) => {
        const digest = fn(bytesAt(ptrSize));
        const ptr = host.alloc.malloc(digest.length);
        Buffer.from(host.memory.buffer, ptr, digest.length).set(digest);
        return ptr;
    };
    host.functions = {
        ext_allocator_malloc_version_1: (size) => host.alloc.malloc(size >>> 0),
        ext_allocator_free_version_1: (ptr) => host.alloc.free(ptr >>> 0),
        ext_logging_max_level_version_1: () => 0,
        ext_logging_log_version_1: () => {},
        ext_hashing_sha2_256_version_1: hashTo((d) => crypto.createHash('sha256').update(d).digest()),
        ext_hashing_blake2_128_version_1: hashTo((d) => blake2b(d, 16)),
        ext_hashing_blake2_256_version_1: hashTo((d) => blake2b(d, 32)),
        ext_hashing_twox_64_version_1: hashTo((d) => twox(d, 64)),
        ext_hashing_twox_128_version_1: hashTo((d) => twox(d, 128)),
        ext_hashing_twox_256_version_1: hashTo((d) => twox(d, 256)),
    };
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

function callOnce(module, memLimits, exportName, input) {
    const host = makeHost();
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
    return Buffer.from(host.memory.buffer.slice(ptr, ptr + len));
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
    let best = Infinity, first = null, output = null;
    for (let i = 0; i < o.runs; i++) {
        const t0 = performance.now();
        const out = callOnce(module, memLimits, o.exportName, input);
        const ms = performance.now() - t0;
        if (first === null) first = ms;
        best = Math.min(best, ms);
        if (output && !output.equals(out)) throw new Error(`run ${i + 1} gave a different output`);
        output = out;
    }
    const sha = crypto.createHash('sha256').update(output).digest('hex');
    if (o.json) {
        const r = { ok: true, compile_ms: +compileMs.toFixed(3), call_ms: +best.toFixed(3),
                    first_call_ms: +first.toFixed(3), runs: o.runs, wasm_size: wasm.length,
                    output_sha256: sha, output_len: output.length };
        if (o.output) r.output = '0x' + output.toString('hex');
        process.stdout.write(JSON.stringify(r) + '\n');
    } else {
        if (o.output) process.stdout.write('0x' + output.toString('hex') + '\n');
        process.stderr.write(`${o.exportName}: ${output.length} bytes (sha256 ${sha}); compile ${compileMs.toFixed(1)} ms, ` +
                             `call ${best.toFixed(2)} ms (best of ${o.runs}; first ${first.toFixed(2)} ms)\n`);
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
