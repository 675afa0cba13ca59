/*
 * cmd_build_block.c — `pvf build-block --chainspec FILE [--blocks N] [options] -o PREFIX [--json]`
 *
 * Authors N consecutive blocks (default 1) on a raw chain spec's genesis state with the
 * chain's own runtime (src/author/block_builder.h) and writes what a validator receives:
 *   PREFIX.code       the validation code (the chain spec's :code)
 *   PREFIX-i.params   block i's ValidationParams (i = 1 … N)
 * and, per block, its hash, extrinsics, PoV and proof sizes and the expected new head.
 * Exit 0: built; 2: usage, I/O, or a block the runtime refused to build (an error: the
 * chain spec or the builder, not a verdict).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "author/block_builder.h"
#include "author/tamper.h"
#include "cli/cli.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/parse.h"

static const cli_opt options[] = {
    { "--chainspec", NULL, "FILE", "a raw chain spec (genesis state with the chain's runtime as :code)", true },
    { "-o", NULL, "PREFIX", "write PREFIX.code (the validation code) and PREFIX-i.params (block i's "
      "ValidationParams)", true },
    { "--blocks", NULL, "N", "how many consecutive blocks (default 1)", false },
    { "--relay-parent", NULL, "N", "the first block's relay-parent number", false },
    { "--timestamp", NULL, "MS", "the first block's timestamp", false },
    { "--glutton-compute", NULL, "F", "Glutton's Compute in the parent state, 0 to 1", false },
    { "--glutton-storage", NULL, "F", "Glutton's Storage in the parent state, 0 to 1", false },
    { "--check", NULL, NULL, "check every block with the runtime's validate_block (default: the first)", false },
    { "--invalid", NULL, "KIND,...|all", "also write PREFIX-i.KIND.params, block i broken on purpose: proof-node "
      "(one proof node removed), parent-head, extrinsic, relay-root (one byte changed)", false },
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_build_block_spec = {
    .name = "build-block",
    .summary = "author real parachain blocks from a chain spec: ValidationParams to validate",
    .description = "Author consecutive blocks on a raw chain spec's genesis state with the chain's own runtime "
                   "and write what a validator receives: the validation code and each block's "
                   "ValidationParams, with the block's hash, extrinsics, PoV and proof sizes and the expected "
                   "new head.",
    .options = options,
    .exit_status = "0 built; 2 a usage error, an unreadable or unwritable file, or a block the runtime refused "
                   "to build (the chain spec or the builder, not a verdict).",
};

static bool write_file_or_say(const char *path, const uint8_t *bytes, size_t len)
{
    if (file_write(path, bytes, len))
        return true;
    fprintf(stderr, "pvf build-block: cannot write %s: %s\n", path, strerror(errno));
    return false;
}

/* "all" or a comma-separated list of tamper kinds, as a bit set. */
static bool parse_invalid(const char *s, unsigned *set)
{
    if (!strcmp(s, "all")) {
        *set = (1u << TAMPER_KINDS) - 1;
        return true;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        tamper_kind k;
        if (!tamper_kind_parse(t, &k))
            return false;
        *set |= 1u << k;
    }
    return *set != 0;
}

/* PREFIX-i.KIND.params for each kind in the set. */
static bool write_invalid(const char *prefix, const built_block *blk, unsigned set, char *path, size_t plen)
{
    for (int k = 0; k < TAMPER_KINDS; k++) {
        if (!(set >> k & 1))
            continue;
        uint8_t *bad;
        size_t bad_len;
        char err[256];
        if (!tamper_params(blk->params, blk->params_len, (tamper_kind)k, &bad, &bad_len, err, sizeof err)) {
            fprintf(stderr, "pvf build-block: block %u: %s\n", blk->number, err);
            return false;
        }
        snprintf(path, plen, "%s-%u.%s.params", prefix, blk->number, tamper_kind_name((tamper_kind)k));
        bool ok = write_file_or_say(path, bad, bad_len);
        free(bad);
        if (!ok)
            return false;
    }
    return true;
}

/* A fraction 0 … 1 as Perbill parts. */
static bool parse_perbill(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    double f = strtod(s, &end);
    if (errno || end == s || *end || !(f >= 0.0 && f <= 1.0))
        return false;
    *out = (uint32_t)(f * 1e9 + 0.5);
    return true;
}

static void print_block(const built_block *blk, const char *path, bool json, bool first)
{
    if (!json) {
        printf("block %u  0x", blk->number);
        for (int i = 0; i < 32; i++)
            printf("%02x", blk->hash[i]);
        printf("  %u extrinsics  PoV %zu bytes (%s proof %zu bytes, %zu nodes)  authored in %.1f ms  -> %s\n",
               blk->extrinsics, blk->pov_size, blk->proof_format, blk->proof_size, blk->proof_nodes, blk->author_ms,
               path);
        return;
    }
    printf("%s{\"number\":%u,\"hash\":\"", first ? "" : ",", blk->number);
    hex_print(stdout, blk->hash, 32);
    printf("\",\"extrinsics\":%u,\"pov_size\":%zu,\"proof_format\":\"%s\",\"proof_size\":%zu,"
           "\"proof_nodes\":%zu,\"relay_parent_number\":%u,\"author_cpu_ms\":%.3f,\"params\":",
           blk->extrinsics, blk->pov_size, blk->proof_format, blk->proof_size, blk->proof_nodes,
           blk->relay_parent_number, blk->author_ms);
    json_print_string(stdout, path);
    printf(",\"new_head\":\"");
    hex_print(stdout, blk->head, blk->head_len);
    printf("\"}");
}

static void print_info(const block_builder_info *in, const char *code_path, bool json)
{
    if (json) {
        printf("{\"chain\":");
        json_print_string(stdout, in->chain);
        printf(",\"spec_name\":");
        json_print_string(stdout, in->spec_name);
        printf(",\"spec_version\":%u,\"para_id\":%u,\"state_version\":%d,\"aura\":%s,\"slot_duration_ms\":%llu,"
               "\"code\":",
               in->spec_version, in->para_id, in->state_version, in->aura ? "true" : "false",
               (unsigned long long)in->slot_duration_ms);
        json_print_string(stdout, code_path);
        printf(",\"blocks\":[");
        return;
    }
    printf("%s: %s v%u, para %u, state version %d, %s (slot %llu ms); code -> %s\n", in->chain, in->spec_name,
           in->spec_version, in->para_id, in->state_version, in->aura ? "Aura" : "no consensus pallet",
           (unsigned long long)in->slot_duration_ms, code_path);
}

/* The options of a parsed line into *o, *blocks and *invalid: false (reported) on a bad value. */
static bool read_options(const cli_args *a, block_builder_options *o, uint32_t *blocks, unsigned *invalid)
{
    o->chainspec = cli_get(a, "--chainspec");
    o->check_every_block = cli_has(a, "--check");
    const char *v, *bad = NULL;
    uint64_t u;
    if ((v = cli_get(a, "--blocks")) &&
        !(parse_count_u32(v, blocks) && *blocks >= 1 && *blocks <= BLOCK_BUILDER_MAX_BLOCKS))
        bad = "--blocks";
    else if ((v = cli_get(a, "--relay-parent")) && !parse_decimal(v, UINT32_MAX - BLOCK_BUILDER_MAX_BLOCKS, &u))
        bad = "--relay-parent";
    else if (v)
        o->relay_parent_number = (uint32_t)u;
    if (!bad && (v = cli_get(a, "--timestamp")) && !parse_decimal(v, UINT64_MAX / 2, &o->timestamp_ms))
        bad = "--timestamp";
    if (!bad && (v = cli_get(a, "--glutton-compute")) && !(o->glutton_compute_set = parse_perbill(v, &o->glutton_compute)))
        bad = "--glutton-compute";
    if (!bad && (v = cli_get(a, "--glutton-storage")) && !(o->glutton_storage_set = parse_perbill(v, &o->glutton_storage)))
        bad = "--glutton-storage";
    if (!bad && (v = cli_get(a, "--invalid")) && !parse_invalid(v, invalid))
        bad = "--invalid";
    if (bad)
        cli_fail(a->json, "build-block", EXIT_USAGE, "bad value for %s: '%s' (pvf build-block --help)", bad,
                 cli_get(a, bad));
    return !bad;
}

int cmd_build_block(const cli_args *a)
{
    block_builder_options o;
    block_builder_options_default(&o);
    const char *prefix = cli_get(a, "-o");
    uint32_t blocks = 1;
    unsigned invalid = 0;
    bool json = a->json;
    if (!read_options(a, &o, &blocks, &invalid))
        return EXIT_USAGE;
    char err[1024];
    block_builder *b = block_builder_new(&o, err, sizeof err);
    if (!b) {
        fprintf(stderr, "pvf build-block: %s\n", err);
        return EXIT_ERROR;
    }
    size_t plen = strlen(prefix) + 64;
    char *path = malloc(plen);
    if (!path) {
        block_builder_free(b);
        return EXIT_ERROR;
    }
    block_builder_info info;
    block_builder_describe(b, &info);
    snprintf(path, plen, "%s.code", prefix);
    const uint8_t *code;
    size_t code_len;
    block_builder_code(b, &code, &code_len);
    int rc = write_file_or_say(path, code, code_len) ? EXIT_OK : EXIT_ERROR;
    if (rc == EXIT_OK)
        print_info(&info, path, json);
    for (uint32_t i = 1; rc == EXIT_OK && i <= blocks; i++) {
        built_block blk;
        if (!block_builder_next(b, &blk, err, sizeof err)) {
            fprintf(stderr, "pvf build-block: block %u: %s\n", i, err);
            rc = EXIT_ERROR;
            break;
        }
        if (!write_invalid(prefix, &blk, invalid, path, plen))
            rc = EXIT_ERROR;
        snprintf(path, plen, "%s-%u.params", prefix, i);
        if (rc != EXIT_OK || !write_file_or_say(path, blk.params, blk.params_len))
            rc = EXIT_ERROR;
        else
            print_block(&blk, path, json, i == 1);
        fflush(stdout);
        built_block_free(&blk);
    }
    if (json)
        printf("]%s}\n", rc == EXIT_OK ? "" : ",\"error\":true");
    free(path);
    block_builder_free(b);
    return rc;
}
