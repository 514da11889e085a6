/* The embedded free-threaded interpreter inside one child process: it runs a scenario on N
 * native threads and writes what happened into the run's evidence directory. */
#ifndef FT_PY_H
#define FT_PY_H

#include "buf.h"
#include "scn.h"

struct py_job {
    const struct scn_scenario *scn; /* borrowed; overrides already applied */
    const char *python;             /* toolchain interpreter: becomes sys.executable */
    const char *dir;                /* this run's evidence directory, existing */
    unsigned long seed;
    int run;                        /* index of this run, for the record */
    int compile_only;               /* py_check: no site (nothing is imported, only compiled) */
};

/* py_run: run the job in this process. Call once, in a fresh process, before any thread exists.
 * Returns the child's enum ft_exit: FT_EXIT_CLEAN when it ran to the end (what it found is in
 * the evidence), FT_EXIT_SETUP, FT_EXIT_NOINIT or FT_EXIT_HARNESS. */
int py_run(const struct py_job *job);

/* py_serve: the fork server (py_serve.c) on the control socket ctl: setup once in this
 * process, then a forked process per request. Returns when the supervisor closes the socket,
 * with the server's enum ft_exit. */
int py_serve(const struct py_job *job, int ctl);

/* py_check: compile the scenario's setup, body and teardown in this process (an interpreter
 * started and finalized here, before any run), so a syntax error is a scenario error naming
 * "file:line:column" in *err (FT_ESCENARIO), not a finding of every run. FT_EPYTHON when the
 * interpreter does not start. */
int py_check(const struct scn_scenario *s, const char *python, struct buf *err);

#endif
