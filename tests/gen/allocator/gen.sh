#!/bin/sh
# gen.sh — regenerate tests/data/allocator_vectors.txt from upstream's allocator.
#
#   tests/gen/allocator/gen.sh PATH/TO/freeing_bump.rs [SCENARIOS]
#
# PATH/TO/freeing_bump.rs is substrate/client/allocator/src/freeing_bump.rs
# from polkadot-sdk (the vectors in the repo come from commit fcbd494a446a);
# it is compiled, unmodified, against the small stand-ins in shim/ and the
# crate root oracle.rs, with plain rustc (no cargo, no registry). Upstream's
# source is never copied into this repository. See README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
upstream=${1:?usage: gen.sh PATH/TO/freeing_bump.rs [SCENARIOS]}
count=${2:-128}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for crate in sp_core sp_wasm_interface log; do
    rustc --edition 2021 --crate-type lib --crate-name "$crate" -O \
        "$here/shim/$crate.rs" -o "$work/lib$crate.rlib"
done
cp "$here/oracle.rs" "$work/oracle.rs"
cp "$upstream" "$work/freeing_bump.rs"
# Release semantics: no overflow checks, no debug assertions (as the node is built).
rustc --edition 2021 -O -C overflow-checks=off -C debug-assertions=off -A warnings \
    -L "$work" --extern sp_core --extern sp_wasm_interface --extern log \
    "$work/oracle.rs" -o "$work/oracle"
"$work/oracle" "$count" > "$root/tests/data/allocator_vectors.txt"
wc -l "$root/tests/data/allocator_vectors.txt"
