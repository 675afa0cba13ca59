/* test_instance.c — artifacts, instantiation, memory: the engine's runtime side. */
#include <stdlib.h>

#include "pvf/engine.h"
#include "test.h"

typedef struct loaded {
    uint8_t *artifact;
    size_t len;
    pvf_code *code;
} loaded;

static bool load_fixture(const char *path, pvf_profile profile, loaded *out)
{
    size_t n;
    uint8_t *wasm = test_read_file(path, &n);
    if (!wasm)
        return false;
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, profile);
    char err[256];
    bool ok = pvf_prepare(wasm, n, &cfg, &out->artifact, &out->len, NULL, err, sizeof err);
    free(wasm);
    if (!ok) {
        test_fail(__FILE__, __LINE__, "prepare %s: %s", path, err);
        return false;
    }
    out->code = pvf_code_load(out->artifact, out->len, err, sizeof err);
    if (!out->code)
        test_fail(__FILE__, __LINE__, "load %s: %s", path, err);
    return out->code != NULL;
}

static void unload(loaded *l)
{
    pvf_code_free(l->code);
    free(l->artifact);
}

static uint64_t call1(pvf_instance *inst, const char *name, const uint64_t *args, pvf_trap_kind *kind)
{
    pvf_extern e;
    uint64_t res[1] = { 0 };
    if (!pvf_instance_export(inst, name, &e) || e.kind != PVF_EXTERN_FUNC) {
        test_fail(__FILE__, __LINE__, "no export %s", name);
        return 0;
    }
    pvf_trap trap;
    *kind = pvf_call(e.u.func, args, res, &trap);
    return res[0];
}

TEST(instance_memory_image_is_private_per_instance)
{
    loaded l;
    if (!load_fixture("tests/fixtures/engine/cow.wasm", PVF_PROFILE_PVF, &l))
        return;
    CHECK(pvf_code_build_image(l.code));
    CHECK(pvf_code_build_image(l.code));    /* a second time: the same image */
    pvf_trap_kind k;
    for (int round = 0; round < 3; round++) {
        pvf_store *s = pvf_store_new();
        pvf_trap trap;
        char err[256];
        pvf_instance *inst = pvf_instantiate(s, l.code, NULL, false, &trap, err, sizeof err);
        CHECK(inst != NULL);
        if (!inst) {
            pvf_store_free(s);
            break;
        }
        uint64_t a16[1] = { 16 }, a70000[1] = { 70000 }, a0[1] = { 0 };
        CHECK_EQ_U64(call1(inst, "read", a16, &k), 42);
        CHECK_EQ_U64(call1(inst, "read", a70000, &k), 7);
        CHECK_EQ_U64(call1(inst, "read", a0, &k), 0);
        uint64_t w1[2] = { 16, 1000 + (uint64_t)round }, w2[2] = { 0, 99 };
        call1(inst, "write", w1, &k);
        call1(inst, "write", w2, &k);
        CHECK_EQ_U64(call1(inst, "read", a16, &k), 1000 + (uint64_t)round);
        CHECK_EQ_U64(call1(inst, "read", a0, &k), 99);
        uint64_t last[1] = { 2 * 65536 - 4 }, past[1] = { 2 * 65536 - 3 };
        CHECK_EQ_U64(call1(inst, "read", last, &k), 0);
        CHECK(k == PVF_TRAP_NONE);
        call1(inst, "read", past, &k);
        CHECK(k == PVF_TRAP_MEMORY_OUT_OF_BOUNDS);
        pvf_store_free(s);
    }
    unload(&l);
}

TEST(instance_memory_grow_fails_at_maximum)
{
    loaded l;
    if (!load_fixture("tests/fixtures/engine/grow.wasm", PVF_PROFILE_PVF, &l))
        return;
    pvf_store *s = pvf_store_new();
    pvf_instance *inst = pvf_instantiate(s, l.code, NULL, false, NULL, NULL, 0);
    CHECK(inst != NULL);
    if (inst) {
        pvf_trap_kind k;
        uint64_t none[1] = { 0 }, one[1] = { 1 }, two[1] = { 2 }, big[1] = { 0xFFFFFFFFu };
        uint64_t poke_hi[1] = { 3 * 65536 - 1 };
        CHECK_EQ_U64(call1(inst, "grow", one, &k), 1);
        CHECK_EQ_U64(call1(inst, "size", none, &k), 2);
        CHECK_EQ_U64(call1(inst, "grow", two, &k), 0xFFFFFFFFu);   /* 2 + 2 > 3 */
        CHECK_EQ_U64(call1(inst, "grow", big, &k), 0xFFFFFFFFu);
        CHECK_EQ_U64(call1(inst, "grow", one, &k), 2);
        CHECK_EQ_U64(call1(inst, "size", none, &k), 3);
        call1(inst, "poke", poke_hi, &k);
        CHECK(k == PVF_TRAP_NONE);
        CHECK_EQ_U64(call1(inst, "grow", one, &k), 0xFFFFFFFFu);
        CHECK_EQ_U64(call1(inst, "grow", none, &k), 3);
    }
    pvf_store_free(s);
    unload(&l);
}

/* Every truncation and every single-byte corruption of an artifact is refused cleanly. */
TEST(artifact_truncated_or_corrupted_is_refused)
{
    loaded l;
    if (!load_fixture("tests/fixtures/engine/cow.wasm", PVF_PROFILE_PVF, &l))
        return;
    char err[256];
    int accepted = 0;
    for (size_t n = 0; n < l.len; n++) {
        pvf_code *c = pvf_code_load(l.artifact, n, err, sizeof err);
        accepted += c != NULL;
        pvf_code_free(c);
    }
    CHECK_EQ_U64(accepted, 0);
    uint8_t *copy = malloc(l.len);
    for (size_t i = 0; i < l.len; i++) {
        memcpy(copy, l.artifact, l.len);
        copy[i] ^= 0x01;
        pvf_code *c = pvf_code_load(copy, l.len, err, sizeof err);
        accepted += c != NULL;
        pvf_code_free(c);
    }
    CHECK_EQ_U64(accepted, 0);
    memcpy(copy, l.artifact, l.len);
    copy[0] = 'X';
    CHECK(pvf_code_load(copy, l.len, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "not a pvf artifact");
    memcpy(copy, l.artifact, l.len);
    copy[l.len - 1] ^= 0x80;
    CHECK(pvf_code_load(copy, l.len, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "checksum");
    CHECK(pvf_code_load((const uint8_t *)"\0asm\1\0\0\0", 8, err, sizeof err) == NULL);
    free(copy);
    unload(&l);
}

TEST(artifact_records_profile_and_round_trips)
{
    loaded pvf, full;
    if (!load_fixture("tests/fixtures/engine/grow.wasm", PVF_PROFILE_PVF, &pvf))
        return;
    if (!load_fixture("tests/fixtures/engine/grow.wasm", PVF_PROFILE_FULL, &full)) {
        unload(&pvf);
        return;
    }
    /* different profiles and parameters give different artifacts (thunks, NaN mode) */
    CHECK(pvf.len != full.len || memcmp(pvf.artifact, full.artifact, pvf.len) != 0);
    unload(&pvf);
    unload(&full);
}
