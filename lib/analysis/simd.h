/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Vectors for the pixel kernels (lib/analysis/): GCC/clang vector extensions, lowered to
 * whatever the target offers, with no intrinsics. A kernel keeps LANES independent pixels or
 * lines in the lanes of a vector and does, lane by lane, exactly the operations of the scalar
 * code in the same order, so results do not depend on the vector width or the instruction
 * set. No multiply-add is contracted into a fused one (-std=c11 turns contraction off in GCC;
 * the pragma below in clang). */
#ifndef PC_ANALYSIS_SIMD_H
#define PC_ANALYSIS_SIMD_H

#ifdef __clang__
#pragma clang fp contract(off)
#endif

#define LANES 8

typedef float f8 __attribute__((vector_size(LANES * sizeof(float)), may_alias));
typedef double d8 __attribute__((vector_size(LANES * sizeof(double))));
typedef int i8 __attribute__((vector_size(LANES * sizeof(int))));
/* LANES floats (bytes) anywhere in a plane: unaligned, aliasing the plane's elements */
typedef float f8u __attribute__((vector_size(LANES * sizeof(float)), aligned(4), may_alias));
typedef unsigned char u8u __attribute__((vector_size(LANES), aligned(1), may_alias));
#define LOAD8(p) (*(const f8u *)(p))
#define STORE8(p, v) (*(f8u *)(p) = (v))
#define LOAD8_U8(p) (*(const u8u *)(p))

#ifdef __clang__
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...) __builtin_shuffle(a, b, (i8){__VA_ARGS__})
#endif

/* A driver-level kernel function compiled for AVX-512 and AVX2 too, picked at run time (GCC's
 * function multi-versioning on x86-64); the KERNEL helpers it calls are inlined into each
 * version. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MULTI_ISA __attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#else
#define MULTI_ISA
#endif
#define KERNEL static inline __attribute__((always_inline))

#endif
