/* core/json.h - a small strict JSON reader (DOM) and a JSON writer.
 *
 * Reader: RFC 8259 (https://www.rfc-editor.org/rfc/rfc8259) and nothing more:
 * no comments, no trailing commas, no NaN, no single quotes, UTF-8 only (the
 * input is validated), \uXXXX escapes with surrogate pairs decoded to UTF-8.
 * Hostile input never crashes: nesting is limited to SG_JSON_MAX_DEPTH, every
 * read is bounds-checked against `len`, numbers that overflow a double are
 * rejected. Stricter than the RFC in two places, both on purpose: an object
 * may not repeat a key (safetensors names, config options: a repeated key is
 * always a mistake), and a key may not contain \u0000 (keys are C strings).
 * Errors name the source (a file name), the byte offset and what was expected:
 *   "run/config.json: byte 17: expected ':' after object key, found '}'".
 *
 * Writer: appends to a growable buffer; commas, colons and indentation are
 * handled by the writer, so callers only say what comes next. Used for
 * config.json, metrics.json, safetensors headers and JSON-lines logs.
 * Numbers are written in C-locale form whatever setlocale() says. */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SG_JSON_MAX_DEPTH 64

typedef enum sg_json_type {
    SG_JSON_NULL, SG_JSON_BOOL, SG_JSON_NUMBER, SG_JSON_STRING, SG_JSON_ARRAY, SG_JSON_OBJECT
} sg_json_type;

typedef struct sg_json {
    sg_json_type type;
    bool boolean;               /* BOOL */
    bool is_integer;            /* NUMBER written without fraction/exponent that fits int64 */
    int64_t integer;            /* NUMBER, exact when is_integer */
    double number;              /* NUMBER (nearest double) */
    char *string;               /* STRING: UTF-8, NUL-terminated (may hold \u0000 inside) */
    size_t length;              /* STRING: bytes, excluding the terminating NUL */
    int count;                  /* ARRAY / OBJECT: number of elements / members */
    struct sg_json **items;     /* ARRAY / OBJECT: values in document order */
    char **keys;                /* OBJECT: keys in document order */
    size_t offset;              /* byte offset of the value in the source text */
} sg_json;

/* Parse text[0..len) (need not be NUL-terminated). source_name names the
 * input in error messages. On failure *out is NULL and SG_ERR_FORMAT (or
 * SG_ERR_NOMEM / SG_ERR_LIMIT) is returned with the message set. */
sg_err sg_json_parse(const char *text, size_t len, const char *source_name, sg_json **out);
/* Free a tree returned by sg_json_parse (NULL is fine). */
void sg_json_free(sg_json *j);

/* Member `key` of an object, or NULL (not an object, or no such key). */
const sg_json *sg_json_get(const sg_json *obj, const char *key);
/* Element i of an array (or the i-th member value of an object), or NULL. */
const sg_json *sg_json_at(const sg_json *arr, int i);
/* The i-th key of an object, or NULL. */
const char *sg_json_key(const sg_json *obj, int i);
/* Elements of an array / members of an object; 0 for anything else. */
int sg_json_count(const sg_json *j);
/* The value if j has that type, else `def` (NULL j gives def too). */
double sg_json_number(const sg_json *j, double def);
const char *sg_json_string(const sg_json *j, const char *def);
bool sg_json_bool(const sg_json *j, bool def);
/* True and *out set if j is a number holding an exact integer in int64 range. */
bool sg_json_int64(const sg_json *j, int64_t *out);
/* "null", "bool", "number", "string", "array", "object". */
const char *sg_json_type_name(sg_json_type type);

/* ---- writer ---------------------------------------------------------- */

typedef struct sg_json_writer {
    char *buf;                  /* malloc'd, NUL-terminated text so far */
    size_t len, cap;
    bool pretty;                /* newlines and two-space indents */
    int depth;
    bool in_object[SG_JSON_MAX_DEPTH + 1];  /* container kind per depth */
    bool has_items[SG_JSON_MAX_DEPTH + 1];  /* a comma is due before the next item */
    bool after_key;             /* a key was written, its value is due */
    bool done;                  /* a complete top-level value was written */
    sg_err err;                 /* sticky: the first misuse or allocation failure */
    const char *err_what;       /* what went wrong, for the message of finish() */
} sg_json_writer;

/* Start an empty document; pretty = indented, else compact (one line). */
void sg_json_writer_init(sg_json_writer *w, bool pretty);
/* Free the buffer (and so the text returned by sg_json_writer_finish). */
void sg_json_writer_free(sg_json_writer *w);
void sg_json_writer_begin_object(sg_json_writer *w);
void sg_json_writer_end_object(sg_json_writer *w);
void sg_json_writer_begin_array(sg_json_writer *w);
void sg_json_writer_end_array(sg_json_writer *w);
/* The key of the next object member. */
void sg_json_writer_key(sg_json_writer *w, const char *key);
/* A string value, escaped like serde_json / Python (", \, control chars). */
void sg_json_writer_string(sg_json_writer *w, const char *s);
/* A double, shortest text that reads back to the same double (up to %.17g);
 * NaN and infinities are not JSON and are written as null. */
void sg_json_writer_number(sg_json_writer *w, double v);
/* A float, shortest text that reads back to the same float (up to %.9g). */
void sg_json_writer_float(sg_json_writer *w, float v);
void sg_json_writer_int64(sg_json_writer *w, int64_t v);
void sg_json_writer_bool(sg_json_writer *w, bool v);
void sg_json_writer_null(sg_json_writer *w);
/* Convenience: key + value in one call. */
void sg_json_writer_kv_string(sg_json_writer *w, const char *key, const char *s);
void sg_json_writer_kv_number(sg_json_writer *w, const char *key, double v);
void sg_json_writer_kv_int64(sg_json_writer *w, const char *key, int64_t v);
void sg_json_writer_kv_bool(sg_json_writer *w, const char *key, bool v);
/* Check the document is complete and return its text (owned by the writer,
 * NUL-terminated, length in *len if len != NULL); NULL + sg_error on misuse,
 * an unclosed container or out of memory. */
const char *sg_json_writer_finish(sg_json_writer *w, size_t *len);

#endif
