/*
 * test_tiers.c — the two engine tiers agree (tiers_compare.h) on every module the tier fuzzer
 * ever found a difference on (fuzz/regressions/tiers/, each fixed since) and on the difftest
 * modules (tests/data/difftest/).
 */
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers_compare.h"

static void replay_dir(const char *dir, unsigned *files)
{
    DIR *d = opendir(dir);
    if (!d) {
        test_fail(__FILE__, __LINE__, "cannot open %s (run from the repository root)", dir);
        return;
    }
    tiers_stats st = { 0 };
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!strstr(ent->d_name, ".wasm"))
            continue;
        char path[1024], why[256];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        size_t len;
        uint8_t *wasm = test_read_file(path, &len);
        if (!wasm)
            continue;
        (*files)++;
        if (!tiers_agree(wasm, len, &st, why, sizeof why))
            test_fail(__FILE__, __LINE__, "%s: %s", path, why);
        free(wasm);
    }
    closedir(d);
    printf("  tiers [%s]: %llu modules ran on both tiers, %llu calls compared\n", dir, st.modules, st.calls);
}

TEST(tiers_agree_on_fuzzer_finds)
{
    unsigned files = 0;
    replay_dir("fuzz/regressions/tiers", &files);
    CHECK(files > 0);
}

TEST(tiers_agree_on_difftest_modules)
{
    unsigned files = 0;
    replay_dir("tests/data/difftest", &files);
    CHECK(files > 0);
}
