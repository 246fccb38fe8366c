// Shared between the kernel files; not part of the public header.
#ifndef CINT8KERNELS_INTERNAL_H
#define CINT8KERNELS_INTERNAL_H

#include "CInt8Kernels.h"
#include <math.h>
#include <string.h>

// Every fp32 step of the requantisation must round the same way in C and in SIMD: no fused
// multiply-add may be formed (the build also passes -ffp-contract=off).
#ifdef __clang__
#pragma clang fp contract(off)
#endif

/// How a family stores the im2col rows (the "A" side of the GEMM).
typedef enum {
    ST_ELEM_S8,   // x as is; the packed bias carries -z_x * sum(w)          (SDOT, generic)
    ST_ELEM_U8,   // x + 128 as uint8; bias carries -(128 + z_x) * sum(w)    (vpdpbusd)
    ST_ELEM_I16,  // x - z_x as int16; exact through vpmaddwd / vmlal       (AVX2, AVX-512BW, NEON)
} st_elem;

enum { ST_NR_MAX = 16, ST_MR_MAX = 8 };

/// Header of one packed tile of NR output channels, followed by int8 weights [k4][NR][4].
/// Output lane n reads the A chunk of group group[n]: the rows are laid out [k4][groups][4], so
/// the lanes of a grouped convolution gather their group's 4 inputs (vectorised across groups);
/// uniform = all lanes in one group (dense convolutions): a broadcast instead of a gather.
typedef struct {
    int32_t bias[ST_NR_MAX];
    float multiplier[ST_NR_MAX];
    int32_t group[ST_NR_MAX];
    int32_t uniform;
    int32_t reserved[15];
} st_tile_header;  // 256 bytes, so the weights after it stay 64-byte aligned

/// Requantisation constants shared by every microkernel.
typedef struct {
    float min_less_zero, max_less_zero;  // (min - z_y), (max - z_y) in fp32
    int32_t zero_point;
} st_requant;

/// MR rows x NR channels of y = requant(A . W + bias). rows: MR pointers to the chunk of group
/// 0 at k4 = 0 (rows past mr repeat the last one); chunk_stride: elements from one k4 step to
/// the next (groups * 4); out: MR pointers to y[pixel][c0]; nr_valid <= NR channels stored.
typedef void (*st_gemm_fn)(
    int mr, int k4, size_t chunk_stride, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq);
typedef void (*st_quantize_fn)(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y);
typedef void (*st_add_fn)(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p);
/// y = requant(a * a_multipliers[c] + b * b_multiplier) over [pixels][channels] (the SE gate folded
/// into a's per-channel multiplier).
typedef void (*st_gated_add_fn)(size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                                const int8_t *b, int8_t *y, const st_q8_add_params *p);

typedef struct {
    st_q8_family family;
    const char *name;
    const char *requirement;
    st_elem elem;
    int nr, mr;      // tile: NR output channels x MR pixels
    int vl;          // output lanes per accumulator vector (the gather width)
    double peak_macs_per_cycle;
    st_gemm_fn gemm;
    st_add_fn add;
    st_gated_add_fn gated_add;
    st_quantize_fn quantize;
} st_family_desc;

const st_family_desc *st_family(st_q8_family family);

// The one requantisation (scalar); SIMD paths do the same fp32 steps in lanes.
static inline int8_t st_requantize(int32_t acc, float multiplier, const st_requant *rq) {
    float v = (float)acc * multiplier;
    v = v < rq->min_less_zero ? rq->min_less_zero : v;
    v = v > rq->max_less_zero ? rq->max_less_zero : v;
    return (int8_t)((int32_t)lrintf(v) + rq->zero_point);
}

static inline st_requant st_make_requant(int32_t zero_point, int32_t min, int32_t max) {
    st_requant r = {(float)(min - zero_point), (float)(max - zero_point), zero_point};
    return r;
}

/// Scalar residual add of one element (the reference and the SIMD tails).
static inline int8_t st_add_one(int8_t a, int8_t b, const st_q8_add_params *p, const st_requant *rq) {
    float fa = (float)((int32_t)a - p->a_zero_point) * p->a_multiplier;
    float fb = (float)((int32_t)b - p->b_zero_point) * p->b_multiplier;
    float v = fa + fb;
    v = v < rq->min_less_zero ? rq->min_less_zero : v;
    v = v > rq->max_less_zero ? rq->max_less_zero : v;
    return (int8_t)((int32_t)lrintf(v) + rq->zero_point);
}

/// Channels c0..<channels of one pixel of the SE-gated add (the scalar form and the SIMD tails).
static inline void st_gated_add_row(size_t c0, size_t channels, const int8_t *a, const float *a_multipliers, const int8_t *b,
                                    int8_t *y, const st_q8_add_params *p, const st_requant *rq) {
    for (size_t c = c0; c < channels; c++) {
        const float fa = (float)((int32_t)a[c] - p->a_zero_point) * a_multipliers[c];
        const float fb = (float)((int32_t)b[c] - p->b_zero_point) * p->b_multiplier;
        float v = fa + fb;
        v = v < rq->min_less_zero ? rq->min_less_zero : v;
        v = v > rq->max_less_zero ? rq->max_less_zero : v;
        y[c] = (int8_t)((int32_t)lrintf(v) + rq->zero_point);
    }
}

/// One element of st_q8_quantize. The product is first limited to +-2^20 (min before max, so
/// NaN becomes the upper limit, as in Swift): rounding is exact there and every limited value
/// still saturates, so the integer steps after it cannot overflow.
static inline int8_t st_quantize_one(float x, float inverse_scale, int32_t zero_point) {
    float v = x * inverse_scale;
    v = v < 1048576.0f ? v : 1048576.0f;   // NaN compares false: the limit
    v = v > -1048576.0f ? v : -1048576.0f;
    int32_t q = (int32_t)lrintf(v) + zero_point;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

void st_quantize_scalar(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y);
void st_add_scalar(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p);
void st_gated_add_scalar(size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                         const int8_t *b, int8_t *y, const st_q8_add_params *p);
void st_gemm_generic(
    int mr, int k4, size_t chunk_stride, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq);

#if defined(__x86_64__)
void st_gemm_avx2(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
void st_add_avx2(size_t, const int8_t *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_quantize_avx2(size_t, const float *, float, int32_t, int8_t *);
void st_gated_add_avx2(size_t, size_t, const int8_t *, const float *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_gemm_avx512bw(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
void st_add_avx512bw(size_t, const int8_t *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_quantize_avx512bw(size_t, const float *, float, int32_t, int8_t *);
void st_gated_add_avx512bw(size_t, size_t, const int8_t *, const float *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_gemm_avxvnni(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
void st_gemm_avx512vnni(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
#endif
#if defined(__aarch64__)
void st_gemm_neon(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
void st_gemm_neondot(int, int, size_t, const void *const *, const st_tile_header *, int8_t *const *, int, const st_requant *);
void st_add_neon(size_t, const int8_t *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_gated_add_neon(size_t, size_t, const int8_t *, const float *, const int8_t *, int8_t *, const st_q8_add_params *);
void st_quantize_neon(size_t, const float *, float, int32_t, int8_t *);
#endif

#endif
