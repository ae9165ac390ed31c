/* serve/server.h - a small HTTP/1.1 server on POSIX sockets.
 *
 * One poll thread owns every connection while a request is being received:
 * it accepts, polls all of them at once, reads what has arrived into the
 * connection's buffer, parses the head, enforces the limits and deadlines
 * (408, 411, 413, 431, ...; 100 Continue), answers errors itself without
 * blocking (then shuts the write side and drops what the client still sends
 * for a moment), and hands only complete requests to a fixed pool of
 * `workers` threads. A worker runs the handler, sends the response (against
 * write_ms) and gives a keep-alive connection back, pipelined bytes kept. So
 * a slow client (a byte a second, inside head_ms / body_ms) costs a
 * connection slot, never a worker: any number of them never delay another
 * client's request. There are queue + workers slots; when all are taken, the
 * connection idle longest (silent for 250 ms or more, between requests or
 * since connecting) is closed for the new one, else the new one gets 503 at
 * once. Each slot owns one request buffer (from 8 KiB, doubled up to
 * max_head + max_body as needed, then reused; returned when a connection
 * that needed over 1 MiB closes), each worker one response buffer (returned
 * after a response over 4 MiB): memory does not grow with the number of
 * requests.
 *
 * sg_server_stop is async-signal-safe (one write() to a pipe the poll thread
 * waits on): accepting ends, connections being received are closed, workers
 * finish the request in hand and close, sg_server_run returns. */
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
    int workers;                   /* threads running the handler; default 4 */
    int queue;                     /* connections beyond `workers` open at once; default 64 */
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
