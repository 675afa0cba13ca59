/*
 * wast_spectest.c — the `spectest` module every spec test may import from.
 *
 * Its contents are fixed by the reference interpreter (spec/interpreter/host/
 * spectest.ml): print functions that do nothing here, four immutable globals
 * holding 666, a funcref table of 10..20 elements and a memory of 1..2 pages.
 */
#include "cli/wast.h"

#include <stdio.h>
#include <string.h>

static const uint8_t sig_none[] = { 0 };
static const uint8_t sig_i32[] = { PVF_I32 };
static const uint8_t sig_i64[] = { PVF_I64 };
static const uint8_t sig_f32[] = { PVF_F32 };
static const uint8_t sig_f64[] = { PVF_F64 };
static const uint8_t sig_i32_f32[] = { PVF_I32, PVF_F32 };
static const uint8_t sig_f64_f64[] = { PVF_F64, PVF_F64 };

static const struct {
    const char *name;
    pvf_functype type;
} print_funcs[] = {
    { "print", { 0, 0, sig_none } },
    { "print_i32", { 1, 0, sig_i32 } },
    { "print_i64", { 1, 0, sig_i64 } },
    { "print_f32", { 1, 0, sig_f32 } },
    { "print_f64", { 1, 0, sig_f64 } },
    { "print_i32_f32", { 2, 0, sig_i32_f32 } },
    { "print_f64_f64", { 2, 0, sig_f64_f64 } },
};

/* The tests only check that calls go through; what would be printed does not matter. */
static int print_nothing(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller;
    (void)ctx;
    (void)slots;
    return 0;
}

static uint64_t f32_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static uint64_t f64_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static void add_export(wast_spectest *st, const char *name, wast_extern ext)
{
    if (st->count < WAST_SPECTEST_EXPORTS) {
        st->exports[st->count].name = name;
        st->exports[st->count].ext = ext;
        st->count++;
    }
}

static bool add_global(wast_spectest *st, pvf_store *store, const char *name, uint8_t type, uint64_t bits)
{
    wast_extern e = { .ext.kind = PVF_EXTERN_GLOBAL, .global_type = type, .global_mutable = false };
    e.ext.u.global = pvf_global_new(store, type, false, bits);
    add_export(st, name, e);
    return e.ext.u.global != NULL;
}

static bool add_print_funcs(wast_spectest *st, pvf_store *store)
{
    for (size_t i = 0; i < sizeof print_funcs / sizeof print_funcs[0]; i++) {
        wast_extern e = { .ext.kind = PVF_EXTERN_FUNC };
        e.ext.u.func = pvf_func_new_host(store, &print_funcs[i].type, print_nothing, NULL);
        if (!e.ext.u.func)
            return false;
        add_export(st, print_funcs[i].name, e);
    }
    return true;
}

bool wast_spectest_create(pvf_store *store, wast_spectest *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    bool ok = add_print_funcs(st, store);
    ok = ok && add_global(st, store, "global_i32", PVF_I32, 666);
    ok = ok && add_global(st, store, "global_i64", PVF_I64, 666);
    ok = ok && add_global(st, store, "global_f32", PVF_F32, f32_bits(666.0f));
    ok = ok && add_global(st, store, "global_f64", PVF_F64, f64_bits(666.0));
    if (ok) {
        wast_extern t = { .ext.kind = PVF_EXTERN_TABLE, .limits = { 10, 20, true } };
        t.ext.u.table = pvf_table_new(store, t.limits);
        add_export(st, "table", t);
        ok = t.ext.u.table != NULL;
    }
    if (ok) {
        wast_extern m = { .ext.kind = PVF_EXTERN_MEMORY, .limits = { 1, 2, true } };
        m.ext.u.memory = pvf_memory_new(store, m.limits);
        add_export(st, "memory", m);
        ok = m.ext.u.memory != NULL;
    }
    if (!ok)
        snprintf(err, errlen, "cannot create the spectest module's objects");
    return ok;
}

bool wast_spectest_lookup(const wast_spectest *st, const char *name, wast_extern *out)
{
    for (size_t i = 0; i < st->count; i++) {
        if (!strcmp(st->exports[i].name, name)) {
            *out = st->exports[i].ext;
            return true;
        }
    }
    return false;
}
