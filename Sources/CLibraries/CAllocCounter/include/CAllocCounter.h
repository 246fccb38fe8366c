// Heap allocation counting for benchmarks: the showtell executable interposes
// malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign and forwards to glibc.
// Counting costs one relaxed atomic add per allocation and is always on.
#ifndef SHOWTELL_CALLOCCOUNTER_H
#define SHOWTELL_CALLOCCOUNTER_H
#include <stdint.h>

/// Allocation calls made by this process so far (all threads).
uint64_t alloc_counter_total(void);
/// Allocation calls made by the calling thread so far.
uint64_t alloc_counter_thread(void);
/// 1 when the interposer is linked and active (it sees its own probe allocation).
int alloc_counter_active(void);

#endif
