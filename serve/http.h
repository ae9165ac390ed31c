/* serve/http.h - the HTTP/1.1 message syntax the station speaks (RFC 9112),
 * as pure functions over byte buffers: no sockets, no allocation, so the
 * parser can be fuzzed on its own (fuzz/fuzz_http.c).
 *
 * What a request head may be:
 *   request-line = method SP request-target SP HTTP-version CRLF   (3)
 *   field-line   = field-name ":" OWS field-value OWS CRLF          (5)
 *   an empty line ends the head.
 * Refused with a status code (the caller answers it and closes):
 *   400  a malformed line (bare LF, control characters, whitespace before
 *        the colon, obsolete line folding, a target that is not origin-form
 *        "/..." or "*"), a missing or repeated Host on HTTP/1.1 (3.2), a bad
 *        or conflicting Content-Length, Content-Length with
 *        Transfer-Encoding (6.3)
 *   431  a head longer than `max_head` bytes
 *   501  Transfer-Encoding (the station takes Content-Length bodies only)
 *   505  an HTTP version other than 1.0 and 1.1
 * The request borrows pointers into the buffer. */
#ifndef SG_SERVE_HTTP_H
#define SG_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_http_slice {
    const char *p;
    size_t n;
} sg_http_slice;

typedef struct sg_http_request {
    sg_http_slice method;          /* "GET" */
    sg_http_slice target;          /* "/api/predict?heatmap=1" */
    sg_http_slice path;            /* the target before '?' */
    sg_http_slice query;           /* after '?' (n = 0 if none) */
    int minor;                     /* HTTP/1.<minor>: 0 or 1 */
    size_t head_bytes;             /* request line + fields + the empty line */
    int64_t content_length;        /* -1 when absent */
    sg_http_slice content_type;    /* n = 0 when absent */
    bool keep_alive;               /* 1.1 unless "Connection: close"; 1.0 only with keep-alive */
    bool expect_continue;          /* "Expect: 100-continue" */
    const char *error;             /* why a head was refused (static text) */
} sg_http_request;

/* Parse the head at the start of buf[0..len). Returns 0 when more bytes are
 * needed (no empty line yet and len <= max_head), 200 when the head is
 * complete (req filled), or the status code refusing it (req->error set). */
int sg_http_parse_request(const char *buf, size_t len, size_t max_head, sg_http_request *req);

/* Case-insensitive comparison of a slice with a NUL-terminated string. */
bool sg_http_slice_eq(sg_http_slice s, const char *lit);

/* The media type of a Content-Type value, lower-cased into buf ("image/png"
 * of "Image/PNG; q=1"); "" when absent. */
void sg_http_media_type(sg_http_slice content_type, char *buf, size_t cap);

/* The value of parameter `name` of a Content-Type ("boundary" of
 * "multipart/form-data; boundary=xyz", quotes removed); false when absent or
 * malformed. */
bool sg_http_param(sg_http_slice content_type, const char *name, sg_http_slice *value);

/* Whether query string q has name=value exactly (as "heatmap=1"). */
bool sg_http_query_has(sg_http_slice q, const char *name_value);

/* The first file of a multipart/form-data body (RFC 7578): the first part
 * whose Content-Disposition has a filename, else the first part. Returns 0
 * and the part's bytes, or -1 with *error set (static text) for a missing
 * boundary, a body that does not start with it, a part without an end. */
int sg_http_multipart_file(const char *body, size_t len, sg_http_slice content_type,
                           sg_http_slice *file, const char **error);

/* The reason phrase of a status code ("Not Found"). */
const char *sg_http_reason(int status);

/* Standard base64 (RFC 4648, with padding) of n bytes into out, which must
 * hold sg_base64_len(n) + 1 bytes; NUL-terminated. */
size_t sg_base64_len(size_t n);
void sg_base64_encode(const uint8_t *in, size_t n, char *out);

#endif
