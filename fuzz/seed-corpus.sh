#!/usr/bin/env bash
# fuzz/seed-corpus.sh — seed build-fuzz/corpus/ for fuzz_prepare (never the repository).
#
# Seeds: the project's fixtures, the regression inputs, and the small (< 16 KiB) .wasm
# modules of the spec suite in $PVF_TESTDATA (default ../shared/testdata), copied with
# their relative paths (libFuzzer reads a corpus directory recursively), so names stay
# unique and reseeding overwrites rather than duplicates.
#
#   fuzz/seed-corpus.sh             (re)seed
#   fuzz/seed-corpus.sh --if-empty  seed only a corpus that does not exist yet, so that
#                                   `make fuzz` keeps what earlier runs have learnt
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
PVF_TESTDATA=${PVF_TESTDATA:-../shared/testdata}
out=$FUZZ_BUILD/corpus

if [[ ${1:-} == --if-empty && -d $out && -n $(ls -A "$out") ]]; then
    exit 0
fi
mkdir -p "$out"

out_abs=$(cd "$out" && pwd)
{ find tests/fixtures -name '*.wasm' -print0
  find fuzz/regressions -type f ! -name README.md -print0; } |
    xargs -0 -r cp -f --parents -t "$out_abs"
if [[ -d $PVF_TESTDATA/spec ]]; then
    (cd "$PVF_TESTDATA" && find spec -name '*.wasm' -size -16k -print0 |
        xargs -0 -r cp -f --parents -t "$out_abs")
else
    echo "seed-corpus.sh: no spec suite at $PVF_TESTDATA/spec; seeding from the fixtures only" >&2
fi
echo "seed-corpus.sh: $(find "$out" -type f | wc -l) inputs in $out"
