/* core/error.c - the thread-local error message behind sg_err. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char message[1024];

/* Formatted into a local buffer first: callers often wrap the last message,
 * sg_error_set(err, "%s: %s", path, sg_error_message()), and vsnprintf into
 * the buffer an argument points at is undefined (the prefix overwrote it). */
sg_err sg_error_set(sg_err code, const char *fmt, ...)
{
    char text[sizeof message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(message, text, sizeof message);
    return code;
}

const char *sg_error_message(void) { return message; }

void sg_error_clear(void) { message[0] = '\0'; }

const char *sg_err_name(sg_err code)
{
    switch (code) {
    case SG_OK: return "ok";
    case SG_ERR_INVALID: return "invalid";
    case SG_ERR_SHAPE: return "shape";
    case SG_ERR_NOMEM: return "out of memory";
    case SG_ERR_IO: return "io";
    case SG_ERR_FORMAT: return "format";
    case SG_ERR_UNSUPPORTED: return "unsupported";
    case SG_ERR_LIMIT: return "limit";
    }
    return "unknown";
}
