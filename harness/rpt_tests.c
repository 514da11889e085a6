/* pytest mode in the reports: what happened to each test (sig_findings.tests, from the runs'
 * "test" events), for report.json and summary.md. */
#include <string.h>

#include "layout.h"
#include "rpt.h"

/* "outcome\tnodeid\treason" -> its three fields (pointers into a copy in tmp). */
static void
rpt__test_fields(const char *t, char *tmp, size_t n, const char **outcome, const char **nodeid, const char **reason)
{
    char *tab;

    buf_fmt_cut(tmp, n, "%s", t);
    *outcome = tmp;
    *nodeid = *reason = "";
    if ((tab = strchr(tmp, '\t')) != NULL) {
        *tab = '\0';
        *nodeid = tab + 1;
        if ((tab = strchr(tab + 1, '\t')) != NULL) {
            *tab = '\0';
            *reason = tab + 1;
        }
    }
}

json_t *
rpt_tests_json(const struct sig_findings *f)
{
    json_t *a = json_array();
    char tmp[4096];

    for (size_t i = 0; i < f->n_tests; i++) {
        const char *outcome, *nodeid, *reason;

        rpt__test_fields(f->tests[i], tmp, sizeof(tmp), &outcome, &nodeid, &reason);
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "nodeid", nodeid, "outcome", outcome, "reason", reason));
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
    char tmp[4096];
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
        const char *outcome, *nodeid, *reason;

        rpt__test_fields(f->tests[i], tmp, sizeof(tmp), &outcome, &nodeid, &reason);
        if (strcmp(outcome, LAYOUT_TEST_PASSED) != 0)
            rc = buf_printf(b, "- `%s`: %s%s%s\n", nodeid, outcome, reason[0] ? ": " : "", reason);
    }
    return rc;
}
