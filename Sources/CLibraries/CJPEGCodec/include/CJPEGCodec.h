// libjpeg (libjpeg-turbo) behind a small C API. libjpeg reports fatal errors by calling
// error_exit, which must not return: here it longjmps back and the call returns an error
// code with libjpeg's message, instead of exit(). Buffers are the caller's, so encoding
// and decoding into preallocated memory allocate nothing in Swift.
#ifndef SHOWTELL_CJPEGCODEC_H
#define SHOWTELL_CJPEGCODEC_H
#include <stddef.h>
#include <stdint.h>

enum {
    JPEGC_OK = 0,
    JPEGC_CORRUPT = 1,        // libjpeg rejected the data; message says why
    JPEGC_TOO_SMALL = 2,      // output buffer too small for the image
    JPEGC_WARNINGS = 3,       // decoded, but libjpeg saw recoverable corruption
};

typedef struct {
    int width;
    int height;
    int components;  // 1 gray, 3 colour
} jpegc_info;

/// Reads the header only.
int jpegc_read_info(const uint8_t *data, size_t length, jpegc_info *info, char *message, size_t message_capacity);

/// Decodes to 8-bit gray (components = 1) or RGB (components = 3) into `out`
/// (capacity bytes). MJPEG frames without Huffman tables decode with the standard
/// tables (libjpeg-turbo inserts them). `warnings` receives libjpeg's count of
/// recoverable problems (a truncated or damaged scan decodes with grey fill).
int jpegc_decode(const uint8_t *data, size_t length, int components, uint8_t *out, size_t capacity,
                 jpegc_info *info, int *warnings, char *message, size_t message_capacity);

/// Encodes gray (components = 1) or RGB (3) pixels as baseline JPEG into `out`.
/// `written` receives the byte count; JPEGC_TOO_SMALL if `capacity` is not enough.
int jpegc_encode(const uint8_t *pixels, int width, int height, int components, int quality,
                 uint8_t *out, size_t capacity, size_t *written, char *message, size_t message_capacity);

#endif
