/* A scenario as a standalone Python program: plain threading with a Barrier, the way a
 * maintainer runs a reproducer, with no harness. */
#include "prog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* A role's worker function: its name, a word of letters, digits, _ and -, as an identifier. */
static void
prog__fn_name(char *out, size_t n, const char *role)
{
    snprintf(out, n, "%s", role);
    for (char *p = out; *p; p++)
        *p = *p == '-' ? '_' : *p;
}

/* def <fn>(tid): the iteration loop around one body, indented as a function's. */
static int
prog__worker(struct buf *b, const struct scn_scenario *s, const char *fn, const char *body)
{
    int rc = buf_printf(b, "def %s(tid):\n    for iteration in range(ITERATIONS):\n", fn);

    rc = rc ? rc : buf_puts(b, s->barrier == SCN_BARRIER_EACH ? "        barrier.wait()\n"
                                                           : "        if iteration == 0:\n            barrier.wait()\n");
    for (const char *p = body; rc == 0 && p && *p;) {
        size_t n = strcspn(p, "\n");

        rc = buf_printf(b, "        %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    return rc ? rc : buf_puts(b, "\n\n");
}

/* ", " and s as a Python string literal. */
static int
prog__pystr(struct buf *b, const char *s)
{
    int rc = buf_puts(b, ", \"");

    for (; rc == 0 && *s; s++)
        rc = *s == '"' || *s == '\\' ? buf_printf(b, "\\%c", *s) : *s == '\n' ? buf_puts(b, "\\n") : buf_printf(b, "%c", *s);
    return rc ? rc : buf_puts(b, "\"");
}

/* pytest mode: the test as pytest-run-parallel runs it, the tool maintainers already have. A pair
 * of tests run as roles (pytest.roles: pairs, "A <> B"): both named, and said that
 * pytest-run-parallel runs them one after the other, so nobody takes a clean run of it for a fix. */
static int
prog__pytest(struct buf *b, const struct scn_scenario *s, const char *test)
{
    const char *pair = test ? strstr(test, " <> ") : NULL;
    char *first = pair ? strndup(test, (size_t)(pair - test)) : NULL;
    int rc = buf_printf(b, "# Every test called by %ld threads, %ld times each, as pytest-run-parallel runs them\n"
                           "# (pip install pytest pytest-run-parallel==0.10.0).\n",
                        s->threads, s->iterations);

    if (rc == 0 && pair)
        rc = first ? buf_puts(b, "# ftsan ran these two tests at once, each on part of the threads, on the same "
                                 "fixtures;\n# pytest-run-parallel runs them one after the other and may not show "
                                 "the race.\n")
                   : FT_ENOMEM;
    rc = rc ? rc : buf_printf(b, "import sys\n\nimport pytest\n\nsys.exit(pytest.main([\"-p\", \"no:cacheprovider\", "
                                 "\"--parallel-threads=%ld\", \"--iterations=%ld\"", s->threads, s->iterations);
    for (size_t i = 0; rc == 0 && i < s->pytest->n_args; i++)
        rc = prog__pystr(b, s->pytest->args[i]);
    if (pair) {
        rc = rc ? rc : prog__pystr(b, first);
        rc = rc ? rc : prog__pystr(b, pair + 4);
    }
    for (size_t i = 0; rc == 0 && !pair && i < (test ? 1 : s->pytest->n_tests); i++)
        rc = prog__pystr(b, test ? test : s->pytest->tests[i]);
    free(first);
    return rc ? rc : buf_puts(b, "]))\n");
}

int
prog_python(struct buf *b, const struct scn_scenario *s, const char *test)
{
    int rc;

    if (s->pytest)
        return prog__pytest(b, s, test);
    rc = buf_printf(b, "import threading\n\nseed, run = 0, 0\n");
    if (rc == 0 && s->setup.text)
        rc = buf_printf(b, "%s%s", s->setup.text, s->setup.text[strlen(s->setup.text) - 1] == '\n' ? "" : "\n");
    if (rc == 0 && s->prepare.text)
        rc = buf_printf(b, "%s%s", s->prepare.text, s->prepare.text[strlen(s->prepare.text) - 1] == '\n' ? "" : "\n");
    rc = rc ? rc : buf_printf(b, "\nN_THREADS, ITERATIONS = %ld, %ld\nbarrier = threading.Barrier(N_THREADS)\n\n\n",
                              s->threads, s->iterations);
    if (s->n_roles == 0) {
        rc = rc ? rc : prog__worker(b, s, "worker", s->body.text);
        rc = rc ? rc : buf_puts(b, "threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]\n");
    } else {
        long tid = 0;

        for (size_t i = 0; rc == 0 && i < s->n_roles; i++) {
            char fn[64];

            prog__fn_name(fn, sizeof(fn), s->roles[i].name);
            rc = prog__worker(b, s, fn, s->roles[i].body.text);
        }
        rc = rc ? rc : buf_puts(b, "threads = [\n");
        for (size_t i = 0; rc == 0 && i < s->n_roles; i++, tid += s->roles[i - 1].threads) {
            char fn[64];

            prog__fn_name(fn, sizeof(fn), s->roles[i].name);
            rc = buf_printf(b, "    *[threading.Thread(target=%s, args=(t,), name=\"%s\") for t in range(%ld, %ld)],\n", fn,
                            s->roles[i].name, tid, tid + s->roles[i].threads);
        }
        rc = rc ? rc : buf_puts(b, "]\n");
    }
    rc = rc ? rc : buf_puts(b, "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n");
    if (rc == 0 && s->teardown.text)
        rc = buf_puts(b, s->teardown.text);
    return rc;
}
