/* tests/test_mutants.c - the mutation harness's list stays current.
 *
 * `make mutate` (tests/mutate/mutate.sh) applies each mutant of
 * tests/mutate/mutants.txt by replacing its `find:` text, which must occur
 * exactly once in its `file:`. When code moves, a snippet stops matching and
 * the harness reports a list error - hours later, in a run nobody starts by
 * accident. This suite checks every block now, in `make test`: the file
 * exists, `find` occurs exactly once, `repl` differs from it, and the block
 * says why (or why it is equivalent). */
#include <stdlib.h>
#include <string.h>

#include "tests/testfiles.h"
#include "tests/testutil.h"

/* Occurrences of needle in haystack (non-overlapping). */
static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    const size_t len = strlen(needle);
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += len) n++;
    return n;
}

/* The value of "key: " on its own line inside [block, end), copied into buf;
 * false if absent. */
static bool field(const char *block, const char *end, const char *key, char *buf, size_t cap)
{
    const size_t klen = strlen(key);
    for (const char *line = block; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        if ((size_t)(eol - line) > klen + 1 && strncmp(line, key, klen) == 0 && line[klen] == ':') {
            const char *v = line + klen + 1;
            if (*v == ' ') v++;
            const size_t n = (size_t)(eol - v) < cap - 1 ? (size_t)(eol - v) : cap - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            return true;
        }
        line = eol + 1;
    }
    return false;
}

START_TEST(every_mutant_matches_its_file_exactly_once)
{
    char *list = sg_test_slurp("tests/mutate/mutants.txt");
    ck_assert_msg(list, "tests/mutate/mutants.txt is missing");
    int blocks = 0, bad = 0;
    const char *p = list;
    while (*p) {
        /* A block runs to the next blank line. */
        const char *end = strstr(p, "\n\n");
        if (!end) end = p + strlen(p);
        char file[512], find[1024], repl[1024], why[1024];
        if (field(p, end, "file", file, sizeof file)) {
            blocks++;
            const bool has_find = field(p, end, "find", find, sizeof find);
            const bool has_repl = field(p, end, "repl", repl, sizeof repl);
            const bool has_why = field(p, end, "why", why, sizeof why) || field(p, end, "equivalent", why, sizeof why);
            char *src = has_find ? sg_test_slurp(file) : NULL;
            const int n = src ? count_of(src, find) : -1;
            if (!has_find || !has_repl || !has_why || n != 1 || strcmp(find, repl) == 0) {
                bad++;
                printf("mutant %d (%s): %s\n", blocks, file,
                       !has_find || !has_repl ? "lacks find: or repl:"
                       : !has_why             ? "lacks why: or equivalent:"
                       : !src                 ? "file cannot be read"
                       : n != 1               ? "find: does not occur exactly once"
                                              : "repl: equals find:");
                if (has_find && src && n != 1) printf("  find: %s  (%d occurrences)\n", find, n);
            }
            free(src);
        }
        p = *end ? end + 2 : end;
    }
    free(list);
    printf("%d mutants, %d stale\n", blocks, bad);
    ck_assert_msg(blocks >= 100, "only %d mutants read from tests/mutate/mutants.txt", blocks);
    ck_assert_msg(bad == 0, "%d of %d mutants no longer match their code (listed above): update "
                  "tests/mutate/mutants.txt with the code", bad, blocks);
}
END_TEST

static Suite *mutants_suite(void)
{
    Suite *s = suite_create("mutants");
    SG_ADD_TEST(s, every_mutant_matches_its_file_exactly_once, 30);
    return s;
}

SG_TEST_MAIN(mutants_suite)
