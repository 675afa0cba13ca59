/*
 * cli_options.c — parsing a command line against its command's option table, and the help and
 * man page made from the same table (cli_options.h).
 */
#include <assert.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "util/parse.h"

const char *cli_program(const cli_spec *spec)
{
    static __thread char name[64];
    if (spec->standalone)
        return spec->name;
    snprintf(name, sizeof name, "pvf %s", spec->name);
    return name;
}

static int count(const cli_opt *opts)
{
    int n = 0;
    while (opts && opts[n].name)
        n++;
    return n;
}

/* The i-th option of the spec: its own first, then the shared group. */
static const cli_opt *option_at(const cli_spec *spec, int i)
{
    int own = count(spec->options);
    return i < own ? &spec->options[i] : &spec->shared[i - own];
}

static int option_count(const cli_spec *spec)
{
    return count(spec->options) + count(spec->shared);
}

static int find_option(const cli_spec *spec, const char *name)
{
    for (int i = 0; i < option_count(spec); i++) {
        const cli_opt *o = option_at(spec, i);
        if (!strcmp(o->name, name) || (o->alias && !strcmp(o->alias, name)))
            return i;
    }
    return -1;
}

static bool takes_json(const cli_spec *spec)
{
    return find_option(spec, "--json") >= 0;
}

static bool is_help(const char *s)
{
    return !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* An argument that is no option: a file name, "-" (stdin), anything after "--". */
static bool is_operand(const char *s)
{
    return s[0] != '-' || !strcmp(s, "-");
}

int cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *a)
{
    assert(option_count(spec) <= CLI_OPTIONS_MAX);
    memset(a, 0, sizeof *a);
    a->spec = spec;
    a->operands = argv + 1;     /* compacted in place: operands only ever move back */
    bool json = false;
    for (int i = 1; i < argc; i++)
        json = json || (!strcmp(argv[i], "--json") && takes_json(spec));
    a->json = json;
    bool only_operands = false;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (only_operands || is_operand(s)) {
            a->operands[a->n_operands++] = argv[i];
            continue;
        }
        if (!strcmp(s, "--")) {
            only_operands = true;
            continue;
        }
        if (is_help(s)) {
            cli_help(spec, stdout);
            return EXIT_OK;
        }
        int k = find_option(spec, s);
        if (k < 0)
            return cli_fail(json, spec->name, EXIT_USAGE, "unknown option '%s' (%s --help)", s, cli_program(spec));
        const cli_opt *o = option_at(spec, k);
        if (!o->value) {
            a->value[k] = "";
            continue;
        }
        if (i + 1 >= argc)
            return cli_fail(json, spec->name, EXIT_USAGE, "%s needs a value: %s %s", s, o->name, o->value);
        a->value[k] = argv[++i];
    }
    for (int k = 0; k < option_count(spec); k++) {
        const cli_opt *o = option_at(spec, k);
        if (o->required && !a->value[k])
            return cli_fail(json, spec->name, EXIT_USAGE, "%s %s is required (%s --help)", o->name, o->value,
                            cli_program(spec));
    }
    if (a->n_operands < spec->min_operands)
        return cli_fail(json, spec->name, EXIT_USAGE, "%s is required (%s --help)", spec->operands, cli_program(spec));
    if (spec->max_operands >= 0 && a->n_operands > spec->max_operands)
        return cli_fail(json, spec->name, EXIT_USAGE, "unexpected argument '%s' (%s --help)",
                        a->operands[spec->max_operands], cli_program(spec));
    return -1;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = find_option(a->spec, name);
    assert(k >= 0 && "an option the command's table lacks");
    return k >= 0 ? a->value[k] : NULL;
}

bool cli_has(const cli_args *a, const char *name)
{
    return cli_get(a, name) != NULL;
}

bool cli_read_number(const cli_args *a, const char *name, uint64_t min, uint64_t max, const char *what,
                        uint64_t *out)
{
    const char *v = cli_get(a, name);
    if (!v)
        return true;
    if (parse_decimal(v, max, out) && *out >= min)
        return true;
    cli_fail(a->json, a->spec->name, EXIT_USAGE, "bad value for %s: '%s' (%s)", name, v, what);
    return false;
}

/* ---------------------------------------------------------------- --help */

/* text word-wrapped to 80 columns, each line indented by `indent`; "\n\n" starts a paragraph. */
static void print_wrapped(FILE *out, const char *text, int indent, int first_column)
{
    int col = first_column;
    const char *p = text;
    while (*p) {
        if (p[0] == '\n') {
            fprintf(out, "\n%s", p[1] == '\n' ? "\n" : "");
            p += p[1] == '\n' ? 2 : 1;
            col = 0;
            continue;
        }
        size_t word = strcspn(p, " \n");
        if (col > indent && col + 1 + (int)word > 80) {
            fputc('\n', out);
            col = 0;
        }
        if (col < indent) {
            fprintf(out, "%*s", indent - col, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, word, out);
        col += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

/* "pvf validate --code FILE --params FILE [options] FILE..." */
static void print_synopsis(const cli_spec *spec, FILE *out)
{
    fprintf(out, "%s", cli_program(spec));
    for (int k = 0; k < option_count(spec); k++) {
        const cli_opt *o = option_at(spec, k);
        if (o->required)
            fprintf(out, " %s %s", o->name, o->value);
    }
    fprintf(out, " [options]");
    if (spec->operands)
        fprintf(out, spec->min_operands ? " %s" : " [%s]", spec->operands);
}

static void print_options(const cli_opt *opts, const char *title, FILE *out)
{
    if (!count(opts))
        return;
    fprintf(out, "\n%s:\n", title);
    for (const cli_opt *o = opts; o->name; o++) {
        char left[96];
        snprintf(left, sizeof left, "  %s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
                 o->value ? " " : "", o->value ? o->value : "");
        fputs(left, out);
        int col = (int)strlen(left);
        if (col > 26) {
            fputc('\n', out);
            col = 0;
        }
        print_wrapped(out, o->help, 28, col);
    }
}

static const cli_opt global_options[] = {
    { "--tier", NULL, "interp|native", "the engine tier that runs code, here and in the execute workers (default: "
      "native on x86-64 Linux)", false },
    { "--help", "-h", NULL, "this help", false },
    { NULL, NULL, NULL, NULL, false },
};

void cli_help(const cli_spec *spec, FILE *out)
{
    fprintf(out, "usage: ");
    print_synopsis(spec, out);
    fprintf(out, "\n\n");
    print_wrapped(out, spec->description, 0, 0);
    print_options(spec->options, "options", out);
    print_options(spec->shared, spec->shared_title, out);
    print_options(spec->standalone ? global_options + 1 : global_options, "global options", out);
    fprintf(out, "\nexit status:");
    print_wrapped(out, spec->exit_status, 2, 12);
}

/* ---------------------------------------------------------------- the man page */

/* text in roff: '-' as \-, '\' as \e, a character past ASCII as \[uXXXX] (UTF-8 in, two or three
 * bytes), a line never starting with '.' or '\''. */
static void roff_text(FILE *out, const char *s)
{
    bool line_start = true;
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        const unsigned char *u = (const unsigned char *)s;
        if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
            fprintf(out, "\\[u%04X]", (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu));
            s += 1;
        } else if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
            fprintf(out, "\\[u%04X]", (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu));
            s += 2;
        } else if (*s == '-')
            fputs("\\-", out);
        else if (*s == '\\')
            fputs("\\e", out);
        else
            fputc(*s, out);
        line_start = *s == '\n';
    }
}

/* Paragraphs: "\n\n" becomes .PP, a single '\n' a line break. */
static void roff_paragraphs(FILE *out, const char *text)
{
    for (const char *p = text; *p;) {
        const char *end = strstr(p, "\n\n");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char para[4096];
        snprintf(para, sizeof para, "%.*s", (int)n, p);
        fputs(".PP\n", out);
        roff_text(out, para);
        fputc('\n', out);
        p += n + (end ? 2 : 0);
    }
}

static void roff_options(FILE *out, const cli_opt *opts)
{
    for (const cli_opt *o = opts; o && o->name; o++) {
        fputs(o->value ? ".TP\n.BI \"" : ".TP\n.B \"", out);     /* the tag: one line */
        if (o->alias) {
            roff_text(out, o->alias);
            fputs(", ", out);
        }
        roff_text(out, o->name);
        if (o->value) {
            fputs(" \" \"", out);
            roff_text(out, o->value);
        }
        fputs("\"\n", out);
        roff_text(out, o->help);
        fputs(o->required ? " (required)\n" : "\n", out);
    }
}

void cli_man(const cli_spec *spec, FILE *out)
{
    char synopsis[512];
    FILE *s = fmemopen(synopsis, sizeof synopsis, "w");
    if (s) {
        print_synopsis(spec, s);
        fclose(s);
    } else {
        snprintf(synopsis, sizeof synopsis, "%s", cli_program(spec));
    }
    fputs(".SS \"", out);
    roff_text(out, synopsis);
    fputs("\"\n", out);
    roff_paragraphs(out, spec->description);
    roff_options(out, spec->options);
    if (spec->shared) {
        fputs(".PP\nAnd the ", out);
        roff_text(out, spec->shared_title);
        fputs(" below.\n", out);
    }
    fputs(".PP\nExit status: ", out);
    roff_text(out, spec->exit_status);
    fputs("\n", out);
}

void cli_man_group(const char *title, const cli_opt *opts, FILE *out)
{
    fputs(".SH \"", out);
    for (const char *t = title; *t; t++)
        fputc(*t >= 'a' && *t <= 'z' ? *t - 'a' + 'A' : *t, out);
    fputs("\"\n", out);
    roff_options(out, opts);
}

void cli_man_globals(FILE *out)
{
    cli_man_group("global options", global_options, out);
}
