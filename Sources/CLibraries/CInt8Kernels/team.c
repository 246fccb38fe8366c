// A fork-join team for splitting one layer across threads. The work is cut into as many
// parts as the team has members, and every member, the caller included, claims parts from an
// atomic counter until none is left; so a helper the scheduler has not run yet costs nothing
// (the caller does its part) instead of stalling the caller, which only waits for parts a
// helper has started. Helpers wait for work spinning briefly (a branch's layers come
// microseconds apart), then sleeping on a futex (between frames). Made once at load; a run
// allocates nothing and takes no lock.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "CInt8Kernels.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define st_relax() _mm_pause()
#elif defined(__aarch64__)
#define st_relax() __asm__ __volatile__("yield")
#else
#define st_relax() ((void)0)
#endif

enum { ST_TEAM_MAX = 8, ST_SPINS = 20000 };

typedef struct {
    st_team *team;
    int index;
} st_helper;

struct st_team {
    int size;
    _Atomic uint32_t generation;  // bumped once per run (and at shutdown): wakes the helpers
    _Atomic int next;             // the next part to claim
    _Atomic int finished;         // parts done
    int parts;
    _Atomic int stop;
    st_team_fn fn;
    void *ctx;
    pthread_t helpers[ST_TEAM_MAX];
    st_helper args[ST_TEAM_MAX];
};

static void futex_wait(_Atomic uint32_t *word, uint32_t seen) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

// Claims and runs parts until none is left. A claim past the end (a late helper, or one
// that woke for a run already finished) does nothing; fn and ctx are read after a claim,
// whose acquire pairs with the caller's release of `next`, so they belong to the claimed run.
static void work(st_team *team) {
    for (;;) {
        const int part = atomic_fetch_add_explicit(&team->next, 1, memory_order_acq_rel);
        if (part >= team->parts) return;
        team->fn(team->ctx, part, team->parts);
        atomic_fetch_add_explicit(&team->finished, 1, memory_order_release);
    }
}

static void *helper_main(void *arg) {
    st_team *team = ((st_helper *)arg)->team;
    // Generation 0 is the team's start: a run published before this thread got here is
    // still seen as new (reading the counter here would miss it).
    uint32_t seen = 0;
    for (;;) {
        uint32_t now;
        int spins = 0;
        while ((now = atomic_load_explicit(&team->generation, memory_order_acquire)) == seen) {
            if (++spins < ST_SPINS) st_relax();
            else futex_wait(&team->generation, seen);
        }
        seen = now;
        if (atomic_load_explicit(&team->stop, memory_order_acquire)) return NULL;
        work(team);
    }
}

st_team *st_team_create(int threads) {
    if (threads < 1) threads = 1;
    if (threads > ST_TEAM_MAX) threads = ST_TEAM_MAX;
    st_team *team = calloc(1, sizeof *team);
    if (!team) return NULL;
    team->size = threads;
    team->parts = 0;
    atomic_store(&team->next, 0);
    for (int i = 1; i < threads; i++) {
        team->args[i].team = team;
        team->args[i].index = i;
        if (pthread_create(&team->helpers[i], NULL, helper_main, &team->args[i]) != 0) {
            team->size = i;  // run with the helpers that started
            break;
        }
    }
    return team;
}

int st_team_size(const st_team *team) { return team ? team->size : 1; }

void st_team_run(st_team *team, st_team_fn fn, void *ctx) {
    if (!team || team->size == 1) { fn(ctx, 0, 1); return; }
    // Nothing of the last run is left to claim (next >= parts) while these are written.
    team->fn = fn;
    team->ctx = ctx;
    team->parts = team->size;
    atomic_store_explicit(&team->finished, 0, memory_order_relaxed);
    atomic_store_explicit(&team->next, 0, memory_order_release);
    atomic_fetch_add_explicit(&team->generation, 1, memory_order_release);
    futex_wake_all(&team->generation);
    work(team);
    // Only parts a helper has claimed are left; yield now and then so a helper that shares
    // this core can finish its part.
    for (int spins = 0; atomic_load_explicit(&team->finished, memory_order_acquire) < team->parts; spins++) {
        if (spins % 256 == 255) sched_yield(); else st_relax();
    }
}

void st_team_destroy(st_team *team) {
    if (!team) return;
    atomic_store_explicit(&team->stop, 1, memory_order_release);
    atomic_fetch_add_explicit(&team->generation, 1, memory_order_release);
    futex_wake_all(&team->generation);
    for (int i = 1; i < team->size; i++) pthread_join(team->helpers[i], NULL);
    free(team);
}

// MARK: Layers split across the team: output pixels in contiguous ranges, one scratch each.

typedef struct {
    const st_q8_conv_geometry *g;
    const void *packed;
    const int8_t *x;
    int8_t *y;
    void *const *scratch;
} conv_job;

static void conv_part(void *ctx, int index, int count) {
    const conv_job *job = ctx;
    const int32_t pixels = st_q8_conv_out_height(job->g) * st_q8_conv_out_width(job->g);
    const int32_t begin = (int32_t)((int64_t)pixels * index / count), end = (int32_t)((int64_t)pixels * (index + 1) / count);
    if (begin < end) st_q8_conv_run(job->g, job->packed, job->x, job->y, begin, end, job->scratch[index]);
}

void st_q8_conv_run_team(st_team *team, const st_q8_conv_geometry *g, const void *packed, const int8_t *x, int8_t *y,
                         void *const *scratch) {
    conv_job job = {g, packed, x, y, scratch};
    st_team_run(team, conv_part, &job);
}

typedef struct {
    st_q8_family family;
    size_t pixels, channels;
    const int8_t *a, *b;
    const float *a_multipliers;
    int8_t *y;
    const st_q8_add_params *p;
} gated_job;

static void gated_part(void *ctx, int index, int count) {
    const gated_job *job = ctx;
    const size_t begin = job->pixels * (size_t)index / (size_t)count, end = job->pixels * (size_t)(index + 1) / (size_t)count;
    const size_t at = begin * job->channels;
    if (begin < end) st_q8_gated_add(job->family, end - begin, job->channels, job->a + at, job->a_multipliers, job->b + at, job->y + at, job->p);
}

void st_q8_gated_add_team(st_team *team, st_q8_family family, size_t pixels, size_t channels, const int8_t *a,
                          const float *a_multipliers, const int8_t *b, int8_t *y, const st_q8_add_params *p) {
    gated_job job = {family, pixels, channels, a, b, a_multipliers, y, p};
    st_team_run(team, gated_part, &job);
}
