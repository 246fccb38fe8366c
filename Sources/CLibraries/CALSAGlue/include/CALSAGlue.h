// alsa-lib prints its errors to stderr by default. The appliance logs them itself, so they
// are captured here (the handler is variadic, which Swift cannot define) and read back.
#ifndef SHOWTELL_CALSAGLUE_H
#define SHOWTELL_CALSAGLUE_H

/// Routes alsa-lib's error messages away from stderr; idempotent.
void showtell_alsa_capture_errors(void);
/// The calling thread's last alsa-lib error message ("" if none).
const char *showtell_alsa_last_error(void);

#endif
