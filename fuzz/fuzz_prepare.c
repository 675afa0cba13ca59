/*
 * fuzz_prepare.c — libFuzzer target: hostile bytes into the prepare step.
 *
 * Every input is prepared twice, with the pvf profile (MVP, stack limiter) and
 * with the full profile (post-MVP features), and each artifact produced is
 * loaded back — whole, truncated, and with one byte flipped, since a
 * truncated or corrupted artifact must be an error, never undefined
 * behaviour (pvf/engine.h). Rejection is fine; a crash, a sanitizer report,
 * a leak or a hang is a bug. Build and run: `make fuzz` (fuzz/Makefile).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"

/* Load `artifact` and free whatever comes back: only crashing matters here. */
static void load_and_free(const uint8_t *artifact, size_t len)
{
    char err[256];
    pvf_code *code = pvf_code_load(artifact, len, err, sizeof err);
    if (code)
        pvf_code_free(code);
}

/* A byte position that depends on the input, so the flip lands everywhere over time. */
static size_t pick_position(const uint8_t *data, size_t size, size_t modulo)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h % modulo;
}

static void check_artifact(const uint8_t *data, size_t size, const uint8_t *artifact, size_t len)
{
    load_and_free(artifact, len);
    if (len == 0)
        return;
    load_and_free(artifact, len / 2);
    uint8_t *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, artifact, len);
    copy[pick_position(data, size, len)] ^= 0x5a;
    load_and_free(copy, len);
    free(copy);
}

static void prepare_with(pvf_profile profile, const uint8_t *data, size_t size)
{
    pvf_engine_config cfg;
    pvf_prepare_stats stats;
    uint8_t *artifact = NULL;
    size_t len = 0;
    char err[512];

    pvf_engine_config_default(&cfg, profile);
    if (pvf_prepare(data, size, &cfg, &artifact, &len, &stats, err, sizeof err)) {
        check_artifact(data, size, artifact, len);
        free(artifact);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prepare_with(PVF_PROFILE_PVF, data, size);
    prepare_with(PVF_PROFILE_FULL, data, size);
    return 0;
}
