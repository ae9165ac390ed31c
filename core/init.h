/* core/init.h - start-up: threads and ISA from the environment. */
#ifndef SG_INIT_H
#define SG_INIT_H

#include "core/error.h"

#define SG_VERSION "0.1.0"

/* Read SG_THREADS and SG_ISA and set up the pool and the kernel table.
 * Safe to call more than once. Returns the first error (bad value, forced ISA
 * the machine lacks) with a message; the library still works (defaults). */
sg_err sg_init(void);

#endif
