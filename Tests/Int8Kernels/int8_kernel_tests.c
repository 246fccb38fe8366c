// Bit-exactness of every int8 kernel family against the scalar references (CInt8Kernels'
// reference.c), on random shapes that cover every tile tail (channels and pixels), groups
// (ResNeXt widths and odd ones), stride, dilation and padding, pixel-range splits (two threads),
// and adversarial data: all-max activations with +-127 weights over long reductions, and
// requantisation ties (multiplier 0.5: round half to even).
//
// Built and run by Tests/Int8Kernels/run.sh: natively (x86-64 families this CPU has) and with
// aarch64-linux-gnu-gcc under qemu-aarch64 (NEON; SDOT with -cpu max). A family the CPU lacks is
// reported as skipped with the feature it needs. Exit status 1 on any mismatch.
//
// usage: int8_kernel_tests [cases-per-family] [seed]
#include "CInt8Kernels.h"
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int uniform(int lo, int hi) { return lo + (int)(next_u64() % (uint64_t)(hi - lo + 1)); }  // inclusive
static float uniform_f(float lo, float hi) { return lo + (hi - lo) * (float)(next_u64() >> 40) / (float)(1 << 24); }

typedef enum { DATA_RANDOM, DATA_MAX_POSITIVE, DATA_MAX_NEGATIVE, DATA_MAX_ALTERNATING } data_kind;

static void fill_conv(const st_q8_conv_geometry *g, data_kind kind, int8_t *w, size_t wn, int32_t *bias, float *mult, int8_t *x, size_t xn) {
    for (size_t i = 0; i < xn; i++) x[i] = kind == DATA_RANDOM ? (int8_t)uniform(-128, 127) : (int8_t)127;
    for (size_t i = 0; i < wn; i++) {
        switch (kind) {
        case DATA_RANDOM: w[i] = (int8_t)uniform(-127, 127); break;
        case DATA_MAX_POSITIVE: w[i] = 127; break;
        case DATA_MAX_NEGATIVE: w[i] = -127; break;
        case DATA_MAX_ALTERNATING: w[i] = (i & 1) ? -127 : 127; break;
        }
    }
    const int choice = uniform(0, 3);
    for (int c = 0; c < g->out_channels; c++) {
        bias[c] = kind == DATA_RANDOM ? uniform(-20000, 20000) : uniform(0, 1) ? 1 : -1;
        if (choice == 0) mult[c] = 0.5f;  // every odd sum is a tie: round half to even
        else if (choice == 1) mult[c] = 1.0f / 1024.0f * uniform_f(0.5f, 1.0f);
        else mult[c] = uniform_f(1e-6f, 1e-2f);  // small and large: both clamps are hit
    }
}

static int report_mismatch(const char *what, const char *family, const int8_t *got, const int8_t *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            printf("MISMATCH %s [%s]: element %zu of %zu: got %d, reference %d\n", what, family, i, n, got[i], want[i]);
            return 1;
        }
    return 0;
}

static void describe(char *buf, size_t len, const st_q8_conv_geometry *g, data_kind kind) {
    snprintf(buf, len, "conv %dx%dx%d->%d k%d s%d p%d d%d g%d zx%d zy%d [%d,%d] data%d", g->height, g->width, g->in_channels,
             g->out_channels, g->kernel, g->stride, g->padding, g->dilation, g->groups, g->input_zero_point,
             g->output_zero_point, g->output_min, g->output_max, (int)kind);
}

static st_team *team;  // 3 members, made in main

static int test_conv(st_q8_family f, const st_q8_conv_geometry *g, data_kind kind) {
    const char *bad = st_q8_conv_check(g);
    if (bad) {
        printf("bad test geometry: %s\n", bad);
        return 1;
    }
    const int ho = st_q8_conv_out_height(g), wo = st_q8_conv_out_width(g);
    const size_t wn = (size_t)g->out_channels * g->kernel * g->kernel * (g->in_channels / g->groups);
    const size_t xn = (size_t)g->height * g->width * g->in_channels, yn = (size_t)ho * wo * g->out_channels;
    int8_t *w = malloc(wn), *x = malloc(xn), *want = malloc(yn), *got = malloc(yn);
    int32_t *bias = malloc(sizeof(int32_t) * g->out_channels);
    float *mult = malloc(sizeof(float) * g->out_channels);
    fill_conv(g, kind, w, wn, bias, mult, x, xn);
    st_q8_conv_reference(g, w, bias, mult, x, want);
    void *packed = malloc(st_q8_conv_packed_size(g, f));
    st_q8_conv_pack(g, f, w, bias, mult, packed);
    const size_t scratch_size = st_q8_conv_scratch_size(g, f);
    void *s1 = malloc(scratch_size), *s2 = malloc(scratch_size);
    memset(got, 0x55, yn);
    const int pixels = ho * wo, split = uniform(0, pixels);  // two "threads": [0, split), [split, pixels)
    st_q8_conv_run(g, packed, x, got, 0, split, s1);
    st_q8_conv_run(g, packed, x, got, split, pixels, s2);
    char what[200];
    describe(what, sizeof what, g, kind);
    int failed = report_mismatch(what, st_q8_family_name(f), got, want, yn);
    // The same split across a real team of threads (3 members, one scratch each).
    void *s3 = malloc(scratch_size);
    void *scratches[3] = {s1, s2, s3};
    memset(got, 0x55, yn);
    st_q8_conv_run_team(team, g, packed, x, got, scratches);
    failed |= report_mismatch("team of 3", st_q8_family_name(f), got, want, yn);
    free(w), free(x), free(want), free(got), free(bias), free(mult), free(packed), free(s1), free(s2), free(s3);
    return failed;
}

static st_q8_conv_geometry random_conv(void) {
    static const int group_choices[] = {1, 1, 1, 2, 3, 4, 8, 8, 16, 32};
    st_q8_conv_geometry g;
    memset(&g, 0, sizeof g);
    for (;;) {
        g.groups = group_choices[uniform(0, 9)];
        const int gin = g.groups == 1 ? uniform(1, 40) : uniform(1, 9);
        const int gout = g.groups == 1 ? uniform(1, 40) : uniform(1, 20);
        g.in_channels = g.groups * gin;
        g.out_channels = g.groups * gout;
        static const int kernels[] = {1, 1, 3, 3, 5, 7};
        g.kernel = kernels[uniform(0, 5)];
        g.stride = uniform(1, 3);
        g.dilation = g.kernel == 1 ? 1 : uniform(1, 3);
        g.padding = uniform(0, g.dilation * (g.kernel - 1) / 2 + 1);
        g.height = uniform(1, 13);
        g.width = uniform(1, 13);
        g.input_zero_point = uniform(-128, 127);
        g.output_zero_point = uniform(-128, 127);
        const int relu = uniform(0, 1);
        g.output_min = relu ? g.output_zero_point : -128;
        g.output_max = 127;
        if (!st_q8_conv_check(&g)) return g;
    }
}

static st_q8_conv_geometry make_conv(int h, int w, int ci, int co, int k, int s, int d, int groups, int zx, int zy, int relu) {
    st_q8_conv_geometry g = {h, w, ci, co, k, s, d * (k - 1) / 2, d, groups, zx, zy, relu ? zy : -128, 127};
    return g;
}

static int test_add(st_q8_family f, size_t n, int adversarial) {
    int8_t *a = malloc(n + 1), *b = malloc(n + 1), *want = malloc(n + 1), *got = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        a[i] = adversarial ? 127 : (int8_t)uniform(-128, 127);
        b[i] = adversarial ? (int8_t)(i & 1 ? -128 : 127) : (int8_t)uniform(-128, 127);
    }
    st_q8_add_params p = {uniform(-128, 127), uniform(-128, 127), uniform(-128, 127), -128, 127,
                          uniform_f(0.05f, 2.0f), uniform_f(0.05f, 2.0f)};
    if (uniform(0, 2) == 0) p.a_multiplier = 0.5f, p.b_multiplier = 0.5f;  // ties
    if (uniform(0, 1)) p.output_min = p.output_zero_point;
    st_q8_add_reference(n, a, b, want, &p);
    st_q8_add(f, n, a, b, got, &p);
    char what[64];
    snprintf(what, sizeof what, "add n=%zu", n);
    const int failed = report_mismatch(what, st_q8_family_name(f), got, want, n);
    free(a), free(b), free(want), free(got);
    return failed;
}

// Input quantisation: ties (k + 0.5) / inverse, values far out of range, infinities and NaN.
static int test_quantize(st_q8_family f) {
    const size_t n = (size_t)uniform(1, 200);
    float *x = malloc(sizeof(float) * n);
    int8_t *want = malloc(n), *got = malloc(n);
    const float inverse = uniform_f(0.5f, 200.0f);
    const int32_t z = uniform(-128, 127);
    for (size_t i = 0; i < n; i++) {
        switch (uniform(0, 9)) {
        case 0: x[i] = ((float)uniform(-300, 300) + 0.5f) / inverse; break;
        case 1: x[i] = uniform(0, 1) ? 3e9f : -3e9f; break;
        case 2: x[i] = uniform(0, 1) ? INFINITY : -INFINITY; break;
        case 3: x[i] = NAN; break;
        default: x[i] = uniform_f(-3.0f, 3.0f);
        }
    }
    st_q8_quantize_reference(n, x, inverse, z, want);
    st_q8_quantize(f, n, x, inverse, z, got);
    const int failed = report_mismatch("quantize", st_q8_family_name(f), got, want, n);
    free(x), free(want), free(got);
    return failed;
}

static int test_gated_add(st_q8_family f) {
    const size_t pixels = (size_t)uniform(1, 30), channels = (size_t)uniform(1, 90), n = pixels * channels;
    int8_t *a = malloc(n), *b = malloc(n), *want = malloc(n), *got = malloc(n);
    float *m = malloc(sizeof(float) * channels);
    const int adversarial = uniform(0, 4) == 0;
    for (size_t i = 0; i < n; i++) a[i] = adversarial ? 127 : (int8_t)uniform(-128, 127), b[i] = adversarial ? -128 : (int8_t)uniform(-128, 127);
    for (size_t c = 0; c < channels; c++) m[c] = uniform(0, 3) == 0 ? 0.5f : uniform_f(0.0f, 2.0f);
    st_q8_add_params p = {uniform(-128, 127), uniform(-128, 127), uniform(-128, 127), -128, 127, 0, uniform_f(0.05f, 2.0f)};
    if (uniform(0, 1)) p.output_min = p.output_zero_point;
    st_q8_gated_add_reference(pixels, channels, a, m, b, want, &p);
    st_q8_gated_add(f, pixels, channels, a, m, b, got, &p);
    int failed = report_mismatch("gated add", st_q8_family_name(f), got, want, n);
    memset(got, 0x55, n);
    st_q8_gated_add_team(team, f, pixels, channels, a, m, b, got, &p);
    failed |= report_mismatch("gated add, team of 3", st_q8_family_name(f), got, want, n);
    free(a), free(b), free(want), free(got), free(m);
    return failed;
}

static int test_pools(st_q8_family f) {
    st_q8_pool_geometry g;
    g.channels = uniform(1, 300);
    g.kernel = uniform(1, 4);
    g.stride = uniform(1, 3);
    g.padding = uniform(0, g.kernel / 2);
    g.height = uniform(g.kernel, 12);
    g.width = uniform(g.kernel, 12);
    g.input_zero_point = uniform(-128, 127);
    g.output_zero_point = uniform(-128, 127);
    g.output_min = uniform(0, 1) ? g.output_zero_point : -128;
    g.output_max = 127;
    g.multiplier = uniform(0, 2) == 0 ? 0.5f : uniform_f(0.3f, 3.0f);
    const size_t xn = (size_t)g.height * g.width * g.channels;
    const size_t yn = (size_t)st_q8_pool_out_height(&g) * st_q8_pool_out_width(&g) * g.channels;
    int8_t *x = malloc(xn), *want = malloc(yn), *got = malloc(yn);
    int32_t *sums = malloc(sizeof(int32_t) * g.channels);
    const int adversarial = uniform(0, 3) == 0;
    for (size_t i = 0; i < xn; i++) x[i] = adversarial ? 127 : (int8_t)uniform(-128, 127);
    int failed = 0;
    char what[96];
    snprintf(what, sizeof what, "max pool %dx%dx%d k%d s%d p%d", g.height, g.width, g.channels, g.kernel, g.stride, g.padding);
    st_q8_max_pool_reference(&g, x, want);
    st_q8_max_pool(f, &g, x, got);
    failed |= report_mismatch(what, st_q8_family_name(f), got, want, yn);
    what[0] = 'a', what[1] = 'v', what[2] = 'g';
    st_q8_avg_pool_reference(&g, x, want);
    st_q8_avg_pool(f, &g, x, got);
    failed |= report_mismatch(what, st_q8_family_name(f), got, want, yn);
    st_q8_global_avg_pool_reference(&g, x, want);
    st_q8_global_avg_pool(f, &g, x, got, sums);
    failed |= report_mismatch("global avg pool", st_q8_family_name(f), got, want, (size_t)g.channels);
    free(x), free(want), free(got), free(sums);
    return failed;
}

int main(int argc, char **argv) {
    const int cases = argc > 1 ? atoi(argv[1]) : 300;
    const uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    int total_failed = 0, families_run = 0;
    team = st_team_create(3);
    if (st_team_size(team) != 3) { printf("FAILED: a team of 3 threads could not be made\n"); return 1; }
    printf("int8 kernels: best family here: %s\n", st_q8_family_name(st_q8_best_family()));
    for (int fi = 0; fi < ST_Q8_FAMILY_COUNT; fi++) {
        const st_q8_family f = (st_q8_family)fi;
        if (!st_q8_family_supported(f)) {
            printf("SKIPPED %-10s this CPU (or this architecture's build) lacks: %s\n", st_q8_family_name(f), st_q8_family_requirement(f));
            continue;
        }
        rng_state = 0x9E3779B97F4A7C15ull ^ (seed * 0x100000001B3ull);
        int failed = 0, convs = 0, adds = 0, pools = 0, quantised = 0;
        // The ResNeXt layers (edge and paper widths; stride, dilation as in the networks), at small images.
        const int resnext[][6] = {
            // ci, co, k, stride, dilation, groups
            {1, 16, 7, 2, 1, 1},  {1, 64, 7, 2, 1, 1},   {16, 16, 1, 1, 1, 1},  {16, 16, 3, 1, 1, 8},
            {32, 32, 3, 2, 1, 8}, {64, 64, 3, 2, 1, 8},  {128, 128, 3, 1, 2, 8}, {128, 128, 3, 1, 1, 32},
            {256, 256, 3, 2, 1, 32}, {512, 512, 3, 1, 2, 32}, {64, 256, 1, 1, 1, 1}, {256, 512, 1, 2, 1, 1},
            {2048, 40, 1, 1, 1, 1}, {1024, 2048, 1, 2, 1, 1},
        };
        for (size_t i = 0; i < sizeof resnext / sizeof resnext[0]; i++) {
            const int *r = resnext[i];
            const int hw = r[0] >= 1024 ? 3 : r[0] >= 256 ? 6 : 11;
            st_q8_conv_geometry g = make_conv(hw, hw + 1, r[0], r[1], r[2], r[3], r[4], r[5], uniform(-128, 127), uniform(-128, 127), (int)(i & 1));
            failed += test_conv(f, &g, DATA_RANDOM);
            convs++;
        }
        // Adversarial: all-max activations (127, z_x = -128 -> x - z_x = 255) against +-127 weights,
        // over reductions up to 9 x 1024 = 9216 (|acc| up to 2.99e8).
        const int adversarial[][6] = {{1024, 16, 3, 1, 1, 1}, {512, 512, 3, 1, 1, 32}, {2048, 24, 1, 1, 1, 1}, {64, 64, 3, 1, 2, 8}};
        for (size_t i = 0; i < sizeof adversarial / sizeof adversarial[0]; i++)
            for (int kind = DATA_MAX_POSITIVE; kind <= DATA_MAX_ALTERNATING; kind++) {
                const int *r = adversarial[i];
                st_q8_conv_geometry g = make_conv(4, 5, r[0], r[1], r[2], r[3], r[4], r[5], -128, uniform(-128, 127), 0);
                failed += test_conv(f, &g, (data_kind)kind);
                convs++;
            }
        // 1x1 convolutions whose rows are the (encoded) input itself, over several row blocks
        // (a block holds 128 KiB of rows: 256 pixels of 256 int16 channels).
        for (int i = 0; i < 2; i++) {
            st_q8_conv_geometry g = make_conv(20, 21, 256, 24 + 8 * i, 1, 1, 1, 1, uniform(-128, 127), uniform(-128, 127), i);
            failed += test_conv(f, &g, DATA_RANDOM);
            convs++;
        }
        // Fully connected = 1x1 convolution on a 1x1 image.
        for (int i = 0; i < 8; i++) {
            st_q8_conv_geometry g = make_conv(1, 1, uniform(1, 300), uniform(1, 70), 1, 1, 1, 1, uniform(-128, 127), uniform(-128, 127), i & 1);
            failed += test_conv(f, &g, DATA_RANDOM);
            convs++;
        }
        for (int i = 0; i < cases; i++) {
            st_q8_conv_geometry g = random_conv();
            failed += test_conv(f, &g, uniform(0, 9) == 0 ? (data_kind)uniform(1, 3) : DATA_RANDOM);
            convs++;
        }
        for (int i = 0; i < cases; i++) failed += test_add(f, (size_t)uniform(0, 200), uniform(0, 7) == 0), adds++;
        for (int i = 0; i < cases / 2; i++) failed += test_gated_add(f), adds++;
        for (int i = 0; i < cases / 2; i++) failed += test_quantize(f), quantised++;
        for (int i = 0; i < cases / 3 + 1; i++) failed += test_pools(f), pools += 3;
        printf("%-10s %s: %d convolutions (incl. fully connected), %d residual adds (plain and SE-gated), %d pools, %d input quantisations: %s\n",
               st_q8_family_name(f), failed ? "FAILED" : "ok", convs, adds, pools, quantised, failed ? "mismatches above" : "bit-exact with the scalar reference (convolutions and gated adds also split across 3 threads)");
        total_failed += failed;
        families_run++;
    }
    printf("int8 kernels: %d families run, %s\n", families_run, total_failed ? "FAILED" : "all bit-exact");
    st_team_destroy(team);
    return total_failed ? 1 : 0;
}
