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

void st_f32_grouped_reference(const st_f32_conv *s, const float *w, const float *bias, const float *x, float *y);
#if defined(__x86_64__)
void st_f32_grouped_avx2(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
void st_f32_grouped_avx512(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
#endif
#if defined(__aarch64__)
void st_f32_grouped_neon(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y);
#endif
#endif
