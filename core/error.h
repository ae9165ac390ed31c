/* core/error.h - error values with messages.
 *
 * Library functions that can fail on user input return an sg_err and leave a
 * one-line message (naming the file, field or op, what was expected and what
 * was found) in a thread-local buffer. Nothing in the library calls exit() or
 * abort(); assert() guards our own invariants only. */
#ifndef SG_ERROR_H
#define SG_ERROR_H

typedef enum sg_err {
    SG_OK = 0,
    SG_ERR_INVALID,     /* a bad argument or option value */
    SG_ERR_SHAPE,       /* tensor shapes that do not fit the op */
    SG_ERR_NOMEM,       /* an allocation failed */
    SG_ERR_IO,          /* open/read/write/rename failed (errno in message) */
    SG_ERR_FORMAT,      /* a file's bytes do not follow its format */
    SG_ERR_UNSUPPORTED, /* valid, but a variant we do not handle */
    SG_ERR_LIMIT        /* a configured limit (pixels, bytes) was exceeded */
} sg_err;

/* Set the thread's error message (printf-style) and return `code`. */
sg_err sg_error_set(sg_err code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last message set on this thread ("" when none). */
const char *sg_error_message(void);
/* Forget the last message. */
void sg_error_clear(void);
/* A short stable name for a code ("shape", "format", ...). */
const char *sg_err_name(sg_err code);

#endif
