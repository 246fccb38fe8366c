#include "CALSAGlue.h"
#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdio.h>

static __thread char last_message[256];

static void error_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)err;
    int n = snprintf(last_message, sizeof last_message, "%s: ", function ? function : "alsa");
    if (n < 0 || n >= (int)sizeof last_message) return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_message + n, sizeof last_message - (size_t)n, fmt, args);
    va_end(args);
}

void showtell_alsa_capture_errors(void) { snd_lib_error_set_handler(error_handler); }
const char *showtell_alsa_last_error(void) { return last_message; }
