// AArch64 grouped convolution kernel: 4 lanes, groups of a multiple of 4 channels (inputs
// broadcast per lane with vfmaq_n_f32), 8 pixels per chunk (near the border, taps outside the
// image read zeros).
#if defined(__aarch64__)
#include "internal.h"
#include <arm_neon.h>

static inline __attribute__((always_inline)) void block_neon(const st_f32_conv *s, const float *wb, const float *bias, const float *x, float *y,
                              int oy, int ox, int n, int border, int base, int c) {
    float32x4_t acc[8];
    const float32x4_t b = vld1q_f32(bias);
    for (int p = 0; p < 8; p++) acc[p] = b;
    const size_t step = (size_t)s->stride * s->in_channels;
    for (int ky = 0; ky < s->kernel; ky++) {
        const int iy = oy * s->stride - s->padding + ky * s->dilation;
        if (iy < 0 || iy >= s->height) continue;
        for (int kx = 0; kx < s->kernel; kx++) {
            const int ix = ox * s->stride - s->padding + kx * s->dilation;
            const float *in = x + ((size_t)iy * s->width + ix) * s->in_channels + base;
            const float *src[8];
            if (border && !st_f32_tap_sources(s, in, ix, n, 8, src)) continue;
            const float *w = wb + (size_t)(ky * s->kernel + kx) * c * 4;
            for (int k = 0; k < c; k++) {
                const float32x4_t wv = vld1q_f32(w + k * 4);
                for (int p = 0; p < 8; p++) acc[p] = vfmaq_n_f32(acc[p], wv, border ? src[p][k] : in[p * step + k]);
            }
        }
    }
    for (int p = 0; p < n; p++) {
        float32x4_t v = s->relu ? vmaxq_f32(acc[p], vdupq_n_f32(0)) : acc[p];
        vst1q_f32(y + ((size_t)oy * s->out_width + ox + p) * s->out_channels, v);
    }
}

void st_f32_grouped_neon(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y) {
    const int c = s->in_channels / s->groups, taps = s->kernel * s->kernel;
    int lo, hi;
    st_f32_interior(s, &lo, &hi);
    for (int oy = 0; oy < s->out_height; oy++) {
        for (int ox = 0; ox < s->out_width; ox += 8) {
            const int n = s->out_width - ox < 8 ? s->out_width - ox : 8, inside = ox >= lo && ox + 8 <= hi;
            for (int b = 0; b < s->out_channels / 4; b++) {
                const float *wb = packed + (size_t)b * taps * c * 4;
                const int base = (b * 4 / c) * c;
                if (inside) {
                    block_neon(s, wb, bias + b * 4, x, y + b * 4, oy, ox, 8, 0, base, c);
                } else {
                    block_neon(s, wb, bias + b * 4, x, y + b * 4, oy, ox, n, 1, base, c);
                }
            }
        }
    }
}
#endif
