/* cli/detect_predict.c - `steelgrad detect predict`: the boxes of a model
 * trained by `steelgrad detect`, drawn on the images and printed as JSON.
 *
 * The checkpoint's metadata (cli/detect.c, SG_DETECT_FORMAT) rebuilds the
 * backbone and the head; the images go through the training's input
 * pipeline (data/loader.h: channels, size, [0, 1]). Detections: the grid
 * head's decoding (score threshold, per-class NMS at IoU 0.5), or the slot
 * heads' slots with a real class, both kept when score >= --threshold.
 *
 * Drawing, on the original image as 8-bit RGB (gray repeated): first every
 * label ("class 0.87" in the 5 x 7 font, the class colour on black, above
 * the box, or inside it when there is no room above), then every box's
 * 1-pixel outline in its class colour, lowest score first, so the outlines
 * stay whole and the best box is on top. A box [0, 1] becomes the pixel
 * rectangle x0 = floor(xmin W), x1 = ceil(xmax W) - 1 (clamped to the image,
 * x1 >= x0), the same for y: the JSON gives these inclusive pixel
 * coordinates, the PNG has the outline exactly there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/safetensors.h"
#include "data/font.h"
#include "data/image.h"
#include "data/loader.h"
#include "models/boxhead.h"
#include "models/gridhead.h"
#include "models/zoo.h"

static const sg_cli_command predict_cmd = {
    "detect predict",
    "steelgrad detect predict --weights W IMAGE... -o|--out DIR [--threshold X]",
    "Detect defects with a model trained by `steelgrad detect` (W = its OUT/weights.safetensors,\n"
    "whose metadata names the backbone, the head, the classes and the input size). For each\n"
    "image, writes DIR/<index>_<name>.png (the image with every box whose score is at least\n"
    "the threshold, outlined in its class colour and labelled \"class score\") and prints one\n"
    "JSON line: {\"file\", \"png\", \"width\", \"height\", \"boxes\": [{\"class\", \"label\", \"score\",\n"
    "\"xmin\", \"ymin\", \"xmax\", \"ymax\", \"color\"}]} with the outline's inclusive pixel\n"
    "coordinates, highest score first. An image that cannot be read is reported on stderr; the\n"
    "others are still done and the exit code is 1."};

enum { MAX_IMAGES = 100000, BATCH = 8 };

static const uint8_t palette[8][3] = {{255, 0, 0},   {0, 255, 0},   {0, 128, 255}, {255, 255, 0},
                                      {255, 0, 255}, {0, 255, 255}, {255, 128, 0}, {160, 64, 255}};

typedef struct det_model {
    sg_model m;
    sg_params head_params, all;
    bool grid;
    sg_grid_head gh;
    sg_box_head bh;
    int classes, size, channels, slots, GH, GW;
    char **names;
} det_model;

static void det_model_free(det_model *d)
{
    free(d->all.items);
    sg_params_free(&d->head_params);
    if (d->m.def) sg_model_free(&d->m);
    for (int k = 0; d->names && k < d->classes; k++) free(d->names[k]);
    free(d->names);
}

static sg_err meta_int(const sg_safetensors *f, const char *path, const char *key, int lo, int hi, int *out)
{
    const char *v = sg_safetensors_meta(f, key);
    char *end = NULL;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || x < lo || x > hi)
        return sg_error_set(SG_ERR_FORMAT, "%s: metadata '%s' is %s%s%s, expected an integer in [%d, %d]", path,
                            key, v ? "'" : "missing", v ? v : "", v ? "'" : "", lo, hi);
    *out = (int)x;
    return SG_OK;
}

/* Rebuild the model of a `detect` checkpoint and load its weights. */
static sg_err det_model_open(const char *path, sg_graph *g, det_model *d)
{
    *d = (det_model){0};
    sg_safetensors f;
    sg_err err = sg_safetensors_read_header(path, &f);
    if (err != SG_OK) return err;
    const char *format = sg_safetensors_meta(&f, "format");
    const char *model = sg_safetensors_meta(&f, "model"), *head = sg_safetensors_meta(&f, "head");
    const char *classes = sg_safetensors_meta(&f, "classes");
    sg_json *names = NULL;
    int hidden = 0, seed = 0;
    if (!format || strcmp(format, SG_DETECT_FORMAT) != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not a checkpoint of `steelgrad detect` (metadata format %s%s%s, "
                           "expected '%s')", path, format ? "'" : "missing", format ? format : "",
                           format ? "'" : "", SG_DETECT_FORMAT);
        goto done;
    }
    if (!model || !head || !classes || (strcmp(head, "grid") && strcmp(head, "slots"))) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: metadata 'model', 'head' (grid or slots) or 'classes' missing", path);
        goto done;
    }
    d->grid = strcmp(head, "grid") == 0;
    if ((err = meta_int(&f, path, "size", 16, 4096, &d->size)) != SG_OK ||
        (err = meta_int(&f, path, "channels", 1, 3, &d->channels)) != SG_OK ||
        (err = meta_int(&f, path, "slots", 1, 64, &d->slots)) != SG_OK ||
        (err = meta_int(&f, path, "hidden", 0, 1 << 20, &hidden)) != SG_OK ||
        (err = meta_int(&f, path, "seed", 0, 2000000000, &seed)) != SG_OK)
        goto done;
    if ((err = sg_json_parse(classes, strlen(classes), path, &names)) != SG_OK) goto done;
    d->classes = sg_json_count(names);
    if (names->type != SG_JSON_ARRAY || d->classes < 1 || !(d->names = calloc((size_t)d->classes, sizeof *d->names))) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: metadata 'classes' is not a list of class names", path);
        d->classes = 0;
        goto done;
    }
    for (int k = 0; k < d->classes; k++) {
        const char *name = sg_json_string(sg_json_at(names, k), NULL);
        if (!name || !(d->names[k] = strdup(name))) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: class %d of the metadata is not a string", path, k);
            goto done;
        }
    }
    /* as `detect` builds it */
    sg_model_options o = sg_model_options_defaults(d->classes >= 2 ? d->classes : 2);
    o.in_channels = d->channels;
    o.image_size = d->size;
    const char *wm = sg_safetensors_meta(&f, "width_mult");
    o.width_mult = wm ? strtod(wm, NULL) : 0;
    if ((err = sg_model_build(&d->m, model, &o, (uint64_t)seed)) != SG_OK) {
        err = sg_error_set(err, "%s: %s", path, sg_error_message());
        goto done;
    }
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_tensor *x = sg_graph_zeros(g, 4, (int64_t[]){1, d->channels, d->size, d->size});
    sg_tensor *fm = x ? d->m.features(g, &d->m, x) : NULL;
    if (!fm || (d->grid && fm->ndim != 4)) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: the %s backbone gives no feature map at %d px", path, model, d->size);
        goto done;
    }
    if (d->grid) {
        d->GH = (int)fm->shape[2];
        d->GW = (int)fm->shape[3];
        err = sg_grid_head_init(&d->gh, &d->head_params, (int)fm->shape[1], d->classes, hidden, (uint64_t)seed);
    } else {
        err = sg_box_head_init(&d->bh, &d->head_params, (int)fm->numel, d->classes, d->slots, (uint64_t)seed);
    }
    sg_graph_reset(g);
    if (err != SG_OK) goto done;
    d->all.items = malloc(((size_t)d->m.params->count + d->head_params.count) * sizeof *d->all.items);
    if (!d->all.items) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < d->m.params->count; i++) d->all.items[d->all.count++] = d->m.params->items[i];
    for (int i = 0; i < d->head_params.count; i++) d->all.items[d->all.count++] = d->head_params.items[i];
    d->all.cap = d->all.count;
    err = sg_params_load(&d->all, path, true);
done:
    sg_json_free(names);
    sg_safetensors_free(&f);
    if (err != SG_OK) det_model_free(d);
    return err;
}

/* Detections of image `i` of the batch output, score >= threshold, highest first. */
static int detections_of(const det_model *d, const sg_tensor *out, const sg_tensor *boxes, int i,
                         float threshold, sg_det_box *det)
{
    int n;
    if (d->grid) {
        size_t per = (size_t)sg_grid_head_channels(&d->gh) * d->GH * d->GW;
        n = sg_grid_head_decode(d->classes, out->data + i * per, d->GH, d->GW, 0, threshold, 0.5, det);
    } else {
        int K = sg_box_head_slot_classes(&d->bh);
        n = sg_box_head_detections(&d->bh, 0, out->data + (size_t)i * d->slots * K,
                                   boxes->data + (size_t)i * d->slots * 4, det);
        int kept = 0;
        for (int k = 0; k < n; k++)
            if (det[k].score >= threshold) det[kept++] = det[k];
        n = sg_det_nms(det, kept, 1.01, false);   /* only sorts: IoU never exceeds 1 */
    }
    return n;
}

typedef struct pixel_box {
    int x0, y0, x1, y1;
} pixel_box;

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static pixel_box to_pixels(const sg_det_box *b, int W, int H)
{
    pixel_box p = {clampi((int)floorf(b->xmin * (float)W), 0, W - 1), clampi((int)floorf(b->ymin * (float)H), 0, H - 1),
                   clampi((int)ceilf(b->xmax * (float)W) - 1, 0, W - 1),
                   clampi((int)ceilf(b->ymax * (float)H) - 1, 0, H - 1)};
    if (p.x1 < p.x0) p.x1 = p.x0;
    if (p.y1 < p.y0) p.y1 = p.y0;
    return p;
}

static void put(sg_image *img, int x, int y, const uint8_t *rgb)
{
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return;
    memcpy((uint8_t *)img->pixels + ((size_t)y * img->width + x) * 3, rgb, 3);
}

/* The original image as 8-bit RGB (gray repeated, alpha dropped). */
static sg_err rgb_of(const sg_image *src, sg_image *out)
{
    sg_image e;
    sg_err err = sg_image_to_8bit(src, &e);
    if (err != SG_OK) return err;
    if ((err = sg_image_alloc(out, e.width, e.height, 3, 8, NULL, "detect predict")) == SG_OK) {
        const uint8_t *s = e.pixels;
        uint8_t *o = out->pixels;
        for (size_t p = 0; p < (size_t)e.width * e.height; p++) {
            const uint8_t *q = s + p * e.channels;
            bool gray = e.channels < 3;
            o[3 * p] = q[0];
            o[3 * p + 1] = gray ? q[0] : q[1];
            o[3 * p + 2] = gray ? q[0] : q[2];
        }
    }
    sg_image_free(&e);
    return err;
}

/* Labels first, then outlines lowest score first (det is highest first). */
static sg_err draw(sg_image *img, const det_model *d, const sg_det_box *det, int n, const pixel_box *px)
{
    int W = img->width, H = img->height;
    uint8_t *mask = malloc((size_t)W * H);
    if (!mask) return sg_error_set(SG_ERR_NOMEM, "detect predict: out of memory");
    char text[160];
    for (int k = n - 1; k >= 0; k--) {
        snprintf(text, sizeof text, "%s %.2f", d->names[det[k].label], (double)det[k].score);
        int tw = sg_font_text_width(text) + 2, th = SG_FONT_HEIGHT + 2;
        int lx = px[k].x0, ly = px[k].y0 >= th ? px[k].y0 - th : px[k].y0 + 1;
        const uint8_t *c = palette[det[k].label % 8], black[3] = {0, 0, 0};
        memset(mask, 0, (size_t)W * H);
        sg_font_draw(mask, W, H, lx + 1, ly + 1, text, 1);
        for (int y = ly; y < ly + th; y++)
            for (int x = lx; x < lx + tw; x++)
                if (x >= 0 && y >= 0 && x < W && y < H) put(img, x, y, mask[(size_t)y * W + x] ? c : black);
    }
    for (int k = n - 1; k >= 0; k--) {
        const uint8_t *c = palette[det[k].label % 8];
        for (int x = px[k].x0; x <= px[k].x1; x++) {
            put(img, x, px[k].y0, c);
            put(img, x, px[k].y1, c);
        }
        for (int y = px[k].y0; y <= px[k].y1; y++) {
            put(img, px[k].x0, y, c);
            put(img, px[k].x1, y, c);
        }
    }
    free(mask);
    return SG_OK;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Draw, write the PNG and print the JSON line of one image. */
static sg_err one_image(const det_model *d, const char *file, int index, const char *outdir, sg_det_box *det,
                        int n)
{
    sg_image src = {0}, img = {0};
    sg_err err = sg_image_read(file, NULL, &src);
    if (err == SG_OK) err = rgb_of(&src, &img);
    sg_image_free(&src);
    pixel_box px[1024];
    if (n > 1024) n = 1024;
    for (int k = 0; err == SG_OK && k < n; k++) px[k] = to_pixels(&det[k], img.width, img.height);
    if (err == SG_OK) err = draw(&img, d, det, n, px);
    char png[4096], stem[1024];
    snprintf(stem, sizeof stem, "%s", base_name(file));
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    snprintf(png, sizeof png, "%s/%d_%s.png", outdir, index, stem);
    if (err == SG_OK) err = sg_png_write(png, &img);
    if (err == SG_OK) {
        sg_json_writer w;
        sg_json_writer_init(&w, false);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "file", file);
        sg_json_writer_kv_string(&w, "png", png);
        sg_json_writer_kv_int64(&w, "width", img.width);
        sg_json_writer_kv_int64(&w, "height", img.height);
        sg_json_writer_key(&w, "boxes");
        sg_json_writer_begin_array(&w);
        for (int k = 0; k < n; k++) {
            const uint8_t *c = palette[det[k].label % 8];
            char color[8];
            snprintf(color, sizeof color, "#%02x%02x%02x", c[0], c[1], c[2]);
            sg_json_writer_begin_object(&w);
            sg_json_writer_kv_string(&w, "class", d->names[det[k].label]);
            sg_json_writer_kv_int64(&w, "label", det[k].label);
            sg_json_writer_key(&w, "score");
            sg_json_writer_float(&w, det[k].score);
            sg_json_writer_kv_int64(&w, "xmin", px[k].x0);
            sg_json_writer_kv_int64(&w, "ymin", px[k].y0);
            sg_json_writer_kv_int64(&w, "xmax", px[k].x1);
            sg_json_writer_kv_int64(&w, "ymax", px[k].y1);
            sg_json_writer_kv_string(&w, "color", color);
            sg_json_writer_end_object(&w);
        }
        sg_json_writer_end_array(&w);
        sg_json_writer_end_object(&w);
        const char *text = sg_json_writer_finish(&w, NULL);
        if (text) printf("%s\n", text);
        else err = sg_error_set(SG_ERR_NOMEM, "detect predict: out of memory");
        sg_json_writer_free(&w);
        fflush(stdout);
    }
    sg_image_free(&img);
    return err;
}

int cmd_detect_predict(int argc, char **argv)
{
    const char *weights = NULL, *outdir = NULL;
    double threshold = 0.3;
    bool done;
    char **images = malloc(MAX_IMAGES * sizeof *images);
    int n_images = 0;
    if (!images) return sg_cli_fail("detect predict", "out of memory");
    sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .arg = "W",
         .help = "OUT/weights.safetensors of steelgrad detect (required)"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &outdir, .short_name = 'o', .arg = "DIR",
         .help = "folder for the PNGs (required)"},
        {.name = "threshold", .type = SG_OPT_FLOAT, .dest = &threshold, .min = 0, .max = 1,
         .help = "smallest score drawn and printed (default 0.3)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&predict_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], images, MAX_IMAGES,
                          &n_images, &done);
    if (done) goto out;
    if (!weights || !outdir || n_images == 0) {
        rc = sg_cli_usage("detect predict", "--weights W, --out DIR and at least one IMAGE are required");
        goto out;
    }
    sg_graph *g = sg_graph_new();
    det_model d;
    if (!g) {
        rc = sg_cli_fail("detect predict", "out of memory");
        goto out;
    }
    if (det_model_open(weights, g, &d) != SG_OK) {
        rc = sg_cli_fail("detect predict", "%s", sg_error_message());
        sg_graph_free(g);
        goto out;
    }
    rc = SG_EXIT_OK;
    if (sg_mkdir_p(outdir) != SG_OK) {
        rc = sg_cli_fail("detect predict", "%s", sg_error_message());
        goto close;
    }
    /* the readable images, in the order given */
    const char **ok = malloc((size_t)n_images * sizeof *ok);
    int *index = malloc((size_t)n_images * sizeof *index), n_ok = 0;
    int per_image = d.grid ? d.GH * d.GW : d.slots;
    sg_det_box *det = malloc(((size_t)per_image + 1) * sizeof *det);
    if (!ok || !index || !det) {
        rc = sg_cli_fail("detect predict", "out of memory");
        goto free_lists;
    }
    for (int i = 0; i < n_images; i++) {
        sg_image probe;
        if (sg_image_read(images[i], NULL, &probe) != SG_OK) {
            rc = sg_cli_fail("detect predict", "%s", sg_error_message());
            continue;
        }
        sg_image_free(&probe);
        index[n_ok] = i;
        ok[n_ok++] = images[i];
    }
    if (n_ok > 0) {
        sg_loader *l = NULL;
        sg_loader_opts lo = {.batch_size = BATCH, .channels = d.channels, .height = d.size, .width = d.size,
                             .workers = -1};
        sg_err err = sg_loader_new(ok, NULL, n_ok, &lo, &l);
        if (err == SG_OK) err = sg_loader_start_epoch(l, 0);
        bool has = true;
        sg_batch b;
        while (err == SG_OK && (err = sg_loader_next(l, &b, &has)) == SG_OK && has) {
            sg_graph_reset(g);
            sg_tensor *x = sg_graph_view(g, b.images, 4, (int64_t[]){b.n, d.channels, d.size, d.size});
            sg_tensor *f = x ? d.m.features(g, &d.m, x) : NULL, *boxes = NULL, *out = NULL;
            out = !f ? NULL : d.grid ? sg_grid_head_forward(g, &d.gh, f) : sg_box_head_forward(g, &d.bh, f, &boxes);
            if (!out) {
                err = sg_error_set(SG_ERR_INVALID, "%s", sg_graph_error_message(g));
                break;
            }
            for (int i = 0; i < b.n && err == SG_OK; i++) {
                int k = (int)b.indices[i];
                int n = detections_of(&d, out, boxes, i, (float)threshold, det);
                err = n < 0 ? SG_ERR_NOMEM : one_image(&d, ok[k], index[k], outdir, det, n);
            }
        }
        if (err != SG_OK) rc = sg_cli_fail("detect predict", "%s", sg_error_message());
        sg_loader_free(l);
    }
free_lists:
    free(ok);
    free(index);
    free(det);
close:
    det_model_free(&d);
    sg_graph_free(g);
out:
    free(images);
    return rc;
}
