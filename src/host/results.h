/*
 * results.h — the structs that cross the API (results.c): the result objects it hands over —
 * the host's answers and the pvfd client's (src/client/) are the same pvf_completion,
 * pvf_execute_result and pvf_precheck_result, freed with the same functions — and the rule for
 * the sized structs a program fills.
 */
#ifndef PVF_HOST_RESULTS_H
#define PVF_HOST_RESULTS_H

#include "pvf/host.h"
#include "host/mailbox.h"

/* A completion on its way to the caller; what pvf_host_next_completion hands over is its `c`. */
typedef struct completion_msg {
    mailbox_node node;
    pvf_completion_fn cb;
    pvf_completion c;
} completion_msg;

/* A completion with an empty result of its type; NULL when out of memory. */
completion_msg *completion_new(pvf_request_type type);
/* A result's string field set to a copy of s (n bytes), the old one freed; "" when s is empty
 * or the copy fails. */
void result_set_text(const char **field, const char *s);
void result_set_text_n(const char **field, const char *s, size_t n);

/* A caller's size-prefixed struct (include/pvf/host.h, "ABI") into `full`, which holds this
 * library's defaults: the caller's bytes over them up to its size; bytes past what this library
 * knows must be zero. False with why in err ("what" names the struct). */
bool api_take_sized(void *full, size_t full_size, const void *given, size_t given_size, const char *what, char *err,
                    size_t errlen);

#endif
