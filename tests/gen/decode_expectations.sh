#!/bin/sh
# decode_expectations.sh — what wabt's wasm-objdump sees in each runtime of testdata/pvf/.
#
# Writes tests/data/decode_expectations.tsv, which tests/unit/test_decode.c
# checks our decoder against: an independent tool's counts of types, imports,
# functions, globals, exports, segments and custom sections. Compressed blobs
# (magic 52 BC 53 76 46 DB 8E 05 + zstd) are unpacked with the zstd CLI.
#
# Needs: wasm-objdump (Debian package wabt), zstd, od, awk.
# Usage: tests/gen/decode_expectations.sh   (PVF_TESTDATA overrides the data dir)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
testdata=${PVF_TESTDATA:-$root/../shared/testdata}
out=$root/tests/data/decode_expectations.tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# section_count NAME: the "count:" wasm-objdump -h gives for section NAME, 0 when absent.
section_count() {
    awk -v s="$1" '$1 == s { for (i = 1; i <= NF; i++) if ($i == "count:") { print $(i + 1); exit } }' \
        "$tmp/h" | grep . || echo 0
}

printf 'file\twasm_size\ttypes\timports\tfunc_imports\tglobal_imports\tfunctions\tglobals\texports\telem_segments\tdata_segments\tcustom_sections\truntime_version_len\n' >"$tmp/tsv"
for f in "$testdata"/pvf/*.wasm*; do
    name=$(basename "$f")
    if [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 52bc537646db8e05 ]; then
        tail -c +9 "$f" | zstd -dq >"$tmp/m.wasm"
    else
        cp "$f" "$tmp/m.wasm"
    fi
    wasm-objdump -h "$tmp/m.wasm" >"$tmp/h"
    wasm-objdump -j Import -x "$tmp/m.wasm" >"$tmp/imports" 2>/dev/null || : >"$tmp/imports"
    size=$(wc -c <"$tmp/m.wasm" | tr -d ' ')
    func_imports=$(grep -c '^ - func\[' "$tmp/imports" || true)
    global_imports=$(grep -c '^ - global\[' "$tmp/imports" || true)
    # Payload of runtime_version: the section size minus its name (1 length byte + 15).
    rv_size=$(awk '$1 == "Custom" && /"runtime_version"/ { sub(/.*size=/, ""); sub(/\).*/, ""); print; exit }' "$tmp/h")
    rv_len=-
    [ -n "$rv_size" ] && rv_len=$(($(printf '%d' "$rv_size") - 16))
    customs=$(awk '$1 == "Custom" { n = split($0, q, "\""); printf "%s%s", sep, q[2]; sep = "," }' "$tmp/h")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" \
        "$(section_count Type)" "$(section_count Import)" "$func_imports" "$global_imports" \
        "$(section_count Function)" "$(section_count Global)" "$(section_count Export)" \
        "$(section_count Elem)" "$(section_count Data)" "${customs:--}" "$rv_len" >>"$tmp/tsv"
done
mkdir -p "$(dirname "$out")"
mv "$tmp/tsv" "$out"
echo "wrote $out"
