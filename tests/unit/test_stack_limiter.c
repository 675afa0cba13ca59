/*
 * test_stack_limiter.c — the stack limiter against wasm-instrument 0.4.0.
 *
 * Three layers of expectations, none produced by this code:
 *  - the worked examples of wasm-engine-notes.md §5.4 and the crate's own
 *    max_height tests, and one hand-computed case per rule of the model, on
 *    modules built in memory (no decoder needed);
 *  - stack-limiter/cases.json: costs, thunk counts and global indices the real
 *    crate produced for the small rule-by-rule corpus;
 *  - stack-limiter/runtimes.json: the same for every real runtime in pvf/,
 *    every function's cost included.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "util/cputime.h"
#include "util/json.h"
#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/stack_limiter.h"

/* ---- modules built in memory ---- */

#define CODE(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void *grow(void *p, uint32_t n, size_t size)
{
    void *q = realloc(p, (size_t)(n + 1) * size);
    if (!q)
        abort();
    return q;
}

static uint8_t valtype(char c)
{
    switch (c) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    default:  return WASM_F64;
    }
}

/* A function type from letters: i i32, I i64, f f32, F f64. */
static uint32_t fx_type(wasm_module *m, const char *params, const char *results)
{
    wasm_functype t = { (uint32_t)strlen(params), (uint32_t)strlen(results), NULL };
    t.types = malloc(t.nparams + t.nresults + 1);
    for (uint32_t i = 0; i < t.nparams; i++)
        t.types[i] = valtype(params[i]);
    for (uint32_t i = 0; i < t.nresults; i++)
        t.types[t.nparams + i] = valtype(results[i]);
    m->types = grow(m->types, m->ntypes, sizeof *m->types);
    m->types[m->ntypes] = t;
    return m->ntypes++;
}

static uint32_t fx_import_func(wasm_module *m, uint32_t type)
{
    m->funcs = grow(m->funcs, m->nfuncs, sizeof *m->funcs);
    m->funcs[m->nfuncs] = (wasm_func){ .type_index = type, .is_import = true };
    m->nfunc_imports++;
    return m->nfuncs++;
}

static uint32_t fx_func(wasm_module *m, uint32_t type, uint32_t nlocals, const uint8_t *code,
                        size_t len)
{
    m->funcs = grow(m->funcs, m->nfuncs, sizeof *m->funcs);
    m->funcs[m->nfuncs] = (wasm_func){
        .type_index = type, .nlocals = nlocals, .code = code, .code_len = (uint32_t)len,
        .code_offset = 0x100 * m->nfuncs,
    };
    return m->nfuncs++;
}

static void fx_global(wasm_module *m, uint8_t type, bool mutable_, bool imported)
{
    m->globals = grow(m->globals, m->nglobals, sizeof *m->globals);
    m->globals[m->nglobals++] = (wasm_global){
        .type = { type, mutable_ }, .is_import = imported,
        .init = { .kind = WASM_CONST_I32, .type = type },
    };
    if (imported)
        m->nglobal_imports++;
}

static void fx_export(wasm_module *m, uint8_t kind, uint32_t index)
{
    m->exports = grow(m->exports, m->nexports, sizeof *m->exports);
    m->exports[m->nexports++] = (wasm_export){ .name = { "x", 1 }, .kind = kind, .index = index };
}

static void fx_elem(wasm_module *m, uint32_t count, const uint32_t *funcs)
{
    m->elems = grow(m->elems, m->nelems, sizeof *m->elems);
    wasm_elem_segment s = { .mode = WASM_SEG_ACTIVE, .elem_type = WASM_FUNCREF, .count = count };
    s.funcs = malloc(count * sizeof *s.funcs + 1);
    memcpy(s.funcs, funcs, count * sizeof *s.funcs);
    m->elems[m->nelems++] = s;
}

static void fx_free(wasm_module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].funcs);
    for (uint32_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->types);
    free(m->funcs);
    free(m->globals);
    free(m->exports);
    free(m->elems);
    free(m->owned);
    memset(m, 0, sizeof *m);
}

/* The cost of the last function of m, or UINT32_MAX with the error in err. */
static uint32_t last_cost(const wasm_module *m, wasm_error *err)
{
    uint32_t *costs = calloc(m->nfuncs, sizeof *costs);
    uint32_t c = UINT32_MAX;
    if (wasm_stack_costs(m, costs, err))
        c = costs[m->nfuncs - 1];
    free(costs);
    return c;
}

/* Cost of one function (params, results, declared locals, body) alone in a module. */
static uint32_t cost_of(const char *params, const char *results, uint32_t nlocals,
                        const uint8_t *code, size_t len, wasm_error *err)
{
    wasm_module m = {0};
    fx_func(&m, fx_type(&m, params, results), nlocals, code, len);
    uint32_t c = last_cost(&m, err);
    fx_free(&m);
    return c;
}

/* ---- worked examples (§5.4 and the crate's max_height tests) ---- */

TEST(stack_limiter_const_result_costs_3)
{
    wasm_error err;
    /* (func (result i32) i32.const 0): the height 3 before the final `end` counts */
    CHECK_EQ_U64(cost_of("", "i", 0, CODE(0x41, 0x00, 0x0B), &err), 3);
}

TEST(stack_limiter_empty_function_costs_locals_plus_2)
{
    wasm_error err;
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x0B), &err), 2);
    CHECK_EQ_U64(cost_of("", "", 7, CODE(0x0B), &err), 9);
    /* parameters are not counted, only declared locals */
    CHECK_EQ_U64(cost_of("iiII", "", 3, CODE(0x0B), &err), 5);
}

TEST(stack_limiter_if_else_at_end_costs_4)
{
    wasm_error err;
    /* (param i32) (result i32) local.get 0 if (result i32) i32.const 1 else i32.const 2 end */
    CHECK_EQ_U64(cost_of("i", "i", 0,
                         CODE(0x20, 0x00, 0x04, 0x7F, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0B, 0x0B),
                         &err), 4);
}

TEST(stack_limiter_kagome_if_else_costs_5)
{
    wasm_error err;
    /* i32.const 7; i32.const 1; if (result i32) 42 else 99 end; i32.const 97; drop x3:
     * the else-arm starts on top of the then-arm's value */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x41, 0x07, 0x41, 0x01, 0x04, 0x7F, 0x41, 0x2A, 0x05, 0x41, 0xE3,
                              0x00, 0x0B, 0x41, 0xE1, 0x00, 0x1A, 0x1A, 0x1A, 0x0B),
                         &err), 5);
}

TEST(stack_limiter_add_of_two_params_costs_4)
{
    wasm_error err;
    CHECK_EQ_U64(cost_of("ii", "i", 0, CODE(0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B), &err), 4);
}

TEST(stack_limiter_call_returning_value_costs_3)
{
    wasm_error err;
    wasm_module m = {0};
    fx_func(&m, fx_type(&m, "", "i"), 0, CODE(0x41, 0x00, 0x0B));
    fx_func(&m, fx_type(&m, "", ""), 0, CODE(0x10, 0x00, 0x1A, 0x0B));  /* call 0; drop */
    CHECK_EQ_U64(last_cost(&m, &err), 3);
    fx_free(&m);
}

TEST(stack_limiter_crate_max_height_tests)
{
    wasm_error err;
    /* simple_test: three nested pushes = 3 + 2 */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x41, 1, 0x41, 2, 0x41, 3, 0x1A, 0x1A, 0x1A, 0x0B),
                         &err), 5);
    /* implicit_and_explicit_return: i32.const 0; return = 1 + 2 */
    CHECK_EQ_U64(cost_of("", "i", 0, CODE(0x41, 0x00, 0x0F, 0x0B), &err), 3);
    /* dont_count_in_unreachable: unreachable; memory.grow = 2 */
    CHECK_EQ_U64(cost_of("", "i", 0, CODE(0x00, 0x40, 0x00, 0x0B), &err), 2);
    /* yet_another_test: 2 pushes, drops, unreachable, 3 dead pushes = 2 + 2 */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x41, 0, 0x41, 1, 0x1A, 0x1A, 0x00, 0x41, 0, 0x41, 1, 0x41, 2, 0x0B),
                         &err), 4);
    /* breaks: block (result i32) block (result i32) i32.const 99 br 1 end end drop = 1 + 2 */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x02, 0x7F, 0x41, 0xE3, 0x00, 0x0C, 0x01, 0x0B, 0x0B,
                              0x1A, 0x0B),
                         &err), 3);
}

TEST(stack_limiter_crate_call_indirect_test)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    /* $main: (call_indirect (i32.const 0)) x3 = 1 + 2 */
    fx_func(&m, v, 0, CODE(0x41, 0, 0x11, 0, 0, 0x41, 0, 0x11, 0, 0, 0x41, 0, 0x11, 0, 0, 0x0B));
    CHECK_EQ_U64(last_cost(&m, &err), 3);
    fx_free(&m);
}

/* ---- one test per rule ---- */

TEST(stack_limiter_polymorphic_then_arm_hides_else_arm)
{
    wasm_error err;
    /* i32.const 1; if; unreachable; else; i32.const 1; i32.const 2; drop; drop; end:
     * `else` does not clear the polymorphic flag, so the else-arm is never sampled;
     * the maximum is the 3 sampled before `if` */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x41, 1, 0x04, 0x40, 0x00, 0x05, 0x41, 1, 0x41, 2, 0x1A, 0x1A, 0x0B,
                              0x0B),
                         &err), 3);
}

TEST(stack_limiter_end_resets_height)
{
    wasm_error err;
    /* block (result i32) i32.const 1 br 0 i32.const 5 i32.const 6 i32.const 7 end drop:
     * the dead pushes are dropped by `end` (height = start 2 + 1), never sampled */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x41, 1, 0x0C, 0, 0x41, 5, 0x41, 6, 0x41, 7, 0x0B, 0x1A,
                              0x0B),
                         &err), 3);
    /* block (result i32) i32.const 1 br 0 end i32.const 2 i32.const 3 drop drop drop:
     * after `end` the height is 3 again even though `br` popped the value */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x41, 1, 0x0C, 0, 0x0B, 0x41, 2, 0x41, 3, 0x1A, 0x1A,
                              0x1A, 0x0B),
                         &err), 5);
}

TEST(stack_limiter_dead_code_lowers_height)
{
    wasm_error err;
    /* unreachable; drop; drop; drop; block; 5 x i32.const; 5 x drop; end:
     * the drops take the height 2 -> 1 -> 0, the third is a no-op (equal to the
     * frame start 0); the block then counts from 0: max 5 */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x00, 0x1A, 0x1A, 0x1A, 0x02, 0x40, 0x41, 1, 0x41, 2, 0x41, 3, 0x41,
                              4, 0x41, 5, 0x1A, 0x1A, 0x1A, 0x1A, 0x1A, 0x0B, 0x0B),
                         &err), 5);
}

TEST(stack_limiter_select_pops_in_two_steps)
{
    wasm_error err;
    /* block; i32.const 1; i32.const 2; br 0; select; block; 3 x (i32.const 0); 3 x drop;
     * end; drop; end: select pops 2 (4 -> 2), then 1 at the frame start (no-op),
     * pushes 1 -> 3; the inner block counts from 3: max 6 (a single pop of 3
     * would give 5) */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x40, 0x41, 1, 0x41, 2, 0x0C, 0, 0x1B, 0x02, 0x40, 0x41, 0,
                              0x41, 0, 0x41, 0, 0x1A, 0x1A, 0x1A, 0x0B, 0x1A, 0x0B, 0x0B),
                         &err), 6);
}

TEST(stack_limiter_loop_branch_arity_is_zero)
{
    wasm_error err;
    /* loop (result i32) i32.const 1 br_if 0 i32.const 7 end drop: br_if to a loop
     * carries nothing (a branch arity of 1 would pop at the frame start: error) */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x03, 0x7F, 0x41, 1, 0x0D, 0, 0x41, 7, 0x0B, 0x1A, 0x0B), &err), 3);
}

TEST(stack_limiter_br_if_pops_and_pushes_values)
{
    wasm_error err;
    /* block (result i32) i32.const 9 i32.const 1 br_if 0 end drop: 2,2,3,4,3 -> 4 */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x41, 9, 0x41, 1, 0x0D, 0, 0x0B, 0x1A, 0x0B), &err), 4);
}

TEST(stack_limiter_return_makes_rest_unreachable)
{
    wasm_error err;
    /* (result i32) i32.const 1 return i32.const 2 i32.const 3 i32.const 4 drop drop */
    CHECK_EQ_U64(cost_of("", "i", 0,
                         CODE(0x41, 1, 0x0F, 0x41, 2, 0x41, 3, 0x41, 4, 0x1A, 0x1A, 0x0B), &err),
                 3);
}

TEST(stack_limiter_call_indirect_pops_index_and_params)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t t = fx_type(&m, "ii", "i");
    /* i32.const 1; i32.const 2; i32.const 0; call_indirect t; drop: 2,3,4,5,3 -> 5 */
    fx_func(&m, fx_type(&m, "", ""), 0,
            CODE(0x41, 1, 0x41, 2, 0x41, 0, 0x11, (uint8_t)t, 0, 0x1A, 0x0B));
    CHECK_EQ_U64(last_cost(&m, &err), 5);
    fx_free(&m);
}

TEST(stack_limiter_br_table_with_equal_arities)
{
    wasm_error err;
    /* block (result i32) block (result i32) i32.const 5 i32.const 0 br_table [0] 1
     * end end drop: targets both carry one value */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x02, 0x7F, 0x41, 5, 0x41, 0, 0x0E, 1, 0, 1, 0x0B, 0x0B,
                              0x1A, 0x0B),
                         &err), 4);
}

TEST(stack_limiter_br_table_mixed_arities_rejected)
{
    wasm_error err;
    /* block (result i32) loop i32.const 5 i32.const 0 br_table [0] 1 end end drop:
     * the loop carries 0 values, the block 1: the crate rejects the module */
    uint32_t c = cost_of("", "", 0,
                         CODE(0x02, 0x7F, 0x03, 0x40, 0x41, 5, 0x41, 0, 0x0E, 1, 0, 1, 0x0B, 0x0B,
                              0x1A, 0x0B),
                         &err);
    CHECK_EQ_U64(c, UINT32_MAX);
    CHECK_STR_CONTAINS(err.msg, "br_table targets of different arities");
    CHECK(err.has_offset);
}

TEST(stack_limiter_pop_below_zero_rejected)
{
    wasm_error err;
    /* unreachable; drop; i32.add; drop: valid wasm, but the crate's height goes
     * 2 -> 1 and then cannot pop 2 ("stack underflow") */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x00, 0x1A, 0x6A, 0x1A, 0x0B), &err), UINT32_MAX);
    CHECK_STR_CONTAINS(err.msg, "stack underflow");
}

TEST(stack_limiter_pop_at_frame_start_rejected_when_reachable)
{
    wasm_error err;
    /* block; drop; end (invalid wasm): popping at the start of a live frame is an error */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x02, 0x40, 0x1A, 0x0B, 0x0B), &err), UINT32_MAX);
    CHECK_STR_CONTAINS(err.msg, "trying to pop more values than pushed");
}

TEST(stack_limiter_non_mvp_instruction_rejected)
{
    wasm_error err;
    /* i32.const 1; i32.extend8_s; drop */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x41, 1, 0xC0, 0x1A, 0x0B), &err), UINT32_MAX);
    CHECK_STR_CONTAINS(err.msg, "stack limiter: unsupported instruction");
    /* memory.fill (0xFC 11) */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0x00, 0x0B),
                         &err), UINT32_MAX);
    CHECK_STR_CONTAINS(err.msg, "stack limiter: unsupported instruction");
    /* a multi-value block type (type index 0) */
    CHECK_EQ_U64(cost_of("", "", 0, CODE(0x02, 0x00, 0x0B, 0x0B), &err), UINT32_MAX);
}

TEST(stack_limiter_immediates_are_skipped)
{
    wasm_error err;
    /* i64.const (10-byte LEB), f32.const, f64.const, loads/stores with memargs,
     * a long br_table, memory.size: heights 2,3,4,5,6 then drops */
    CHECK_EQ_U64(cost_of("", "", 0,
                         CODE(0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,
                              0x43, 0, 0, 0x80, 0x3F,
                              0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
                              0x3F, 0x00,
                              0x29, 0x03, 0x80, 0x80, 0x04,     /* i64.load align 3 offset 65536 */
                              0x1A, 0x1A, 0x1A, 0x1A,
                              0x41, 0, 0x41, 0, 0x36, 0x02, 0x10, /* i32.store */
                              0x02, 0x40, 0x41, 0, 0x0E, 3, 0, 0, 0, 0, 0x0B,
                              0x0B),
                         &err), 6);
}

/* ---- the rewrite ---- */

TEST(stack_limiter_global_appended_without_global_section)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    fx_func(&m, v, 0, CODE(0x0B));
    fx_func(&m, v, 0, CODE(0x10, 0x00, 0x0B));
    wasm_stack_limit sl;
    CHECK(wasm_stack_limiter_apply(&m, 1024, &sl, &err));
    CHECK_EQ_U64(sl.global_index, 0);
    CHECK_EQ_U64(m.nglobals, 1);
    CHECK(m.globals[0].type.type == WASM_I32 && m.globals[0].type.mutable_);
    CHECK(m.globals[0].init.kind == WASM_CONST_I32 && m.globals[0].init.bits == 0);
    CHECK_EQ_U64(sl.limit, 1024);
    CHECK_EQ_U64(sl.call_sites, 1);
    CHECK_EQ_U64(sl.nthunks, 0);
    CHECK(wasm_stack_call_charged(&sl, 0));
    wasm_stack_limit_free(&sl);
    fx_free(&m);
}

TEST(stack_limiter_global_index_ignores_imported_globals)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    fx_global(&m, WASM_I32, false, true);   /* 0: imported const */
    fx_global(&m, WASM_I32, true, true);    /* 1: imported mutable i32 */
    fx_global(&m, WASM_I64, true, false);   /* 2: defined */
    uint32_t f = fx_func(&m, v, 0, CODE(0x0B));
    fx_export(&m, WASM_EXTERN_FUNC, f);
    wasm_stack_limit sl;
    CHECK(wasm_stack_limiter_apply(&m, 65536, &sl, &err));
    /* one defined global before the append: index 1, which names the imported one */
    CHECK_EQ_U64(sl.global_index, 1);
    CHECK_EQ_U64(m.nglobals, 4);
    CHECK(m.globals[3].type.type == WASM_I32 && m.globals[3].type.mutable_);
    CHECK_EQ_U64(sl.nthunks, 1);
    wasm_stack_limit_free(&sl);
    fx_free(&m);
}

TEST(stack_limiter_imported_global_quirk_rejected)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    fx_global(&m, WASM_I32, true, true);    /* 0 */
    fx_global(&m, WASM_I32, false, true);   /* 1: immutable, and the quirk picks it */
    fx_global(&m, WASM_I32, true, false);
    uint32_t f = fx_func(&m, v, 0, CODE(0x0B));
    fx_export(&m, WASM_EXTERN_FUNC, f);
    wasm_stack_limit sl;
    CHECK(!wasm_stack_limiter_apply(&m, 65536, &sl, &err));
    CHECK_STR_CONTAINS(err.msg, "stack limiter: global 1 used for the stack height is not a "
                                "mutable i32 (imported-global quirk)");
    CHECK_EQ_U64(m.nglobals, 3);            /* the module is left as it was */
    CHECK_EQ_U64(m.nfuncs, 1);
    CHECK_EQ_U64(m.exports[0].index, f);
    fx_free(&m);
}

TEST(stack_limiter_imported_global_quirk_harmless_when_unused)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    fx_global(&m, WASM_F32, false, true);   /* 0: the quirk's global, not an i32 */
    uint32_t imp = fx_import_func(&m, v);
    fx_func(&m, v, 0, CODE(0x10, 0x00, 0x0B));   /* calls only the import: not charged */
    fx_export(&m, WASM_EXTERN_FUNC, imp);        /* imports (cost 0) get no thunk */
    wasm_stack_limit sl;
    CHECK(wasm_stack_limiter_apply(&m, 65536, &sl, &err));
    CHECK_EQ_U64(sl.global_index, 0);
    CHECK_EQ_U64(sl.call_sites, 0);
    CHECK_EQ_U64(sl.nthunks, 0);
    CHECK_EQ_U64(m.exports[0].index, imp);
    wasm_stack_limit_free(&sl);
    fx_free(&m);
}

TEST(stack_limiter_thunks_one_per_function_in_index_order)
{
    wasm_error err;
    wasm_module m = {0};
    uint32_t v = fx_type(&m, "", "");
    uint32_t ii = fx_type(&m, "ii", "i");
    uint32_t imp = fx_import_func(&m, v);                                  /* 0 */
    uint32_t a = fx_func(&m, ii, 1, CODE(0x20, 0, 0x20, 1, 0x6A, 0x0B));  /* 1: cost 5 */
    uint32_t b = fx_func(&m, v, 0, CODE(0x10, 0x00, 0x10, 0x03, 0x0B));   /* 2: calls 0, 3 */
    uint32_t c = fx_func(&m, v, 0, CODE(0x0B));                           /* 3 */
    uint32_t d = fx_func(&m, v, 0, CODE(0x0B));                           /* 4: never named */
    m.has_start = true;
    m.start = c;
    fx_export(&m, WASM_EXTERN_FUNC, b);
    fx_export(&m, WASM_EXTERN_MEMORY, 0);
    fx_export(&m, WASM_EXTERN_FUNC, b);
    fx_export(&m, WASM_EXTERN_FUNC, imp);
    fx_elem(&m, 4, (const uint32_t[]){ a, imp, WASM_NULL_FUNC, a });
    fx_elem(&m, 1, (const uint32_t[]){ b });

    wasm_stack_limit sl;
    CHECK(wasm_stack_limiter_apply(&m, 1024, &sl, &err));
    CHECK_EQ_U64(sl.nfuncs, 5);
    CHECK_EQ_U64(sl.costs[0], 0);
    CHECK_EQ_U64(sl.costs[1], 5);
    CHECK_EQ_U64(sl.costs[2], 2);
    CHECK_EQ_U64(sl.costs[3], 2);
    CHECK_EQ_U64(sl.costs[4], 2);
    CHECK_EQ_U64(sl.call_sites, 1);     /* call 3 only; the import costs 0 */
    CHECK_EQ_U64(sl.nthunks, 3);        /* a, b, c — in that order */
    CHECK_EQ_U64(m.nfuncs, 8);
    (void)d;

    /* thunk of a = 5: local.get 0; local.get 1; call 1; end */
    static const uint8_t ta[] = { 0x20, 0, 0x20, 1, 0x10, 1, 0x0B };
    static const uint8_t tb[] = { 0x10, 2, 0x0B };
    static const uint8_t tc[] = { 0x10, 3, 0x0B };
    const wasm_func *t = &m.funcs[5];
    CHECK(t->is_thunk && !t->is_import && t->type_index == ii && t->nlocals == 0);
    CHECK(t->code_len == sizeof ta && memcmp(t->code, ta, sizeof ta) == 0);
    CHECK(m.funcs[6].type_index == v && m.funcs[6].code_len == sizeof tb &&
          memcmp(m.funcs[6].code, tb, sizeof tb) == 0);
    CHECK(m.funcs[7].code_len == sizeof tc && memcmp(m.funcs[7].code, tc, sizeof tc) == 0);
    CHECK(m.funcs[7].is_thunk);
    CHECK(!m.funcs[4].is_thunk);
    CHECK_EQ_U64(m.nowned, 1);
    CHECK(m.funcs[5].code == (const uint8_t *)m.owned[0]);

    CHECK_EQ_U64(m.exports[0].index, 6);
    CHECK_EQ_U64(m.exports[1].index, 0);     /* the memory export is untouched */
    CHECK_EQ_U64(m.exports[2].index, 6);
    CHECK_EQ_U64(m.exports[3].index, imp);
    CHECK_EQ_U64(m.elems[0].funcs[0], 5);
    CHECK_EQ_U64(m.elems[0].funcs[1], imp);
    CHECK_EQ_U64(m.elems[0].funcs[2], WASM_NULL_FUNC);
    CHECK_EQ_U64(m.elems[0].funcs[3], 5);
    CHECK_EQ_U64(m.elems[1].funcs[0], 6);
    CHECK_EQ_U64(m.start, 7);

    /* thunks are not charged as callees; their own call is (cost of f > 0) */
    CHECK(!wasm_stack_call_charged(&sl, 5));
    CHECK(wasm_stack_call_charged(&sl, 1));
    CHECK(!wasm_stack_call_charged(&sl, 0));

    /* a second application is refused */
    wasm_stack_limit again;
    CHECK(!wasm_stack_limiter_apply(&m, 1024, &again, &err));
    wasm_stack_limit_free(&sl);
    fx_free(&m);
}

TEST(stack_limiter_thunk_body_uses_leb128_indices)
{
    wasm_error err;
    wasm_module m = {0};
    char params[131];
    memset(params, 'i', 130);
    params[130] = 0;
    uint32_t big = fx_type(&m, params, "");
    uint32_t v = fx_type(&m, "", "");
    for (int i = 0; i < 200; i++)
        fx_func(&m, i == 150 ? big : v, 0, CODE(0x0B));
    fx_export(&m, WASM_EXTERN_FUNC, 150);
    wasm_stack_limit sl;
    CHECK(wasm_stack_limiter_apply(&m, 1024, &sl, &err));
    CHECK_EQ_U64(m.nfuncs, 201);
    const wasm_func *t = &m.funcs[200];
    /* 128 x (0x20 i) + 2 x (0x20 0x80|i 0x01) + call 150 (0x10 0x96 0x01) + end */
    CHECK_EQ_U64(t->code_len, 128 * 2 + 2 * 3 + 3 + 1);
    CHECK(t->code[0] == 0x20 && t->code[1] == 0);
    CHECK(t->code[254] == 0x20 && t->code[255] == 127);
    CHECK(t->code[256] == 0x20 && t->code[257] == 0x80 && t->code[258] == 0x01);
    CHECK(t->code[259] == 0x20 && t->code[260] == 0x81 && t->code[261] == 0x01);
    CHECK(t->code[262] == 0x10 && t->code[263] == 0x96 && t->code[264] == 0x01);
    CHECK(t->code[265] == 0x0B);
    CHECK_EQ_U64(m.exports[0].index, 200);
    wasm_stack_limit_free(&sl);
    fx_free(&m);
}

/* ---- the real crate's output on the rule-by-rule corpus ---- */


static uint64_t get_u64(const json_value *obj, const char *key)
{
    uint64_t v = UINT64_MAX;
    if (!json_number_u64(json_get(obj, key), &v))
        test_fail(__FILE__, __LINE__, "missing number \"%s\"", key);
    return v;
}

/* Decode and instrument `bytes`; false (test failed) on error. */
static bool instrument(const char *name, const uint8_t *bytes, size_t len, uint32_t limit,
                       wasm_module *m, wasm_stack_limit *sl)
{
    wasm_error err;
    char buf[WASM_ERROR_MAX + 64];
    if (!wasm_decode(bytes, len, &WASM_FEATURES_PVF, m, &err)) {
        test_fail(__FILE__, __LINE__, "%s: decode: %s", name, wasm_error_text(&err, buf, sizeof buf));
        return false;
    }
    if (!wasm_stack_limiter_apply(m, limit, sl, &err)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, wasm_error_text(&err, buf, sizeof buf));
        wasm_module_free(m);
        return false;
    }
    return true;
}

/* Compare every cost with the crate's; report the first few differences. */
static void check_costs(const char *name, const wasm_stack_limit *sl, const json_value *costs)
{
    size_t n = json_array_len(costs);
    if (n != sl->nfuncs)
        test_fail(__FILE__, __LINE__, "%s: %u functions, expected %zu", name, sl->nfuncs, n);
    int shown = 0;
    for (size_t i = 0; i < n && i < sl->nfuncs; i++) {
        uint64_t want = UINT64_MAX;
        json_number_u64(json_array_at(costs, i), &want);
        if (sl->costs[i] != want && shown++ < 10)
            test_fail(__FILE__, __LINE__, "%s: cost of function %zu is %u, expected %llu", name,
                      i, sl->costs[i], (unsigned long long)want);
    }
}

TEST(stack_limiter_matches_crate_on_cases)
{
    json_value *doc = test_load_json("stack-limiter/cases.json");
    if (!doc)
        return;
    const json_value *cases = json_get(doc, "cases");
    CHECK(json_array_len(cases) > 0);
    for (size_t i = 0; i < json_array_len(cases); i++) {
        const json_value *c = json_array_at(cases, i);
        const char *name = json_get_string(c, "name");
        char rel[512];
        snprintf(rel, sizeof rel, "stack-limiter/%s", json_get_string(c, "wasm"));
        const char *path = test_data_path(rel);
        if (!path)
            continue;
        size_t len;
        uint8_t *bytes = test_read_file(path, &len);
        wasm_module m;
        wasm_stack_limit sl;
        if (bytes && instrument(name, bytes, len, (uint32_t)get_u64(c, "limit"), &m, &sl)) {
            check_costs(name, &sl, json_get(c, "costs"));
            CHECK_EQ_U64(sl.nthunks, get_u64(c, "thunks"));
            CHECK_EQ_U64(sl.global_index, get_u64(c, "stack_height_global_idx"));
            CHECK_EQ_U64(sl.limit, get_u64(c, "limit"));
            wasm_stack_limit_free(&sl);
            wasm_module_free(&m);
        }
        free(bytes);
    }
    json_free(doc);
}

/* ---- the real crate's output on real runtimes ---- */

static const uint8_t BLOB_MAGIC[8] = { 0x52, 0xBC, 0x53, 0x76, 0x46, 0xDB, 0x8E, 0x05 };

/* One zstd frame, decompressed by streaming (blobs do not record their size). */
static uint8_t *unzstd(const uint8_t *frame, size_t frame_len, size_t *len)
{
    const size_t max = 64u << 20;
    size_t cap = 4u << 20;
    uint8_t *out = malloc(cap);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { frame, frame_len, 0 };
    ZSTD_outBuffer o = { out, cap, 0 };
    size_t r = 1;
    while (out && dctx && r != 0) {
        if (o.pos == o.size) {
            uint8_t *grown = cap < max ? realloc(out, cap *= 2) : NULL;
            if (!grown)
                break;
            out = grown;
            o = (ZSTD_outBuffer){ out, cap, o.pos };
        }
        r = ZSTD_decompressStream(dctx, &o, &in);
        if (ZSTD_isError(r) || (r != 0 && in.pos == in.size && o.pos < o.size))
            break;      /* corrupt, or truncated input */
    }
    ZSTD_freeDCtx(dctx);
    if (r != 0) {
        free(out);
        return NULL;
    }
    *len = o.pos;
    return out;
}

/* A runtime file as a plain module: compressed code blobs are unpacked. */
static uint8_t *read_runtime(const char *path, size_t *len)
{
    uint8_t *raw = test_read_file(path, len);
    if (!raw || *len < sizeof BLOB_MAGIC || memcmp(raw, BLOB_MAGIC, sizeof BLOB_MAGIC) != 0)
        return raw;
    uint8_t *out = unzstd(raw + sizeof BLOB_MAGIC, *len - sizeof BLOB_MAGIC, len);
    free(raw);
    return out;
}

/* Read a whole gzip file (the per-function costs) into a NUL-terminated buffer. */
static char *read_gz(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - n < 4096) {
            char *b = realloc(buf, cap *= 2);
            if (!b)
                break;
            buf = b;
        }
        int r = gzread(gz, buf + n, (unsigned)(cap - n - 1));
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    gzclose(gz);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The largest runtime seen and how long its cost analysis took. */
typedef struct speed {
    size_t len;
    uint32_t nfuncs;
    double ms;
    const char *file;
} speed;

static void check_runtime(const json_value *r, speed *largest)
{
    const char *file = json_get_string(r, "file");
    const char *path = test_data_path(file);
    if (!path)
        return;
    size_t len;
    uint8_t *bytes = read_runtime(path, &len);
    if (!bytes) {
        test_fail(__FILE__, __LINE__, "%s: cannot read or decompress", file);
        return;
    }

    char rel[512];
    snprintf(rel, sizeof rel, "stack-limiter/%s", json_get_string(r, "costs"));
    const char *costs_path = test_data_path(rel);
    size_t costs_len = 0;
    char *costs_text = costs_path ? read_gz(costs_path, &costs_len) : NULL;
    char jerr[128];
    json_value *costs = costs_text ? json_parse(costs_text, costs_len, jerr, sizeof jerr) : NULL;
    if (!costs)
        test_fail(__FILE__, __LINE__, "%s: cannot read the expected costs", file);

    wasm_module m;
    wasm_stack_limit sl;
    uint32_t limit = costs ? (uint32_t)get_u64(costs, "limit") : 65536;
    if (instrument(file, bytes, len, limit, &m, &sl)) {
        CHECK_EQ_U64(sl.nfuncs - m.nfunc_imports, get_u64(r, "defined_funcs"));
        CHECK_EQ_U64(m.nfunc_imports, get_u64(r, "func_imports"));
        CHECK_EQ_U64(sl.nthunks, get_u64(r, "thunks_added"));
        CHECK_EQ_U64(sl.global_index, get_u64(r, "stack_height_global_idx"));
        CHECK_EQ_U64(sl.call_sites, get_u64(r, "instrumented_call_sites"));
        if (costs)
            check_costs(file, &sl, json_get(costs, "costs_by_function_index"));

        /* speed of the analysis alone (every body, thunks included) */
        uint32_t *c = malloc(m.nfuncs * sizeof *c + 1);
        wasm_error err;
        double t0 = cputime_thread_ms();
        CHECK(wasm_stack_costs(&m, c, &err));
        double ms = cputime_thread_ms() - t0;
        if (len > largest->len)
            *largest = (speed){ len, sl.nfuncs, ms, file };
        free(c);
        wasm_stack_limit_free(&sl);
        wasm_module_free(&m);
    }
    json_free(costs);
    free(costs_text);
    free(bytes);
}

TEST(stack_limiter_matches_crate_on_runtimes)
{
    json_value *doc = test_load_json("stack-limiter/runtimes.json");
    if (!doc)
        return;
    CHECK(json_array_len(doc) >= 13);
    speed largest = {0};
    for (size_t i = 0; i < json_array_len(doc); i++)
        check_runtime(json_array_at(doc, i), &largest);
    if (largest.file)
        fprintf(stderr, "  stack costs of %s (%zu bytes, %u functions): %.2f ms CPU\n",
                largest.file, largest.len, largest.nfuncs, largest.ms);
    json_free(doc);
}
