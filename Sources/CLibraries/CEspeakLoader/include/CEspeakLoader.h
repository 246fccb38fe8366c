#ifndef SHOWTELL_CESPEAKLOADER_H
#define SHOWTELL_CESPEAKLOADER_H
// espeak-ng, loaded with dlopen at run time: only the phantom generator needs it, so neither
// the appliance nor the build needs the library or its -dev package. Not thread-safe: the
// caller serialises every call.
#include <stddef.h>

/// Loads libespeak-ng.so.1 and initialises it for synchronous synthesis. Idempotent.
/// Returns the synthesis sample rate in Hz, or -1 with a message in `error`.
int showtell_espeak_load(char *error, size_t error_capacity);

/// How an utterance is spoken.
typedef struct {
    const char *voice_name;  // espeak voice with optional variant, e.g. "en-us+f3"
    int rate;                // words per minute, 80...450
    int pitch;               // base pitch, 0...100 (50 normal)
    int pitch_range;         // intonation range, 0...100 (50 normal)
} showtell_espeak_voice;

/// Start of one word of the text, from espeak's WORD events.
typedef struct {
    int text_position;  // 1-based character index of the word in the text
    int length;         // characters in the word
    int sample;         // first sample of the word in the utterance
} showtell_espeak_word;

/// One synthesised utterance (mono 16-bit at the rate returned by showtell_espeak_load).
typedef struct {
    short *samples;
    int sample_count;
    showtell_espeak_word *words;
    int word_count;
} showtell_espeak_utterance;

/// Synthesises `utf8_text` (ASCII keeps text positions equal to byte offsets). Each call runs
/// in a forked child that starts from the state right after initialisation, because espeak
/// keeps synthesis state in static variables (pitch flutter, echo, phase) that would make an
/// utterance depend on everything spoken before it. Returns 0, or -1 with a message in `error`.
/// On success the caller frees `out` with showtell_espeak_utterance_free.
int showtell_espeak_synthesize(const char *utf8_text, showtell_espeak_voice voice,
                               showtell_espeak_utterance *out, char *error, size_t error_capacity);

void showtell_espeak_utterance_free(showtell_espeak_utterance *utterance);

#endif
