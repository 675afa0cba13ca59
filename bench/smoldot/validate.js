#!/usr/bin/env node
/*
 * bench/smoldot/validate.js — run `validate_block` of a parachain block in smoldot's runtime
 * executor and time it, for comparison with pvf (`pvf validate --in-process --json`) and
 * with V8 (`node bench/v8/runtime.js CODE --export validate_block --input PARAMS`).
 *
 *   node bench/smoldot/validate.js CODE --input PARAMS [--runs N] [--json] [--output]
 *
 * CODE is the parachain's code as `pvf build-block` writes it (a compressed code blob: 8-byte
 * magic + zstd; plain wasm works too), PARAMS a SCALE ValidationParams (PREFIX-i.params).
 *
 * The executor is @acala-network/chopsticks-executor (smoldot's executor: the wasmi
 * interpreter and smoldot's own host functions, compiled to wasm and run by V8), from
 * tests/gen/node/node_modules (`npm ci` in tests/gen/node installs it). Each run is one
 * `run_task`, a fresh task: smoldot decompresses the blob, parses and compiles the module
 * for wasmi, instantiates it and makes the call; signatures are really checked
 * (mockSignatureHost 0). validate_block reads no storage (cumulus brings its own, over the
 * PoV's proof); a read would be answered "no value" and counted (storage_reads).
 *
 * What is measured: process CPU time (process.cpuUsage, user + system, all threads: V8's
 * background compilation of smoldot's own wasm counts too) from the start of `run_task`
 * until its promise resolves, for N runs (default 5) of each of two tasks, alternating:
 *   task_ms    best time of a task calling validate_block(PARAMS);
 *   setup_ms   best time of a task calling Core_version (empty input) on the same code:
 *              smoldot's set-up (zstd decompression, parsing, wasmi compilation,
 *              instantiation) plus a call that costs next to nothing;
 *   validate_ms = task_ms - setup_ms, an estimate of validate_block alone.
 * The first task of the process also pays for V8 compiling smoldot itself; best-of-N hides it.
 *
 * Output, one JSON line with --json:
 *   {"ok":true,"task_ms":…,"setup_ms":…,"validate_ms":…,"runs":N,"output_sha256":…,
 *    "output_len":…} — output_sha256 is of validate_block's output (the SCALE
 *   ValidationResult); "output" (hex) too with --output; "storage_reads" when there were any.
 * Exit 0 when every call returned (the same bytes each run), 1 when one failed (JSON
 * {"ok":false,"error":…}: smoldot's error, with the runtime's panic message if it printed one),
 * 2 on a usage error.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const EXECUTOR = path.join(__dirname, '..', '..', 'tests', 'gen', 'node', 'node_modules',
                           '@acala-network', 'chopsticks-executor');
const { smoldotTask: task } = require('../../tests/gen/node/smoldot_task.js');

function usage() {
    process.stderr.write('usage: node bench/smoldot/validate.js CODE --input PARAMS [--runs N] [--json] [--output]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const o = { code: null, input: null, runs: 5, json: false, output: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--input' && i + 1 < argv.length) o.input = argv[++i];
        else if (a === '--runs' && i + 1 < argv.length) o.runs = Number(argv[++i]);
        else if (a === '--json') o.json = true;
        else if (a === '--output') o.output = true;
        else if (a.startsWith('-') || o.code) usage();
        else o.code = a;
    }
    if (!o.code || !o.input || !Number.isInteger(o.runs) || o.runs < 1) usage();
    return o;
}

function loadExecutor() {
    try {
        return require(EXECUTOR);
    } catch (e) {
        throw new Error(`cannot load @acala-network/chopsticks-executor from ${EXECUTOR} ` +
                        `(run npm ci in tests/gen/node): ${e.message.split('\n')[0]}`);
    }
}

const toHex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');
const fromHex = (hex) => Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const codeHex = toHex(fs.readFileSync(o.code));
    const paramsHex = toHex(fs.readFileSync(o.input));
    const { run_task: runTask } = loadExecutor();
    let taskMs = Infinity, setupMs = Infinity, output = null, reads = 0;
    for (let i = 0; i < o.runs; i++) {
        const setup = await task(runTask, codeHex, 'Core_version', null);
        if (setup.error) throw new Error(setup.error);
        const v = await task(runTask, codeHex, 'validate_block', paramsHex);
        if (v.error) throw new Error(v.error);
        if (output && !output.equals(v.output)) throw new Error(`run ${i + 1} gave a different output`);
        output = v.output;
        reads = Math.max(reads, v.storageReads.length);
        setupMs = Math.min(setupMs, setup.ms);
        taskMs = Math.min(taskMs, v.ms);
    }
    const sha = crypto.createHash('sha256').update(output).digest('hex');
    if (o.json) {
        const r = { ok: true, task_ms: +taskMs.toFixed(3), setup_ms: +setupMs.toFixed(3),
                    validate_ms: +(taskMs - setupMs).toFixed(3), runs: o.runs,
                    output_sha256: sha, output_len: output.length };
        if (reads) r.storage_reads = reads;
        if (o.output) r.output = toHex(output);
        process.stdout.write(JSON.stringify(r) + '\n');
    } else {
        if (o.output) process.stdout.write(toHex(output) + '\n');
        process.stderr.write(`validate_block: ${output.length} bytes (sha256 ${sha}); task ${taskMs.toFixed(1)} ms CPU, ` +
                             `setup ${setupMs.toFixed(1)} ms (Core_version task), validate_block ≈ ` +
                             `${(taskMs - setupMs).toFixed(1)} ms (best of ${o.runs})` +
                             (reads ? `; ${reads} storage reads answered "no value"` : '') + '\n');
    }
}

main().catch((e) => {
    const msg = e && e.message ? e.message : String(e);
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ ok: false, error: msg }) + '\n');
    process.stderr.write(`validate.js: ${msg}\n`);
    process.exit(1);
});
