/*
 * test_opcodes.c — every walker of a function body agrees with the opcode
 * table (src/wasm/opcodes.h); tests/t-opcodes.sh checks the table itself
 * against V8.
 *
 * For every instruction with a fixed signature, the canonical use its row
 * describes (constants for the operands it pops, the instruction with zero
 * immediates of its kind, a local.set of its result) must be accepted by the
 * validator, skipped by wasm_skip_immediates exactly over its immediates,
 * measured by the stack-limiter analysis as 2 + max(pops, pushes) (MVP rows),
 * and compiled. Every byte that is not in the table must be refused by the
 * validator.
 */
#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"
#include "test.h"
#include "wasm/max_height.h"
#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"

typedef struct buf {
    uint8_t b[256];
    size_t n;
} buf;

static void put(buf *o, const uint8_t *p, size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
#define PUT(o, ...) put(o, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Zero immediates of each kind, as the spec encodes them; length 0xFF: no canonical use. */
static size_t canonical_imm(wasm_imm imm, uint8_t *out)
{
    static const struct { uint8_t len, bytes[8]; } IMMS[] = {
        [IMM_NONE] = { 0, {0} }, [IMM_INDEX] = { 1, {0} }, [IMM_MEMARG] = { 2, {0} },
        [IMM_ZERO_BYTE] = { 1, {0} }, [IMM_I32] = { 1, {0} }, [IMM_I64] = { 1, {0} },
        [IMM_F32] = { 4, {0} }, [IMM_F64] = { 8, {0} },
    };
    if ((size_t)imm >= sizeof IMMS / sizeof IMMS[0] || (imm != IMM_NONE && IMMS[imm].len == 0))
        return 0xFF;
    memcpy(out, IMMS[imm].bytes, IMMS[imm].len);
    return IMMS[imm].len;
}

static void push_const(buf *o, uint8_t type)
{
    switch (type) {
    case WASM_I64: PUT(o, 0x42, 0); break;
    case WASM_F32: PUT(o, 0x43, 0, 0, 0, 0); break;
    case WASM_F64: PUT(o, 0x44, 0, 0, 0, 0, 0, 0, 0, 0); break;
    default: PUT(o, 0x41, 0); break;   /* i32, and drop's "any" */
    }
}

static uint8_t local_of(uint8_t type)
{
    return type == WASM_I64 ? 1 : type == WASM_F32 ? 2 : type == WASM_F64 ? 3 : 0;
}

/* A module with memory, type () -> () and one function: locals i32 i64 f32 f64, `code`, end. */
static size_t module_with(const buf *code, uint8_t *out)
{
    buf m = { .n = 0 };
    PUT(&m, 0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    PUT(&m, 1, 4, 1, 0x60, 0, 0);           /* type section */
    PUT(&m, 3, 2, 1, 0);                    /* function section */
    PUT(&m, 5, 3, 1, 0, 1);                 /* memory 1 page */
    size_t body_len = 9 + code->n + 1;
    PUT(&m, 10, (uint8_t)(2 + body_len), 1, (uint8_t)body_len, 4, 1, 0x7f, 1, 0x7e, 1, 0x7d, 1, 0x7c);
    put(&m, code->b, code->n);
    PUT(&m, 0x0b);
    memcpy(out, m.b, m.n);
    return m.n;
}

static void check_row(uint8_t op, const wasm_op_info *oi)
{
    uint8_t imm[8];
    size_t imm_len = canonical_imm(oi->imm, imm);
    if (oi->sig.npop == WASM_NO_SIG || imm_len == 0xFF)
        return;
    const uint8_t types[2] = { oi->sig.pop0, oi->sig.pop1 };
    buf code = { .n = 0 };
    for (unsigned i = 0; i < oi->sig.npop; i++)
        push_const(&code, types[i]);
    size_t at = code.n;
    PUT(&code, op);
    put(&code, imm, imm_len);
    if (oi->sig.npush)
        PUT(&code, 0x21, local_of(oi->sig.push));

    /* wasm_skip_immediates: exactly the immediates */
    wasm_error err;
    wasm_reader r;
    wasm_reader_init(&r, code.b + at + 1, code.n - at - 1, 0, &err);
    if (!wasm_skip_immediates(&r, op, NULL) || (size_t)(r.p - (code.b + at + 1)) != imm_len)
        test_fail(__FILE__, __LINE__, "%s: wasm_skip_immediates disagrees with %zu immediate bytes",
                  oi->name, imm_len);

    uint8_t wasm[300];
    size_t n = module_with(&code, wasm);
    wasm_module m;
    if (!wasm_decode(wasm, n, &WASM_FEATURES_FULL, &m, &err)) {
        test_fail(__FILE__, __LINE__, "%s: decode: %s", oi->name, err.msg);
        return;
    }
    if (!wasm_validate(&m, &WASM_FEATURES_FULL, &err))
        test_fail(__FILE__, __LINE__, "%s: the validator refuses its canonical use: %s", oi->name, err.msg);
    if (oi->feature == MVP) {
        wasm_height_walker w;
        wasm_height_walker_init(&w, false);
        uint32_t h = 0, want = 2 + (oi->sig.npop > oi->sig.npush ? oi->sig.npop : oi->sig.npush);
        if (!wasm_max_height(&w, &m, 0, &h, &err) || h != want)
            test_fail(__FILE__, __LINE__, "%s: max_height %u, the table says %u", oi->name, h, want);
        wasm_height_walker_free(&w);
    }
    wasm_module_free(&m);
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, PVF_PROFILE_FULL);
    uint8_t *artifact = NULL;
    size_t artifact_len;
    char msg[256];
    if (!pvf_prepare(wasm, n, &cfg, &artifact, &artifact_len, NULL, msg, sizeof msg))
        test_fail(__FILE__, __LINE__, "%s: the compiler refuses its canonical use: %s", oi->name, msg);
    free(artifact);
}

TEST(opcodes_every_walker_agrees_with_the_table)
{
    unsigned rows = 0;
    for (unsigned op = 0; op < 256; op++) {
        const wasm_op_info *oi = wasm_op_info_of(op);
        if (oi->name) {
            check_row((uint8_t)op, oi);
            rows++;
        }
    }
    CHECK(rows > 180);
}

TEST(opcodes_outside_the_table_are_refused)
{
    for (unsigned op = 0; op < 256; op++) {
        if (wasm_op_info_of(op)->name)
            continue;
        buf code = { .n = 0 };
        PUT(&code, (uint8_t)op);
        uint8_t wasm[300];
        size_t n = module_with(&code, wasm);
        wasm_module m;
        wasm_error err;
        if (!wasm_decode(wasm, n, &WASM_FEATURES_FULL, &m, &err))
            continue;
        if (wasm_validate(&m, &WASM_FEATURES_FULL, &err))
            test_fail(__FILE__, __LINE__, "byte 0x%02x is not in the table but validates", op);
        wasm_module_free(&m);
        CHECK(!wasm_opcode_name(op));
    }
}
