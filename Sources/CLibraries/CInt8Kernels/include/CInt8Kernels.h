// Int8 inference kernels (TFLite int8 arithmetic), one C target with a scalar reference and
// SIMD families chosen at run time from the CPU's features (dispatch.c is the one place).
//
// Arithmetic (DESIGN.md section 4):
//   weights  per-output-channel symmetric int8 in [-127, 127], zero point 0;
//   activations per-tensor asymmetric int8 (scale s, zero point z);
//   bias int32 with scale s_x * s_w[c];
//   acc[c]  = bias[c] + sum (x - z_x) * w           (exact int32)
//   y       = clamp(rint_even(fp32(acc) * m[c]), min - z_y, max - z_y) + z_y,
//             m[c] = s_x * s_w[c] / s_y (fp32), clamped in fp32 before rounding,
//             rounding half to even (the FPU's default mode) - the XNNPACK "fp32" requantisation.
//   Fused ReLU is output_min = z_y.
// Layouts: activations NHWC (one image; channels innermost), weights OHWI [Co][kh][kw][Ci/groups].
#ifndef CINT8KERNELS_H
#define CINT8KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel families. Each is compiled into every build for its architecture; a family runs only
/// where the CPU has its features (st_q8_family_supported).
typedef enum {
    ST_Q8_GENERIC = 0,     // portable C (packed layout, same tiling logic as the SIMD families)
    ST_Q8_AVX2 = 1,        // int8 -> int16 sign extension + vpmaddwd (exact)
    ST_Q8_AVX512BW = 2,    // the same with 512-bit vectors
    ST_Q8_AVXVNNI = 3,     // vpdpbusd on 256-bit vectors (VEX, Alder Lake / Zen 5)
    ST_Q8_AVX512VNNI = 4,  // vpdpbusd on 512-bit vectors (Cascade Lake / Ice Lake / Zen 4+)
    ST_Q8_NEON = 5,        // int16 vmlal (every AArch64 core, e.g. Cortex-A72)
    ST_Q8_NEONDOT = 6,     // SDOT (Armv8.2 dot-product extension, e.g. Cortex-A55/A76)
    ST_Q8_FAMILY_COUNT = 7
} st_q8_family;

/// 1 when this build contains the family and this CPU (and OS) can run it.
int st_q8_family_supported(st_q8_family family);
/// The fastest supported family (the engine's default).
st_q8_family st_q8_best_family(void);
const char *st_q8_family_name(st_q8_family family);
/// The CPU feature(s) a family needs, for "skipped: CPU lacks ..." messages.
const char *st_q8_family_requirement(st_q8_family family);
/// Multiply-accumulates one core retires per cycle at best with this family's instructions
/// (the physical limit used for "share of peak" figures), from the instruction mix.
double st_q8_family_peak_macs_per_cycle(st_q8_family family);

// MARK: Convolution (also fully connected: 1x1 kernel on a 1x1 image, and 1x1 pointwise).

typedef struct {
    int32_t height, width;             // input spatial size
    int32_t in_channels, out_channels;
    int32_t kernel, stride, padding, dilation, groups;  // square kernel, symmetric padding
    int32_t input_zero_point;          // z_x in [-128, 127]
    int32_t output_zero_point;         // z_y
    int32_t output_min, output_max;    // clamp of y (fused ReLU: output_min = z_y)
} st_q8_conv_geometry;

int32_t st_q8_conv_out_height(const st_q8_conv_geometry *g);
int32_t st_q8_conv_out_width(const st_q8_conv_geometry *g);
/// NULL when the geometry is valid, else a message naming the bad field.
const char *st_q8_conv_check(const st_q8_conv_geometry *g);

/// Bytes of the packed weights for a family (allocate once at load).
size_t st_q8_conv_packed_size(const st_q8_conv_geometry *g, st_q8_family family);
/// Packs weight [Co][k][k][Ci/groups] (int8, |w| <= 127), bias [Co] (int32) and the requantisation
/// multipliers m [Co] (fp32) for `family`. The zero points are folded in, so the packed weights
/// belong to this geometry.
void st_q8_conv_pack(
    const st_q8_conv_geometry *g, st_q8_family family, const int8_t *weight, const int32_t *bias,
    const float *multiplier, void *packed);
/// Bytes of scratch one thread needs for st_q8_conv_run (allocate once at load).
size_t st_q8_conv_scratch_size(const st_q8_conv_geometry *g, st_q8_family family);
/// y [Ho*Wo][Co] for output pixels [pixel_begin, pixel_end) of x [H][W][Ci]. No allocation;
/// two threads may run disjoint pixel ranges with separate scratch.
void st_q8_conv_run(
    const st_q8_conv_geometry *g, const void *packed, const int8_t *x, int8_t *y,
    int32_t pixel_begin, int32_t pixel_end, void *scratch);

/// The scalar reference: the definition above, a direct loop with no packing.
void st_q8_conv_reference(
    const st_q8_conv_geometry *g, const int8_t *weight, const int32_t *bias, const float *multiplier,
    const int8_t *x, int8_t *y);

// MARK: Residual add: y = clamp(rint(fp32(a - z_a) * m_a + fp32(b - z_b) * m_b), ...) + z_y,
// with m_a = s_a / s_y, m_b = s_b / s_y; the two products are rounded to fp32 before the sum.

typedef struct {
    int32_t a_zero_point, b_zero_point, output_zero_point;
    int32_t output_min, output_max;
    float a_multiplier, b_multiplier;
} st_q8_add_params;

void st_q8_add(st_q8_family family, size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p);
void st_q8_add_reference(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p);

/// The squeeze-and-excitation block's end: y[p][c] = clamp(rint(fp32(a - z_a) * m_a[c] +
/// fp32(b - z_b) * m_b), ...) + z_y over [pixels][channels], with m_a[c] = s_a * gate[c] / s_y
/// (the float SE gate folded into a per-channel multiplier) and a_multiplier unused.
void st_q8_gated_add(st_q8_family family, size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                     const int8_t *b, int8_t *y, const st_q8_add_params *p);
void st_q8_gated_add_reference(size_t pixels, size_t channels, const int8_t *a, const float *a_multipliers,
                               const int8_t *b, int8_t *y, const st_q8_add_params *p);

// MARK: Threads. A team splits one layer across threads (output pixels in contiguous ranges,
// one scratch per member): bit-exact with one thread, since every output is computed the same
// way. Helpers spin briefly between layers and sleep on a futex between frames.

typedef struct st_team st_team;
typedef void (*st_team_fn)(void *ctx, int index, int count);
/// threads - 1 helper threads (1 to 8); NULL only when out of memory.
st_team *st_team_create(int threads);
int st_team_size(const st_team *team);
/// fn(ctx, i, size) on every member, the caller being member 0; returns when all are done.
void st_team_run(st_team *team, st_team_fn fn, void *ctx);
void st_team_destroy(st_team *team);
/// st_q8_conv_run over all output pixels, split across the team; scratch: one per member.
void st_q8_conv_run_team(st_team *team, const st_q8_conv_geometry *g, const void *packed, const int8_t *x, int8_t *y,
                         void *const *scratch);
/// st_q8_gated_add over all pixels, split across the team.
void st_q8_gated_add_team(st_team *team, st_q8_family family, size_t pixels, size_t channels, const int8_t *a,
                          const float *a_multipliers, const int8_t *b, int8_t *y, const st_q8_add_params *p);

/// A float tensor into int8: y = clamp(rint(x * inverse_scale) + z, -128, 127), rounding half to
/// even; NaN gives 127 (what the Swift expression `Int8(max(-128, min(127, rounded + z)))` gives).
void st_q8_quantize(st_q8_family family, size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y);
void st_q8_quantize_reference(size_t count, const float *x, float inverse_scale, int32_t zero_point, int8_t *y);

// MARK: Pooling (NHWC, one image). Max pooling keeps the input's scale and zero point (padding
// never wins). Average pooling divides by the number of real pixels in the window
// (padding excluded) and requantises: y = clamp(rint(fp32(sum - n z_x) * (m / n)), ...) + z_y,
// m = s_x / s_y, the division m / n done in fp32.

typedef struct {
    int32_t height, width, channels;
    int32_t kernel, stride, padding;
    int32_t input_zero_point, output_zero_point, output_min, output_max;
    float multiplier;  // s_x / s_y (average pooling only)
} st_q8_pool_geometry;

int32_t st_q8_pool_out_height(const st_q8_pool_geometry *g);
int32_t st_q8_pool_out_width(const st_q8_pool_geometry *g);
void st_q8_max_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y);
void st_q8_max_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y);
void st_q8_avg_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y);
void st_q8_avg_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y);
/// y [C] = average over H*W of x [H*W][C], requantised as above (kernel/stride/padding unused).
/// sums: scratch of `channels` int32.
void st_q8_global_avg_pool(st_q8_family family, const st_q8_pool_geometry *g, const int8_t *x, int8_t *y, int32_t *sums);
void st_q8_global_avg_pool_reference(const st_q8_pool_geometry *g, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif
