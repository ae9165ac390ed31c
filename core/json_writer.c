/* core/json_writer.c - the JSON writer (see json.h).
 *
 * The writer keeps, per nesting level, whether it is inside an object or an
 * array and whether an item was already written there; that is all it needs
 * to place commas, colons and (in pretty mode) newlines and indentation.
 * Misuse (a value in an object without a key, a close that does not match,
 * two top-level values) and allocation failures are sticky: later calls do
 * nothing and sg_json_writer_finish() returns NULL with the reason. */
#include "core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_locale.h"

void sg_json_writer_init(sg_json_writer *w, bool pretty)
{
    *w = (sg_json_writer){0};
    w->pretty = pretty;
}

void sg_json_writer_free(sg_json_writer *w)
{
    free(w->buf);
    *w = (sg_json_writer){0};
}

static void misuse(sg_json_writer *w, sg_err code, const char *what)
{
    if (w->err != SG_OK) return;
    w->err = code;
    w->err_what = what;
    sg_error_set(code, "json writer: %s", what);
}

static void put(sg_json_writer *w, const char *s, size_t n)
{
    if (w->err != SG_OK) return;
    if (w->cap - w->len <= n) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len <= n) {
            if (cap > SIZE_MAX / 2) {
                misuse(w, SG_ERR_NOMEM, "document too large");
                return;
            }
            cap *= 2;
        }
        char *buf = realloc(w->buf, cap);
        if (!buf) {
            misuse(w, SG_ERR_NOMEM, "out of memory");
            return;
        }
        w->buf = buf;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(sg_json_writer *w, const char *s) { put(w, s, strlen(s)); }

static void newline_indent(sg_json_writer *w, int depth)
{
    if (!w->pretty) return;
    put(w, "\n", 1);
    for (int i = 0; i < depth; i++) put(w, "  ", 2);
}

/* Everything that precedes a value: the comma (and newline) in an array,
 * nothing after a key; checks the value is allowed here. */
static bool before_value(sg_json_writer *w)
{
    if (w->err != SG_OK) return false;
    if (w->depth == 0) {
        if (w->done) {
            misuse(w, SG_ERR_INVALID, "a second top-level value");
            return false;
        }
        return true;
    }
    if (w->in_object[w->depth]) {
        if (!w->after_key) {
            misuse(w, SG_ERR_INVALID, "a value inside an object without a key");
            return false;
        }
        w->after_key = false;
        return true;
    }
    if (w->has_items[w->depth]) put(w, ",", 1);
    newline_indent(w, w->depth);
    w->has_items[w->depth] = true;
    return w->err == SG_OK;
}

static void after_value(sg_json_writer *w)
{
    if (w->depth == 0) w->done = true;
}

/* Escape like serde_json and Python's json (ensure_ascii=False): '"', '\',
 * and control characters; other bytes are copied. Bytes that are not valid
 * UTF-8 become U+FFFD, so the output is always valid JSON. */
static void put_escaped(sg_json_writer *w, const char *s)
{
    put(w, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0; /* run = bytes since the last escape, copied in one go */
    while (u[i]) {
        unsigned char c = u[i];
        const char *esc = NULL;
        char hex[8];
        size_t adv = 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(hex, sizeof hex, "\\u%04x", c);
                esc = hex;
            } else if (c >= 0x80) {
                /* Accept a well-formed sequence (RFC 3629), else U+FFFD. */
                size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                         : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
                bool ok = k > 0;
                for (size_t m = 1; ok && m < k; m++) ok = (u[i + m] & 0xc0) == 0x80;
                if (ok && k == 3) {
                    unsigned cp = ((c & 0x0fu) << 12) | ((u[i + 1] & 0x3fu) << 6);
                    ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
                }
                if (ok && k == 4) {
                    unsigned cp = ((c & 0x07u) << 18) | ((u[i + 1] & 0x3fu) << 12);
                    ok = cp >= 0x10000 && cp <= 0x10ffff;
                }
                if (ok) adv = k;
                else esc = "\\ufffd";
            }
        }
        if (esc) {
            put(w, (const char *)u + i - run, run);
            puts_(w, esc);
            run = 0;
        } else {
            run += adv;
        }
        i += adv;
    }
    put(w, (const char *)u + i - run, run);
    put(w, "\"", 1);
}

static void begin(sg_json_writer *w, bool object)
{
    if (!before_value(w)) return;
    if (w->depth >= SG_JSON_MAX_DEPTH) {
        misuse(w, SG_ERR_LIMIT, "nesting deeper than SG_JSON_MAX_DEPTH");
        return;
    }
    put(w, object ? "{" : "[", 1);
    w->depth++;
    w->in_object[w->depth] = object;
    w->has_items[w->depth] = false;
}

static void end(sg_json_writer *w, bool object)
{
    if (w->err != SG_OK) return;
    if (w->depth == 0 || w->in_object[w->depth] != object) {
        misuse(w, SG_ERR_INVALID, object ? "end_object without a matching begin_object"
                                         : "end_array without a matching begin_array");
        return;
    }
    if (w->after_key) {
        misuse(w, SG_ERR_INVALID, "end_object right after a key (its value is missing)");
        return;
    }
    if (w->has_items[w->depth]) newline_indent(w, w->depth - 1);
    put(w, object ? "}" : "]", 1);
    w->depth--;
    after_value(w);
}

void sg_json_writer_begin_object(sg_json_writer *w) { begin(w, true); }
void sg_json_writer_end_object(sg_json_writer *w) { end(w, true); }
void sg_json_writer_begin_array(sg_json_writer *w) { begin(w, false); }
void sg_json_writer_end_array(sg_json_writer *w) { end(w, false); }

void sg_json_writer_key(sg_json_writer *w, const char *key)
{
    if (w->err != SG_OK) return;
    if (w->depth == 0 || !w->in_object[w->depth] || w->after_key) {
        misuse(w, SG_ERR_INVALID, w->after_key ? "two keys in a row" : "a key outside an object");
        return;
    }
    if (!key) {
        misuse(w, SG_ERR_INVALID, "a NULL key");
        return;
    }
    if (w->has_items[w->depth]) put(w, ",", 1);
    newline_indent(w, w->depth);
    put_escaped(w, key);
    puts_(w, w->pretty ? ": " : ":");
    w->has_items[w->depth] = true;
    w->after_key = true;
}

void sg_json_writer_string(sg_json_writer *w, const char *s)
{
    if (!s) {
        sg_json_writer_null(w);
        return;
    }
    if (!before_value(w)) return;
    put_escaped(w, s);
    after_value(w);
}

/* The shortest "%.{p}g" with p in [lo, hi] whose text reads back exactly.
 * is_float: compare after rounding to float (strtof). */
static void put_shortest(sg_json_writer *w, double v, int lo, int hi, bool is_float)
{
    char text[40];
    locale_t old = sg_json_locale_enter();
    for (int p = lo; p <= hi; p++) {
        snprintf(text, sizeof text, "%.*g", p, v);
        if (p == hi) break;
        if (is_float ? strtof(text, NULL) == (float)v : strtod(text, NULL) == v) break;
    }
    sg_json_locale_leave(old);
    puts_(w, text);
}

void sg_json_writer_number(sg_json_writer *w, double v)
{
    if (!before_value(w)) return;
    if (!isfinite(v)) puts_(w, "null");
    else put_shortest(w, v, 15, 17, false);
    after_value(w);
}

void sg_json_writer_float(sg_json_writer *w, float v)
{
    if (!before_value(w)) return;
    if (!isfinite(v)) puts_(w, "null");
    else put_shortest(w, v, 6, 9, true);
    after_value(w);
}

void sg_json_writer_int64(sg_json_writer *w, int64_t v)
{
    if (!before_value(w)) return;
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, v);
    puts_(w, text);
    after_value(w);
}

void sg_json_writer_bool(sg_json_writer *w, bool v)
{
    if (!before_value(w)) return;
    puts_(w, v ? "true" : "false");
    after_value(w);
}

void sg_json_writer_null(sg_json_writer *w)
{
    if (!before_value(w)) return;
    puts_(w, "null");
    after_value(w);
}

void sg_json_writer_kv_string(sg_json_writer *w, const char *key, const char *s)
{
    sg_json_writer_key(w, key);
    sg_json_writer_string(w, s);
}

void sg_json_writer_kv_number(sg_json_writer *w, const char *key, double v)
{
    sg_json_writer_key(w, key);
    sg_json_writer_number(w, v);
}

void sg_json_writer_kv_int64(sg_json_writer *w, const char *key, int64_t v)
{
    sg_json_writer_key(w, key);
    sg_json_writer_int64(w, v);
}

void sg_json_writer_kv_bool(sg_json_writer *w, const char *key, bool v)
{
    sg_json_writer_key(w, key);
    sg_json_writer_bool(w, v);
}

const char *sg_json_writer_finish(sg_json_writer *w, size_t *len)
{
    if (w->err == SG_OK && (w->depth > 0 || !w->done))
        misuse(w, SG_ERR_INVALID, w->depth > 0 ? "an object or array left open" : "no value written");
    if (w->err != SG_OK) {
        sg_error_set(w->err, "json writer: %s", w->err_what);
        return NULL;
    }
    if (len) *len = w->len;
    return w->buf;
}
