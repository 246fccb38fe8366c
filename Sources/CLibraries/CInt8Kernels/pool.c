// Pooling over NHWC int8. The inner loops run across channels (contiguous), which the compiler
// vectorises for every target at -O2 (vpmaxsb / smax, vpaddd / add); the integer results do not
// depend on the family, and the requantisation is the shared scalar one.
#include "internal.h"

int32_t st_q8_pool_out_height(const st_q8_pool_geometry *g) { return (g->height + 2 * g->padding - g->kernel) / g->stride + 1; }
int32_t st_q8_pool_out_width(const st_q8_pool_geometry *g) { return (g->width + 2 * g->padding - g->kernel) / g->stride + 1; }

// The gated add runs across channels like the pools (the compiler vectorises the inner loop);
// its fp32 steps are those of st_add_one, in the same order.
void st_q8_gated_add(st_q8_family family, size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                     const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    st_family(family)->gated_add(pixels, channels, a, a_multipliers, b, y, p);
}

void st_q8_quantize(st_q8_family family, size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    st_family(family)->quantize(count, x, inverse_scale, zero_point, y);
}

void st_quantize_scalar(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    for (size_t i = 0; i < count; i++) y[i] = st_quantize_one(x[i], inverse_scale, zero_point);
}

void st_gated_add_scalar(size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                         const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    for (size_t i = 0; i < pixels; i++) st_gated_add_row(0, channels, a + i * channels, a_multipliers, b + i * channels, y + i * channels, p, &rq);
}

#define MAX8(a, b) ((a) > (b) ? (a) : (b))

// The body of every max pool build. The ResNet stem's pool (3x3, stride 2, padding 1) reads the
// 9 taps of an interior output pixel with no bounds checks; borders and other shapes take the
// general loops. The integer result is the same for every build.
static inline __attribute__((always_inline)) void max_pool_body(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    const int ho = st_q8_pool_out_height(g), wo = st_q8_pool_out_width(g), c = g->channels;
    const int8_t lo = (int8_t)g->output_min, hi = (int8_t)g->output_max;
    const int stem = g->kernel == 3 && g->stride == 2 && g->padding == 1;
    const size_t pitch = (size_t)g->width * c;
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++) {
            // restrict: input and output never overlap, so the channel loops vectorise.
            int8_t *restrict out = y + ((size_t)oy * wo + ox) * c;
            if (stem && oy >= 1 && 2 * oy + 1 < g->height && ox >= 1 && 2 * ox + 1 < g->width) {
                const int8_t *restrict r0 = x + ((size_t)(2 * oy - 1) * g->width + 2 * ox - 1) * c;
                const int8_t *restrict r1 = r0 + pitch, *restrict r2 = r1 + pitch;
                for (int i = 0; i < c; i++) {
                    int8_t m = MAX8(MAX8(r0[i], r0[i + c]), r0[i + 2 * c]);
                    m = MAX8(m, MAX8(MAX8(r1[i], r1[i + c]), r1[i + 2 * c]));
                    m = MAX8(m, MAX8(MAX8(r2[i], r2[i + c]), r2[i + 2 * c]));
                    m = MAX8(m, lo);
                    out[i] = m > hi ? hi : m;
                }
                continue;
            }
            for (int i = 0; i < c; i++) out[i] = lo;  // the clamp's floor (-128 without ReLU)
            for (int ky = 0; ky < g->kernel; ky++) {
                const int iy = oy * g->stride - g->padding + ky;
                if (iy < 0 || iy >= g->height) continue;
                for (int kx = 0; kx < g->kernel; kx++) {
                    const int ix = ox * g->stride - g->padding + kx;
                    if (ix < 0 || ix >= g->width) continue;
                    const int8_t *restrict in = x + ((size_t)iy * g->width + ix) * c;
                    for (int i = 0; i < c; i++) out[i] = in[i] > out[i] ? in[i] : out[i];
                }
            }
            for (int i = 0; i < c; i++) out[i] = out[i] > hi ? hi : out[i];
        }
}

#if defined(__x86_64__)
// Built for AVX2 too: byte max (vpmaxsb) is SSE4.1, so the baseline build emulates it.
__attribute__((target("avx2"))) static void max_pool_avx2(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    max_pool_body(g, x, y);
}
#endif

static void max_pool_baseline(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) { max_pool_body(g, x, y); }

void st_q8_max_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
#if defined(__x86_64__)
    if (family != ST_Q8_GENERIC && st_q8_family_supported(family)) {
        max_pool_avx2(g, x, y);  // every x86 SIMD family implies AVX2
        return;
    }
#endif
    (void)family;
    max_pool_baseline(g, x, y);
}

void st_q8_avg_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    (void)family;
    enum { CHUNK = 256 };
    const int ho = st_q8_pool_out_height(g), wo = st_q8_pool_out_width(g), c = g->channels;
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    int32_t sums[CHUNK];
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
            for (int c0 = 0; c0 < c; c0 += CHUNK) {
                const int cn = c - c0 < CHUNK ? c - c0 : CHUNK;
                int32_t n = 0;
                for (int i = 0; i < cn; i++) sums[i] = 0;
                for (int ky = 0; ky < g->kernel; ky++) {
                    const int iy = oy * g->stride - g->padding + ky;
                    if (iy < 0 || iy >= g->height) continue;
                    for (int kx = 0; kx < g->kernel; kx++) {
                        const int ix = ox * g->stride - g->padding + kx;
                        if (ix < 0 || ix >= g->width) continue;
                        const int8_t *in = x + ((size_t)iy * g->width + ix) * c + c0;
                        for (int i = 0; i < cn; i++) sums[i] += in[i];
                        n++;
                    }
                }
                const float m = g->multiplier / (float)n;
                int8_t *out = y + ((size_t)oy * wo + ox) * c + c0;
                for (int i = 0; i < cn; i++) out[i] = st_requantize(sums[i] - n * g->input_zero_point, m, &rq);
            }
}

void st_q8_global_avg_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y, int32_t *sums) {
    (void)family;
    const int c = g->channels;
    const int32_t n = g->height * g->width;
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    for (int i = 0; i < c; i++) sums[i] = 0;
    for (int32_t p = 0; p < n; p++) {
        const int8_t *in = x + (size_t)p * c;
        for (int i = 0; i < c; i++) sums[i] += in[i];
    }
    const float m = g->multiplier / (float)n;
    for (int i = 0; i < c; i++) y[i] = st_requantize(sums[i] - n * g->input_zero_point, m, &rq);
}
