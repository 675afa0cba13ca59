/*
 * max_height.c — the operand-stack height of a function body, computed
 * exactly as wasm-instrument 0.4 computes it (`max_height::compute`).
 *
 * Polkadot charges every call by this number, and a stack-limit trap is a
 * deterministic verdict, so what matters here is agreement with the crate,
 * quirks included, not a tight bound. The crate's rules
 * (../shared/reference/wasm-engine-notes.md §5.4):
 *
 *  - the height starts at 2 (the activation frame) while the function's
 *    implicit frame starts at 0;
 *  - before every instruction, `else` and `end` included, the maximum takes
 *    the height unless the top frame is polymorphic (after `unreachable`,
 *    `br`, `br_table`, `return`);
 *  - `else` does nothing: the else-arm is measured on top of whatever the
 *    then-arm left, and stays polymorphic if the then-arm ended in a branch;
 *  - `end` sets the height to the frame's start plus its result count;
 *  - pop(n) with the height *equal* to the top frame's start is a no-op when
 *    the frame is polymorphic and an error otherwise; any other pop
 *    subtracts (an error below zero). Dead code can therefore lower the
 *    height under the frame start, and blocks opened there count from it;
 *  - multi-step instructions pop in separate steps (select: 2 then 1;
 *    call_indirect: the index, then the parameters; br_if: the branch values,
 *    the condition, then pushes the values back), which matters under the
 *    equality rule;
 *  - a br_table whose targets have different branch arities is an error
 *    (the crate rejects the module); a loop's branch arity is 0.
 *
 * The walk is over raw bytes: only immediates are decoded, and only Wasm MVP
 * instructions are known, as in the crate (built on parity-wasm without the
 * post-MVP features), which fails to parse anything else.
 */
#include "wasm/max_height.h"

#include <stdlib.h>

#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "util/vec.h"

/* Cost of the activation frame, charged to every function (the crate's ACTIVATION_FRAME_COST). */
#define ACTIVATION_FRAME_COST 2u

struct height_frame {
    uint32_t start_height;  /* height when the block was entered */
    uint32_t end_arity;     /* values the block leaves at its `end` */
    uint32_t branch_arity;  /* values a branch to it carries (0 for a loop) */
    bool polymorphic;       /* the rest of the block is unreachable */
};

typedef struct walk {
    wasm_height_walker *w;
    const wasm_module *m;
    wasm_reader r;
    uint32_t func_index;
    uint32_t func_arity;
    uint32_t nframes;
    uint32_t height;
    uint32_t max;
    size_t insn_offset;     /* where the current instruction starts, for errors */
} walk;

void wasm_height_walker_init(wasm_height_walker *w, bool log_calls)
{
    *w = (wasm_height_walker){ .log_calls = log_calls };
}

void wasm_height_walker_free(wasm_height_walker *w)
{
    free(w->frames);
    free(w->calls);
    *w = (wasm_height_walker){ 0 };
}

static bool fail(walk *k, const char *reason)
{
    return wasm_fail_at(k->r.err, k->insn_offset, "stack limiter: %s in function %u", reason,
                        k->func_index);
}

/* Most indices fit in one LEB128 byte: take those without a call. */
static inline bool read_u32(walk *k, uint32_t *v)
{
    if (k->r.p < k->r.end && *k->r.p < 0x80) {
        *v = *k->r.p++;
        return true;
    }
    return wasm_read_u32(&k->r, v);
}

static struct height_frame *top_frame(walk *k)
{
    return &k->w->frames[k->nframes - 1];
}

/* The frame `depth` levels below the top (0 = top), or NULL. */
static struct height_frame *frame_at(walk *k, uint32_t depth)
{
    if (depth >= k->nframes)
        return NULL;
    return &k->w->frames[k->nframes - 1 - depth];
}

static bool push_frame(walk *k, uint32_t start_height, uint32_t end_arity, uint32_t branch_arity)
{
    wasm_height_walker *w = k->w;
    /* The crate's control stack is a Vec: no depth limit but the body size. */
    if (k->nframes == w->frames_cap &&
        !vec_reserve((void **)&w->frames, &w->frames_cap, (size_t)k->nframes + 1, sizeof *w->frames, 64))
        return fail(k, "out of memory for the control stack");
    w->frames[k->nframes++] = (struct height_frame){
        .start_height = start_height,
        .end_arity = end_arity,
        .branch_arity = branch_arity,
        .polymorphic = false,
    };
    return true;
}

static bool push_values(walk *k, uint32_t n)
{
    if (n > UINT32_MAX - k->height)
        return fail(k, "stack overflow");
    k->height += n;
    return true;
}

/* The crate's pop rule; note the *equality* test against the frame start. */
static bool pop_values(walk *k, uint32_t n)
{
    if (n == 0)
        return true;
    const struct height_frame *top = top_frame(k);
    if (k->height == top->start_height) {
        if (top->polymorphic)
            return true;
        return fail(k, "trying to pop more values than pushed");
    }
    if (n > k->height)
        return fail(k, "stack underflow");
    k->height -= n;
    return true;
}

static void mark_unreachable(walk *k)
{
    top_frame(k)->polymorphic = true;
}

/* MVP block type: empty (0x40) or one value type. */
static bool read_block_arity(walk *k, uint32_t *arity)
{
    uint8_t b;
    if (!wasm_read_u8(&k->r, &b))
        return false;
    switch (b) {
    case 0x40:
        *arity = 0;
        return true;
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64:
        *arity = 1;
        return true;
    }
    return fail(k, "unsupported block type (not Wasm MVP)");
}

static bool branch_arity(walk *k, uint32_t depth, uint32_t *arity)
{
    const struct height_frame *f = frame_at(k, depth);
    if (!f)
        return fail(k, "branch depth out of the control stack");
    *arity = f->branch_arity;
    return true;
}

static bool walk_block(walk *k, uint8_t op)
{
    uint32_t arity = 0;
    if (!read_block_arity(k, &arity))
        return false;
    if (op == WASM_OP_IF && !pop_values(k, 1))
        return false;
    return push_frame(k, k->height, arity, op == WASM_OP_LOOP ? 0 : arity);
}

static bool walk_end(walk *k)
{
    struct height_frame f = *top_frame(k);
    k->nframes--;
    k->height = f.start_height;
    return push_values(k, f.end_arity);
}

static bool walk_br(walk *k, bool conditional)
{
    uint32_t depth, arity = 0;
    if (!read_u32(k, &depth) || !branch_arity(k, depth, &arity))
        return false;
    if (!pop_values(k, arity))
        return false;
    if (!conditional) {
        mark_unreachable(k);
        return true;
    }
    return pop_values(k, 1) && push_values(k, arity);
}

/* Every target, default included, must carry the same number of values. */
static bool walk_br_table(walk *k)
{
    uint32_t count, depth, arity = 0, first = 0;
    bool mixed = false;
    if (!read_u32(k, &count))
        return false;
    if (count > wasm_reader_left(&k->r))
        return fail(k, "br_table longer than the body");
    for (uint32_t i = 0; i < count; i++) {
        if (!read_u32(k, &depth) || !branch_arity(k, depth, &arity))
            return false;
        if (i == 0)
            first = arity;
        mixed |= arity != first;
    }
    if (!read_u32(k, &depth) || !branch_arity(k, depth, &arity))
        return false;
    if (mixed || (count > 0 && first != arity))
        return fail(k, "br_table targets of different arities");
    if (!pop_values(k, arity))
        return false;
    mark_unreachable(k);
    return true;
}

static bool log_call(wasm_height_walker *w, uint32_t callee)
{
    if (!vec_reserve((void **)&w->calls, &w->calls_cap, w->ncalls + 1, sizeof *w->calls, 256))
        return false;
    w->calls[w->ncalls++] = callee;
    return true;
}

static bool walk_call(walk *k)
{
    uint32_t callee;
    if (!read_u32(k, &callee))
        return false;
    if (callee >= k->m->nfuncs)
        return fail(k, "call to an unknown function");
    if (k->w->log_calls && !log_call(k->w, callee))
        return fail(k, "out of memory for the call log");
    const wasm_functype *t = wasm_func_type(k->m, callee);
    return pop_values(k, t->nparams) && push_values(k, t->nresults);
}

/* MVP encodes the table and memory operands as one zero byte (parity-wasm reads a u8). */
static bool read_zero_byte(walk *k, const char *what)
{
    uint8_t b;
    if (!wasm_read_u8(&k->r, &b))
        return false;
    if (b != 0)
        return fail(k, what);
    return true;
}

static bool walk_call_indirect(walk *k)
{
    uint32_t type_index;
    if (!read_u32(k, &type_index))
        return false;
    if (type_index >= k->m->ntypes)
        return fail(k, "call_indirect to an unknown type");
    if (!read_zero_byte(k, "call_indirect table operand is not a zero byte"))
        return false;
    const wasm_functype *t = &k->m->types[type_index];
    return pop_values(k, 1) && pop_values(k, t->nparams) && push_values(k, t->nresults);
}

static bool skip_u32(walk *k)
{
    uint32_t v;
    return read_u32(k, &v);
}

static bool unsupported(walk *k, uint8_t op)
{
    const char *name = wasm_opcode_name(op);
    return wasm_fail_at(k->r.err, k->insn_offset,
                        "stack limiter: unsupported instruction 0x%02x (%s) in function %u", op,
                        name ? name : "unknown", k->func_index);
}

static bool fixed_signature(walk *k, uint8_t op);

/* One instruction: sample the height, then apply the instruction's effect. */
static bool step(walk *k)
{
    k->insn_offset = wasm_reader_offset(&k->r);
    if (k->nframes == 0)
        return fail(k, "instruction after the end of the function");
    if (k->height > k->max && !top_frame(k)->polymorphic)
        k->max = k->height;

    uint8_t op = *k->r.p++;     /* the caller checked that a byte is left */
    switch (op) {
    case WASM_OP_UNREACHABLE:
        mark_unreachable(k);
        return true;
    case WASM_OP_NOP:
    case WASM_OP_ELSE:
        return true;
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
    case WASM_OP_IF:
        return walk_block(k, op);
    case WASM_OP_END:
        return walk_end(k);
    case WASM_OP_BR:
        return walk_br(k, false);
    case WASM_OP_BR_IF:
        return walk_br(k, true);
    case WASM_OP_BR_TABLE:
        return walk_br_table(k);
    case WASM_OP_RETURN:
        if (!pop_values(k, k->func_arity))
            return false;
        mark_unreachable(k);
        return true;
    case WASM_OP_CALL:
        return walk_call(k);
    case WASM_OP_CALL_INDIRECT:
        return walk_call_indirect(k);
    case WASM_OP_SELECT:
        return pop_values(k, 2) && pop_values(k, 1) && push_values(k, 1);
    case WASM_OP_LOCAL_GET:
    case WASM_OP_GLOBAL_GET:
        return skip_u32(k) && push_values(k, 1);
    case WASM_OP_LOCAL_SET:
    case WASM_OP_GLOBAL_SET:
        return skip_u32(k) && pop_values(k, 1);
    case WASM_OP_LOCAL_TEE:
        return skip_u32(k) && pop_values(k, 1) && push_values(k, 1);
    case WASM_OP_MEMORY_SIZE:
        return read_zero_byte(k, "memory.size operand is not a zero byte") && push_values(k, 1);
    case WASM_OP_MEMORY_GROW:
        return read_zero_byte(k, "memory.grow operand is not a zero byte") &&
               pop_values(k, 1) && push_values(k, 1);
    }
    return fixed_signature(k, op);
}

/*
 * Every other MVP instruction has a fixed signature in the opcode table:
 * constants, loads, stores, drop, nop and the numeric operators pop their
 * operands in one step (the crate's `pop_values(n)`), then push their result.
 */
static bool fixed_signature(walk *k, uint8_t op)
{
    const wasm_op_info *oi = wasm_op_info_of(op);
    if (!oi->name || oi->feature != MVP || oi->sig.npop == WASM_NO_SIG)
        return unsupported(k, op);
    return wasm_skip_immediates(&k->r, op, NULL) && pop_values(k, oi->sig.npop) &&
           push_values(k, oi->sig.npush);
}

bool wasm_max_height(wasm_height_walker *w, const wasm_module *m, uint32_t func_index,
                     uint32_t *out, wasm_error *err)
{
    const wasm_func *f = &m->funcs[func_index];
    const wasm_functype *t = wasm_func_type(m, func_index);
    walk k = {
        .w = w,
        .m = m,
        .func_index = func_index,
        .func_arity = t->nresults,
        .height = ACTIVATION_FRAME_COST,
        .insn_offset = f->code_offset,
    };
    wasm_reader_init(&k.r, f->code, f->code_len, f->code_offset, err);
    /* The function's implicit frame starts at 0, below the activation frame cost. */
    if (!push_frame(&k, 0, t->nresults, t->nresults))
        return false;

    while (!wasm_reader_eof(&k.r)) {
        if (!step(&k))
            return false;
    }
    w->minimal_code_size = f->code_len - (uint32_t)k.r.overlong;
    *out = k.max;
    return true;
}
