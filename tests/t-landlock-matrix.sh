#!/usr/bin/env bash
# tests/t-landlock-matrix.sh — the sandbox suite (the unit tests named sandbox_*) with landlock
# capped to ABI 1, 2 (Debian 12's kernel 6.1), 3 and 5, and with no landlock at all
# (PVF_TEST_LANDLOCK_ABI, a setting only the unit-test binary reads): the protections that must
# not depend on landlock — the job allowlist, the workers' pid namespace, setsid, the seccomp
# filters, pivot_root — are proven where landlock can't scope signals or sockets, or isn't
# there. A capped-away layer is a SKIP even under PVF_REQUIRE_ALL_LAYERS; every other check
# must pass. CI runs it as root and unprivileged (it is part of `make test`).
# Last line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0
for cap in 1 2 3 5 off; do
    out=$(PVF_TEST_LANDLOCK_ABI=$cap "$BUILD/bin/pvf-unit-tests" sandbox_ 2>&1)
    last=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
    if [[ $last =~ ^unit:\ ([0-9]+)\ passed,\ 0\ failed$ ]] && ((BASH_REMATCH[1] > 0)); then
        passed=$((passed + BASH_REMATCH[1]))
        echo "  landlock $cap: ${BASH_REMATCH[1]} passed, $(grep -c '  SKIP' <<<"$out") skipped"
    else
        failed=$((failed + 1))
        echo "  FAIL: landlock $cap:"
        grep -E 'FAIL|tests/unit|^unit' <<<"$out" | head -20
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
