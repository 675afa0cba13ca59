/*
 * interp.c — the interpreter: one loop over the code of ir.h.
 *
 * Dispatch is computed goto (`goto *labels[op]`). Wasm-to-wasm calls inside
 * one instance do not recurse in C: frames live on an explicit call stack
 * (ret, fp, stack-limiter cost) beside a value stack of 64-bit slots, both
 * reserved once per thread with mmap. Both are far larger than anything a
 * module under the deterministic stack limit can use (a frame costs at least
 * 2 logical units, so at most limit/2 metered frames + as many thunks), so
 * the logical limit always fires first; running out of them is the
 * "call stack exhausted" trap of the unmetered (full) profile.
 *
 * Calls that leave the instance (host functions, functions of other
 * instances) go through call_external(), which recurses in C a bounded number
 * of times.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm/ir.h"
#include "wasm/native.h"
#include "wasm/numeric.h"
#include "wasm/store.h"

/*
 * pvf's own bounds, none of which can fire before the deterministic stack
 * limit on a PVF (docs/ARCHITECTURE.md, "Accepted modules"): a charged frame
 * costs at least 2 logical units and StackLogicalMax is at most 131,072, so a
 * PVF reaches at most ~65,536 charged frames (plus as many thunks) and a few
 * slots per unit. MAX_NESTED_RUNS bounds the C recursion of calls that leave
 * an instance (host functions calling back, cross-instance calls in the spec
 * suite): PVF host functions never call back into wasm, and 1,000 C frames of
 * run() stay far inside the job thread's native stack.
 */
#define VALUE_STACK_SLOTS (128u << 20)      /* 1 GiB reserved, committed on use */
#define CALL_STACK_FRAMES (1u << 20)
#define MAX_NESTED_RUNS 1000                /* C recursion through call_external */
#define WASM_MXCSR 0x1F80u                  /* all exceptions masked, round to nearest, no FTZ/DAZ */

typedef struct frame {
    const uint32_t *ret;
    uint64_t *fp;
    uint64_t cost;          /* stack-limiter charge to give back on return */
} frame;

typedef struct exec_stack {
    uint64_t *slots, *slots_end;
    frame *frames, *frames_end;
    uint64_t *top;          /* first free slot for a new top-level call */
    frame *ftop;            /* first free frame for a nested run */
    int depth;
} exec_stack;

/* initial-exec: the shared library too reaches it without __tls_get_addr (the loop uses it) */
static __thread exec_stack es __attribute__((tls_model("initial-exec")));

size_t pvf_engine_stack_reserve_bytes(void)
{
    return (size_t)VALUE_STACK_SLOTS * sizeof(uint64_t) + (size_t)CALL_STACK_FRAMES * sizeof(frame) +
           native_stack_reserve_bytes();
}

static bool exec_stack_ready(void)
{
    if (es.slots)
        return true;
    size_t sbytes = (size_t)VALUE_STACK_SLOTS * sizeof(uint64_t);
    size_t fbytes = (size_t)CALL_STACK_FRAMES * sizeof(frame);
    void *s = mmap(NULL, sbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *f = mmap(NULL, fbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED || f == MAP_FAILED) {
        if (s != MAP_FAILED)
            munmap(s, sbytes);
        if (f != MAP_FAILED)
            munmap(f, fbytes);
        return false;
    }
    es.slots = es.top = s;
    es.slots_end = es.slots + VALUE_STACK_SLOTS;
    es.frames = es.ftop = f;
    es.frames_end = es.frames + CALL_STACK_FRAMES;
    return true;
}

bool functype_equal(const pvf_functype *a, const pvf_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           !memcmp(a->types, b->types, a->nparams + a->nresults);
}

static pvf_trap_kind run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, pvf_trap *trap);

/* The backtrace of a trap leaving run(): the function at ip, then every caller on the frame
 * stack [cfirst, csp). */
static pvf_trap_kind unwind(const pvf_code *code, pvf_trap *trap, pvf_trap_kind kind, const uint32_t *ip,
                            const frame *csp, const frame *cfirst)
{
    if (!trap)
        return kind;
    trap_frame(trap, code_func_at(code, (uint32_t)(ip - code->code)));
    for (const frame *c = csp; c-- > cfirst;)
        trap_frame(trap, code_func_at(code, (uint32_t)(c->ret - code->code)));
    return kind;
}

/* A trap raised by the op at ip: the kind's text, or the bulk table ops' own. */
static pvf_trap_kind trap_at(pvf_trap *trap, pvf_trap_kind kind, const uint32_t *ip)
{
    trap_set(trap, kind);
    if (kind == PVF_TRAP_TABLE_OUT_OF_BOUNDS && (*ip == IR_TABLE_INIT || *ip == IR_TABLE_COPY))
        snprintf(trap->message, sizeof trap->message, "out of bounds table access");
    return kind;
}

/* A call that leaves the running instance: a host function or another instance's function. */
static pvf_trap_kind call_external(pvf_instance *caller_inst, pvf_func *f, uint64_t *slots, frame *csp,
                                   pvf_trap *trap)
{
    if (es.depth >= MAX_NESTED_RUNS)
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    uint32_t n = f->type.nparams > f->type.nresults ? f->type.nparams : f->type.nresults;
    uint64_t *saved_top = es.top;
    frame *saved_ftop = es.ftop;
    es.top = slots + n + 1;
    es.ftop = csp;
    es.depth++;
    pvf_trap_kind k;
    if (f->host) {
        pvf_caller caller = { caller_inst, trap };
        k = f->host(&caller, f->ctx, slots) ? (trap->kind ? trap->kind : PVF_TRAP_HOST) : PVF_TRAP_NONE;
    } else {
        k = run(f->inst, f->index, slots, trap);
    }
    es.depth--;
    es.top = saved_top;
    es.ftop = saved_ftop;
    return k;
}

bool pvf_engine_reserve_stacks(void)
{
    return exec_stack_ready() && native_thread_ready();
}

pvf_trap_kind interp_invoke(pvf_func *f, uint64_t *slots, pvf_trap *trap)
{
    if (!exec_stack_ready()) {
        trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
        snprintf(trap->message, sizeof trap->message, "cannot reserve the wasm stack");
        return PVF_TRAP_STACK_EXHAUSTED;
    }
    uint32_t n = f->type.nparams > f->type.nresults ? f->type.nparams : f->type.nresults;
    uint64_t *base = es.top;
    if (base + n + 1 > es.slots_end)
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    if (f->type.nparams)
        memcpy(base, slots, (size_t)f->type.nparams * sizeof *base);
    /* Float results depend on MXCSR: round to nearest, no flush-to-zero, exceptions masked
     * (wasm-engine-notes §5.5). Set it for the call and give the caller's back. */
    unsigned saved_mxcsr = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(WASM_MXCSR);
    pvf_trap_kind k = call_external(NULL, f, base, es.ftop, trap);
    __builtin_ia32_ldmxcsr(saved_mxcsr);
    if (k == PVF_TRAP_NONE && f->type.nresults)
        memcpy(slots, base, (size_t)f->type.nresults * sizeof *base);
    return k;
}

/* ---- the loop ------------------------------------------------------------------------------ */

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The compiler only emits ops of the table, and the loader checked the artifact's checksum. */
#define NEXT() do { assert(*ip < IR_OP_COUNT); goto *labels[*ip]; } while (0)
#define TRAP(kind) do { result = (kind); goto trapped; } while (0)

#define A32 ((uint32_t)fp[ip[2]])
#define A64 (fp[ip[2]])
#define SET(v) (fp[ip[1]] = (uint64_t)(v))
#define SET32(v) (fp[ip[1]] = (uint64_t)(uint32_t)(v))

/* i32 binary op: plain (d a b) and immediate (d a k) forms. */
#define BIN32(name, ...)                                                          \
    L_##name: { uint32_t a = A32, b = (uint32_t)fp[ip[3]]; __VA_ARGS__; ip += 4; NEXT(); } \
    L_##name##_K: { uint32_t a = A32, b = ip[3]; __VA_ARGS__; ip += 4; NEXT(); }
/* i64 binary op: plain (d a b) and immediate (d a K) forms. */
#define BIN64(name, ...)                                                          \
    L_##name: { uint64_t a = A64, b = fp[ip[3]]; __VA_ARGS__; ip += 4; NEXT(); }   \
    L_##name##_K: { uint64_t a = A64, b = ip[3] | (uint64_t)ip[4] << 32; __VA_ARGS__; ip += 5; NEXT(); }
/* float binary op; the _C form canonicalises a NaN result. */
#define FBIN32(name, expr)                                                        \
    L_##name: { float a = f32_of(A64), b = f32_of(fp[ip[3]]); SET(bits_f32(expr)); ip += 4; NEXT(); } \
    L_##name##_C: { float a = f32_of(A64), b = f32_of(fp[ip[3]]); SET(canon_f32(expr)); ip += 4; NEXT(); }
#define FBIN64(name, expr)                                                        \
    L_##name: { double a = f64_of(A64), b = f64_of(fp[ip[3]]); SET(bits_f64(expr)); ip += 4; NEXT(); } \
    L_##name##_C: { double a = f64_of(A64), b = f64_of(fp[ip[3]]); SET(canon_f64(expr)); ip += 4; NEXT(); }
/* ops that produce raw bits (compare, copysign): both forms alike */
#define FRAW(name, ...)                                                           \
    L_##name: L_##name##_C: { uint64_t a = A64, b = fp[ip[3]]; (void)a; (void)b; __VA_ARGS__; ip += 4; NEXT(); }
/* unary op (d a); the _C form of canonicalised ops canonicalises */
#define UN(name, ...)                                                             \
    L_##name: L_##name##_C: { uint64_t a = A64; __VA_ARGS__; ip += 3; NEXT(); }
#define FUN32(name, expr)                                                         \
    L_##name: { float a = f32_of(A64); SET(bits_f32(expr)); ip += 3; NEXT(); }     \
    L_##name##_C: { float a = f32_of(A64); SET(canon_f32(expr)); ip += 3; NEXT(); }
#define FUN64(name, expr)                                                         \
    L_##name: { double a = f64_of(A64); SET(bits_f64(expr)); ip += 3; NEXT(); }    \
    L_##name##_C: { double a = f64_of(A64); SET(canon_f64(expr)); ip += 3; NEXT(); }
/* trapping float→int conversion: check in double, then truncate */
#define CONV(name, src, lo, hi, ctype, store)                                     \
    L_##name: L_##name##_C: {                                                     \
        double x = src;                                                           \
        int ck = conv_check(x, lo, hi);                                           \
        if (UNLIKELY(ck != CONV_OK))                                              \
            TRAP(ck == CONV_NAN ? PVF_TRAP_INVALID_CONVERSION : PVF_TRAP_INTEGER_OVERFLOW); \
        store((ctype)x); ip += 3; NEXT();                                         \
    }

/* fused compare-and-branch (a b t / a k t) */
#define BRCMP(cmp, expr)                                                          \
    L_BR_I32_##cmp: { uint32_t a = (uint32_t)fp[ip[1]], b = (uint32_t)fp[ip[2]];  \
        ip = (expr) ? cbase + ip[3] : ip + 4; NEXT(); }                           \
    L_BR_I32_##cmp##_K: { uint32_t a = (uint32_t)fp[ip[1]], b = ip[2];            \
        ip = (expr) ? cbase + ip[3] : ip + 4; NEXT(); }

/* memory access: effective address checked against the current size */
#define EFFECTIVE(addr_slot, off, size)                                           \
    uint64_t ea = (uint64_t)(uint32_t)fp[addr_slot] + (off);                      \
    if (UNLIKELY(ea + (size) > msize))                                            \
        TRAP(PVF_TRAP_MEMORY_OUT_OF_BOUNDS);
#define LOAD(name, ctype, size, conv)                                             \
    L_##name: { EFFECTIVE(ip[2], ip[3], size); ctype v; memcpy(&v, mbase + ea, size); SET(conv); ip += 4; NEXT(); }
#define STORE(name, ctype, size)                                                  \
    L_##name: { EFFECTIVE(ip[1], ip[3], size); ctype v = (ctype)fp[ip[2]]; memcpy(mbase + ea, &v, size); ip += 4; NEXT(); }

#define RELOAD_MEMORY()                                                           \
    do {                                                                          \
        mbase = mem ? mem->base : NULL;                                           \
        msize = mem ? mem->size : 0;                                              \
    } while (0)

static pvf_trap_kind run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, pvf_trap *trap)
{
    static const void *const labels[IR_OP_COUNT] = {
#define X_BIN(name, wop) [IR_##name] = &&L_##name, [IR_##name##_K] = &&L_##name##_K,
#define X_F(name, wop, canon) [IR_##name] = &&L_##name, [IR_##name##_C] = &&L_##name##_C,
#define X_ONE(name, ...) [IR_##name] = &&L_##name,
#define X_BRCMP(cmp, inv) [IR_BR_I32_##cmp] = &&L_BR_I32_##cmp, [IR_BR_I32_##cmp##_K] = &&L_BR_I32_##cmp##_K,
        IR_BR_CMPS(X_BRCMP)
        IR_I32_BINOPS(X_BIN) IR_I64_BINOPS(X_BIN) IR_F_BINOPS(X_F) IR_UNOPS(X_F)
        IR_SAT_OPS(X_ONE) IR_LOADS(X_ONE) IR_STORES(X_ONE) IR_OTHER_OPS(X_ONE)
#undef X_BIN
#undef X_F
#undef X_ONE
#undef X_BRCMP
    };
    const pvf_code *code = inst->code;
    const uint32_t *cbase = code->code;
    const code_func *funcs = code->funcs;
    uint64_t **G = inst->globals;
    uint64_t unmetered = 0;
    uint64_t *height = code->metered ? G[code->stack_global] : &unmetered;
    const uint32_t limit = code->stack_limit;
    pvf_memory *mem = inst->memory;
    uint8_t *mbase;
    uint64_t msize;
    RELOAD_MEMORY();
    frame *const cfirst = es.ftop;
    frame *csp = cfirst;
    pvf_trap_kind result = PVF_TRAP_NONE;
    const uint32_t *ip;
    const code_func *f = &funcs[fidx];
    uint64_t *nfp;

    if (trap)
        trap->nframes = 0;
    if (code->native)
        return native_run(inst, fidx, fp, (uint64_t)(es.frames_end - es.ftop), es.slots_end, trap);
    if (UNLIKELY(fp + f->frame_slots > es.slots_end))
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    memset(fp + f->nparams, 0, (size_t)f->nlocals * sizeof *fp);
    ip = cbase + f->entry;
    NEXT();

#include "wasm/interp_ops.inc"


    BRCMP(EQ, a == b)
    BRCMP(NE, a != b)
    BRCMP(LT_S, (int32_t)a < (int32_t)b)
    BRCMP(LT_U, a < b)
    BRCMP(GT_S, (int32_t)a > (int32_t)b)
    BRCMP(GT_U, a > b)
    BRCMP(LE_S, (int32_t)a <= (int32_t)b)
    BRCMP(LE_U, a <= b)
    BRCMP(GE_S, (int32_t)a >= (int32_t)b)
    BRCMP(GE_U, a >= b)

L_UNREACHABLE:
    TRAP(PVF_TRAP_UNREACHABLE);
L_TRAP_MISSING:
    TRAP(PVF_TRAP_MISSING_IMPORT);
L_BR:
    ip = cbase + ip[1];
    NEXT();
L_BR_IF:
    ip = (uint32_t)fp[ip[1]] ? cbase + ip[2] : ip + 3;
    NEXT();
L_BR_UNLESS:
    ip = (uint32_t)fp[ip[1]] ? ip + 3 : cbase + ip[2];
    NEXT();
L_BR_TABLE: {
    uint32_t i = (uint32_t)fp[ip[1]], n = ip[2];
    ip = cbase + ip[3 + (i < n ? i : n)];
    NEXT();
}
L_RETURN1:
    fp[0] = fp[ip[1]];
    /* fall through */
L_RETURN:
    if (csp == cfirst)
        goto done;
    csp--;
    *height = (uint32_t)(*height - csp->cost);
    fp = csp->fp;
    ip = csp->ret;
    NEXT();
L_CALL_METERED: {
    uint32_t h = (uint32_t)*height + ip[3];
    *height = h;
    if (UNLIKELY(h > limit))
        TRAP(PVF_TRAP_UNREACHABLE);
    f = &funcs[ip[1]];
    nfp = fp + ip[2];
    if (UNLIKELY(nfp + f->frame_slots > es.slots_end || csp == es.frames_end))
        TRAP(PVF_TRAP_STACK_EXHAUSTED);
    *csp++ = (frame){ ip + 4, fp, ip[3] };
    goto enter;
}
L_CALL:
    f = &funcs[ip[1]];
    nfp = fp + ip[2];
    if (UNLIKELY(nfp + f->frame_slots > es.slots_end || csp == es.frames_end))
        TRAP(PVF_TRAP_STACK_EXHAUSTED);
    *csp++ = (frame){ ip + 3, fp, 0 };
enter:
    for (uint32_t i = f->nparams, e = f->nparams + f->nlocals; i < e; i++)
        nfp[i] = 0;
    fp = nfp;
    ip = cbase + f->entry;
    NEXT();
L_CALL_IMPORT: {
    pvf_trap_kind k = call_external(inst, inst->funcs[ip[1]], fp + ip[2], csp, trap);
    if (UNLIKELY(k != PVF_TRAP_NONE))
        return unwind(code, trap, k, ip, csp, cfirst);
    RELOAD_MEMORY();
    ip += 3;
    NEXT();
}
L_CALL_INDIRECT: {
    pvf_table *t = inst->tables[ip[2]];
    uint32_t i = (uint32_t)fp[ip[3]];
    if (UNLIKELY(i >= t->size))
        TRAP(PVF_TRAP_TABLE_OUT_OF_BOUNDS);
    pvf_func *callee = t->elems[i];
    if (UNLIKELY(!callee))
        TRAP(PVF_TRAP_UNINITIALIZED_ELEMENT);
    if (LIKELY(callee->inst == inst && !callee->host)) {
        if (UNLIKELY(code->type_canon[funcs[callee->index].type_index] != code->type_canon[ip[1]]))
            TRAP(PVF_TRAP_INDIRECT_CALL_TYPE);
        f = &funcs[callee->index];
        nfp = fp + ip[4];
        if (UNLIKELY(nfp + f->frame_slots > es.slots_end || csp == es.frames_end))
            TRAP(PVF_TRAP_STACK_EXHAUSTED);
        *csp++ = (frame){ ip + 5, fp, 0 };
        goto enter;
    }
    if (UNLIKELY(!functype_equal(&callee->type, &code->types[ip[1]])))
        TRAP(PVF_TRAP_INDIRECT_CALL_TYPE);
    pvf_trap_kind k = call_external(inst, callee, fp + ip[4], csp, trap);
    if (UNLIKELY(k != PVF_TRAP_NONE))
        return unwind(code, trap, k, ip, csp, cfirst);
    RELOAD_MEMORY();
    ip += 5;
    NEXT();
}

trapped:
    trap_at(trap, result, ip);
    return unwind(code, trap, result, ip, csp, cfirst);
done:
    return PVF_TRAP_NONE;
}

/* ---- the native tier's calls into the interpreter (store.h) --------------------------------- */

pvf_trap_kind interp_step(pvf_instance *inst, uint64_t *fp, const uint32_t *ip, pvf_trap *trap)
{
    static const void *const labels[IR_OP_COUNT] = {
#define X_BIN(name, wop) [IR_##name] = &&L_##name, [IR_##name##_K] = &&L_##name##_K,
#define X_F(name, wop, canon) [IR_##name] = &&L_##name, [IR_##name##_C] = &&L_##name##_C,
#define X_ONE(name, ...) [IR_##name] = &&L_##name,
        IR_I32_BINOPS(X_BIN) IR_I64_BINOPS(X_BIN) IR_F_BINOPS(X_F) IR_UNOPS(X_F)
        IR_SAT_OPS(X_ONE) IR_LOADS(X_ONE) IR_STORES(X_ONE)
        X_ONE(COPY) X_ONE(CONST32) X_ONE(CONST64) X_ONE(SELECT) X_ONE(GLOBAL_GET) X_ONE(GLOBAL_SET)
        X_ONE(MEMORY_SIZE) X_ONE(MEMORY_GROW) X_ONE(MEMORY_INIT) X_ONE(DATA_DROP) X_ONE(MEMORY_COPY)
        X_ONE(MEMORY_FILL) X_ONE(TABLE_INIT) X_ONE(ELEM_DROP) X_ONE(TABLE_COPY)
#undef X_BIN
#undef X_F
#undef X_ONE
    };
    const pvf_code *code = inst->code;
    uint64_t **G = inst->globals;
    pvf_memory *mem = inst->memory;
    uint8_t *mbase;
    uint64_t msize;
    RELOAD_MEMORY();
    pvf_trap_kind result;
    assert(labels[*ip]);
#undef NEXT
#define NEXT() return PVF_TRAP_NONE
    goto *labels[*ip];
#include "wasm/interp_ops.inc"
#undef NEXT
trapped:
    return trap_at(trap, result, ip);
}

pvf_trap_kind interp_call_import(pvf_instance *inst, uint32_t func, uint64_t *slots, uint64_t frames_left,
                                 pvf_trap *trap)
{
    return call_external(inst, inst->funcs[func], slots, es.frames_end - frames_left, trap);
}

pvf_trap_kind interp_call_indirect(pvf_instance *inst, pvf_func *callee, uint32_t type, uint64_t *slots,
                                   uint64_t frames_left, pvf_trap *trap)
{
    if (UNLIKELY(!functype_equal(&callee->type, &inst->code->types[type])))
        return trap_set(trap, PVF_TRAP_INDIRECT_CALL_TYPE);
    return call_external(inst, callee, slots, es.frames_end - frames_left, trap);
}
