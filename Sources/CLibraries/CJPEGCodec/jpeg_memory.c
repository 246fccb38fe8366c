// libjpeg's memory manager calls jpeg_get_small/jpeg_get_large for its pools: by default
// malloc, several times per image. These definitions replace libjpeg's (they are exported
// from libjpeg.so and called through the PLT, so the executable's definitions win) with a
// per-thread bump arena: allocated once per thread, reset whenever every block has been
// freed again, which happens at the end of each encode or decode (jpeg_destroy_*).
// So the capture and recording paths make no heap allocation per frame. If the arena is
// ever too small, blocks fall back to malloc, which stays correct.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_BYTES (16u << 20)

typedef struct {
    uint8_t *base;
    size_t used;
    size_t outstanding;
} arena_t;

static __thread arena_t arena;

static int in_arena(void *p) {
    return arena.base && (uint8_t *)p >= arena.base && (uint8_t *)p < arena.base + ARENA_BYTES;
}

static void *arena_get(size_t size) {
    if (!arena.base) {
        arena.base = malloc(ARENA_BYTES);
        if (!arena.base) return malloc(size);
    }
    size_t rounded = (size + 15u) & ~(size_t)15u;
    if (arena.used + rounded > ARENA_BYTES) return malloc(size);
    void *p = arena.base + arena.used;
    arena.used += rounded;
    arena.outstanding++;
    return p;
}

static void arena_free(void *p) {
    if (!p) return;
    if (!in_arena(p)) { free(p); return; }
    if (--arena.outstanding == 0) arena.used = 0;
}

// Signatures as in libjpeg's jmemsys.h (j_common_ptr is a pointer; size_t sizes).
void *jpeg_get_small(void *cinfo, size_t sizeofobject) { (void)cinfo; return arena_get(sizeofobject); }
void jpeg_free_small(void *cinfo, void *object, size_t sizeofobject) { (void)cinfo; (void)sizeofobject; arena_free(object); }
void *jpeg_get_large(void *cinfo, size_t sizeofobject) { (void)cinfo; return arena_get(sizeofobject); }
void jpeg_free_large(void *cinfo, void *object, size_t sizeofobject) { (void)cinfo; (void)sizeofobject; arena_free(object); }
