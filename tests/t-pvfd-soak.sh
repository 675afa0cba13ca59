#!/usr/bin/env bash
# tests/t-pvfd-soak.sh — a short soak of pvfd in every test run (issue 16): tests/soak-pvfd.sh for
# PVFD_SOAK_SECONDS (default 40; the 10-minute run is by hand, its numbers in docs/BENCHMARKS.md):
# mixed load with workers SIGKILLed, every verdict right, nothing left behind.
set -uo pipefail
cd "$(dirname "$0")/.."
exec bash tests/soak-pvfd.sh "${PVFD_SOAK_SECONDS:-40}"
