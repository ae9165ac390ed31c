/* bench/bench_serve.c - the inspection station under load, on loopback only.
 * A checkpoint of an untrained model (weights do not change the cost) is
 * written to /tmp, served in-process on an ephemeral 127.0.0.1 port, and
 * JSON lines report:
 *   {"bench":"serve_load","model":..,"size":..,"requests":2000,"connections":32,
 *    "malformed":..,"good_failed":0,"p50_ms":..,"p99_ms":..,"rss_kb_before":..,
 *    "rss_kb_after":..}
 *     2,000 requests over 32 keep-alive connections; every 10th is a
 *     malformed one (bad request line, oversized body, corrupt image, wrong
 *     content type) sent on its own connection; latency is the client's round
 *     trip of the good POST /api/predict requests; RSS (Linux /proc) after a
 *     warm-up and at the end;
 *   {"bench":"serve_latency","model":..,"size":..,"forward_ms":..,"predict_ms":..,"ratio":..}
 *     batch-1 POST /api/predict round trip against sg_predict_image alone on
 *     the same image (median of `reps`), the 1.2x target.
 * Environment: SG_BENCH_SERVE_MODEL (cnn), SG_BENCH_SERVE_SIZE (96),
 * SG_BENCH_SERVE_REQUESTS (2000), SG_BENCH_LATENCY_MODEL (resnet50 at 224; "" skips).
 * Stops by itself; never pass/fail except on a failed good request. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/init.h"
#include "data/png.h"
#include "serve/server.h"
#include "serve/station.h"
#include "train/checkpoint.h"
#include "train/eval.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static const char *const class_names[] = {"crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale",
                                          "scratches"};

/* An untrained checkpoint of `model` at `size` into path. */
static int make_checkpoint(const char *path, const char *model, int size, int channels)
{
    sg_train_config cfg;
    sg_train_config_defaults(&cfg);
    cfg.model = model;
    cfg.size = size;
    cfg.channels = channels;
    sg_model_options o = sg_train_model_options(&cfg, 6);
    sg_model m;
    if (sg_model_build(&m, model, &o, 1) != SG_OK) return -1;
    sg_run_state st = {0};
    sg_err err = sg_run_checkpoint_save(path, &m, NULL, class_names, 6, &cfg, &st);
    sg_model_free(&m);
    return err == SG_OK ? 0 : -1;
}

/* A gray PNG of side s (a gradient with a bar) as bytes. */
static uint8_t *make_png(int s, size_t *n)
{
    sg_image img;
    if (sg_image_alloc(&img, s, s, 1, 8, NULL, "bench") != SG_OK) return NULL;
    uint8_t *p = img.pixels;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) p[y * s + x] = (uint8_t)((x * 255 / s + (x > s / 3 && x < s / 2 ? 90 : 0)) & 255);
    uint8_t *png = NULL;
    sg_png_encode(&img, 6, &png, n);
    sg_image_free(&img);
    return png;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Send req and read one response; its status, or -1. */
static int roundtrip(int fd, const char *req, size_t n, char *buf, size_t cap)
{
    if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) return -1;
    size_t used = 0, total = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 60000) != 1) return -1;
        ssize_t k = recv(fd, buf + used, cap - used - 1, 0);
        if (k <= 0) return -1;
        used += (size_t)k;
        buf[used] = '\0';
        char *e = strstr(buf, "\r\n\r\n");
        if (e && !total) {
            const char *cl = strstr(buf, "Content-Length: ");
            total = (size_t)(e - buf) + 4 + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (total && used >= total) {
            char *c = strstr(buf, "Connection: close");
            return c && c < e ? -atoi(buf + 9) : atoi(buf + 9);  /* negative: the server closes */
        }
        if (used + 1 >= cap) return -1;
    }
}

typedef struct client {
    int port, index, count;
    const char *good;
    size_t good_len;
    double *lat;
    int n_lat, failed, malformed;
} client;

static const char *const bad_requests[] = {
    "HELLO\r\n\r\n",
    "POST /api/predict HTTP/1.1\r\nHost: b\r\nContent-Type: image/png\r\nContent-Length: 999999999\r\n\r\n",
    "POST /api/predict HTTP/1.1\r\nHost: b\r\nContent-Type: image/png\r\nContent-Length: 12\r\n\r\n\x89PNG\r\n\x1a\nJUNK",
    "POST /api/predict HTTP/1.1\r\nHost: b\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
    "GET /../../etc/passwd HTTP/1.1\r\nHost: b\r\n\r\n",
};

static void *client_main(void *arg)
{
    client *c = arg;
    char *buf = malloc(1 << 16);
    int fd = -1;
    for (int i = 0; i < c->count; i++) {
        if ((c->index + i) % 10 == 9) {
            const char *bad = bad_requests[(c->index + i) / 10 % 5];
            int b = connect_to(c->port);
            int st = b >= 0 ? roundtrip(b, bad, strlen(bad), buf, 1 << 16) : -1;
            st = st < 0 ? -st : st;
            if (st >= 400 && st < 500) c->malformed++;
            else c->failed++;  /* a malformed request must get a 4xx */
            if (b >= 0) close(b);
            continue;
        }
        if (fd < 0) fd = connect_to(c->port);
        double t0 = now_ms();
        int st = fd >= 0 ? roundtrip(fd, c->good, c->good_len, buf, 1 << 16) : -1;
        if (st == -200) {  /* answered, and the server asked to reconnect */
            close(fd);
            fd = -1;
            st = 200;
        }
        if (st == 200) {
            c->lat[c->n_lat++] = now_ms() - t0;
        } else {
            c->failed++;
            if (fd >= 0) close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    free(buf);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *run_server(void *s)
{
    sg_server_run(s);
    return NULL;
}

static char *post_request(const uint8_t *png, size_t n, size_t *len)
{
    char *req = malloc(n + 256);
    int h = snprintf(req, 256, "POST /api/predict HTTP/1.1\r\nHost: b\r\nContent-Type: image/png\r\nContent-Length: %zu\r\n\r\n", n);
    memcpy(req + h, png, n);
    *len = (size_t)h + n;
    return req;
}

static int start(const char *path, sg_station **st, sg_server **srv, pthread_t *th)
{
    if (sg_station_open(path, st) != SG_OK) return -1;
    sg_server_opts o = {.port = 0, .workers = 4, .queue = 64, .max_body = 1 << 20, .handler = sg_station_handle, .ctx = *st};
    if (sg_server_open(&o, srv) != SG_OK) return -1;
    return pthread_create(th, NULL, run_server, *srv);
}

static void finish(sg_station *st, sg_server *srv, pthread_t th)
{
    sg_server_stop(srv);
    pthread_join(th, NULL);
    sg_server_close(srv);
    sg_station_close(st);
}

static int load_test(const char *model, int size, int requests)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/sg_bench_serve_%d.safetensors", (int)getpid());
    if (make_checkpoint(path, model, size, 1) != 0) return fprintf(stderr, "checkpoint: %s\n", sg_error_message()), 1;
    size_t n, len;
    uint8_t *png = make_png(200, &n);
    char *req = post_request(png, n, &len);
    sg_station *st;
    sg_server *srv;
    pthread_t th;
    if (start(path, &st, &srv, &th) != 0) return fprintf(stderr, "server: %s\n", sg_error_message()), 1;
    enum { CONNECTIONS = 32 };
    client cs[CONNECTIONS];
    pthread_t ts[CONNECTIONS];
    /* Warm-up: every worker's buffers at their working size. */
    for (int i = 0; i < CONNECTIONS; i++) {
        cs[i] = (client){.port = sg_server_port(srv), .index = i, .count = 3, .good = req, .good_len = len};
        cs[i].lat = malloc((size_t)requests * sizeof(double));
        pthread_create(&ts[i], NULL, client_main, &cs[i]);
    }
    for (int i = 0; i < CONNECTIONS; i++) pthread_join(ts[i], NULL);
    long before = rss_kb();
    double t0 = now_ms();
    for (int i = 0; i < CONNECTIONS; i++) {
        double *lat = cs[i].lat;
        cs[i] = (client){.port = sg_server_port(srv), .index = i, .good = req, .good_len = len, .lat = lat,
                         .count = requests / CONNECTIONS + (i < requests % CONNECTIONS)};
        pthread_create(&ts[i], NULL, client_main, &cs[i]);
    }
    int failed = 0, malformed = 0, good = 0;
    double *all = malloc((size_t)requests * sizeof *all);
    for (int i = 0; i < CONNECTIONS; i++) {
        pthread_join(ts[i], NULL);
        failed += cs[i].failed;
        malformed += cs[i].malformed;
        memcpy(all + good, cs[i].lat, (size_t)cs[i].n_lat * sizeof *all);
        good += cs[i].n_lat;
        free(cs[i].lat);
    }
    double secs = (now_ms() - t0) / 1e3;
    long after = rss_kb();
    qsort(all, (size_t)good, sizeof *all, cmp_double);
    printf("{\"bench\":\"serve_load\",\"model\":\"%s\",\"size\":%d,\"requests\":%d,\"connections\":%d,"
           "\"good\":%d,\"malformed\":%d,\"good_failed\":%d,\"seconds\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"rss_kb_before\":%ld,\"rss_kb_after\":%ld}\n",
           model, size, requests, CONNECTIONS, good, malformed, failed, secs, good ? all[good / 2] : -1.0,
           good ? all[(int)(good * 0.99)] : -1.0, before, after);
    free(all);
    finish(st, srv, th);
    free(req);
    free(png);
    remove(path);
    return failed ? 1 : 0;
}

static int latency(const char *model, int size, int reps)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/sg_bench_serve_lat_%d.safetensors", (int)getpid());
    if (make_checkpoint(path, model, size, 3) != 0) return fprintf(stderr, "checkpoint: %s\n", sg_error_message()), 1;
    size_t n, len;
    uint8_t *png = make_png(200, &n);
    char *req = post_request(png, n, &len);
    sg_image img;
    sg_image_decode(png, n, "bench", NULL, &img);
    sg_run_model rm;
    sg_run_model_open(path, &rm);
    sg_graph *g = sg_graph_new();
    float *x = malloc((size_t)3 * size * size * sizeof *x), probs[8];
    double *fw = malloc((size_t)(reps + 1) * sizeof *fw), *rt = malloc((size_t)(reps + 1) * sizeof *rt);
    for (int i = 0; i <= reps; i++) {  /* the first of each is a warm-up */
        double t0 = now_ms();
        sg_predict_image(&rm, g, &img, "bench", x, probs);
        fw[i] = now_ms() - t0;
    }
    sg_graph_free(g);
    sg_run_model_close(&rm);
    sg_station *st;
    sg_server *srv;
    pthread_t th;
    if (start(path, &st, &srv, &th) != 0) return 1;
    int fd = connect_to(sg_server_port(srv));
    char *buf = malloc(1 << 16);
    for (int i = 0; i <= reps; i++) {
        double t0 = now_ms();
        if (roundtrip(fd, req, len, buf, 1 << 16) != 200) return fprintf(stderr, "predict failed\n"), 1;
        rt[i] = now_ms() - t0;
    }
    close(fd);
    finish(st, srv, th);
    qsort(fw + 1, (size_t)reps, sizeof *fw, cmp_double);
    qsort(rt + 1, (size_t)reps, sizeof *rt, cmp_double);
    double f = fw[1 + reps / 2], r = rt[1 + reps / 2];
    printf("{\"bench\":\"serve_latency\",\"model\":\"%s\",\"size\":%d,\"reps\":%d,\"forward_ms\":%.2f,"
           "\"predict_ms\":%.2f,\"ratio\":%.3f}\n", model, size, reps, f, r, r / f);
    sg_image_free(&img);
    free(x);
    free(fw);
    free(rt);
    free(buf);
    free(req);
    free(png);
    remove(path);
    return 0;
}

int main(void)
{
    if (sg_init() != SG_OK) return 2;
    const char *model = getenv("SG_BENCH_SERVE_MODEL") ? getenv("SG_BENCH_SERVE_MODEL") : "cnn";
    int size = getenv("SG_BENCH_SERVE_SIZE") ? atoi(getenv("SG_BENCH_SERVE_SIZE")) : 96;
    int requests = getenv("SG_BENCH_SERVE_REQUESTS") ? atoi(getenv("SG_BENCH_SERVE_REQUESTS")) : 2000;
    const char *lat_model = getenv("SG_BENCH_LATENCY_MODEL") ? getenv("SG_BENCH_LATENCY_MODEL") : "resnet50";
    int rc = load_test(model, size, requests);
    if (*lat_model) rc |= latency(lat_model, 224, 5);
    return rc;
}
