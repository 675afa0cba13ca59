/*
 * validate_body.c — type-checks one function body.
 *
 * This is the operand-stack / control-stack algorithm of the validation
 * appendix of the WebAssembly spec (1.1 era), run in one pass over the
 * instruction bytes:
 *
 *   - the operand stack holds value types; ANY stands for a value of unknown
 *     type, which only appears after unreachable/br/br_table/return made the
 *     rest of the block dead ("polymorphic stack");
 *   - each block/loop/if/else pushes a control frame remembering its label
 *     types and the operand-stack height at entry; popping below that height
 *     is an error, unless the frame is unreachable, in which case the pop
 *     yields ANY.
 *
 * Besides types it checks every immediate (indices in range, alignment,
 * reserved zero bytes, LEB128 encodings through reader.h) and the feature
 * gates of wasm_features, naming the missing feature in the error.
 *
 * Speed matters (multi-megabyte runtimes at prepare time): no allocation per
 * instruction, single-byte LEB128 immediates read inline, and the ~130 plain
 * numeric opcodes share one table-driven path.
 */
#include "wasm/validate_body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "util/vec.h"

#define COLD __attribute__((noinline, cold))

/* Operand of unknown type, produced by pops from an unreachable frame. */
enum { ANY = 0 };

/*
 * pvf's own cap on the operand stack (wasmparser has none), harmless to
 * allocate. It cannot fire before a reference limit: without multi-value (the
 * pvf profile) each push takes an instruction of two bytes or more, so a body
 * within WASM_MAX_FUNCTION_SIZE pushes at most 3.9 M values. Only the full
 * profile's multi-result calls could reach it.
 */
#define MAX_OPERANDS (1u << 24)

enum frame_kind { FRAME_FUNC, FRAME_BLOCK, FRAME_LOOP, FRAME_IF, FRAME_ELSE };

typedef struct ctrl_frame {
    const uint8_t *params;      /* block type: [params] -> [results] */
    const uint8_t *results;
    uint32_t nparams;
    uint32_t nresults;
    uint32_t height;            /* operand-stack height when the block was entered */
    uint8_t kind;               /* FRAME_* */
    bool unreachable;           /* the rest of this block is dead code */
} ctrl_frame;

struct body_checker {
    const wasm_module *m;
    const wasm_features *features;
    wasm_error *err;

    /* The body being checked. */
    const wasm_func *func;
    const wasm_functype *ftype;
    const uint8_t *code;        /* first instruction */
    const uint8_t *end;         /* one past the last byte of the body */
    const uint8_t *p;           /* next byte to read */
    const uint8_t *ip;          /* first byte of the current instruction */
    uint32_t fc_op;             /* sub-opcode when *ip is the 0xFC prefix */
    size_t code_offset;         /* absolute offset of `code` in the binary */

    /* Operand and control stacks, reused across functions. */
    uint8_t *vals;
    uint32_t nvals;
    size_t vals_cap;
    ctrl_frame *ctrls;
    uint32_t nctrls;
    size_t ctrls_cap;

    /*
     * Local types. The first `nflat` (params included) are kept in a flat
     * array for the common case; the flat prefix is bounded by the body size
     * so that a tiny body declaring 50 000 locals costs nothing. Locals past
     * it are found by binary search over the groups' cumulative ends.
     */
    uint32_t nlocals;           /* params + declared locals */
    uint8_t *flat;
    uint32_t nflat;
    size_t flat_cap;
    uint32_t *group_ends;       /* group_ends[i] = index one past group i */
    size_t groups_cap;
};

/* ---- errors ------------------------------------------------------------ */

static const char *op_name(const body_checker *c)
{
    static const char *const fc_reftypes[] = { "table.grow", "table.size", "table.fill" };
    unsigned op = *c->ip;
    const char *name;
    if (op == WASM_OP_PREFIX_FC) {
        name = wasm_fc_opcode_name(c->fc_op);
        if (!name && c->fc_op >= 15 && c->fc_op <= 17)
            name = fc_reftypes[c->fc_op - 15];
    } else if (op == 0x25 || op == 0x26) {
        name = op == 0x25 ? "table.get" : "table.set";
    } else {
        name = wasm_opcode_name(op);
    }
    return name ? name : "instruction";
}

static const char *type_name(uint8_t t)
{
    const char *name = t == ANY ? "any" : wasm_valtype_name(t);
    if (name)
        return name;
    return "invalid type";
}

static size_t offset_of(const body_checker *c, const uint8_t *at)
{
    return c->code_offset + (size_t)(at - c->code);
}

/* Fail at the current instruction. */
COLD __attribute__((format(printf, 2, 3)))
static bool fail(body_checker *c, const char *fmt, ...)
{
    char msg[WASM_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wasm_fail_at(c->err, offset_of(c, c->ip), "%s", msg);
}

COLD static bool fail_mismatch(body_checker *c, uint8_t want, uint8_t got)
{
    return fail(c, "type mismatch: %s expects %s but found %s", op_name(c), type_name(want),
                type_name(got));
}

COLD static bool fail_underflow(body_checker *c, uint8_t want)
{
    if (want == ANY)
        return fail(c, "type mismatch: %s expects an operand but the stack is empty", op_name(c));
    return fail(c, "type mismatch: %s expects %s but the stack is empty", op_name(c),
                type_name(want));
}

/* A post-MVP instruction whose feature is switched off. */
COLD static bool fail_feature(body_checker *c, const char *kind, const char *feature)
{
    return fail(c, "%s %s requires the %s feature, which is not enabled "
                "(not allowed in the pvf profile)", kind, op_name(c), feature);
}

/* Reference-types instructions: that proposal is not supported at all. */
COLD static bool fail_reftypes(body_checker *c)
{
    return fail(c, "unsupported instruction %s: it needs the reference-types feature, "
                "which is not supported", op_name(c));
}

/* ---- immediates ---------------------------------------------------------- */

/* reader.h errors name the offending byte; add the instruction it belongs to. */
COLD static bool note_instruction(body_checker *c)
{
    if (!c->err)
        return false;
    size_t n = strlen(c->err->msg);
    snprintf(c->err->msg + n, sizeof c->err->msg - n, " (immediate of %s at offset 0x%zx)",
             op_name(c), offset_of(c, c->ip));
    return false;
}

/* A reader positioned at c->p, so that slow paths can use reader.h. */
static void reader_here(const body_checker *c, wasm_reader *r)
{
    wasm_reader_init(r, c->p, (size_t)(c->end - c->p), offset_of(c, c->p), c->err);
}

COLD static bool read_u32_slow(body_checker *c, uint32_t *out)
{
    wasm_reader r;
    reader_here(c, &r);
    if (!wasm_read_u32(&r, out))
        return note_instruction(c);
    c->p = r.p;
    return true;
}

/*
 * LEB128 immediates take an inline path when they end within their first
 * max-1 bytes: such an encoding is always valid, as only the last allowed
 * byte has bits that must be zero (or a sign extension). The rest, and every
 * error, go through reader.h.
 */
static inline bool read_u32(body_checker *c, uint32_t *out)
{
    const uint8_t *p = c->p;
    size_t n = (size_t)(c->end - p) < 4 ? (size_t)(c->end - p) : 4;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint32_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) {
            c->p = p + i + 1;
            *out = v;
            return true;
        }
    }
    return read_u32_slow(c, out);
}

COLD static bool skip_sleb_slow(body_checker *c, unsigned bits)
{
    wasm_reader r;
    int32_t v32;
    int64_t v64;
    reader_here(c, &r);
    if (!(bits == 32 ? wasm_read_s32(&r, &v32) : wasm_read_s64(&r, &v64)))
        return note_instruction(c);
    c->p = r.p;
    return true;
}

/* Skip a signed LEB128 of `bits` bits (the value of a constant is not needed). */
static inline bool skip_sleb(body_checker *c, unsigned bits)
{
    const uint8_t *p = c->p;
    size_t max = bits == 32 ? 4 : 9;    /* bytes that need no range check */
    size_t n = (size_t)(c->end - p) < max ? (size_t)(c->end - p) : max;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] & 0x80)) {
            c->p = p + i + 1;
            return true;
        }
    }
    return skip_sleb_slow(c, bits);
}

static bool skip_bytes(body_checker *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return fail(c, "unexpected end of function body in %s", op_name(c));
    c->p += n;
    return true;
}

/* The reserved byte of memory.size/grow, call_indirect and bulk ops. */
static bool read_zero_byte(body_checker *c)
{
    if (c->p >= c->end)
        return fail(c, "unexpected end of function body in %s", op_name(c));
    if (*c->p != 0)
        return fail(c, "zero flag expected: the reserved byte of %s is 0x%02x", op_name(c), *c->p);
    c->p++;
    return true;
}

/* ---- operand stack --------------------------------------------------------- */

COLD static bool grow_vals(body_checker *c, uint32_t need)
{
    if (need > MAX_OPERANDS)
        return fail(c, "operand stack too large (more than %u values)", MAX_OPERANDS);
    if (!vec_reserve((void **)&c->vals, &c->vals_cap, need, sizeof *c->vals, 256))
        return fail(c, "out of memory for the operand stack");
    return true;
}

static inline ctrl_frame *top(body_checker *c)
{
    return &c->ctrls[c->nctrls - 1];
}

static inline bool push(body_checker *c, uint8_t t)
{
    if (c->nvals == c->vals_cap && !grow_vals(c, c->nvals + 1))
        return false;
    c->vals[c->nvals++] = t;
    return true;
}

static bool push_types(body_checker *c, const uint8_t *types, uint32_t n)
{
    if (n == 0)
        return true;
    if (n > c->vals_cap - c->nvals && !grow_vals(c, c->nvals + n))
        return false;
    memcpy(c->vals + c->nvals, types, n);
    c->nvals += n;
    return true;
}

/* Pop one operand that must have type `want` (ANY: whatever type). */
static inline bool pop_expect(body_checker *c, uint8_t want)
{
    const ctrl_frame *f = top(c);
    if (c->nvals > f->height) {
        uint8_t got = c->vals[--c->nvals];
        if (got == want || got == ANY || want == ANY)
            return true;
        return fail_mismatch(c, want, got);
    }
    if (f->unreachable)
        return true;
    return fail_underflow(c, want);
}

/* Pop one operand of any type; *got is ANY when it came from dead code. */
static inline bool pop_any(body_checker *c, uint8_t *got)
{
    const ctrl_frame *f = top(c);
    if (c->nvals > f->height) {
        *got = c->vals[--c->nvals];
        return true;
    }
    *got = ANY;
    return f->unreachable || fail_underflow(c, ANY);
}

/* Pop `types` (the last one is on top). */
static bool pop_types(body_checker *c, const uint8_t *types, uint32_t n)
{
    /* Calls and blocks with long signatures: one memcmp instead of n pops. */
    if (n >= 8 && c->nvals - top(c)->height >= n &&
        memcmp(c->vals + c->nvals - n, types, n) == 0) {
        c->nvals -= n;
        return true;
    }
    for (uint32_t i = n; i-- > 0;)
        if (!pop_expect(c, types[i]))
            return false;
    return true;
}

/* The rest of the current block is dead: the stack becomes polymorphic. */
static void set_unreachable(body_checker *c)
{
    ctrl_frame *f = top(c);
    c->nvals = f->height;
    f->unreachable = true;
}

/* ---- control frames ------------------------------------------------------ */

/* No depth limit (none in wasmparser): a block takes two bytes, so the body size bounds it. */
COLD static bool grow_ctrls(body_checker *c)
{
    if (!vec_reserve((void **)&c->ctrls, &c->ctrls_cap, (size_t)c->nctrls + 1, sizeof *c->ctrls, 64))
        return fail(c, "out of memory for the control stack");
    return true;
}

typedef struct block_type {
    const uint8_t *params, *results;
    uint32_t nparams, nresults;
} block_type;

static bool push_frame(body_checker *c, uint8_t kind, const block_type *bt)
{
    if (c->nctrls == c->ctrls_cap && !grow_ctrls(c))
        return false;
    c->ctrls[c->nctrls++] = (ctrl_frame){
        .params = bt->params, .results = bt->results,
        .nparams = bt->nparams, .nresults = bt->nresults,
        .height = c->nvals, .kind = kind, .unreachable = false,
    };
    return push_types(c, bt->params, bt->nparams);
}

/* The types a branch to label `depth` carries: a loop's params, else results. */
static void label_types(const ctrl_frame *f, const uint8_t **types, uint32_t *n)
{
    if (f->kind == FRAME_LOOP) {
        *types = f->params;
        *n = f->nparams;
    } else {
        *types = f->results;
        *n = f->nresults;
    }
}

static bool read_label(body_checker *c, const ctrl_frame **f)
{
    uint32_t depth;
    if (!read_u32(c, &depth))
        return false;
    if (depth >= c->nctrls)
        return fail(c, "unknown label %u in %s (only %u enclosing blocks)", depth, op_name(c),
                    c->nctrls);
    *f = &c->ctrls[c->nctrls - 1 - depth];
    return true;
}

/* Pop a block's results and check nothing else is left above its base. */
static bool pop_frame_results(body_checker *c)
{
    const ctrl_frame *f = top(c);
    if (!pop_types(c, f->results, f->nresults))
        return false;
    if (c->nvals != f->height)
        return fail(c, "type mismatch: %u extra value(s) left on the stack at %s",
                    c->nvals - f->height, op_name(c));
    return true;
}

/* ---- control instructions -------------------------------------------------- */

static const uint8_t single_type[4] = { WASM_F64, WASM_F32, WASM_I64, WASM_I32 };

static bool read_block_type(body_checker *c, block_type *bt)
{
    *bt = (block_type){ 0 };
    if (c->p >= c->end)
        return fail(c, "unexpected end of function body in %s", op_name(c));
    uint8_t b = *c->p;
    if (b == 0x40) {
        c->p++;
        return true;
    }
    if (b >= WASM_F64 && b <= WASM_I32) {
        c->p++;
        bt->results = &single_type[b - WASM_F64];
        bt->nresults = 1;
        return true;
    }
    if (b == WASM_FUNCREF || b == WASM_EXTERNREF)
        return fail(c, "%s with a %s result: reference types are not supported", op_name(c),
                    type_name(b));
    int64_t index;
    wasm_reader r;
    reader_here(c, &r);
    if (!wasm_read_s33(&r, &index))
        return note_instruction(c);
    c->p = r.p;
    if (index < 0)
        return fail(c, "invalid block type 0x%02x in %s", b, op_name(c));
    if (!c->features->multi_value)
        return fail(c, "%s with a block type given by type index requires the multi-value "
                    "feature, which is not enabled (not allowed in the pvf profile)", op_name(c));
    if ((uint64_t)index >= c->m->ntypes)
        return fail(c, "unknown type %lld in the block type of %s", (long long)index, op_name(c));
    const wasm_functype *t = &c->m->types[index];
    *bt = (block_type){ t->types, t->types + t->nparams, t->nparams, t->nresults };
    return true;
}

static bool op_block(body_checker *c, uint8_t kind)
{
    block_type bt;
    if (!read_block_type(c, &bt))
        return false;
    if (kind == FRAME_IF && !pop_expect(c, WASM_I32))
        return false;
    return pop_types(c, bt.params, bt.nparams) && push_frame(c, kind, &bt);
}

static bool same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static bool op_else(body_checker *c)
{
    ctrl_frame *f = top(c);
    if (f->kind != FRAME_IF)
        return fail(c, "else without a matching if");
    if (!pop_frame_results(c))
        return false;
    f->kind = FRAME_ELSE;
    f->unreachable = false;
    return push_types(c, f->params, f->nparams);
}

/* `end` of a block; when it closes the function frame, c->nctrls drops to 0. */
static bool op_end(body_checker *c)
{
    const ctrl_frame *f = top(c);
    if (!pop_frame_results(c))
        return false;
    /* An if without else has an implicit empty else, which passes the params through. */
    if (f->kind == FRAME_IF && !same_types(f->params, f->nparams, f->results, f->nresults))
        return fail(c, "type mismatch: if without else must have the same parameter and "
                    "result types");
    c->nctrls--;
    if (c->nctrls == 0)
        return true;
    return push_types(c, f->results, f->nresults);  /* f stays valid: ctrls only grows */
}

static bool op_br(body_checker *c)
{
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    if (!read_label(c, &f))
        return false;
    label_types(f, &types, &n);
    if (!pop_types(c, types, n))
        return false;
    set_unreachable(c);
    return true;
}

static bool op_br_if(body_checker *c)
{
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    if (!read_label(c, &f) || !pop_expect(c, WASM_I32))
        return false;
    label_types(f, &types, &n);
    return pop_types(c, types, n) && push_types(c, types, n);
}

/*
 * br_table: every target must have exactly the label types of the default
 * target (the rule of the spec before reference types, which the test suite
 * of this era checks even in dead code). The default comes last in the
 * encoding, so the targets are read twice: once to find it, once to check.
 */
static bool op_br_table(body_checker *c)
{
    uint32_t count, depth;
    const ctrl_frame *dflt;
    const uint8_t *dtypes, *types;
    uint32_t dn, n;
    if (!read_u32(c, &count))
        return false;
    if (count > WASM_MAX_BR_TABLE_SIZE)
        return fail(c, "br_table size is out of bounds: %u targets > limit %u", count,
                    WASM_MAX_BR_TABLE_SIZE);
    const uint8_t *targets = c->p;
    for (uint32_t i = 0; i < count; i++)
        if (!read_u32(c, &depth))
            return false;
    if (!read_label(c, &dflt))
        return false;
    label_types(dflt, &dtypes, &dn);
    const uint8_t *after = c->p;
    c->p = targets;
    for (uint32_t i = 0; i < count; i++) {
        const ctrl_frame *f;
        if (!read_label(c, &f))
            return false;
        label_types(f, &types, &n);
        if (!same_types(types, n, dtypes, dn))
            return fail(c, "type mismatch: br_table target %u and the default target have "
                        "different label types", i);
    }
    c->p = after;
    if (!pop_expect(c, WASM_I32) || !pop_types(c, dtypes, dn))
        return false;
    set_unreachable(c);
    return true;
}

static bool op_return(body_checker *c)
{
    const ctrl_frame *f = &c->ctrls[0];
    if (!pop_types(c, f->results, f->nresults))
        return false;
    set_unreachable(c);
    return true;
}

static bool apply_functype(body_checker *c, const wasm_functype *t)
{
    return pop_types(c, t->types, t->nparams) &&
           push_types(c, t->types + t->nparams, t->nresults);
}

static bool op_call(body_checker *c)
{
    uint32_t index;
    if (!read_u32(c, &index))
        return false;
    if (index >= c->m->nfuncs)
        return fail(c, "unknown function %u in call (the module has %u)", index, c->m->nfuncs);
    return apply_functype(c, wasm_func_type(c->m, index));
}

static bool op_call_indirect(body_checker *c)
{
    uint32_t type_index;
    if (!read_u32(c, &type_index) || !read_zero_byte(c))
        return false;
    if (c->m->ntables == 0)
        return fail(c, "unknown table 0 in call_indirect (the module has no table)");
    if (type_index >= c->m->ntypes)
        return fail(c, "unknown type %u in call_indirect (the module has %u)", type_index,
                    c->m->ntypes);
    return pop_expect(c, WASM_I32) && apply_functype(c, &c->m->types[type_index]);
}

/* ---- parametric and variable instructions -------------------------------- */

static bool op_select(body_checker *c)
{
    uint8_t a, b;
    if (!pop_expect(c, WASM_I32) || !pop_any(c, &a) || !pop_any(c, &b))
        return false;
    if (a != b && a != ANY && b != ANY)
        return fail(c, "type mismatch: select operands have different types %s and %s",
                    type_name(b), type_name(a));
    return push(c, a != ANY ? a : b);
}

COLD static uint8_t local_type_by_group(const body_checker *c, uint32_t index)
{
    uint32_t nparams = c->ftype->nparams;
    if (index < nparams)
        return c->ftype->types[index];
    uint32_t lo = 0, hi = c->func->nlocal_groups;   /* first group ending after index */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->group_ends[mid] > index)
            hi = mid;
        else
            lo = mid + 1;
    }
    return c->func->local_groups[lo].type;
}

static inline bool read_local(body_checker *c, uint8_t *type)
{
    uint32_t index;
    if (!read_u32(c, &index))
        return false;
    if (index < c->nflat) {
        *type = c->flat[index];
        return true;
    }
    if (index >= c->nlocals)
        return fail(c, "unknown local %u in %s (the function has %u)", index, op_name(c),
                    c->nlocals);
    *type = local_type_by_group(c, index);
    return true;
}

static bool read_global(body_checker *c, const wasm_global **g)
{
    uint32_t index;
    if (!read_u32(c, &index))
        return false;
    if (index >= c->m->nglobals)
        return fail(c, "unknown global %u in %s (the module has %u)", index, op_name(c),
                    c->m->nglobals);
    *g = &c->m->globals[index];
    return true;
}

static bool op_global_set(body_checker *c)
{
    const wasm_global *g;
    if (!read_global(c, &g))
        return false;
    if (!g->type.mutable_)
        return fail(c, "global is immutable: global.set of global %u",
                    (unsigned)(g - c->m->globals));
    return pop_expect(c, g->type.type);
}

/* ---- memory instructions ----------------------------------------------------- */

static bool need_memory(body_checker *c)
{
    if (c->m->nmemories == 0)
        return fail(c, "unknown memory 0 in %s (the module has no memory)", op_name(c));
    return true;
}

/*
 * One- and two-operand numeric instructions: their operand and result types
 * come from the opcode table (opcodes.h), as for every other walker.
 */
static inline __attribute__((always_inline)) bool apply_sig(body_checker *c, const wasm_sig *s)
{
    if (s->npop == 2 && !pop_expect(c, s->pop1))
        return false;
    if (s->npop >= 1 && !pop_expect(c, s->pop0))
        return false;
    return s->npush == 0 || push(c, s->push);
}

/* Loads 0x28..0x35 and stores 0x36..0x3E: natural alignment (log2), the access size. */
static const uint8_t NATURAL_ALIGN[0x3F - 0x28] = {
    2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2,   /* loads */
    2, 3, 2, 3, 0, 1, 0, 1, 2,                  /* stores */
};

_Static_assert(sizeof NATURAL_ALIGN == WASM_OP_I64_STORE32 - WASM_OP_I32_LOAD + 1,
               "one alignment for every load and store");

/* The value type and the operands come from the opcode table. */
static bool op_memory_access(body_checker *c, uint8_t op)
{
    uint32_t align, offset;
    if (!read_u32(c, &align) || !read_u32(c, &offset) || !need_memory(c))
        return false;
    uint8_t natural = NATURAL_ALIGN[op - WASM_OP_I32_LOAD];
    if (align > natural)
        return fail(c, "alignment must not be larger than natural: %s with 2^%u, natural 2^%u",
                    op_name(c), align, natural);
    return apply_sig(c, &wasm_op_info_of(op)->sig);
}

static bool op_memory_size_grow(body_checker *c, uint8_t op)
{
    if (!read_zero_byte(c) || !need_memory(c))
        return false;
    if (op == WASM_OP_MEMORY_GROW && !pop_expect(c, WASM_I32))
        return false;
    return push(c, WASM_I32);
}

/* ---- numeric instructions ---------------------------------------------------- */

COLD static bool illegal_opcode(body_checker *c, uint8_t op)
{
    return fail(c, "illegal opcode 0x%02x", op);
}

static bool op_numeric(body_checker *c, uint8_t op)
{
    const wasm_op_info *oi = wasm_op_info_of(op);
    if (!oi->name || oi->sig.npop == WASM_NO_SIG || oi->imm != IMM_NONE || oi->sig.npush != 1)
        return illegal_opcode(c, op);
    if (oi->feature == SIGN_EXT && !c->features->sign_ext)
        return fail_feature(c, "sign-extension operator", "sign-ext");
    return apply_sig(c, &oi->sig);
}

/* ---- 0xFC prefix: saturating truncation and bulk memory ---------------------- */

/*
 * A data segment index. That the segment exists is a validation rule; that
 * the data count section announces it is a rule of the binary format (so
 * one pass can check bodies before the data section arrives).
 */
static bool need_data_segment(body_checker *c, uint32_t index)
{
    if (index >= c->m->ndatas)
        return fail(c, "unknown data segment %u in %s (the module has %u)", index, op_name(c),
                    c->m->ndatas);
    if (!c->m->has_data_count)
        return fail(c, "data count section required for %s", op_name(c));
    return true;
}

static bool need_table(body_checker *c, uint32_t index)
{
    if (index >= c->m->ntables)
        return fail(c, "unknown table %u in %s (the module has %u)", index, op_name(c),
                    c->m->ntables);
    return true;
}

static bool need_elem(body_checker *c, uint32_t index)
{
    if (index >= c->m->nelems)
        return fail(c, "unknown elem segment %u in %s (the module has %u)", index, op_name(c),
                    c->m->nelems);
    return true;
}

static bool pop_three_i32(body_checker *c)
{
    return pop_expect(c, WASM_I32) && pop_expect(c, WASM_I32) && pop_expect(c, WASM_I32);
}

static bool op_bulk(body_checker *c)
{
    uint32_t a, b;
    switch (c->fc_op) {
    case WASM_FC_MEMORY_INIT:
        if (!read_u32(c, &a) || !read_zero_byte(c) || !need_memory(c) || !need_data_segment(c, a))
            return false;
        return pop_three_i32(c);
    case WASM_FC_DATA_DROP:
        return read_u32(c, &a) && need_data_segment(c, a);
    case WASM_FC_MEMORY_COPY:
        if (!read_zero_byte(c) || !read_zero_byte(c) || !need_memory(c))
            return false;
        return pop_three_i32(c);
    case WASM_FC_MEMORY_FILL:
        if (!read_zero_byte(c) || !need_memory(c))
            return false;
        return pop_three_i32(c);
    case WASM_FC_TABLE_INIT:
        if (!read_u32(c, &a) || !read_u32(c, &b) || !need_table(c, b) || !need_elem(c, a))
            return false;
        return pop_three_i32(c);
    case WASM_FC_ELEM_DROP:
        return read_u32(c, &a) && need_elem(c, a);
    case WASM_FC_TABLE_COPY:
        if (!read_u32(c, &a) || !read_u32(c, &b) || !need_table(c, a) || !need_table(c, b))
            return false;
        return pop_three_i32(c);
    }
    return false;   /* not reached: the caller only passes 8..14 */
}

static bool op_prefix_fc(body_checker *c)
{
    c->fc_op = UINT32_MAX;  /* unnamed until read, for errors in the sub-opcode itself */
    if (!read_u32(c, &c->fc_op))
        return false;
    uint32_t sub = c->fc_op;
    if (sub <= WASM_FC_I64_TRUNC_SAT_F64_U) {
        if (!c->features->sat_float)
            return fail_feature(c, "saturating conversion", "sat-float-to-int");
        return apply_sig(c, &wasm_fc_op_info_of(sub)->sig);
    }
    if (sub <= WASM_FC_TABLE_COPY) {
        if (!c->features->bulk_memory)
            return fail_feature(c, "bulk memory operator", "bulk-memory");
        return op_bulk(c);
    }
    if (sub <= 17)
        return fail_reftypes(c);
    return fail(c, "illegal opcode 0xfc %u", sub);
}

/* ---- the instruction loop ---------------------------------------------------- */

static bool check_instruction(body_checker *c, uint8_t op)
{
    uint8_t type = ANY;
    const wasm_global *g;

    switch (op) {
    case WASM_OP_UNREACHABLE:
        set_unreachable(c);
        return true;
    case WASM_OP_NOP:
        return true;
    case WASM_OP_BLOCK:
        return op_block(c, FRAME_BLOCK);
    case WASM_OP_LOOP:
        return op_block(c, FRAME_LOOP);
    case WASM_OP_IF:
        return op_block(c, FRAME_IF);
    case WASM_OP_ELSE:
        return op_else(c);
    case WASM_OP_END:
        return op_end(c);
    case WASM_OP_BR:
        return op_br(c);
    case WASM_OP_BR_IF:
        return op_br_if(c);
    case WASM_OP_BR_TABLE:
        return op_br_table(c);
    case WASM_OP_RETURN:
        return op_return(c);
    case WASM_OP_CALL:
        return op_call(c);
    case WASM_OP_CALL_INDIRECT:
        return op_call_indirect(c);
    case WASM_OP_DROP:
        return pop_expect(c, ANY);
    case WASM_OP_SELECT:
        return op_select(c);
    case WASM_OP_LOCAL_GET:
        return read_local(c, &type) && push(c, type);
    case WASM_OP_LOCAL_SET:
        return read_local(c, &type) && pop_expect(c, type);
    case WASM_OP_LOCAL_TEE:
        return read_local(c, &type) && pop_expect(c, type) && push(c, type);
    case WASM_OP_GLOBAL_GET:
        return read_global(c, &g) && push(c, g->type.type);
    case WASM_OP_GLOBAL_SET:
        return op_global_set(c);
    case WASM_OP_I32_LOAD ... WASM_OP_I64_STORE32:
        return op_memory_access(c, op);
    case WASM_OP_MEMORY_SIZE:
    case WASM_OP_MEMORY_GROW:
        return op_memory_size_grow(c, op);
    case WASM_OP_I32_CONST:
        return skip_sleb(c, 32) && push(c, WASM_I32);
    case WASM_OP_I64_CONST:
        return skip_sleb(c, 64) && push(c, WASM_I64);
    case WASM_OP_F32_CONST:
        return skip_bytes(c, 4) && push(c, WASM_F32);
    case WASM_OP_F64_CONST:
        return skip_bytes(c, 8) && push(c, WASM_F64);
    case WASM_OP_PREFIX_FC:
        return op_prefix_fc(c);
    case WASM_OP_SELECT_T:
    case 0x25:  /* table.get */
    case 0x26:  /* table.set */
    case WASM_OP_REF_NULL:
    case WASM_OP_REF_IS_NULL:
    case WASM_OP_REF_FUNC:
        return fail_reftypes(c);
    default:
        return op_numeric(c, op);
    }
}

static bool check_instructions(body_checker *c)
{
    while (c->p < c->end) {
        c->ip = c->p;
        uint8_t op = *c->p++;
        if (!check_instruction(c, op))
            return false;
        if (c->nctrls == 0) {
            if (c->p != c->end) {
                c->ip = c->p;
                return fail(c, "END opcode expected: %zu byte(s) follow the function's final end",
                            (size_t)(c->end - c->p));
            }
            return true;
        }
    }
    c->ip = c->end;
    return fail(c, "unexpected end of function body: END opcode expected "
                "(%u block(s) still open)", c->nctrls);
}

/* ---- locals --------------------------------------------------------------------- */

/* A local's declared type must be a number type. */
static bool check_local_type(body_checker *c, uint8_t type)
{
    if (type >= WASM_F64 && type <= WASM_I32)
        return true;
    c->ip = c->code;
    if (type == WASM_FUNCREF || type == WASM_EXTERNREF)
        return fail(c, "local of type %s: reference types are not supported", type_name(type));
    return fail(c, "invalid local type 0x%02x", type);
}

static bool setup_locals(body_checker *c)
{
    const wasm_func *f = c->func;
    uint64_t total = c->ftype->nparams;
    c->ip = c->code;
    if (!vec_reserve((void **)&c->group_ends, &c->groups_cap, (size_t)f->nlocal_groups + 1, sizeof *c->group_ends, 64))
        return fail(c, "out of memory for %u local groups", f->nlocal_groups);
    for (uint32_t i = 0; i < f->nlocal_groups; i++) {
        if (!check_local_type(c, f->local_groups[i].type))
            return false;
        total += f->local_groups[i].count;
        if (total > WASM_MAX_LOCALS)
            return fail(c, "too many locals: %llu parameters and declared locals > limit %u",
                        (unsigned long long)total, WASM_MAX_LOCALS);
        c->group_ends[i] = (uint32_t)total;
    }
    c->nlocals = (uint32_t)total;

    /* Flatten a prefix whose size is bounded by the body size (see the struct). */
    uint64_t bound = 64 + 4 * (uint64_t)f->code_len;
    c->nflat = total < bound ? (uint32_t)total : (uint32_t)bound;
    if (!vec_reserve((void **)&c->flat, &c->flat_cap, c->nflat, 1, 64))
        return fail(c, "out of memory for %u locals", c->nflat);
    if (c->nflat == 0)
        return true;
    uint32_t n = c->ftype->nparams < c->nflat ? c->ftype->nparams : c->nflat;
    if (n)
        memcpy(c->flat, c->ftype->types, n);
    for (uint32_t i = 0; i < f->nlocal_groups && n < c->nflat; i++) {
        uint32_t k = f->local_groups[i].count;
        if (k > c->nflat - n)
            k = c->nflat - n;
        memset(c->flat + n, f->local_groups[i].type, k);
        n += k;
    }
    return true;
}

/* ---- entry points ----------------------------------------------------------- */

body_checker *body_checker_new(const wasm_module *m, const wasm_features *features)
{
    body_checker *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->m = m;
    c->features = features;
    return c;
}

void body_checker_free(body_checker *c)
{
    if (!c)
        return;
    free(c->vals);
    free(c->ctrls);
    free(c->flat);
    free(c->group_ends);
    free(c);
}

bool body_checker_run(body_checker *c, uint32_t func_index, wasm_error *err)
{
    const wasm_module *m = c->m;
    const wasm_func *f = &m->funcs[func_index];
    c->err = err;
    c->func = f;
    c->ftype = &m->types[f->type_index];
    c->code = f->code;
    c->p = f->code;
    c->end = f->code + f->code_len;
    c->ip = f->code;
    c->code_offset = f->code_offset;
    c->fc_op = 0;
    c->nvals = 0;
    c->nctrls = 0;

    if (!setup_locals(c))
        return false;
    const wasm_functype *t = c->ftype;
    block_type bt = { NULL, t->types + t->nparams, 0, t->nresults };
    if (!push_frame(c, FRAME_FUNC, &bt))
        return false;
    return check_instructions(c);
}
