// x86-64 grouped convolution kernels, each compiled for its own ISA with a target attribute so
// one binary carries every family. A row of output pixels is done in chunks of P pixels (P
// accumulators per vector of output channels hide the FMA latency); inside the image a chunk
// reads its inputs at fixed strides, near the border each pixel's tap reads its input or, outside
// the image, a row of zeros (one pixel at a time there left the dilated 14x14 layers' border
// columns, 6 of 14, latency-bound).
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))

// MARK: AVX-512, 16 lanes, 8 pixels per chunk.

// One vector of outputs (block b) for n pixels starting at (oy, ox): n == 8 inside, 1 at the border.
AVX512 static inline __attribute__((always_inline)) void block_avx512(const st_f32_conv *s, const float *wb, const float *bias, const float *x, float *y,
                                       int oy, int ox, int n, int border, int base, int c, const __m512i *shuffle) {
    __m512 acc[8];
    const __m512 b = _mm512_loadu_ps(bias);
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
            const float *w = wb + (size_t)(ky * s->kernel + kx) * c * 16;
            if (shuffle) {  // a vector spans 16 / c groups: lane l takes input (l / c) * c + k
                __m512 xv[8];
                for (int p = 0; p < 8; p++) xv[p] = _mm512_loadu_ps(border ? src[p] : in + p * step);
                for (int k = 0; k < c; k++) {
                    const __m512 wv = _mm512_loadu_ps(w + k * 16);
                    for (int p = 0; p < 8; p++) acc[p] = _mm512_fmadd_ps(_mm512_permutexvar_ps(shuffle[k], xv[p]), wv, acc[p]);
                }
            } else {        // the vector lies in one group: every lane takes input k
                for (int k = 0; k < c; k++) {
                    const __m512 wv = _mm512_loadu_ps(w + k * 16);
                    for (int p = 0; p < 8; p++) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(border ? src[p][k] : in[p * step + k]), wv, acc[p]);
                }
            }
        }
    }
    for (int p = 0; p < n; p++) {
        __m512 v = s->relu ? _mm512_max_ps(acc[p], _mm512_setzero_ps()) : acc[p];
        _mm512_storeu_ps(y + ((size_t)oy * s->out_width + ox + p) * s->out_channels, v);
    }
}

AVX512 void st_f32_grouped_avx512(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y) {
    const int c = s->in_channels / s->groups, taps = s->kernel * s->kernel;
    __m512i shuffle[16];
    const int shuffled = c < 16;
    for (int k = 0; shuffled && k < c; k++) {
        int index[16];
        for (int l = 0; l < 16; l++) index[l] = (l / c) * c + k;
        shuffle[k] = _mm512_loadu_si512(index);
    }
    int lo, hi;
    st_f32_interior(s, &lo, &hi);
    for (int oy = 0; oy < s->out_height; oy++) {
        for (int ox = 0; ox < s->out_width; ox += 8) {
            const int n = s->out_width - ox < 8 ? s->out_width - ox : 8, inside = ox >= lo && ox + 8 <= hi;
            for (int b = 0; b < s->out_channels / 16; b++) {
                const float *wb = packed + (size_t)b * taps * c * 16;
                const int base = shuffled ? b * 16 : (b * 16 / c) * c;
                if (inside) {
                    block_avx512(s, wb, bias + b * 16, x, y + b * 16, oy, ox, 8, 0, base, c, shuffled ? shuffle : NULL);
                } else {
                    block_avx512(s, wb, bias + b * 16, x, y + b * 16, oy, ox, n, 1, base, c, shuffled ? shuffle : NULL);
                }
            }
        }
    }
}

// MARK: AVX2, 8 lanes, 4 pixels per chunk.

AVX2 static inline __attribute__((always_inline)) void block_avx2(const st_f32_conv *s, const float *wb, const float *bias, const float *x, float *y,
                                   int oy, int ox, int n, int border, int base, int c, const __m256i *shuffle) {
    __m256 acc[4];
    const __m256 b = _mm256_loadu_ps(bias);
    for (int p = 0; p < 4; p++) acc[p] = b;
    const size_t step = (size_t)s->stride * s->in_channels;
    for (int ky = 0; ky < s->kernel; ky++) {
        const int iy = oy * s->stride - s->padding + ky * s->dilation;
        if (iy < 0 || iy >= s->height) continue;
        for (int kx = 0; kx < s->kernel; kx++) {
            const int ix = ox * s->stride - s->padding + kx * s->dilation;
            const float *in = x + ((size_t)iy * s->width + ix) * s->in_channels + base;
            const float *src[4];
            if (border && !st_f32_tap_sources(s, in, ix, n, 4, src)) continue;
            const float *w = wb + (size_t)(ky * s->kernel + kx) * c * 8;
            if (shuffle) {
                __m256 xv[4];
                for (int p = 0; p < 4; p++) xv[p] = _mm256_loadu_ps(border ? src[p] : in + p * step);
                for (int k = 0; k < c; k++) {
                    const __m256 wv = _mm256_loadu_ps(w + k * 8);
                    for (int p = 0; p < 4; p++) acc[p] = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(xv[p], shuffle[k]), wv, acc[p]);
                }
            } else {
                for (int k = 0; k < c; k++) {
                    const __m256 wv = _mm256_loadu_ps(w + k * 8);
                    for (int p = 0; p < 4; p++) acc[p] = _mm256_fmadd_ps(_mm256_broadcast_ss(border ? src[p] + k : in + p * step + k), wv, acc[p]);
                }
            }
        }
    }
    for (int p = 0; p < n; p++) {
        __m256 v = s->relu ? _mm256_max_ps(acc[p], _mm256_setzero_ps()) : acc[p];
        _mm256_storeu_ps(y + ((size_t)oy * s->out_width + ox + p) * s->out_channels, v);
    }
}

AVX2 void st_f32_grouped_avx2(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y) {
    const int c = s->in_channels / s->groups, taps = s->kernel * s->kernel;
    __m256i shuffle[8];
    const int shuffled = c < 8;
    for (int k = 0; shuffled && k < c; k++) {
        int index[8];
        for (int l = 0; l < 8; l++) index[l] = (l / c) * c + k;
        shuffle[k] = _mm256_loadu_si256((const __m256i *)index);
    }
    int lo, hi;
    st_f32_interior(s, &lo, &hi);
    for (int oy = 0; oy < s->out_height; oy++) {
        for (int ox = 0; ox < s->out_width; ox += 4) {
            const int n = s->out_width - ox < 4 ? s->out_width - ox : 4, inside = ox >= lo && ox + 4 <= hi;
            for (int b = 0; b < s->out_channels / 8; b++) {
                const float *wb = packed + (size_t)b * taps * c * 8;
                const int base = shuffled ? b * 8 : (b * 8 / c) * c;
                if (inside) {
                    block_avx2(s, wb, bias + b * 8, x, y + b * 8, oy, ox, 4, 0, base, c, shuffled ? shuffle : NULL);
                } else {
                    block_avx2(s, wb, bias + b * 8, x, y + b * 8, oy, ox, n, 1, base, c, shuffled ? shuffle : NULL);
                }
            }
        }
    }
}
#endif
