#define _GNU_SOURCE
#include "CAllocCounter.h"
#include <stddef.h>
#include <stdlib.h>

// glibc exports its allocator under these names; forwarding to them avoids dlsym
// (which itself allocates) and works whether or not the binary is static.
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t total_count;
static __thread uint64_t thread_count;

static inline void count(void) {
    __atomic_fetch_add(&total_count, 1, __ATOMIC_RELAXED);
    thread_count++;
}

// Not under a sanitizer: ASan and TSan interpose malloc themselves, and this interposer would
// take their place (TSan crashed at start-up: it allocates before thread-locals exist). There
// the counter is inactive and the tests that need it say so (alloc_counter_active() == 0).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define ALLOC_COUNTER_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNTER_SANITIZED 1
#endif

#ifndef ALLOC_COUNTER_SANITIZED
void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
#endif

uint64_t alloc_counter_total(void) { return __atomic_load_n(&total_count, __ATOMIC_RELAXED); }
uint64_t alloc_counter_thread(void) { return thread_count; }

int alloc_counter_active(void) {
    uint64_t before = thread_count;
    void *volatile p = malloc(16);
    free(p);
    return thread_count > before;
}
