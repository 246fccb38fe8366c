// The scalar references: each op's definition as a direct loop, no packing, no tiling. Every
// family is tested bit-exact against these (Tests/Int8Kernels).
#include "internal.h"

void st_q8_conv_reference(
    const st_q8_conv_geometry *g, const int8_t *weight, const int32_t *bias, const float *multiplier,
    const int8_t *x, int8_t *y
) {
    const int ho = st_q8_conv_out_height(g), wo = st_q8_conv_out_width(g);
    const int gin = g->in_channels / g->groups, gout = g->out_channels / g->groups;
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    for (int oy = 0; oy < ho; oy++) {
        for (int ox = 0; ox < wo; ox++) {
            for (int c = 0; c < g->out_channels; c++) {
                const int group = c / gout;
                int32_t acc = bias[c];
                for (int ky = 0; ky < g->kernel; ky++) {
                    const int iy = oy * g->stride - g->padding + ky * g->dilation;
                    if (iy < 0 || iy >= g->height) continue;  // padding: x = z_x contributes 0
                    for (int kx = 0; kx < g->kernel; kx++) {
                        const int ix = ox * g->stride - g->padding + kx * g->dilation;
                        if (ix < 0 || ix >= g->width) continue;
                        const int8_t *xp = x + ((size_t)iy * g->width + ix) * g->in_channels + group * gin;
                        const int8_t *wp = weight + (((size_t)c * g->kernel + ky) * g->kernel + kx) * gin;
                        for (int i = 0; i < gin; i++) acc += ((int32_t)xp[i] - g->input_zero_point) * (int32_t)wp[i];
                    }
                }
                y[((size_t)oy * wo + ox) * g->out_channels + c] = st_requantize(acc, multiplier[c], &rq);
            }
        }
    }
}

void st_q8_add_reference(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    for (size_t i = 0; i < count; i++) y[i] = st_add_one(a[i], b[i], p, &rq);
}

void st_q8_gated_add_reference(size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                               const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    for (size_t i = 0; i < pixels; i++)
        for (size_t c = 0; c < channels; c++) {
            st_q8_add_params q = *p;
            q.a_multiplier = a_multipliers[c];
            const size_t k = i * channels + c;
            y[k] = st_add_one(a[k], b[k], &q, &rq);
        }
}

void st_q8_max_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    const int ho = st_q8_pool_out_height(g), wo = st_q8_pool_out_width(g);
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
            for (int c = 0; c < g->channels; c++) {
                int best = -129;
                for (int ky = 0; ky < g->kernel; ky++)
                    for (int kx = 0; kx < g->kernel; kx++) {
                        const int iy = oy * g->stride - g->padding + ky, ix = ox * g->stride - g->padding + kx;
                        if (iy < 0 || iy >= g->height || ix < 0 || ix >= g->width) continue;
                        const int v = x[((size_t)iy * g->width + ix) * g->channels + c];
                        if (v > best) best = v;
                    }
                int v = best < g->output_min ? g->output_min : best;
                v = v > g->output_max ? g->output_max : v;
                y[((size_t)oy * wo + ox) * g->channels + c] = (int8_t)v;
            }
}

void st_q8_avg_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    const int ho = st_q8_pool_out_height(g), wo = st_q8_pool_out_width(g);
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
            for (int c = 0; c < g->channels; c++) {
                int32_t sum = 0, n = 0;
                for (int ky = 0; ky < g->kernel; ky++)
                    for (int kx = 0; kx < g->kernel; kx++) {
                        const int iy = oy * g->stride - g->padding + ky, ix = ox * g->stride - g->padding + kx;
                        if (iy < 0 || iy >= g->height || ix < 0 || ix >= g->width) continue;
                        sum += x[((size_t)iy * g->width + ix) * g->channels + c];
                        n++;
                    }
                const float m = g->multiplier / (float)n;
                y[((size_t)oy * wo + ox) * g->channels + c] = st_requantize(sum - n * g->input_zero_point, m, &rq);
            }
}

void st_q8_global_avg_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y) {
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    const int32_t n = g->height * g->width;
    const float m = g->multiplier / (float)n;
    for (int c = 0; c < g->channels; c++) {
        int32_t sum = 0;
        for (int32_t p = 0; p < n; p++) sum += x[(size_t)p * g->channels + c];
        y[c] = st_requantize(sum - n * g->input_zero_point, m, &rq);
    }
}

// Written the way the Swift engine quantised its input before this kernel existed.
void st_q8_quantize_reference(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y) {
    for (size_t i = 0; i < count; i++) {
        const float v = rintf(x[i] * inverse_scale) + (float)zero_point;
        const float low = v < 127.0f ? v : 127.0f;                // Swift's min(127, v): NaN gives 127
        const float clamped = low >= -128.0f ? low : -128.0f;     // Swift's max(-128, low)
        y[i] = (int8_t)(int32_t)clamped;
    }
}
