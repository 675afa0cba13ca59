/*
 * pvf/version.h — the two versions pvf has.
 *
 * PVF_VERSION is the release: the worker binaries report it (--version) and
 * the host and its workers must agree on it in their handshake.
 *
 * PVF_ENGINE_VERSION names the engine's semantics and compiled-code format.
 * Every artifact records it and is refused by an engine with another one;
 * the host's artifact manifest binds cached artifacts to it, so a restart
 * with a different engine drops them instead of running stale code. Change
 * it whenever compiled code or execution semantics change.
 */
#ifndef PVF_VERSION_H
#define PVF_VERSION_H

#define PVF_VERSION "0.4.0"
#define PVF_ENGINE_VERSION "pvf-engine-0.3.0"   /* printable, no whitespace; 0.2: the native tier, 0.3: its registers, guard pages, backtraces */

#endif
