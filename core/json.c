/* core/json.c - the strict JSON reader (see json.h; the writer is in
 * core/json_writer.c).
 *
 * A recursive-descent parser over text[0..len): one function per grammar rule
 * of RFC 8259 section 2-7. Recursion is bounded by SG_JSON_MAX_DEPTH, every
 * byte access is checked against len, and the first error wins and is
 * reported with the byte offset where the parser stood. */
#include "core/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_locale.h"

/* ---- the C locale for numbers ------------------------------------------
 * strtod() and printf("%g") follow LC_NUMERIC: under a German locale a host
 * program may have set, "0.5" would stop at the '.'. JSON numbers always use
 * '.', so number conversions switch this thread to the "C" locale briefly. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

locale_t sg_json_locale_enter(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

void sg_json_locale_leave(locale_t old)
{
    if (old) uselocale(old);
}

/* ---- parser state ------------------------------------------------------ */

typedef struct parser {
    const char *s;
    size_t n, pos;
    const char *source;
    sg_err err;
} parser;

/* What stands at `at`, for "found ..." in messages. */
static void describe(const parser *p, size_t at, char *buf, size_t size)
{
    if (at >= p->n) {
        snprintf(buf, size, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->s[at];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
}

static bool fail_at(parser *p, size_t at, sg_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool fail_at(parser *p, size_t at, sg_err code, const char *fmt, ...)
{
    if (p->err != SG_OK) return false;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    p->err = sg_error_set(code, "%s: byte %zu: %s", p->source, at, what);
    return false;
}

/* "expected X, found Y" at the current position. */
static bool expected(parser *p, const char *what)
{
    char found[32];
    describe(p, p->pos, found, sizeof found);
    return fail_at(p, p->pos, SG_ERR_FORMAT, "expected %s, found %s", what, found);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0) {
        char what[32];
        snprintf(what, sizeof what, "'%s'", word);
        return expected(p, what);
    }
    p->pos += k;
    return true;
}

static sg_json *new_node(parser *p, sg_json_type type, size_t offset)
{
    sg_json *j = calloc(1, sizeof *j);
    if (!j) {
        fail_at(p, offset, SG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    j->type = type;
    j->offset = offset;
    return j;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..avail) (RFC 3629 table:
 * no overlongs, no surrogates, nothing above U+10FFFF), or 0 if malformed. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) k = 2;
    else if (c == 0xe0) { k = 3; lo = 0xa0; }
    else if (c >= 0xe1 && c <= 0xec) k = 3;
    else if (c == 0xed) { k = 3; hi = 0x9f; }
    else if (c >= 0xee && c <= 0xef) k = 3;
    else if (c == 0xf0) { k = 4; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) k = 4;
    else if (c == 0xf4) { k = 4; hi = 0x8f; }
    else return 0;
    if (avail < k) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return k;
}

static size_t utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Four hex digits at p->pos, or -1 (error set). */
static long hex4(parser *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->pos < p->n ? p->s[p->pos] : '\0';
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            expected(p, "a hex digit in \\u escape");
            return -1;
        }
        v = v * 16 + d;
        p->pos++;
    }
    return v;
}

/* string = quotation-mark *char quotation-mark. Decodes into a malloc'd,
 * NUL-terminated buffer; *len_out = decoded bytes. */
static char *parse_string_raw(parser *p, size_t *len_out)
{
    if (p->pos >= p->n || p->s[p->pos] != '"') {
        expected(p, "'\"'");
        return NULL;
    }
    size_t start = ++p->pos;
    /* Find the closing quote to size the buffer: the decoded text is never
     * longer than the escaped one (\uXXXX -> at most 3 bytes, a surrogate
     * pair of 12 bytes -> 4). Validation happens in the decoding pass. */
    size_t end = start;
    while (end < p->n && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->n) {
        fail_at(p, start - 1, SG_ERR_FORMAT, "unterminated string (no closing '\"')");
        return NULL;
    }
    char *out = malloc(end - start + 1);
    if (!out) {
        fail_at(p, start, SG_ERR_NOMEM, "out of memory for a string of %zu bytes", end - start);
        return NULL;
    }
    size_t k = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            fail_at(p, p->pos, SG_ERR_FORMAT,
                    "control character 0x%02x in string (must be escaped)", c);
            goto fail;
        }
        if (c != '\\') {
            size_t m = utf8_sequence((const unsigned char *)p->s + p->pos, p->n - p->pos);
            if (m == 0) {
                fail_at(p, p->pos, SG_ERR_FORMAT, "invalid UTF-8 byte 0x%02x in string", c);
                goto fail;
            }
            memcpy(out + k, p->s + p->pos, m);
            k += m;
            p->pos += m;
            continue;
        }
        size_t esc_at = p->pos++;
        char e = p->s[p->pos++];
        switch (e) {
        case '"': out[k++] = '"'; break;
        case '\\': out[k++] = '\\'; break;
        case '/': out[k++] = '/'; break;
        case 'b': out[k++] = '\b'; break;
        case 'f': out[k++] = '\f'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case 'u': {
            long cp = hex4(p);
            if (cp < 0) goto fail;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                fail_at(p, esc_at, SG_ERR_FORMAT, "unpaired low surrogate \\u%04lx", cp);
                goto fail;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* UTF-16 surrogate pair: \uD83D\uDE00 = U+1F600. */
                if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail_at(p, esc_at, SG_ERR_FORMAT,
                            "high surrogate \\u%04lx not followed by a \\u low surrogate", cp);
                    goto fail;
                }
                p->pos += 2;
                long lo = hex4(p);
                if (lo < 0) goto fail;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail_at(p, esc_at, SG_ERR_FORMAT,
                            "high surrogate \\u%04lx followed by \\u%04lx, not a low surrogate",
                            cp, lo);
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            k += utf8_encode((unsigned)cp, out + k);
            break;
        }
        default:
            p->pos--;
            fail_at(p, esc_at, SG_ERR_FORMAT,
                    "invalid escape '\\%c' (expected one of \" \\ / b f n r t u)",
                    e >= 0x20 && e < 0x7f ? e : '?');
            goto fail;
        }
    }
    p->pos++; /* closing quote */
    out[k] = '\0';
    *len_out = k;
    return out;
fail:
    free(out);
    return NULL;
}

/* number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ). */
static bool parse_number(parser *p, sg_json *j)
{
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    bool neg = false, integral = true;
    if (i < p->n && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= p->n || s[i] < '0' || s[i] > '9') {
        p->pos = i;
        return expected(p, "a digit");
    }
    if (s[i] == '0') {
        i++;
        if (i < p->n && s[i] >= '0' && s[i] <= '9')
            return fail_at(p, i, SG_ERR_FORMAT, "leading zeros are not allowed in numbers");
    } else {
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t int_end = i;
    if (i < p->n && s[i] == '.') {
        integral = false;
        i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') {
            p->pos = i;
            return expected(p, "a digit after the decimal point");
        }
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') {
            p->pos = i;
            return expected(p, "a digit in the exponent");
        }
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    p->pos = i;

    /* Exact integer value when written as one and in int64 range. */
    if (integral) {
        uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        bool fits = true;
        for (size_t d = start + (neg ? 1 : 0); d < int_end && fits; d++) {
            unsigned digit = (unsigned)(s[d] - '0');
            if (mag > (limit - digit) / 10) fits = false;
            else mag = mag * 10 + digit;
        }
        if (fits) {
            j->is_integer = true;
            j->integer = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                             : (int64_t)mag;
        }
    }

    /* strtod needs a NUL-terminated copy (text need not be terminated). */
    size_t n = i - start;
    char small[64];
    char *copy = n < sizeof small ? small : malloc(n + 1);
    if (!copy) return fail_at(p, start, SG_ERR_NOMEM, "out of memory for a number");
    memcpy(copy, s + start, n);
    copy[n] = '\0';
    locale_t old = sg_json_locale_enter();
    errno = 0;
    double v = strtod(copy, NULL);
    int e = errno;
    sg_json_locale_leave(old);
    if (copy != small) free(copy);
    if (e == ERANGE && isinf(v))
        return fail_at(p, start, SG_ERR_FORMAT, "number %.*s%s is out of the range of a double",
                       (int)(n < 24 ? n : 24), s + start, n < 24 ? "" : "...");
    j->number = v;
    return true;
}

static sg_json *parse_value(parser *p, int depth);

/* Reject a repeated key: sort (key, index) pairs, compare neighbours. */
typedef struct key_ref {
    const char *key;
    int index;
} key_ref;
static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static bool check_unique_keys(parser *p, const sg_json *obj)
{
    if (obj->count < 2) return true;
    key_ref *refs = malloc((size_t)obj->count * sizeof *refs);
    if (!refs) return fail_at(p, obj->offset, SG_ERR_NOMEM, "out of memory checking keys");
    for (int i = 0; i < obj->count; i++) refs[i] = (key_ref){obj->keys[i], i};
    qsort(refs, (size_t)obj->count, sizeof *refs, key_ref_cmp);
    bool ok = true;
    for (int i = 1; i < obj->count && ok; i++) {
        if (strcmp(refs[i - 1].key, refs[i].key) == 0) {
            const sg_json *second = obj->items[refs[i].index];
            ok = fail_at(p, second->offset, SG_ERR_FORMAT, "duplicate key \"%.100s\" in object",
                         refs[i].key);
        }
    }
    free(refs);
    return ok;
}

/* Append a value (and key) to an array/object, doubling the storage. */
static bool append(parser *p, sg_json *c, sg_json *v, char *key, int *cap)
{
    if (c->count == *cap) {
        if (*cap >= (1 << 28))
            return fail_at(p, v->offset, SG_ERR_LIMIT, "more than %d elements in one %s",
                           1 << 28, sg_json_type_name(c->type));
        int ncap = *cap ? *cap * 2 : 4;
        sg_json **items = realloc(c->items, (size_t)ncap * sizeof *items);
        if (items) c->items = items;
        if (items && c->type == SG_JSON_OBJECT) {
            char **keys = realloc(c->keys, (size_t)ncap * sizeof *keys);
            if (keys) c->keys = keys;
            else items = NULL;
        }
        if (!items) return fail_at(p, v->offset, SG_ERR_NOMEM, "out of memory");
        *cap = ncap;
    }
    if (key) c->keys[c->count] = key;
    c->items[c->count++] = v;
    return true;
}

/* array = begin-array [ value *( value-separator value ) ] end-array
 * object = begin-object [ member *( value-separator member ) ] end-object */
static sg_json *parse_container(parser *p, int depth, bool is_object)
{
    size_t at = p->pos;
    if (depth >= SG_JSON_MAX_DEPTH) {
        fail_at(p, at, SG_ERR_LIMIT, "nesting deeper than %d levels", SG_JSON_MAX_DEPTH);
        return NULL;
    }
    sg_json *c = new_node(p, is_object ? SG_JSON_OBJECT : SG_JSON_ARRAY, at);
    if (!c) return NULL;
    char close = is_object ? '}' : ']';
    int cap = 0;
    p->pos++; /* '{' or '[' */
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        return c;
    }
    for (;;) {
        char *key = NULL;
        if (is_object) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') {
                expected(p, c->count ? "'\"' starting the next key" : "'\"' starting a key or '}'");
                goto fail;
            }
            size_t key_at = p->pos, key_len = 0;
            key = parse_string_raw(p, &key_len);
            if (!key) goto fail;
            if (strlen(key) != key_len) {
                free(key);
                fail_at(p, key_at, SG_ERR_FORMAT, "object key contains \\u0000");
                goto fail;
            }
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                free(key);
                expected(p, "':' after object key");
                goto fail;
            }
            p->pos++;
        }
        sg_json *v = parse_value(p, depth + 1);
        if (!v) {
            free(key);
            goto fail;
        }
        if (!append(p, c, v, key, &cap)) {
            free(key);
            sg_json_free(v);
            goto fail;
        }
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == close) {
            p->pos++;
            break;
        }
        expected(p, is_object ? "',' or '}' after object member" : "',' or ']' after array element");
        goto fail;
    }
    if (is_object && !check_unique_keys(p, c)) goto fail;
    return c;
fail:
    sg_json_free(c);
    return NULL;
}

static sg_json *parse_value(parser *p, int depth)
{
    skip_ws(p);
    size_t at = p->pos;
    if (at >= p->n) {
        expected(p, "a value");
        return NULL;
    }
    char c = p->s[at];
    if (c == '{' || c == '[') return parse_container(p, depth, c == '{');
    sg_json *j = NULL;
    if (c == '"') {
        size_t len = 0;
        char *s = parse_string_raw(p, &len);
        if (!s) return NULL;
        if (!(j = new_node(p, SG_JSON_STRING, at))) {
            free(s);
            return NULL;
        }
        j->string = s;
        j->length = len;
        return j;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (!(j = new_node(p, SG_JSON_NUMBER, at))) return NULL;
        if (!parse_number(p, j)) {
            sg_json_free(j);
            return NULL;
        }
        return j;
    }
    if (c == 't' || c == 'f') {
        if (!literal(p, c == 't' ? "true" : "false")) return NULL;
        if ((j = new_node(p, SG_JSON_BOOL, at))) j->boolean = c == 't';
        return j;
    }
    if (c == 'n') {
        if (!literal(p, "null")) return NULL;
        return new_node(p, SG_JSON_NULL, at);
    }
    expected(p, "a value (object, array, string, number, true, false or null)");
    return NULL;
}

sg_err sg_json_parse(const char *text, size_t len, const char *source_name, sg_json **out)
{
    *out = NULL;
    parser p = {text, len, 0, source_name ? source_name : "json", SG_OK};
    if (!text && len) return sg_error_set(SG_ERR_INVALID, "%s: no text", p.source);
    /* RFC 8259 section 8.1: a parser MAY ignore a byte order mark. Editors
     * on the plant PCs write one, so we do. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) p.pos = 3;
    sg_json *root = parse_value(&p, 0);
    if (root) {
        skip_ws(&p);
        if (p.pos != p.n) {
            expected(&p, "end of input after the top-level value");
            sg_json_free(root);
            root = NULL;
        }
    }
    if (!root) return p.err != SG_OK ? p.err : sg_error_set(SG_ERR_FORMAT, "%s: bad JSON", p.source);
    *out = root;
    return SG_OK;
}

void sg_json_free(sg_json *j)
{
    if (!j) return;
    for (int i = 0; i < j->count; i++) {
        sg_json_free(j->items[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}

/* ---- accessors ------------------------------------------------------- */

const sg_json *sg_json_get(const sg_json *obj, const char *key)
{
    if (!obj || obj->type != SG_JSON_OBJECT || !key) return NULL;
    for (int i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
    return NULL;
}

const sg_json *sg_json_at(const sg_json *arr, int i)
{
    if (!arr || (arr->type != SG_JSON_ARRAY && arr->type != SG_JSON_OBJECT)) return NULL;
    return i >= 0 && i < arr->count ? arr->items[i] : NULL;
}

const char *sg_json_key(const sg_json *obj, int i)
{
    if (!obj || obj->type != SG_JSON_OBJECT || i < 0 || i >= obj->count) return NULL;
    return obj->keys[i];
}

int sg_json_count(const sg_json *j)
{
    return j && (j->type == SG_JSON_ARRAY || j->type == SG_JSON_OBJECT) ? j->count : 0;
}

double sg_json_number(const sg_json *j, double def)
{
    return j && j->type == SG_JSON_NUMBER ? j->number : def;
}

const char *sg_json_string(const sg_json *j, const char *def)
{
    return j && j->type == SG_JSON_STRING ? j->string : def;
}

bool sg_json_bool(const sg_json *j, bool def)
{
    return j && j->type == SG_JSON_BOOL ? j->boolean : def;
}

bool sg_json_int64(const sg_json *j, int64_t *out)
{
    if (!j || j->type != SG_JSON_NUMBER) return false;
    if (j->is_integer) {
        *out = j->integer;
        return true;
    }
    /* 3.0 or 1e3 written with a fraction/exponent: exact if the double is
     * integral and inside int64 (2^63 itself is not). */
    double v = j->number;
    if (v != floor(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0) return false;
    *out = (int64_t)v;
    return true;
}

const char *sg_json_type_name(sg_json_type type)
{
    switch (type) {
    case SG_JSON_NULL: return "null";
    case SG_JSON_BOOL: return "bool";
    case SG_JSON_NUMBER: return "number";
    case SG_JSON_STRING: return "string";
    case SG_JSON_ARRAY: return "array";
    case SG_JSON_OBJECT: return "object";
    }
    return "unknown";
}
