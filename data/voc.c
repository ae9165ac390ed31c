/* data/voc.c - a small XML reader and Pascal VOC annotations (see voc.h; the
 * data sets made of them are read in data/voc_dataset.c).
 *
 * XML references: Extensible Markup Language (XML) 1.0, 5th edition,
 * https://www.w3.org/TR/xml/ - section 2.4 (character data), 2.5 (comments),
 * 2.6 (processing instructions), 2.7 (CDATA), 3.1 (tags and attributes),
 * 4.1 (character and entity references), 4.6 (the predefined entities). */
#include "data/voc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fileio.h"

#define VOC_MAX_BYTES ((size_t)16 << 20)

/* ---- the XML tree ------------------------------------------------------------ */

typedef struct xml_node {
    char *name;
    char *text;                  /* character data directly inside, NUL-terminated */
    size_t text_len, text_cap;
    int n_children, cap_children;
    struct xml_node **children;
    int line;
} xml_node;

static void xml_free(xml_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n_children; i++) xml_free(n->children[i]);  /* depth <= SG_XML_MAX_DEPTH */
    free(n->children);
    free(n->name);
    free(n->text);
    free(n);
}

typedef struct xml_parser {
    const char *s;
    size_t len, pos;
    int line;
    const char *name;            /* the file, for messages */
    int elements;                /* so far, against SG_XML_MAX_ELEMENTS */
} xml_parser;

static sg_err xml_error(const xml_parser *p, const char *what)
{
    return sg_error_set(SG_ERR_FORMAT, "%s: line %d: %s", p->name, p->line, what);
}

static bool at(const xml_parser *p, const char *lit)
{
    size_t n = strlen(lit);
    return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static void advance(xml_parser *p, size_t n)
{
    for (size_t i = 0; i < n && p->pos < p->len; i++) p->line += p->s[p->pos++] == '\n';
}

static void skip_space(xml_parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos]) advance(p, 1);
}

/* Move past the next `end` (e.g. "-->"); false if it never comes. */
static bool skip_past(xml_parser *p, const char *end)
{
    while (p->pos < p->len) {
        if (at(p, end)) {
            advance(p, strlen(end));
            return true;
        }
        advance(p, 1);
    }
    return false;
}

static bool append_text(xml_node *n, const char *data, size_t k)
{
    if (n->text_len + k + 1 > n->text_cap) {
        size_t cap = n->text_cap ? n->text_cap : 32;
        while (cap < n->text_len + k + 1) cap *= 2;
        char *t = realloc(n->text, cap);
        if (!t) return false;
        n->text = t;
        n->text_cap = cap;
    }
    memcpy(n->text + n->text_len, data, k);
    n->text_len += k;
    n->text[n->text_len] = '\0';
    return true;
}

/* XML names (3.1): we accept ASCII letters, digits, '_', ':', '-', '.', and
 * any byte >= 0x80 (non-ASCII letters in UTF-8); no digit, '-' or '.' first. */
static bool name_char(unsigned char c, bool first)
{
    if (isalpha(c) || c == '_' || c == ':' || c >= 0x80) return true;
    return !first && (isdigit(c) || c == '-' || c == '.');
}

static sg_err read_name(xml_parser *p, char **out)
{
    size_t start = p->pos;
    while (p->pos < p->len && name_char((unsigned char)p->s[p->pos], p->pos == start)) p->pos++;
    if (p->pos == start) return xml_error(p, "expected an element name");
    size_t n = p->pos - start;
    if (!(*out = malloc(n + 1))) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
    memcpy(*out, p->s + start, n);
    (*out)[n] = '\0';
    return SG_OK;
}

/* Append the UTF-8 encoding of code point cp. */
static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A reference at '&' (4.1, 4.6) into out[]; *n = its byte length. */
static sg_err read_reference(xml_parser *p, char out[4], size_t *n)
{
    static const struct { const char *ref; char c; } named[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        if (at(p, named[k].ref)) {
            advance(p, strlen(named[k].ref));
            out[0] = named[k].c;
            *n = 1;
            return SG_OK;
        }
    if (!at(p, "&#")) return xml_error(p, "unknown entity (only &amp; &lt; &gt; &quot; &apos; and &#...; are defined)");
    advance(p, 2);
    bool hex = p->pos < p->len && p->s[p->pos] == 'x';
    if (hex) advance(p, 1);
    uint32_t cp = 0;
    int digits = 0;
    while (p->pos < p->len && (hex ? isxdigit((unsigned char)p->s[p->pos]) : isdigit((unsigned char)p->s[p->pos]))) {
        char c = p->s[p->pos];
        if (++digits > 8) return xml_error(p, "character reference too long");
        cp = cp * (hex ? 16 : 10) + (uint32_t)(isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10));
        advance(p, 1);
    }
    if (!digits || p->pos >= p->len || p->s[p->pos] != ';') return xml_error(p, "malformed character reference (expected &#123; or &#x7B;)");
    advance(p, 1);
    /* Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] (2.2) */
    bool valid = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                 (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!valid) return xml_error(p, "character reference to a code point XML does not allow");
    *n = utf8_encode(cp, out);
    return SG_OK;
}

/* Comments, processing instructions and the DOCTYPE between markup. */
static sg_err skip_misc(xml_parser *p, bool *skipped)
{
    *skipped = true;
    if (at(p, "<!--")) {
        advance(p, 4);
        if (!skip_past(p, "-->")) return xml_error(p, "comment never ends (missing -->)");
    } else if (at(p, "<?")) {
        advance(p, 2);
        if (!skip_past(p, "?>")) return xml_error(p, "processing instruction never ends (missing ?>)");
    } else if (at(p, "<!DOCTYPE")) {
        while (p->pos < p->len && p->s[p->pos] != '>') {
            if (p->s[p->pos] == '[') return xml_error(p, "DOCTYPE with an internal subset is not supported");
            advance(p, 1);
        }
        if (p->pos >= p->len) return xml_error(p, "DOCTYPE never ends (missing >)");
        advance(p, 1);
    } else {
        *skipped = false;
    }
    return SG_OK;
}

/* Attributes up to '>' or '/>' (3.1): name = "value" or 'value'; skipped. */
static sg_err skip_attributes(xml_parser *p, bool *empty_element)
{
    for (;;) {
        skip_space(p);
        if (p->pos >= p->len) return xml_error(p, "tag never ends (missing >)");
        if (at(p, "/>")) {
            advance(p, 2);
            *empty_element = true;
            return SG_OK;
        }
        if (p->s[p->pos] == '>') {
            advance(p, 1);
            *empty_element = false;
            return SG_OK;
        }
        char *attr;
        sg_err err = read_name(p, &attr);
        if (err != SG_OK) return xml_error(p, "expected an attribute name, '>' or '/>'");
        free(attr);
        skip_space(p);
        if (p->pos >= p->len || p->s[p->pos] != '=') return xml_error(p, "expected '=' after an attribute name");
        advance(p, 1);
        skip_space(p);
        char q = p->pos < p->len ? p->s[p->pos] : '\0';
        if (q != '"' && q != '\'') return xml_error(p, "expected a quoted attribute value");
        advance(p, 1);
        while (p->pos < p->len && p->s[p->pos] != q) {
            if (p->s[p->pos] == '<') return xml_error(p, "'<' inside an attribute value");
            advance(p, 1);
        }
        if (p->pos >= p->len) return xml_error(p, "attribute value never ends");
        advance(p, 1);
    }
}

/* An element at '<' with its content, recursively (depth-limited). */
static sg_err parse_element(xml_parser *p, int depth, xml_node **out)
{
    *out = NULL;
    if (depth > SG_XML_MAX_DEPTH) return xml_error(p, "elements nested too deeply");
    if (++p->elements > SG_XML_MAX_ELEMENTS) return xml_error(p, "too many elements for an annotation");
    xml_node *n = calloc(1, sizeof *n);
    if (!n) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
    n->line = p->line;
    advance(p, 1);  /* '<' */
    bool empty;
    sg_err err = read_name(p, &n->name);
    if (err == SG_OK) err = skip_attributes(p, &empty);
    if (err == SG_OK && !append_text(n, "", 0)) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
    while (err == SG_OK && !empty) {
        if (p->pos >= p->len) {
            char msg[160];
            snprintf(msg, sizeof msg, "<%.60s> (opened on line %d) is never closed", n->name, n->line);
            err = xml_error(p, msg);
            break;
        }
        char c = p->s[p->pos];
        if (c == '<') {
            if (at(p, "</")) {  /* our end tag (3.1) */
                advance(p, 2);
                char *end_name = NULL;
                err = read_name(p, &end_name);
                if (err == SG_OK && strcmp(end_name, n->name) != 0) {
                    char msg[200];
                    snprintf(msg, sizeof msg, "</%.60s> closes <%.60s> (opened on line %d)", end_name,
                             n->name, n->line);
                    err = xml_error(p, msg);
                }
                free(end_name);
                skip_space(p);
                if (err == SG_OK && (p->pos >= p->len || p->s[p->pos] != '>'))
                    err = xml_error(p, "expected '>' to end a closing tag");
                if (err == SG_OK) advance(p, 1);
                break;
            }
            if (at(p, "<![CDATA[")) {  /* 2.7: text taken literally */
                advance(p, 9);
                size_t start = p->pos;
                if (!skip_past(p, "]]>")) err = xml_error(p, "CDATA section never ends (missing ]]>)");
                else if (!append_text(n, p->s + start, p->pos - 3 - start))
                    err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
                continue;
            }
            bool skipped;
            err = skip_misc(p, &skipped);
            if (err != SG_OK || skipped) continue;
            if (at(p, "<!")) {
                err = xml_error(p, "unexpected '<!' (only comments, CDATA and DOCTYPE are understood)");
                break;
            }
            xml_node *sub;
            if ((err = parse_element(p, depth + 1, &sub)) != SG_OK) break;
            if (n->n_children == n->cap_children) {
                int cap = n->cap_children ? 2 * n->cap_children : 4;
                xml_node **ch = realloc(n->children, (size_t)cap * sizeof *ch);
                if (!ch) {
                    xml_free(sub);
                    err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
                    break;
                }
                n->children = ch;
                n->cap_children = cap;
            }
            n->children[n->n_children++] = sub;
        } else if (c == '&') {
            char buf[4];
            size_t k = 0;
            if ((err = read_reference(p, buf, &k)) == SG_OK && !append_text(n, buf, k))
                err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
        } else if (c == '\0') {
            err = xml_error(p, "NUL byte in the text");
        } else {  /* a run of plain characters in one append */
            size_t start = p->pos;
            while (p->pos < p->len && p->s[p->pos] != '<' && p->s[p->pos] != '&' && p->s[p->pos] != '\0')
                advance(p, 1);
            if (!append_text(n, p->s + start, p->pos - start))
                err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", p->name);
        }
    }
    if (err != SG_OK) {
        xml_free(n);
        return err;
    }
    *out = n;
    return SG_OK;
}

/* document ::= prolog element Misc* (2.1) */
static sg_err xml_parse(const char *text, size_t len, const char *name, xml_node **root)
{
    xml_parser p = {text, len, 0, 1, name, 0};
    *root = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.pos = 3;
    sg_err err = SG_OK;
    bool skipped = true;
    while (err == SG_OK && skipped) {
        skip_space(&p);
        err = skip_misc(&p, &skipped);
    }
    if (err != SG_OK) return err;
    if (p.pos >= p.len || p.s[p.pos] != '<') return xml_error(&p, p.pos >= p.len ? "no root element" : "text before the root element");
    if ((err = parse_element(&p, 1, root)) != SG_OK) return err;
    for (skipped = true; err == SG_OK && skipped;) {
        skip_space(&p);
        err = skip_misc(&p, &skipped);
    }
    if (err == SG_OK && p.pos < p.len) err = xml_error(&p, "content after the root element");
    if (err != SG_OK) {
        xml_free(*root);
        *root = NULL;
    }
    return err;
}

/* The first child element called `name`, or NULL. */
static const xml_node *child(const xml_node *n, const char *name)
{
    for (int i = 0; n && i < n->n_children; i++)
        if (strcmp(n->children[i]->name, name) == 0) return n->children[i];
    return NULL;
}

/* A child's text without leading and trailing white space, copied into buf
 * (cut to size - 1 bytes: VOC values are numbers, names and file names, far
 * shorter than the buffers used); NULL if there is no such child. */
static const char *child_text(const xml_node *n, const char *name, char *buf, size_t size)
{
    const xml_node *c = child(n, name);
    if (!c) return NULL;
    const char *s = c->text;
    size_t len = c->text_len;
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= size) len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* ---- VOC annotations ---------------------------------------------------------- */

void sg_voc_free(sg_voc *voc)
{
    for (int i = 0; i < voc->n_objects; i++) free(voc->objects[i].name);
    free(voc->objects);
    free(voc->filename);
    sg_notes_free(&voc->warnings);
    *voc = (sg_voc){0};
}

/* A finite number filling the whole (trimmed) text. */
static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* <width>, <height>, <depth>: a whole number in [lo, hi] ("200" or "200.0"), or 0 with a warning. */
static sg_err read_dimension(const xml_node *size, const char *field, int lo, int hi, sg_voc *voc,
                             const char *name, int *out)
{
    char buf[64];
    double v;
    *out = 0;
    const char *t = child_text(size, field, buf, sizeof buf);
    if (t && parse_number(t, &v) && v == floor(v) && v >= lo && v <= hi) {
        *out = (int)v;
        return SG_OK;
    }
    return sg_notes_add(&voc->warnings, "%s: <size><%s> is %s%s%s, expected a whole number in %d..%d%s",
                        name, field, t ? "'" : "missing", t ? t : "", t ? "'" : "", lo, hi,
                        strcmp(field, "depth") ? " (boxes are not checked against the image)" : "");
}

/* Clamp one coordinate to [0, limit] (limit 0 = unknown: no check). */
static sg_err clamp_coordinate(float *v, int limit, const char *field, int k, const char *object,
                               sg_voc *voc, const char *name)
{
    if (limit <= 0 || (*v >= 0 && *v <= (float)limit)) return SG_OK;
    float c = *v < 0 ? 0.0f : (float)limit;
    sg_err err = sg_notes_add(&voc->warnings, "%s: object %d (%s): %s %g is outside 0..%d, clamped to %g",
                              name, k, object, field, (double)*v, limit, (double)c);
    *v = c;
    return err;
}

/* One <object>: appended to voc->objects if its box is usable. */
static sg_err read_object(const xml_node *obj, int k, sg_voc *voc, const char *name)
{
    char object[256], buf[64];
    if (!child_text(obj, "name", object, sizeof object) || !object[0])
        return sg_error_set(SG_ERR_FORMAT, "%s: line %d: object %d has no <name>", name, obj->line, k);
    bool difficult = false;
    const char *d = child_text(obj, "difficult", buf, sizeof buf);
    double v;
    if (d && parse_number(d, &v) && (v == 0 || v == 1)) difficult = v == 1;
    else if (d && *d)
        if (sg_notes_add(&voc->warnings, "%s: object %d (%s): <difficult> is '%s', expected 0 or 1; taken as 0",
                         name, k, object, d) != SG_OK)
            return SG_ERR_NOMEM;
    const xml_node *box = child(obj, "bndbox");
    if (!box) return sg_notes_add(&voc->warnings, "%s: object %d (%s): no <bndbox>; skipped", name, k, object);
    static const char *const fields[4] = {"xmin", "ymin", "xmax", "ymax"};
    float c[4];
    for (int f = 0; f < 4; f++) {
        const char *t = child_text(box, fields[f], buf, sizeof buf);
        if (!t || !parse_number(t, &v) || fabs(v) > 1e9)
            return sg_notes_add(&voc->warnings, "%s: object %d (%s): <%s> is %s%s%s, not a number; skipped",
                                name, k, object, fields[f], t ? "'" : "missing", t ? t : "", t ? "'" : "");
        c[f] = (float)v;
    }
    sg_err err = SG_OK;
    for (int f = 0; f < 4 && err == SG_OK; f++)
        err = clamp_coordinate(&c[f], f % 2 ? voc->height : voc->width, fields[f], k, object, voc, name);
    if (err != SG_OK) return err;
    if (!(c[0] < c[2]) || !(c[1] < c[3]))
        return sg_notes_add(&voc->warnings, "%s: object %d (%s): empty box (xmin %g, xmax %g, ymin %g, "
                            "ymax %g; need xmin < xmax and ymin < ymax); skipped", name, k, object,
                            (double)c[0], (double)c[2], (double)c[1], (double)c[3]);
    sg_voc_object *grown = realloc(voc->objects, (size_t)(voc->n_objects + 1) * sizeof *grown);
    char *copy = strdup(object);
    if (!grown || !copy) {
        if (grown) voc->objects = grown;
        free(copy);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", name);
    }
    voc->objects = grown;
    voc->objects[voc->n_objects++] = (sg_voc_object){copy, difficult, c[0], c[1], c[2], c[3]};
    return SG_OK;
}

sg_err sg_voc_parse(const char *text, size_t len, const char *name, sg_voc *out)
{
    *out = (sg_voc){0};
    xml_node *root;
    sg_err err = xml_parse(text, len, name, &root);
    if (err != SG_OK) return err;
    char buf[1024];
    if (strcmp(root->name, "annotation") != 0)
        err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: the root element is <%.60s>, expected <annotation>",
                           name, root->line, root->name);
    if (err == SG_OK) {
        const char *f = child_text(root, "filename", buf, sizeof buf);
        if (!(out->filename = strdup(f ? f : ""))) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", name);
    }
    const xml_node *size = child(root, "size");
    if (err == SG_OK && !size)
        err = sg_notes_add(&out->warnings, "%s: no <size> (boxes are not checked against the image)", name);
    else if (err == SG_OK) {
        err = read_dimension(size, "width", 1, 1 << 20, out, name, &out->width);
        if (err == SG_OK) err = read_dimension(size, "height", 1, 1 << 20, out, name, &out->height);
        if (err == SG_OK) err = read_dimension(size, "depth", 0, 1 << 16, out, name, &out->depth);
        if (!out->width || !out->height) out->width = out->height = 0;
    }
    for (int i = 0, k = 0; i < root->n_children && err == SG_OK; i++)
        if (strcmp(root->children[i]->name, "object") == 0) err = read_object(root->children[i], ++k, out, name);
    xml_free(root);
    if (err != SG_OK) sg_voc_free(out);
    return err;
}

sg_err sg_voc_read(const char *path, sg_voc *out)
{
    char *text;
    size_t len;
    *out = (sg_voc){0};
    sg_err err = sg_file_read_all(path, VOC_MAX_BYTES, &text, &len);
    if (err != SG_OK) return err;
    err = sg_voc_parse(text, len, path, out);
    free(text);
    return err;
}
