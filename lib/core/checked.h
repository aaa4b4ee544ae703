/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Checked size arithmetic for untrusted sizes (internal to the library). */
#ifndef PC_CORE_CHECKED_H
#define PC_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>

/* *out = a * b; false (and *out untouched) on overflow. */
static inline bool pc_mul_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}

/* *out = a + b; false on overflow. */
static inline bool pc_add_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}

/* *out = a * b * c; false on overflow. */
static inline bool pc_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return pc_mul_size(a, b, &ab) && pc_mul_size(ab, c, out);
}

#endif
