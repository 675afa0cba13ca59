#!/usr/bin/env node
/*
 * runtime_calls.js — real runtimes run by smoldot, the oracle for tests/unit/test_runtime_calls.c.
 *
 * Run from the repository root (node 20, the zstd CLI; `npm ci` in tests/gen/node first):
 *
 *     node tests/gen/node/runtime_calls.js [--testdata DIR] [--out FILE] [--timing]
 *
 * DIR defaults to $PVF_TESTDATA or ../shared/testdata; FILE to
 * tests/data/runtime_calls/expected.json.
 *
 * The executor is @acala-network/chopsticks-executor: smoldot's runtime executor
 * (the wasmi interpreter and smoldot's own host functions, written independently
 * of Substrate's) compiled to wasm and run by V8. For every runtime in DIR/pvf/
 * it records:
 *
 *   - the file's name and sha256;
 *   - `Core_version` called with empty input: the output bytes, in full (a few
 *     hundred bytes);
 *   - `Metadata_metadata` called with empty input: the sha256 and length of the
 *     output (several hundred KB: too big to commit), plus what its head says
 *     (SCALE compact length prefix, the "meta" magic, the metadata version);
 *   - the custom sections `runtime_version` (its bytes) and `runtime_apis` (its
 *     length) as V8 finds them (WebAssembly.Module.customSections on the
 *     decompressed code; the zstd CLI decompresses), or null when absent: the
 *     adder PVFs have none, so runtime_version must fail on them;
 *   - `get_runtime_version`: smoldot's reading of the runtime version (from the
 *     `runtime_version` + `runtime_apis` custom sections when there are some),
 *     and that reading encoded the way sp_version encodes a RuntimeVersion
 *     (spec_name, impl_name, authoring, spec, impl, apis, transaction_version,
 *     system_version). That encoding is what `ext_misc_runtime_version_version_1`
 *     must return for the blob (runtime_version_read), given the two readers agree
 *     on the sections; without a `runtime_version` section (V8 says so) the
 *     reference answers "runtime version section is not found" instead, while
 *     smoldot falls back to calling Core_version.
 *
 * Each call gets a fresh task (a fresh instance), as the reference does. The blob
 * is handed to smoldot exactly as stored (compressed blobs included: smoldot
 * decompresses the zstd blob itself). Neither call should touch storage; if a
 * runtime does, the script answers "no value" and records every key it asked for,
 * so the test can tell (the PVF host has no storage functions: such a call traps
 * there). rococo's Metadata_metadata reads one key.
 * A runtime smoldot cannot run is recorded with smoldot's error.
 *
 * Timings (process CPU time of smoldot in V8) are printed, not committed: they change
 * from run to run and the expected data must not. Each task's time includes
 * smoldot's setup (zstd decompression, parsing, wasmi compilation). With
 * --timing the script also separates them: the best of 3 runs of a task calling
 * Core_version only (≈ setup) and of a task calling Core_version then
 * Metadata_metadata on the same prototype; the difference is Metadata_metadata
 * alone.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { run_task, get_runtime_version } = require('@acala-network/chopsticks-executor');

function parseArgs(argv) {
    const args = {
        testdata: process.env.PVF_TESTDATA || '../shared/testdata',
        timing: false,
        out: 'tests/data/runtime_calls/expected.json',
    };
    for (let i = 2; i < argv.length; i++) {
        if (argv[i] === '--testdata') args.testdata = argv[++i];
        else if (argv[i] === '--out') args.out = argv[++i];
        else if (argv[i] === '--timing') args.timing = true;
        else throw new Error(`unknown argument ${argv[i]}`);
    }
    return args;
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const toHex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');
const fromHex = (hex) => Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');

/* ---- SCALE, just what a RuntimeVersion needs ---- */

function compact(n) {
    if (n < 1 << 6) return Buffer.from([n << 2]);
    if (n < 1 << 14) return Buffer.from([((n << 2) | 1) & 0xff, n >> 6]);
    if (n < 1 << 30) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(((n << 2) | 2) >>> 0);
        return b;
    }
    const b = Buffer.alloc(5);
    b[0] = 3;
    b.writeUInt32LE(n >>> 0, 1);
    return b;
}

function u32(n) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
}

/* Decode a SCALE compact integer at `off`: { value, size } (values up to 2^53). */
function decodeCompact(buf, off) {
    const mode = buf[off] & 3;
    if (mode === 0) return { value: buf[off] >> 2, size: 1 };
    if (mode === 1) return { value: buf.readUInt16LE(off) >> 2, size: 2 };
    if (mode === 2) return { value: buf.readUInt32LE(off) >>> 2, size: 4 };
    const n = (buf[off] >> 2) + 4;
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[off + 1 + i];
    return { value: v, size: 1 + n };
}

/* sp_version's encoding of smoldot's reading (the current, Core >= 4, layout). */
function encodeRuntimeVersion(v) {
    const specName = fromHex(v.specName);
    const implName = fromHex(v.implName);
    const parts = [
        compact(specName.length), specName,
        compact(implName.length), implName,
        u32(v.authoringVersion), u32(v.specVersion), u32(v.implVersion),
        compact(v.apis.length),
    ];
    for (const [id, version] of v.apis) parts.push(fromHex(id), u32(version));
    parts.push(u32(v.transactionVersion), Buffer.from([v.stateVersion]));
    return Buffer.concat(parts);
}

/* ---- V8's view of the custom sections ---- */

const BLOB_MAGIC = Buffer.from([0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05]);

function plainCode(bytes) {
    if (!bytes.subarray(0, 8).equals(BLOB_MAGIC)) return bytes;
    return execFileSync('zstd', ['-d', '-c', '-q'], { input: bytes.subarray(8), maxBuffer: 64 << 20 });
}

function customSections(code) {
    const mod = new WebAssembly.Module(code);
    const first = (name) => {
        const all = WebAssembly.Module.customSections(mod, name);
        return all.length ? Buffer.from(all[0]) : null;
    };
    const version = first('runtime_version');
    const apis = first('runtime_apis');
    return {
        runtime_version: version ? toHex(version) : null,
        runtime_apis_len: apis ? apis.length : null,
    };
}

/* ---- smoldot ---- */

let nextTaskId = 0;

/* One task calling `methods` in turn; storage reads answered "none" and recorded. */
async function task(wasmHex, methods, storageKeys) {
    const callbacks = {
        getStorage: async (key) => { storageKeys.push(key); return undefined; },
        getNextKey: async (prefix, key) => { storageKeys.push(`next:${prefix}:${key}`); return undefined; },
        offchainGetStorage: async () => undefined,
        offchainTimestamp: async () => 0,
        offchainRandomSeed: async () => '0x' + '00'.repeat(32),
        offchainSubmitTransaction: async () => false,
    };
    const t0 = process.cpuUsage();
    const res = await run_task({
        id: nextTaskId++,
        wasm: wasmHex,
        calls: methods.map((m) => [m, []]),
        mockSignatureHost: 0,           /* 0: real signature checks (1, 2: mocks) */
        allowUnresolvedImports: false,
        runtimeLogLevel: 0,
        storageProofSize: 0,
    }, callbacks);
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1e3;    /* CPU time: the machine may be busy */
    if (res.Call) return { ok: true, output: fromHex(res.Call.result), ms };
    return { ok: false, error: String(res.Error), ms };
}

function describeMetadata(out) {
    const { value: len, size } = decodeCompact(out, 0);
    const body = out.subarray(size);
    return {
        vec_prefix_len: size,
        vec_len: len,
        vec_len_matches: len === body.length,
        magic: body.subarray(0, 4).toString('latin1'),
        version: body.length > 4 ? body[4] : null,
    };
}

async function runtimeEntry(dir, name) {
    const bytes = fs.readFileSync(path.join(dir, name));
    const wasmHex = toHex(bytes);
    const code = plainCode(bytes);
    const entry = {
        file: name,
        sha256: sha256(bytes),
        compressed: code !== bytes,
        code_len: code.length,
        sections: customSections(code),
    };
    const timing = {};

    try {
        const v = await get_runtime_version(wasmHex);
        entry.smoldot_runtime_version = {
            spec_name: fromHex(v.specName).toString('utf8'),
            impl_name: fromHex(v.implName).toString('utf8'),
            authoring_version: v.authoringVersion,
            spec_version: v.specVersion,
            impl_version: v.implVersion,
            transaction_version: v.transactionVersion,
            state_version: v.stateVersion,
            napis: v.apis.length,
        };
        if (entry.sections.runtime_version !== null)
            entry.runtime_version_read = { ok: true, encoding: toHex(encodeRuntimeVersion(v)) };
    } catch (e) {
        entry.smoldot_runtime_version_error = String(e && e.message || e);
    }
    if (entry.sections.runtime_version === null)
        entry.runtime_version_read = { ok: false, error: 'runtime version section is not found' };
    else if (!entry.runtime_version_read)
        throw new Error(`${name}: has a runtime_version section but smoldot cannot read it`);

    for (const method of ['Core_version', 'Metadata_metadata']) {
        const keys = [];
        let r;
        try {
            r = await task(wasmHex, [method], keys);
        } catch (e) {
            r = { ok: false, error: String(e && e.message || e), ms: 0 };
        }
        timing[method] = r.ms;
        const rec = { ok: r.ok };
        if (!r.ok) rec.error = r.error;
        else if (method === 'Core_version') rec.output = toHex(r.output);
        else {
            rec.output_len = r.output.length;
            rec.output_sha256 = sha256(r.output);
            rec.metadata = describeMetadata(r.output);
        }
        rec.storage_reads = keys;
        entry[method] = rec;
    }
    return { entry, timing };
}

/* Best of 3: setup + Core_version, and Metadata_metadata alone (see the top). */
async function splitTiming(wasmHex) {
    const best = async (methods) => {
        let min = Infinity;
        for (let i = 0; i < 3; i++) {
            const r = await task(wasmHex, methods, []);
            if (!r.ok) return null;
            min = Math.min(min, r.ms);
        }
        return min;
    };
    const one = await best(['Core_version']);
    const two = one === null ? null : await best(['Core_version', 'Metadata_metadata']);
    return two === null ? null : { setup_and_core_version: one, metadata_alone: two - one };
}

async function main() {
    const args = parseArgs(process.argv);
    const dir = path.join(args.testdata, 'pvf');
    const files = fs.readdirSync(dir).filter((f) => /\.(wasm|zstdblob)$/.test(f)).sort();
    const runtimes = [];
    for (const f of files) {
        const { entry, timing } = await runtimeEntry(dir, f);
        runtimes.push(entry);
        const cv = entry.Core_version, md = entry.Metadata_metadata;
        const name = entry.smoldot_runtime_version
            ? `${entry.smoldot_runtime_version.spec_name}-${entry.smoldot_runtime_version.spec_version}` : '?';
        console.log(`${f}: ${name}; Core_version ${cv.ok ? 'ok' : 'FAILED ' + cv.error} ` +
            `(${timing.Core_version.toFixed(0)} ms); Metadata_metadata ` +
            `${md.ok ? md.output_len + ' bytes, v' + md.metadata.version : 'FAILED ' + md.error} ` +
            `(${timing.Metadata_metadata.toFixed(0)} ms)`);
        if (args.timing) {
            const t = await splitTiming(toHex(fs.readFileSync(path.join(dir, f))));
            if (t) console.log(`    timing: setup + Core_version ${t.setup_and_core_version.toFixed(0)} ms, ` +
                `Metadata_metadata alone ${t.metadata_alone > 0 ? t.metadata_alone.toFixed(0) + ' ms'
                    : 'below the noise'} (best of 3)`);
        }
    }
    const doc = {
        generator: 'tests/gen/node/runtime_calls.js',
        executor: '@acala-network/chopsticks-executor ' +
            JSON.parse(fs.readFileSync(path.join(__dirname,
                'node_modules/@acala-network/chopsticks-executor/package.json'), 'utf8')).version + ' (smoldot)',
        note: 'Core_version / Metadata_metadata called with empty input on a fresh instance each; ' +
            'runtime_version_read.encoding = smoldot get_runtime_version encoded as the current ' +
            'sp_version::RuntimeVersion (Core >= 4 layout); sections = V8 customSections',
        runtimes,
    };
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(args.out, JSON.stringify(doc, null, 2) + '\n');
    console.log(`wrote ${args.out} (${runtimes.length} runtimes)`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
