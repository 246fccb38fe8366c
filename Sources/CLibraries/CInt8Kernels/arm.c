// AArch64 microkernels: plain NEON (int16 rows, smlal: exact int16 x int16 -> int32) for every
// AArch64 core, and SDOT (int8 rows, four int8 x int8 products into int32) where the dot-product
// extension exists (Armv8.2+, chosen at run time from HWCAP_ASIMDDP).
// Requantisation: fcvtns rounds half to even, as lrintf does. Built with -ffp-contract=off:
// GCC's arm_neon.h implements vmulq_f32 as `a * b`, which it would otherwise fuse into fmla.
#if defined(__aarch64__)
#include "internal.h"
#include <arm_neon.h>

#if defined(__clang__)
#define DOTPROD __attribute__((target("dotprod")))
#else
#define DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

static inline void store8_neon(int32x4_t lo, int32x4_t hi, const st_tile_header *tile, const st_requant *rq, int8_t *out, int nr_valid) {
    const float32x4_t mn = vdupq_n_f32(rq->min_less_zero), mx = vdupq_n_f32(rq->max_less_zero);
    float32x4_t fl = vmulq_f32(vcvtq_f32_s32(lo), vld1q_f32(tile->multiplier));
    float32x4_t fh = vmulq_f32(vcvtq_f32_s32(hi), vld1q_f32(tile->multiplier + 4));
    fl = vminq_f32(vmaxq_f32(fl, mn), mx);
    fh = vminq_f32(vmaxq_f32(fh, mn), mx);
    const int32x4_t z = vdupq_n_s32(rq->zero_point);
    const int32x4_t ql = vaddq_s32(vcvtnq_s32_f32(fl), z), qh = vaddq_s32(vcvtnq_s32_f32(fh), z);
    const int8x8_t b = vqmovn_s16(vcombine_s16(vqmovn_s32(ql), vqmovn_s32(qh)));  // exact: in int8 range
    if (nr_valid >= 8) {
        vst1_s8(out, b);
    } else {
        int8_t tmp[8];
        vst1_s8(tmp, b);
        memcpy(out, tmp, (size_t)nr_valid);
    }
}

// MARK: NEON, int16 rows: NR = 8 (two int32x4 per row), MR = 4.

void st_gemm_neon(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 4 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const int16_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const int16_t *)rows[i];
    int32x4_t lo[MR], hi[MR];
    for (int i = 0; i < MR; i++) lo[i] = vld1q_s32(tile->bias), hi[i] = vld1q_s32(tile->bias + 4);
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const int8x8x4_t b8 = vld4_s8(w + q * 32);  // val[k] = weights of lanes 0..7 for k
            const int16x8_t b0 = vmovl_s8(b8.val[0]), b1 = vmovl_s8(b8.val[1]), b2 = vmovl_s8(b8.val[2]), b3 = vmovl_s8(b8.val[3]);
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                const int16x4_t a = vld1_s16(r[i] + at);
                lo[i] = vmlal_lane_s16(lo[i], vget_low_s16(b0), a, 0);
                hi[i] = vmlal_lane_s16(hi[i], vget_high_s16(b0), a, 0);
                lo[i] = vmlal_lane_s16(lo[i], vget_low_s16(b1), a, 1);
                hi[i] = vmlal_lane_s16(hi[i], vget_high_s16(b1), a, 1);
                lo[i] = vmlal_lane_s16(lo[i], vget_low_s16(b2), a, 2);
                hi[i] = vmlal_lane_s16(hi[i], vget_high_s16(b2), a, 2);
                lo[i] = vmlal_lane_s16(lo[i], vget_low_s16(b3), a, 3);
                hi[i] = vmlal_lane_s16(hi[i], vget_high_s16(b3), a, 3);
            }
        }
    } else {
        // Lane n reads element k of its group's chunk: de-interleave 8 chunks, then a byte table
        // lookup picks each lane's group (at most 8 groups per tile of 8 lanes).
        const int base = tile->group[0];
        uint8_t idx[16];
        for (int l = 0; l < 8; l++) idx[2 * l] = (uint8_t)(2 * (tile->group[l] - base)), idx[2 * l + 1] = idx[2 * l] + 1;
        const uint8x16_t p = vld1q_u8(idx);
        for (int q = 0; q < k4; q++) {
            const int8x8x4_t b8 = vld4_s8(w + q * 32);
            const size_t at = q * cs + (size_t)base * 4;
            for (int i = 0; i < MR; i++) {
                const int16x8x4_t c = vld4q_s16(r[i] + at);  // val[k][j] = element k of chunk j
                for (int k = 0; k < 4; k++) {
                    const int16x8_t a = vreinterpretq_s16_u8(vqtbl1q_u8(vreinterpretq_u8_s16(c.val[k]), p));
                    const int16x8_t b = vmovl_s8(b8.val[k]);
                    lo[i] = vmlal_s16(lo[i], vget_low_s16(a), vget_low_s16(b));
                    hi[i] = vmlal_high_s16(hi[i], a, b);
                }
            }
        }
    }
    for (int i = 0; i < mr; i++) store8_neon(lo[i], hi[i], tile, rq, out[i], nr_valid);
}

// MARK: NEON SDOT, int8 rows: NR = 8 (two int32x4 of 4 lanes per row), MR = 4.

DOTPROD void st_gemm_neondot(
    int mr, int k4, size_t cs, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { MR = 4 };
    const int8_t *w = (const int8_t *)(tile + 1);
    const int8_t *r[MR];
    for (int i = 0; i < MR; i++) r[i] = (const int8_t *)rows[i];
    int32x4_t lo[MR], hi[MR];
    for (int i = 0; i < MR; i++) lo[i] = vld1q_s32(tile->bias), hi[i] = vld1q_s32(tile->bias + 4);
    if (tile->uniform) {
        const size_t g = (size_t)tile->group[0] * 4;
        for (int q = 0; q < k4; q++) {
            const int8x16_t b0 = vld1q_s8(w + q * 32), b1 = vld1q_s8(w + q * 32 + 16);
            const size_t at = q * cs + g;
            for (int i = 0; i < MR; i++) {
                int32_t chunk;
                memcpy(&chunk, r[i] + at, 4);
                const int8x16_t a = vreinterpretq_s8_s32(vdupq_n_s32(chunk));
                lo[i] = vdotq_s32(lo[i], b0, a);
                hi[i] = vdotq_s32(hi[i], b1, a);
            }
        }
    } else {
        const int base0 = tile->group[0], base1 = tile->group[4];
        uint8_t i0[16], i1[16];
        for (int l = 0; l < 4; l++)
            for (int j = 0; j < 4; j++) {
                i0[4 * l + j] = (uint8_t)(4 * (tile->group[l] - base0) + j);
                i1[4 * l + j] = (uint8_t)(4 * (tile->group[4 + l] - base1) + j);
            }
        const uint8x16_t p0 = vld1q_u8(i0), p1 = vld1q_u8(i1);
        for (int q = 0; q < k4; q++) {
            const int8x16_t b0 = vld1q_s8(w + q * 32), b1 = vld1q_s8(w + q * 32 + 16);
            const size_t at = q * cs;
            for (int i = 0; i < MR; i++) {
                const int8x16_t a0 = vqtbl1q_s8(vld1q_s8(r[i] + at + (size_t)base0 * 4), p0);
                const int8x16_t a1 = vqtbl1q_s8(vld1q_s8(r[i] + at + (size_t)base1 * 4), p1);
                lo[i] = vdotq_s32(lo[i], b0, a0);
                hi[i] = vdotq_s32(hi[i], b1, a1);
            }
        }
    }
    for (int i = 0; i < mr; i++) store8_neon(lo[i], hi[i], tile, rq, out[i], nr_valid);
}

void st_add_neon(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const int32x4_t za = vdupq_n_s32(p->a_zero_point), zb = vdupq_n_s32(p->b_zero_point), zy = vdupq_n_s32(rq.zero_point);
    const float32x4_t ma = vdupq_n_f32(p->a_multiplier), mb = vdupq_n_f32(p->b_multiplier);
    const float32x4_t lo = vdupq_n_f32(rq.min_less_zero), hi = vdupq_n_f32(rq.max_less_zero);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const int16x8_t va = vmovl_s8(vld1_s8(a + i)), vb = vmovl_s8(vld1_s8(b + i));
        int32x4_t q[2];
        for (int h = 0; h < 2; h++) {
            const int32x4_t xa = vsubq_s32(h ? vmovl_high_s16(va) : vmovl_s16(vget_low_s16(va)), za);
            const int32x4_t xb = vsubq_s32(h ? vmovl_high_s16(vb) : vmovl_s16(vget_low_s16(vb)), zb);
            const float32x4_t fa = vmulq_f32(vcvtq_f32_s32(xa), ma), fb = vmulq_f32(vcvtq_f32_s32(xb), mb);
            const float32x4_t v = vminq_f32(vmaxq_f32(vaddq_f32(fa, fb), lo), hi);
            q[h] = vaddq_s32(vcvtnq_s32_f32(v), zy);
        }
        vst1_s8(y + i, vqmovn_s16(vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]))));
    }
    for (; i < count; i++) y[i] = st_add_one(a[i], b[i], p, &rq);
}

void st_gated_add_neon(size_t pixels, size_t channels, const int8_t *a, const float *am, const int8_t *b, int8_t *y,
                       const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    const int32x4_t za = vdupq_n_s32(p->a_zero_point), zb = vdupq_n_s32(p->b_zero_point), zy = vdupq_n_s32(rq.zero_point);
    const float32x4_t mb = vdupq_n_f32(p->b_multiplier);
    const float32x4_t lo = vdupq_n_f32(rq.min_less_zero), hi = vdupq_n_f32(rq.max_less_zero);
    for (size_t i = 0; i < pixels; i++) {
        const int8_t *ar = a + i * channels, *br = b + i * channels;
        int8_t *yr = y + i * channels;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            const int16x8_t va = vmovl_s8(vld1_s8(ar + c)), vb = vmovl_s8(vld1_s8(br + c));
            int32x4_t q[2];
            for (int h = 0; h < 2; h++) {
                const int32x4_t xa = vsubq_s32(h ? vmovl_high_s16(va) : vmovl_s16(vget_low_s16(va)), za);
                const int32x4_t xb = vsubq_s32(h ? vmovl_high_s16(vb) : vmovl_s16(vget_low_s16(vb)), zb);
                const float32x4_t fa = vmulq_f32(vcvtq_f32_s32(xa), vld1q_f32(am + c + 4 * h)), fb = vmulq_f32(vcvtq_f32_s32(xb), mb);
                const float32x4_t v = vminq_f32(vmaxq_f32(vaddq_f32(fa, fb), lo), hi);
                q[h] = vaddq_s32(vcvtnq_s32_f32(v), zy);
            }
            vst1_s8(yr + c, vqmovn_s16(vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]))));
        }
        st_gated_add_row(c, channels, ar, am, br, yr, p, &rq);
    }
}

void st_quantize_neon(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    const float32x4_t inv = vdupq_n_f32(inverse_scale), hi = vdupq_n_f32(1048576.0f), lo = vdupq_n_f32(-1048576.0f);
    const int32x4_t z = vdupq_n_s32(zero_point);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        int32x4_t q[2];
        for (int h = 0; h < 2; h++) {
            // FMINNM/FMAXNM return the number when the other operand is NaN: NaN becomes hi, as
            // st_quantize_one (FMIN would pass the NaN on).
            const float32x4_t v = vmaxnmq_f32(vminnmq_f32(vmulq_f32(vld1q_f32(x + i + 4 * h), inv), hi), lo);
            q[h] = vaddq_s32(vcvtnq_s32_f32(v), z);
        }
        vst1_s8(y + i, vqmovn_s16(vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]))));
    }
    for (; i < count; i++) y[i] = st_quantize_one(x[i], inverse_scale, zero_point);
}
#endif
