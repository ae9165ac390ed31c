/* tests/test_serve.c - the inspection station (serve/): the HTTP parser on
 * its own (RFC 9112 heads, multipart, base64), prediction from memory equal
 * to prediction from the file, and the server spoken to over real sockets on
 * an ephemeral loopback port - in-process (a thread runs sg_server_run) and
 * as `steelgrad serve` in a child process (SIGTERM ends it with exit 0).
 * The checkpoint is a tiny cnn trained by the test on synthetic images. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.h"
#include "interp/metrics.h"
#include "serve/http.h"
#include "serve/server.h"
#include "serve/station.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"
#include "train/eval.h"

/* ---- the parser ---------------------------------------------------------------------- */

static int parse(const char *text, sg_http_request *req)
{
    return sg_http_parse_request(text, strlen(text), 1024, req);
}

START_TEST(a_good_head_is_parsed_field_by_field)
{
    sg_http_request r;
    const char *t = "\r\nPOST /api/predict?heatmap=1&x=2 HTTP/1.1\r\nHost: a\r\nContent-Length:  12 \r\n"
                    "content-type: Image/PNG; q=1\r\nConnection: keep-alive, Close\r\n\r\nBODY";
    ck_assert_int_eq(parse(t, &r), 200);
    ck_assert(sg_http_slice_eq(r.method, "POST"));
    ck_assert(sg_http_slice_eq(r.path, "/api/predict"));
    ck_assert(sg_http_query_has(r.query, "heatmap=1"));
    ck_assert(sg_http_query_has(r.query, "x=2"));
    ck_assert(!sg_http_query_has(r.query, "heatmap=12"));
    ck_assert_int_eq(r.content_length, 12);
    ck_assert_int_eq(r.minor, 1);
    ck_assert(!r.keep_alive);  /* "close" among the tokens */
    ck_assert_uint_eq(r.head_bytes, strlen(t) - 4);
    char media[32];
    sg_http_media_type(r.content_type, media, sizeof media);
    ck_assert_str_eq(media, "image/png");
    /* Incomplete: more bytes needed, for every prefix of the head. */
    for (size_t n = 0; n < r.head_bytes; n++)
        ck_assert_int_eq(sg_http_parse_request(t, n, 1024, &r), 0);
    /* HTTP/1.0: no Host needed, keep-alive only when asked. */
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n", &r), 200);
    ck_assert(!r.keep_alive);
    ck_assert_int_eq(r.content_length, -1);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 200);
    ck_assert(r.keep_alive);
    ck_assert_int_eq(parse("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", &r), 200);
    ck_assert(r.keep_alive);
}
END_TEST

START_TEST(bad_heads_get_the_status_rfc_9112_asks_for)
{
    static const struct {
        const char *text;
        int status;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", 400},                                  /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},            /* two Hosts */
        {"GET / HTTP/1.1\nHost: a\r\n\r\n", 400},                         /* bare LF */
        {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                      /* two spaces */
        {"GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},            /* absolute form */
        {"GET ../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                       /* not a token */
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},                      /* space before ':' */
        {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},            /* obs-fold */
        {"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400},                   /* control character */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        {"GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_http_request r;
        int got = parse(cases[i].text, &r);
        ck_assert_msg(got == cases[i].status, "case %zu: status %d, expected %d", i, got, cases[i].status);
        ck_assert_ptr_nonnull(r.error);
    }
    /* A head over the limit: 431, whether or not it is complete. */
    char big[2048];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    sg_http_request r;
    ck_assert_int_eq(sg_http_parse_request(big, sizeof big, 1024, &r), 431);
}
END_TEST

START_TEST(multipart_gives_the_file_part_and_base64_matches_rfc_4648)
{
    const char body[] = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n"
                        "Content-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";
    const char *ct = "multipart/form-data; boundary=\"XyZ\"";
    sg_http_slice file, ctype = {ct, strlen(ct)};
    const char *why = NULL;
    ck_assert_int_eq(sg_http_multipart_file(body, sizeof body - 1, ctype, &file, &why), 0);
    ck_assert_uint_eq(file.n, 9);  /* the CRLF before the delimiter belongs to it */
    ck_assert(memcmp(file.p, "\x89PNG\r\n--X", 9) == 0);  /* a near-boundary inside the data stays */
    const char *bad = "multipart/form-data";
    ck_assert_int_eq(sg_http_multipart_file(body, sizeof body - 1, (sg_http_slice){bad, strlen(bad)}, &file, &why), -1);
    ck_assert_str_eq(why, "multipart/form-data without a valid boundary parameter");
    ck_assert_int_eq(sg_http_multipart_file("--XyZ\r\n\r\nabc", 12, ctype, &file, &why), -1);
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char out[16];
        ck_assert_uint_eq(sg_base64_len(strlen(plain[i])), strlen(coded[i]));
        sg_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), out);
        ck_assert_str_eq(out, coded[i]);
    }
}
END_TEST

/* ---- a trained checkpoint ------------------------------------------------------------ */

static char dir[256], weights[512], image[512];

static void make_checkpoint(void)
{
    snprintf(dir, sizeof dir, "%s", sg_test_tmpdir());
    char args[1024], out[512];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 8 --size 32", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(args, sizeof args,
             "train --quiet --data %s/synth/images --model cnn --size 32 --epochs 3 --batch 16 --out %s/run", dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(weights, sizeof weights, "%s/run/best.safetensors", dir);
    snprintf(out, sizeof out, "%s/run/report.html", dir);
    ck_assert_msg(sg_test_file_exists(out), "train wrote no %s", out);
    snprintf(image, sizeof image, "%s/synth/images/scratches/scratches_0.png", dir);
}

START_TEST(prediction_from_memory_equals_prediction_from_the_file)
{
    make_checkpoint();
    sg_run_model rm;
    ck_assert_int_eq(sg_run_model_open(weights, &rm), SG_OK);
    sg_graph *g = sg_graph_new();
    float a[16], b[16], x[32 * 32];
    ck_assert_int_eq(sg_predict_file(&rm, g, image, a), SG_OK);
    sg_image img;
    ck_assert_int_eq(sg_image_read(image, NULL, &img), SG_OK);
    ck_assert_int_eq(sg_predict_image(&rm, g, &img, "x", x, b), SG_OK);
    ck_assert(memcmp(a, b, (size_t)rm.classes * sizeof *a) == 0);  /* bit-identical */
    sg_image_free(&img);
    sg_graph_free(g);
    sg_run_model_close(&rm);
    sg_test_remove_tree(dir);
}
END_TEST

/* --tta flips: the mean of the softmaxes of the image and its three mirror
 * images, flipped here by the test itself, summed in that order, times 1/4;
 * the same through a file (the loader path) and through memory (serve). */
START_TEST(test_time_flips_average_the_four_mirror_images)
{
    make_checkpoint();
    sg_run_model rm;
    ck_assert_int_eq(sg_run_model_open(weights, &rm), SG_OK);
    const int K = rm.classes, S = rm.model.opts.image_size, C = rm.model.opts.in_channels;
    ck_assert_int_eq(S, 32);
    ck_assert_int_eq(C, 1);
    sg_graph *g = sg_graph_new();
    sg_image img;
    ck_assert_int_eq(sg_image_read(image, NULL, &img), SG_OK);
    float x[32 * 32], view[32 * 32], p[16], sum[16], mem[16], file[16], plain[16];
    ck_assert_int_eq(sg_run_model_input(&rm, &img, "x", x, NULL), SG_OK);
    for (int v = 0; v < 4; v++) {
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                view[i * S + j] = x[(v & 2 ? S - 1 - i : i) * S + (v & 1 ? S - 1 - j : j)];
        ck_assert_int_eq(sg_forward_probs(g, &rm.model, view, 1, C, S, K, 1, p), SG_OK);
        for (int k = 0; k < K; k++) sum[k] = v == 0 ? p[k] : sum[k] + p[k];
        if (v == 0) memcpy(plain, p, sizeof plain);
    }
    for (int k = 0; k < K; k++) sum[k] *= 0.25f;
    rm.cfg.tta = "flips";
    ck_assert_int_eq(sg_predict_image(&rm, g, &img, "x", view, mem), SG_OK);
    ck_assert_int_eq(sg_predict_file(&rm, g, image, file), SG_OK);
    ck_assert(memcmp(sum, mem, (size_t)K * sizeof *sum) == 0);
    ck_assert(memcmp(sum, file, (size_t)K * sizeof *sum) == 0);
    /* The four views are not all alike (else the test would prove nothing). */
    ck_assert(memcmp(sum, plain, (size_t)K * sizeof *sum) != 0);
    rm.cfg.tta = "none";
    ck_assert_int_eq(sg_predict_file(&rm, g, image, file), SG_OK);
    ck_assert(memcmp(plain, file, (size_t)K * sizeof *plain) == 0);
    sg_image_free(&img);
    sg_graph_free(g);
    sg_run_model_close(&rm);
    sg_test_remove_tree(dir);
}
END_TEST

/* ---- sockets --------------------------------------------------------------------------- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    return fd;
}

static void send_bytes(int fd, const void *p, size_t n)
{
    ck_assert_msg(send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n, "send: %s", strerror(errno));
}

/* One response: status, body (NUL-terminated, malloc'd). Waits at most 20 s
 * (a safety net for a broken server, not a timing assertion). */
typedef struct response {
    int status;
    char *body;
    size_t len;
    bool close;
} response;

static bool read_response(int fd, response *r)
{
    memset(r, 0, sizeof *r);
    char head[8192];
    size_t used = 0;
    /* The head byte by byte, so a pipelined next response stays in the socket. */
    while (used < 4 || memcmp(head + used - 4, "\r\n\r\n", 4) != 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (used + 1 >= sizeof head || poll(&p, 1, 20000) != 1 || recv(fd, head + used, 1, 0) != 1) return false;
        used++;
    }
    head[used] = '\0';
    const char *cl = strstr(head, "Content-Length: ");
    r->len = cl ? strtoul(cl + 16, NULL, 10) : 0;
    r->status = atoi(head + 9);
    r->close = strstr(head, "Connection: close") != NULL;
    r->body = malloc(r->len + 1);
    for (size_t got = 0; got < r->len;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = poll(&p, 1, 20000) == 1 ? recv(fd, r->body + got, r->len - got, 0) : -1;
        if (n <= 0) {
            free(r->body);
            return false;
        }
        got += (size_t)n;
    }
    r->body[r->len] = '\0';
    return true;
}

/* Whether the peer closed the connection (recv returns 0 within 20 s). */
static bool peer_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, 20000) == 1 && recv(fd, &c, 1, 0) == 0;
}

static response exchange(int port, const void *req, size_t n)
{
    int fd = connect_to(port);
    send_bytes(fd, req, n);
    response r;
    ck_assert_msg(read_response(fd, &r), "no complete response");
    close(fd);
    return r;
}

static response exchange_text(int port, const char *req) { return exchange(port, req, strlen(req)); }

static void expect_json_error(response *r, int status, const char *needle)
{
    ck_assert_msg(r->status == status, "status %d, expected %d: %s", r->status, status, r->body);
    sg_json *j = NULL;
    ck_assert_msg(sg_json_parse(r->body, r->len, "response", &j) == SG_OK, "not JSON: %s", r->body);
    const char *msg = sg_json_string(sg_json_get(j, "error"), NULL);
    ck_assert_msg(msg && strstr(msg, needle), "error '%s' lacks '%s'", msg ? msg : "(none)", needle);
    sg_json_free(j);
    free(r->body);
}

typedef struct running_server {
    sg_station *st;
    sg_server *srv;
    pthread_t thread;
    int port;
} running_server;

static void *run_thread(void *arg)
{
    sg_server_run(arg);
    return NULL;
}

/* A station on a free port with options o (handler and ctx are filled in). */
static void start_with(running_server *rs, sg_server_opts o)
{
    make_checkpoint();
    ck_assert_int_eq(sg_station_open(weights, &rs->st), SG_OK);
    o.handler = sg_station_handle;
    o.ctx = rs->st;
    ck_assert_int_eq(sg_server_open(&o, &rs->srv), SG_OK);
    rs->port = sg_server_port(rs->srv);
    ck_assert_int_gt(rs->port, 0);
    ck_assert_int_eq(pthread_create(&rs->thread, NULL, run_thread, rs->srv), 0);
}

static void start(running_server *rs, int workers)
{
    start_with(rs, (sg_server_opts){.port = 0, .workers = workers, .queue = 4, .max_body = 1 << 16,
                                    .head_ms = 4000, .body_ms = 1500, .idle_ms = 8000});
}

static void stop(running_server *rs)
{
    sg_server_stop(rs->srv);
    pthread_join(rs->thread, NULL);
    sg_server_close(rs->srv);
    sg_station_close(rs->st);
    sg_test_remove_tree(dir);
}

/* POST head for a body of n bytes. */
static size_t post_head(char *buf, size_t cap, const char *target, const char *ctype, size_t n)
{
    return (size_t)snprintf(buf, cap, "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                            target, ctype, n);
}

START_TEST(the_station_answers_the_page_the_model_and_predictions)
{
    running_server rs;
    start(&rs, 2);
    response r = exchange_text(rs.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.body, "<title>steelgrad inspection station</title>"));
    ck_assert(!strstr(r.body, "http://") && !strstr(r.body, "https://"));  /* no external assets */
    free(r.body);
    r = exchange_text(rs.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
    free(r.body);
    r = exchange_text(rs.port, "GET /api/model HTTP/1.1\r\nHost: t\r\n\r\n");
    sg_json *m = NULL;
    ck_assert_int_eq(sg_json_parse(r.body, r.len, "model", &m), SG_OK);
    ck_assert_str_eq(sg_json_string(sg_json_get(m, "model"), ""), "cnn");
    ck_assert_int_eq(sg_json_count(sg_json_get(m, "classes")), 7);
    ck_assert_int_eq((int)sg_json_number(sg_json_get(m, "size"), 0), 32);
    sg_json_free(m);
    free(r.body);

    /* The prediction = `predict`'s on the same file. */
    sg_run_model rm;
    ck_assert_int_eq(sg_run_model_open(weights, &rm), SG_OK);
    sg_graph *g = sg_graph_new();
    float probs[16];
    ck_assert_int_eq(sg_predict_file(&rm, g, image, probs), SG_OK);
    const char *want = rm.class_names[sg_argmax(probs, rm.classes)];
    size_t n;
    unsigned char *png = sg_test_read_bytes(image, &n);
    char *req = malloc(n + 512);
    size_t h = post_head(req, 512, "/api/predict?heatmap=1", "image/png", n);
    memcpy(req + h, png, n);
    r = exchange(rs.port, req, h + n);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(r.body, r.len, "predict", &j), SG_OK);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "class"), ""), want);
    for (int k = 0; k < rm.classes; k++) {
        double p = sg_json_number(sg_json_get(sg_json_get(j, "probabilities"), rm.class_names[k]), -1);
        ck_assert_double_eq_tol(p, probs[k], 1e-6);
    }
    ck_assert_double_ge(sg_json_number(sg_json_get(j, "latency_ms"), -1), 0);
    const char *heat = sg_json_string(sg_json_get(j, "heatmap"), "");
    ck_assert_msg(strncmp(heat, "data:image/png;base64,iVBORw0KGgo", 33) == 0, "heatmap %.40s", heat);
    sg_json_free(j);
    free(r.body);

    /* The same file as multipart/form-data, without the heatmap. */
    const char *pre = "--b0undary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"s.png\"\r\n"
                      "Content-Type: image/png\r\n\r\n";
    const char *post = "\r\n--b0undary--\r\n";
    size_t body = strlen(pre) + n + strlen(post);
    h = post_head(req, 512, "/api/predict", "multipart/form-data; boundary=b0undary", body);
    req = realloc(req, h + body);
    memcpy(req + h, pre, strlen(pre));
    memcpy(req + h + strlen(pre), png, n);
    memcpy(req + h + strlen(pre) + n, post, strlen(post));
    r = exchange(rs.port, req, h + body);
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert_int_eq(sg_json_parse(r.body, r.len, "predict", &j), SG_OK);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "class"), ""), want);
    ck_assert_ptr_null(sg_json_get(j, "heatmap"));
    sg_json_free(j);
    free(r.body);
    free(req);
    free(png);
    sg_graph_free(g);
    sg_run_model_close(&rm);
    stop(&rs);
}
END_TEST

START_TEST(bad_requests_get_a_4xx_json_error_and_the_server_lives_on)
{
    running_server rs;
    start(&rs, 2);
    response r = exchange_text(rs.port, "HELLO\r\n\r\n");
    expect_json_error(&r, 400, "request line");
    r = exchange_text(rs.port, "GET / HTTP/1.1\r\n\r\n");
    expect_json_error(&r, 400, "Host");
    r = exchange_text(rs.port, "GET /../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_json_error(&r, 404, "no such page");
    r = exchange_text(rs.port, "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_json_error(&r, 404, "no such page");
    r = exchange_text(rs.port, "GET /api/predict HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_json_error(&r, 405, "POST");
    r = exchange_text(rs.port, "POST /api/predict HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_json_error(&r, 411, "Content-Length");
    r = exchange_text(rs.port, "POST /api/predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    expect_json_error(&r, 501, "Transfer-Encoding");
    /* Over --max-body (64 KiB here): refused from the head, the body never read. */
    r = exchange_text(rs.port, "POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\n"
                               "Content-Length: 70000\r\n\r\n");
    expect_json_error(&r, 413, "over the limit");
    /* ... also when the client sends the whole body anyway: the answer is not lost to a reset. */
    enum { BIG = 300000 };
    char *big = malloc(BIG + 256);
    size_t bh = (size_t)snprintf(big, 256, "POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\n"
                                            "Content-Length: %d\r\n\r\n", BIG);
    memset(big + bh, 'x', BIG);
    r = exchange(rs.port, big, bh + BIG);
    expect_json_error(&r, 413, "over the limit");
    free(big);
    char head[20000];
    memset(head, 'a', sizeof head);
    memcpy(head, "GET /", 5);
    r = exchange(rs.port, head, sizeof head);
    expect_json_error(&r, 431, "too large");
    char req[512];
    size_t h = post_head(req, sizeof req, "/api/predict", "text/plain", 5);
    memcpy(req + h, "hello", 5);
    r = exchange(rs.port, req, h + 5);
    expect_json_error(&r, 415, "text/plain");
    h = post_head(req, sizeof req, "/api/predict", "application/octet-stream", 5);
    memcpy(req + h, "hello", 5);
    r = exchange(rs.port, req, h + 5);
    expect_json_error(&r, 415, "not an image");
    h = post_head(req, sizeof req, "/api/predict", "image/png", 0);
    r = exchange(rs.port, req, h);
    expect_json_error(&r, 400, "empty body");
    /* A PNG signature and then garbage: the decoder's message, 422. */
    static const unsigned char bad_png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2};
    h = post_head(req, sizeof req, "/api/predict", "image/png", sizeof bad_png);
    memcpy(req + h, bad_png, sizeof bad_png);
    r = exchange(rs.port, req, h + sizeof bad_png);
    expect_json_error(&r, 422, "upload");
    h = post_head(req, sizeof req, "/api/predict", "multipart/form-data; boundary=zz", 5);
    memcpy(req + h, "hello", 5);
    r = exchange(rs.port, req, h + 5);
    expect_json_error(&r, 400, "multipart");
    /* Still alive. */
    r = exchange_text(rs.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    stop(&rs);
}
END_TEST

START_TEST(keep_alive_serves_many_requests_on_one_connection)
{
    running_server rs;
    start(&rs, 2);
    int fd = connect_to(rs.port);
    /* Three requests, the last two pipelined in one send. */
    const char *one = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    send_bytes(fd, one, strlen(one));
    response r;
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert(!r.close);
    free(r.body);
    const char *two = "GET /api/model HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_bytes(fd, two, strlen(two));
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.body, "\"classes\""));
    free(r.body);
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.close);
    free(r.body);
    ck_assert(peer_closed(fd));
    close(fd);
    stop(&rs);
}
END_TEST

/* Two workers: a client that sends half a head and stalls holds one, a
 * client that connects and says nothing holds the other; a third client is
 * answered before the stalled one's head time (4 s) is up, because the
 * silent one's worker leaves it; the stalled one then gets 408. */
START_TEST(a_slow_client_does_not_block_another)
{
    running_server rs;
    start(&rs, 2);
    int slow = connect_to(rs.port);
    send_bytes(slow, "GET /healthz HTTP/1.1\r\nHo", 25);
    int slow2 = connect_to(rs.port);  /* a silent one too: it waits in the idle state */
    response r = exchange_text(rs.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    /* ... before the slow one's time was up: it has no answer yet. */
    struct pollfd p = {.fd = slow, .events = POLLIN};
    ck_assert_msg(poll(&p, 1, 0) == 0, "the stalled client was answered first: the third one waited for it");
    ck_assert(read_response(slow, &r));
    expect_json_error(&r, 408, "in time");
    ck_assert(peer_closed(slow));
    ck_assert(peer_closed(slow2));  /* closed unanswered after the idle limit */
    close(slow);
    close(slow2);
    stop(&rs);
}
END_TEST

/* Expect: 100-continue: the interim answer comes before the body is sent,
 * then the prediction; over --max-body, 413 comes instead and no 100. */
START_TEST(expect_100_continue_is_answered_before_the_body)
{
    running_server rs;
    start(&rs, 2);
    size_t n;
    unsigned char *png = sg_test_read_bytes(image, &n);
    char head[512];
    size_t h = (size_t)snprintf(head, sizeof head, "POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\n"
                                                    "Expect: 100-continue\r\nContent-Length: %zu\r\n\r\n", n);
    int fd = connect_to(rs.port);
    send_bytes(fd, head, h);
    response r;
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 100);
    free(r.body);
    send_bytes(fd, png, n);
    ck_assert(read_response(fd, &r));
    ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
    ck_assert(strstr(r.body, "\"class\":"));
    free(r.body);
    close(fd);
    r = exchange_text(rs.port, "POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\n"
                               "Expect: 100-continue\r\nContent-Length: 70000\r\n\r\n");
    expect_json_error(&r, 413, "over the limit");
    free(png);
    stop(&rs);
}
END_TEST

/* More trickling clients than workers (a slowloris): two workers, six
 * connections each sending its head one byte every 200 ms (inside the head
 * limit). A seventh connection's GET /healthz and then POST /api/predict are
 * answered while every trickling client still has bytes to send - the poll
 * thread receives requests, so no worker waits on a slow client - and then
 * each trickling client gets its own answer. */
START_TEST(trickling_clients_beyond_the_workers_do_not_block_a_fast_one)
{
    running_server rs;
    start_with(&rs, (sg_server_opts){.port = 0, .workers = 2, .queue = 8, .max_body = 1 << 16,
                                     .head_ms = 60000, .body_ms = 1500, .idle_ms = 60000});
    enum { SLOW = 6 };
    static const char *const heads[2] = {"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                                         "GET /api/model HTTP/1.1\r\nHost: t\r\n\r\n"};
    int slow[SLOW];
    size_t shortest = strlen(heads[0]) < strlen(heads[1]) ? strlen(heads[0]) : strlen(heads[1]);
    for (int k = 0; k < SLOW; k++) slow[k] = connect_to(rs.port);

    size_t n;
    unsigned char *png = sg_test_read_bytes(image, &n);
    char *post = malloc(n + 512);
    size_t h = post_head(post, 512, "/api/predict", "image/png", n);
    memcpy(post + h, png, n);

    int fast = -1, answered = 0;  /* 1: /healthz answered, 2: /api/predict too */
    size_t answered_at = 0;       /* bytes each trickling client had sent then */
    for (size_t i = 0;; i++) {
        bool more = false;
        for (int k = 0; k < SLOW; k++) {
            const char *t = heads[k % 2];
            if (i < strlen(t)) send_bytes(slow[k], t + i, 1);
            more |= i + 1 < strlen(t);
        }
        if (i == 2) {
            fast = connect_to(rs.port);
            const char *get = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
            send_bytes(fast, get, strlen(get));
        }
        struct pollfd p = {.fd = fast, .events = POLLIN};
        if (fast >= 0 && answered < 2 && poll(&p, 1, 0) == 1) {
            response r;
            ck_assert(read_response(fast, &r));
            if (answered == 0) {
                ck_assert_int_eq(r.status, 200);
                ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
                send_bytes(fast, post, h + n);
            } else {
                ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
                ck_assert(strstr(r.body, "\"class\":"));
                answered_at = i + 1;
            }
            free(r.body);
            answered++;
        }
        if (!more) break;
        poll(NULL, 0, 200);  /* the pace of the trickle, not a measurement */
    }
    ck_assert_msg(answered == 2, "the fast client was not answered while %d clients trickled", SLOW);
    ck_assert_msg(answered_at < shortest, "answered after %zu of %zu head bytes", answered_at, shortest);
    for (int k = 0; k < SLOW; k++) {
        response r;
        ck_assert_msg(read_response(slow[k], &r), "trickling client %d got no answer", k);
        ck_assert_int_eq(r.status, 200);
        if (k % 2 == 0) ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
        else ck_assert(strstr(r.body, "\"classes\""));
        free(r.body);
        close(slow[k]);
    }
    close(fast);
    free(post);
    free(png);
    stop(&rs);
}
END_TEST

/* `steelgrad serve` as an operator runs it: prints where it listens, answers,
 * and exits 0 on SIGTERM. */
START_TEST(sigterm_ends_steelgrad_serve_cleanly)
{
    make_checkpoint();
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(sg_test_bin(), "steelgrad", "serve", "--weights", weights, "--port", "0", "--workers", "2", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[512] = {0};
    size_t used = 0;
    while (!strchr(line, '\n') && used + 1 < sizeof line) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        if (poll(&p, 1, 20000) != 1) break;
        ssize_t n = read(out[0], line + used, sizeof line - used - 1);
        if (n <= 0) break;
        used += (size_t)n;
    }
    const char *at = strstr(line, "listening on http://127.0.0.1:");
    ck_assert_msg(at, "no 'listening on' line: '%s'", line);
    int port = atoi(at + strlen("listening on http://127.0.0.1:"));
    response r = exchange_text(port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    int idle = connect_to(port);  /* a keep-alive client does not hold the exit up */
    kill(pid, SIGTERM);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    ssize_t n = read(out[0], line, sizeof line - 1);
    line[n > 0 ? n : 0] = '\0';
    ck_assert_msg(strstr(line, "stopped"), "'%s'", line);
    close(idle);
    close(out[0]);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    SG_ADD_TEST(s, a_good_head_is_parsed_field_by_field, 10);
    SG_ADD_TEST(s, bad_heads_get_the_status_rfc_9112_asks_for, 10);
    SG_ADD_TEST(s, multipart_gives_the_file_part_and_base64_matches_rfc_4648, 10);
    SG_ADD_TEST(s, prediction_from_memory_equals_prediction_from_the_file, 60);
    SG_ADD_TEST(s, test_time_flips_average_the_four_mirror_images, 60);
    SG_ADD_TEST(s, the_station_answers_the_page_the_model_and_predictions, 60);
    SG_ADD_TEST(s, bad_requests_get_a_4xx_json_error_and_the_server_lives_on, 60);
    SG_ADD_TEST(s, keep_alive_serves_many_requests_on_one_connection, 60);
    SG_ADD_TEST(s, a_slow_client_does_not_block_another, 60);
    SG_ADD_TEST(s, trickling_clients_beyond_the_workers_do_not_block_a_fast_one, 60);
    SG_ADD_TEST(s, expect_100_continue_is_answered_before_the_body, 60);
    SG_ADD_TEST(s, sigterm_ends_steelgrad_serve_cleanly, 60);
    return s;
}

SG_TEST_MAIN(serve_suite)
