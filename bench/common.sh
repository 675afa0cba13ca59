# bench/common.sh — sourced by the bench scripts (from the repository root, which they cd to):
# the usual settings (BUILD, PVF, DATA, OUT, a temp dir removed at exit, the adder PVF and its
# block 000), die(), and write_section HEADING NEW_FILE OUT, which puts the markdown in NEW_FILE
# (which starts with HEADING) into OUT in place of the old section (from HEADING to the next
# "## " heading), or at the end when OUT has no such section yet.
BUILD=${BUILD:-build}
PVF=$BUILD/bin/pvf
DATA=${PVF_TESTDATA:-$PWD/../shared/testdata}
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
ADDER_CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
ADDER_PARAMS=$DATA/inputs/adder/000.params.scale
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() { echo "$0: $*" >&2; exit 2; }

write_section() {
    local head=$1 new=$2 out=$3
    mkdir -p "$(dirname "$out")"
    [[ -f $out ]] || printf '# Benchmarks\n\n' >"$out"
    awk -v head="$head" -v new="$new" '
        function put() { while ((getline line < new) > 0) print line; close(new); done = 1 }
        $0 == head { skip = 1; put(); next }
        skip && /^## / { skip = 0; print ""; }
        !skip { print }
        END { if (!done) { print ""; put() } }
    ' "$out" >"$out.tmp.$$" && mv "$out.tmp.$$" "$out"
}
