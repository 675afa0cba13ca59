/*
 * test_executor_params.c — ExecutorParams (src/runtime/executor_params.c).
 *
 * tests/data/executor_params.json holds lists written in our human form with
 * the SCALE bytes, hash() and prep_hash() that polkadot.js computed for them
 * (tests/gen/node/scale_vectors.js, using the chain metadata's
 * PolkadotPrimitivesV8ExecutorParams type). The consistency rules and
 * defaults are those of polkadot-primitives' executor_params.rs, with each
 * limit tested on both sides.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/executor_params.h"
#include "test.h"
#include "util/json.h"

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    strcpy(out, "0x");
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 + 2 * i, "%02x", b[i]);
}

static uint8_t *unhex(const char *hex, size_t *len)
{
    hex += 2;
    size_t n = strlen(hex);
    uint8_t *out = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b = 0;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (uint8_t)b;
    }
    *len = n / 2;
    return out;
}

/* Parse the human form, failing the test (and returning an empty list) if it does not parse. */
static executor_params parse(const char *text)
{
    executor_params ep;
    char msg[512];
    if (!executor_params_parse(text, &ep, msg, sizeof msg))
        test_fail(__FILE__, __LINE__, "parse \"%s\": %s", text, msg);
    return ep;
}

static executor_params_check_result check(const char *text, char *msg, size_t msglen)
{
    executor_params ep = parse(text);
    executor_params_check_result res = executor_params_check(&ep, msg, msglen);
    executor_params_free(&ep);
    return res;
}

TEST(executor_params_vectors_from_polkadot_js)
{
    size_t len;
    char *text = (char *)test_read_file("tests/data/executor_params.json", &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "tests/data/executor_params.json missing (run from the repo root)");
        return;
    }
    char jerr[128];
    json_value *doc = json_parse(text, len, jerr, sizeof jerr);
    CHECK(json_array_len(doc) >= 20);
    for (size_t i = 0; i < json_array_len(doc); i++) {
        const json_value *c = json_array_at(doc, i);
        const char *human = json_get_string(c, "params");
        executor_params ep = parse(human);

        /* encode */
        scale_writer w;
        uint8_t *enc;
        size_t n;
        char hex[1024];
        scale_writer_init(&w);
        executor_params_encode(&ep, &w);
        CHECK(scale_writer_finish(&w, &enc, &n));
        to_hex(enc, n, hex);
        if (strcmp(hex, json_get_string(c, "scale")) != 0)
            test_fail(__FILE__, __LINE__, "\"%s\": encoded %s, want %s", human, hex,
                      json_get_string(c, "scale"));

        /* decode back: same list, same human form */
        executor_params back;
        wasm_error err = {0};
        CHECK(executor_params_decode_all(enc, n, &back, &err));
        CHECK_EQ_U64(back.count, ep.count);
        char form[1024];
        CHECK_EQ_U64(executor_params_format(&back, form, sizeof form), strlen(human));
        if (strcmp(form, human) != 0)
            test_fail(__FILE__, __LINE__, "format: \"%s\", want \"%s\"", form, human);

        /* hashes */
        uint8_t h[32];
        CHECK(executor_params_hash(&back, h));
        to_hex(h, 32, hex);
        if (strcmp(hex, json_get_string(c, "hash")) != 0)
            test_fail(__FILE__, __LINE__, "\"%s\": hash %s, want %s", human, hex, json_get_string(c, "hash"));
        CHECK(executor_params_prep_hash(&back, h));
        to_hex(h, 32, hex);
        if (strcmp(hex, json_get_string(c, "prep_hash")) != 0)
            test_fail(__FILE__, __LINE__, "\"%s\": prep_hash %s, want %s", human, hex,
                      json_get_string(c, "prep_hash"));

        executor_params_free(&back);

        /* every proper prefix fails; one more byte is "trailing" for decode_all only */
        for (size_t cut = 0; cut < n; cut++)
            CHECK(!executor_params_decode(enc, cut, &back, NULL, &err));
        uint8_t *more = malloc(n + 1);
        memcpy(more, enc, n);
        more[n] = 0x07;
        size_t used = 0;
        CHECK(executor_params_decode(more, n + 1, &back, &used, &err) && used == n);
        executor_params_free(&back);
        CHECK(!executor_params_decode_all(more, n + 1, &back, &err));
        CHECK_STR_CONTAINS(err.msg, "trailing bytes: 1 after the end of the value");
        free(more);
        free(enc);
        executor_params_free(&ep);
    }
    json_free(doc);
    free(text);
}

/* The reference's ensure_prep_hash_changes, plus: excluded params leave prep_hash alone. */
TEST(executor_params_prep_hash_coverage)
{
    static const struct { const char *a, *b; bool differ; } cases[] = {
        {"MaxMemoryPages=1", "MaxMemoryPages=2", true},
        {"StackLogicalMax=1", "StackLogicalMax=2", true},
        {"", "WasmExtBulkMemory", true},
        {"MaxMemoryPages=1,StackLogicalMax=2", "StackLogicalMax=2,MaxMemoryPages=1", true},
        {"", "StackNativeMax=1", false},
        {"", "PrecheckingMaxMemory=1", false},
        {"", "PvfPrepTimeout.Precheck=1,PvfPrepTimeout.Prepare=2", false},
        {"", "PvfExecTimeout.Backing=1,PvfExecTimeout.Approval=2", false},
        {"MaxMemoryPages=8192", "PvfExecTimeout.Backing=1,MaxMemoryPages=8192,StackNativeMax=9", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        executor_params a = parse(cases[i].a), b = parse(cases[i].b);
        uint8_t ha[32], hb[32], fa[32], fb[32];
        CHECK(executor_params_prep_hash(&a, ha) && executor_params_prep_hash(&b, hb));
        CHECK(executor_params_hash(&a, fa) && executor_params_hash(&b, fb));
        if ((memcmp(ha, hb, 32) != 0) != cases[i].differ)
            test_fail(__FILE__, __LINE__, "prep_hash(\"%s\") vs (\"%s\"): expected %s", cases[i].a,
                      cases[i].b, cases[i].differ ? "different" : "equal");
        CHECK(memcmp(fa, fb, 32) != 0);     /* hash() sees every param */
        executor_params_free(&a);
        executor_params_free(&b);
    }
}

TEST(executor_params_consistency)
{
    static const struct { const char *params; executor_params_check_result want; const char *msg; } cases[] = {
        {"", EXEC_PARAMS_OK, NULL},
        {"MaxMemoryPages=8192,PvfExecTimeout.Backing=2500,PvfExecTimeout.Approval=15000", EXEC_PARAMS_OK, NULL},
        /* MaxMemoryPages ∈ (0, 65536] */
        {"MaxMemoryPages=0", EXEC_PARAMS_OUTSIDE_LIMIT,
         "executor parameter MaxMemoryPages outside its limits: 0 not in 1..=65536"},
        {"MaxMemoryPages=1", EXEC_PARAMS_OK, NULL},
        {"MaxMemoryPages=65536", EXEC_PARAMS_OK, NULL},
        {"MaxMemoryPages=65537", EXEC_PARAMS_OUTSIDE_LIMIT, "MaxMemoryPages outside its limits"},
        /* StackLogicalMax ∈ [1024, 131072] (and the default native stack covers 128 × 131072 × … ) */
        {"StackLogicalMax=1023", EXEC_PARAMS_OUTSIDE_LIMIT, "StackLogicalMax outside its limits: 1023"},
        {"StackLogicalMax=1024", EXEC_PARAMS_OK, NULL},
        {"StackLogicalMax=131072", EXEC_PARAMS_OK, NULL},
        {"StackLogicalMax=131073", EXEC_PARAMS_OUTSIDE_LIMIT, "not in 1024..=131072"},
        /* PrecheckingMaxMemory ∈ [256 MiB, 16 GiB] */
        {"PrecheckingMaxMemory=268435455", EXEC_PARAMS_OUTSIDE_LIMIT, "PrecheckingMaxMemory outside"},
        {"PrecheckingMaxMemory=268435456", EXEC_PARAMS_OK, NULL},
        {"PrecheckingMaxMemory=17179869184", EXEC_PARAMS_OK, NULL},
        {"PrecheckingMaxMemory=17179869185", EXEC_PARAMS_OUTSIDE_LIMIT, "not in 268435456..=17179869184"},
        /* duplicates: per kind for timeouts; checked before the range of the duplicate */
        {"MaxMemoryPages=5,MaxMemoryPages=5", EXEC_PARAMS_DUPLICATED,
         "duplicated executor parameter MaxMemoryPages"},
        {"MaxMemoryPages=5,MaxMemoryPages=0", EXEC_PARAMS_DUPLICATED, "MaxMemoryPages"},
        {"MaxMemoryPages=0,MaxMemoryPages=5", EXEC_PARAMS_OUTSIDE_LIMIT, "MaxMemoryPages"},
        {"WasmExtBulkMemory,WasmExtBulkMemory", EXEC_PARAMS_DUPLICATED, "WasmExtBulkMemory"},
        {"StackNativeMax=268435456,StackNativeMax=268435456", EXEC_PARAMS_DUPLICATED, "StackNativeMax"},
        {"PvfPrepTimeout.Precheck=1,PvfPrepTimeout.Prepare=2", EXEC_PARAMS_OK, NULL},
        {"PvfPrepTimeout.Precheck=1,PvfPrepTimeout.Precheck=2", EXEC_PARAMS_DUPLICATED,
         "duplicated executor parameter PvfPrepKind::Precheck"},
        {"PvfExecTimeout.Approval=20000,PvfExecTimeout.Approval=20000", EXEC_PARAMS_DUPLICATED,
         "PvfExecKind::Approval"},
        /* StackNativeMax >= 128 × StackLogicalMax, defaults 256 MiB and 65536 filling in */
        {"StackNativeMax=8388608", EXEC_PARAMS_OK, NULL},           /* = 128 × 65536 */
        {"StackNativeMax=8388607", EXEC_PARAMS_INCOMPATIBLE,
         "incompatible executor parameters StackLogicalMax and StackNativeMax"},
        {"StackLogicalMax=1024,StackNativeMax=131072", EXEC_PARAMS_OK, NULL},
        {"StackLogicalMax=1024,StackNativeMax=131071", EXEC_PARAMS_INCOMPATIBLE, "StackNativeMax"},
        {"StackLogicalMax=131072", EXEC_PARAMS_OK, NULL},           /* 128 × 131072 < 256 MiB */
        /* precheck < prepare (defaults 60 s / 360 s) */
        {"PvfPrepTimeout.Precheck=359999", EXEC_PARAMS_OK, NULL},
        {"PvfPrepTimeout.Precheck=360000", EXEC_PARAMS_INCOMPATIBLE,
         "incompatible executor parameters PvfPrepKind::Precheck and PvfPrepKind::Prepare"},
        {"PvfPrepTimeout.Prepare=60000", EXEC_PARAMS_INCOMPATIBLE, "PvfPrepKind::Prepare"},
        {"PvfPrepTimeout.Prepare=60001", EXEC_PARAMS_OK, NULL},
        /* backing < approval (defaults 2 s / 12 s) */
        {"PvfExecTimeout.Backing=11999", EXEC_PARAMS_OK, NULL},
        {"PvfExecTimeout.Backing=12000", EXEC_PARAMS_INCOMPATIBLE,
         "incompatible executor parameters PvfExecKind::Backing and PvfExecKind::Approval"},
        {"PvfExecTimeout.Approval=2000", EXEC_PARAMS_INCOMPATIBLE, "PvfExecKind::Approval"},
        /* a per-param problem comes before the cross checks */
        {"PvfExecTimeout.Backing=12000,MaxMemoryPages=0", EXEC_PARAMS_OUTSIDE_LIMIT, "MaxMemoryPages"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[256] = "";
        executor_params_check_result got = check(cases[i].params, msg, sizeof msg);
        if (got != cases[i].want)
            test_fail(__FILE__, __LINE__, "check(\"%s\") = %d (%s), want %d", cases[i].params, got, msg,
                      cases[i].want);
        if (cases[i].msg)
            CHECK_STR_CONTAINS(msg, cases[i].msg);
    }
}

TEST(executor_params_effective_values)
{
    executor_params ep = parse("");
    uint64_t mem = 0;
    CHECK_EQ_U64(executor_params_heap_max_pages(&ep), 2080);
    CHECK_EQ_U64(executor_params_stack_logical_max(&ep), 65536);
    CHECK_EQ_U64(executor_params_stack_native_max(&ep), 256u << 20);
    CHECK(!executor_params_bulk_memory(&ep));
    CHECK(!executor_params_prechecking_max_memory(&ep, &mem));
    CHECK_EQ_U64(executor_params_prep_timeout_ms(&ep, PVF_PREP_PRECHECK), 60000);
    CHECK_EQ_U64(executor_params_prep_timeout_ms(&ep, PVF_PREP_PREPARE), 360000);
    CHECK_EQ_U64(executor_params_exec_timeout_ms(&ep, PVF_EXEC_BACKING), 2000);
    CHECK_EQ_U64(executor_params_exec_timeout_ms(&ep, PVF_EXEC_APPROVAL), 12000);
    executor_params_free(&ep);

    ep = parse("MaxMemoryPages=8192,StackLogicalMax=1024,StackNativeMax=1000000,WasmExtBulkMemory,"
               "PrecheckingMaxMemory=536870912,PvfExecTimeout.Backing=2500,PvfExecTimeout.Approval=15000,"
               "PvfPrepTimeout.Prepare=400000");
    CHECK_EQ_U64(executor_params_heap_max_pages(&ep), 8224);
    CHECK_EQ_U64(executor_params_stack_logical_max(&ep), 1024);
    CHECK_EQ_U64(executor_params_stack_native_max(&ep), 1000000);
    CHECK(executor_params_bulk_memory(&ep));
    CHECK(executor_params_prechecking_max_memory(&ep, &mem) && mem == 536870912);
    CHECK_EQ_U64(executor_params_prep_timeout_ms(&ep, PVF_PREP_PRECHECK), 60000);
    CHECK_EQ_U64(executor_params_prep_timeout_ms(&ep, PVF_PREP_PREPARE), 400000);
    CHECK_EQ_U64(executor_params_exec_timeout_ms(&ep, PVF_EXEC_BACKING), 2500);
    CHECK_EQ_U64(executor_params_exec_timeout_ms(&ep, PVF_EXEC_APPROVAL), 15000);
    executor_params_free(&ep);

    /* n + 32 saturates at u32::MAX */
    ep = parse("MaxMemoryPages=4294967263");
    CHECK_EQ_U64(executor_params_heap_max_pages(&ep), 4294967295u);
    executor_params_free(&ep);
    ep = parse("MaxMemoryPages=4294967264");
    CHECK_EQ_U64(executor_params_heap_max_pages(&ep), 4294967295u);
    executor_params_free(&ep);

    /* duplicates: semantics take the last, timeouts the first (as the reference's readers do) */
    ep = parse("MaxMemoryPages=100,PvfExecTimeout.Backing=3000,MaxMemoryPages=200,PvfExecTimeout.Backing=4000");
    CHECK_EQ_U64(executor_params_heap_max_pages(&ep), 232);
    CHECK_EQ_U64(executor_params_exec_timeout_ms(&ep, PVF_EXEC_BACKING), 3000);
    executor_params_free(&ep);
}

TEST(executor_params_decode_errors)
{
    static const struct { const char *hex; const char *msg; size_t offset; } cases[] = {
        {"0x0400", "invalid ExecutorParam: variant 0", 1},
        {"0x0408", "invalid ExecutorParam: variant 8", 1},
        {"0x080708", "invalid ExecutorParam: variant 8", 2},
        {"0x0405020000000000000000", "invalid PvfPrepKind: variant 2", 2},
        {"0x0406ff0000000000000000", "invalid PvfExecKind: variant 255", 2},
        {"0x04010000", "unexpected end of input: 4 bytes needed, 2 left", 2},
        {"0x0c0707", "vector of 3 items cannot fit in the 2 bytes left", 0},
        {"0x0100", "non-canonical compact encoding", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *b = unhex(cases[i].hex, &len);
        executor_params ep;
        wasm_error err = {0};
        CHECK(!executor_params_decode(b, len, &ep, NULL, &err));
        CHECK(ep.count == 0 && ep.items == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        if (err.offset != cases[i].offset)
            test_fail(__FILE__, __LINE__, "%s: offset %zu, want %zu", cases[i].hex, err.offset,
                      cases[i].offset);
        free(b);
    }
}

TEST(executor_params_human_form)
{
    /* spaces around items and values are fine */
    executor_params ep = parse(" MaxMemoryPages = 8192 , WasmExtBulkMemory,PvfPrepTimeout.Precheck=1 ");
    CHECK_EQ_U64(ep.count, 3);
    CHECK(ep.items[0].kind == EXEC_PARAM_MAX_MEMORY_PAGES && ep.items[0].value == 8192);
    CHECK(ep.items[1].kind == EXEC_PARAM_WASM_EXT_BULK_MEMORY);
    CHECK(ep.items[2].kind == EXEC_PARAM_PVF_PREP_TIMEOUT && ep.items[2].timeout_kind == PVF_PREP_PRECHECK);
    char buf[16];
    /* truncated output still says the full length */
    CHECK_EQ_U64(executor_params_format(&ep, buf, sizeof buf),
                 strlen("MaxMemoryPages=8192,WasmExtBulkMemory,PvfPrepTimeout.Precheck=1"));
    CHECK(strcmp(buf, "MaxMemoryPages=") == 0);
    executor_params_free(&ep);

    static const struct { const char *text; const char *msg; } bad[] = {
        {"Foo=1", "column 1: unknown executor parameter \"Foo\""},
        {"MaxMemoryPages=1,maxmemorypages=2", "column 18: unknown executor parameter \"maxmemorypages\""},
        {"MaxMemoryPages", "MaxMemoryPages needs a value: MaxMemoryPages=N"},
        {"WasmExtBulkMemory=1", "WasmExtBulkMemory takes no value"},
        {"MaxMemoryPages=4294967296", "invalid value \"4294967296\" for MaxMemoryPages: expected a decimal "
                                      "integer in 0..=4294967295"},
        {"PrecheckingMaxMemory=18446744073709551616", "invalid value"},
        {"MaxMemoryPages=-1", "invalid value \"-1\""},
        {"MaxMemoryPages=0x10", "invalid value \"0x10\""},
        {"MaxMemoryPages=", "invalid value \"\""},
        {"MaxMemoryPages=1,", "column 18: unknown executor parameter \"\""},
        {"PvfPrepTimeout=5", "unknown executor parameter \"PvfPrepTimeout\""},
        {"PvfExecTimeout.Dispute=5", "unknown executor parameter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[512] = "";
        if (executor_params_parse(bad[i].text, &ep, msg, sizeof msg)) {
            test_fail(__FILE__, __LINE__, "\"%s\" parsed", bad[i].text);
            executor_params_free(&ep);
            continue;
        }
        CHECK(ep.count == 0 && ep.items == NULL);
        CHECK_STR_CONTAINS(msg, bad[i].msg);
    }
    /* the largest values of each type parse */
    ep = parse("MaxMemoryPages=4294967295,PrecheckingMaxMemory=18446744073709551615");
    CHECK(ep.items[0].value == 4294967295u && ep.items[1].value == UINT64_MAX);
    executor_params_free(&ep);
}
