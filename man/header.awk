# man/header.awk — a public header (include/pvf/NAME.h) as its grouped man page pvf_NAME(3):
# the header's opening comment is the DESCRIPTION; then, in the header's order, its sections
# ("/* ---- name */" lines), and each type, macro and PVF_API function with the comment above it.
# So the page says exactly what the header says. Run by man/pages.sh, which also makes the
# one-line pages that let `man pvf_host_execute` find the group (the function names: -v names=FILE).
#
#   awk -v page=pvf_host -v header=host.h -v version=0.5.0 -v date=2026-12-07 -v names=FILE \
#       -f man/header.awk include/pvf/host.h
#
# Characters outside ASCII are left as they are; pages.sh maps them to groff's names.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# A line of text for roff: backslashes escaped, never a leading '.' or '\''.
function roff(s) {
    gsub(/\\/, "\\e", s)
    if (s ~ /^[.']/) s = "\\&" s
    return s
}

# The text of a comment, without its markers, one line per line.
function comment_text(c,    n, lines, i, out, l) {
    n = split(c, lines, "\n")
    out = ""
    for (i = 1; i <= n; i++) {
        l = lines[i]
        sub(/^[ \t]*\/\*+ ?/, "", l)
        sub(/[ \t]*\*+\/[ \t]*$/, "", l)
        sub(/^[ \t]*\* ?/, "", l)
        if (i == 1 && trim(l) == "") continue
        if (i == n && trim(l) == "") continue
        out = out (out == "" ? "" : "\n") l
    }
    return out
}

function emit_text(t,    n, lines, i) {
    n = split(t, lines, "\n")
    for (i = 1; i <= n; i++) body = body roff(lines[i]) "\n"
}

# One item: its comment as text, its code in bold, both preformatted.
function emit_item(code, comment) {
    body = body ".PP\n.nf\n"
    if (comment != "") emit_text(comment_text(comment))
    body = body ".ft B\n"
    emit_text(code)
    body = body ".ft R\n.fi\n"
}

BEGIN { top = ""; pending = ""; body = ""; synopsis = ""; nfunc = 0; code_seen = 0; guard = "" }

# inside a comment
in_comment {
    cbuf = cbuf "\n" $0
    if ($0 ~ /\*\//) {
        in_comment = 0
        if (!code_seen && top == "") top = cbuf
        else pending = cbuf
    }
    next
}

# a section line: /* ----------- name */
/^\/\* -+ [^*]*\*\/[ \t]*$/ {
    name = $0
    sub(/^\/\* -+ /, "", name); sub(/ *\*\/[ \t]*$/, "", name)
    body = body ".SS \"" roff(name) "\"\n"
    pending = ""
    next
}

# a comment on lines of its own
/^[ \t]*\/\*/ {
    cbuf = $0
    if ($0 ~ /\*\//) {
        if (!code_seen && top == "") top = cbuf
        else pending = cbuf
    } else {
        in_comment = 1
    }
    next
}

/^#ifndef / && guard == "" { guard = $2; next }
/^#include|^#endif|^PVF_BEGIN_DECLS|^PVF_END_DECLS|^[ \t]*$/ { next }

# a macro (and its continuation lines)
/^#define / {
    code_seen = 1
    if ($2 == guard) next
    code = $0
    while (code ~ /\\$/ && (getline line) > 0) code = code "\n" line
    emit_item(code, pending)
    pending = ""
    next
}

# a type: one line, or a braced block up to its closing line
/^typedef / {
    code_seen = 1
    code = $0
    if (code ~ /\{[^}]*$/)
        while ((getline line) > 0) { code = code "\n" line; if (line ~ /^}/) break }
    emit_item(code, pending)
    pending = ""
    next
}

# a function, up to its ';'
/^PVF_API / {
    code_seen = 1
    code = $0
    while (code !~ /;/ && (getline line) > 0) code = code "\n" line
    decl = code
    sub(/^PVF_API /, "", decl)
    gsub(/\n[ \t]*/, " ", decl)
    sub(/;.*/, ";", decl)
    fname = decl
    sub(/\(.*/, "", fname)
    sub(/.*[ *]/, "", fname)
    funcs[++nfunc] = fname
    synopsis = synopsis roff(decl) "\n"
    sub(/^PVF_API /, "", code)
    emit_item(code, pending)
    pending = ""
    next
}

# anything else (a forward declaration, an enum's body seen alone): code seen, nothing shown
{ code_seen = 1; pending = "" }

END {
    t = comment_text(top)
    split(t, first, "\n")
    what = first[1]
    sub(/^[^ ]+ [^ ]+ /, "", what)          # "pvf/host.h — "
    sub(/[:,].*/, "", what)
    sub(/\.$/, "", what)
    printf ".TH %s 3 \"%s\" \"libpvf %s\" \"Library Functions Manual\"\n", toupper(page), date, version
    printf ".SH NAME\n%s \\- %s\n", page, roff(what)
    printf ".SH SYNOPSIS\n.nf\n.B #include <pvf/%s>\n.PP\n%s.fi\n", header, synopsis
    printf ".SH DESCRIPTION\n.nf\n"
    n = split(t, lines, "\n")
    for (i = 1; i <= n; i++) print roff(lines[i])
    printf ".fi\n%s", body
    printf ".SH SEE ALSO\n.BR libpvf (3)\n"
    if (names != "") for (i = 1; i <= nfunc; i++) print funcs[i] > names
}
