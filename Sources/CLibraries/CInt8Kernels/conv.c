// Convolution driver shared by every family: geometry, weight packing, im2col rows, tiling.
// Only the microkernel (st_family(f)->gemm) differs between families.
//
// Rows: for each output pixel, the receptive field laid out [k4][groups][4] (k = tap * Ci/g + i
// within a group, padded to a multiple of 4). A tile of NR output channels then reads, per k4
// step, one 4-element chunk per group it spans: dense convolutions broadcast one chunk, grouped
// ones (ResNeXt, 2-32 channels per group) gather a few chunks across groups into the lanes,
// so one microkernel call covers NR channels of several groups instead of a GEMM per group.
#include "internal.h"
#include <stdlib.h>

int32_t st_q8_conv_out_height(const st_q8_conv_geometry *g) {
    return (g->height + 2 * g->padding - g->dilation * (g->kernel - 1) - 1) / g->stride + 1;
}

int32_t st_q8_conv_out_width(const st_q8_conv_geometry *g) {
    return (g->width + 2 * g->padding - g->dilation * (g->kernel - 1) - 1) / g->stride + 1;
}

const char *st_q8_conv_check(const st_q8_conv_geometry *g) {
    if (g->height < 1 || g->width < 1) return "height and width must be positive";
    if (g->in_channels < 1 || g->out_channels < 1) return "channel counts must be positive";
    if (g->kernel < 1 || g->stride < 1 || g->dilation < 1 || g->padding < 0) return "kernel, stride, dilation must be positive and padding non-negative";
    if (g->groups < 1 || g->in_channels % g->groups || g->out_channels % g->groups) return "groups must divide in_channels and out_channels";
    if (g->input_zero_point < -128 || g->input_zero_point > 127 || g->output_zero_point < -128 || g->output_zero_point > 127) return "zero points must be int8";
    if (g->output_min < -128 || g->output_max > 127 || g->output_min > g->output_max) return "output_min..output_max must be an int8 range";
    if (st_q8_conv_out_height(g) < 1 || st_q8_conv_out_width(g) < 1) return "the output is empty (kernel larger than the padded input)";
    return NULL;
}

typedef struct {
    int32_t family, k4, tiles, tile_bytes;
    int32_t reserved[12];
} st_packed_header;  // 64 bytes

static int conv_k4(const st_q8_conv_geometry *g) {
    const int kg = g->kernel * g->kernel * (g->in_channels / g->groups);
    return (kg + 3) / 4;
}

static size_t tile_bytes(const st_family_desc *d, int k4) {
    return sizeof(st_tile_header) + (size_t)k4 * d->nr * 4;
}

size_t st_q8_conv_packed_size(const st_q8_conv_geometry *g, st_q8_family family) {
    const st_family_desc *d = st_family(family);
    const int tiles = (g->out_channels + d->nr - 1) / d->nr;
    return sizeof(st_packed_header) + (size_t)tiles * tile_bytes(d, conv_k4(g));
}

void st_q8_conv_pack(
    const st_q8_conv_geometry *g, st_q8_family family, const int8_t *weight, const int32_t *bias,
    const float *multiplier, void *packed
) {
    const st_family_desc *d = st_family(family);
    const int kg = g->kernel * g->kernel * (g->in_channels / g->groups);
    const int k4 = conv_k4(g), nr = d->nr;
    const int gout = g->out_channels / g->groups;
    const int tiles = (g->out_channels + nr - 1) / nr;
    st_packed_header *h = (st_packed_header *)packed;
    memset(h, 0, sizeof *h);
    h->family = family;
    h->k4 = k4;
    h->tiles = tiles;
    h->tile_bytes = (int32_t)tile_bytes(d, k4);
    // What a padded or out-of-image input contributes must cancel: the bias absorbs the
    // constant part of the family's row encoding (see st_elem).
    const int32_t offset = d->elem == ST_ELEM_S8 ? g->input_zero_point : d->elem == ST_ELEM_U8 ? 128 + g->input_zero_point : 0;
    for (int t = 0; t < tiles; t++) {
        uint8_t *base = (uint8_t *)packed + sizeof *h + (size_t)t * h->tile_bytes;
        st_tile_header *th = (st_tile_header *)base;
        int8_t *w = (int8_t *)(base + sizeof *th);
        memset(th, 0, sizeof *th);
        th->uniform = 1;
        for (int n = 0; n < nr; n++) {
            const int c = t * nr + n;
            const int valid = c < g->out_channels;
            const int ce = valid ? c : g->out_channels - 1;  // tail lanes: zero weights, discarded
            th->group[n] = ce / gout;
            if (th->group[n] != th->group[0]) th->uniform = 0;
            int32_t sum = 0;
            for (int q = 0; q < k4; q++)
                for (int j = 0; j < 4; j++) {
                    const int k = q * 4 + j;
                    const int8_t v = (valid && k < kg) ? weight[(size_t)c * kg + k] : 0;
                    w[((size_t)q * nr + n) * 4 + j] = v;
                    sum += v;
                }
            th->bias[n] = valid ? bias[c] - offset * sum : 0;
            th->multiplier[n] = valid ? multiplier[c] : 0.0f;
        }
    }
}

static size_t elem_size(st_elem e) { return e == ST_ELEM_I16 ? 2 : 1; }

static size_t row_elements(const st_q8_conv_geometry *g) { return (size_t)conv_k4(g) * g->groups * 4; }

// Pixels per block of im2col rows: the rows of a block stay in L2 while every tile sweeps them.
static int block_pixels(const st_q8_conv_geometry *g, const st_family_desc *d) {
    const size_t row = row_elements(g) * elem_size(d->elem);
    int b = (int)((128 * 1024) / (row ? row : 1));
    b = b / d->mr * d->mr;
    if (b < d->mr) b = d->mr;
    if (b > 512) b = 512;
    return b;
}

// Whether the (encoded) input already is the rows, so no row is copied: 1x1, stride 1, dense,
// Ci % 4 == 0. Int8 rows read the input itself, the other encodings the encoded copy.
static int rows_are_input(const st_q8_conv_geometry *g) {
    return g->kernel == 1 && g->stride == 1 && g->padding == 0 && g->groups == 1 && g->in_channels % 4 == 0;
}

// A one-channel stem (the frame or the spectrogram into the first convolution): its input is
// encoded into a copy padded on every side, so each kernel row of a pixel's row is one
// fixed-size copy of 8 elements with no bounds check. The elements a copy writes past its
// kernel row land where the next copy or the row's tail goes; the tail meets zero weights.
static int is_stem(const st_q8_conv_geometry *g) {
    return g->in_channels == 1 && g->groups == 1 && g->dilation == 1 && g->kernel > 1 && g->kernel <= 8;
}

static int stem_pitch(const st_q8_conv_geometry *g) { return g->width + 2 * g->padding + 8; }

// The input encoded once per call in the family's row encoding (x, x + 128 or x - z_x), so
// building rows is copying: whole taps for dense convolutions, 4-element units for grouped ones.
static size_t encoded_bytes(const st_q8_conv_geometry *g, const st_family_desc *d) {
    if (is_stem(g)) return (((size_t)(g->height + 2 * g->padding) * stem_pitch(g) * elem_size(d->elem)) + 63) & ~(size_t)63;
    return d->elem == ST_ELEM_S8 ? 0 : (((size_t)g->height * g->width * g->in_channels * elem_size(d->elem)) + 63) & ~(size_t)63;
}

size_t st_q8_conv_scratch_size(const st_q8_conv_geometry *g, st_q8_family family) {
    const st_family_desc *d = st_family(family);
    // The gather of the last chunk of a row may read vl chunks past it: a margin after the block.
    const size_t margin = (size_t)d->vl * 4 * elem_size(d->elem) + 64;
    return encoded_bytes(g, d) + (size_t)block_pixels(g, d) * row_elements(g) * elem_size(d->elem) + margin + 64;
}

// Row building copies runs of a few bytes (a 7-tap kernel row of a 1-channel stem, a group's
// 2 channels): inline overlapping loads instead of a call into libc for those.
static inline void copy_run(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (n > 16) { memcpy(d, s, n); return; }
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8); memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4); memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4); memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++) d[i] = s[i];
    }
}

// Rows of `count` output pixels from the encoded input; pad is the encoded z_x (contributes 0).
#define ST_DEFINE_ROWS(NAME, T)                                                                              \
    static void NAME(const st_q8_conv_geometry *g, const T *enc, T pad, int pixel, int count, T *rows) {    \
        const int wo = st_q8_conv_out_width(g);                                                              \
        const int gin = g->in_channels / g->groups, groups = g->groups, ci = g->in_channels;               \
        const int k4 = conv_k4(g), kg = g->kernel * g->kernel * gin;                                         \
        const size_t len = (size_t)k4 * groups * 4;                                                          \
        /* the output position advances by one per row: no division per row */                              \
        int oy = pixel / wo, ox = pixel % wo;                                                                \
        for (int r = 0; r < count; r++, ox = ox + 1 == wo ? (oy++, 0) : ox + 1) {                            \
            T *row = rows + (size_t)r * len;                                                                 \
            for (int ky = 0; ky < g->kernel; ky++) {                                                         \
                const int iy = oy * g->stride - g->padding + ky * g->dilation;                               \
                const int ix0 = ox * g->stride - g->padding;                                                 \
                if (groups == 1 && g->dilation == 1 && iy >= 0 && iy < g->height && ix0 >= 0 &&             \
                    ix0 + g->kernel <= g->width) {                                                           \
                    /* a whole kernel row inside the image: one contiguous run of taps */                    \
                    copy_run(row + (size_t)ky * g->kernel * ci, enc + ((size_t)iy * g->width + ix0) * ci,      \
                           (size_t)g->kernel * ci * sizeof(T));                                              \
                    continue;                                                                                \
                }                                                                                            \
                for (int kx = 0; kx < g->kernel; kx++) {                                                     \
                    const int ix = ox * g->stride - g->padding + kx * g->dilation;                           \
                    const int inside = iy >= 0 && iy < g->height && ix >= 0 && ix < g->width;                \
                    const T *src = enc + ((size_t)(inside ? iy : 0) * g->width + (inside ? ix : 0)) * ci;    \
                    const int k0 = (ky * g->kernel + kx) * gin;                                              \
                    if (groups == 1 || gin == 4) {                                                           \
                        /* [k4][groups][4] of one tap is the tap's channels in order */                      \
                        T *dst = row + (groups == 1 ? (size_t)k0 : (size_t)(k0 / 4) * groups * 4);           \
                        if (inside) copy_run(dst, src, (size_t)ci * sizeof(T));                                \
                        else for (int i = 0; i < ci; i++) dst[i] = pad;                                      \
                    } else if ((gin & 3) == 0) {                                                             \
                        T *dst = row + (size_t)(k0 / 4) * groups * 4;                                        \
                        if (!inside) {                                                                       \
                            for (int i = 0; i < ci; i++) dst[i] = pad;                                       \
                        } else {                                                                             \
                            for (int q = 0; q < gin / 4; q++, dst += (size_t)groups * 4)                     \
                                for (int gr = 0; gr < groups; gr++) copy_run(dst + gr * 4, src + gr * gin + q * 4, 4 * sizeof(T)); \
                        }                                                                                    \
                    } else if (gin == 1 || gin == 2) {                                                       \
                        /* a tap's gin inputs of a group fall in one chunk */                                \
                        T *dst = row + (size_t)(k0 >> 2) * groups * 4 + (k0 & 3);                            \
                        if (!inside) {                                                                       \
                            for (int gr = 0; gr < groups; gr++)                                              \
                                for (int i = 0; i < gin; i++) dst[gr * 4 + i] = pad;                         \
                        } else if (gin == 2) { /* constant sizes: plain moves, no loop per element */         \
                            for (int gr = 0; gr < groups; gr++) memcpy(dst + gr * 4, src + gr * 2, 2 * sizeof(T)); \
                        } else {                                                                             \
                            for (int gr = 0; gr < groups; gr++) dst[gr * 4] = src[gr];                       \
                        }                                                                                    \
                    } else {                                                                                 \
                        for (int gr = 0; gr < groups; gr++)                                                  \
                            for (int i = 0; i < gin; i++) {                                                  \
                                const int k = k0 + i;                                                        \
                                row[((size_t)(k >> 2) * groups + gr) * 4 + (k & 3)] = inside ? src[gr * gin + i] : pad; \
                            }                                                                                \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
            for (int k = kg; k < k4 * 4; k++)                                                                \
                for (int gr = 0; gr < groups; gr++) row[((size_t)(k >> 2) * groups + gr) * 4 + (k & 3)] = pad; \
        }                                                                                                    \
    }

ST_DEFINE_ROWS(rows8, uint8_t)
ST_DEFINE_ROWS(rows16, uint16_t)

// Stem rows (is_stem) from the padded encoded input, `pitch` elements per padded row.
#define ST_DEFINE_STEM_ROWS(NAME, T)                                                                         \
    static void NAME(const st_q8_conv_geometry *g, const T *padded, int pitch, int pixel, int count, T *rows) { \
        const int wo = st_q8_conv_out_width(g), k = g->kernel, s = g->stride;                                \
        const size_t len = (size_t)conv_k4(g) * 4;                                                           \
        int oy = pixel / wo, ox = pixel % wo;                                                                \
        for (int r = 0; r < count; r++, ox = ox + 1 == wo ? (oy++, 0) : ox + 1) {                            \
            T *row = rows + (size_t)r * len;                                                                 \
            const T *src = padded + (size_t)oy * s * pitch + (size_t)ox * s;                                 \
            for (int ky = 0; ky < k; ky++) memcpy(row + ky * k, src + (size_t)ky * pitch, 8 * sizeof(T));    \
        }                                                                                                    \
    }

ST_DEFINE_STEM_ROWS(stem_rows8, uint8_t)
ST_DEFINE_STEM_ROWS(stem_rows16, uint16_t)

// The padded encoded input of a stem: the encoded pad value outside the image.
#define ST_DEFINE_STEM_PAD(NAME, T, ENCODE)                                                                  \
    static void NAME(const st_q8_conv_geometry *g, const int8_t *x, int32_t zx, T pad, T *padded) {          \
        const int pitch = stem_pitch(g), p = g->padding;                                                     \
        const size_t total = (size_t)(g->height + 2 * p) * pitch;                                            \
        for (size_t i = 0; i < total; i++) padded[i] = pad;                                                  \
        for (int iy = 0; iy < g->height; iy++) {                                                             \
            T *dst = padded + (size_t)(iy + p) * pitch + p;                                                  \
            const int8_t *src = x + (size_t)iy * g->width;                                                   \
            for (int ix = 0; ix < g->width; ix++) dst[ix] = ENCODE;                                          \
        }                                                                                                    \
        (void)zx;                                                                                            \
    }

ST_DEFINE_STEM_PAD(stem_pad_s8, uint8_t, (uint8_t)src[ix])
ST_DEFINE_STEM_PAD(stem_pad_u8, uint8_t, (uint8_t)((uint8_t)src[ix] ^ 0x80))
ST_DEFINE_STEM_PAD(stem_pad_i16, uint16_t, (uint16_t)(int16_t)(src[ix] - zx))

void st_q8_conv_run(
    const st_q8_conv_geometry *g, const void *packed, const int8_t *x, int8_t *y,
    int32_t pixel_begin, int32_t pixel_end, void *scratch
) {
    const st_packed_header *h = (const st_packed_header *)packed;
    const st_family_desc *d = st_family((st_q8_family)h->family);
    const st_requant rq = st_make_requant(g->output_zero_point, g->output_min, g->output_max);
    const size_t es = elem_size(d->elem), len = row_elements(g);
    const size_t chunk_stride = (size_t)g->groups * 4;
    const int block = block_pixels(g, d), co = g->out_channels, mr = d->mr;
    const int direct = rows_are_input(g);
    uint8_t *enc = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    uint8_t *rows = enc + encoded_bytes(g, d);
    const size_t xn = (size_t)g->height * g->width * g->in_channels;
    const int32_t zx = g->input_zero_point;
    const int stem = is_stem(g);
    if (stem) {
        switch (d->elem) {
        case ST_ELEM_S8: stem_pad_s8(g, x, zx, (uint8_t)(int8_t)zx, enc); break;
        case ST_ELEM_U8: stem_pad_u8(g, x, zx, (uint8_t)(zx + 128), enc); break;
        case ST_ELEM_I16: stem_pad_i16(g, x, zx, 0, (uint16_t *)enc); break;
        }
    } else {
        if (d->elem == ST_ELEM_U8) {
            for (size_t i = 0; i < xn; i++) enc[i] = (uint8_t)((uint8_t)x[i] ^ 0x80);  // x + 128
        } else if (d->elem == ST_ELEM_I16) {
            int16_t *e = (int16_t *)enc;
            for (size_t i = 0; i < xn; i++) e[i] = (int16_t)(x[i] - zx);
        }
    }
    for (int p0 = pixel_begin; p0 < pixel_end; p0 += block) {
        const int nb = pixel_end - p0 < block ? pixel_end - p0 : block;
        const uint8_t *a;
        if (direct) {
            a = (d->elem == ST_ELEM_S8 ? (const uint8_t *)x : enc) + (size_t)p0 * g->in_channels * es;
        } else if (stem) {
            if (d->elem == ST_ELEM_I16) stem_rows16(g, (const uint16_t *)enc, stem_pitch(g), p0, nb, (uint16_t *)rows);
            else stem_rows8(g, enc, stem_pitch(g), p0, nb, rows);
            a = rows;
        } else {
            switch (d->elem) {
            case ST_ELEM_S8: rows8(g, (const uint8_t *)x, (uint8_t)(int8_t)zx, p0, nb, rows); break;
            case ST_ELEM_U8: rows8(g, enc, (uint8_t)(zx + 128), p0, nb, rows); break;
            case ST_ELEM_I16: rows16(g, (const uint16_t *)enc, 0, p0, nb, (uint16_t *)rows); break;
            }
            a = rows;
        }
        for (int t = 0; t < h->tiles; t++) {
            const st_tile_header *tile = (const st_tile_header *)((const uint8_t *)packed + sizeof *h + (size_t)t * h->tile_bytes);
            const int c0 = t * d->nr;
            const int nr_valid = co - c0 < d->nr ? co - c0 : d->nr;
            for (int m = 0; m < nb; m += mr) {
                const int rows_here = nb - m < mr ? nb - m : mr;
                const void *rp[ST_MR_MAX];
                int8_t *op[ST_MR_MAX];
                for (int r = 0; r < mr; r++) {
                    const int rr = r < rows_here ? r : rows_here - 1;
                    rp[r] = a + (size_t)(m + rr) * len * es;
                    op[r] = y + (size_t)(p0 + m + rr) * co + c0;
                }
                d->gemm(rows_here, h->k4, chunk_stride, rp, tile, op, nr_valid, &rq);
            }
        }
    }
}

// MARK: The generic family's microkernel (int8 rows, bias carries -z_x * sum(w)).

void st_gemm_generic(
    int mr, int k4, size_t chunk_stride, const void *const *rows, const st_tile_header *tile,
    int8_t *const *out, int nr_valid, const st_requant *rq
) {
    enum { NR = 8 };
    const int8_t *w = (const int8_t *)(tile + 1);
    for (int r = 0; r < mr; r++) {
        const int8_t *row = (const int8_t *)rows[r];
        int32_t acc[NR];
        for (int n = 0; n < NR; n++) acc[n] = tile->bias[n];
        for (int q = 0; q < k4; q++) {
            const int8_t *chunks = row + (size_t)q * chunk_stride;
            const int8_t *wq = w + (size_t)q * NR * 4;
            for (int n = 0; n < NR; n++) {
                const int8_t *a = chunks + tile->group[n] * 4;
                acc[n] += a[0] * wq[n * 4] + a[1] * wq[n * 4 + 1] + a[2] * wq[n * 4 + 2] + a[3] * wq[n * 4 + 3];
            }
        }
        for (int n = 0; n < nr_valid; n++) out[r][n] = st_requantize(acc[n], tile->multiplier[n], rq);
    }
}

// MARK: Residual add (scalar form; also the SIMD tails).

void st_add_scalar(size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    const st_requant rq = st_make_requant(p->output_zero_point, p->output_min, p->output_max);
    for (size_t i = 0; i < count; i++) y[i] = st_add_one(a[i], b[i], p, &rq);
}

void st_q8_add(st_q8_family family, size_t count, const int8_t *a, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    st_family(family)->add(count, a, b, y, p);
}
