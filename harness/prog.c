/* A scenario as a standalone Python program: plain threading with a Barrier, the way a
 * maintainer runs a reproducer, with no harness. */
#include "prog.h"

#include <string.h>

/* The scenario as a standalone program: plain threading with a Barrier, runnable with any
 * free-threaded interpreter. */
int
prog_python(struct buf *b, const struct scn_scenario *s)
{
    const char *p;
    int rc = buf_printf(b, "import threading\n\nseed, run = 0, 0\n");

    if (rc == 0 && s->setup.text)
        rc = buf_printf(b, "%s%s", s->setup.text, s->setup.text[strlen(s->setup.text) - 1] == '\n' ? "" : "\n");
    rc = rc ? rc : buf_printf(b, "\nN_THREADS, ITERATIONS = %ld, %ld\nbarrier = threading.Barrier(N_THREADS)\n\n\n"
                  "def worker(tid):\n    for iteration in range(ITERATIONS):\n", s->threads, s->iterations);
    rc = rc ? rc : buf_puts(b, s->barrier == SCN_BARRIER_EACH ? "        barrier.wait()\n"
                                                           : "        if iteration == 0:\n            barrier.wait()\n");
    for (p = s->body.text; rc == 0 && p && *p;) {
        size_t n = strcspn(p, "\n");

        rc = buf_printf(b, "        %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    rc = rc ? rc : buf_puts(b, "\n\nthreads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]\n"
                "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n");
    if (rc == 0 && s->teardown.text)
        rc = buf_puts(b, s->teardown.text);
    return rc;
}

