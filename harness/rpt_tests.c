/* pytest mode in the reports: what happened to each test (sig_findings.tests, from the runs'
 * "test" events), for report.json and summary.md. */
#include <string.h>

#include "layout.h"
#include "rpt.h"

/* "outcome\tnodeid\treason": its three fields, pointers into t with their lengths; no copy, so
 * no node id is ever cut. */
struct rpt__test {
    const char *field[3];
    int len[3];
};

static struct rpt__test
rpt__test_fields(const char *t)
{
    struct rpt__test r = {{"", "", ""}, {0, 0, 0}};

    for (int k = 0; k < 3 && t; k++) {
        size_t n = k < 2 ? strcspn(t, "\t") : strlen(t);

        r.field[k] = t;
        r.len[k] = (int)n;
        t = k < 2 && t[n] == '\t' ? t + n + 1 : NULL;
    }
    return r;
}

json_t *
rpt_tests_json(const struct sig_findings *f)
{
    json_t *a = json_array();

    for (size_t i = 0; i < f->n_tests; i++) {
        struct rpt__test t = rpt__test_fields(f->tests[i]);

        json_array_append_new(a, json_pack("{s:s%,s:s%,s:s%}", "nodeid", t.field[1], (size_t)t.len[1], "outcome",
                                           t.field[0], (size_t)t.len[0], "reason", t.field[2], (size_t)t.len[2]));
    }
    return a;
}

/* "Tests: 12 run, 10 passed on every thread, ...", then the tests that need a maintainer's eye. */
int
rpt_tests_md(struct buf *b, const struct sig_findings *f)
{
    static const char *const order[] = {LAYOUT_TEST_PASSED, LAYOUT_TEST_FAILED_THREADS, LAYOUT_TEST_FAILED_ALONE,
                                        LAYOUT_TEST_ONE_THREAD, LAYOUT_TEST_SKIPPED};
    static const char *const said[] = {"passed on every thread", "failed on threads but not alone (findings)",
                                       "failed alone too (not findings)", "ran on one thread (thread-unsafe)", "skipped"};
    int rc;

    if (f->n_tests == 0)
        return 0;
    rc = buf_printf(b, "\nTests: %zu run", f->n_tests);
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        size_t n = 0;

        for (size_t i = 0; i < f->n_tests; i++)
            n += strncmp(f->tests[i], order[k], strlen(order[k])) == 0 && f->tests[i][strlen(order[k])] == '\t';
        if (n && rc == 0)
            rc = buf_printf(b, ", %zu %s", n, said[k]);
    }
    rc = rc ? rc : buf_puts(b, ".\n\n");
    for (size_t i = 0; i < f->n_tests && rc == 0; i++) {
        struct rpt__test t = rpt__test_fields(f->tests[i]);

        if (t.len[0] != (int)strlen(LAYOUT_TEST_PASSED) || strncmp(t.field[0], LAYOUT_TEST_PASSED, (size_t)t.len[0]) != 0)
            rc = buf_printf(b, "- `%.*s`: %.*s%s%.*s\n", t.len[1], t.field[1], t.len[0], t.field[0], t.len[2] ? ": " : "",
                            t.len[2], t.field[2]);
    }
    return rc;
}
