/*
 * fuzz_scale.c — libFuzzer target: hostile bytes into the SCALE decoders.
 *
 * The same input goes to the compact-integer reader, the ValidationResult,
 * ValidationParams and ExecutorParams decoders, and (as text) to the
 * ExecutorParams human-form parser. Whenever decoding succeeds, encoding the
 * value again must give back exactly the bytes that were read — SCALE is
 * canonical, and our decoders are strict — and the strict (decode_all) form
 * must agree with the prefix form. A failed check aborts, so libFuzzer keeps
 * the input. Build and run: `make fuzz FUZZ_TARGET=fuzz_scale` (fuzz/Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/executor_params.h"
#include "runtime/scale.h"
#include "runtime/validation.h"

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_scale: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The writer's bytes equal in[0..len). Frees the writer. */
static void require_same(scale_writer *w, const uint8_t *in, size_t len)
{
    uint8_t *out;
    size_t out_len;
    REQUIRE(scale_writer_finish(w, &out, &out_len));
    REQUIRE(out_len == len);
    REQUIRE(len == 0 || memcmp(out, in, len) == 0);
    free(out);
}

static void fuzz_compact(const uint8_t *data, size_t size)
{
    static const unsigned widths[] = {32, 64, 128};
    for (size_t i = 0; i < 3; i++) {
        scale_reader r;
        wasm_error err;
        scale_u128 v = 0;
        uint32_t v32;
        uint64_t v64;
        bool ok;
        scale_reader_init(&r, data, size, &err);
        if (widths[i] == 32) {
            ok = scale_read_compact_u32(&r, &v32);
            v = v32;
        } else if (widths[i] == 64) {
            ok = scale_read_compact_u64(&r, &v64);
            v = v64;
        } else {
            ok = scale_read_compact_u128(&r, &v);
        }
        if (!ok)
            continue;
        REQUIRE(scale_compact_size(v) == scale_offset(&r));
        scale_writer w;
        scale_writer_init(&w);
        scale_write_compact(&w, v);
        require_same(&w, data, scale_offset(&r));
    }
}

static void fuzz_result(const uint8_t *data, size_t size)
{
    validation_result res, all;
    wasm_error err;
    size_t used;
    bool ok = validation_result_decode(data, size, &res, &used, &err);
    bool ok_all = validation_result_decode_all(data, size, &all, &err);
    REQUIRE(ok_all == (ok && used == size));
    validation_result_free(&all);
    if (!ok)
        return;
    REQUIRE(res.n_upward_messages <= PVF_REF_MAX_UPWARD_MESSAGES);
    REQUIRE(res.n_horizontal_messages <= PVF_REF_MAX_HORIZONTAL_MESSAGES);
    scale_writer w;
    scale_writer_init(&w);
    validation_result_encode(&res, &w);
    require_same(&w, data, used);
    char *json = validation_result_to_json(&res);
    REQUIRE(json != NULL);
    free(json);
    validation_result_free(&res);
}

static void fuzz_params(const uint8_t *data, size_t size)
{
    validation_params p, all;
    wasm_error err;
    size_t used;
    bool ok = validation_params_decode(data, size, &p, &used, &err);
    bool ok_all = validation_params_decode_all(data, size, &all, &err);
    REQUIRE(ok_all == (ok && used == size));
    if (!ok)
        return;
    scale_writer w;
    scale_writer_init(&w);
    validation_params_encode(&p, &w);
    require_same(&w, data, used);
}

/* format → parse gives the same list back. */
static void check_human_form(const executor_params *ep)
{
    size_t n = executor_params_format(ep, NULL, 0);
    char *text = malloc(n + 1);
    REQUIRE(text != NULL);
    REQUIRE(executor_params_format(ep, text, n + 1) == n);
    executor_params back;
    char msg[512];
    REQUIRE(executor_params_parse(text, &back, msg, sizeof msg));
    REQUIRE(back.count == ep->count);
    for (size_t i = 0; i < ep->count; i++) {
        REQUIRE(back.items[i].kind == ep->items[i].kind);
        REQUIRE(back.items[i].timeout_kind == ep->items[i].timeout_kind);
        REQUIRE(back.items[i].value == ep->items[i].value);
    }
    executor_params_free(&back);
    free(text);
}

static void fuzz_executor_params(const uint8_t *data, size_t size)
{
    executor_params ep, all;
    wasm_error err;
    size_t used;
    bool ok = executor_params_decode(data, size, &ep, &used, &err);
    bool ok_all = executor_params_decode_all(data, size, &all, &err);
    REQUIRE(ok_all == (ok && used == size));
    executor_params_free(&all);
    if (!ok)
        return;
    scale_writer w;
    scale_writer_init(&w);
    executor_params_encode(&ep, &w);
    require_same(&w, data, used);

    uint8_t h[32], ph[32];
    char msg[256];
    REQUIRE(executor_params_hash(&ep, h));
    REQUIRE(executor_params_prep_hash(&ep, ph));
    (void)executor_params_check(&ep, msg, sizeof msg);
    (void)executor_params_heap_max_pages(&ep);
    check_human_form(&ep);
    executor_params_free(&ep);
}

/* The input as text for the human-form parser: what parses must survive format → parse. */
static void fuzz_human_form(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    REQUIRE(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    executor_params ep;
    char msg[512];
    if (executor_params_parse(text, &ep, msg, sizeof msg)) {
        check_human_form(&ep);
        executor_params_free(&ep);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_compact(data, size);
    fuzz_result(data, size);
    fuzz_params(data, size);
    fuzz_executor_params(data, size);
    fuzz_human_form(data, size);
    return 0;
}
