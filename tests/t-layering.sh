#!/usr/bin/env bash
# tests/t-layering.sh — the include rule of docs/ARCHITECTURE.md ("Layers"), checked on every
# source file: a file may include only its own layer and the layers below it,
#
#   util ← wasm ← runtime ← wire ← {host, worker} ← cli ← daemon   public API: include/pvf/ (any layer)
#                  runtime ← author ← cli                          (the block builder)
#                                   host ← client                   (pvfd's C client, in libpvf)
#
# and a public header only other public headers. (-Isrc lets any file name any other, and
# one archive links them all, so without this check nothing would keep the layering.)
# Last line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

allowed() {   # the include prefixes a file under src/<layer> may use
    case $1 in
        util)    echo "util pvf" ;;
        wasm)    echo "util wasm pvf" ;;
        runtime) echo "util wasm runtime pvf" ;;
        wire)    echo "util wasm runtime wire pvf" ;;
        host)    echo "util wasm runtime wire host pvf" ;;
        worker)  echo "util wasm runtime wire worker pvf" ;;
        author)  echo "util wasm runtime author pvf" ;;
        cli)     echo "util wasm runtime wire author cli pvf" ;;
        client)  echo "util wasm runtime wire host client pvf" ;;
        daemon)  echo "util wasm runtime wire host cli daemon pvf" ;;
        *)       echo "" ;;
    esac
}

passed=0 failed=0
check_file() {   # FILE LAYER ALLOWED...
    local file=$1 layer=$2; shift 2
    local bad=() inc prefix
    while read -r inc; do
        prefix=${inc%%/*}
        [[ " $* " == *" $prefix "* ]] || bad+=("$inc")
    done < <(grep -o '^#include "[^"]*"' "$file" | sed 's/#include "\(.*\)"/\1/' | grep '/')
    if ((${#bad[@]})); then
        failed=$((failed + 1))
        echo "  FAIL: $file ($layer) includes ${bad[*]}"
    else
        passed=$((passed + 1))
    fi
}

for file in include/pvf/*.h; do
    check_file "$file" "public API" pvf
done
for file in $(find src -name '*.[ch]' | sort); do
    layer=$(echo "$file" | cut -d/ -f2)
    rules=$(allowed "$layer")
    if [[ -z $rules ]]; then
        failed=$((failed + 1))
        echo "  FAIL: $file is in no known layer (src/$layer)"
        continue
    fi
    # shellcheck disable=SC2086
    check_file "$file" "$layer" $rules
done
echo "$passed passed, $failed failed"
((failed == 0))
