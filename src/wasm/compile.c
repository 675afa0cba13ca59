/*
 * compile.c — translate validated wasm function bodies into interpreter code (ir.h).
 *
 * One pass per function over the instruction bytes. The compiler keeps a
 * virtual operand stack whose entries say where each value is:
 *
 *   V_STACK  in its own slot, S0 + position
 *   V_LOCAL  still in a local: `local.get` emits nothing, the consumer reads the local
 *   V_CONST  a constant not yet written anywhere: consumers with an immediate
 *            form (`i32.add d a k`) take it as an immediate
 *
 * Lazy entries are written to their slots ("materialised") when needed:
 * before control flow (every path must agree on where values are), for call
 * arguments, and when a `local.set x` would change a local that a pending
 * entry still reads. A `local.set`/`local.tee` right after the op that
 * produced the value rewrites that op's destination instead of copying.
 *
 * Dead code (after br/br_table/return/unreachable) is parsed but emits
 * nothing. The input is a validated module, so stack shapes are trusted;
 * malformed immediates still fail cleanly.
 */
#include "wasm/code.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/big_alloc.h"
#include "util/vec.h"
#include "wasm/ir.h"
#include "wasm/native.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "wasm/store.h"
#include "wasm/stack_limiter.h"

#define NO_LABEL UINT32_MAX

enum { V_STACK, V_LOCAL, V_CONST };

typedef struct vslot {
    uint8_t kind;
    bool is64;
    uint32_t local;
    uint64_t value;
} vslot;

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF };

typedef struct ctrl {
    uint8_t kind;
    bool dead_entry;        /* opened inside dead code: everything in it is dead */
    uint32_t height;        /* operand positions below the block's parameters */
    uint32_t nparams, nresults;
    uint32_t loop_entry;    /* C_LOOP: word index branches jump to */
    uint32_t end_chain;     /* forward branches to the end, linked through the code */
    uint32_t else_chain;    /* C_IF: the BR_UNLESS to the else arm (or the end) */
} ctrl;

typedef struct compiler {
    const wasm_module *m;
    const wasm_stack_limit *sl;
    bool canon;
    wasm_error *err;

    uint32_t *code;
    uint32_t ncode, cap;
    bool oom;

    /* current function */
    uint32_t s0;            /* first operand-stack slot */
    vslot *vs;
    uint32_t sp, max_sp;
    size_t vcap;
    ctrl *cs;
    uint32_t ncs;
    size_t ccap;
    bool dead;
    uint32_t producer;      /* word index of the op that produced the top entry, or NO_LABEL */
    uint8_t *written;       /* written[x]: local x is the target of some local.set/tee */
    uint32_t written_cap;
} compiler;

/* ---- emission ------------------------------------------------------------------------------ */

static void emit(compiler *c, uint32_t w)
{
    if (c->ncode == c->cap) {
        /* Word indices are 32-bit: a module that would need 2^31 words (GiBs of wasm,
         * far past any memory limit of a prepare job) fails as out of memory. */
        uint32_t ncap = c->cap ? c->cap * 2 : 4096;
        uint32_t *n = c->cap > UINT32_MAX / 2 ? NULL : realloc(c->code, (size_t)ncap * sizeof *n);
        if (!n) {
            c->oom = true;
            c->ncode = 0;   /* keep writing into the old buffer harmlessly */
            return;
        }
        c->code = n;
        c->cap = ncap;
    }
    c->code[c->ncode++] = w;
}

/* Start an op; invalidates the local.set fold unless the caller sets producer after. */
static uint32_t emit_op(compiler *c, enum ir_op op)
{
    assert(op < IR_OP_COUNT);
    c->producer = NO_LABEL;
    uint32_t at = c->ncode;
    emit(c, (uint32_t)op);
    return at;
}

static void emit64(compiler *c, uint64_t v)
{
    emit(c, (uint32_t)v);
    emit(c, (uint32_t)(v >> 32));
}

/* A branch target word to be filled when the label is bound: link it into `chain`. */
static void emit_forward(compiler *c, uint32_t *chain)
{
    uint32_t at = c->ncode;
    emit(c, *chain);
    *chain = at;
}

static void bind_chain(compiler *c, uint32_t chain, uint32_t target)
{
    assert(target <= c->ncode);     /* a label is bound to code that exists */
    while (chain != NO_LABEL && !c->oom) {
        assert(chain < c->ncode);
        uint32_t next = c->code[chain];
        c->code[chain] = target;
        chain = next;
    }
}

static uint32_t here(compiler *c)
{
    c->producer = NO_LABEL;     /* a label: values may arrive from elsewhere */
    return c->ncode;
}

/* ---- the virtual operand stack ------------------------------------------------------------- */

static bool vpush(compiler *c, vslot v)
{
    if (c->sp == c->vcap && !vec_reserve((void **)&c->vs, &c->vcap, (size_t)c->sp + 1, sizeof *c->vs, 256))
        return c->oom = true, false;
    c->vs[c->sp++] = v;
    if (c->sp > c->max_sp)
        c->max_sp = c->sp;
    return true;
}

static void push_stack(compiler *c)
{
    vpush(c, (vslot){ .kind = V_STACK });
}

/* Push the result of the op just emitted at `op_at` (its destination is operand 1). */
static void push_produced(compiler *c, uint32_t op_at)
{
    push_stack(c);
    c->producer = op_at;
}

static uint32_t pos_slot(const compiler *c, uint32_t pos)
{
    assert(pos <= c->max_sp);   /* every operand position is inside the frame */
    return c->s0 + pos;
}

static void emit_const_to(compiler *c, uint32_t dst, const vslot *v)
{
    if (!v->is64 || v->value <= UINT32_MAX) {
        emit_op(c, IR_CONST32);
        emit(c, dst);
        emit(c, (uint32_t)v->value);
    } else {
        emit_op(c, IR_CONST64);
        emit(c, dst);
        emit64(c, v->value);
    }
}

/* Write entry `pos` to its own slot. */
static void materialize(compiler *c, uint32_t pos)
{
    vslot *v = &c->vs[pos];
    if (v->kind == V_LOCAL) {
        emit_op(c, IR_COPY);
        emit(c, pos_slot(c, pos));
        emit(c, v->local);
    } else if (v->kind == V_CONST) {
        emit_const_to(c, pos_slot(c, pos), v);
    }
    v->kind = V_STACK;
}

static void flush_range(compiler *c, uint32_t from, uint32_t to)
{
    for (uint32_t p = from; p < to; p++)
        if (c->vs[p].kind != V_STACK)
            materialize(c, p);
}

/*
 * A lazy entry may stay lazy across control flow when every path sees the same
 * value: a constant, or a local that the function never writes. Any other lazy
 * local must be in its slot before a block starts, since a `local.set` inside
 * the block would materialise it on one path only.
 */
static bool path_safe(const compiler *c, const vslot *v)
{
    return v->kind == V_CONST || (v->kind == V_LOCAL && !c->written[v->local]);
}

/* Whether entering a block with `nparams` parameters needs any code (see flush_for_block). */
static bool block_flush_needed(const compiler *c, uint32_t nparams)
{
    for (uint32_t p = 0; p < c->sp; p++) {
        const vslot *v = &c->vs[p];
        if (v->kind != V_STACK && (p >= c->sp - nparams || !path_safe(c, v)))
            return true;
    }
    return false;
}

/* Before a block: parameters go to their slots (branches back to a loop put them there),
 * unsafe lazy entries below them too. */
static void flush_for_block(compiler *c, uint32_t nparams)
{
    for (uint32_t p = 0; p < c->sp; p++) {
        const vslot *v = &c->vs[p];
        if (v->kind != V_STACK && (p >= c->sp - nparams || !path_safe(c, v)))
            materialize(c, p);
    }
}

/* The slot an op can read entry `pos` from (a local's slot for lazy locals). */
static uint32_t read_slot(compiler *c, uint32_t pos)
{
    vslot *v = &c->vs[pos];
    if (v->kind == V_LOCAL)
        return v->local;
    if (v->kind == V_CONST)
        materialize(c, pos);
    return pos_slot(c, pos);
}

/* ---- control frames ------------------------------------------------------------------------ */

static bool push_ctrl(compiler *c, ctrl k)
{
    if (c->ncs == c->ccap && !vec_reserve((void **)&c->cs, &c->ccap, (size_t)c->ncs + 1, sizeof *c->cs, 64))
        return c->oom = true, false;
    c->cs[c->ncs++] = k;
    return true;
}

static uint32_t branch_arity(const ctrl *k)
{
    return k->kind == C_LOOP ? k->nparams : k->nresults;
}

static bool branch_needs_moves(const compiler *c, const ctrl *k)
{
    uint32_t n = branch_arity(k);
    for (uint32_t i = 0; i < n; i++) {
        const vslot *v = &c->vs[c->sp - n + i];
        if (v->kind != V_STACK || c->sp - n + i != k->height + i)
            return true;
    }
    return false;
}

/* Write the value of entry `pos` to slot `dst`, leaving the entry's state alone. */
static void emit_move(compiler *c, uint32_t pos, uint32_t dst)
{
    const vslot *v = &c->vs[pos];
    if (v->kind == V_CONST) {
        emit_const_to(c, dst, v);
        return;
    }
    uint32_t from = v->kind == V_LOCAL ? v->local : pos_slot(c, pos);
    if (from != dst) {
        emit_op(c, IR_COPY);
        emit(c, dst);
        emit(c, from);
    }
}

/* Move the branch values (top of stack) to the label's positions. Ascending order is safe:
 * destinations are never above sources. */
static void emit_branch_moves(compiler *c, const ctrl *k)
{
    uint32_t n = branch_arity(k);
    for (uint32_t i = 0; i < n; i++)
        emit_move(c, c->sp - n + i, pos_slot(c, k->height + i));
}

/* The target word of a jump to label `k`. */
static void emit_label_ref(compiler *c, ctrl *k)
{
    if (k->kind == C_LOOP)
        emit(c, k->loop_entry);
    else
        emit_forward(c, &k->end_chain);
}

static void emit_jump(compiler *c, ctrl *k)
{
    emit_op(c, IR_BR);
    emit_label_ref(c, k);
}

/* ---- reading helpers ----------------------------------------------------------------------- */

static bool read_blocktype(compiler *c, wasm_reader *r, uint32_t *np, uint32_t *nr)
{
    if (wasm_reader_eof(r))
        return wasm_reader_fail(r, "unexpected end");
    uint8_t b = *r->p;
    if (b == 0x40) {
        r->p++;
        *np = 0, *nr = 0;
        return true;
    }
    if (b == WASM_I32 || b == WASM_I64 || b == WASM_F32 || b == WASM_F64) {
        r->p++;
        *np = 0, *nr = 1;
        return true;
    }
    int64_t idx;
    if (!wasm_read_s33(r, &idx))
        return false;
    if (idx < 0 || (uint64_t)idx >= c->m->ntypes)
        return wasm_reader_fail(r, "unknown type");
    *np = c->m->types[idx].nparams;
    *nr = c->m->types[idx].nresults;
    return true;
}

/* ---- instruction groups -------------------------------------------------------------------- */

static bool is_commutative(uint8_t wop)
{
    switch (wop) {
    case WASM_OP_I32_ADD: case WASM_OP_I32_MUL: case WASM_OP_I32_AND: case WASM_OP_I32_OR:
    case WASM_OP_I32_XOR: case WASM_OP_I32_EQ: case WASM_OP_I32_NE:
    case WASM_OP_I64_ADD: case WASM_OP_I64_MUL: case WASM_OP_I64_AND: case WASM_OP_I64_OR:
    case WASM_OP_I64_XOR: case WASM_OP_I64_EQ: case WASM_OP_I64_NE:
        return true;
    }
    return false;
}

/* Integer binary op with an immediate form: `op` is the plain form, op + 1 the _K form.
 * A constant second operand (or first, for commutative ops) becomes the immediate. */
static void compile_int_binop(compiler *c, enum ir_op op, uint8_t wop, bool is64)
{
    uint32_t pa = c->sp - 2, pb = c->sp - 1;
    const vslot *a = &c->vs[pa], *b = &c->vs[pb];
    uint32_t src = 0, at;
    uint64_t imm = 0;
    bool has_imm = true;
    if (b->kind == V_CONST) {
        imm = b->value;
        src = read_slot(c, pa);
    } else if (a->kind == V_CONST && is_commutative(wop)) {
        imm = a->value;
        src = read_slot(c, pb);
    } else {
        has_imm = false;
    }
    if (has_imm) {
        at = emit_op(c, (enum ir_op)(op + 1));
        emit(c, pos_slot(c, pa));
        emit(c, src);
        if (is64)
            emit64(c, imm);
        else
            emit(c, (uint32_t)imm);
    } else {
        uint32_t sa = read_slot(c, pa), sb = read_slot(c, pb);
        at = emit_op(c, op);
        emit(c, pos_slot(c, pa));
        emit(c, sa);
        emit(c, sb);
    }
    c->sp -= 2;
    push_produced(c, at);
}

static void compile_binop(compiler *c, enum ir_op op)
{
    uint32_t pa = c->sp - 2, pb = c->sp - 1;
    uint32_t sa = read_slot(c, pa), sb = read_slot(c, pb);
    uint32_t at = emit_op(c, op);
    emit(c, pos_slot(c, pa));
    emit(c, sa);
    emit(c, sb);
    c->sp -= 2;
    push_produced(c, at);
}

static void compile_unop(compiler *c, enum ir_op op)
{
    uint32_t pa = c->sp - 1;
    uint32_t sa = read_slot(c, pa);
    uint32_t at = emit_op(c, op);
    emit(c, pos_slot(c, pa));
    emit(c, sa);
    c->sp -= 1;
    push_produced(c, at);
}

static bool read_memarg(wasm_reader *r, uint32_t *offset)
{
    uint32_t align;
    return wasm_read_u32(r, &align) && wasm_read_u32(r, offset);
}

static bool compile_load(compiler *c, wasm_reader *r, enum ir_op op)
{
    uint32_t offset;
    if (!read_memarg(r, &offset))
        return false;
    uint32_t pa = c->sp - 1;
    uint32_t sa = read_slot(c, pa);
    uint32_t at = emit_op(c, op);
    emit(c, pos_slot(c, pa));
    emit(c, sa);
    emit(c, offset);
    c->sp -= 1;
    push_produced(c, at);
    return true;
}

static bool compile_store(compiler *c, wasm_reader *r, enum ir_op op)
{
    uint32_t offset;
    if (!read_memarg(r, &offset))
        return false;
    uint32_t sa = read_slot(c, c->sp - 2), sb = read_slot(c, c->sp - 1);
    emit_op(c, op);
    emit(c, sa);
    emit(c, sb);
    emit(c, offset);
    c->sp -= 2;
    return true;
}

static void compile_local_set(compiler *c, uint32_t x, bool tee)
{
    uint32_t top = c->sp - 1;
    for (uint32_t p = 0; p < top; p++)
        if (c->vs[p].kind == V_LOCAL && c->vs[p].local == x)
            materialize(c, p);
    vslot v = c->vs[top];
    if (v.kind == V_STACK && c->producer != NO_LABEL && !c->oom &&
        c->code[c->producer + 1] == pos_slot(c, top)) {
        c->code[c->producer + 1] = x;
    } else if (v.kind == V_CONST) {
        emit_const_to(c, x, &v);
    } else {
        uint32_t from = v.kind == V_LOCAL ? v.local : pos_slot(c, top);
        if (from != x) {
            emit_op(c, IR_COPY);
            emit(c, x);
            emit(c, from);
        }
    }
    c->producer = NO_LABEL;
    c->sp--;
    if (tee)
        vpush(c, (vslot){ .kind = V_LOCAL, .local = x });
}

/* Arguments of a call: the top `n` entries, written to their slots. Returns the frame base slot. */
static uint32_t prepare_call_args(compiler *c, uint32_t n)
{
    flush_range(c, c->sp - n, c->sp);
    return pos_slot(c, c->sp - n);
}

static void finish_call(compiler *c, uint32_t nparams, uint32_t nresults)
{
    c->sp -= nparams;
    for (uint32_t i = 0; i < nresults; i++)
        push_stack(c);
    c->producer = NO_LABEL;
}

static bool compile_call(compiler *c, wasm_reader *r)
{
    uint32_t f;
    if (!wasm_read_u32(r, &f))
        return false;
    if (f >= c->m->nfuncs)
        return wasm_reader_fail(r, "unknown function %u", f);
    const wasm_functype *t = wasm_func_type(c->m, f);
    uint32_t base = prepare_call_args(c, t->nparams);
    if (c->m->funcs[f].is_import) {
        emit_op(c, IR_CALL_IMPORT);
        emit(c, f);
        emit(c, base);
    } else if (wasm_stack_call_charged(c->sl, f)) {
        emit_op(c, IR_CALL_METERED);
        emit(c, f);
        emit(c, base);
        emit(c, c->sl->costs[f]);
    } else {
        emit_op(c, IR_CALL);
        emit(c, f);
        emit(c, base);
    }
    finish_call(c, t->nparams, t->nresults);
    return true;
}

static bool compile_call_indirect(compiler *c, wasm_reader *r)
{
    uint32_t type, table;
    if (!wasm_read_u32(r, &type) || !wasm_read_u32(r, &table))
        return false;
    if (type >= c->m->ntypes)
        return wasm_reader_fail(r, "unknown type %u", type);
    const wasm_functype *t = &c->m->types[type];
    uint32_t sidx = read_slot(c, c->sp - 1);
    c->sp--;
    uint32_t base = prepare_call_args(c, t->nparams);
    emit_op(c, IR_CALL_INDIRECT);
    emit(c, type);
    emit(c, table);
    emit(c, sidx);
    emit(c, base);
    finish_call(c, t->nparams, t->nresults);
    return true;
}

/* Results to fp[0..n) and return. Values are first written to their own slots, which lie
 * above the destinations, so the copies can't overwrite a value still to be read. */
static void emit_return(compiler *c, uint32_t nresults)
{
    if (nresults == 1) {
        uint32_t s = read_slot(c, c->sp - 1);
        emit_op(c, IR_RETURN1);
        emit(c, s);
        return;
    }
    uint32_t first = c->sp - nresults;
    for (uint32_t i = 0; i < nresults; i++)
        emit_move(c, first + i, pos_slot(c, first + i));
    for (uint32_t i = 0; i < nresults; i++) {
        if (pos_slot(c, first + i) != i) {
            emit_op(c, IR_COPY);
            emit(c, i);
            emit(c, pos_slot(c, first + i));
        }
    }
    emit_op(c, IR_RETURN);
}

static void mark_dead(compiler *c)
{
    c->dead = true;
    c->producer = NO_LABEL;
}

/*
 * The condition of a branch, popped. When it is the result of the i32
 * compare (or eqz) just emitted, that op is turned into a compare-and-branch
 * and *fused is set; the caller then emits only the target word. `when_true`
 * says whether the branch is taken when the condition holds (br_if) or when
 * it fails (if, and br_if's skip over branch moves).
 */
static uint32_t pop_condition(compiler *c, bool when_true, bool *fused)
{
    *fused = false;
    uint32_t top = c->sp - 1;
    uint32_t at = c->producer;
    if (c->vs[top].kind == V_STACK && at != NO_LABEL && !c->oom &&
        c->code[at + 1] == pos_slot(c, top)) {
        uint32_t op = c->code[at];
        static const struct { uint16_t cmp, br, inv; } map[] = {
#define X(cmp, inv) { IR_I32_##cmp, IR_BR_I32_##cmp, IR_BR_I32_##inv },
            IR_BR_CMPS(X)
#undef X
        };
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            if (op != map[i].cmp && op != map[i].cmp + 1u)
                continue;
            bool k = op == map[i].cmp + 1u;
            c->code[at] = (when_true ? map[i].br : map[i].inv) + (k ? 1u : 0u);
            c->code[at + 1] = c->code[at + 2];
            c->code[at + 2] = c->code[at + 3];
            c->ncode = at + 3;
            c->sp--;
            c->producer = NO_LABEL;
            *fused = true;
            return 0;
        }
        if (op == IR_I32_EQZ) {
            /* eqz a: branch when a == 0 is BR_UNLESS a */
            c->code[at] = when_true ? IR_BR_UNLESS : IR_BR_IF;
            c->code[at + 1] = c->code[at + 2];
            c->ncode = at + 2;
            c->sp--;
            c->producer = NO_LABEL;
            *fused = true;
            return 0;
        }
    }
    uint32_t slot = read_slot(c, top);
    c->sp--;
    return slot;
}

static void emit_cond_branch(compiler *c, uint32_t cond, bool fused, bool when_true)
{
    if (!fused) {
        emit_op(c, when_true ? IR_BR_IF : IR_BR_UNLESS);
        emit(c, cond);
    }
}

/* ---- structured control -------------------------------------------------------------------- */

static bool compile_block(compiler *c, wasm_reader *r, uint8_t kind)
{
    uint32_t np = 0, nr = 0;
    if (!read_blocktype(c, r, &np, &nr))
        return false;
    ctrl k = { .kind = kind, .dead_entry = c->dead, .nparams = np, .nresults = nr,
               .end_chain = NO_LABEL, .else_chain = NO_LABEL };
    if (c->dead)
        return push_ctrl(c, k);
    if (kind == C_IF) {
        /* Every entry below the condition must be in its slot before the branch. If that
         * takes no code, a compare producing the condition can fuse with the branch. */
        bool fused = false;
        uint32_t cond;
        c->sp--;
        bool flush = block_flush_needed(c, np);
        c->sp++;
        if (!flush) {
            cond = pop_condition(c, false, &fused);
        } else {
            cond = read_slot(c, c->sp - 1);   /* a local, or its own slot: flush writes neither */
            c->sp--;
            flush_for_block(c, np);
        }
        k.height = c->sp - np;
        emit_cond_branch(c, cond, fused, false);
        emit_forward(c, &k.else_chain);
        return push_ctrl(c, k);
    }
    flush_for_block(c, np);
    k.height = c->sp - np;
    if (kind == C_LOOP)
        k.loop_entry = here(c);
    return push_ctrl(c, k);
}


static bool compile_else(compiler *c)
{
    ctrl *k = &c->cs[c->ncs - 1];
    if (k->dead_entry)
        return true;
    if (!c->dead) {
        flush_range(c, k->height, c->sp);
        emit_jump(c, k);
    }
    bind_chain(c, k->else_chain, here(c));
    k->else_chain = NO_LABEL;
    c->sp = k->height;
    for (uint32_t i = 0; i < k->nparams; i++)
        push_stack(c);
    c->dead = false;
    return true;
}

/* `end`: returns true when it closed the function body. */
static bool compile_end(compiler *c, const wasm_functype *ft)
{
    ctrl k = c->cs[--c->ncs];
    if (k.dead_entry)
        return false;
    if (k.kind == C_FUNC && k.end_chain == NO_LABEL) {
        /* nothing branches to the end: return straight from where the values are */
        if (!c->dead)
            emit_return(c, ft->nresults);
        return true;
    }
    if (!c->dead)
        flush_range(c, k.height, c->sp);
    uint32_t target = here(c);
    bind_chain(c, k.else_chain, target);
    bind_chain(c, k.end_chain, target);
    c->sp = k.height;   /* entries below the block are as they were at its start */
    for (uint32_t i = 0; i < k.nresults; i++)
        push_stack(c);
    c->dead = false;
    if (k.kind == C_FUNC) {
        emit_return(c, ft->nresults);
        return true;
    }
    return false;
}

static bool compile_br(compiler *c, wasm_reader *r)
{
    uint32_t depth;
    if (!wasm_read_u32(r, &depth))
        return false;
    if (depth >= c->ncs)
        return wasm_reader_fail(r, "unknown label");
    ctrl *k = &c->cs[c->ncs - 1 - depth];
    emit_branch_moves(c, k);
    emit_jump(c, k);
    mark_dead(c);
    return true;
}

static bool compile_br_if(compiler *c, wasm_reader *r)
{
    uint32_t depth;
    if (!wasm_read_u32(r, &depth))
        return false;
    if (depth >= c->ncs)
        return wasm_reader_fail(r, "unknown label");
    ctrl *k = &c->cs[c->ncs - 1 - depth];
    bool fused;
    /* moves are needed only on the taken path: then branch around them when false */
    c->sp--;
    bool moves = branch_needs_moves(c, k);
    c->sp++;
    uint32_t cond = pop_condition(c, !moves, &fused);
    emit_cond_branch(c, cond, fused, !moves);
    if (!moves) {
        emit_label_ref(c, k);
        return true;
    }
    uint32_t skip = NO_LABEL;
    emit_forward(c, &skip);
    emit_branch_moves(c, k);
    emit_jump(c, k);
    bind_chain(c, skip, here(c));
    return true;
}

static bool compile_br_table(compiler *c, wasm_reader *r)
{
    uint32_t n;
    if (!wasm_read_u32(r, &n))
        return false;
    if (n > wasm_reader_left(r))
        return wasm_reader_fail(r, "br_table too long");
    uint32_t *depths = malloc(((size_t)n + 1) * sizeof *depths);
    if (!depths)
        return wasm_reader_fail(r, "out of memory");
    for (uint32_t i = 0; i <= n; i++) {
        bool ok = wasm_read_u32(r, &depths[i]);
        if (!ok || depths[i] >= c->ncs) {
            free(depths);
            return ok ? wasm_reader_fail(r, "unknown label") : false;
        }
    }
    uint32_t idx = read_slot(c, c->sp - 1);
    c->sp--;
    emit_op(c, IR_BR_TABLE);
    emit(c, idx);
    emit(c, n);
    uint32_t table_at = c->ncode;
    for (uint32_t i = 0; i <= n; i++) {
        ctrl *k = &c->cs[c->ncs - 1 - depths[i]];
        if (branch_needs_moves(c, k))
            emit(c, NO_LABEL);      /* filled with a stub below */
        else
            emit_label_ref(c, k);
    }
    /* one stub per entry that needs moves (entries to the same label share it) */
    for (uint32_t i = 0; i <= n && !c->oom; i++) {
        if (c->code[table_at + i] != NO_LABEL || !branch_needs_moves(c, &c->cs[c->ncs - 1 - depths[i]]))
            continue;
        uint32_t stub = here(c);
        ctrl *k = &c->cs[c->ncs - 1 - depths[i]];
        emit_branch_moves(c, k);
        emit_jump(c, k);
        for (uint32_t j = i; j <= n; j++)
            if (depths[j] == depths[i] && c->code[table_at + j] == NO_LABEL)
                c->code[table_at + j] = stub;
    }
    free(depths);
    mark_dead(c);
    return true;
}

/* ---- the instruction switch ---------------------------------------------------------------- */

static enum ir_op canon_variant(compiler *c, enum ir_op op, bool canonicalised)
{
    return (c->canon && canonicalised) ? (enum ir_op)(op + 1) : op;
}

static bool compile_fc(compiler *c, wasm_reader *r)
{
    uint32_t sub, a, b;
    if (!wasm_read_u32(r, &sub))
        return false;
    if (c->dead)
        return wasm_skip_fc_immediates(r, sub);
    switch (sub) {
#define X(name, s) case s: compile_unop(c, IR_##name); return true;
        IR_SAT_OPS(X)
#undef X
    case WASM_FC_MEMORY_INIT: {
        uint8_t zero;
        if (!wasm_read_u32(r, &a) || !wasm_read_u8(r, &zero))
            return false;
        flush_range(c, c->sp - 3, c->sp);
        emit_op(c, IR_MEMORY_INIT);
        emit(c, a);
        for (int i = 3; i > 0; i--)
            emit(c, pos_slot(c, c->sp - (uint32_t)i));
        c->sp -= 3;
        return true;
    }
    case WASM_FC_DATA_DROP:
    case WASM_FC_ELEM_DROP:
        if (!wasm_read_u32(r, &a))
            return false;
        emit_op(c, sub == WASM_FC_DATA_DROP ? IR_DATA_DROP : IR_ELEM_DROP);
        emit(c, a);
        return true;
    case WASM_FC_MEMORY_COPY:
    case WASM_FC_MEMORY_FILL: {
        uint8_t zero;
        if (!wasm_read_u8(r, &zero) || (sub == WASM_FC_MEMORY_COPY && !wasm_read_u8(r, &zero)))
            return false;
        flush_range(c, c->sp - 3, c->sp);
        emit_op(c, sub == WASM_FC_MEMORY_COPY ? IR_MEMORY_COPY : IR_MEMORY_FILL);
        for (int i = 3; i > 0; i--)
            emit(c, pos_slot(c, c->sp - (uint32_t)i));
        c->sp -= 3;
        return true;
    }
    case WASM_FC_TABLE_INIT:
    case WASM_FC_TABLE_COPY:
        if (!wasm_read_u32(r, &a) || !wasm_read_u32(r, &b))
            return false;
        flush_range(c, c->sp - 3, c->sp);
        emit_op(c, sub == WASM_FC_TABLE_INIT ? IR_TABLE_INIT : IR_TABLE_COPY);
        /* table.init seg table: emit (table, seg); table.copy dst src: emit (dst, src) */
        emit(c, sub == WASM_FC_TABLE_INIT ? b : a);
        emit(c, sub == WASM_FC_TABLE_INIT ? a : b);
        for (int i = 3; i > 0; i--)
            emit(c, pos_slot(c, c->sp - (uint32_t)i));
        c->sp -= 3;
        return true;
    }
    return wasm_reader_fail(r, "unknown 0xFC instruction %u", sub);
}

/* Skip the immediates of an instruction in dead code (control instructions are handled by the caller). */
static bool compile_simple(compiler *c, wasm_reader *r, uint8_t op)
{
    switch (op) {
#define X(name, wop) case wop: compile_int_binop(c, IR_##name, wop, false); return true;
        IR_I32_BINOPS(X)
#undef X
#define X(name, wop) case wop: compile_int_binop(c, IR_##name, wop, true); return true;
        IR_I64_BINOPS(X)
#undef X
#define X(name, wop, cn) case wop: compile_binop(c, canon_variant(c, IR_##name, cn)); return true;
        IR_F_BINOPS(X)
#undef X
#define X(name, wop, cn) case wop: compile_unop(c, canon_variant(c, IR_##name, cn)); return true;
        IR_UNOPS(X)
#undef X
#define X(name, wop, bytes) case wop: return compile_load(c, r, IR_##name);
        IR_LOADS(X)
#undef X
#define X(name, wop, bytes) case wop: return compile_store(c, r, IR_##name);
        IR_STORES(X)
#undef X
    /* reinterpretations keep the bits: the value stays where it is */
    case WASM_OP_I32_REINTERPRET_F32: case WASM_OP_I64_REINTERPRET_F64:
    case WASM_OP_F32_REINTERPRET_I32: case WASM_OP_F64_REINTERPRET_I64:
    case WASM_OP_NOP:
        return true;
    }
    return wasm_reader_fail(r, "illegal opcode 0x%02x", op);
}

static bool compile_instr(compiler *c, wasm_reader *r, uint8_t op)
{
    uint32_t x;
    switch (op) {
    case WASM_OP_UNREACHABLE:
        emit_op(c, IR_UNREACHABLE);
        mark_dead(c);
        return true;
    case WASM_OP_BR: return compile_br(c, r);
    case WASM_OP_BR_IF: return compile_br_if(c, r);
    case WASM_OP_BR_TABLE: return compile_br_table(c, r);
    case WASM_OP_RETURN:
        emit_return(c, c->cs[0].nresults);
        mark_dead(c);
        return true;
    case WASM_OP_CALL: return compile_call(c, r);
    case WASM_OP_CALL_INDIRECT: return compile_call_indirect(c, r);
    case WASM_OP_DROP:
        c->sp--;
        c->producer = NO_LABEL;
        return true;
    case WASM_OP_SELECT:
    case WASM_OP_SELECT_T: {
        if (op == WASM_OP_SELECT_T && !wasm_skip_immediates(r, op, NULL))
            return false;
        uint32_t p = c->sp - 3;
        uint32_t sa = read_slot(c, p), sb = read_slot(c, p + 1), sc = read_slot(c, p + 2);
        uint32_t at = emit_op(c, IR_SELECT);
        emit(c, pos_slot(c, p));
        emit(c, sa);
        emit(c, sb);
        emit(c, sc);
        c->sp -= 3;
        push_produced(c, at);
        return true;
    }
    case WASM_OP_LOCAL_GET:
        if (!wasm_read_u32(r, &x))
            return false;
        c->producer = NO_LABEL;
        return vpush(c, (vslot){ .kind = V_LOCAL, .local = x });
    case WASM_OP_LOCAL_SET:
    case WASM_OP_LOCAL_TEE:
        if (!wasm_read_u32(r, &x))
            return false;
        compile_local_set(c, x, op == WASM_OP_LOCAL_TEE);
        return true;
    case WASM_OP_GLOBAL_GET: {
        if (!wasm_read_u32(r, &x))
            return false;
        uint32_t at = emit_op(c, IR_GLOBAL_GET);
        emit(c, pos_slot(c, c->sp));
        emit(c, x);
        push_produced(c, at);
        return true;
    }
    case WASM_OP_GLOBAL_SET: {
        if (!wasm_read_u32(r, &x))
            return false;
        uint32_t s = read_slot(c, c->sp - 1);
        emit_op(c, IR_GLOBAL_SET);
        emit(c, s);
        emit(c, x);
        c->sp--;
        return true;
    }
    case WASM_OP_MEMORY_SIZE: {
        const uint8_t *zero;
        if (!wasm_read_bytes(r, 1, &zero))
            return false;
        uint32_t at = emit_op(c, IR_MEMORY_SIZE);
        emit(c, pos_slot(c, c->sp));
        push_produced(c, at);
        return true;
    }
    case WASM_OP_MEMORY_GROW: {
        const uint8_t *zero;
        if (!wasm_read_bytes(r, 1, &zero))
            return false;
        compile_unop(c, IR_MEMORY_GROW);
        return true;
    }
    case WASM_OP_I32_CONST: {
        int32_t v;
        if (!wasm_read_s32(r, &v))
            return false;
        c->producer = NO_LABEL;
        return vpush(c, (vslot){ .kind = V_CONST, .value = (uint32_t)v });
    }
    case WASM_OP_I64_CONST: {
        int64_t v;
        if (!wasm_read_s64(r, &v))
            return false;
        c->producer = NO_LABEL;
        return vpush(c, (vslot){ .kind = V_CONST, .is64 = true, .value = (uint64_t)v });
    }
    case WASM_OP_F32_CONST: {
        uint32_t bits;
        if (!wasm_read_f32(r, &bits))
            return false;
        c->producer = NO_LABEL;
        return vpush(c, (vslot){ .kind = V_CONST, .value = bits });
    }
    case WASM_OP_F64_CONST: {
        uint64_t bits;
        if (!wasm_read_f64(r, &bits))
            return false;
        c->producer = NO_LABEL;
        return vpush(c, (vslot){ .kind = V_CONST, .is64 = true, .value = bits });
    }
    case WASM_OP_PREFIX_FC:
        return compile_fc(c, r);
    }
    return compile_simple(c, r, op);
}

/* ---- functions ----------------------------------------------------------------------------- */

/* One quick pass over the body: which locals does it ever write? (see path_safe) */
static bool scan_written_locals(compiler *c, const wasm_func *f, uint32_t nlocals_total)
{
    if (nlocals_total > c->written_cap) {
        uint8_t *n = realloc(c->written, nlocals_total);
        if (!n)
            return wasm_fail(c->err, "out of memory while compiling");
        c->written = n;
        c->written_cap = nlocals_total;
    }
    if (nlocals_total)
        memset(c->written, 0, nlocals_total);
    wasm_reader r;
    wasm_reader_init(&r, f->code, f->code_len, f->code_offset, c->err);
    while (!wasm_reader_eof(&r)) {
        uint8_t op;
        uint32_t x, np, nr;
        if (!wasm_read_u8(&r, &op))
            return false;
        bool ok = true;
        if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF) {
            ok = read_blocktype(c, &r, &np, &nr);
        } else if (op == WASM_OP_LOCAL_SET || op == WASM_OP_LOCAL_TEE) {
            ok = wasm_read_u32(&r, &x);
            if (ok && x < nlocals_total)
                c->written[x] = 1;
        } else {
            ok = wasm_skip_immediates(&r, op, NULL);
        }
        if (!ok)
            return false;
    }
    return true;
}

static bool compile_body(compiler *c, const wasm_func *f, const wasm_functype *ft, code_func *out)
{
    wasm_reader r;
    wasm_reader_init(&r, f->code, f->code_len, f->code_offset, c->err);
    c->s0 = ft->nparams + f->nlocals;
    c->sp = c->max_sp = 0;
    c->ncs = 0;
    c->dead = false;
    c->producer = NO_LABEL;
    if (!scan_written_locals(c, f, c->s0))
        return false;
    out->entry = c->ncode;
    push_ctrl(c, (ctrl){ .kind = C_FUNC, .nresults = ft->nresults, .end_chain = NO_LABEL,
                         .else_chain = NO_LABEL });
    while (!c->oom) {
        uint8_t op;
        if (!wasm_read_u8(&r, &op))
            return false;
        bool ok = true;
        if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF) {
            ok = compile_block(c, &r, op == WASM_OP_BLOCK ? C_BLOCK : op == WASM_OP_LOOP ? C_LOOP : C_IF);
        } else if (op == WASM_OP_ELSE) {
            ok = compile_else(c);
        } else if (op == WASM_OP_END) {
            if (compile_end(c, ft))
                break;
        } else if (c->dead) {
            ok = op == WASM_OP_PREFIX_FC ? compile_fc(c, &r) : wasm_skip_immediates(&r, op, NULL);
        } else {
            ok = compile_instr(c, &r, op);
        }
        if (!ok && !c->oom)
            return false;   /* the reader or the op said why */
    }
    if (c->oom)
        return wasm_fail(c->err, "out of memory while compiling");
    out->frame_slots = c->s0 + c->max_sp;
    return true;
}

static bool compile_functions(compiler *c, pvf_code *code)
{
    const wasm_module *m = c->m;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        const wasm_functype *ft = wasm_func_type(m, i);
        code_func *out = &code->funcs[i];
        out->type_index = f->type_index;
        out->nparams = ft->nparams;
        out->nresults = ft->nresults;
        out->nlocals = f->nlocals;
        if (f->is_import) {
            out->frame_slots = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
            continue;
        }
        if (!compile_body(c, f, ft, out))
            return false;
    }
    return true;
}

/* ---- module-level data --------------------------------------------------------------------- */

static char *dup_name(wasm_name n)
{
    char *s = malloc((size_t)n.len + 1);
    if (s) {
        memcpy(s, n.bytes, n.len);
        s[n.len] = 0;
    }
    return s;
}

static uint8_t *dup_bytes(const uint8_t *b, uint32_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, b, len);
    return p;
}

static bool copy_types(pvf_code *code, const wasm_module *m)
{
    size_t total = 0;
    for (uint32_t i = 0; i < m->ntypes; i++)
        total += (size_t)m->types[i].nparams + m->types[i].nresults;
    code->ntypes = m->ntypes;
    code->types = calloc(m->ntypes ? m->ntypes : 1, sizeof *code->types);
    code->type_canon = calloc(m->ntypes ? m->ntypes : 1, sizeof *code->type_canon);
    code->type_bytes = malloc(total ? total : 1);
    if (!code->types || !code->type_canon || !code->type_bytes)
        return false;
    size_t at = 0;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const wasm_functype *t = &m->types[i];
        uint32_t n = t->nparams + t->nresults;
        if (n)
            memcpy(code->type_bytes + at, t->types, n);
        code->types[i] = (pvf_functype){ t->nparams, t->nresults, code->type_bytes + at };
        at += n;
    }
    return true;
}

static bool copy_imports_exports(pvf_code *code, const wasm_module *m)
{
    code->nimports = m->nimports;
    code->imports = calloc(m->nimports ? m->nimports : 1, sizeof *code->imports);
    code->nexports = m->nexports;
    code->exports = calloc(m->nexports ? m->nexports : 1, sizeof *code->exports);
    if (!code->imports || !code->exports)
        return false;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *im = &m->imports[i];
        code_import *o = &code->imports[i];
        o->module = dup_name(im->module);
        o->name = dup_name(im->name);
        o->module_len = im->module.len;
        o->name_len = im->name.len;
        o->kind = im->kind;
        if (im->kind == WASM_EXTERN_FUNC)
            o->type_index = im->u.type_index;
        else if (im->kind == WASM_EXTERN_TABLE)
            o->limits = (pvf_limits){ im->u.table.limits.min, im->u.table.limits.max, im->u.table.limits.has_max };
        else if (im->kind == WASM_EXTERN_MEMORY)
            o->limits = (pvf_limits){ im->u.memory.min, im->u.memory.max, im->u.memory.has_max };
        else {
            o->global_type = im->u.global.type;
            o->global_mutable = im->u.global.mutable_;
        }
        if (!o->module || !o->name)
            return false;
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        code->exports[i] = (code_export){ dup_name(m->exports[i].name), m->exports[i].name.len,
                                          m->exports[i].kind, m->exports[i].index };
        if (!code->exports[i].name)
            return false;
    }
    return true;
}

static bool copy_state_shapes(pvf_code *code, const wasm_module *m)
{
    code->ntables = m->ntables;
    code->ntable_imports = m->ntable_imports;
    code->tables = calloc(m->ntables ? m->ntables : 1, sizeof *code->tables);
    code->nglobals = m->nglobals;
    code->nglobal_imports = m->nglobal_imports;
    code->globals = calloc(m->nglobals ? m->nglobals : 1, sizeof *code->globals);
    if (!code->tables || !code->globals)
        return false;
    for (uint32_t i = 0; i < m->ntables; i++) {
        const wasm_limits *l = &m->tables[i].type.limits;
        code->tables[i] = (pvf_limits){ l->min, l->max, l->has_max };
    }
    code->nmemories = m->nmemories;
    code->nmemory_imports = m->nmemory_imports;
    if (m->nmemories) {
        const wasm_limits *l = &m->memories[0].limits;
        code->memory = (pvf_limits){ l->min, l->max, l->has_max };
    }
    for (uint32_t i = 0; i < m->nglobals; i++)
        code->globals[i] = (code_global){ m->globals[i].type.type, m->globals[i].type.mutable_,
                                          m->globals[i].init };
    code->has_start = m->has_start;
    code->start = m->start;
    return true;
}

static bool copy_segments(pvf_code *code, const wasm_module *m)
{
    code->nelems = m->nelems;
    code->elems = calloc(m->nelems ? m->nelems : 1, sizeof *code->elems);
    code->ndatas = m->ndatas;
    code->datas = calloc(m->ndatas ? m->ndatas : 1, sizeof *code->datas);
    code->ncustoms = m->ncustoms;
    code->customs = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *code->customs);
    if (!code->elems || !code->datas || !code->customs)
        return false;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *s = &m->elems[i];
        code_elem *o = &code->elems[i];
        *o = (code_elem){ s->mode, s->table_index, s->offset, s->count, NULL };
        o->funcs = malloc(((size_t)s->count ? s->count : 1) * sizeof *o->funcs);
        if (!o->funcs)
            return false;
        if (s->count)
            memcpy(o->funcs, s->funcs, (size_t)s->count * sizeof *o->funcs);
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_segment *s = &m->datas[i];
        code->datas[i] = (code_data){ s->mode, s->offset, s->len, dup_bytes(s->bytes, s->len) };
        if (!code->datas[i].bytes)
            return false;
    }
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const wasm_custom_section *s = &m->customs[i];
        code->customs[i] = (code_custom){ dup_name(s->name), s->len, dup_bytes(s->bytes, s->len) };
        if (!code->customs[i].name || !code->customs[i].bytes)
            return false;
    }
    return true;
}

/* type_canon[i] = the first type index structurally equal to i, so call_indirect compares ints. */
static void canonicalize_types(pvf_code *code)
{
    for (uint32_t i = 0; i < code->ntypes; i++) {
        code->type_canon[i] = i;
        const pvf_functype *a = &code->types[i];
        for (uint32_t j = 0; j < i; j++) {
            const pvf_functype *b = &code->types[j];
            if (a->nparams == b->nparams && a->nresults == b->nresults &&
                !memcmp(a->types, b->types, a->nparams + a->nresults)) {
                code->type_canon[i] = code->type_canon[j];
                break;
            }
        }
    }
}

/*
 * Size the code buffer once from the bodies' total size (real runtimes need
 * about 0.75 words per byte of wasm): growing it by doubling would copy
 * megabytes several times. Untouched pages of an over-estimate cost nothing.
 */
static void reserve_code(compiler *c, const wasm_module *m)
{
    size_t bytes = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        bytes += m->funcs[i].code_len;
    size_t words = bytes + 4096;
    if (words > UINT32_MAX / 2)
        return;
    c->code = big_alloc(words * sizeof *c->code);
    if (c->code)
        c->cap = (uint32_t)words;
}

pvf_code *code_compile(const wasm_module *m, const wasm_stack_limit *sl,
                       const pvf_engine_config *cfg, wasm_error *err)
{
    pvf_code *code = calloc(1, sizeof *code);
    if (!code) {
        wasm_fail(err, "out of memory");
        return NULL;
    }
    code->config = *cfg;
    code->image_fd = -1;
    code->nfuncs = m->nfuncs;
    code->nfunc_imports = m->nfunc_imports;
    code->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *code->funcs);
    if (!code->funcs || !copy_types(code, m) || !copy_imports_exports(code, m) ||
        !copy_state_shapes(code, m) || !copy_segments(code, m)) {
        wasm_fail(err, "out of memory");
        code_free(code);
        return NULL;
    }
    canonicalize_types(code);
    if (sl) {
        code->metered = true;
        code->stack_global = sl->global_index;
        code->stack_limit = sl->limit;
        code->nthunks = sl->nthunks;
    }
    compiler c = { .m = m, .sl = sl, .canon = cfg->canonicalize_nans, .err = err };
    reserve_code(&c, m);
    bool ok = compile_functions(&c, code);
    free(c.vs);
    free(c.cs);
    free(c.written);
    if (!ok) {
        free(c.code);
        code_free(code);
        return NULL;
    }
    code->code = c.code;
    code->ncode = c.ncode;
    return code;
}

void code_free(pvf_code *c)
{
    if (!c)
        return;
    data_image_release(c);
    native_code_free(c->native);
    for (uint32_t i = 0; c->imports && i < c->nimports; i++) {
        free(c->imports[i].module);
        free(c->imports[i].name);
    }
    for (uint32_t i = 0; c->exports && i < c->nexports; i++)
        free(c->exports[i].name);
    for (uint32_t i = 0; c->elems && i < c->nelems; i++)
        free(c->elems[i].funcs);
    for (uint32_t i = 0; c->datas && i < c->ndatas; i++)
        free(c->datas[i].bytes);
    for (uint32_t i = 0; c->customs && i < c->ncustoms; i++) {
        free(c->customs[i].name);
        free(c->customs[i].bytes);
    }
    free(c->types);
    free(c->type_bytes);
    free(c->type_canon);
    free(c->imports);
    free(c->exports);
    free(c->funcs);
    free(c->tables);
    free(c->globals);
    free(c->elems);
    free(c->datas);
    free(c->customs);
    free(c->code);
    free(c);
}
