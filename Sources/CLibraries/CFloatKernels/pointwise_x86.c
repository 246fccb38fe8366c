// x86-64 pointwise convolution kernel (AVX-512): register tiles of 6 pixels x 4 vectors of 16
// output channels (24 accumulators), held over all Ci inputs, each input broadcast from its row
// in place. Panels of 64 output channels are the outer loop, so a panel's weights (Ci x 64, at
// most 512 kB for Ci = 2048) stay in L2 while every pixel passes. Measured against the other
// shapes this machine's registers allow (12 x 2, 8 x 3) and against blocking the inputs for L1:
// 6 x 4 over whole rows was fastest on the paper network's 1x1 layers (fewer input rows streamed
// at once, fewer broadcasts per multiply-add). Blocking the pixels (a block's rows, 256 kB, stay
// in L2 while every panel passes) gains 2-5 % where panels are small (Ci <= 256: the big early
// layers) and loses where they are large (every block reads every panel again).
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))
// The tile lives in registers only when its loops are unrolled completely.
#define UNROLL _Pragma("GCC unroll 16")
#define MR 6
#define BLOCKED_MAX_INPUTS 256
#define BLOCK_BYTES (256 * 1024)
#define NV ST_F32_POINTWISE_VECTORS

// n pixels from p0 x nv vectors (n == MR, nv == NV inside; fewer at the tails).
// sums (optional): each channel's stored outputs are added to it.
AVX512 INLINE void tile_avx512(const st_f32_conv *s, int p0, int n, int nv, const float *w, const float *bias,
                               const float *x, float *y, float *sums) {
    const float *rows[MR];
    UNROLL for (int r = 0; r < MR; r++) rows[r] = x + st_f32_pointwise_row(s, p0 + (r < n ? r : 0));
    __m512 acc[MR][NV];
    UNROLL for (int r = 0; r < MR; r++) {
        UNROLL for (int v = 0; v < NV; v++) acc[r][v] = v < nv ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
    }
    for (int k = 0; k < s->in_channels; k++) {
        __m512 wv[NV];
        UNROLL for (int v = 0; v < NV; v++) wv[v] = v < nv ? _mm512_loadu_ps(w + ((size_t)k * NV + v) * 16) : _mm512_setzero_ps();
        UNROLL for (int r = 0; r < MR; r++) {
            if (r < n) {
                const __m512 a = _mm512_set1_ps(rows[r][k]);
                UNROLL for (int v = 0; v < NV; v++) {
                    if (v < nv) acc[r][v] = _mm512_fmadd_ps(a, wv[v], acc[r][v]);
                }
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    __m512 total[NV];
    UNROLL for (int v = 0; v < NV; v++) total[v] = zero;
    UNROLL for (int r = 0; r < MR; r++) {
        if (r < n) {
            float *out = y + (size_t)(p0 + r) * s->out_channels;
            UNROLL for (int v = 0; v < NV; v++) {
                if (v < nv) {
                    const __m512 value = s->relu ? _mm512_max_ps(acc[r][v], zero) : acc[r][v];
                    _mm512_storeu_ps(out + 16 * v, value);
                    total[v] = _mm512_add_ps(total[v], value);
                }
            }
        }
    }
    if (sums) {
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(sums + 16 * v, _mm512_add_ps(_mm512_loadu_ps(sums + 16 * v), total[v]));
    }
}

// Pixels [begin, end) of panel j.
AVX512 static void panel_avx512(const st_f32_conv *s, int j, int begin, int end, const float *packed, const float *bias,
                                const float *x, float *y, float *sums) {
    const int width = 16 * NV, left = (s->out_channels - j * width) / 16, nv = left < NV ? left : NV;
    const float *w = packed + (size_t)j * s->in_channels * width;
    bias += j * width;
    y += j * width;
    if (sums) sums += j * width;
    int p = begin;
    for (; p + MR <= end; p += MR) {
        if (nv == NV) tile_avx512(s, p, MR, NV, w, bias, x, y, sums);
        else tile_avx512(s, p, MR, nv, w, bias, x, y, sums);
    }
    if (p < end) tile_avx512(s, p, end - p, nv, w, bias, x, y, sums);
}

AVX512 void st_f32_pointwise_avx512(const st_f32_conv *s, const float *packed, const float *bias, const float *x, float *y,
                                    float *sums) {
    const int pixels = s->out_height * s->out_width, panels = (s->out_channels + 16 * NV - 1) / (16 * NV);
    const int block = s->in_channels <= BLOCKED_MAX_INPUTS ? BLOCK_BYTES / (4 * s->in_channels) / MR * MR : pixels;
    for (int begin = 0; begin < pixels; begin += block) {
        const int end = begin + block < pixels ? begin + block : pixels;
        for (int j = 0; j < panels; j++) panel_avx512(s, j, begin, end, packed, bias, x, y, sums);
    }
}
#endif
