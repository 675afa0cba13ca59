#!/usr/bin/env bash
# tests/t-install.sh — libpvf as another program gets it (issue 15): `make install` into a
# scratch prefix, then, through that tree only (pkg-config --cflags --libs libpvf):
#   - the C example (examples/validate.c) built against the shared library and against the
#     static one, the C++ example (examples/validate.cpp), and the Go example (examples/go, cgo)
#     each validate the adder block 000 of $PVF_TESTDATA: Valid;
#   - the installed `pvf` finds the installed workers ($(PREFIX)/lib/pvf, not its own directory);
#   - `make uninstall` leaves no file behind.
# It links a copy of $BUILD's objects in a scratch build dir (only the install paths differ), so
# the tree under test is never touched. The gcc build only: under BUILD=build-asan it skips.
# Last line: "N passed, M failed[, K skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh

CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
PARAMS=$DATA/inputs/adder/000.params.scale
if [[ $BUILD != build ]]; then skip "the install of BUILD=$BUILD (only the gcc build is installed)"; finish; fi
if [[ ! -f $CODE || ! -f $PARAMS ]]; then
    no_data "no adder in $DATA"
    finish
fi
CODE=$(cd "$(dirname "$CODE")" && pwd)/$(basename "$CODE")
PARAMS=$(cd "$(dirname "$PARAMS")" && pwd)/$(basename "$PARAMS")

prefix=$tmp/prefix
abi=$(sed -n 's/^#define PVF_ABI_VERSION \([0-9]*\).*/\1/p' include/pvf/version.h)    # the soname's number
mkdir -p "$tmp/build"
cp -a "$BUILD/obj" "$tmp/build/"          # up to date: only what the prefix changes is redone
if make -s BUILD="$tmp/build" PREFIX="$prefix" install >"$tmp/install.log" 2>&1; then ok; else
    bad "make install:"; tail -5 "$tmp/install.log"; finish; fi

for f in bin/pvf lib/pvf/pvf-prepare-worker lib/pvf/pvf-execute-worker lib/libpvf.a lib/libpvf.so \
    lib/pkgconfig/libpvf.pc include/pvf/host.h include/pvf/api.h share/man/man1/pvf.1 share/man/man3/libpvf.3 \
    share/man/man3/pvf_host.3 share/man/man3/pvf_host_execute.3; do
    [[ -e $prefix/$f ]] || bad "make install did not install $f"
done
ok

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags libpvf) libs=$(pkg-config --libs libpvf) static_libs=$(pkg-config --static --libs libpvf)
rpath=-Wl,-rpath,$prefix/lib

# run NAME COMMAND...: the example must say Valid and exit 0.
run() {
    local name=$1 out; shift
    if out=$("$@" "$CODE" "$PARAMS" 2>&1) && [[ $out == *": Valid, a "* ]]; then ok; else
        bad "$name: ${out:-no output}"; fi
}
if cc -std=c99 -Wall -Werror examples/validate.c $cflags $libs $rpath -o "$tmp/validate" 2>"$tmp/err"; then
    run "C example, shared libpvf" "$tmp/validate"
    deps=$(ldd "$tmp/validate")    # whole, then searched: grep -q would end ldd's pipe early
    [[ $deps == *"$prefix/lib/libpvf.so.$abi"* ]] || bad "the C example did not load the installed libpvf.so.$abi: $deps"
else bad "building the C example: $(head -3 "$tmp/err")"; fi
if cc -std=c99 -Wall -Werror examples/validate.c $cflags -static-libgcc -Wl,-Bstatic -lpvf -Wl,-Bdynamic \
    $(echo "$static_libs" | sed 's/-lpvf//') -L"$prefix/lib" -o "$tmp/validate-static" 2>"$tmp/err"; then
    run "C example, static libpvf" "$tmp/validate-static"
    deps=$(ldd "$tmp/validate-static")
    [[ $deps != *libpvf* ]] || bad "the static C example still loads libpvf.so"
else bad "building the C example statically: $(head -3 "$tmp/err")"; fi
if c++ -std=c++17 -Wall -Werror examples/validate.cpp $cflags $libs $rpath -o "$tmp/validate-cpp" 2>"$tmp/err"; then
    run "C++ example" "$tmp/validate-cpp"
else bad "building the C++ example: $(head -3 "$tmp/err")"; fi
if command -v go >/dev/null; then
    cp -r examples/go "$tmp/go"
    if (cd "$tmp/go" && GOCACHE=$tmp/gocache GOPATH=$tmp/gopath GOFLAGS=-mod=mod CGO_LDFLAGS="$rpath" \
        go build -o "$tmp/validate-go" . ) >"$tmp/err" 2>&1; then
        run "Go example" "$tmp/validate-go"
    else bad "building the Go example: $(head -5 "$tmp/err")"; fi
elif [[ -n ${CI:-} ]]; then bad "no go (scripts/deps.sh installs golang-go)"
else skip "the Go example: no go (apt-get install golang-go)"; fi

# The installed CLI: its own directory has no workers, the install's worker dir does.
if out=$("$prefix/bin/pvf" validate --code "$CODE" --params "$PARAMS" 2>&1) && [[ $out == valid* ]]; then ok; else
    bad "the installed pvf: $out"; fi

if make -s BUILD="$tmp/build" PREFIX="$prefix" uninstall >"$tmp/uninstall.log" 2>&1; then ok; else
    bad "make uninstall: $(tail -3 "$tmp/uninstall.log")"; fi
left=$(find "$prefix" -type f -o -type l 2>/dev/null)
if [[ -z $left ]]; then ok; else bad "make uninstall left: $(echo $left | head -c 300)"; fi

# With the workers gone, a pvf on its own can't run the checks: exit 2 (no verdict on the
# machine), and the error names every place it looked.
mkdir -p "$tmp/lonely" && cp "$tmp/build/bin/pvf" "$tmp/lonely/pvf"
out=$("$tmp/lonely/pvf" check-security 2>&1); rc=$?
if ((rc == 2)) && [[ $out == *"$tmp/lonely/pvf-prepare-worker"* && $out == *"$prefix/lib/pvf/pvf-prepare-worker"* ]]; then ok
else bad "pvf check-security without workers: exit $rc, '$out'"; fi
finish
