# bench/section.sh — sourced by the bench scripts: write_section HEADING NEW_FILE OUT puts the
# markdown in NEW_FILE (which starts with HEADING) into OUT in place of the old section (from
# HEADING to the next "## " heading), or at the end when OUT has no such section yet.
write_section() {
    local head=$1 new=$2 out=$3
    mkdir -p "$(dirname "$out")"
    [[ -f $out ]] || printf '# Benchmarks\n\n' >"$out"
    awk -v head="$head" -v new="$new" '
        function put() { while ((getline line < new) > 0) print line; close(new); done = 1 }
        $0 == head { skip = 1; put(); next }
        skip && /^## / { skip = 0; print ""; }
        !skip { print }
        END { if (!done) { print ""; put() } }
    ' "$out" >"$out.tmp.$$" && mv "$out.tmp.$$" "$out"
}
