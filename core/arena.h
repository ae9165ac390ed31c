/* core/arena.h - the step arena: a bump allocator for short-lived memory.
 *
 * Activations, tape nodes and scratch of one training step are taken from an
 * arena and all given back at once by sg_arena_reset(). The first step grows
 * the arena chunk by chunk; the reset after it merges the chunks into one
 * block of the high-water size, so later steps of the same shape never call
 * malloc. sg_arena_peak() reports that high-water mark. */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sg_arena sg_arena;

/* A new empty arena; its first block holds at least `initial_bytes`. NULL on OOM. */
sg_arena *sg_arena_new(size_t initial_bytes);
void sg_arena_free(sg_arena *a);

/* `bytes` of memory aligned to 64 bytes, or NULL when malloc fails. */
void *sg_arena_alloc(sg_arena *a, size_t bytes);
/* Same, zero-filled. */
void *sg_arena_calloc(sg_arena *a, size_t bytes);

/* Give back everything; keeps (and consolidates) the memory for the next step. */
void sg_arena_reset(sg_arena *a);

/* Scratch: remember the fill level, allocate, then release back to the mark. */
typedef struct { void *block; size_t used; } sg_arena_mark;
sg_arena_mark sg_arena_get_mark(const sg_arena *a);
void sg_arena_release(sg_arena *a, sg_arena_mark mark);

/* Give back the most recent allocation(s): when [p, p + bytes) ends exactly at
 * the fill level (bytes rounded as sg_arena_alloc rounds them), the fill level
 * drops to p and true is returned; otherwise nothing changes (false). The
 * graph uses it to return gradient blocks freed during backward. */
bool sg_arena_give_back_top(sg_arena *a, void *p, size_t bytes);
/* How many of the n bytes from p lie below the fill level of the block that
 * holds p (0 when p is in no block or above its fill level). The graph uses
 * it to drop free blocks that a scratch release gave back. */
size_t sg_arena_held_bytes(const sg_arena *a, const void *p, size_t n);
/* bytes rounded up to the arena's alignment (what an allocation really takes). */
size_t sg_arena_round(size_t bytes);

size_t sg_arena_used(const sg_arena *a);     /* bytes handed out since the last reset */
size_t sg_arena_peak(const sg_arena *a);     /* largest sg_arena_used() ever seen */
size_t sg_arena_capacity(const sg_arena *a); /* bytes currently held from malloc */

#endif
