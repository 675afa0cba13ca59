#!/usr/bin/env bash
# tests/t-docs.sh — facts the documentation repeats from the code must equal the code's:
#   the job allowlist of docs/ARCHITECTURE.md (between its begin/end markers) is what
#   `pvf check-security --allowlist` prints from the worker binary.
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
echo "$passed passed, $failed failed"
((failed == 0))
