#!/usr/bin/env bash
# tests/t-abi.sh — libpvf's ABI discipline (issue 15):
#   - the shared library exports exactly the functions the public headers declare PVF_API, all
#     named pvf_*; the static library's object defines no other global symbol either (its
#     internals are local, so nothing of pvf can collide with a program's own names);
#   - the soname is libpvf.so.PVF_ABI_VERSION;
#   - every public header compiles on its own as C99 and as C++11, pedantic, warnings as errors
#     (extern "C" guards, no C-only constructs), and a C++ program links and runs against the
#     shared library.
# Last line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "  FAIL: $*"; }

so=$BUILD/lib/libpvf.so
a=$BUILD/lib/libpvf.a
if [[ ! -e $so || ! -e $a ]]; then
    bad "$so or $a is not built (make)"
    echo "$passed passed, $failed failed"
    exit 1
fi

# The functions the headers declare PVF_API (a declaration may span lines: its first has the name).
grep -hE '^PVF_API ' include/pvf/*.h | grep -oE '\bpvf_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/declared"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sort -u >"$tmp/exported"
others=$(grep -v '^pvf_' "$tmp/exported")
if [[ -z $others ]]; then ok; else bad "libpvf.so exports names without the pvf_ prefix: $(echo $others | head -c 300)"; fi
if diff -q "$tmp/declared" "$tmp/exported" >/dev/null; then
    ok
else
    bad "libpvf.so's exports differ from the PVF_API declarations (< declared only, > exported only):"
    diff "$tmp/declared" "$tmp/exported" | grep '^[<>]' | head -20
fi
static_globals=$(nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | grep -v '^pvf_' | sort -u)
if [[ -z $static_globals ]]; then ok; else bad "libpvf.a defines global names without the pvf_ prefix: $(echo $static_globals | head -c 300)"; fi

abi=$(sed -n 's/^#define PVF_ABI_VERSION \([0-9]*\).*/\1/p' include/pvf/version.h)
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [[ $soname == "libpvf.so.$abi" ]]; then ok; else bad "soname '$soname', want libpvf.so.$abi"; fi

for h in include/pvf/*.h; do
    name=${h#include/}
    printf '#include <%s>\n#include <%s>\nint pvf_abi_test_unused;\n' "$name" "$name" >"$tmp/one.c"
    if gcc -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$tmp/one.c" 2>"$tmp/err"; then ok; else
        bad "$name does not compile alone as C99:"; head -5 "$tmp/err"; fi
    cp "$tmp/one.c" "$tmp/one.cpp"
    if g++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$tmp/one.cpp" 2>"$tmp/err"; then ok; else
        bad "$name does not compile alone as C++11:"; head -5 "$tmp/err"; fi
done

# C linkage for real: a C++ program calls into the shared library.
cat >"$tmp/version.cpp" <<'CPP'
#include <pvf/version.h>
#include <pvf/host.h>
#include <cstdio>
#include <cstring>
int main()
{
    pvf_host_config cfg;
    pvf_host_config_init(&cfg);
    bool same = std::strcmp(pvf_version(), PVF_VERSION) == 0 && pvf_version_number() == PVF_VERSION_NUMBER;
    std::printf("%s %u %s\n", pvf_version(), pvf_version_number(), same ? "same" : "differs");
    return same && cfg.secure_validator_mode ? 0 : 1;
}
CPP
# a sanitized build's library needs the sanitizers' runtime in the program too
cxx=(g++)
[[ $BUILD == *asan* ]] && cxx=(clang++ -fsanitize=address,undefined)
if "${cxx[@]}" -std=c++11 -Wall -Werror -Iinclude "$tmp/version.cpp" -L"$BUILD/lib" -lpvf -Wl,-rpath,"$PWD/$BUILD/lib" \
    -o "$tmp/version" 2>"$tmp/err" && out=$("$tmp/version"); then
    ok
else
    bad "a C++ program linked with libpvf.so: ${out:-$(head -5 "$tmp/err")}"
fi

# One version everywhere: the header's numbers, the string, the CLI's --version and its JSON.
major=$(sed -n 's/^#define PVF_VERSION_MAJOR \([0-9]*\).*/\1/p' include/pvf/version.h)
minor=$(sed -n 's/^#define PVF_VERSION_MINOR \([0-9]*\).*/\1/p' include/pvf/version.h)
patch=$(sed -n 's/^#define PVF_VERSION_PATCH \([0-9]*\).*/\1/p' include/pvf/version.h)
want="$major.$minor.$patch"
[[ ${out:-} == "$want $((major * 10000 + minor * 100 + patch)) same" ]] && ok || bad "pvf_version() said '${out:-}', want $want"
first=$("$BUILD/bin/pvf" --version | head -1)
[[ $first == "pvf $want" ]] && ok || bad "pvf --version says '$first', want 'pvf $want'"
if command -v node >/dev/null; then
    if "$BUILD/bin/pvf" version --json | node -e '
        const j = JSON.parse(require("fs").readFileSync(0));
        const want = process.argv[1];
        if (j.pvf !== want || !/^pvf-engine-/.test(j.engine) || !Number.isInteger(j.protocol) ||
            !j.tiers.includes("interp") || !j.tiers.includes(j.default_tier) || !j.compiler)
            throw new Error(JSON.stringify(j));' "$want" 2>"$tmp/err"; then ok; else
        bad "pvf version --json: $(head -3 "$tmp/err")"; fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
