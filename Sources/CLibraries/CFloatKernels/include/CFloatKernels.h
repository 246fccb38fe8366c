// Float inference kernels that BLAS does not serve well: the grouped convolution of ResNeXt,
// whose per-group GEMMs (a few output channels each) leave a BLAS far below its peak, and the
// pointwise convolution, whose weights a BLAS packs again on every call and whose bias and
// ReLU would cost another pass over the output. One C
// target with a naive reference and SIMD families chosen at run time from the CPU's features
// (the same families as CInt8Kernels: generic, AVX2+FMA, AVX-512F, NEON).
//
// Layouts: activations NHWC (one image; channels innermost), weights OHWI [Co][kh][kw][Ci/groups].
// The SIMD families vectorise across output channels, spanning several groups per vector when a
// group is narrower than a vector: each lane's input is moved into place by an in-register
// shuffle, so no im2col rows are written. Results match the reference to float rounding
// (the SIMD families use fused multiply-add), not bit for bit.
#ifndef CFLOATKERNELS_H
#define CFLOATKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int height, width, in_channels;           // input [height][width][in_channels]
    int out_height, out_width, out_channels;  // output [out_height][out_width][out_channels]
    int groups, kernel, stride, padding, dilation;
    int relu;                                 // 1: max(0, .) fused after the bias
} st_f32_conv;

typedef enum {
    ST_F32_REFERENCE = 0,  // naive loops over the OHWI weights (also the fallback for any shape)
    ST_F32_AVX2 = 1,       // 8 lanes, FMA
    ST_F32_AVX512 = 2,     // 16 lanes, FMA
    ST_F32_NEON = 3,       // 4 lanes, FMA
    ST_F32_FAMILY_COUNT = 4
} st_f32_family;

/// 1 when this build contains the family and this CPU can run it.
int st_f32_family_supported(st_f32_family family);
/// The fastest supported family.
st_f32_family st_f32_best_family(void);
const char *st_f32_family_name(st_f32_family family);

/// The family that will run this shape: `family` when it handles the shape (a group's input and
/// output widths equal, and a vector holding whole groups or a group whole vectors), else the
/// reference.
st_f32_family st_f32_grouped_family(const st_f32_conv *shape, st_f32_family family);
/// Floats of packed weights for st_f32_grouped_run (call with the family st_f32_grouped_family gave).
size_t st_f32_grouped_packed_count(const st_f32_conv *shape, st_f32_family family);
/// OHWI weights -> the family's layout.
void st_f32_grouped_pack(const st_f32_conv *shape, st_f32_family family, const float *weights, float *packed);
/// y = [relu](conv(x, w) + bias). Allocates nothing.
void st_f32_grouped_run(const st_f32_conv *shape, st_f32_family family, const float *packed, const float *bias,
                        const float *x, float *y);

/// The family that will run this pointwise (1x1, unpadded, ungrouped, any stride) shape: `family`
/// when the output channels fill its vectors, else the reference.
st_f32_family st_f32_pointwise_family(const st_f32_conv *shape, st_f32_family family);
/// Floats of packed weights for st_f32_pointwise_run.
size_t st_f32_pointwise_packed_count(const st_f32_conv *shape, st_f32_family family);
/// [Co][Ci] weights -> the family's panels.
void st_f32_pointwise_pack(const st_f32_conv *shape, st_f32_family family, const float *weights, float *packed);
/// y = [relu](x W^T + bias) over every output pixel; with `sums` (else NULL), each channel's
/// outputs are also added to sums[Co] (a squeeze-and-excitation's pooling without another pass).
/// Allocates nothing.
void st_f32_pointwise_run(const st_f32_conv *shape, st_f32_family family, const float *packed, const float *bias,
                          const float *x, float *y, float *sums);

#ifdef __cplusplus
}
#endif
#endif
