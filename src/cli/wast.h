/*
 * wast.h — the pieces of `pvf wast`, the spec-test runner (cmd_wast.c).
 *
 * The runner reads wabt's wast2json output (a JSON list of commands naming
 * .wasm files beside it) and drives the public engine API, as an embedder
 * would: prepare → artifact → load → instantiate (imports resolved here) →
 * call. The files:
 *
 *   wast_values.c    command values ("i32" "42", "nan:canonical") and comparing results
 *   wast_spectest.c  the `spectest` host module the suite imports from
 *   wast_link.c      naming modules, registering them, resolving and type-checking imports
 *   wast_commands.c  one function per command type
 *   cmd_wast.c       the command line, the file loop and the counts
 */
#ifndef PVF_CLI_WAST_H
#define PVF_CLI_WAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"
#include "util/json.h"

/* Reference types the engine has no code for (externref, v128) get these. */
#define WAST_EXTERNREF 0x6F
#define WAST_V128 0x7B

/* ---- values (wast_values.c) --------------------------------------------------------------- */

typedef enum wast_value_kind {
    WAST_VALUE_BITS,            /* exactly `bits` */
    WAST_VALUE_NAN_CANONICAL,   /* a quiet NaN with the canonical payload, either sign */
    WAST_VALUE_NAN_ARITHMETIC,  /* any quiet NaN */
    WAST_VALUE_NULL_REF,        /* ref.null */
    WAST_VALUE_UNSUPPORTED,     /* a value the engine cannot represent (externref, v128, ...) */
} wast_value_kind;

typedef struct wast_value {
    uint8_t type;               /* PVF_I32 ... PVF_FUNCREF, WAST_EXTERNREF, WAST_V128 */
    wast_value_kind kind;
    uint64_t bits;
} wast_value;

/* Parse {"type": "i32", "value": "42"}; false with the reason in err. */
bool wast_value_parse(const json_value *jv, wast_value *out, char *err, size_t errlen);
/* Does the result slot `actual` (of the same type) match `expected`? */
bool wast_value_matches(const wast_value *expected, uint64_t actual);
/* "i32 42", "f32 nan:canonical", ... */
void wast_value_format(const wast_value *v, char *buf, size_t size);
/* The engine's raw slot as a value of `type`, formatted the same way. */
void wast_slot_format(uint8_t type, uint64_t slot, char *buf, size_t size);
const char *wast_type_name(uint8_t type);

/* ---- externs with their types (wast_spectest.c, wast_link.c) ------------------------------ */

/* An object that can satisfy an import, with what import matching needs to know of it. */
typedef struct wast_extern {
    pvf_extern ext;
    pvf_limits limits;          /* TABLE, MEMORY: min is the current size */
    uint8_t global_type;        /* GLOBAL */
    bool global_mutable;
} wast_extern;

#define WAST_SPECTEST_EXPORTS 16      /* 13 used */

typedef struct wast_spectest {
    struct {
        const char *name;
        wast_extern ext;
    } exports[WAST_SPECTEST_EXPORTS];
    size_t count;
} wast_spectest;

/* Create the spectest module's objects in `store`; false (with err) if the engine refuses. */
bool wast_spectest_create(pvf_store *store, wast_spectest *st, char *err, size_t errlen);
bool wast_spectest_lookup(const wast_spectest *st, const char *name, wast_extern *out);

/* ---- modules and linking (wast_link.c) ---------------------------------------------------- */

typedef struct wast_module {
    char *name;                 /* "$M" from the module command, or NULL */
    pvf_code *code;             /* owned; freed after the store */
    pvf_instance *inst;
} wast_module;

typedef struct wast_registration {
    char *as;                   /* the module name imports use */
    wast_module *module;
} wast_registration;

/* Everything one .json file's commands share. */
typedef struct wast_session {
    pvf_engine_config cfg;
    const char *dir;            /* where the .wasm files are */
    pvf_store *store;
    wast_spectest spectest;
    wast_module **modules;      /* every instantiated module, in order */
    size_t nmodules, modules_cap;
    wast_module *current;       /* the last module command's, NULL if it failed */
    wast_registration *registered;
    size_t nregistered, registered_cap;
} wast_session;

bool wast_session_init(wast_session *s, const pvf_engine_config *cfg, const char *dir,
                       char *err, size_t errlen);
void wast_session_free(wast_session *s);

/* Take ownership of code+inst as a new module named `name` (may be NULL). NULL when out of memory. */
wast_module *wast_session_add_module(wast_session *s, const char *name, pvf_code *code,
                                     pvf_instance *inst);
/* The module called `name`, or the current one when name is NULL. */
wast_module *wast_session_find_module(const wast_session *s, const char *name);
bool wast_session_register(wast_session *s, const char *as, wast_module *m);

/* The export `name` of m with its type; false when m has no such export. */
bool wast_module_export(const wast_module *m, const char *name, size_t len, wast_extern *out);

/*
 * Resolve every import of `code` against spectest and the registered
 * modules, checking types. Returns a malloc'd array (one per import; NULL
 * with *ok when there are no imports), or sets *ok false and explains in
 * err ("unknown import ...", "incompatible import type ...").
 */
pvf_extern *wast_link_imports(const wast_session *s, const pvf_code *code, bool *ok, char *err,
                              size_t errlen);

/* ---- commands (wast_commands.c) ----------------------------------------------------------- */

typedef enum wast_outcome {
    WAST_PASS,
    WAST_FAIL,
    WAST_SKIP,
} wast_outcome;

typedef struct wast_result {
    wast_outcome outcome;
    char msg[768];              /* why it failed or was skipped; a remark on a pass */
} wast_result;

/* Run one command object of the "commands" array. */
void wast_run_command(wast_session *s, const json_value *cmd, wast_result *r);

#endif
