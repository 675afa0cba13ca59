#!/usr/bin/env node
/*
 * bench/v8/run.js — run a benchmark module in V8 (node 20) exactly as
 * `pvf bench` runs it in pvf, and print the same JSON, so that bench/run.sh
 * can put the two side by side.
 *
 *   node bench/v8/run.js FILE.wasm [--json] [--fib-n N]
 *
 * Conventions (the same in src/cli/cmd_bench.c; README.md "pvf bench"):
 *   - export `_start`  sightglass: the timed region is bench.start .. bench.end;
 *                      wasi_snapshot_preview1.proc_exit(code) stops the run
 *                      (code 0 = success); fd_write discards the bytes but
 *                      reports them written; fd_seek/fd_close/fd_fdstat_get
 *                      return 0.
 *   - export `run`     CoreMark: env.clock_ms() -> i64 is monotonic ms; the
 *                      timed region is the run() call; run() returns the score.
 *   - export `fib`     wasm3 fib32/fib64: the timed region is fib(N), N = 30
 *                      unless --fib-n says otherwise.
 *   - export `_main`   wasm3 crc/mandelbrot: env.memory is provided, other env
 *                      functions are no-ops; the timed region is _main().
 *   Any other function import traps when called ("missing function").
 *
 * compile_ms is the wall time of `new WebAssembly.Module` (V8 compiles on
 * several threads, so CPU time of this thread would under-count); bench_ms is
 * the timed region; total_ms is the wall time from reading the file to the end.
 */
'use strict';

const fs = require('fs');
const { performance } = require('perf_hooks');

const DEFAULT_FIB_N = 30;

const WASI_EBADF = 8;

class ProcExit {
    constructor(code) { this.code = code; }
}

function usage() {
    process.stderr.write('usage: node bench/v8/run.js FILE.wasm [--json] [--fib-n N]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const opts = { file: null, json: false, fibN: DEFAULT_FIB_N };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--json') opts.json = true;
        else if (a === '--fib-n' && i + 1 < argv.length) opts.fibN = Number(argv[++i]);
        else if (a.startsWith('-') || opts.file) usage();
        else opts.file = a;
    }
    if (!opts.file || !Number.isInteger(opts.fibN) || opts.fibN < 0) usage();
    return opts;
}

/* Host state shared by the import functions: the instance's memory (set after
 * instantiation, or the one we provide) and the timed interval. */
function makeHost() {
    const host = { memory: null, startMs: null, benchMs: 0, marks: 0 };
    host.view = () => new DataView(host.memory.buffer);
    return host;
}

function wasiImports(host) {
    return {
        proc_exit: (code) => { throw new ProcExit(code); },
        fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
            const v = host.view();
            let total = 0;
            for (let i = 0; i < iovsLen; i++)
                total += v.getUint32(iovs + i * 8 + 4, true);
            v.setUint32(nwrittenPtr, total >>> 0, true);
            return 0;
        },
        fd_seek: (fd, offset, whence, newOffsetPtr) => {
            host.view().setBigUint64(newOffsetPtr, 0n, true);
            return 0;
        },
        fd_close: () => 0,
        // wasi-libc asks for preopened directories at start-up; EBADF says "none".
        fd_prestat_get: () => WASI_EBADF,
        fd_fdstat_get: (fd, statPtr) => {
            new Uint8Array(host.memory.buffer, statPtr, 24).fill(0);
            return 0;
        },
    };
}

function benchImports(host) {
    return {
        start: () => { host.startMs = performance.now(); },
        end: () => {
            if (host.startMs !== null) host.benchMs += performance.now() - host.startMs;
            host.startMs = null;
            host.marks++;
        },
    };
}

function missing(mod, name) {
    return () => { throw new Error(`call to a missing function ${mod}:${name}`); };
}

/* Resolve every import of `module` by name. */
function resolveImports(module, host) {
    const known = { wasi_snapshot_preview1: wasiImports(host), bench: benchImports(host) };
    const imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
        imports[imp.module] = imports[imp.module] || {};
        let value;
        if (imp.kind === 'memory' && imp.module === 'env') {
            // The wasm3 modules import a 256-page memory with maximum 256.
            host.memory = new WebAssembly.Memory({ initial: 256, maximum: 256 });
            value = host.memory;
        } else if (imp.kind === 'function') {
            if (known[imp.module] && known[imp.module][imp.name]) value = known[imp.module][imp.name];
            else if (imp.module === 'env' && imp.name === 'clock_ms')
                value = () => BigInt(Math.floor(performance.now()));
            else if (imp.module === 'env') value = () => {};
            else value = missing(imp.module, imp.name);
        } else {
            throw new Error(`cannot provide import ${imp.module}.${imp.name} (${imp.kind})`);
        }
        imports[imp.module][imp.name] = value;
    }
    return imports;
}

/* JS cannot see a wasm function's type; an i64 parameter rejects a Number. */
function takesBigInt(fn) {
    try {
        fn(0);
        return false;
    } catch (e) {
        return e instanceof TypeError;
    }
}

/* Call the entry point; returns { entry, benchMs, result }. */
function runEntry(instance, host, fibN) {
    const ex = instance.exports;
    if (ex.memory instanceof WebAssembly.Memory) host.memory = ex.memory;
    if (typeof ex._start === 'function') {
        const t0 = performance.now();
        try {
            ex._start();
        } catch (e) {
            if (!(e instanceof ProcExit)) throw e;
            if (e.code !== 0) throw new Error(`proc_exit(${e.code})`);
        }
        const whole = performance.now() - t0;
        return { entry: '_start', benchMs: host.marks ? host.benchMs : whole, result: 0 };
    }
    const entries = [['run', []], ['fib', [fibN]], ['_main', []]];
    for (const [name, args] of entries) {
        if (typeof ex[name] !== 'function') continue;
        if (name === 'fib' && takesBigInt(ex.fib)) args[0] = BigInt(fibN);
        const t0 = performance.now();
        const result = ex[name](...args);
        return { entry: name, benchMs: performance.now() - t0, result };
    }
    throw new Error('no benchmark entry point (_start, run, fib or _main)');
}

function main() {
    const opts = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    let bytes;
    try {
        bytes = fs.readFileSync(opts.file);
    } catch (e) {
        process.stderr.write(`run.js: ${opts.file}: ${e.message}\n`);
        process.exit(2);
    }
    const c0 = performance.now();
    const module = new WebAssembly.Module(bytes);
    const compileMs = performance.now() - c0;
    const host = makeHost();
    const instance = new WebAssembly.Instance(module, resolveImports(module, host));
    const { entry, benchMs, result } = runEntry(instance, host, opts.fibN);
    const totalMs = performance.now() - t0;
    if (opts.json) {
        const out = { compile_ms: +compileMs.toFixed(3), bench_ms: +benchMs.toFixed(3),
                      total_ms: +totalMs.toFixed(3) };
        if (entry === 'run' && typeof result === 'number') out.score = +result.toFixed(3);
        process.stdout.write(JSON.stringify(out) + '\n');
    } else {
        process.stdout.write(`${opts.file}: compile ${compileMs.toFixed(1)} ms, ` +
                             `bench ${benchMs.toFixed(1)} ms, total ${totalMs.toFixed(1)} ms` +
                             `, result ${String(result)}\n`);
    }
}

try {
    main();
} catch (e) {
    process.stderr.write(`run.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
}
