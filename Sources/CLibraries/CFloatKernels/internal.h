#ifndef CFLOATKERNELS_INTERNAL_H
#define CFLOATKERNELS_INTERNAL_H
#include "CFloatKernels.h"

/// The output columns [lo, hi) whose every tap lies inside the input horizontally.
static inline void st_f32_interior(const st_f32_conv *s, int *lo, int *hi) {
    int a = (s->padding + s->stride - 1) / s->stride;
    int last = s->width - 1 + s->padding - (s->kernel - 1) * s->dilation;  // ox * stride <= last
    int b = last < 0 ? 0 : last / s->stride + 1;
    if (b > s->out_width) b = s->out_width;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

/// Vectors of 16 output channels per AVX-512 pointwise panel.
#define ST_F32_POINTWISE_VECTORS 4

/// Offset of output pixel p's input row in a 1x1 convolution (no padding; a stride skips rows and columns).
static inline size_t st_f32_pointwise_row(const st_f32_conv *s, int p) {
    const int oy = p / s->out_width, ox = p % s->out_width;
    return ((size_t)oy * s->stride * s->width + (size_t)ox * s->stride) * s->in_channels;
}

/// Zeros that a border pixel's tap outside the image reads instead of its input.
#define ST_F32_ZEROS 1024
extern const float st_f32_zeros[ST_F32_ZEROS];

/// Sources of a chunk's P pixels at one tap whose row lies inside the image: `in` is pixel 0's
/// input at column ix; pixels past n or outside the image read st_f32_zeros. 0 when no pixel reads
/// the image (the tap adds nothing).
static inline int st_f32_tap_sources(const st_f32_conv *s, const float *in, int ix, int n, int P, const float **src) {
    const size_t step = (size_t)s->stride * s->in_channels;
    int any = 0;
    for (int p = 0; p < P; p++) {
        const int column = ix + p * s->stride, inside = p < n && column >= 0 && column < s->width;
        src[p] = inside ? in + p * step : st_f32_zeros;
        any |= inside;
    }
    return any;
}

void st_f32_grouped_reference(const st_f32_conv *s, const float *w, const float *bias, const float *x, float *y);
void st_f32_pointwise_reference(const st_f32_conv *s, const float *w, const float *bias, const float *x, float *y, float *sums);
#if defined(__x86_64__)
void st_f32_pointwise_avx512(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y, float *sums);
void st_f32_grouped_avx2(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
void st_f32_grouped_avx512(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
#endif
#if defined(__aarch64__)
void st_f32_grouped_neon(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
#endif
#endif
