#!/usr/bin/env bash
# tests/gen/job_syscalls.sh — measure which syscalls job processes make once their allowlist
# (L5, src/worker/sandbox_seccomp.c) is in force, on real workloads: every PVF and runtime of
# the test data prepared and prechecked through the host, and real blocks of every chain of
# tests/data/real_blocks.tsv (plus their broken variants) validated, on both tiers.
#
# A job is a process that installed a seccomp filter, never called execve (workers exec) and
# was not killed by SIGSYS (the host's start-up checks probe their filters that way);
# everything it does after its last seccomp() is counted. Prints "count syscall" lines, most
# used first; docs/ARCHITECTURE.md lists the allowlist this measured. Needs strace.
#   tests/gen/job_syscalls.sh [BUILD]      (default build; run from the repo root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
PVF=$BUILD/bin/pvf
PVF_TESTDATA=${PVF_TESTDATA:-../shared/testdata}
command -v strace >/dev/null || { echo "job_syscalls.sh: strace is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Run a command under strace; a job killed by its allowlist is a measurement that went wrong.
traced() {
    strace -f -qq -o "$tmp/trace.$((n++))" "$@" >"$tmp/out" 2>&1 || true
    if grep -q "seccomp violation" "$tmp/out"; then
        echo "job_syscalls.sh: a job was killed by its filter: $*" >&2
        cat "$tmp/out" >&2
        exit 1
    fi
}
n=0
while IFS=$'\t' read -r name spec opts; do
    [[ $name == \#* || -z $name ]] && continue
    # shellcheck disable=SC2086  # options are words
    "$PVF" build-block --chainspec "$PVF_TESTDATA/chainspecs/$spec" --blocks 2 --invalid all -o "$tmp/$name" $opts \
        >/dev/null 2>&1
done <tests/data/real_blocks.tsv
for tier in native interp; do
    for params in "$tmp"/*.params; do
        chain=$(basename "$params"); chain=${chain%%-[0-9]*}
        traced "$PVF" validate --code "$tmp/$chain.code" --params "$params" --cache-dir "$tmp/cache-$tier" \
            --kind approval --tier "$tier"
    done
    for code in "$PVF_TESTDATA"/pvf/*; do
        [[ $code == *.tsv || $code == *.md ]] && continue
        traced "$PVF" precheck --code "$code" --tier "$tier"
    done
done

# pid → syscalls after its last seccomp(), for pids that never execve'd.
awk '
    { pid = $1; line = $0; sub(/^[0-9]+ +/, "", line) }
    line ~ /^<\.\.\. / { next }                         # the second half of an interrupted call
    { name = line; sub(/\(.*/, "", name) }
    name == "execve" { exec[pid] = 1 }
    line ~ /^\+\+\+ killed by SIGSYS/ { exec[pid] = 1 }     # a start-up check probing a filter
    name == "seccomp" { delete seen[pid]; filtered[pid] = 1; cnt[pid] = 0; next }
    filtered[pid] && name ~ /^[a-z_0-9]+$/ { calls[pid, ++cnt[pid]] = name }
    END {
        for (key in calls) {
            split(key, k, SUBSEP)
            if (!exec[k[1]]) total[calls[key]]++
        }
        for (s in total) print total[s], s
    }' "$tmp"/trace.* | sort -rn
