/* fuzz/fuzz_http.c - the station's HTTP parser (serve/http.c) on arbitrary
 * bytes: the request head, then, as the server would, the body as
 * multipart/form-data with the head's Content-Type (or a fixed boundary). */
#include <string.h>

#include "serve/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    sg_http_request req;
    int status = sg_http_parse_request(buf, size, 4096, &req);
    sg_http_slice ct = {"multipart/form-data; boundary=b", 31}, file;
    const char *why;
    size_t body = 0;
    if (status == 200) {
        char media[64];
        sg_http_media_type(req.content_type, media, sizeof media);
        if (req.content_type.n) ct = req.content_type;
        (void)sg_http_query_has(req.query, "heatmap=1");
        body = req.head_bytes;
    }
    if (sg_http_multipart_file(buf + body, size - body, ct, &file, &why) == 0) {
        volatile char sink = 0;
        for (size_t i = 0; i < file.n; i++) sink ^= file.p[i];
        (void)sink;
    }
    return 0;
}
