/* tests/test_json.c - the strict JSON reader and the JSON writer (core/json.h).
 *
 * The reader must accept every RFC 8259 document, reject every malformed one
 * with a message "<source>: byte <offset>: expected ..., found ...", and never
 * crash or recurse without bound on hostile input (this suite runs under
 * ASan/UBSan in `make sanitize`). The writer must produce text the reader
 * reads back to the same values, floats bit-exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "tests/testutil.h"

/* Parse a NUL-terminated text; fail the test if it does not parse. */
static sg_json *parse_ok(const char *text)
{
    sg_json *j = NULL;
    sg_err err = sg_json_parse(text, strlen(text), "doc.json", &j);
    ck_assert_msg(err == SG_OK, "expected %s to parse, got: %s", text, sg_error_message());
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(json_parses_every_kind_of_value)
{
    const char *text =
        "\xef\xbb\xbf"  /* a byte order mark, which we skip */
        " {\"name\": \"steel\", \"n\": 42, \"neg\": -7, \"pi\": 3.25, \"exp\": 1.5e3,"
        "  \"small\": -2.5E-3, \"zero\": 0, \"negzero\": -0, \"t\": true, \"f\": false,"
        "  \"nothing\": null, \"empty_arr\": [], \"empty_obj\": {},"
        "  \"nested\": {\"list\": [1, [2, [3]], {\"k\": \"v\"}]},"
        "  \"big\": 9223372036854775807, \"min\": -9223372036854775808,"
        "  \"bigger\": 9223372036854775808, \"\": \"empty key\"}\r\n\t";
    sg_json *j = parse_ok(text);
    ck_assert_int_eq(j->type, SG_JSON_OBJECT);
    ck_assert_int_eq(sg_json_count(j), 18);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "name"), ""), "steel");
    ck_assert_str_eq(sg_json_key(j, 0), "name");
    int64_t v;
    ck_assert(sg_json_int64(sg_json_get(j, "n"), &v) && v == 42);
    ck_assert(sg_json_int64(sg_json_get(j, "neg"), &v) && v == -7);
    ck_assert(sg_json_int64(sg_json_get(j, "exp"), &v) && v == 1500); /* integral double */
    ck_assert(!sg_json_int64(sg_json_get(j, "pi"), &v));
    ck_assert(sg_json_number(sg_json_get(j, "pi"), 0) == 3.25);
    ck_assert(sg_json_number(sg_json_get(j, "small"), 0) == -2.5e-3);
    ck_assert(sg_json_number(sg_json_get(j, "zero"), 1) == 0);
    ck_assert(signbit(sg_json_number(sg_json_get(j, "negzero"), 1)));
    ck_assert(sg_json_bool(sg_json_get(j, "t"), false) == true);
    ck_assert(sg_json_bool(sg_json_get(j, "f"), true) == false);
    ck_assert_int_eq(sg_json_get(j, "nothing")->type, SG_JSON_NULL);
    ck_assert_int_eq(sg_json_count(sg_json_get(j, "empty_arr")), 0);
    ck_assert_int_eq(sg_json_get(j, "empty_obj")->type, SG_JSON_OBJECT);
    const sg_json *list = sg_json_get(sg_json_get(j, "nested"), "list");
    ck_assert_int_eq(sg_json_count(list), 3);
    ck_assert(sg_json_number(sg_json_at(sg_json_at(sg_json_at(list, 1), 1), 0), 0) == 3);
    ck_assert_str_eq(sg_json_string(sg_json_get(sg_json_at(list, 2), "k"), ""), "v");
    ck_assert(sg_json_int64(sg_json_get(j, "big"), &v) && v == INT64_MAX);
    ck_assert(sg_json_int64(sg_json_get(j, "min"), &v) && v == INT64_MIN);
    /* 2^63 does not fit int64: a number, not an exact integer. */
    ck_assert(!sg_json_int64(sg_json_get(j, "bigger"), &v));
    ck_assert(sg_json_number(sg_json_get(j, "bigger"), 0) == 9223372036854775808.0);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, ""), ""), "empty key");
    /* Defaults for absent keys and wrong types. */
    ck_assert_ptr_null(sg_json_get(j, "absent"));
    ck_assert(sg_json_number(sg_json_get(j, "name"), -1) == -1);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "n"), "def"), "def");
    ck_assert(sg_json_bool(NULL, true));
    ck_assert_ptr_null(sg_json_at(list, 3));
    ck_assert_ptr_null(sg_json_at(list, -1));
    sg_json_free(j);

    /* Any value may be the top level. */
    const char *scalars[] = {"42", "\"s\"", "null", "true", " [ ] ", "-1.0e+2"};
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) sg_json_free(parse_ok(scalars[i]));
}
END_TEST

START_TEST(json_decodes_every_escape_to_utf8)
{
    sg_json *j = parse_ok("[\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", "
                          "\"\\ud83d\\ude00\", \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", "
                          "\"nul\\u0000inside\"]");
    ck_assert_str_eq(sg_json_string(sg_json_at(j, 0), ""), "q\" b\\ s/ \b\f\n\r\t");
    ck_assert_str_eq(sg_json_string(sg_json_at(j, 1), ""), "\xc3\xa9\xe2\x82\xac"); /* é € */
    ck_assert_str_eq(sg_json_string(sg_json_at(j, 2), ""), "\xf0\x9f\x98\x80");   /* U+1F600 */
    ck_assert_str_eq(sg_json_string(sg_json_at(j, 3), ""), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    const sg_json *nul = sg_json_at(j, 4);
    ck_assert_int_eq(nul->length, 10);
    ck_assert(memcmp(nul->string, "nul\0inside", 11) == 0);
    sg_json_free(j);
}
END_TEST

/* One malformed document, where the error must be and a word of its message. */
typedef struct bad_doc {
    const char *text;
    size_t offset;
    const char *needle;
    sg_err code;
} bad_doc;

START_TEST(json_rejects_malformed_documents_naming_source_and_offset)
{
    static const bad_doc bad[] = {
        {"", 0, "expected a value", SG_ERR_FORMAT},
        {"   ", 3, "found end of input", SG_ERR_FORMAT},
        {"{", 1, "starting a key or '}'", SG_ERR_FORMAT},
        {"[1,]", 3, "expected a value", SG_ERR_FORMAT},
        {"{\"a\":1,}", 7, "starting the next key", SG_ERR_FORMAT},
        {"{\"a\" 1}", 5, "expected ':' after object key, found '1'", SG_ERR_FORMAT},
        {"{1:2}", 1, "starting a key", SG_ERR_FORMAT},
        {"[1 2]", 3, "',' or ']'", SG_ERR_FORMAT},
        {"[1,2", 4, "found end of input", SG_ERR_FORMAT},
        {"{\"a\":1 \"b\":2}", 7, "',' or '}'", SG_ERR_FORMAT},
        {"01", 1, "leading zeros", SG_ERR_FORMAT},
        {"-", 1, "a digit", SG_ERR_FORMAT},
        {"-a", 1, "a digit", SG_ERR_FORMAT},
        {"1.", 2, "digit after the decimal point", SG_ERR_FORMAT},
        {"1.e5", 2, "digit after the decimal point", SG_ERR_FORMAT},
        {"1e", 2, "digit in the exponent", SG_ERR_FORMAT},
        {"1e+", 3, "digit in the exponent", SG_ERR_FORMAT},
        {"+1", 0, "expected a value", SG_ERR_FORMAT},
        {".5", 0, "expected a value", SG_ERR_FORMAT},
        {"[1e999]", 1, "out of the range", SG_ERR_FORMAT},
        {"NaN", 0, "expected a value", SG_ERR_FORMAT},
        {"Infinity", 0, "expected a value", SG_ERR_FORMAT},
        {"tru", 0, "'true'", SG_ERR_FORMAT},
        {"nul", 0, "'null'", SG_ERR_FORMAT},
        {"True", 0, "expected a value", SG_ERR_FORMAT},
        {"'a'", 0, "expected a value", SG_ERR_FORMAT},
        {"// comment\n1", 0, "expected a value", SG_ERR_FORMAT},
        {"1 2", 2, "end of input after the top-level value", SG_ERR_FORMAT},
        {"{} x", 3, "end of input after the top-level value", SG_ERR_FORMAT},
        {"\"abc", 0, "unterminated string", SG_ERR_FORMAT},
        {"\"abc\\\"", 0, "unterminated string", SG_ERR_FORMAT},
        {"\"a\x01z\"", 2, "control character 0x01", SG_ERR_FORMAT},
        {"\"a\nz\"", 2, "control character 0x0a", SG_ERR_FORMAT},
        {"\"\\x\"", 1, "invalid escape", SG_ERR_FORMAT},
        {"\"\\u12g4\"", 5, "hex digit", SG_ERR_FORMAT},
        {"\"\\u12\"", 5, "hex digit", SG_ERR_FORMAT},
        {"\"\\ud800\"", 1, "not followed by a \\u low surrogate", SG_ERR_FORMAT},
        {"\"\\ud800\\u0041\"", 1, "not a low surrogate", SG_ERR_FORMAT},
        {"\"\\udc00\"", 1, "unpaired low surrogate", SG_ERR_FORMAT},
        {"\"\xff\"", 1, "invalid UTF-8", SG_ERR_FORMAT},
        {"\"\xc0\xaf\"", 1, "invalid UTF-8", SG_ERR_FORMAT},          /* overlong '/' */
        {"\"\xed\xa0\x80\"", 1, "invalid UTF-8", SG_ERR_FORMAT},      /* encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8", SG_ERR_FORMAT},  /* above U+10FFFF */
        {"\"\xe2\x82\"", 1, "invalid UTF-8", SG_ERR_FORMAT},          /* cut sequence */
        {"{\"a\":1,\"b\":2,\"a\":3}", 17, "duplicate key \"a\"", SG_ERR_FORMAT},
        {"{\"a\\u0000b\":1}", 1, "contains \\u0000", SG_ERR_FORMAT},
        {"\x01", 0, "found byte 0x01", SG_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sg_json *j = (sg_json *)1;
        sg_err err = sg_json_parse(bad[i].text, strlen(bad[i].text), "doc.json", &j);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "doc.json: byte %zu: ", bad[i].offset);
        const char *msg = sg_error_message();
        ck_assert_msg(err == bad[i].code && j == NULL,
                      "case %zu (%s): expected error %s, got %s: %s", i, bad[i].text,
                      sg_err_name(bad[i].code), sg_err_name(err), msg);
        ck_assert_msg(strncmp(msg, prefix, strlen(prefix)) == 0 && strstr(msg, bad[i].needle),
                      "case %zu: expected \"%s...%s\", got \"%s\"", i, prefix, bad[i].needle, msg);
    }
}
END_TEST

START_TEST(json_respects_length_not_nul)
{
    /* The text need not be NUL-terminated; nothing past len is read. */
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse("12345", 2, "n", &j), SG_OK);
    ck_assert(sg_json_number(j, 0) == 12);
    sg_json_free(j);
    char open[3] = {'[', '1', ']'};
    ck_assert_int_eq(sg_json_parse(open, 2, "cut.json", &j), SG_ERR_FORMAT);
    ck_assert_msg(strstr(sg_error_message(), "cut.json: byte 2: expected ',' or ']'"), "%s",
                  sg_error_message());
}
END_TEST

START_TEST(json_limits_nesting_depth)
{
    /* SG_JSON_MAX_DEPTH levels parse; one more is a clean SG_ERR_LIMIT, and
     * 100000 opening brackets do not recurse 100000 deep. */
    enum { BIG = 100000 };
    char *s = malloc(BIG + 1);
    for (int depth = SG_JSON_MAX_DEPTH; depth <= SG_JSON_MAX_DEPTH + 1; depth++) {
        for (int i = 0; i < depth; i++) s[i] = '[', s[2 * depth - 1 - i] = ']';
        sg_json *j = NULL;
        sg_err err = sg_json_parse(s, (size_t)(2 * depth), "deep.json", &j);
        if (depth == SG_JSON_MAX_DEPTH) {
            ck_assert_msg(err == SG_OK, "%s", sg_error_message());
            sg_json_free(j);
        } else {
            ck_assert_int_eq(err, SG_ERR_LIMIT);
            ck_assert_msg(strstr(sg_error_message(), "deep.json: byte 64: nesting deeper than 64"),
                          "%s", sg_error_message());
        }
    }
    memset(s, '[', BIG);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(s, BIG, "deep.json", &j), SG_ERR_LIMIT);
    memset(s, '{', BIG);
    ck_assert_int_eq(sg_json_parse(s, BIG, "deep.json", &j), SG_ERR_FORMAT); /* '{' needs a key */
    for (int i = 0; i < BIG; i += 5) memcpy(s + i, "{\"a\":", 5);
    ck_assert_int_eq(sg_json_parse(s, BIG, "deep.json", &j), SG_ERR_LIMIT);
    free(s);
}
END_TEST

/* Parse `text` and check the outcome is sane either way. */
static void parse_anything(const char *text, size_t len)
{
    sg_json *j = (sg_json *)1;
    sg_err err = sg_json_parse(text, len, "fuzz.json", &j);
    if (err == SG_OK) {
        ck_assert_ptr_nonnull(j);
        sg_json_free(j);
    } else {
        ck_assert_ptr_null(j);
        ck_assert_msg(strncmp(sg_error_message(), "fuzz.json: byte ", 16) == 0, "%s",
                      sg_error_message());
    }
}

START_TEST(json_survives_mutated_and_random_input)
{
    /* Every single-byte substitution (from an alphabet of JSON's special
     * characters), every deletion and every truncation of a valid document. */
    const char *doc = "{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {\"c\": \"\xc3\xa9\"}}";
    size_t n = strlen(doc);
    const char alphabet[] = "{}[]\",:\\u0123456789.eE+-tfn \x80\xc3\xff";
    char *buf = malloc(n + 1);
    for (size_t at = 0; at < n; at++) {
        for (size_t k = 0; k < sizeof alphabet - 1; k++) {
            memcpy(buf, doc, n);
            buf[at] = alphabet[k];
            parse_anything(buf, n);
        }
        memcpy(buf, doc, at); /* delete byte `at` */
        memcpy(buf + at, doc + at + 1, n - at - 1);
        parse_anything(buf, n - 1);
        parse_anything(doc, at); /* truncate */
    }
    free(buf);
    /* Random strings over the same alphabet. */
    uint64_t state = 12345;
    char text[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 1 + iter % 63;
        for (size_t i = 0; i < len; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            text[i] = alphabet[(state >> 33) % (sizeof alphabet - 1)];
        }
        parse_anything(text, len);
    }
}
END_TEST

START_TEST(json_writer_compact_and_pretty_text)
{
    sg_json_writer w;
    for (int pretty = 0; pretty <= 1; pretty++) {
        sg_json_writer_init(&w, pretty);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_int64(&w, "a", 1);
        sg_json_writer_key(&w, "b");
        sg_json_writer_begin_array(&w);
        sg_json_writer_bool(&w, true);
        sg_json_writer_null(&w);
        sg_json_writer_string(&w, "x\n");
        sg_json_writer_end_array(&w);
        sg_json_writer_key(&w, "c");
        sg_json_writer_begin_object(&w);
        sg_json_writer_end_object(&w);
        sg_json_writer_kv_number(&w, "d", 0.1);
        sg_json_writer_end_object(&w);
        size_t len = 0;
        const char *text = sg_json_writer_finish(&w, &len);
        ck_assert_ptr_nonnull(text);
        const char *want = pretty
            ? "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null,\n    \"x\\n\"\n  ],\n  \"c\": {},\n  \"d\": 0.1\n}"
            : "{\"a\":1,\"b\":[true,null,\"x\\n\"],\"c\":{},\"d\":0.1}";
        ck_assert_str_eq(text, want);
        ck_assert_uint_eq(len, strlen(want));
        sg_json_writer_free(&w);
    }
}
END_TEST

START_TEST(json_writer_round_trips_through_the_reader)
{
    /* Strings: quotes, backslashes, every control character, UTF-8. */
    char controls[40];
    for (int c = 1; c < 32; c++) controls[c - 1] = (char)c;
    controls[31] = '\0';
    const char *strings[] = {"", "plain", "q\"b\\s/", controls, "caf\xc3\xa9 \xf0\x9f\x98\x80"};
    enum { NF = 2000 };
    float *floats = malloc(NF * sizeof(float));
    sg_test_fill_normal(floats, NF, 7, 1.0f);
    /* Spread over many binades, plus the awkward ones. */
    for (int i = 0; i < NF; i++) floats[i] = ldexpf(floats[i], (i % 80) - 40);
    floats[0] = 0.1f, floats[1] = 1e-45f, floats[2] = 3.4028235e38f, floats[3] = -0.0f;
    floats[4] = 16777217.0f, floats[5] = 1.17549435e-38f;
    double doubles[] = {0.1, 1.0 / 3, 1e300, 5e-324, -2.2250738585072014e-308, 123456789012345678.0};

    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_json_writer_key(&w, "strings");
    sg_json_writer_begin_array(&w);
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) sg_json_writer_string(&w, strings[i]);
    sg_json_writer_end_array(&w);
    sg_json_writer_key(&w, "floats");
    sg_json_writer_begin_array(&w);
    for (int i = 0; i < NF; i++) sg_json_writer_float(&w, floats[i]);
    sg_json_writer_end_array(&w);
    sg_json_writer_key(&w, "doubles");
    sg_json_writer_begin_array(&w);
    for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++) sg_json_writer_number(&w, doubles[i]);
    sg_json_writer_end_array(&w);
    sg_json_writer_kv_int64(&w, "min", INT64_MIN);
    sg_json_writer_kv_int64(&w, "max", INT64_MAX);
    sg_json_writer_kv_bool(&w, "no", false);
    sg_json_writer_kv_number(&w, "nan", NAN);
    sg_json_writer_kv_string(&w, "bad utf8", "a\xff" "b\xc3");
    sg_json_writer_end_object(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    ck_assert_msg(text != NULL, "%s", sg_error_message());

    sg_json *j = parse_ok(text);
    const sg_json *s = sg_json_get(j, "strings"), *f = sg_json_get(j, "floats");
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        ck_assert_str_eq(sg_json_string(sg_json_at(s, (int)i), "?"), strings[i]);
    int mismatches = 0;
    for (int i = 0; i < NF; i++) {
        float back = (float)sg_json_number(sg_json_at(f, i), NAN);
        if (memcmp(&back, &floats[i], sizeof back) != 0) {
            if (mismatches++ < 5) printf("float %d: wrote %.9g read %.9g\n", i, floats[i], back);
        }
    }
    ck_assert_int_eq(mismatches, 0);
    for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++)
        ck_assert(sg_json_number(sg_json_at(sg_json_get(j, "doubles"), (int)i), 0) == doubles[i]);
    int64_t v;
    ck_assert(sg_json_int64(sg_json_get(j, "min"), &v) && v == INT64_MIN);
    ck_assert(sg_json_int64(sg_json_get(j, "max"), &v) && v == INT64_MAX);
    ck_assert(!sg_json_bool(sg_json_get(j, "no"), true));
    ck_assert_int_eq(sg_json_get(j, "nan")->type, SG_JSON_NULL); /* NaN is not JSON */
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "bad utf8"), ""), "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    /* Shortest form: 0.1f is "0.1", not "0.100000001". */
    ck_assert_ptr_nonnull(strstr(text, "\n    0.1,\n"));
    sg_json_free(j);
    sg_json_writer_free(&w);
    free(floats);
}
END_TEST

START_TEST(json_writer_reports_misuse)
{
    sg_json_writer w;
    /* A value inside an object without a key. */
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_int64(&w, 1);
    sg_json_writer_end_object(&w);
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "without a key"));
    sg_json_writer_free(&w);
    /* An unclosed array. */
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "left open"));
    sg_json_writer_free(&w);
    /* Mismatched close, key in an array, two top-level values, nothing. */
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    sg_json_writer_end_object(&w);
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    sg_json_writer_free(&w);
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    sg_json_writer_key(&w, "k");
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "outside an object"));
    sg_json_writer_free(&w);
    sg_json_writer_init(&w, false);
    sg_json_writer_int64(&w, 1);
    sg_json_writer_int64(&w, 2);
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "second top-level"));
    sg_json_writer_free(&w);
    sg_json_writer_init(&w, false);
    ck_assert_ptr_null(sg_json_writer_finish(&w, NULL));
    sg_json_writer_free(&w);
    /* JSON lines: one compact document per record. */
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "event", "epoch");
    sg_json_writer_key(&w, "loss");
    sg_json_writer_float(&w, 0.25f);
    sg_json_writer_end_object(&w);
    ck_assert_str_eq(sg_json_writer_finish(&w, NULL), "{\"event\":\"epoch\",\"loss\":0.25}");
    sg_json_writer_free(&w);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    SG_ADD_TEST(s, json_parses_every_kind_of_value, 30);
    SG_ADD_TEST(s, json_decodes_every_escape_to_utf8, 30);
    SG_ADD_TEST(s, json_rejects_malformed_documents_naming_source_and_offset, 30);
    SG_ADD_TEST(s, json_respects_length_not_nul, 30);
    SG_ADD_TEST(s, json_limits_nesting_depth, 30);
    SG_ADD_TEST(s, json_survives_mutated_and_random_input, 120);
    SG_ADD_TEST(s, json_writer_compact_and_pretty_text, 30);
    SG_ADD_TEST(s, json_writer_round_trips_through_the_reader, 30);
    SG_ADD_TEST(s, json_writer_reports_misuse, 30);
    return s;
}

SG_TEST_MAIN(json_suite)
