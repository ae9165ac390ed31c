/* serve/station.h - the inspection station: a trained checkpoint behind the
 * HTTP server (serve/server.h), with its page (serve/page.c).
 *
 * Routes (anything else: 404; a known path with another method: 405):
 *   GET  /              the page (HTML, CSS and JS in one document, no external assets)
 *   GET  /healthz       {"status":"ok"}
 *   GET  /api/model     {"model", "classes", "channels", "size", "parameters", "layer"}
 *   POST /api/predict   body: the image file (an image/ type, application/octet-stream or no
 *                       Content-Type) or multipart/form-data (its first file part);
 *                       ?heatmap=1 adds "heatmap": a data: URL of the Grad-CAM overlay PNG
 *                       -> {"class", "index", "confidence", "probabilities": {class: p},
 *                           "latency_ms", "forward_ms", "width", "height", "format"}
 * Errors are JSON {"error": "...", "status": N}: 400 empty body or bad multipart, 413
 * body too large (the server), 415 a content type or file that is not an image
 * format steelgrad reads, 422 an image that does not decode (its decoder's message).
 *
 * The model runs one request at a time (one graph, one lock): workers decode
 * and encode in parallel, the forward passes queue. */
#ifndef SG_SERVE_STATION_H
#define SG_SERVE_STATION_H

#include "core/error.h"
#include "serve/server.h"

typedef struct sg_station sg_station;

/* Open checkpoint `weights` (train/checkpoint.h's sg_run_model_open). */
sg_err sg_station_open(const char *weights, sg_station **out);
void sg_station_close(sg_station *st);
/* The sg_http_handler of the station (ctx = the station). */
void sg_station_handle(void *ctx, const sg_http_request *req, const uint8_t *body, size_t len,
                       sg_http_response *out);

/* The page, NUL-terminated. */
extern const char sg_station_page[];

#endif
