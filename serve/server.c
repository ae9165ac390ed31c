/* serve/server.c - a poll thread that receives requests, a worker pool that
 * answers them, deadlines (see server.h). */
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

/* A connection's slot. The poll thread owns it while a request is being
 * received (C_READ) or an error answered (C_FAIL, C_LINGER); a worker owns it
 * from a complete request until it gives it back (C_WORK). `state` is only
 * ever changed by the poll thread; the hand-overs go through s->mu. */
enum { C_FREE, C_READ, C_WORK, C_FAIL, C_LINGER };

typedef struct conn {
    int fd, state;
    char *buf;                         /* the request (and pipelined bytes); kept from request to request */
    size_t cap, used;
    bool head_done;                    /* the head is parsed and accepted ... */
    size_t total;                      /* ... and the request is head + body = total bytes */
    int64_t deadline;                  /* of the current phase (idle, head, body, linger) */
    int64_t idle_since;                /* connected or last answered */
    char out[1536];                    /* what the poll thread owes: 100 Continue or an error answer */
    size_t out_len, out_off, dropped;
    int64_t out_deadline;
} conn;

struct sg_server {
    sg_server_opts o;
    int listen_fd, port;
    int stop_pipe[2];
    int wake_pipe[2];                  /* a worker gave a connection back */
    atomic_int stopping;               /* set by sg_server_stop (a signal handler) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    conn *conns;                       /* queue + workers slots */
    int n_conns;
    int *ready;                        /* ring of slots with a complete request, for the workers */
    int r_head, r_len;
    int *back;                         /* slots the workers have answered, for the poll thread */
    int b_len;
    struct pollfd *pfd;                /* the poll thread's: 3 + n_conns */
    int *pidx;
    sg_http_response err;              /* the poll thread's error answers */
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

/* ---- the worker's side: one complete request, one response ----------------- */

/* A response head; keep says whether the connection stays open. */
static int format_head(char *dst, size_t cap, const sg_http_response *r, bool keep)
{
    return snprintf(dst, cap,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n"
                    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
                    r->status, sg_http_reason(r->status), r->content_type ? r->content_type : "application/json",
                    r->len, keep ? "keep-alive" : "close", r->extra_headers ? r->extra_headers : "");
}

/* Send n bytes before deadline (the socket is non-blocking: wait in poll()). */
static bool send_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
        int64_t left = deadline - now_ms();
        if (left <= 0) return false;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (poll(&pf, 1, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR) return false;
    }
    return true;
}

/* Run the handler on the complete request in c's buffer and answer it. The
 * connection stays open (pipelined bytes moved to the front) or is closed
 * (c->fd = -1); either way the poll thread gets it back. */
static void serve_request(sg_server *s, conn *c, sg_http_response *res)
{
    sg_http_request req;
    /* The poll thread parsed this head already; the pointers go into c->buf. */
    sg_http_parse_request(c->buf, c->used, s->o.max_head, &req);
    size_t body = req.content_length > 0 ? (size_t)req.content_length : 0;
    res->len = 0;
    res->status = 500;
    res->content_type = "application/json";
    res->extra_headers = "";
    s->o.handler(s->o.ctx, &req, (const uint8_t *)c->buf + req.head_bytes, body, res);
    bool keep = req.keep_alive && !s->stopping;
    bool head_only = sg_http_slice_eq(req.method, "HEAD");
    char head[1024];
    int n = format_head(head, sizeof head, res, keep);
    int64_t deadline = now_ms() + s->o.write_ms;
    bool ok = n >= 0 && (size_t)n < sizeof head && send_all(c->fd, head, (size_t)n, deadline) &&
              (head_only || send_all(c->fd, res->body ? res->body : "", res->len, deadline));
    if (!ok || !keep) {
        close(c->fd);
        c->fd = -1;
        c->used = 0;
        return;
    }
    /* Pipelined bytes of the next request move to the front. */
    memmove(c->buf, c->buf + c->total, c->used - c->total);
    c->used -= c->total;
}

static void *worker_main(void *arg)
{
    sg_server *s = arg;
    sg_http_response res = {0};
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->stopping && s->r_len == 0) pthread_cond_wait(&s->cv, &s->mu);
        if (s->r_len == 0) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        int i = s->ready[s->r_head];
        s->r_head = (s->r_head + 1) % s->n_conns;
        s->r_len--;
        pthread_mutex_unlock(&s->mu);
        serve_request(s, &s->conns[i], &res);
        pthread_mutex_lock(&s->mu);
        s->back[s->b_len++] = i;
        pthread_mutex_unlock(&s->mu);
        if (write(s->wake_pipe[1], "x", 1) < 0) { /* the pipe already holds bytes: the poll thread wakes */ }
        /* A huge response's buffer is not kept for the next request. */
        if (res.cap > (size_t)4 << 20) {
            free(res.body);
            res = (sg_http_response){0};
        }
    }
    free(res.body);
    return NULL;
}

/* ---- the poll thread's side: receiving requests ----------------------------- */

/* A connection that sends nothing for this long after connecting or after
 * its last response counts as idle (browsers open connections ahead of
 * need): when every slot is taken, the longest idle one is closed unanswered
 * (RFC 9112 9.5) for a new connection; closing it sooner would race with a
 * client about to send. */
enum { IDLE_GRACE_MS = 250 };

/* An error answer is followed by a moment of reading and dropping what the
 * client still sends (a body over the limit): closing with unread bytes
 * would reset the connection and could destroy the answer before it is read,
 * so the write side is shut first (at most LINGER_MS, LINGER_BYTES). */
enum { LINGER_MS = 500, LINGER_BYTES = 1 << 20 };

static const char continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

static bool again(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

static void conn_close(conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = C_FREE;
    c->used = 0;
    c->out_len = c->out_off = 0;
    /* A huge request's buffer is not kept for the next connection. */
    if (c->cap > (size_t)1 << 20) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
}

/* Wait for the next request (bytes of it may be in the buffer already). */
static void conn_await(sg_server *s, conn *c, int64_t now)
{
    c->state = C_READ;
    c->head_done = false;
    c->total = 0;
    c->out_len = c->out_off = 0;
    c->idle_since = now;
    c->deadline = now + (c->used ? s->o.head_ms : s->o.idle_ms);
}

/* Send what the poll thread owes the client without blocking; after an error
 * answer, shut the write side and linger. False when c was closed. */
static bool flush_out(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (k > 0) {
            c->out_off += (size_t)k;
            continue;
        }
        if (k < 0 && again()) return true;
        conn_close(c);
        return false;
    }
    c->out_len = c->out_off = 0;
    if (c->state == C_FAIL) {
        shutdown(c->fd, SHUT_WR);
        c->state = C_LINGER;
        c->deadline = now_ms() + LINGER_MS;
        c->dropped = 0;
    }
    return true;
}

/* Answer status + {"error": message} and give the connection up. */
static void conn_fail(sg_server *s, conn *c, int status, const char *message)
{
    sg_http_response *r = &s->err;
    sg_http_response_error(r, status, message);
    r->extra_headers = "";
    int n = format_head(c->out, sizeof c->out, r, false);
    if (n < 0 || (size_t)n + r->len > sizeof c->out) {
        conn_close(c);
        return;
    }
    memcpy(c->out + n, r->body, r->len);
    c->out_len = (size_t)n + r->len;
    c->out_off = 0;
    c->out_deadline = now_ms() + s->o.write_ms;
    c->state = C_FAIL;
    flush_out(c);
}

static void hand_to_worker(sg_server *s, conn *c)
{
    c->state = C_WORK;
    pthread_mutex_lock(&s->mu);
    s->ready[(s->r_head + s->r_len) % s->n_conns] = (int)(c - s->conns);
    s->r_len++;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Check what has arrived: refuse a bad head, ask for the body, or hand a
 * complete request to the workers. */
static void advance(sg_server *s, conn *c)
{
    if (!c->head_done) {
        sg_http_request req;
        int status = sg_http_parse_request(c->buf, c->used, s->o.max_head, &req);
        if (status == 0) return;
        if (status != 200) {
            conn_fail(s, c, status, req.error);
            return;
        }
        bool is_get = sg_http_slice_eq(req.method, "GET") || sg_http_slice_eq(req.method, "HEAD");
        size_t body = req.content_length > 0 ? (size_t)req.content_length : 0;
        if (req.content_length < 0 && !is_get && !sg_http_slice_eq(req.method, "OPTIONS") &&
            !sg_http_slice_eq(req.method, "DELETE")) {
            conn_fail(s, c, 411, "a request with a body needs Content-Length");
            return;
        }
        if (req.content_length > 0 && (uint64_t)req.content_length > s->o.max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "body of %lld bytes is over the limit of %zu bytes",
                     (long long)req.content_length, s->o.max_body);
            conn_fail(s, c, 413, msg);
            return;
        }
        c->head_done = true;
        c->total = req.head_bytes + body;
        int64_t now = now_ms();
        c->deadline = now + s->o.body_ms;
        if (req.expect_continue && c->used < c->total) {
            memcpy(c->out, continue_100, sizeof continue_100 - 1);
            c->out_len = sizeof continue_100 - 1;
            c->out_off = 0;
            c->out_deadline = now + s->o.write_ms;
            if (!flush_out(c)) return;
        }
    }
    if (c->used >= c->total && c->out_len == 0) hand_to_worker(s, c);
}

/* c is readable: take what is there (reading), or drop it (lingering). */
static void on_readable(sg_server *s, conn *c)
{
    if (c->state == C_LINGER) {
        char sink[4096];
        for (int k = 0; k < 16; k++) {
            ssize_t n = recv(c->fd, sink, sizeof sink, 0);
            if (n > 0) {
                c->dropped += (size_t)n;
                if (c->dropped < LINGER_BYTES) continue;
            } else if (n < 0 && again()) {
                return;
            }
            conn_close(c);
            return;
        }
        return;
    }
    size_t limit = c->head_done ? c->total : s->o.max_head + s->o.max_body;
    if (c->used == c->cap && c->cap < limit) {
        /* 8 KiB holds most requests; an upload doubles it as it arrives. */
        size_t cap = c->cap ? c->cap * 2 : 8192;
        if (cap > limit) cap = limit;
        char *p = realloc(c->buf, cap);
        if (!p) {
            conn_close(c);
            return;
        }
        c->buf = p;
        c->cap = cap;
    }
    size_t room = (limit < c->cap ? limit : c->cap) - c->used;
    if (room == 0) return;
    ssize_t n = recv(c->fd, c->buf + c->used, room, 0);
    if (n < 0 && again()) return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    /* The head's time runs from its first byte. */
    if (!c->head_done && c->used == 0) c->deadline = now_ms() + s->o.head_ms;
    c->used += (size_t)n;
    advance(s, c);
}

/* Deadlines: 408 for a request in progress, a silent close for an idle
 * connection or a client that does not read its answer. */
static void check_time(sg_server *s, conn *c, int64_t now)
{
    if (c->state == C_READ) {
        if (c->out_len && now >= c->out_deadline) conn_close(c);
        else if (now < c->deadline) return;
        else if (c->head_done) conn_fail(s, c, 408, "request body not received in time");
        else if (c->used) conn_fail(s, c, 408, "request head not received in time");
        else conn_close(c);
    } else if (c->state == C_FAIL) {
        if (now >= c->out_deadline) conn_close(c);
    } else if (c->state == C_LINGER) {
        if (now >= c->deadline) conn_close(c);
    }
}

/* A slot for a new connection: a free one, else the longest idle one
 * (closed unanswered), else none. */
static conn *take_slot(sg_server *s, int64_t now)
{
    conn *idle = NULL;
    for (int i = 0; i < s->n_conns; i++) {
        conn *c = &s->conns[i];
        if (c->state == C_FREE) return c;
        if (c->state == C_READ && c->used == 0 && c->out_len == 0 && now - c->idle_since >= IDLE_GRACE_MS &&
            (!idle || c->idle_since < idle->idle_since))
            idle = c;
    }
    if (idle) conn_close(idle);
    return idle;
}

static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                           "Content-Length: 51\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
                           "{\"error\":\"every worker is busy; retry\",\"status\":503}";

static void accept_some(sg_server *s)
{
    for (int k = 0; k < 16; k++) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) return;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int64_t now = now_ms();
        conn *c = take_slot(s, now);
        if (!c) {
            if (send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL) < 0) { /* best effort */ }
            close(fd);
            continue;
        }
        c->fd = fd;
        c->used = 0;
        conn_await(s, c, now);
    }
}

/* Connections the workers have answered: wait for their next request (or
 * free the slot of a closed one). */
static void take_back(sg_server *s)
{
    char drain[64];
    while (read(s->wake_pipe[0], drain, sizeof drain) > 0) {}
    int64_t now = now_ms();
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int i = s->b_len ? s->back[--s->b_len] : -1;
        pthread_mutex_unlock(&s->mu);
        if (i < 0) return;
        conn *c = &s->conns[i];
        if (c->fd < 0 || s->stopping) {
            conn_close(c);
            continue;
        }
        conn_await(s, c, now);
        if (c->used) advance(s, c);  /* a pipelined request */
    }
}

sg_err sg_server_run(sg_server *s)
{
    for (int i = 0; i < s->o.workers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) break;
        s->n_threads++;
    }
    if (s->n_threads == 0) return sg_error_set(SG_ERR_NOMEM, "server: cannot start a worker thread");
    struct pollfd *p = s->pfd;
    while (!s->stopping) {
        int64_t now = now_ms(), wait = 1000;
        p[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        p[1] = (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
        p[2] = (struct pollfd){.fd = s->wake_pipe[0], .events = POLLIN};
        int np = 3;
        for (int i = 0; i < s->n_conns; i++) {
            conn *c = &s->conns[i];
            if (c->state == C_FREE || c->state == C_WORK) continue;
            short ev = 0;
            int64_t due = c->state == C_FAIL ? c->out_deadline : c->deadline;
            if (c->out_len) {
                ev |= POLLOUT;
                if (c->out_deadline < due) due = c->out_deadline;
            }
            if (c->state == C_LINGER || (c->state == C_READ && !(c->head_done && c->used >= c->total))) ev |= POLLIN;
            if (due - now < wait) wait = due - now < 0 ? 0 : due - now;
            s->pidx[np] = i;
            p[np++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        int n = poll(p, (nfds_t)np, (int)wait);
        if (n > 0 && (p[1].revents & POLLIN)) break;
        if (n > 0) {
            for (int k = 3; k < np; k++) {
                conn *c = &s->conns[s->pidx[k]];
                short r = p[k].revents;
                if (!r || c->fd != p[k].fd) continue;
                if ((r & (POLLOUT | POLLERR | POLLHUP)) && c->out_len && !flush_out(c)) continue;
                if ((r & (POLLIN | POLLERR | POLLHUP)) && (c->state == C_LINGER || c->state == C_READ) &&
                    (c->state == C_LINGER || !(c->head_done && c->used >= c->total)))
                    on_readable(s, c);
                else if (c->state == C_READ && c->out_len == 0 && c->head_done) advance(s, c);
            }
            if (p[2].revents & POLLIN) take_back(s);
        }
        now = now_ms();
        for (int i = 0; i < s->n_conns; i++) check_time(s, &s->conns[i], now);
        if (n > 0 && (p[0].revents & POLLIN)) accept_some(s);
    }
    /* Requests not yet taken by a worker and connections still being read
     * are closed unanswered; workers finish the requests in hand. */
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    while (s->r_len) {
        conn_close(&s->conns[s->ready[s->r_head]]);
        s->r_head = (s->r_head + 1) % s->n_conns;
        s->r_len--;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n_conns; i++)
        if (s->conns[i].state != C_WORK) conn_close(&s->conns[i]);
    for (int i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
    s->n_threads = 0;
    take_back(s);
    return SG_OK;
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
    s->listen_fd = s->stop_pipe[0] = s->stop_pipe[1] = s->wake_pipe[0] = s->wake_pipe[1] = -1;
    s->n_conns = s->o.queue + s->o.workers;
    size_t n = (size_t)s->n_conns;
    s->conns = calloc(n, sizeof *s->conns);
    s->ready = malloc(n * sizeof *s->ready);
    s->back = malloc(n * sizeof *s->back);
    s->pfd = malloc((n + 3) * sizeof *s->pfd);
    s->pidx = malloc((n + 3) * sizeof *s->pidx);
    s->threads = calloc((size_t)s->o.workers, sizeof *s->threads);
    if (s->conns)
        for (size_t i = 0; i < n; i++) s->conns[i].fd = -1;
    if (!s->conns || !s->ready || !s->back || !s->pfd || !s->pidx || !s->threads || pipe(s->stop_pipe) != 0 ||
        pipe(s->wake_pipe) != 0) {
        sg_server_close(s);
        return sg_error_set(SG_ERR_NOMEM, "server: out of memory or file descriptors");
    }
    fcntl(s->stop_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl(s->wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(s->wake_pipe[1], F_SETFL, O_NONBLOCK);
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

void sg_server_stop(sg_server *s)
{
    s->stopping = 1;
    if (write(s->stop_pipe[1], "x", 1) < 0) { /* the pipe already holds a byte */ }
}

void sg_server_close(sg_server *s)
{
    if (!s) return;
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->wake_pipe[0] >= 0) {
        close(s->wake_pipe[0]);
        close(s->wake_pipe[1]);
    }
    if (s->stop_pipe[0] >= 0) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        if (s->wake_pipe[0] >= 0) {
            pthread_mutex_destroy(&s->mu);
            pthread_cond_destroy(&s->cv);
        }
    }
    if (s->conns)
        for (int i = 0; i < s->n_conns; i++) {
            if (s->conns[i].fd >= 0) close(s->conns[i].fd);
            free(s->conns[i].buf);
        }
    free(s->conns);
    free(s->ready);
    free(s->back);
    free(s->pfd);
    free(s->pidx);
    free(s->err.body);
    free(s->threads);
    free(s);
}
