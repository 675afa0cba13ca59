#!/usr/bin/env bash
# scripts/deps.sh — the Debian 12 packages pvf needs; `make deps` (and, through a stamp
# file, `make test` / `make run` / `make bench`) runs it.
#
# Packages already installed: nothing happens (no network, no root needed).
# Some missing and we are root: apt-get update + apt-get install -y the missing ones.
# Some missing and we are not root: print them and the command that installs them.
#
# Exit status: 0 everything is installed; 1 a package needed to build is missing (or
# installing failed); 3 only tools for the tests / benchmarks / sanitizers are missing.
set -uo pipefail

# Needed to build libpvf, the pvf command and pvfd (libmicrohttpd: its metrics; libsystemd: socket
# activation and readiness).
BUILD_PKGS=(build-essential make pkg-config libzstd-dev zlib1g-dev libsodium-dev libmicrohttpd-dev libsystemd-dev
            libxxhash-dev libsecp256k1-dev libseccomp-dev)
# Needed by the tests, `make asan`, `make fuzz` and `make bench`: clang and its
# sanitizer/libFuzzer runtimes and llvm-symbolizer (llvm-14), wat2wasm (fixtures), node (V8: fixture checks, benchmarks),
# zstd (the command: node 20 cannot decompress compressed runtimes for the V8 runtime benchmark),
# golang-go (tests/t-install.sh builds the Go example against the installed libpvf),
# dpkg-dev, debhelper, fakeroot (tests/t-deb.sh builds the .deb packages), groff-base (t-cli.sh and
# t-docs.sh render the man pages and fail on a warning).
TOOL_PKGS=(clang libclang-rt-14-dev llvm-14 wabt nodejs zstd golang-go dpkg-dev debhelper fakeroot groff-base)

installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]] && return 0
    # node may come from elsewhere (nodesource, nvm); having the command is enough.
    [[ $1 == nodejs ]] && command -v node >/dev/null
}

missing_of() {
    local p
    for p in "$@"; do installed "$p" || echo "$p"; done
}

if ! command -v dpkg-query >/dev/null; then
    echo "deps.sh: not a Debian system (no dpkg-query); install the equivalents of:" >&2
    echo "  ${BUILD_PKGS[*]} ${TOOL_PKGS[*]}" >&2
    exit 0
fi

mapfile -t missing_build < <(missing_of "${BUILD_PKGS[@]}")
mapfile -t missing_tools < <(missing_of "${TOOL_PKGS[@]}")
missing=("${missing_build[@]}" "${missing_tools[@]}")
if ((${#missing[@]} == 0)); then
    echo "deps.sh: all $((${#BUILD_PKGS[@]} + ${#TOOL_PKGS[@]})) Debian packages are installed"
    exit 0
fi

if [[ $(id -u) == 0 ]]; then
    echo "deps.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
        exit 0
    fi
    echo "deps.sh: apt-get install failed" >&2
    exit 1
fi

echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
echo "deps.sh: install them with:  sudo apt-get install -y ${missing[*]}   (or: sudo make deps)" >&2
if ((${#missing_build[@]})); then
    exit 1
fi
echo "deps.sh: building works without them; the tests that need them will fail or be skipped" >&2
exit 3
