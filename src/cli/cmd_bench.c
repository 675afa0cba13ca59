/*
 * cmd_bench.c — `pvf bench FILE.wasm [--json] [--profile full|pvf] [--fib-n N]`
 *
 * Runs one benchmark module and reports three times:
 *   compile_ms  CPU time of pvf_prepare + pvf_code_load
 *   bench_ms    wall time of the timed region (below)
 *   total_ms    wall time of everything, from reading the file to the end
 *
 * The module's entry point decides the convention (bench/v8/run.js follows
 * the same rules, so the two engines run exactly the same work):
 *   _start  sightglass: the timed region is bench.start() .. bench.end();
 *           wasi proc_exit(code) stops the run (0 = success); fd_write
 *           discards the bytes but reports them written.
 *   run     CoreMark: env.clock_ms() -> i64 is monotonic ms; timed region =
 *           the run() call, which returns the score (f32, printed too).
 *   fib     wasm3 fib32/fib64: fib(N), N = 40 by default (about 0.7 s in V8
 *           on a 2020s x86-64 core, enough to swamp timer noise).
 *   _main   wasm3 crc/mandelbrot: env.memory is provided; timed region = _main().
 * Imports are resolved by name. Functions of module `env` that return
 * nothing (the wasm3 output hooks) are no-ops; any other unknown function
 * is linked as a stub that traps if called.
 *
 * The default profile is `full`: benchmarks are ordinary wasm, not PVFs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/engine.h"
#include "util/cputime.h"
#include "util/file.h"
#include "util/parse.h"

#define DEFAULT_FIB_N 40
#define BENCH_STR_(x) #x
#define BENCH_STR(x) BENCH_STR_(x)
#define WASI_EBADF 8
#define WASI_FDSTAT_SIZE 24

/* State shared by the host functions of one run. */
typedef struct bench_host {
    double start_ms;        /* wall time of the last bench.start, < 0 when none is open */
    double region_ms;       /* sum of bench.start .. bench.end intervals */
    int marks;              /* completed intervals */
    bool exited;            /* proc_exit was called */
    int32_t exit_code;
} bench_host;

typedef struct bench_opts {
    const char *path;
    bool json;
    pvf_profile profile;
    uint32_t fib_n;
} bench_opts;

typedef struct bench_result {
    double compile_ms;
    double bench_ms;
    double total_ms;
    bool has_score;
    float score;
    uint64_t result;        /* fib / _main result, printed in text mode */
    const char *entry;
} bench_result;

/* ---- host functions ----------------------------------------------------------------------- */

static int host_bench_start(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)slots;
    ((bench_host *)ctx)->start_ms = walltime_ms();
    return 0;
}

static int host_bench_end(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    bench_host *h = ctx;
    (void)caller, (void)slots;
    if (h->start_ms >= 0)
        h->region_ms += walltime_ms() - h->start_ms;
    h->start_ms = -1;
    h->marks++;
    return 0;
}

/* proc_exit must not return: trap, and let the caller look at exit_code. */
static int host_proc_exit(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    bench_host *h = ctx;
    h->exited = true;
    h->exit_code = (int32_t)(uint32_t)slots[0];
    return pvf_caller_trap(caller, "proc_exit(%d)", (int)h->exit_code);
}

/* Memory [addr, addr+len) of the caller, or NULL if any of it is out of bounds. */
static uint8_t *guest_bytes(pvf_caller *caller, uint64_t addr, uint64_t len)
{
    uint64_t size = 0;
    uint8_t *mem = pvf_caller_memory(caller, &size);
    if (!mem || addr > size || len > size - addr)
        return NULL;
    return mem + addr;
}

static uint32_t load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* fd_write(fd, iovs, iovs_len, nwritten) -> errno: discard, but report every byte written,
 * or libc would retry forever. */
static int host_fd_write(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    uint32_t iovs = (uint32_t)slots[1], n = (uint32_t)slots[2], nwritten = (uint32_t)slots[3];
    uint8_t *vec = guest_bytes(caller, iovs, (uint64_t)n * 8);
    uint8_t *out = guest_bytes(caller, nwritten, 4);
    uint32_t total = 0;
    (void)ctx;
    if (!vec || !out)
        return pvf_caller_trap(caller, "fd_write: iovec array %u+%u*8 or result %u out of bounds",
                               iovs, n, nwritten);
    for (uint32_t i = 0; i < n; i++)
        total += load_u32le(vec + 8 * i + 4);
    store_u32le(out, total);
    slots[0] = 0;
    return 0;
}

/* fd_seek(fd, offset i64, whence, newoffset) -> errno: stdout is at offset 0, always. */
static int host_fd_seek(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    uint8_t *out = guest_bytes(caller, (uint32_t)slots[3], 8);
    (void)ctx;
    if (!out)
        return pvf_caller_trap(caller, "fd_seek: result pointer %u out of bounds",
                               (uint32_t)slots[3]);
    memset(out, 0, 8);
    slots[0] = 0;
    return 0;
}

/* fd_fdstat_get(fd, stat) -> errno: an all-zero fdstat (file type unknown: not a tty). */
static int host_fd_fdstat_get(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    uint8_t *out = guest_bytes(caller, (uint32_t)slots[1], WASI_FDSTAT_SIZE);
    (void)ctx;
    if (!out)
        return pvf_caller_trap(caller, "fd_fdstat_get: result pointer %u out of bounds",
                               (uint32_t)slots[1]);
    memset(out, 0, WASI_FDSTAT_SIZE);
    slots[0] = 0;
    return 0;
}

static int host_return_zero(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx;
    slots[0] = 0;
    return 0;
}

/* wasi-libc asks for preopened directories at start-up; EBADF means "no more". */
static int host_return_ebadf(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx;
    slots[0] = WASI_EBADF;
    return 0;
}

static int host_clock_ms(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx;
    slots[0] = (uint64_t)(int64_t)walltime_ms();
    return 0;
}

static int host_nop(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx, (void)slots;
    return 0;
}

/* Signatures are written "params>results" with i I f F for i32 i64 f32 f64. */
static const struct host_import {
    const char *module;
    const char *name;
    const char *sig;
    pvf_host_fn fn;
} host_imports[] = {
    { "bench", "start", ">", host_bench_start },
    { "bench", "end", ">", host_bench_end },
    { "wasi_snapshot_preview1", "proc_exit", "i>", host_proc_exit },
    { "wasi_snapshot_preview1", "fd_write", "iiii>i", host_fd_write },
    { "wasi_snapshot_preview1", "fd_seek", "iIii>i", host_fd_seek },
    { "wasi_snapshot_preview1", "fd_close", "i>i", host_return_zero },
    { "wasi_snapshot_preview1", "fd_fdstat_get", "ii>i", host_fd_fdstat_get },
    { "wasi_snapshot_preview1", "fd_prestat_get", "ii>i", host_return_ebadf },
    { "env", "clock_ms", ">I", host_clock_ms },
};

/* ---- linking ------------------------------------------------------------------------------ */

static char type_letter(uint8_t t)
{
    switch (t) {
    case PVF_I32: return 'i';
    case PVF_I64: return 'I';
    case PVF_F32: return 'f';
    case PVF_F64: return 'F';
    default: return '?';
    }
}

static void signature_string(const pvf_functype *ft, char *buf, size_t len)
{
    size_t n = 0;
    for (uint32_t i = 0; i < ft->nparams + ft->nresults && n + 2 < len; i++) {
        if (i == ft->nparams)
            buf[n++] = '>';
        buf[n++] = type_letter(ft->types[i]);
    }
    if (ft->nresults == 0 && n + 1 < len)
        buf[n++] = '>';
    buf[n] = '\0';
}

static const struct host_import *find_host_import(const pvf_extern_desc *d)
{
    for (size_t i = 0; i < sizeof host_imports / sizeof host_imports[0]; i++)
        if (!strcmp(d->module, host_imports[i].module) && !strcmp(d->name, host_imports[i].name))
            return &host_imports[i];
    return NULL;
}

/* Resolve function import `d` into *out; false (with err) on a signature mismatch. */
static bool link_func(pvf_store *store, bench_host *h, const pvf_extern_desc *d, pvf_extern *out,
                      char *err, size_t errlen)
{
    const struct host_import *hi = find_host_import(d);
    char sig[64];
    out->kind = PVF_EXTERN_FUNC;
    out->u.func = NULL;                                 /* a stub that traps if called */
    if (hi) {
        signature_string(&d->func, sig, sizeof sig);
        if (strcmp(sig, hi->sig)) {
            snprintf(err, errlen, "import %s.%s has signature %s, expected %s", d->module,
                     d->name, sig, hi->sig);
            return false;
        }
        out->u.func = pvf_func_new_host(store, &d->func, hi->fn, h);
    } else if (!strcmp(d->module, "env") && d->func.nresults == 0) {
        out->u.func = pvf_func_new_host(store, &d->func, host_nop, h);
    }
    return true;
}

/* One extern per import of `code`, or NULL (err set) when an import cannot be provided. */
static pvf_extern *link_imports(pvf_store *store, const pvf_code *code, bench_host *h, char *err,
                                size_t errlen)
{
    uint32_t n = pvf_code_import_count(code);
    pvf_extern *ext = calloc(n ? n : 1, sizeof *ext);
    if (!ext) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        pvf_extern_desc d;
        pvf_code_import(code, i, &d);
        bool ok = true;
        if (d.kind == PVF_EXTERN_FUNC) {
            ok = link_func(store, h, &d, &ext[i], err, errlen);
        } else if (d.kind == PVF_EXTERN_MEMORY && !strcmp(d.module, "env")) {
            ext[i].kind = PVF_EXTERN_MEMORY;
            ext[i].u.memory = pvf_memory_new(store, d.limits);
            ok = ext[i].u.memory != NULL;
            if (!ok)
                snprintf(err, errlen, "cannot create memory %s.%s of %u pages", d.module, d.name,
                         d.limits.min);
        } else {
            snprintf(err, errlen, "cannot provide import %s.%s (kind %u)", d.module, d.name,
                     d.kind);
            ok = false;
        }
        if (!ok) {
            free(ext);
            return NULL;
        }
    }
    return ext;
}

/* ---- running ------------------------------------------------------------------------------ */

static bool export_func(pvf_instance *inst, const char *name, pvf_func **f)
{
    pvf_extern e;
    if (!pvf_instance_export(inst, name, &e) || e.kind != PVF_EXTERN_FUNC)
        return false;
    *f = e.u.func;
    return true;
}

/* fib takes and returns one integer (i32 or i64); the other entries take nothing. */
static bool entry_type_ok(const char *entry, const pvf_functype *ft)
{
    if (strcmp(entry, "fib"))
        return ft->nparams == 0 && ft->nresults <= 1;
    return ft->nparams == 1 && ft->nresults == 1 &&
           (ft->types[0] == PVF_I32 || ft->types[0] == PVF_I64);
}

/* The first of the known entry points that the instance exports, or NULL. */
static const char *find_entry(pvf_instance *inst, pvf_func **f)
{
    static const char *const entries[] = { "_start", "run", "fib", "_main" };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (export_func(inst, entries[i], f))
            return entries[i];
    return NULL;
}

/* Call the entry point; fills r->bench_ms, r->entry and the result. */
static int run_entry(pvf_instance *inst, bench_host *h, const bench_opts *o, bench_result *r)
{
    pvf_func *f = NULL;
    uint64_t args[1] = { o->fib_n }, res[1] = { 0 };
    pvf_trap trap = { 0 };

    r->entry = find_entry(inst, &f);
    if (!r->entry) {
        fprintf(stderr, "pvf bench: %s: no entry point (_start, run, fib or _main)\n", o->path);
        return EXIT_REJECTED;
    }
    const pvf_functype *ft = pvf_func_type(f);
    if (!entry_type_ok(r->entry, ft)) {
        fprintf(stderr, "pvf bench: %s: export %s has an unexpected type\n", o->path, r->entry);
        return EXIT_REJECTED;
    }

    double t0 = walltime_ms();
    pvf_trap_kind k = pvf_call(f, args, res, &trap);
    double call_ms = walltime_ms() - t0;

    if (k != PVF_TRAP_NONE && !(h->exited && h->exit_code == 0)) {
        fprintf(stderr, "pvf bench: %s: %s trapped: %s\n", o->path, r->entry,
                trap.message[0] ? trap.message : pvf_trap_kind_text(k));
        return EXIT_REJECTED;
    }
    bool sightglass = !strcmp(r->entry, "_start");
    r->bench_ms = sightglass && h->marks ? h->region_ms : call_ms;
    r->result = res[0];
    if (!strcmp(r->entry, "run") && ft->nresults == 1 && ft->types[0] == PVF_F32) {
        uint32_t bits = (uint32_t)res[0];
        memcpy(&r->score, &bits, sizeof r->score);
        r->has_score = true;
    }
    return 0;
}

/* Prepare and load; fills r->compile_ms. NULL (message printed) on failure. */
static pvf_code *compile(const uint8_t *wasm, size_t len, const bench_opts *o, bench_result *r,
                         int *status)
{
    pvf_engine_config cfg;
    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    pvf_prepare_stats stats;
    char err[512] = "";

    pvf_engine_config_default(&cfg, o->profile);
    cfg.tier = (pvf_tier)cli_tier();
    double c0 = cputime_thread_ms();
    if (!pvf_prepare(wasm, len, &cfg, &artifact, &artifact_len, &stats, err, sizeof err)) {
        fprintf(stderr, "pvf bench: %s: prepare failed: %s\n", o->path, err);
        *status = EXIT_REJECTED;
        return NULL;
    }
    pvf_code *code = pvf_code_load(artifact, artifact_len, err, sizeof err);
    free(artifact);
    if (code)
        pvf_code_build_image(code);     /* instantiated once per iteration */
    if (!code) {
        fprintf(stderr, "pvf bench: %s: loading the artifact failed: %s\n", o->path, err);
        *status = EXIT_ERROR;       /* we just produced it: an internal error */
    } else if (!cli_apply_tier(code, err, sizeof err)) {
        fprintf(stderr, "pvf bench: %s: %s\n", o->path, err);
        *status = EXIT_ERROR;
        pvf_code_free(code);
        code = NULL;
    }
    r->compile_ms = cputime_thread_ms() - c0;
    return code;
}

static int instantiate_and_run(const pvf_code *code, const bench_opts *o, bench_result *r)
{
    bench_host h = { .start_ms = -1 };
    pvf_trap trap = { 0 };
    char err[512] = "";
    int status = EXIT_REJECTED;
    pvf_store *store = pvf_store_new();
    if (!store) {
        fprintf(stderr, "pvf bench: out of memory\n");
        return EXIT_ERROR;
    }
    pvf_extern *imports = link_imports(store, code, &h, err, sizeof err);
    if (!imports) {
        fprintf(stderr, "pvf bench: %s: %s\n", o->path, err);
    } else {
        pvf_instance *inst = pvf_instantiate(store, code, imports, true, &trap, err, sizeof err);
        if (!inst)
            fprintf(stderr, "pvf bench: %s: instantiation failed: %s\n", o->path,
                    trap.kind != PVF_TRAP_NONE ? trap.message : err);
        else
            status = run_entry(inst, &h, o, r);
    }
    free(imports);
    pvf_store_free(store);
    return status;
}

/* ---- output and arguments ----------------------------------------------------------------- */

static void print_result(const bench_opts *o, const bench_result *r)
{
    if (o->json) {
        printf("{\"compile_ms\":%.3f,\"bench_ms\":%.3f,\"total_ms\":%.3f", r->compile_ms,
               r->bench_ms, r->total_ms);
        if (r->has_score)
            printf(",\"score\":%.3f", (double)r->score);
        printf("}\n");
        return;
    }
    printf("%s: entry %s\n", o->path, r->entry);
    printf("  compile  %10.3f ms (CPU: prepare + load)\n", r->compile_ms);
    printf("  bench    %10.3f ms (timed region)\n", r->bench_ms);
    printf("  total    %10.3f ms (wall, everything)\n", r->total_ms);
    if (r->has_score)
        printf("  score    %10.3f\n", (double)r->score);
    else if (!strcmp(r->entry, "fib") || !strcmp(r->entry, "_main"))
        printf("  result   %10llu\n", (unsigned long long)r->result);
}

static const cli_opt options[] = {
    { "--json", NULL, NULL, "one JSON object: compile_ms, bench_ms, total_ms (and score)", false },
    { "--profile", NULL, "full|pvf", "the engine profile (default full)", false },
    { "--fib-n", NULL, "N", "the argument of fib (default " BENCH_STR(DEFAULT_FIB_N) ")", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_bench_spec = {
    .name = "bench",
    .summary = "run a benchmark module (sightglass or CoreMark style)",
    .operands = "FILE.wasm",
    .min_operands = 1,
    .max_operands = 1,
    .description = "Run a benchmark module: a sightglass one (_start), CoreMark (run), fib or _main, and print "
                   "the compile time, the timed region and the total (make bench runs them side by side with "
                   "V8).",
    .options = options,
    .exit_status = "0 ran; 1 the module trapped or gave an unexpected result; 2 a usage error or an unreadable "
                   "file.",
};

/* The options of a parsed line into *o; false (reported) on a bad value. */
static bool read_options(const cli_args *a, bench_opts *o)
{
    *o = (bench_opts){ .profile = PVF_PROFILE_FULL, .fib_n = DEFAULT_FIB_N, .json = a->json,
                       .path = a->operands[0] };
    int profile;
    if (!cli_read_profile(a, PVF_PROFILE_FULL, &profile))
        return false;
    o->profile = (pvf_profile)profile;
    const char *n = cli_get(a, "--fib-n");
    if (n && !parse_count_u32(n, &o->fib_n)) {
        cli_fail(a->json, "bench", EXIT_USAGE, "--fib-n needs a count from 1 to %u, not '%s'", UINT32_MAX, n);
        return false;
    }
    return true;
}

int cmd_bench(const cli_args *a)
{
    bench_opts o;
    bench_result r = { 0 };
    int status = 0;
    if (!read_options(a, &o))
        return EXIT_USAGE;

    double t0 = walltime_ms();
    size_t len = 0;
    uint8_t *wasm = file_read(o.path, &len);
    if (!wasm)
        return cli_fail(o.json, "bench", EXIT_ERROR, "cannot read %s: %s", o.path, strerror(errno));
    pvf_code *code = compile(wasm, len, &o, &r, &status);
    free(wasm);
    if (!code)
        return status;
    status = instantiate_and_run(code, &o, &r);
    pvf_code_free(code);
    r.total_ms = walltime_ms() - t0;
    if (status == 0)
        print_result(&o, &r);
    return status;
}
