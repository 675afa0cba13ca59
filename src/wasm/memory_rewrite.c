/*
 * memory_rewrite.c — the reference's memory setup for Substrate runtimes.
 *
 * Before compiling a PVF the reference (sc-executor's RuntimeBlob) rewrites
 * the module's memory:
 *   1. the first memory import becomes a defined memory, exported under the
 *      import's field name (so the runtime's memory is the instance's own);
 *   2. every memory's limits become min = min(initial, max_pages),
 *      max = max_pages (heap strategy Dynamic { maximum_pages });
 *   3. a module that ends up with no memory is refused ("no memory section found").
 * The heap maximum is part of the artifact: it decides when memory.grow and the
 * allocator fail, so it is a deterministic part of the verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

/* Remove import `index`, renumbering what refers to later imports. */
static void remove_import(wasm_module *m, uint32_t index)
{
    memmove(&m->imports[index], &m->imports[index + 1],
            (size_t)(m->nimports - index - 1) * sizeof *m->imports);
    m->nimports--;
    for (uint32_t i = 0; i < m->nfunc_imports; i++)
        if (m->funcs[i].import_index > index)
            m->funcs[i].import_index--;
    for (uint32_t i = 0; i < m->ntable_imports; i++)
        if (m->tables[i].import_index > index)
            m->tables[i].import_index--;
    for (uint32_t i = 0; i < m->nglobal_imports; i++)
        if (m->globals[i].import_index > index)
            m->globals[i].import_index--;
}

static bool export_name_taken(const wasm_module *m, wasm_name name)
{
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name.len == name.len && !memcmp(m->exports[i].name.bytes, name.bytes, name.len))
            return true;
    return false;
}

static bool convert_memory_import(wasm_module *m, wasm_error *err)
{
    if (m->nmemory_imports == 0)
        return true;
    uint32_t index = m->memories[0].import_index;
    wasm_name name = m->imports[index].name;
    if (export_name_taken(m, name))
        return wasm_fail(err, "cannot export the imported memory as \"%.*s\": the name is already exported",
                         (int)name.len, name.bytes);
    wasm_export *grown = realloc(m->exports, ((size_t)m->nexports + 1) * sizeof *grown);
    if (!grown)
        return wasm_fail(err, "out of memory");
    m->exports = grown;
    m->exports[m->nexports++] = (wasm_export){ name, WASM_EXTERN_MEMORY, 0 };
    remove_import(m, index);
    m->memories[0].is_import = false;
    m->nmemory_imports = 0;
    return true;
}

bool wasm_rewrite_memory(wasm_module *m, uint32_t max_pages, wasm_error *err)
{
    if (!convert_memory_import(m, err))
        return false;
    if (m->nmemories == 0)
        return wasm_fail(err, "no memory section found");
    for (uint32_t i = 0; i < m->nmemories; i++) {
        wasm_limits *l = &m->memories[i].limits;
        l->min = l->min < max_pages ? l->min : max_pages;
        l->max = max_pages;
        l->has_max = true;
    }
    return true;
}
