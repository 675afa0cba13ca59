#!/usr/bin/env bash
# man/pages.sh OUT_DIR VERSION DATE — the grouped man pages of the public headers: pvf_host(3), pvf_client(3),
# pvf_engine(3), pvf_runtime(3), pvf_reference(3), pvf_version(3), one per header
# (man/header.awk), and for every PVF_API function a one-line page (".so man3/pvf_host.3") so
# that `man pvf_host_execute` opens its group. Characters outside ASCII become groff's names; one
# this script does not know is an error, so a page never renders with a warning.
set -euo pipefail
out=$1 version=$2 date=$3
cd "$(dirname "$0")/.."
mkdir -p "$out"
for name in host client engine runtime reference version; do
    page=pvf_$name
    : >"$out/$page.names"
    awk -v page="$page" -v header="$name.h" -v version="$version" -v date="$date" -v names="$out/$page.names" \
        -f man/header.awk "include/pvf/$name.h" |
        sed -e 's/…/\\[u2026]/g; s/—/\\[em]/g; s/§/\\[sc]/g; s/⇒/\\[rA]/g; s/×/\\[mu]/g' \
            -e 's/─/-/g; s/▶/>/g' >"$out/$page.3"
    if LC_ALL=C grep -n '[^[:print:][:space:]]' "$out/$page.3" >&2; then
        echo "man/pages.sh: include/pvf/$name.h has a character pages.sh does not map (add it)" >&2
        exit 1
    fi
    while read -r fn; do
        [[ $fn == "$page" ]] || echo ".so man3/$page.3" >"$out/$fn.3"
    done <"$out/$page.names"
    rm "$out/$page.names"
done
