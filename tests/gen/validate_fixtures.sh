#!/usr/bin/env bash
# tests/gen/validate_fixtures.sh — compile tests/fixtures/validate/*.wat into the committed
# .wasm files and write expected.tsv, the table tests/unit/test_validate.c checks against.
#
# Uses Debian's wabt (1.0.32): wat2wasm compiles each fixture with every post-MVP feature off
# except the one it is about (given by its name), and wasm-objdump gives the byte offset of the
# instruction the pvf profile must reject, so the expected offsets do not come from our code.
#
# expected.tsv columns: fixture, substring the pvf-profile error must contain, expected error
# offset in hex ("-" for module-level errors, which have no offset).
set -euo pipefail

cd "$(dirname "$0")/../fixtures/validate"
command -v wat2wasm >/dev/null || { echo "validate_fixtures.sh: wat2wasm not found (apt-get install wabt)" >&2; exit 2; }

MVP=(--disable-saturating-float-to-int --disable-sign-extension --disable-multi-value
     --disable-bulk-memory --disable-reference-types --disable-simd)

# fixture | wabt feature to enable | error substring | instruction whose offset is expected
FIXTURES=(
  "mvp||-|-"
  "sign_ext|sign-extension|i32.extend8_s requires the sign-ext feature|i32.extend8_s"
  "sat_float|saturating-float-to-int|i32.trunc_sat_f32_s requires the sat-float-to-int feature|i32.trunc_sat_f32_s"
  "multi_value_result|multi-value|multiple results require the multi-value feature|-"
  "multi_value_block|multi-value|requires the multi-value feature|block"
  "bulk_memory_copy|bulk-memory|memory.copy requires the bulk-memory feature|memory.copy"
  "bulk_memory_passive|bulk-memory|requires the bulk-memory feature|-"
)

# Offset (hex, no 0x) of the first instruction whose disassembly starts with $2 in module $1.
offset_of() {
    wasm-objdump -d "$1" | awk -v want="$2" -F'|' '
        /^ [0-9a-f]+:/ { text = $2; sub(/^ +/, "", text); split(text, w, " ");
                         if (w[1] == want) { off = $1; sub(/^ +/, "", off); sub(/:.*/, "", off);
                                             print off; exit } }'
}

{
    printf '# fixture\terror substring (pvf profile)\toffset\n'
    for entry in "${FIXTURES[@]}"; do
        IFS='|' read -r name feature needle instr <<<"$entry"
        flags=()
        for f in "${MVP[@]}"; do [[ "$f" == "--disable-$feature" ]] || flags+=("$f"); done
        wat2wasm "${flags[@]}" "$name.wat" -o "$name.wasm"
        off=-
        if [[ "$instr" != - ]]; then
            off=$(offset_of "$name.wasm" "$instr")
            [[ -n "$off" ]] || { echo "validate_fixtures.sh: $instr not found in $name.wasm" >&2; exit 1; }
        fi
        printf '%s\t%s\t%s\n' "$name" "$needle" "$off"
    done
} > expected.tsv
echo "validate_fixtures.sh: ${#FIXTURES[@]} fixtures written"
