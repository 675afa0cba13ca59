/*
 * pvf/version.h — the two versions pvf has.
 *
 * PVF_VERSION is the release: the worker binaries report it (--version), the
 * host and its workers must agree on it in their handshake, and pvf_version()
 * says which one a program runs with.
 *
 * PVF_ENGINE_VERSION names the engine's semantics and compiled-code format.
 * Every artifact records it and is refused by an engine with another one;
 * the host's artifact manifest binds cached artifacts to it, so a restart
 * with a different engine drops them instead of running stale code. Change
 * it whenever compiled code or execution semantics change.
 */
#ifndef PVF_VERSION_H
#define PVF_VERSION_H

#include "pvf/api.h"

/* The release, as numbers (zstd's scheme: NUMBER = MAJOR * 10000 + MINOR * 100 + PATCH) and as
 * the string the workers' handshake compares. */
#define PVF_VERSION_MAJOR 0
#define PVF_VERSION_MINOR 5
#define PVF_VERSION_PATCH 0
#define PVF_VERSION_NUMBER (PVF_VERSION_MAJOR * 10000 + PVF_VERSION_MINOR * 100 + PVF_VERSION_PATCH)
#define PVF_VERSION_STR_(x) #x
#define PVF_VERSION_STR(x) PVF_VERSION_STR_(x)
#define PVF_VERSION \
    PVF_VERSION_STR(PVF_VERSION_MAJOR) "." PVF_VERSION_STR(PVF_VERSION_MINOR) "." PVF_VERSION_STR(PVF_VERSION_PATCH)

/* The shared library's ABI: libpvf.so.PVF_ABI_VERSION is its soname, raised whenever a public
 * declaration changes incompatibly (a removed function, a changed struct layout). */
#define PVF_ABI_VERSION 1

#define PVF_ENGINE_VERSION "pvf-engine-0.3.0"   /* printable, no whitespace; 0.2: the native tier, 0.3: its registers, guard pages, backtraces */

PVF_BEGIN_DECLS

/* The library's own release, which may differ from the PVF_VERSION a program was compiled
 * against: "0.5.0", and 500 for it. */
PVF_API const char *pvf_version(void);
PVF_API unsigned pvf_version_number(void);

PVF_END_DECLS

#endif
