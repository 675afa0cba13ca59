/*
 * cmd_version.c — `pvf version [--json]` and `pvf --version`: which pvf this is, for bug reports
 * and for a node checking what it runs. The release, the engine's semantics version (the one
 * artifacts are bound to), the worker protocol's version, the compiler, and the engine tiers
 * this build has.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/engine.h"
#include "pvf/version.h"
#include "wire/protocol.h"

/* The native tier is built exactly where it is the default (pvf/engine.h says where). */
#define NATIVE_TIER_BUILT (PVF_TIER_DEFAULT == PVF_TIER_NATIVE)

#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

static const cli_opt options[] = {
    { "--json", NULL, NULL, "one JSON object: pvf, engine, protocol, compiler, tiers, default_tier", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_version_spec = {
    .name = "version",
    .summary = "the release, engine and protocol versions, compiler, tiers (also --version)",
    .description = "Which pvf this is, for a bug report or a node checking what it runs: the release, the "
                   "engine's semantics version (artifacts are bound to it), the worker protocol's version, the "
                   "compiler and the engine tiers this build has. `pvf --version` is the same.",
    .options = options,
    .exit_status = "0.",
};

int cmd_version(const cli_args *a)
{
    bool json = a->json;
    const char *tier_default = PVF_TIER_DEFAULT == PVF_TIER_NATIVE ? "native" : "interp";
    if (json) {
        printf("{\"pvf\":");
        json_print_string(stdout, pvf_version());
        printf(",\"engine\":\"%s\",\"protocol\":%u,\"compiler\":", PVF_ENGINE_VERSION, PROTO_VERSION);
        json_print_string(stdout, COMPILER);
        printf(",\"tiers\":[\"interp\"%s],\"default_tier\":\"%s\"}\n", NATIVE_TIER_BUILT ? ",\"native\"" : "",
               tier_default);
    } else {
        printf("pvf %s\nengine %s\nworker protocol %u\ncompiler %s\ntiers interp%s (default %s)\n", pvf_version(),
               PVF_ENGINE_VERSION, PROTO_VERSION, COMPILER, NATIVE_TIER_BUILT ? ", native" : "", tier_default);
    }
    return EXIT_OK;
}
