/* cli/serve.c - `steelgrad serve`: the inspection station (serve/station.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/station.h"

static const sg_cli_command serve_cmd = {
    "serve", "steelgrad serve --weights W [--host 127.0.0.1] [--port 8080] [--workers N] [--max-body BYTES]",
    "The inspection station: a web page and a JSON API around a checkpoint of `steelgrad train`,\n"
    "served by a small HTTP/1.1 server on --host (loopback by default: give 0.0.0.0 to serve the\n"
    "network) and --port (0: any free port). The page (embedded, no external assets) takes images\n"
    "by drag-and-drop or a file picker and shows the class, the confidence, every class's bar,\n"
    "the Grad-CAM overlay, the latency and the session's history. API:\n"
    "  POST /api/predict[?heatmap=1]  body: the image, or multipart/form-data\n"
    "       -> {\"class\", \"confidence\", \"probabilities\": {..}, \"latency_ms\", [\"heatmap\": data URL]}\n"
    "  GET /api/model, GET /healthz\n"
    "--workers connections are served at once (the model itself runs one request at a time);\n"
    "bodies over --max-body get 413. Prints 'listening on http://HOST:PORT' when ready; SIGTERM\n"
    "or SIGINT (Ctrl-C) finishes the requests in hand and exits 0. See docs/SERVE.md."};

static sg_server *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) sg_server_stop(running);
}

int cmd_serve(int argc, char **argv)
{
    const char *weights = NULL, *host = "127.0.0.1";
    int64_t port = 8080, workers = 4, max_body = 16 << 20;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .help = "checkpoint from steelgrad train (best.safetensors)"},
        {.name = "host", .type = SG_OPT_STRING, .dest = &host, .help = "address to listen on (default 127.0.0.1)"},
        {.name = "port", .type = SG_OPT_INT, .dest = &port, .help = "TCP port (default 8080; 0 = any free port)",
         .min = 0, .max = 65535},
        {.name = "workers", .type = SG_OPT_INT, .dest = &workers, .help = "connections served at once (default 4)",
         .min = 1, .max = 256},
        {.name = "max-body", .type = SG_OPT_INT, .dest = &max_body, .arg = "BYTES",
         .help = "largest request body (default 16 MiB)", .min = 1024, .max = (double)(1 << 30)},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&serve_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!weights) return sg_cli_usage("serve", "--weights W is required (see --help)");
    sg_station *st;
    if (sg_station_open(weights, &st) != SG_OK) return sg_cli_fail_err("serve", SG_ERR_FORMAT);
    sg_server_opts so = {.host = host, .port = (int)port, .workers = (int)workers, .max_body = (size_t)max_body,
                         .handler = sg_station_handle, .ctx = st};
    sg_server *srv;
    if (sg_server_open(&so, &srv) != SG_OK) {
        sg_station_close(st);
        return sg_cli_fail_err("serve", SG_ERR_IO);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running = srv;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *shown = strchr(host, ':') ? "[%s]" : "%s";
    char addr[300];
    snprintf(addr, sizeof addr, shown, host);
    printf("listening on http://%s:%d (%s, %d workers; Ctrl-C stops)\n", addr, sg_server_port(srv), weights,
           (int)workers);
    fflush(stdout);
    sg_err err = sg_server_run(srv);
    running = NULL;
    sg_server_close(srv);
    sg_station_close(st);
    if (err != SG_OK) return sg_cli_fail_err("serve", err);
    printf("stopped\n");
    return SG_EXIT_OK;
}
