// dlopen wrapper around espeak-ng's synchronous API (see CEspeakLoader.h for why each
// utterance runs in a forked child).
#define _GNU_SOURCE
#include "CEspeakLoader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// The few declarations of <espeak-ng/speak_lib.h> (API revision 12) that are used, so the
// build does not need libespeak-ng-dev. Enums are passed as int, as the C ABI does.
enum { AUDIO_OUTPUT_SYNCHRONOUS = 2, POS_CHARACTER = 1, espeakCHARS_UTF8 = 1 };
enum { espeakRATE = 1, espeakPITCH = 3, espeakRANGE = 4 };
enum { espeakEVENT_LIST_TERMINATED = 0, espeakEVENT_WORD = 1 };

typedef struct {
    int type;
    unsigned int unique_identifier;
    int text_position;
    int length;
    int audio_position;
    int sample;
    void *user_data;
    union { int number; const char *name; char string[8]; } id;
} espeak_event;

typedef int (synth_callback)(short *wav, int sample_count, espeak_event *events);

static struct {
    int sample_rate;  // 0 until loaded
    int (*set_voice_by_name)(const char *name);
    int (*set_parameter)(int parameter, int value, int relative);
    int (*synth)(const void *text, size_t size, unsigned int position, int position_type,
                 unsigned int end_position, unsigned int flags, unsigned int *unique_identifier,
                 void *user_data);
} espeak;

static int collect(short *wav, int sample_count, espeak_event *events);

static void set_error(char *error, size_t capacity, const char *format, const char *detail) {
    if (error && capacity > 0) snprintf(error, capacity, format, detail ? detail : "");
}

int showtell_espeak_load(char *error, size_t error_capacity) {
    if (espeak.sample_rate > 0) return espeak.sample_rate;
    void *library = dlopen("libespeak-ng.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        set_error(error, error_capacity,
                  "cannot load libespeak-ng.so.1 (apt install libespeak-ng1 espeak-ng-data): %s", dlerror());
        return -1;
    }
    int (*initialize)(int, int, const char *, int) = (int (*)(int, int, const char *, int))dlsym(library, "espeak_Initialize");
    void (*set_callback)(synth_callback *) = (void (*)(synth_callback *))dlsym(library, "espeak_SetSynthCallback");
    espeak.set_voice_by_name = (int (*)(const char *))dlsym(library, "espeak_SetVoiceByName");
    espeak.set_parameter = (int (*)(int, int, int))dlsym(library, "espeak_SetParameter");
    espeak.synth = (int (*)(const void *, size_t, unsigned int, int, unsigned int, unsigned int, unsigned int *, void *))
        dlsym(library, "espeak_Synth");
    if (!initialize || !set_callback || !espeak.set_voice_by_name || !espeak.set_parameter || !espeak.synth) {
        set_error(error, error_capacity, "libespeak-ng.so.1 lacks an expected symbol%s", NULL);
        dlclose(library);
        return -1;
    }
    // 0x8000: return an error instead of exit() when espeak-ng-data is missing.
    int rate = initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0x8000);
    if (rate <= 0) {
        set_error(error, error_capacity, "espeak_Initialize failed (is espeak-ng-data installed?)%s", NULL);
        return -1;  // the library stays loaded: espeak cannot be unloaded safely once initialised
    }
    set_callback(collect);
    espeak.sample_rate = rate;
    return rate;
}

// MARK: - Child side: collect one utterance, send it through a pipe.

typedef struct {
    int32_t status;  // 0 ok, else failure with message
    int32_t sample_count;
    int32_t word_count;
    char message[200];
} reply_header;

static struct {
    short *samples;
    int sample_count, sample_capacity;
    showtell_espeak_word *words;
    int word_count, word_capacity;
    int out_of_memory;
} collected;  // used only in the child

static int grow(void **buffer, int *capacity, int needed, size_t element) {
    if (needed <= *capacity) return 1;
    int capacity2 = *capacity ? *capacity : 4096;
    while (capacity2 < needed) capacity2 *= 2;
    void *grown = realloc(*buffer, (size_t)capacity2 * element);
    if (!grown) return 0;
    *buffer = grown;
    *capacity = capacity2;
    return 1;
}

static int collect(short *wav, int sample_count, espeak_event *events) {
    for (espeak_event *event = events; event && event->type != espeakEVENT_LIST_TERMINATED; event++) {
        if (event->type != espeakEVENT_WORD) continue;
        if (!grow((void **)&collected.words, &collected.word_capacity, collected.word_count + 1, sizeof(showtell_espeak_word))) {
            collected.out_of_memory = 1;
            return 1;
        }
        collected.words[collected.word_count++] = (showtell_espeak_word){event->text_position, event->length, event->sample};
    }
    if (wav && sample_count > 0) {
        if (!grow((void **)&collected.samples, &collected.sample_capacity, collected.sample_count + sample_count, sizeof(short))) {
            collected.out_of_memory = 1;
            return 1;
        }
        memcpy(collected.samples + collected.sample_count, wav, (size_t)sample_count * sizeof(short));
        collected.sample_count += sample_count;
    }
    return 0;
}

static int write_all(int fd, const void *data, size_t count) {
    const char *bytes = data;
    while (count > 0) {
        ssize_t written = write(fd, bytes, count);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return 0;
        bytes += written;
        count -= (size_t)written;
    }
    return 1;
}

static void run_child(int fd, const char *text, showtell_espeak_voice voice) {
    reply_header header = {0};
    if (espeak.set_voice_by_name(voice.voice_name) != 0) {
        header.status = 1;
        snprintf(header.message, sizeof header.message, "espeak has no voice named '%s'", voice.voice_name);
    } else {
        espeak.set_parameter(espeakRATE, voice.rate, 0);
        espeak.set_parameter(espeakPITCH, voice.pitch, 0);
        espeak.set_parameter(espeakRANGE, voice.pitch_range, 0);
        int result = espeak.synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
        if (result != 0 || collected.out_of_memory) {
            header.status = 1;
            snprintf(header.message, sizeof header.message, "espeak_Synth failed (%d%s)", result,
                     collected.out_of_memory ? ", out of memory" : "");
        }
    }
    if (header.status == 0) {
        header.sample_count = collected.sample_count;
        header.word_count = collected.word_count;
    }
    int ok = write_all(fd, &header, sizeof header);
    if (ok && header.status == 0) {
        ok = write_all(fd, collected.words, (size_t)header.word_count * sizeof(showtell_espeak_word))
            && write_all(fd, collected.samples, (size_t)header.sample_count * sizeof(short));
    }
    _exit(ok ? 0 : 1);
}

// MARK: - Parent side.

static int read_all(int fd, void *data, size_t count) {
    char *bytes = data;
    while (count > 0) {
        ssize_t got = read(fd, bytes, count);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return 0;
        bytes += got;
        count -= (size_t)got;
    }
    return 1;
}

static int reap(pid_t child) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return 0;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int showtell_espeak_synthesize(const char *utf8_text, showtell_espeak_voice voice,
                               showtell_espeak_utterance *out, char *error, size_t error_capacity) {
    memset(out, 0, sizeof *out);
    if (espeak.sample_rate <= 0) {
        set_error(error, error_capacity, "espeak is not loaded%s", NULL);
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_error(error, error_capacity, "pipe: %s", strerror(errno));
        return -1;
    }
    // _Fork, not fork: fork runs the pthread_atfork handlers, and OpenBLAS's joins its worker
    // threads, which deadlocked (seen in the test run) while another thread used or resized
    // the BLAS pool. The child needs none of them: it synthesises on this thread's malloc
    // arena, writes to the pipe and _exits.
    pid_t child = _Fork();
    if (child < 0) {
        set_error(error, error_capacity, "_Fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (child == 0) {
        close(fds[0]);
        run_child(fds[1], utf8_text, voice);
    }
    close(fds[1]);

    reply_header header;
    int ok = read_all(fds[0], &header, sizeof header);
    // An utterance is a sentence or two: anything beyond ten minutes is a broken reply.
    const int32_t sample_limit = espeak.sample_rate * 600;
    if (ok && header.status == 0 && header.sample_count >= 0 && header.sample_count <= sample_limit
        && header.word_count >= 0 && header.word_count <= 100000) {
        out->samples = malloc((size_t)header.sample_count * sizeof(short) + 1);
        out->words = malloc((size_t)header.word_count * sizeof(showtell_espeak_word) + 1);
        ok = out->samples && out->words
            && read_all(fds[0], out->words, (size_t)header.word_count * sizeof(showtell_espeak_word))
            && read_all(fds[0], out->samples, (size_t)header.sample_count * sizeof(short));
        out->sample_count = header.sample_count;
        out->word_count = header.word_count;
    } else if (ok && header.status != 0) {
        header.message[sizeof header.message - 1] = 0;
        set_error(error, error_capacity, "%s", header.message);
        ok = 0;
    } else {
        set_error(error, error_capacity, "espeak child sent an incomplete reply%s", NULL);
        ok = 0;
    }
    close(fds[0]);
    if (!reap(child) && ok) {
        set_error(error, error_capacity, "espeak child failed%s", NULL);
        ok = 0;
    }
    if (!ok) {
        showtell_espeak_utterance_free(out);
        return -1;
    }
    return 0;
}

void showtell_espeak_utterance_free(showtell_espeak_utterance *utterance) {
    free(utterance->samples);
    free(utterance->words);
    memset(utterance, 0, sizeof *utterance);
}
