/* serve/server.h - a small HTTP/1.1 server on POSIX sockets.
 *
 * One thread accepts; a fixed pool of `workers` threads serves connections
 * from a bounded queue, one connection at a time each (keep-alive: a worker
 * keeps its connection until the client closes it or sends "Connection:
 * close", stays idle past idle_ms, or the server stops; when connections
 * wait for a worker, a response says "Connection: close" and an idle
 * connection is closed, so a few keep-alive clients never starve the rest). Every read waits in poll() against
 * a deadline, so a client that stalls inside a request costs one worker for
 * at most head_ms / body_ms, and an idle client (keep-alive between
 * requests or after connecting, for 250 ms) costs nothing: its worker
 * leaves it for a waiting connection. Up to workers - 1 clients
 * stalling at once never delay the others; more than that (a deliberate
 * slowloris) delay new requests by up to head_ms. When the queue is full a
 * new connection gets 503 at once. Each
 * worker owns one request buffer (grown up to max_head + max_body, then
 * reused) and one response buffer: memory does not grow with the number of
 * requests.
 *
 * sg_server_stop is async-signal-safe (one write() to a pipe every poll()
 * also waits on): the accept loop ends, workers finish the request in hand
 * and close, sg_server_run returns. */
#ifndef SG_SERVE_SERVER_H
#define SG_SERVE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "serve/http.h"

/* What a handler answers; body is the worker's reusable buffer. */
typedef struct sg_http_response {
    int status;
    const char *content_type;      /* static text */
    const char *extra_headers;     /* "" or lines each ending in "\r\n" (static text) */
    char *body;
    size_t len, cap;
} sg_http_response;

/* Append bytes / printf-formatted text to the body (grown as needed; false
 * when out of memory). */
bool sg_http_response_append(sg_http_response *r, const void *data, size_t n);
bool sg_http_response_printf(sg_http_response *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* status + {"error": message} as JSON. */
void sg_http_response_error(sg_http_response *r, int status, const char *message);

typedef void (*sg_http_handler)(void *ctx, const sg_http_request *req, const uint8_t *body, size_t body_len,
                                sg_http_response *out);

typedef struct sg_server_opts {
    const char *host;              /* numeric IPv4/IPv6 address or name; default "127.0.0.1" */
    int port;                      /* 0: any free port (see sg_server_port) */
    int workers;                   /* default 4 */
    int queue;                     /* accepted connections waiting for a worker; default 64 */
    size_t max_head;               /* default 16 KiB */
    size_t max_body;               /* default 16 MiB */
    int head_ms;                   /* first byte to end of head; default 10000 */
    int body_ms;                   /* end of head to end of body; default 30000 */
    int idle_ms;                   /* keep-alive wait for the next request; default 15000 */
    int write_ms;                  /* a response's write; default 30000 */
    sg_http_handler handler;
    void *ctx;
} sg_server_opts;

typedef struct sg_server sg_server;

/* Bind and listen (SG_ERR_IO naming the address on failure); nothing is
 * served until sg_server_run. */
sg_err sg_server_open(const sg_server_opts *opts, sg_server **out);
int sg_server_port(const sg_server *s);
/* Serve until sg_server_stop; then join the workers and return. */
sg_err sg_server_run(sg_server *s);
void sg_server_stop(sg_server *s);
void sg_server_close(sg_server *s);

#endif
