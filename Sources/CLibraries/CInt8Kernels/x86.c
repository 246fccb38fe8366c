// x86-64 microkernels. Each function is compiled for its own ISA with a target attribute, so
// one binary carries every family and dispatch.c picks what the CPU has.
//
// Exactness: the int16 families sign-extend both operands and use vpmaddwd (int16 x int16,
// pairs summed into int32: |x - z_x| <= 255, |w| <= 127, no overflow). vpmaddubsw (saturating
// int16 pair sums) is not used. The VNNI families use vpdpbusd (u8 x s8, four products summed
// into int32 without saturation; rows hold x + 128, the bias the correction).
// Requantisation: vcvtps2dq rounds half to even under the default MXCSR, as lrintf does.
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVXVNNI __attribute__((target("avx2,avxvnni")))

// MARK: 256-bit requantisation: 8 int32 sums -> 8 int8 stored (nr_valid of them).

AVX2 static inline void store8_avx2(__m256i sums, const st_tile_header *tile, int c0, const st_requant *rq, int8_t *out, int nr_valid) {
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(sums), _mm256_loadu_ps(tile->multiplier + c0));
    v = _mm256_max_ps(v, _mm256_set1_ps(rq->min_less_zero));
    v = _mm256_min_ps(v, _mm256_set1_ps(rq->max_less_zero));
    __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(rq->zero_point));
    __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));  // exact: in int8 range
    __m128i b8 = _mm_packs_epi16(w16, w16);
    if (nr_valid >= 8) {
        _mm_storel_epi64((__m128i *)out, b8);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, b8);
        memcpy(out, tmp, (size_t)nr_valid);
    }
}

// MARK: AVX2, int16 rows: NR = 8 (two vectors of 4 lanes x {k01, k23} dword pairs), MR = 4.

AVX2 void st_gemm_avx2(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 4 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const int16_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const int16_t *)rows[i];
    __m256i acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q * 32)));
            const __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q * 32 + 16)));
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                int64_t chunk;
                memcpy(&chunk, r[i] + at, 8);
                const __m256i a = _mm256_set1_epi64x(chunk);
                acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(a, b0));
                acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(a, b1));
            }
        }
    } else {
        // Lanes 0-3 gather from groups base0.., lanes 4-7 from base1.. (at most 4 groups each).
        const int base0 = tile->group[0], base1 = tile->group[4];
        int32_t i0[8], i1[8];
        for (int l = 0; l < 4; l++) {
            i0[2 * l] = 2 * (tile->group[l] - base0), i0[2 * l + 1] = i0[2 * l] + 1;
            i1[2 * l] = 2 * (tile->group[4 + l] - base1), i1[2 * l + 1] = i1[2 * l] + 1;
        }
        const __m256i p0 = _mm256_loadu_si256((const __m256i *)i0), p1 = _mm256_loadu_si256((const __m256i *)i1);
        for (int q = 0; q < k4; q++) {
            const __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q * 32)));
            const __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q * 32 + 16)));
            const size_t at = q * cs;
            for (int i = 0; i < MR; i++) {
                const __m256i a0 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(r[i] + at + base0 * 4)), p0);
                const __m256i a1 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(r[i] + at + base1 * 4)), p1);
                acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(a0, b0));
                acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(a1, b1));
            }
        }
    }
    const __m256i bias = _mm256_loadu_si256((const __m256i *)tile->bias);
    for (int i = 0; i < mr; i++) {
        // [n0a n0b n1a n1b | n2a n2b n3a n3b] + same for n4..7 -> hadd -> [n0 n1 n4 n5 | n2 n3 n6 n7]
        __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][0], acc[i][1]), 0xD8);
        store8_avx2(_mm256_add_epi32(s, bias), tile, 0, rq, out[i], nr_valid);
    }
}

AVX2 void st_add_avx2(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const __m256i za = _mm256_set1_epi32(p->a_zero_point), zb = _mm256_set1_epi32(p->b_zero_point);
    const __m256 ma = _mm256_set1_ps(p->a_multiplier), mb = _mm256_set1_ps(p->b_multiplier);
    const __m256 lo = _mm256_set1_ps(rq.min_less_zero), hi = _mm256_set1_ps(rq.max_less_zero);
    const __m256i zy = _mm256_set1_epi32(rq.zero_point);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256i va = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(a + i)));
        const __m256i vb = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + i)));
        const __m256 fa = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(va, za)), ma);
        const __m256 fb = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(vb, zb)), mb);
        __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(fa, fb), lo), hi);
        const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zy);
        const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64((__m128i *)(y + i), _mm_packs_epi16(w16, w16));
    }
    for (; i < count; i++) y[i] = st_add_one(a[i], b[i], p, &rq);
}

AVX2 void st_gated_add_avx2(size_t pixels, size_t channels, const int8_t *a, const float *am, const int8_t *b, int8_t *y,
                            const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const __m256i za = _mm256_set1_epi32(p->a_zero_point), zb = _mm256_set1_epi32(p->b_zero_point);
    const __m256 mb = _mm256_set1_ps(p->b_multiplier);
    const __m256 lo = _mm256_set1_ps(rq.min_less_zero), hi = _mm256_set1_ps(rq.max_less_zero);
    const __m256i zy = _mm256_set1_epi32(rq.zero_point);
    for (size_t i = 0; i < pixels; i++) {
        const int8_t *ar = a + i * channels, *br = b + i * channels;
        int8_t *yr = y + i * channels;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            const __m256i va = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(ar + c)));
            const __m256i vb = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(br + c)));
            const __m256 fa = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(va, za)), _mm256_loadu_ps(am + c));
            const __m256 fb = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(vb, zb)), mb);
            const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(fa, fb), lo), hi);
            const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zy);
            const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
            _mm_storel_epi64((__m128i *)(yr + c), _mm_packs_epi16(w16, w16));
        }
        st_gated_add_row(c, channels, ar, am, br, yr, p, &rq);
    }
}

AVX2 void st_quantize_avx2(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    const __m256 inv = _mm256_set1_ps(inverse_scale), hi = _mm256_set1_ps(1048576.0f), lo = _mm256_set1_ps(-1048576.0f);
    const __m256i z = _mm256_set1_epi32(zero_point);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        // min(v, hi) returns hi for NaN (its second operand), as st_quantize_one.
        const __m256 v = _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), inv), hi), lo);
        const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), z);
        const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));  // saturating
        _mm_storel_epi64((__m128i *)(y + i), _mm_packs_epi16(w16, w16));
    }
    for (; i < count; i++) y[i] = st_quantize_one(x[i], inverse_scale, zero_point);
}

// MARK: AVX-512BW, int16 rows: NR = 16 (two vectors of 8 lanes x {k01, k23}), MR = 8.

AVX512 static inline void store16_avx512(__m512i sums, const st_tile_header *tile, const st_requant *rq, int8_t *out, int nr_valid) {
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(sums), _mm512_loadu_ps(tile->multiplier));
    v = _mm512_max_ps(v, _mm512_set1_ps(rq->min_less_zero));
    v = _mm512_min_ps(v, _mm512_set1_ps(rq->max_less_zero));
    const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(rq->zero_point));
    _mm_mask_storeu_epi8(out, (__mmask16)(nr_valid >= 16 ? 0xFFFF : (1u << nr_valid) - 1), _mm512_cvtsepi32_epi8(q));
}

AVX512 void st_gemm_avx512bw(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 8 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const int16_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const int16_t *)rows[i];
    __m512i acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + q * 64)));
            const __m512i b1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + q * 64 + 32)));
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                int64_t chunk;
                memcpy(&chunk, r[i] + at, 8);
                const __m512i a = _mm512_set1_epi64(chunk);
                acc[i][0] = _mm512_add_epi32(acc[i][0], _mm512_madd_epi16(a, b0));
                acc[i][1] = _mm512_add_epi32(acc[i][1], _mm512_madd_epi16(a, b1));
            }
        }
    } else {
        const int base0 = tile->group[0], base1 = tile->group[8];
        int64_t i0[8], i1[8];
        for (int l = 0; l < 8; l++) i0[l] = tile->group[l] - base0, i1[l] = tile->group[8 + l] - base1;
        const __m512i p0 = _mm512_loadu_si512(i0), p1 = _mm512_loadu_si512(i1);
        for (int q = 0; q < k4; q++) {
            const __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + q * 64)));
            const __m512i b1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + q * 64 + 32)));
            const size_t at = q * cs;
            for (int i = 0; i < MR; i++) {
                const __m512i a0 = _mm512_permutexvar_epi64(p0, _mm512_loadu_si512(r[i] + at + base0 * 4));
                const __m512i a1 = _mm512_permutexvar_epi64(p1, _mm512_loadu_si512(r[i] + at + base1 * 4));
                acc[i][0] = _mm512_add_epi32(acc[i][0], _mm512_madd_epi16(a0, b0));
                acc[i][1] = _mm512_add_epi32(acc[i][1], _mm512_madd_epi16(a1, b1));
            }
        }
    }
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i bias = _mm512_loadu_si512(tile->bias);
    for (int i = 0; i < mr; i++) {
        const __m512i s = _mm512_add_epi32(
            _mm512_permutex2var_epi32(acc[i][0], even, acc[i][1]), _mm512_permutex2var_epi32(acc[i][0], odd, acc[i][1]));
        store16_avx512(_mm512_add_epi32(s, bias), tile, rq, out[i], nr_valid);
    }
}

AVX512 void st_add_avx512bw(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const __m512i za = _mm512_set1_epi32(p->a_zero_point), zb = _mm512_set1_epi32(p->b_zero_point);
    const __m512 ma = _mm512_set1_ps(p->a_multiplier), mb = _mm512_set1_ps(p->b_multiplier);
    const __m512 lo = _mm512_set1_ps(rq.min_less_zero), hi = _mm512_set1_ps(rq.max_less_zero);
    const __m512i zy = _mm512_set1_epi32(rq.zero_point);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512i va = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(a + i)));
        const __m512i vb = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + i)));
        const __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(va, za)), ma);
        const __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(vb, zb)), mb);
        const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(fa, fb), lo), hi);
        _mm_storeu_si128((__m128i *)(y + i), _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zy)));
    }
    for (; i < count; i++) y[i] = st_add_one(a[i], b[i], p, &rq);
}

AVX512 void st_gated_add_avx512bw(size_t pixels, size_t channels, const int8_t *a, const float *am, const int8_t *b, int8_t *y,
                                  const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const __m512i za = _mm512_set1_epi32(p->a_zero_point), zb = _mm512_set1_epi32(p->b_zero_point);
    const __m512 mb = _mm512_set1_ps(p->b_multiplier);
    const __m512 lo = _mm512_set1_ps(rq.min_less_zero), hi = _mm512_set1_ps(rq.max_less_zero);
    const __m512i zy = _mm512_set1_epi32(rq.zero_point);
    for (size_t i = 0; i < pixels; i++) {
        const int8_t *ar = a + i * channels, *br = b + i * channels;
        int8_t *yr = y + i * channels;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            const __m512i va = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(ar + c)));
            const __m512i vb = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(br + c)));
            const __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(va, za)), _mm512_loadu_ps(am + c));
            const __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(vb, zb)), mb);
            const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(fa, fb), lo), hi);
            _mm_storeu_si128((__m128i *)(yr + c), _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zy)));
        }
        st_gated_add_row(c, channels, ar, am, br, yr, p, &rq);
    }
}

AVX512 void st_quantize_avx512bw(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    const __m512 inv = _mm512_set1_ps(inverse_scale), hi = _mm512_set1_ps(1048576.0f), lo = _mm512_set1_ps(-1048576.0f);
    const __m512i z = _mm512_set1_epi32(zero_point);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 v = _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), inv), hi), lo);
        _mm_storeu_si128((__m128i *)(y + i), _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), z)));
    }
    for (; i < count; i++) y[i] = st_quantize_one(x[i], inverse_scale, zero_point);
}

// MARK: AVX-512 VNNI, uint8 rows: NR = 16 lanes of vpdpbusd, MR = 8.

AVX512VNNI void st_gemm_avx512vnni(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 8 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const uint8_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const uint8_t *)rows[i];
    __m512i acc[MR];
    const __m512i bias = _mm512_loadu_si512(tile->bias);
    for (int i = 0; i < MR; i++) acc[i] = bias;
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const __m512i b = _mm512_loadu_si512(w + q * 64);
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                int32_t chunk;
                memcpy(&chunk, r[i] + at, 4);
                acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_set1_epi32(chunk), b);
            }
        }
    } else {
        const int base = tile->group[0];
        int32_t idx[16];
        for (int l = 0; l < 16; l++) idx[l] = tile->group[l] - base;
        const __m512i p = _mm512_loadu_si512(idx);
        for (int q = 0; q < k4; q++) {
            const __m512i b = _mm512_loadu_si512(w + q * 64);
            const size_t at = q * cs + (size_t)base * 4;
            for (int i = 0; i < MR; i++)
                acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_permutexvar_epi32(p, _mm512_loadu_si512(r[i] + at)), b);
        }
    }
    for (int i = 0; i < mr; i++) store16_avx512(acc[i], tile, rq, out[i], nr_valid);
}

// MARK: AVX-VNNI (VEX, 256-bit), uint8 rows: NR = 8 lanes, MR = 6.

AVXVNNI void st_gemm_avxvnni(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 6 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const uint8_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const uint8_t *)rows[i];
    __m256i acc[MR];
    const __m256i bias = _mm256_loadu_si256((const __m256i *)tile->bias);
    for (int i = 0; i < MR; i++) acc[i] = bias;
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(w + q * 32));
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                int32_t chunk;
                memcpy(&chunk, r[i] + at, 4);
                acc[i] = _mm256_dpbusd_avx_epi32(acc[i], _mm256_set1_epi32(chunk), b);
            }
        }
    } else {
        const int base = tile->group[0];
        int32_t idx[8];
        for (int l = 0; l < 8; l++) idx[l] = tile->group[l] - base;
        const __m256i p = _mm256_loadu_si256((const __m256i *)idx);
        for (int q = 0; q < k4; q++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(w + q * 32));
            const size_t at = q * cs + (size_t)base * 4;
            for (int i = 0; i < MR; i++)
                acc[i] = _mm256_dpbusd_avx_epi32(acc[i], _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(r[i] + at)), p), b);
        }
    }
    for (int i = 0; i < mr; i++) store8_avx2(acc[i], tile, 0, rq, out[i], nr_valid);
}
#endif
