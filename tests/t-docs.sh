#!/usr/bin/env bash
# tests/t-docs.sh — facts the documentation repeats from the code must equal the code's:
#   the job allowlist of docs/ARCHITECTURE.md (between its begin/end markers) is what
#   `pvf check-security --allowlist` prints from the worker binary;
#   every function libpvf.so exports has a man page (its header's group, man/pages.sh), and the
#   group pages render without a warning.
# Last line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0

doc=$(sed -n '/^<!-- job allowlist: begin/,/^<!-- job allowlist: end/p' docs/ARCHITECTURE.md | sed '1d;$d')
code=$("$BUILD/bin/pvf" check-security --allowlist 2>&1)
if [[ -n $doc && $doc == "$code" ]]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "  FAIL: docs/ARCHITECTURE.md's job allowlist differs from 'pvf check-security --allowlist':"
    diff <(echo "$doc") <(echo "$code") | head -20
fi

exports=$(nm -D --defined-only "$BUILD/lib/libpvf.so" 2>/dev/null | awk '$2 == "T" { print $3 }')
missing=""
for fn in $exports; do [[ -f $BUILD/man/$fn.3 ]] || missing="$missing $fn"; done
if [[ -n $exports && -z $missing ]]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "  FAIL: exported functions without a man page:${missing:- (no exports found)}"
fi
if command -v groff >/dev/null; then
    for page in "$BUILD"/man/pvf_{host,engine,runtime,reference,version}.3; do
        warnings=$(groff -man -ww -z "$page" 2>&1)
        if [[ -f $page && -z $warnings ]]; then passed=$((passed + 1)); else
            failed=$((failed + 1)); echo "  FAIL: $page: ${warnings:-missing}"; fi
    done
fi
echo "$passed passed, $failed failed"
((failed == 0))
