/*
 * smoldot_task.js — one call in a fresh smoldot task (@acala-network/chopsticks-executor's
 * run_task), shared by tests/gen/node/real_blocks.js and bench/smoldot/validate.js.
 *
 *   const r = await smoldotTask(run_task, codeHex, 'validate_block', paramsHex);
 *   r.output (Buffer) or r.error (smoldot's error, with the runtime's panic message when it
 *   printed one: r.panic); r.ms = process CPU time of the task; r.storageReads = the keys it
 *   asked for (answered "no value").
 *
 * Signatures are really checked (mockSignatureHost 0). smoldot prints the runtime's log lines
 * through console: they are kept off stdout while the task runs, except that the first
 * "panicked at" line is kept as the panic's message.
 */
'use strict';

const fromHex = (hex) => Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');

let nextTaskId = 0;

/* One fresh task calling `method` with the argument bytes `argHex`:
 * { ms, output } or { ms, error }, and the storage keys it asked for. */
async function smoldotTask(runTask, codeHex, method, argHex) {
    const storageReads = [];
    const callbacks = {
        getStorage: async (key) => { storageReads.push(key); return undefined; },
        getNextKey: async (prefix, key) => { storageReads.push(`next:${prefix}:${key}`); return undefined; },
        offchainGetStorage: async () => undefined,
        offchainTimestamp: async () => 0,
        offchainRandomSeed: async () => '0x' + '00'.repeat(32),
        offchainSubmitTransaction: async () => false,
    };
    // smoldot prints the runtime's log lines through console: keep them off stdout, but keep
    // a panic's message for the error.
    const saved = {};
    let panic = null;
    for (const f of ['log', 'info', 'warn', 'error', 'debug']) {
        saved[f] = console[f];
        console[f] = (...a) => {
            const line = a.map(String).join(' '), at = line.indexOf('panicked at');
            if (at >= 0 && !panic) panic = line.slice(at).split('\n')[0];
        };
    }
    let res, used;
    try {
        const t0 = process.cpuUsage();
        res = await runTask({
            id: nextTaskId++,
            wasm: codeHex,
            calls: [[method, argHex === null ? [] : [argHex]]],
            mockSignatureHost: 0,           // real signature checks
            allowUnresolvedImports: false,
            runtimeLogLevel: 0,
            storageProofSize: 0,
        }, callbacks);
        used = process.cpuUsage(t0);
    } finally {
        Object.assign(console, saved);
    }
    const r = { ms: (used.user + used.system) / 1e3, storageReads, panic };
    if (res && res.Call) r.output = fromHex(res.Call.result);
    else r.error = `${method}: ${res && res.Error !== undefined ? String(res.Error) : JSON.stringify(res)}` +
                   (panic ? ` (${panic})` : '');
    return r;
}


module.exports = { smoldotTask };
