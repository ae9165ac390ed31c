/* serve/station.c - the station's routes (see station.h). */
#include "serve/station.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "data/image.h"
#include "data/png.h"
#include "interp/gradcam.h"
#include "interp/overlay.h"
#include "train/eval.h"

struct sg_station {
    sg_run_model rm;
    pthread_mutex_t mu;            /* the model, graph and buffers below */
    sg_graph *g;
    float *x, *raw, *map, *probs;
    int C, S;
};

/* Images over this many pixels are refused before they are decoded. */
enum { MAX_PIXELS = 1 << 24 };

sg_err sg_station_open(const char *weights, sg_station **out)
{
    *out = NULL;
    sg_station *st = calloc(1, sizeof *st);
    if (!st) return sg_error_set(SG_ERR_NOMEM, "out of memory");
    sg_err err = sg_run_model_open(weights, &st->rm);
    if (err != SG_OK) {
        free(st);
        return err;
    }
    st->C = st->rm.model.opts.in_channels;
    st->S = st->rm.model.opts.image_size;
    size_t n = (size_t)st->C * st->S * st->S;
    st->g = sg_graph_new();
    st->x = malloc(n * sizeof(float));
    st->raw = malloc(n * sizeof(float));
    st->map = malloc((size_t)st->S * st->S * sizeof(float));
    st->probs = malloc((size_t)st->rm.classes * sizeof(float));
    pthread_mutex_init(&st->mu, NULL);
    if (!st->g || !st->x || !st->raw || !st->map || !st->probs) {
        sg_station_close(st);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the station", weights);
    }
    *out = st;
    return SG_OK;
}

void sg_station_close(sg_station *st)
{
    if (!st) return;
    if (st->g) sg_graph_free(st->g);
    free(st->x);
    free(st->raw);
    free(st->map);
    free(st->probs);
    pthread_mutex_destroy(&st->mu);
    sg_run_model_close(&st->rm);
    free(st);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void send_json(sg_http_response *out, sg_json_writer *w)
{
    size_t n;
    const char *text = sg_json_writer_finish(w, &n);
    out->len = 0;
    if (!text || !sg_http_response_append(out, text, n)) {
        sg_http_response_error(out, 500, "out of memory");
        return;
    }
    out->status = 200;
    out->content_type = "application/json";
}

static void model_info(sg_station *st, sg_http_response *out)
{
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "model", st->rm.model.def->name);
    sg_json_writer_key(&w, "classes");
    sg_json_writer_begin_array(&w);
    for (int k = 0; k < st->rm.classes; k++) sg_json_writer_string(&w, st->rm.class_names[k]);
    sg_json_writer_end_array(&w);
    sg_json_writer_kv_int64(&w, "channels", st->C);
    sg_json_writer_kv_int64(&w, "size", st->S);
    sg_json_writer_kv_int64(&w, "parameters", sg_params_count(st->rm.model.params));
    sg_json_writer_kv_string(&w, "layer", st->rm.model.def->default_layer ? st->rm.model.def->default_layer : "");
    sg_json_writer_end_object(&w);
    send_json(out, &w);
    sg_json_writer_free(&w);
}

/* The Grad-CAM overlay of the current x/raw for class k as a data: URL
 * (malloc'd), or NULL with the error set. Called with the lock held. */
static char *heatmap_url(sg_station *st, int k)
{
    sg_err err = sg_gradcam(st->g, &st->rm.model, st->x, st->C, st->S, st->S, SG_CAM_GRADCAM, k, NULL, st->map, NULL);
    if (err != SG_OK) return NULL;
    sg_image ov;
    if (sg_overlay_rgb(st->raw, st->C, st->S, st->S, st->map, SG_COLORMAP_JET, 0.5f, &ov) != SG_OK) return NULL;
    uint8_t *png = NULL;
    size_t n = 0;
    err = sg_png_encode(&ov, 6, &png, &n);
    sg_image_free(&ov);
    if (err != SG_OK) return NULL;
    static const char prefix[] = "data:image/png;base64,";
    char *url = malloc(sizeof prefix + sg_base64_len(n));
    if (url) {
        memcpy(url, prefix, sizeof prefix - 1);
        sg_base64_encode(png, n, url + sizeof prefix - 1);
    } else {
        sg_error_set(SG_ERR_NOMEM, "out of memory for the heatmap");
    }
    free(png);
    return url;
}

static void predict(sg_station *st, const sg_http_request *req, const uint8_t *body, size_t len,
                    sg_http_response *out)
{
    double t0 = now_ms();
    char media[96];
    sg_http_media_type(req->content_type, media, sizeof media);
    if (strcmp(media, "multipart/form-data") == 0) {
        sg_http_slice file;
        const char *why;
        if (sg_http_multipart_file((const char *)body, len, req->content_type, &file, &why) != 0) {
            sg_http_response_error(out, 400, why);
            return;
        }
        body = (const uint8_t *)file.p;
        len = file.n;
    } else if (media[0] && strncmp(media, "image/", 6) != 0 && strcmp(media, "application/octet-stream") != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "Content-Type %s: send the image file itself (image/* or "
                                  "application/octet-stream) or multipart/form-data", media);
        sg_http_response_error(out, 415, msg);
        return;
    }
    if (len == 0) {
        sg_http_response_error(out, 400, "empty body: POST the image file");
        return;
    }
    sg_image_format fmt = sg_image_sniff(body, len);
    if (fmt == SG_IMAGE_UNKNOWN) {
        sg_http_response_error(out, 415, "not an image steelgrad reads (BMP, PNM, PNG, JPEG, TIFF)");
        return;
    }
    sg_image img;
    sg_image_limits lim = {MAX_PIXELS};
    if (sg_image_decode(body, len, "upload", &lim, &img) != SG_OK) {
        sg_http_response_error(out, 422, sg_error_message());
        return;
    }
    bool want_map = sg_http_query_has(req->query, "heatmap=1");
    pthread_mutex_lock(&st->mu);
    double t1 = now_ms();
    sg_err err = sg_predict_image(&st->rm, st->g, &img, "upload", st->x, st->probs);
    double t2 = now_ms();
    int best = err == SG_OK ? sg_argmax(st->probs, st->rm.classes) : 0;
    char *url = NULL;
    if (err == SG_OK && want_map && (err = sg_run_model_input(&st->rm, &img, "upload", st->x, st->raw)) == SG_OK &&
        !(url = heatmap_url(st, best)))
        err = SG_ERR_INVALID;
    if (err != SG_OK) {
        pthread_mutex_unlock(&st->mu);
        sg_http_response_error(out, 422, sg_error_message());
        sg_image_free(&img);
        return;
    }
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "class", st->rm.class_names[best]);
    sg_json_writer_kv_int64(&w, "index", best);
    sg_json_writer_key(&w, "confidence");
    sg_json_writer_float(&w, st->probs[best]);
    sg_json_writer_key(&w, "probabilities");
    sg_json_writer_begin_object(&w);
    for (int k = 0; k < st->rm.classes; k++) {
        sg_json_writer_key(&w, st->rm.class_names[k]);
        sg_json_writer_float(&w, st->probs[k]);
    }
    sg_json_writer_end_object(&w);
    pthread_mutex_unlock(&st->mu);
    sg_json_writer_kv_int64(&w, "width", img.width);
    sg_json_writer_kv_int64(&w, "height", img.height);
    sg_json_writer_kv_string(&w, "format", sg_image_format_name(fmt));
    sg_image_free(&img);
    if (url) sg_json_writer_kv_string(&w, "heatmap", url);
    free(url);
    sg_json_writer_kv_number(&w, "forward_ms", (double)(int64_t)((t2 - t1) * 1000) / 1000);
    sg_json_writer_kv_number(&w, "latency_ms", (double)(int64_t)((now_ms() - t0) * 1000) / 1000);
    sg_json_writer_end_object(&w);
    send_json(out, &w);
    sg_json_writer_free(&w);
}

void sg_station_handle(void *ctx, const sg_http_request *req, const uint8_t *body, size_t len,
                       sg_http_response *out)
{
    sg_station *st = ctx;
    bool get = sg_http_slice_eq(req->method, "GET") || sg_http_slice_eq(req->method, "HEAD");
    bool post = sg_http_slice_eq(req->method, "POST");
    sg_http_slice path = req->path;
    /* Exact paths only: nothing is read from disk, so no path can reach a file. */
    if (sg_http_slice_eq(path, "/") || sg_http_slice_eq(path, "/index.html")) {
        if (!get) goto not_allowed_get;
        out->status = 200;
        out->content_type = "text/html; charset=utf-8";
        out->len = 0;
        if (!sg_http_response_append(out, sg_station_page, strlen(sg_station_page)))
            sg_http_response_error(out, 500, "out of memory");
        return;
    }
    if (sg_http_slice_eq(path, "/healthz")) {
        if (!get) goto not_allowed_get;
        out->status = 200;
        out->len = 0;
        sg_http_response_append(out, "{\"status\":\"ok\"}", 15);
        return;
    }
    if (sg_http_slice_eq(path, "/api/model")) {
        if (!get) goto not_allowed_get;
        model_info(st, out);
        return;
    }
    if (sg_http_slice_eq(path, "/api/predict")) {
        if (!post) {
            sg_http_response_error(out, 405, "POST the image to /api/predict");
            out->extra_headers = "Allow: POST\r\n";
            return;
        }
        predict(st, req, body, len, out);
        return;
    }
    sg_http_response_error(out, 404, "no such page (try /, /api/model, /api/predict, /healthz)");
    return;
not_allowed_get:
    sg_http_response_error(out, 405, "this page answers GET only");
    out->extra_headers = "Allow: GET, HEAD\r\n";
}
