/*
 * version.c — the library's release at run time (pvf/version.h): a program compiled against one
 * libpvf may run with another.
 */
#include "pvf/version.h"

const char *pvf_version(void)
{
    return PVF_VERSION;
}

unsigned pvf_version_number(void)
{
    return PVF_VERSION_NUMBER;
}
