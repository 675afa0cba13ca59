#!/usr/bin/env node
/*
 * real_blocks.js — smoldot's verdicts on the real parachain blocks `pvf build-block` authors,
 * the oracle for tests/t-real-blocks.sh.
 *
 * Run from the repository root after `make` (node 20; `npm ci` in tests/gen/node first):
 *
 *     node tests/gen/node/real_blocks.js [--testdata DIR] [--out FILE] [--only NAME]
 *
 * DIR defaults to $PVF_TESTDATA or ../shared/testdata; FILE to tests/data/real_blocks.json.
 *
 * For every chain of tests/data/real_blocks.tsv (name, chain spec, build-block options) it
 * builds the chain's blocks with build/bin/pvf build-block (3 blocks each, and the four
 * deliberately broken variants of block 2), then runs each block's `validate_block` in
 * smoldot's executor (@acala-network/chopsticks-executor 1.5.1: smoldot's wasmi interpreter
 * and its own host functions, written independently of Substrate and of pvf, compiled to wasm
 * and run by V8) and records:
 *
 *   - the sha256 of the params file (the builder is deterministic: the test rebuilds the
 *     blocks and must get the same bytes);
 *   - smoldot's ValidationResult bytes, or its error for the broken variants.
 *
 * validate_block touches no storage (cumulus brings its own, over the PoV's proof); a read
 * would be answered "no value" and recorded, so the test can tell. Timings (CPU time of the
 * smoldot task in V8, setup included) are printed, not committed.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { run_task } = require('@acala-network/chopsticks-executor');
const { smoldotTask } = require('./smoldot_task.js');

const BLOCKS = 3;
const BROKEN = ['proof-node', 'parent-head', 'extrinsic', 'relay-root'];

function parseArgs(argv) {
    const args = {
        testdata: process.env.PVF_TESTDATA || '../shared/testdata',
        out: 'tests/data/real_blocks.json',
        only: null,
    };
    for (let i = 2; i < argv.length; i++) {
        if (argv[i] === '--testdata') args.testdata = argv[++i];
        else if (argv[i] === '--out') args.out = argv[++i];
        else if (argv[i] === '--only') args.only = argv[++i];
        else throw new Error(`unknown argument ${argv[i]}`);
    }
    return args;
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const toHex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');
const fromHex = (hex) => Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');

/* tests/data/real_blocks.tsv: name <TAB> chain spec (under DIR/chainspecs) <TAB> options */
function chains(file) {
    return fs.readFileSync(file, 'utf8').split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .map((l) => {
            const [name, spec, opts] = l.split('\t');
            return { name, spec, opts: opts ? opts.trim().split(/\s+/) : [] };
        });
}

async function validate(codeHex, paramsHex) {
    const r = await smoldotTask(run_task, codeHex, 'validate_block', paramsHex);
    if (r.output) return { result: toHex(r.output), storage_reads: r.storageReads, ms: r.ms };
    return { error: r.error, panic: r.panic, storage_reads: r.storageReads, ms: r.ms };
}

async function chainEntry(args, c, tmp) {
    const prefix = path.join(tmp, c.name);
    const spec = path.join(args.testdata, 'chainspecs', c.spec);
    const out = execFileSync('build/bin/pvf', ['build-block', '--chainspec', spec, '--blocks', String(BLOCKS),
        '--invalid', 'all', '--json', '-o', prefix, ...c.opts], { maxBuffer: 64 << 20 });
    const built = JSON.parse(out);
    const codeHex = toHex(fs.readFileSync(`${prefix}.code`));
    const entry = { name: c.name, chainspec: c.spec, options: c.opts.join(' '), code_sha256: sha256(fromHex(codeHex)),
        blocks: [], broken: [] };
    for (const b of built.blocks) {
        const params = fs.readFileSync(`${prefix}-${b.number}.params`);
        const v = await validate(codeHex, toHex(params));
        console.error(`${c.name} block ${b.number}: ${v.error ? 'error ' + v.error : 'ok'} (smoldot ${v.ms.toFixed(0)} ms CPU)`);
        entry.blocks.push({ number: b.number, params_sha256: sha256(params), new_head: b.new_head,
            smoldot_result: v.result || null, smoldot_error: v.error || null, storage_reads: v.storage_reads });
    }
    for (const kind of BROKEN) {
        const params = fs.readFileSync(`${prefix}-2.${kind}.params`);
        const v = await validate(codeHex, toHex(params));
        console.error(`${c.name} block 2 ${kind}: ${v.error ? 'error' : 'ok ' + v.result}`);
        entry.broken.push({ block: 2, kind, params_sha256: sha256(params), smoldot_result: v.result || null,
            smoldot_error: v.error ? v.error.split('\n')[0].slice(0, 300) : null,
            smoldot_panic: v.panic ? v.panic.slice(0, 300) : null });
    }
    return entry;
}

async function main() {
    const args = parseArgs(process.argv);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pvf-real-blocks-'));
    const list = chains('tests/data/real_blocks.tsv').filter((c) => !args.only || c.name === args.only);
    const doc = {
        generator: 'tests/gen/node/real_blocks.js',
        executor: '@acala-network/chopsticks-executor 1.5.1 (smoldot)',
        chains: [],
    };
    try {
        for (const c of list) doc.chains.push(await chainEntry(args, c, tmp));
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    fs.writeFileSync(args.out, JSON.stringify(doc, null, 1) + '\n');
    console.error(`wrote ${args.out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
