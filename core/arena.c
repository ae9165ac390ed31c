/* core/arena.c - chunked bump allocator (see arena.h). */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 64

typedef struct block {
    struct block *prev;   /* older block */
    size_t size;          /* usable bytes after the header */
    size_t used;
    size_t base_used;     /* sum of `used` of all older blocks, for sg_arena_used */
} block;

struct sg_arena {
    block *head;          /* the block being filled */
    size_t peak;
};

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

static unsigned char *block_mem(block *b)
{
    return (unsigned char *)b + round_up(sizeof(block));
}

static block *block_new(size_t size, block *prev)
{
    block *b = aligned_alloc(ALIGN, round_up(sizeof(block)) + round_up(size));
    if (!b) return NULL;
    b->prev = prev;
    b->size = round_up(size);
    b->used = 0;
    b->base_used = prev ? prev->base_used + prev->used : 0;
    return b;
}

sg_arena *sg_arena_new(size_t initial_bytes)
{
    sg_arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->head = block_new(initial_bytes ? initial_bytes : 1 << 20, NULL);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void sg_arena_free(sg_arena *a)
{
    if (!a) return;
    for (block *b = a->head; b;) {
        block *prev = b->prev;
        free(b);
        b = prev;
    }
    free(a);
}

size_t sg_arena_used(const sg_arena *a) { return a->head->base_used + a->head->used; }
size_t sg_arena_peak(const sg_arena *a) { return a->peak; }

size_t sg_arena_capacity(const sg_arena *a)
{
    size_t n = 0;
    for (block *b = a->head; b; b = b->prev) n += b->size;
    return n;
}

void *sg_arena_alloc(sg_arena *a, size_t bytes)
{
    size_t need = round_up(bytes ? bytes : 1);
    if (need < bytes) return NULL;  /* overflow */
    block *b = a->head;
    if (b->size - b->used < need) {
        /* Grow geometrically so a step needs few chunks before consolidation. */
        size_t size = b->size * 2 > need ? b->size * 2 : need;
        block *nb = block_new(size, b);
        if (!nb) return NULL;
        a->head = b = nb;
    }
    void *p = block_mem(b) + b->used;
    b->used += need;
    size_t used = b->base_used + b->used;
    if (used > a->peak) a->peak = used;
    return p;
}

void *sg_arena_calloc(sg_arena *a, size_t bytes)
{
    void *p = sg_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void sg_arena_reset(sg_arena *a)
{
    if (a->head->prev) {
        /* Several chunks: replace them by one block of the high-water size. */
        block *one = block_new(a->peak, NULL);
        if (one) {
            for (block *b = a->head; b;) {
                block *prev = b->prev;
                free(b);
                b = prev;
            }
            a->head = one;
        } else {
            /* Keep the newest (largest) chunk; correct, just less tidy. */
            for (block *b = a->head->prev; b;) {
                block *prev = b->prev;
                free(b);
                b = prev;
            }
            a->head->prev = NULL;
        }
    }
    a->head->used = 0;
    a->head->base_used = 0;
}

size_t sg_arena_round(size_t bytes) { return round_up(bytes ? bytes : 1); }

bool sg_arena_give_back_top(sg_arena *a, void *p, size_t bytes)
{
    block *b = a->head;
    unsigned char *top = block_mem(b) + b->used;
    size_t n = sg_arena_round(bytes);
    if ((unsigned char *)p + n != top || n > b->used) return false;
    b->used -= n;
    return true;
}

sg_arena_mark sg_arena_get_mark(const sg_arena *a)
{
    return (sg_arena_mark){a->head, a->head->used};
}

void sg_arena_release(sg_arena *a, sg_arena_mark mark)
{
    /* Drop chunks added after the mark (rare: only when scratch overflowed). */
    while (a->head != mark.block && a->head->prev) {
        block *prev = a->head->prev;
        free(a->head);
        a->head = prev;
    }
    if (a->head == mark.block) a->head->used = mark.used;
}

size_t sg_arena_held_bytes(const sg_arena *a, const void *p, size_t n)
{
    uintptr_t q = (uintptr_t)p;
    for (const block *b = a->head; b; b = b->prev) {
        uintptr_t lo = (uintptr_t)block_mem((block *)b), top = lo + b->used;
        if (q >= lo && q < lo + b->size) return q >= top ? 0 : (top - q < n ? top - q : n);
    }
    return 0;
}
