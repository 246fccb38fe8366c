// Grouped and pointwise float convolution: every family this machine runs against the naive reference, on
// ResNeXt's shapes and random ones covering the pixel-chunk tails, the border columns, stride,
// dilation, padding, groups narrower and wider than a vector, and shapes no SIMD family takes
// (which must fall back to the reference). Tolerance: float rounding of a sum of up to
// kernel^2 * Ci/g products (the SIMD families fuse multiply and add).
#include "CFloatKernels.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state = 1;
static uint32_t next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static int uniform(int lo, int hi) { return lo + (int)(next() % (uint32_t)(hi - lo + 1)); }
static float value(void) { return (float)((int)(next() % 2001) - 1000) / 1000.0f; }

// The reference run through the public API must equal the naive loops; each family is then
// compared with it. Returns 1 on failure.
static int test_shape(st_f32_family family, int h, int w, int cin_g, int groups, int k, int stride, int dil, int pad, int relu) {
    st_f32_conv s = {h, w, cin_g * groups, 0, 0, cin_g * groups, groups, k, stride, pad, dil, relu};
    s.out_height = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    s.out_width = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    if (s.out_height <= 0 || s.out_width <= 0) return 0;
    const size_t nx = (size_t)h * w * s.in_channels, nw = (size_t)s.out_channels * k * k * cin_g;
    const size_t ny = (size_t)s.out_height * s.out_width * s.out_channels;
    float *x = malloc(nx * sizeof *x), *wt = malloc(nw * sizeof *wt), *bias = malloc(s.out_channels * sizeof *bias);
    float *packed = malloc(st_f32_grouped_packed_count(&s, family) * sizeof *packed);
    float *want = malloc(ny * sizeof *want), *got = malloc(ny * sizeof *got);
    for (size_t i = 0; i < nx; i++) x[i] = value();
    for (size_t i = 0; i < nw; i++) wt[i] = value();
    for (int i = 0; i < s.out_channels; i++) bias[i] = value();
    st_f32_grouped_run(&s, ST_F32_REFERENCE, wt, bias, x, want);
    st_f32_grouped_pack(&s, family, wt, packed);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    st_f32_grouped_run(&s, family, packed, bias, x, got);
    int failed = 0;
    const float tolerance = 1e-6f * (float)(k * k * cin_g + 1);
    for (size_t i = 0; i < ny && !failed; i++) {
        if (!(fabsf(got[i] - want[i]) <= tolerance * fmaxf(1.0f, fabsf(want[i])))) {
            printf("FAILED %s: %dx%d, %d groups of %d, k%d s%d d%d p%d relu %d (%s): output %zu is %g, reference %g\n",
                   st_f32_family_name(family), h, w, groups, cin_g, k, stride, dil, pad, relu,
                   st_f32_family_name(st_f32_grouped_family(&s, family)), i, got[i], want[i]);
            failed = 1;
        }
    }
    free(x); free(wt); free(bias); free(packed); free(want); free(got);
    return failed;
}

// Pointwise (1x1) convolution: the pointwise reference against the grouped reference (one group,
// an independent loop nest), then the family against it; Co not a multiple of 16 must fall back.
static int test_pointwise(st_f32_family family, int h, int w, int cin, int cout, int stride, int relu) {
    st_f32_conv s = {h, w, cin, (h - 1) / stride + 1, (w - 1) / stride + 1, cout, 1, 1, stride, 0, 1, relu};
    const size_t nx = (size_t)h * w * cin, nw = (size_t)cout * cin, ny = (size_t)s.out_height * s.out_width * cout;
    float *x = malloc(nx * sizeof *x), *wt = malloc(nw * sizeof *wt), *bias = malloc(cout * sizeof *bias);
    float *packed = malloc(st_f32_pointwise_packed_count(&s, family) * sizeof *packed);
    float *naive = malloc(ny * sizeof *naive), *want = malloc(ny * sizeof *want), *got = malloc(ny * sizeof *got);
    float *want_sums = malloc(cout * sizeof *want_sums), *got_sums = malloc(cout * sizeof *got_sums);
    for (size_t i = 0; i < nx; i++) x[i] = value();
    for (size_t i = 0; i < nw; i++) wt[i] = value();
    for (int i = 0; i < cout; i++) bias[i] = value();
    for (int i = 0; i < cout; i++) want_sums[i] = got_sums[i] = (float)i;  // sums are added to what is there
    st_f32_grouped_run(&s, ST_F32_REFERENCE, wt, bias, x, naive);
    st_f32_pointwise_run(&s, ST_F32_REFERENCE, wt, bias, x, want, want_sums);
    st_f32_pointwise_pack(&s, family, wt, packed);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    st_f32_pointwise_run(&s, family, packed, bias, x, got, got_sums);
    int failed = 0;
    const float tolerance = 1e-6f * (float)(cin + 1);
    const int pixels = s.out_height * s.out_width;
    for (int o = 0; o < cout && !failed; o++) {
        float naive_sum = (float)o;
        for (int p = 0; p < pixels; p++) naive_sum += naive[(size_t)p * cout + o];
        const float scale = fmaxf(1.0f, fabsf(naive_sum)) * tolerance * (float)(pixels + 1);
        if (!(fabsf(want_sums[o] - naive_sum) <= scale) || !(fabsf(got_sums[o] - naive_sum) <= scale)) {
            printf("FAILED %s pointwise sums: %dx%d, %d -> %d, s%d: channel %d sum %g, reference %g, naive %g\n", st_f32_family_name(family),
                   h, w, cin, cout, stride, o, got_sums[o], want_sums[o], naive_sum);
            failed = 1;
        }
    }
    for (size_t i = 0; i < ny && !failed; i++) {
        if (naive[i] != want[i] || !(fabsf(got[i] - want[i]) <= tolerance * fmaxf(1.0f, fabsf(want[i])))) {
            printf("FAILED %s pointwise: %dx%d, %d -> %d, s%d relu %d (%s): output %zu is %g, reference %g (naive %g)\n",
                   st_f32_family_name(family), h, w, cin, cout, stride, relu,
                   st_f32_family_name(st_f32_pointwise_family(&s, family)), i, got[i], want[i], naive[i]);
            failed = 1;
        }
    }
    free(x); free(wt); free(bias); free(packed); free(naive); free(want); free(got); free(want_sums); free(got_sums);
    return failed;
}

int main(int argc, char **argv) {
    const int cases = argc > 1 ? atoi(argv[1]) : 200;
    const uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    int total_failed = 0;
    printf("float kernels: best family here: %s\n", st_f32_family_name(st_f32_best_family()));
    for (int fi = 0; fi < ST_F32_FAMILY_COUNT; fi++) {
        const st_f32_family f = (st_f32_family)fi;
        if (!st_f32_family_supported(f)) {
            printf("SKIPPED %-9s this CPU (or this architecture's build) cannot run it\n", st_f32_family_name(f));
            continue;
        }
        rng_state = 0x9E3779B97F4A7C15ull ^ (seed * 0x100000001B3ull);
        int failed = 0, run = 0, simd = 0;
        // ResNeXt's grouped 3x3 layers (edge: 2-16 channels per group; paper 32x4d: 4-32), small images.
        const int resnext[][5] = {
            // channels per group, groups, stride, dilation, size
            {2, 8, 1, 1, 17}, {4, 8, 2, 1, 17}, {8, 8, 1, 2, 13}, {16, 8, 1, 1, 9},
            {4, 32, 1, 1, 19}, {8, 32, 2, 1, 15}, {16, 32, 1, 2, 11}, {32, 32, 1, 2, 7}, {32, 32, 2, 1, 7},
        };
        for (size_t i = 0; i < sizeof resnext / sizeof resnext[0]; i++) {
            const int *r = resnext[i];
            failed += test_shape(f, r[4], r[4] + 3, r[0], r[1], 3, r[2], r[3], r[3], (int)(i & 1));
            run++;
        }
        for (int i = 0; i < cases; i++) {
            const int widths[] = {1, 2, 3, 4, 5, 8, 12, 16, 24, 32};
            const int cin_g = widths[uniform(0, 9)], groups = uniform(1, 6) * (cin_g < 16 ? 16 / cin_g : 1);
            const int k = uniform(0, 3) == 0 ? 1 : 3, stride = uniform(1, 2), dil = uniform(1, 2), pad = uniform(0, 2);
            st_f32_conv probe = {1, 1, cin_g * groups, 1, 1, cin_g * groups, groups, k, stride, pad, dil, 0};
            simd += st_f32_grouped_family(&probe, f) == f;
            failed += test_shape(f, uniform(1, 14), uniform(1, 21), cin_g, groups, k, stride, dil, pad, uniform(0, 1));
            run++;
        }
        printf("%-9s %s: %d shapes (%d of the random ones on this family's own kernel), %d failed\n", st_f32_family_name(f),
               failed ? "FAILED" : "ok", run, simd, failed);
        total_failed += failed;
        // Pointwise: the paper network's 1x1 layers (small images), then random shapes covering
        // the pixel tails, narrower last panels, strides and widths no family takes.
        failed = run = simd = 0;
        // (the last: 420 pixels of 256 inputs, more than one of the AVX-512 kernel's pixel blocks)
        const int layers[][4] = {{64, 256, 1, 9}, {256, 128, 1, 7}, {512, 1024, 2, 6}, {2048, 1024, 1, 3}, {1024, 2048, 1, 4}, {256, 80, 1, 20}};
        for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
            failed += test_pointwise(f, layers[i][3], layers[i][3] + 1, layers[i][0], layers[i][1], layers[i][2], (int)(i & 1));
            run++;
        }
        for (int i = 0; i < cases; i++) {
            const int cout = uniform(0, 5) == 0 ? uniform(1, 40) : 16 * uniform(1, 9);
            st_f32_conv probe = {1, 1, 8, 1, 1, cout, 1, 1, 1, 0, 1, 0};
            simd += st_f32_pointwise_family(&probe, f) == f;
            failed += test_pointwise(f, uniform(1, 9), uniform(1, 13), uniform(1, 70), cout, uniform(1, 2), uniform(0, 1));
            run++;
        }
        printf("%-9s %s: %d pointwise shapes (%d of the random ones on this family's own kernel), %d failed\n",
               st_f32_family_name(f), failed ? "FAILED" : "ok", run, simd, failed);
        total_failed += failed;
    }
    return total_failed ? 1 : 0;
}
