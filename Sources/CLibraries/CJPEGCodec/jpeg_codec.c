#include "CJPEGCodec.h"
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char *message;
    size_t message_capacity;
    int overflow;
} error_ctx;

static void on_error_exit(j_common_ptr cinfo) {
    error_ctx *ctx = (error_ctx *)cinfo->err;
    if (ctx->message && ctx->message_capacity) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        snprintf(ctx->message, ctx->message_capacity, "%s", buffer);
    }
    longjmp(ctx->escape, 1);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; /* never print to stderr */ }

static void setup_errors(error_ctx *ctx, char *message, size_t capacity) {
    jpeg_std_error(&ctx->base);
    ctx->base.error_exit = on_error_exit;
    ctx->base.output_message = on_output_message;
    ctx->message = message;
    ctx->message_capacity = capacity;
    ctx->overflow = 0;
    if (message && capacity) message[0] = 0;
}

int jpegc_read_info(const uint8_t *data, size_t length, jpegc_info *info, char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    error_ctx err;
    setup_errors(&err, message, message_capacity);
    cinfo.err = &err.base;
    if (setjmp(err.escape)) {
        jpeg_destroy_decompress(&cinfo);
        return JPEGC_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)length);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    jpeg_destroy_decompress(&cinfo);
    return JPEGC_OK;
}

int jpegc_decode(const uint8_t *data, size_t length, int components, uint8_t *out, size_t capacity,
                 jpegc_info *info, int *warnings, char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    error_ctx err;
    setup_errors(&err, message, message_capacity);
    cinfo.err = &err.base;
    if (warnings) *warnings = 0;
    if (setjmp(err.escape)) {
        jpeg_destroy_decompress(&cinfo);
        return JPEGC_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)length);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    info->width = (int)cinfo.output_width;
    info->height = (int)cinfo.output_height;
    info->components = cinfo.output_components;
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (stride * cinfo.output_height > capacity) {
        if (message && message_capacity)
            snprintf(message, message_capacity, "output buffer of %zu bytes too small for %ux%u", capacity,
                     cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return JPEGC_TOO_SMALL;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    int seen = (int)err.base.num_warnings;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (warnings) *warnings = seen;
    if (seen > 0) {
        if (message && message_capacity && message[0] == 0)
            snprintf(message, message_capacity, "%d recoverable JPEG data errors", seen);
        return JPEGC_WARNINGS;
    }
    return JPEGC_OK;
}

// Destination manager that writes into the caller's fixed buffer and flags overflow
// instead of growing (jpeg_mem_dest would malloc).
typedef struct {
    struct jpeg_destination_mgr base;
    uint8_t *buffer;
    size_t capacity;
    error_ctx *err;
} fixed_dest;

static void dest_init(j_compress_ptr cinfo) {
    fixed_dest *d = (fixed_dest *)cinfo->dest;
    d->base.next_output_byte = d->buffer;
    d->base.free_in_buffer = d->capacity;
}

static boolean dest_empty(j_compress_ptr cinfo) {
    fixed_dest *d = (fixed_dest *)cinfo->dest;
    d->err->overflow = 1;
    if (d->err->message && d->err->message_capacity)
        snprintf(d->err->message, d->err->message_capacity, "JPEG output exceeds buffer of %zu bytes", d->capacity);
    longjmp(d->err->escape, 1);
    return FALSE;
}

static void dest_term(j_compress_ptr cinfo) { (void)cinfo; }

int jpegc_encode(const uint8_t *pixels, int width, int height, int components, int quality,
                 uint8_t *out, size_t capacity, size_t *written, char *message, size_t message_capacity) {
    struct jpeg_compress_struct cinfo;
    error_ctx err;
    fixed_dest dest;
    setup_errors(&err, message, message_capacity);
    cinfo.err = &err.base;
    if (setjmp(err.escape)) {
        jpeg_destroy_compress(&cinfo);
        return err.overflow ? JPEGC_TOO_SMALL : JPEGC_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    dest.base.init_destination = dest_init;
    dest.base.empty_output_buffer = dest_empty;
    dest.base.term_destination = dest_term;
    dest.buffer = out;
    dest.capacity = capacity;
    dest.err = &err;
    cinfo.dest = &dest.base;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    *written = capacity - dest.base.free_in_buffer;
    jpeg_destroy_compress(&cinfo);
    return JPEGC_OK;
}
