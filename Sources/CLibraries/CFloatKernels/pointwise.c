// Pointwise (1x1) convolution: the reference, the packing every SIMD family shares, and dispatch.
// It is a GEMM y[P][Co] = x[P][Ci] W[Ci][Co] whose weights are known at load, so they are packed
// once into panels of NR output channels ([Co / NR][Ci][NR]); the input rows are read in place
// (a strided 1x1 convolution picks its rows by address), and the bias and ReLU are applied to
// the accumulators before the only store, so no pass over the output follows.
#include "internal.h"
#include <string.h>

// Output channels per panel of each family; 0: the family has no pointwise kernel. AVX-512 only:
// an AVX2 6x16 tile measured 0.91x OpenBLAS sgemm + the bias pass on a Zen 4 (AVX2 machines and
// NEON keep sgemm).
static const int panel[ST_F32_FAMILY_COUNT] = {1, 0, 16 * ST_F32_POINTWISE_VECTORS, 0};

st_f32_family st_f32_pointwise_family(const st_f32_conv *s, st_f32_family family) {
    if (family == ST_F32_REFERENCE || !st_f32_family_supported(family) || panel[family] == 0) return ST_F32_REFERENCE;
    if (s->kernel != 1 || s->padding != 0 || s->groups != 1) return ST_F32_REFERENCE;
    // The last panel may be narrower (whole vectors).
    if (s->out_channels % 16 != 0) return ST_F32_REFERENCE;
    return family;
}

size_t st_f32_pointwise_packed_count(const st_f32_conv *s, st_f32_family family) {
    family = st_f32_pointwise_family(s, family);
    const int nr = panel[family];
    return (size_t)((s->out_channels + nr - 1) / nr) * nr * s->in_channels;
}

// Lane l of panel j at input k holds W[j * NR + l][k] (zero past the last output channel).
void st_f32_pointwise_pack(const st_f32_conv *s, st_f32_family family, const float *w, float *packed) {
    family = st_f32_pointwise_family(s, family);
    if (family == ST_F32_REFERENCE) {
        memcpy(packed, w, (size_t)s->out_channels * s->in_channels * sizeof(float));
        return;
    }
    const int nr = panel[family], ci = s->in_channels, panels = (s->out_channels + nr - 1) / nr;
    for (int j = 0; j < panels; j++) {
        for (int k = 0; k < ci; k++) {
            for (int l = 0; l < nr; l++) {
                const int o = j * nr + l;
                packed[((size_t)j * ci + k) * nr + l] = o < s->out_channels ? w[(size_t)o * ci + k] : 0;
            }
        }
    }
}

void st_f32_pointwise_reference(const st_f32_conv *s, const float *w, const float *bias, const float *x, float *y, float *sums) {
    for (int oy = 0; oy < s->out_height; oy++) {
        for (int ox = 0; ox < s->out_width; ox++) {
            const float *in = x + st_f32_pointwise_row(s, oy * s->out_width + ox);
            float *out = y + ((size_t)oy * s->out_width + ox) * s->out_channels;
            for (int o = 0; o < s->out_channels; o++) {
                const float *wt = w + (size_t)o * s->in_channels;
                float sum = bias[o];
                for (int k = 0; k < s->in_channels; k++) sum += in[k] * wt[k];
                out[o] = s->relu && sum < 0 ? 0 : sum;
                if (sums) sums[o] += out[o];
            }
        }
    }
}

void st_f32_pointwise_run(const st_f32_conv *s, st_f32_family family, const float *packed, const float *bias,
                          const float *x, float *y, float *sums) {
    switch (st_f32_pointwise_family(s, family)) {
#if defined(__x86_64__)
    case ST_F32_AVX512: st_f32_pointwise_avx512(s, packed, bias, x, y, sums); return;
#endif
    default: st_f32_pointwise_reference(s, packed, bias, x, y, sums); return;
    }
}
