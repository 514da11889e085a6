/* A scenario as a standalone Python program (repro.py, the report's code example). */
#ifndef FT_PROG_H
#define FT_PROG_H

#include "buf.h"
#include "scn.h"

/* prog_python: append to b a program that runs s's setup, then s->threads threading.Threads
 * that meet at a threading.Barrier (before every iteration or once, as the scenario says) and
 * run the body (or their role's body, each thread named by its role) with `tid` and
 * `iteration` bound, then the teardown. For a pytest scenario, the tests (or the one test named
 * test, a node id, when not NULL) run by pytest-run-parallel. 0, or the first error of b
 * (FT_ETOOBIG, FT_ENOMEM): then the program is incomplete and must not be used. */
int prog_python(struct buf *b, const struct scn_scenario *s, const char *test);

#endif
