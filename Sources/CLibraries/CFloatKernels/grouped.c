// Grouped convolution: the reference, the packing every SIMD family shares, and dispatch.
#include "internal.h"
#include <string.h>

const float st_f32_zeros[ST_F32_ZEROS];

static const int lanes[ST_F32_FAMILY_COUNT] = {1, 8, 16, 4};
static const char *const names[ST_F32_FAMILY_COUNT] = {"reference", "avx2", "avx512", "neon"};

const char *st_f32_family_name(st_f32_family family) {
    return (unsigned)family < ST_F32_FAMILY_COUNT ? names[family] : "unknown";
}

int st_f32_family_supported(st_f32_family family) {
    switch (family) {
    case ST_F32_REFERENCE: return 1;
#if defined(__x86_64__)
    case ST_F32_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ST_F32_AVX512: return __builtin_cpu_supports("avx512f");
#endif
#if defined(__aarch64__)
    case ST_F32_NEON: return 1;
#endif
    default: return 0;
    }
}

st_f32_family st_f32_best_family(void) {
    for (int f = ST_F32_FAMILY_COUNT - 1; f > 0; f--) {
        if (st_f32_family_supported((st_f32_family)f)) return (st_f32_family)f;
    }
    return ST_F32_REFERENCE;
}

st_f32_family st_f32_grouped_family(const st_f32_conv *s, st_f32_family family) {
    if (family == ST_F32_REFERENCE || !st_f32_family_supported(family)) return ST_F32_REFERENCE;
    const int v = lanes[family];
    const int cin = s->in_channels / s->groups, cout = s->out_channels / s->groups;
    if (cin != cout || s->out_channels % v != 0 || cin + v > ST_F32_ZEROS) return ST_F32_REFERENCE;
    if (cout % v == 0) return family;                       // a group spans whole vectors: broadcast inputs
    if (v % cout == 0 && family != ST_F32_NEON) return family;  // a vector spans whole groups: shuffled inputs
    return ST_F32_REFERENCE;
}

size_t st_f32_grouped_packed_count(const st_f32_conv *s, st_f32_family family) {
    (void)family;
    return (size_t)s->out_channels * s->kernel * s->kernel * (s->in_channels / s->groups);
}

// SIMD layout: [Co / V][tap][k][V], lane l of block b holding output b * V + l's weight for
// input k of its group at that tap. The reference keeps OHWI.
void st_f32_grouped_pack(const st_f32_conv *s, st_f32_family family, const float *w, float *packed) {
    family = st_f32_grouped_family(s, family);
    const int taps = s->kernel * s->kernel, cin = s->in_channels / s->groups;
    if (family == ST_F32_REFERENCE) {
        memcpy(packed, w, st_f32_grouped_packed_count(s, family) * sizeof(float));
        return;
    }
    const int v = lanes[family];
    for (int o = 0; o < s->out_channels; o++) {
        const int b = o / v, l = o % v;
        for (int t = 0; t < taps; t++) {
            for (int k = 0; k < cin; k++) {
                packed[(((size_t)b * taps + t) * cin + k) * v + l] = w[((size_t)o * taps + t) * cin + k];
            }
        }
    }
}

void st_f32_grouped_reference(const st_f32_conv *s, const float *w, const float *bias, const float *x, float *y) {
    const int cin = s->in_channels / s->groups, cout = s->out_channels / s->groups, k = s->kernel;
    for (int oy = 0; oy < s->out_height; oy++) {
        for (int ox = 0; ox < s->out_width; ox++) {
            float *out = y + ((size_t)oy * s->out_width + ox) * s->out_channels;
            for (int o = 0; o < s->out_channels; o++) {
                const int g = o / cout;
                float sum = bias[o];
                for (int ky = 0; ky < k; ky++) {
                    const int iy = oy * s->stride - s->padding + ky * s->dilation;
                    if (iy < 0 || iy >= s->height) continue;
                    for (int kx = 0; kx < k; kx++) {
                        const int ix = ox * s->stride - s->padding + kx * s->dilation;
                        if (ix < 0 || ix >= s->width) continue;
                        const float *in = x + ((size_t)iy * s->width + ix) * s->in_channels + g * cin;
                        const float *wt = w + (((size_t)o * k + ky) * k + kx) * cin;
                        for (int c = 0; c < cin; c++) sum += in[c] * wt[c];
                    }
                }
                out[o] = s->relu && sum < 0 ? 0 : sum;
            }
        }
    }
}

void st_f32_grouped_run(const st_f32_conv *s, st_f32_family family, const float *packed, const float *bias,
                        const float *x, float *y) {
    switch (st_f32_grouped_family(s, family)) {
#if defined(__x86_64__)
    case ST_F32_AVX2: st_f32_grouped_avx2(s, packed, bias, x, y); return;
    case ST_F32_AVX512: st_f32_grouped_avx512(s, packed, bias, x, y); return;
#endif
#if defined(__aarch64__)
    case ST_F32_NEON: st_f32_grouped_neon(s, packed, bias, x, y); return;
#endif
    default: st_f32_grouped_reference(s, packed, bias, x, y); return;
    }
}
