/* serve/http.c - HTTP/1.1 request heads, multipart bodies, base64 (see http.h). */
#include "serve/http.h"

#include <string.h>

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

bool sg_http_slice_eq(sg_http_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i])) return false;
    return true;
}

/* The first occurrence of needle in hay, or NULL (memmem is not POSIX). */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m) return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0) return hay + i;
    return NULL;
}

static sg_http_slice trim(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    return (sg_http_slice){p, n};
}

static int refuse(sg_http_request *req, int status, const char *why)
{
    req->error = why;
    return status;
}

/* The comma-separated tokens of a Connection value. */
static void connection_tokens(sg_http_slice v, bool *close, bool *keep)
{
    size_t i = 0;
    while (i < v.n) {
        size_t j = i;
        while (j < v.n && v.p[j] != ',') j++;
        sg_http_slice t = trim(v.p + i, j - i);
        if (sg_http_slice_eq(t, "close")) *close = true;
        if (sg_http_slice_eq(t, "keep-alive")) *keep = true;
        i = j + 1;
    }
}

enum { MAX_CONTENT_DIGITS = 15 };

static int parse_field(sg_http_request *req, const char *line, size_t n, int *hosts, bool *te,
                       bool *close, bool *keep)
{
    if (n && (line[0] == ' ' || line[0] == '\t')) return refuse(req, 400, "obsolete line folding");
    size_t colon = 0;
    while (colon < n && is_tchar((unsigned char)line[colon])) colon++;
    if (colon == 0 || colon >= n || line[colon] != ':')
        return refuse(req, 400, "malformed header field (name, then ':' with no space before it)");
    for (size_t i = colon + 1; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return refuse(req, 400, "control character in a header value");
    }
    sg_http_slice name = {line, colon}, value = trim(line + colon + 1, n - colon - 1);
    if (sg_http_slice_eq(name, "host")) {
        (*hosts)++;
    } else if (sg_http_slice_eq(name, "content-length")) {
        if (value.n == 0 || value.n > MAX_CONTENT_DIGITS) return refuse(req, 400, "bad Content-Length");
        int64_t v = 0;
        for (size_t i = 0; i < value.n; i++) {
            if (value.p[i] < '0' || value.p[i] > '9') return refuse(req, 400, "bad Content-Length");
            v = v * 10 + (value.p[i] - '0');
        }
        if (req->content_length >= 0 && req->content_length != v)
            return refuse(req, 400, "conflicting Content-Length fields");
        req->content_length = v;
    } else if (sg_http_slice_eq(name, "transfer-encoding")) {
        *te = true;
    } else if (sg_http_slice_eq(name, "connection")) {
        connection_tokens(value, close, keep);
    } else if (sg_http_slice_eq(name, "content-type")) {
        req->content_type = value;
    } else if (sg_http_slice_eq(name, "expect")) {
        if (!sg_http_slice_eq(value, "100-continue")) return refuse(req, 417, "unknown expectation");
        req->expect_continue = true;
    }
    return 0;
}

int sg_http_parse_request(const char *buf, size_t len, size_t max_head, sg_http_request *req)
{
    memset(req, 0, sizeof *req);
    req->content_length = -1;
    size_t start = 0;
    while (start + 1 < len && buf[start] == '\r' && buf[start + 1] == '\n') start += 2;  /* 2.2 */
    size_t scan = len < max_head ? len : max_head;
    const char *end = scan > start ? find(buf + start, scan - start, "\r\n\r\n", 4) : NULL;
    if (!end) {
        /* Refuse a bare LF as soon as it arrives rather than at the time limit. */
        for (size_t i = start; i < scan; i++)
            if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r')) return refuse(req, 400, "bare LF in the request head");
        return len >= max_head ? refuse(req, 431, "request head too large") : 0;
    }
    size_t head_end = (size_t)(end - buf) + 4;
    req->head_bytes = head_end;
    /* Request line. */
    const char *p = buf + start, *line_end = find(p, head_end - start, "\r\n", 2);
    size_t n = (size_t)(line_end - p);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) return refuse(req, 400, "control character in the request line");
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i])) i++;
    if (i == 0 || i >= n || p[i] != ' ') return refuse(req, 400, "malformed request line (METHOD SP TARGET SP VERSION)");
    req->method = (sg_http_slice){p, i};
    size_t t0 = ++i;
    while (i < n && p[i] != ' ') i++;
    if (i == t0 || i >= n) return refuse(req, 400, "malformed request line (METHOD SP TARGET SP VERSION)");
    req->target = (sg_http_slice){p + t0, i - t0};
    sg_http_slice v = {p + i + 1, n - i - 1};
    if (v.n != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' || v.p[5] < '0' || v.p[5] > '9' || v.p[7] < '0' ||
        v.p[7] > '9')
        return refuse(req, 400, "malformed HTTP version");
    if (v.p[5] != '1' || (v.p[7] != '0' && v.p[7] != '1')) return refuse(req, 505, "only HTTP/1.0 and HTTP/1.1 are spoken");
    req->minor = v.p[7] - '0';
    if (req->target.p[0] == '*' && req->target.n == 1) {
        req->path = req->target;
    } else if (req->target.p[0] != '/') {
        return refuse(req, 400, "request target must be a path starting with '/'");
    } else {
        const char *q = memchr(req->target.p, '?', req->target.n);
        req->path = (sg_http_slice){req->target.p, q ? (size_t)(q - req->target.p) : req->target.n};
        if (q) req->query = (sg_http_slice){q + 1, req->target.n - req->path.n - 1};
    }
    /* Fields. */
    int hosts = 0;
    bool te = false, close = false, keep = false;
    p = line_end + 2;
    while (p < buf + head_end - 2) {
        line_end = find(p, (size_t)(buf + head_end - p), "\r\n", 2);
        int rc = parse_field(req, p, (size_t)(line_end - p), &hosts, &te, &close, &keep);
        if (rc) return rc;
        p = line_end + 2;
    }
    if (te && req->content_length >= 0) return refuse(req, 400, "both Transfer-Encoding and Content-Length");
    if (te) return refuse(req, 501, "Transfer-Encoding is not supported: send a Content-Length");
    if (req->minor == 1 && hosts != 1) return refuse(req, 400, hosts ? "more than one Host field" : "missing Host field");
    req->keep_alive = req->minor == 1 ? !close : keep && !close;
    return 200;
}

void sg_http_media_type(sg_http_slice ct, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < ct.n && ct.p[i] != ';' && n + 1 < cap; i++)
        if (ct.p[i] != ' ' && ct.p[i] != '\t') buf[n++] = (char)lower((unsigned char)ct.p[i]);
    if (cap) buf[n < cap ? n : cap - 1] = '\0';
}

bool sg_http_param(sg_http_slice ct, const char *name, sg_http_slice *value)
{
    size_t nl = strlen(name), i = 0;
    while (i < ct.n && ct.p[i] != ';') i++;
    while (i < ct.n) {
        i++;  /* past ';' */
        size_t j = i;
        bool quoted = false;
        while (j < ct.n && (quoted || ct.p[j] != ';')) {
            if (ct.p[j] == '"') quoted = !quoted;
            j++;
        }
        sg_http_slice param = trim(ct.p + i, j - i);
        const char *eq = memchr(param.p, '=', param.n);
        if (eq && sg_http_slice_eq((sg_http_slice){param.p, (size_t)(eq - param.p)}, name) &&
            (size_t)(eq - param.p) == nl) {
            sg_http_slice v = {eq + 1, param.n - (size_t)(eq - param.p) - 1};
            if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') v = (sg_http_slice){v.p + 1, v.n - 2};
            if (v.n == 0 || memchr(v.p, '"', v.n)) return false;
            *value = v;
            return true;
        }
        i = j;
    }
    return false;
}

bool sg_http_query_has(sg_http_slice q, const char *name_value)
{
    size_t m = strlen(name_value), i = 0;
    while (i < q.n) {
        size_t j = i;
        while (j < q.n && q.p[j] != '&') j++;
        if (j - i == m && memcmp(q.p + i, name_value, m) == 0) return true;
        i = j + 1;
    }
    return false;
}

enum { MAX_BOUNDARY = 70 };  /* RFC 2046 5.1.1 */

int sg_http_multipart_file(const char *body, size_t len, sg_http_slice ct, sg_http_slice *file, const char **error)
{
    sg_http_slice b;
    if (!sg_http_param(ct, "boundary", &b) || b.n > MAX_BOUNDARY) {
        *error = "multipart/form-data without a valid boundary parameter";
        return -1;
    }
    char delim[MAX_BOUNDARY + 4] = "\r\n--";
    memcpy(delim + 4, b.p, b.n);
    size_t dn = b.n + 4;
    /* The body starts with "--boundary" (a preamble is allowed: search). */
    const char *p = len >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0 ? body : find(body, len, delim, dn);
    if (!p) {
        *error = "multipart body does not contain its boundary";
        return -1;
    }
    if (p != body) p += 2;
    const char *end = body + len;
    sg_http_slice first = {NULL, 0};
    for (;;) {
        p += dn - 2;                                       /* past "--boundary" */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break;  /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            *error = "malformed multipart boundary line";
            return -1;
        }
        p += 2;
        const char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        const char *data = hend ? hend + 4 : NULL;
        if (!hend && end - p >= 2 && p[0] == '\r' && p[1] == '\n') data = p + 2;  /* no part headers */
        if (!data) {
            *error = "multipart part without the end of its headers";
            return -1;
        }
        const char *next = find(data, (size_t)(end - data), delim, dn);
        if (!next) {
            *error = "multipart part without a closing boundary";
            return -1;
        }
        sg_http_slice part = {data, (size_t)(next - data)};
        bool has_name = hend && find(p, (size_t)(hend - p), "filename=", 9);
        if (has_name) {
            *file = part;
            return 0;
        }
        if (!first.p) first = part;
        p = next + 2;
    }
    if (!first.p) {
        *error = "multipart body has no parts";
        return -1;
    }
    *file = first;
    return 0;
}

const char *sg_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

size_t sg_base64_len(size_t n) { return (n + 2) / 3 * 4; }

void sg_base64_encode(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}
