/*
 * pvf/api.h — what every public header of libpvf shares: which functions the shared library
 * exports, and the C linkage guards (zstd's ZSTDLIB_API, libcurl's CURL_EXTERN).
 *
 * libpvf is built with -fvisibility=hidden: a function is part of the ABI only when its
 * declaration in include/pvf/ carries PVF_API, and every exported name begins with pvf_
 * (tests/t-abi.sh lists the shared library's symbols and fails on any other).
 */
#ifndef PVF_API_H
#define PVF_API_H

#if defined(__GNUC__) && __GNUC__ >= 4
#define PVF_API __attribute__((visibility("default")))
#else
#define PVF_API
#endif

#ifdef __cplusplus
#define PVF_BEGIN_DECLS extern "C" {
#define PVF_END_DECLS }
#else
#define PVF_BEGIN_DECLS
#define PVF_END_DECLS
#endif

#endif
