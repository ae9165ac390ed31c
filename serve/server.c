/* serve/server.c - accept loop, worker pool, deadlines (see server.h). */
#include "serve/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"

struct sg_server {
    sg_server_opts o;
    int listen_fd, port;
    int stop_pipe[2];
    atomic_int stopping;               /* set by sg_server_stop (a signal handler) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int *queue;                    /* ring of accepted fds */
    int q_head, q_len;
    pthread_t *threads;
    int n_threads;
};

bool sg_http_response_append(sg_http_response *r, const void *data, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1) cap *= 2;
        char *p = realloc(r->body, cap);
        if (!p) return false;
        r->body = p;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return true;
}

bool sg_http_response_printf(sg_http_response *r, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    if ((size_t)n < sizeof small) return sg_http_response_append(r, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = sg_http_response_append(r, big, (size_t)n);
    free(big);
    return ok;
}

void sg_http_response_error(sg_http_response *r, int status, const char *message)
{
    r->status = status;
    r->content_type = "application/json";
    r->len = 0;
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "error", message);
    sg_json_writer_kv_int64(&w, "status", status);
    sg_json_writer_end_object(&w);
    size_t n;
    const char *text = sg_json_writer_finish(&w, &n);
    if (!text || !sg_http_response_append(r, text, n)) {
        r->len = 0;
        sg_http_response_append(r, "{\"error\":\"out of memory\"}", 25);
    }
    sg_json_writer_free(&w);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- one connection ------------------------------------------------------ */

typedef struct conn {
    sg_server *s;
    int fd;
    char *buf;
    size_t cap, used;
    sg_http_response res;
} conn;

enum { IO_OK = 0, IO_CLOSED, IO_TIMEOUT, IO_STOP, IO_ERROR };

/* A connection that sends nothing for this long after connecting or after
 * its last response counts as idle (browsers open connections ahead of
 * need); closing it sooner would race with a client about to send. */
enum { IDLE_GRACE_MS = 250 };
#define NEVER INT64_MAX

static bool others_waiting(sg_server *s)
{
    pthread_mutex_lock(&s->mu);
    bool waiting = s->q_len > 0;
    pthread_mutex_unlock(&s->mu);
    return waiting;
}

/* Wait for fd (events) or the stop pipe until deadline. An idle keep-alive
 * connection (`idle`) gives its worker up as soon as another connection
 * waits in the queue from time idle_from on (IO_STOP: closed unanswered, as
 * RFC 9112 9.5 allows); NEVER for a request in progress. */
static int wait_fd(conn *c, short events, int64_t deadline, bool stop_aborts, int64_t idle_from)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return IO_TIMEOUT;
        bool idle = now_ms() >= idle_from;
        if (idle && others_waiting(c->s)) return IO_STOP;
        int slice = idle_from != NEVER ? 50 : 1000;
        struct pollfd p[2] = {{.fd = c->fd, .events = events}, {.fd = c->s->stop_pipe[0], .events = POLLIN}};
        int n = poll(p, stop_aborts ? 2 : 1, left > slice ? slice : (int)left);
        if (n < 0 && errno != EINTR) return IO_ERROR;
        if (n <= 0) continue;
        if (stop_aborts && (p[1].revents & POLLIN)) return IO_STOP;
        if (p[0].revents & (events | POLLHUP | POLLERR)) return IO_OK;
    }
}

/* Read what is there (at least one byte) into the buffer, up to `limit` bytes in all. */
static int read_more(conn *c, size_t limit, int64_t deadline, int64_t idle_from)
{
    if (c->cap < limit) {
        size_t cap = c->cap ? c->cap : 8192;
        while (cap < limit && cap < c->used + 65536) cap *= 2;
        if (cap > limit) cap = limit;
        char *p = realloc(c->buf, cap);
        if (!p) return IO_ERROR;
        c->buf = p;
        c->cap = cap;
    }
    size_t room = (limit < c->cap ? limit : c->cap) - c->used;
    if (room == 0) return IO_OK;
    for (;;) {
        int rc = wait_fd(c, POLLIN, deadline, true, idle_from);
        if (rc != IO_OK) return rc;
        ssize_t n = recv(c->fd, c->buf + c->used, room, 0);
        if (n > 0) {
            c->used += (size_t)n;
            return IO_OK;
        }
        if (n == 0) return IO_CLOSED;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return IO_ERROR;
    }
}

static bool send_all(conn *c, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
        if (wait_fd(c, POLLOUT, deadline, false, NEVER) != IO_OK) return false;
    }
    return true;
}

static bool send_response(conn *c, const sg_http_request *req, bool keep, bool head_only)
{
    sg_http_response *r = &c->res;
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
                     r->status, sg_http_reason(r->status), r->content_type ? r->content_type : "application/json",
                     r->len, keep ? "keep-alive" : "close", r->extra_headers ? r->extra_headers : "");
    (void)req;
    int64_t deadline = now_ms() + c->s->o.write_ms;
    if (n < 0 || (size_t)n >= sizeof head || !send_all(c, head, (size_t)n, deadline)) return false;
    return head_only || send_all(c, r->body ? r->body : "", r->len, deadline);
}

/* Answer an error and give up the connection. The client may still be
 * sending (a body over the limit): closing with unread bytes would reset the
 * connection and could destroy the answer before it is read, so the write
 * side is shut first and what arrives is read and dropped for a moment
 * (at most LINGER_MS, LINGER_BYTES). */
enum { LINGER_MS = 500, LINGER_BYTES = 1 << 20 };

static void fail(conn *c, int status, const char *message)
{
    sg_http_response_error(&c->res, status, message);
    c->res.extra_headers = "";
    if (!send_response(c, NULL, false, false)) return;
    shutdown(c->fd, SHUT_WR);
    int64_t deadline = now_ms() + LINGER_MS;
    char sink[4096];
    for (size_t dropped = 0; dropped < LINGER_BYTES;) {
        if (wait_fd(c, POLLIN, deadline, true, NEVER) != IO_OK) break;
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
        if (n > 0) dropped += (size_t)n;
    }
}

static void serve_connection(conn *c)
{
    sg_server *s = c->s;
    c->used = 0;
    int64_t accepted = now_ms();
    for (int served = 0;; served++) {
        /* The head: idle_ms for its first byte, then head_ms in all. */
        sg_http_request req;
        int status = c->used ? sg_http_parse_request(c->buf, c->used, s->o.max_head, &req) : 0;
        int64_t deadline = now_ms() + (c->used ? s->o.head_ms : s->o.idle_ms);
        bool started = c->used > 0;
        while (status == 0) {
            int rc = read_more(c, s->o.max_head + s->o.max_body, deadline,
                               started ? NEVER : (served ? now_ms() : accepted) + IDLE_GRACE_MS);
            if (rc == IO_TIMEOUT && started) fail(c, 408, "request head not received in time");
            if (rc != IO_OK) return;
            if (!started) {
                started = true;
                deadline = now_ms() + s->o.head_ms;
            }
            status = sg_http_parse_request(c->buf, c->used, s->o.max_head, &req);
        }
        if (status != 200) {
            fail(c, status, req.error);
            return;
        }
        bool is_get = sg_http_slice_eq(req.method, "GET") || sg_http_slice_eq(req.method, "HEAD");
        size_t body = req.content_length > 0 ? (size_t)req.content_length : 0;
        if (req.content_length < 0 && !is_get && !sg_http_slice_eq(req.method, "OPTIONS") &&
            !sg_http_slice_eq(req.method, "DELETE")) {
            fail(c, 411, "a request with a body needs Content-Length");
            return;
        }
        if (req.content_length > 0 && (uint64_t)req.content_length > s->o.max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "body of %lld bytes is over the limit of %zu bytes",
                     (long long)req.content_length, s->o.max_body);
            fail(c, 413, msg);
            return;
        }
        size_t total = req.head_bytes + body;
        if (req.expect_continue && c->used < total &&
            !send_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, now_ms() + s->o.write_ms))
            return;
        deadline = now_ms() + s->o.body_ms;
        while (c->used < total) {
            int rc = read_more(c, total, deadline, NEVER);
            if (rc == IO_TIMEOUT) fail(c, 408, "request body not received in time");
            if (rc != IO_OK) return;
        }
        /* The request's pointers stay valid: the buffer does not move below `total`. */
        sg_http_parse_request(c->buf, c->used, s->o.max_head, &req);
        c->res.len = 0;
        c->res.status = 500;
        c->res.content_type = "application/json";
        c->res.extra_headers = "";
        s->o.handler(s->o.ctx, &req, (const uint8_t *)c->buf + req.head_bytes, body, &c->res);
        /* With connections waiting for a worker, this one is told to close
         * (fairness without the race of closing an idle connection). */
        bool keep = req.keep_alive && !s->stopping && !others_waiting(s);
        if (!send_response(c, &req, keep, sg_http_slice_eq(req.method, "HEAD")) || !keep) return;
        /* Pipelined bytes of the next request move to the front. */
        memmove(c->buf, c->buf + total, c->used - total);
        c->used -= total;
    }
}

/* ---- the pool -------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    sg_server *s = arg;
    conn c = {.s = s};
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->stopping && s->q_len == 0) pthread_cond_wait(&s->cv, &s->mu);
        if (s->q_len == 0) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        c.fd = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % s->o.queue;
        s->q_len--;
        pthread_mutex_unlock(&s->mu);
        serve_connection(&c);
        close(c.fd);
        /* A huge request's buffer is not kept for the next connection. */
        if (c.cap > (size_t)1 << 20) {
            free(c.buf);
            c.buf = NULL;
            c.cap = 0;
        }
        if (c.res.cap > (size_t)4 << 20) {
            free(c.res.body);
            c.res.body = NULL;
            c.res.cap = 0;
        }
    }
    free(c.buf);
    free(c.res.body);
    return NULL;
}

sg_err sg_server_open(const sg_server_opts *opts, sg_server **out)
{
    *out = NULL;
    sg_server *s = calloc(1, sizeof *s);
    if (!s) return sg_error_set(SG_ERR_NOMEM, "server: out of memory");
    s->o = *opts;
    if (!s->o.host || !*s->o.host) s->o.host = "127.0.0.1";
    if (s->o.workers <= 0) s->o.workers = 4;
    if (s->o.queue <= 0) s->o.queue = 64;
    if (!s->o.max_head) s->o.max_head = 16 << 10;
    if (!s->o.max_body) s->o.max_body = 16 << 20;
    if (s->o.head_ms <= 0) s->o.head_ms = 10000;
    if (s->o.body_ms <= 0) s->o.body_ms = 30000;
    if (s->o.idle_ms <= 0) s->o.idle_ms = 15000;
    if (s->o.write_ms <= 0) s->o.write_ms = 30000;
    s->listen_fd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
    s->queue = malloc((size_t)s->o.queue * sizeof *s->queue);
    s->threads = calloc((size_t)s->o.workers, sizeof *s->threads);
    if (!s->queue || !s->threads || pipe(s->stop_pipe) != 0) {
        sg_server_close(s);
        return sg_error_set(SG_ERR_NOMEM, "server: out of memory or file descriptors");
    }
    fcntl(s->stop_pipe[1], F_SETFL, O_NONBLOCK);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", s->o.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
    int rc = getaddrinfo(s->o.host, port, &hints, &ai);
    if (rc != 0) {
        sg_err err = sg_error_set(SG_ERR_IO, "--host %s: %s", s->o.host, gai_strerror(rc));
        sg_server_close(s);
        return err;
    }
    int saved = 0;
    for (struct addrinfo *a = ai; a && s->listen_fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            s->listen_fd = fd;
            struct sockaddr_storage ss;
            socklen_t len = sizeof ss;
            if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
                s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                                   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else {
            saved = errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (s->listen_fd < 0) {
        sg_err err = sg_error_set(SG_ERR_IO, "cannot listen on %s port %d: %s", s->o.host, s->o.port,
                                  strerror(saved ? saved : EADDRNOTAVAIL));
        sg_server_close(s);
        return err;
    }
    fcntl(s->listen_fd, F_SETFL, O_NONBLOCK);
    *out = s;
    return SG_OK;
}

int sg_server_port(const sg_server *s) { return s->port; }

static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                           "Content-Length: 51\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
                           "{\"error\":\"every worker is busy; retry\",\"status\":503}";

sg_err sg_server_run(sg_server *s)
{
    for (int i = 0; i < s->o.workers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) break;
        s->n_threads++;
    }
    if (s->n_threads == 0) return sg_error_set(SG_ERR_NOMEM, "server: cannot start a worker thread");
    while (!s->stopping) {
        struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN}, {.fd = s->stop_pipe[0], .events = POLLIN}};
        int n = poll(p, 2, 1000);
        if (n <= 0) continue;
        if (p[1].revents & POLLIN) break;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&s->mu);
        bool full = s->q_len == s->o.queue;
        if (!full) {
            s->queue[(s->q_head + s->q_len) % s->o.queue] = fd;
            s->q_len++;
            pthread_cond_signal(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        if (full) {
            if (send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL) < 0) { /* best effort */ }
            close(fd);
        }
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    /* Connections still queued are closed unanswered. */
    while (s->q_len) {
        close(s->queue[s->q_head]);
        s->q_head = (s->q_head + 1) % s->o.queue;
        s->q_len--;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
    s->n_threads = 0;
    return SG_OK;
}

void sg_server_stop(sg_server *s)
{
    s->stopping = 1;
    if (write(s->stop_pipe[1], "x", 1) < 0) { /* the pipe already holds a byte */ }
}

void sg_server_close(sg_server *s)
{
    if (!s) return;
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->stop_pipe[0] >= 0) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    free(s->queue);
    free(s->threads);
    free(s);
}
