# tests/lib.sh — what the script tests share (sourced, after `cd` to the repository root):
# BUILD and DATA, a scratch dir removed at exit ($tmp; a script with more to clean up sets its
# own trap after sourcing), and the counters with their last line "N passed, M failed, K skipped".
BUILD=${BUILD:-build}
DATA=${PVF_TESTDATA:-../shared/testdata}
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "  FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "  skipped: $*"; }
finish() { echo "$passed passed, $failed failed, $skipped skipped"; ((failed == 0)); exit; }

# The test data is missing: a failure in CI (it must be there), a skip elsewhere.
no_data() { if [[ -n ${CI:-} ]]; then bad "$1"; else skip "$1"; fi; }
