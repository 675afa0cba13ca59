#!/usr/bin/env bash
# tests/t-deb.sh — the Debian packages (issue 15): `dpkg-buildpackage -us -uc -b` on a copy of
# the tree (git's files, so the tree under test is never touched) makes pvf and libpvf-dev;
#   - their contents are what debian/*.install promise (dpkg -c), and the shared library's
#     dependencies were found (dpkg -I: Depends);
#   - unpacked in a scratch root (dpkg -x), the packaged pvf validates the adder block 000;
#   - in CI (a fresh Debian 12, as root) they are installed for real with dpkg -i, the C example
#     builds with `pkg-config --cflags --libs libpvf` and validates the block through the
#     installed library and workers, and dpkg --purge removes them again;
#   - lintian, when installed, finds no error.
# Needs root, debhelper and dpkg-dev; skips otherwise, and under BUILD≠build (one package build
# is enough). Last line: "N passed, M failed[, K skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
installed=
cleanup() {
    [[ -n $installed ]] && dpkg --purge libpvf-dev pvf >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [[ $BUILD != build ]]; then skip "the packages under BUILD=$BUILD (built once, for BUILD=build)"; finish; fi
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    if [[ -n ${CI:-} && $(id -u) == 0 ]]; then bad "no dpkg-buildpackage or dh (scripts/deps.sh installs dpkg-dev, debhelper)"
    else skip "no dpkg-buildpackage or dh (apt-get install dpkg-dev debhelper)"; fi
    finish
fi
if [[ $(id -u) != 0 ]]; then skip "not root (the same packages are built and installed by the run as root)"; finish; fi
CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
PARAMS=$DATA/inputs/adder/000.params.scale
[[ -f $CODE && -f $PARAMS ]] || { no_data "no adder in $DATA"; finish; }
CODE=$(cd "$(dirname "$CODE")" && pwd)/$(basename "$CODE")
PARAMS=$(cd "$(dirname "$PARAMS")" && pwd)/$(basename "$PARAMS")

src=$tmp/pvf-0.4.0
mkdir -p "$src"
git -c safe.directory="$PWD" ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
[[ -f $src/debian/changelog && -f $src/Makefile ]] || { bad "the copy of the tree is incomplete (git ls-files)"; finish; }
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then ok; else
    bad "dpkg-buildpackage:"; tail -15 "$tmp/build.log"; finish; fi
pvf_deb=$(ls "$tmp"/pvf_*_amd64.deb 2>/dev/null | head -1)
dev_deb=$(ls "$tmp"/libpvf-dev_*_amd64.deb 2>/dev/null | head -1)
[[ -f $pvf_deb && -f $dev_deb ]] && ok || { bad "no pvf or libpvf-dev .deb"; finish; }

# listed once (grep -q would end dpkg's pipe early)
pvf_list=$(dpkg -c "$pvf_deb" | awk '{ print $6 }') dev_list=$(dpkg -c "$dev_deb" | awk '{ print $6 }')
for f in ./usr/bin/pvf ./usr/lib/pvf/pvf-prepare-worker ./usr/lib/pvf/pvf-execute-worker ./usr/share/man/man1/pvf.1.gz; do
    grep -qx -- "$f" <<<"$pvf_list" || bad "pvf lacks $f"
done
abi=$(sed -n 's/^#define PVF_ABI_VERSION \([0-9]*\).*/\1/p' include/pvf/version.h)
grep -qE "^\./usr/lib/[^/]+/libpvf\.so\.$abi\.[0-9.]+\$" <<<"$pvf_list" || bad "pvf lacks libpvf.so.$abi.*"
for f in ./usr/include/pvf/host.h ./usr/include/pvf/api.h ./usr/share/man/man3/libpvf.3.gz \
    ./usr/share/man/man3/pvf_host.3.gz ./usr/share/man/man3/pvf_host_execute.3.gz; do
    grep -qx -- "$f" <<<"$dev_list" || bad "libpvf-dev lacks $f"
done
grep -qE 'pkgconfig/libpvf\.pc$' <<<"$dev_list" && grep -qE '/libpvf\.a$' <<<"$dev_list" ||
    bad "libpvf-dev lacks libpvf.pc or libpvf.a"
ok
deps=$(dpkg -I "$pvf_deb" | sed -n 's/^ Depends: //p')
[[ $deps == *libsodium* && $deps == *libzstd* && $deps == *libsecp256k1* ]] && ok || bad "pvf's Depends: '$deps'"

root=$tmp/root
dpkg -x "$pvf_deb" "$root" && dpkg -x "$dev_deb" "$root"
if out=$("$root/usr/bin/pvf" validate --workers-path "$root/usr/lib/pvf" --code "$CODE" --params "$PARAMS" 2>&1) &&
    [[ $out == valid* ]]; then ok; else bad "the unpacked pvf: $out"; fi

if [[ -n ${CI:-} && $(id -u) == 0 ]]; then
    if dpkg -i "$pvf_deb" "$dev_deb" >"$tmp/dpkg.log" 2>&1; then
        installed=1
        ok
        if cc -std=c99 -Wall -Werror examples/validate.c $(pkg-config --cflags --libs libpvf) -o "$tmp/validate" 2>"$tmp/err" &&
            out=$("$tmp/validate" "$CODE" "$PARAMS" 2>&1) && [[ $out == *": Valid, a "* ]]; then ok
        else bad "the C example on the installed packages: ${out:-$(head -3 "$tmp/err")}"; fi
        if out=$(pvf validate --code "$CODE" --params "$PARAMS" 2>&1) && [[ $out == valid* ]]; then ok
        else bad "the installed /usr/bin/pvf: $out"; fi
        dpkg --purge libpvf-dev pvf >/dev/null 2>&1 && installed= && ok || bad "dpkg --purge"
        [[ ! -e /usr/lib/pvf && ! -e /usr/include/pvf ]] && ok || bad "dpkg --purge left /usr/lib/pvf or /usr/include/pvf"
    else
        bad "dpkg -i: $(tail -5 "$tmp/dpkg.log")"
    fi
else
    skip "installing the packages for real (only in CI, as root: it changes the system)"
fi

if command -v lintian >/dev/null; then
    if lintian --fail-on error "$pvf_deb" "$dev_deb" >"$tmp/lintian.log" 2>&1; then ok; else
        bad "lintian: $(grep '^E:' "$tmp/lintian.log" | head -5)"; fi
fi
finish
