/*
 * runtime_code.c — what `pvf validate` and `pvf call` share: reading a
 * runtime (plain or compressed) and preparing it with the PVF defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/runtime.h"
#include "util/file.h"

pvf_code *cli_load_runtime(const char *path, char *err, size_t errlen)
{
    size_t len;
    uint8_t *raw = file_read(path, &len);
    if (!raw) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    pvf_runtime_params p;
    pvf_runtime_params_default(&p);
    p.tier = (pvf_tier)cli_tier();
    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    char why[512];
    pvf_code *code = NULL;
    if (!pvf_runtime_prepare(raw, len, &p, &artifact, &artifact_len, NULL, why, sizeof why))
        snprintf(err, errlen, "%s: code rejected: %s", path, why);
    else if (!(code = pvf_code_load(artifact, artifact_len, why, sizeof why)))
        snprintf(err, errlen, "%s: %s", path, why);
    else if (!cli_apply_tier(code, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        pvf_code_free(code);
        code = NULL;
    }
    free(artifact);
    free(raw);
    if (code)
        pvf_code_build_image(code);     /* `pvf call --repeat` instantiates it again and again */
    return code;
}

cli_outcome runtime_outcome(int outcome)
{
    return outcome == PVF_OUTCOME_OK ? CLI_OUTCOME_VALID
           : outcome == PVF_OUTCOME_INVALID ? CLI_OUTCOME_INVALID : CLI_OUTCOME_ERROR;
}
