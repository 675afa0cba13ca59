/*
 * results.c — the result objects the API hands over (pvf_precheck_result, pvf_execute_result,
 * pvf_completion): made by the library with the request, so answering one never needs memory
 * that may not be there; filled when it completes; freed by the program.
 *
 * Why the library makes them: a program never knows their size, so a later library can append
 * fields without breaking a program built against an older one (include/pvf/host.h, "ABI").
 * Their strings are the result's own copies; when a copy can't be made the field is "" rather
 * than a lost answer.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"
#include "pvf/version.h"

#include <stdio.h>

/* What a string field holds when it is empty or its copy failed: never freed. */
static const char no_text[] = "";

static const char *text_copy(const char *s, size_t n)
{
    if (!s || !n)
        return no_text;
    char *c = malloc(n + 1);
    if (!c)
        return no_text;
    memcpy(c, s, n);
    c[n] = 0;
    return c;
}

static void text_free(const char *s)
{
    if (s && s != no_text)
        free((void *)s);
}

void result_set_text(const char **field, const char *s)
{
    result_set_text_n(field, s, s ? strlen(s) : 0);
}

void result_set_text_n(const char **field, const char *s, size_t n)
{
    text_free(*field);
    *field = text_copy(s, n);
}

completion_msg *completion_new(pvf_request_type type)
{
    completion_msg *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->c.type = type;
    if (type == PVF_REQUEST_PRECHECK) {
        pvf_precheck_result *p = m->c.precheck = calloc(1, sizeof *p);
        if (p)
            p->reason = p->message = no_text;
    } else {
        pvf_execute_result *x = m->c.execute = calloc(1, sizeof *x);
        if (x)
            x->reason = x->message = x->runtime_log = no_text;
    }
    if (!m->c.precheck && !m->c.execute) {
        free(m);
        return NULL;
    }
    return m;
}

void pvf_precheck_result_free(pvf_precheck_result *r)
{
    if (!r)
        return;
    text_free(r->reason);
    text_free(r->message);
    free(r);
}

void pvf_execute_result_free(pvf_execute_result *r)
{
    if (!r)
        return;
    text_free(r->reason);
    text_free(r->message);
    text_free(r->runtime_log);
    free((void *)r->result);
    free(r);
}

/* Every pvf_completion is the `c` of a completion_msg (completion_new). */
void pvf_completion_free(pvf_completion *c)
{
    if (!c)
        return;
    pvf_precheck_result_free(c->precheck);
    pvf_execute_result_free(c->execute);
    free((char *)c - offsetof(completion_msg, c));
}

/* A caller's size-prefixed struct (include/pvf/host.h, "ABI") into `full`, which holds this
 * library's defaults: the caller's bytes over them up to its size; bytes past what this library
 * knows must be zero. False with why in err. */
bool api_take_sized(void *full, size_t full_size, const void *given, size_t given_size, const char *what, char *err,
                    size_t errlen)
{
    if (given_size < sizeof(size_t)) {
        snprintf(err, errlen, "%s.size is %zu: initialise it with %s_init", what, given_size, what);
        return false;
    }
    const uint8_t *g = given;
    for (size_t i = full_size; i < given_size; i++)
        if (g[i]) {
            snprintf(err, errlen, "%s has fields this libpvf %s does not know (set at byte %zu of %zu)", what,
                     PVF_VERSION, i, given_size);
            return false;
        }
    memcpy(full, given, given_size < full_size ? given_size : full_size);
    *(size_t *)full = full_size;
    return true;
}
