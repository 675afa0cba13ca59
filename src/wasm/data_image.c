/*
 * data_image.c — copy-on-write initial memory.
 *
 * A PVF is instantiated afresh for every call, so initialising memory must be
 * cheap. When a module defines its memory and every active data segment has
 * a constant offset inside the initial pages, the initial contents can be built
 * once, after load (pvf_code_build_image), into a memfd ("the image"). Instantiation then maps the
 * image MAP_PRIVATE over the start of the memory reservation: no bytes are
 * copied, and only pages the call writes get private copies (the technique
 * of Wasmtime's memory_init_cow, which the reference uses).
 *
 * Anything else (imported memory, offsets from globals, a segment that does
 * not fit and must trap) keeps the ordinary copy path in instance.c.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wasm/store.h"


static bool image_possible(const pvf_code *c, uint64_t *len)
{
    if (c->nmemories != 1 || c->nmemory_imports != 0)
        return false;
    uint64_t end = 0, limit = (uint64_t)c->memory.min * PVF_WASM_PAGE_BYTES;
    uint32_t active = 0;
    for (uint32_t i = 0; i < c->ndatas; i++) {
        const code_data *d = &c->datas[i];
        if (d->mode != WASM_SEG_ACTIVE)
            continue;
        if (d->offset.kind != WASM_CONST_I32)
            return false;
        uint64_t e = (uint64_t)(uint32_t)d->offset.bits + d->len;
        if (e > limit)
            return false;
        if (e > end)
            end = e;
        active++;
    }
    long page = sysconf(_SC_PAGESIZE);
    *len = (end + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
    return active > 0 && *len > 0;
}

bool pvf_code_build_image(pvf_code *c)
{
    if (c->image_fd >= 0)
        return true;
    uint64_t len;
    if (!image_possible(c, &len))
        return false;
    int fd = memfd_create("pvf-data-image", MFD_CLOEXEC);
    if (fd < 0)
        return false;
    if (ftruncate(fd, (off_t)len) != 0) {
        close(fd);
        return false;
    }
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return false;
    }
    for (uint32_t i = 0; i < c->ndatas; i++) {
        const code_data *d = &c->datas[i];
        if (d->mode == WASM_SEG_ACTIVE && d->len)
            memcpy(p + (uint32_t)d->offset.bits, d->bytes, d->len);
    }
    munmap(p, len);
    c->image_fd = fd;
    c->image_len = len;
    return true;
}

int pvf_code_image_fd(const pvf_code *c)
{
    return c->image_fd;
}

bool data_image_map(const pvf_code *c, pvf_memory *mem)
{
    if (c->image_fd < 0 || c->image_len > mem->size)
        return false;
    void *p = mmap(mem->base, c->image_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                   c->image_fd, 0);
    return p == mem->base;
}

void data_image_release(pvf_code *c)
{
    if (c->image_fd >= 0)
        close(c->image_fd);
    c->image_fd = -1;
}
