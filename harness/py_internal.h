/* Shared inside the py module only. */
#ifndef FT_PY_INTERNAL_H
#define FT_PY_INTERNAL_H

#include <Python.h>
#include <jansson.h>

#include "py.h"
#include "scn.h"

/* py__hooks_install: before Py_Initialize: the audit hook, pthread_atfork handlers and the
 * sanitizer report callbacks, writing into dir. 0 or FT_EIO. */
int py__hooks_install(const char *dir);
void py__hooks_close(void);

/* py__stack_json: the calling thread's Python stack, innermost last, as
 * [{"file":..., "line":..., "function":...}]; new reference; [] when none. Must be attached. */
json_t *py__stack_json(void);

/* py__gil_report: one "gil" event per imported extension module that did not declare it can
 * run without the GIL (the GIL stays off: the harness forces it). Returns how many. */
int py__gil_report(void);

/* One child's interpreter state between its steps. */
struct py__ctx {
    PyObject *main_mod; /* new ref */
    PyObject *ns;       /* borrowed: __main__'s namespace, where setup ran */
    PyObject *bodies;   /* new ref: a list of the bodies' function codes (py__body_code), one per role */
    PyObject *tb;       /* new ref: the traceback module */
    long groups;        /* pytest mode: the runs the tests' plan makes, once setup collected them */
};

/* The steps of a run, in order: py__init (the interpreter), py__begin (faulthandler into the
 * run's directory, kernels on sys.path, seed and run bound), py__setup (setup, the figures after
 * it, the body compiled), py__finish (the workers, teardown), py__end, then py__exit (the
 * summary event, Py_FinalizeEx; the child's exit status). Each returns 0 or an FT_E* code;
 * FT_ESCENARIO when the scenario's code raised (recorded as an event). */
int py__init(const struct py_job *job);
int py__begin(const struct py_job *job, struct py__ctx *c);
int py__setup(const struct py_job *job, struct py__ctx *c, json_t *summary);
int py__finish(const struct py_job *job, struct py__ctx *c, json_t *summary);
void py__end(struct py__ctx *c);
json_t *py__summary(const struct py_job *job);
/* finalize 0 (a forked run): the scenario's threads waited for and the atexit functions run, but
 * not the rest of Py_FinalizeEx (module teardown under TSan costs more than the run itself). */
int py__exit(int rc, json_t *summary, double t0, int finalize);
/* py__coverage: the edges this process reached written by the sanitizer runtime (with
 * COVERAGE=1; nothing otherwise), and a forked run's moved from the server's directory `from`
 * into its own `to` (both NULL for a spawned run, whose files are written in its own). */
void py__coverage(const char *from, const char *to);
/* py__bind_run: `seed` and `run` of this run in __main__. */
int py__bind_run(struct py__ctx *c, const struct py_job *job);
/* py__faulthandler: faulthandler's file (again) in dir, for fatal signals and SIGTERM. */
int py__faulthandler(const char *dir);

/* py__hooks_deadly_save, before faulthandler is enabled, and _restore, after: under TSan or
 * ASan, SIGSEGV, SIGBUS and SIGFPE stay with the sanitizer's own report. */
void py__hooks_deadly_save(void);
int py__hooks_deadly_restore(void);
/* py__hooks_fork: the next fork() of this thread is the harness's own (the fork server's),
 * not a process event of the scenario. */
void py__hooks_fork(void);
/* py__hooks_reopen: in a run forked from the server, its evidence goes to dir: pystack.txt and
 * the sanitizer's log reopened there, with what the server wrote during setup copied first
 * (events and stacks into every run; the sanitizer's logs, with_logs, into the first run only:
 * setup ran once). */
int py__hooks_reopen(const char *dir, const char *server_dir, int with_logs);

/* py__record_exception: the raised exception as an event, cleared; py__record_exc: exc's
 * (borrowed). phase is setup, body, teardown or harness; tid and iteration -1 outside the body. */
void py__record_exception(const char *phase, int tid, long iteration);
void py__record_exc(const char *phase, int tid, long iteration, PyObject *exc);

/* Names bound in every thread's namespace, made once by the main thread: making them from
 * many threads would intern the strings concurrently, which CPython 3.13 does racily. */
extern PyObject *py__name_tid, *py__name_iteration;

double py__now(void);
int py__set_int(PyObject *dict, PyObject *name, long value);

/* py__body_code: a body of the scenario (its body, or a role's) compiled once into the code of a function that runs its
 * own iteration loop (see py_engine.c); new ref, or NULL with the exception set. ns is the
 * namespace setup left: the names the body assigns that setup defined stay the thread's globals. */
PyObject *py__body_code(const struct scn_scenario *s, const struct scn_code *body, PyObject *ns);

/* py__run_workers: s->threads native threads, each calling its role's function (bodies[role], or
 * bodies[0] without roles) on its own copy of ns; counts into summary. 0, or FT_ENOMEM /
 * FT_EPYTHON. */
int py__run_workers(const struct scn_scenario *s, PyObject *bodies, PyObject *ns, json_t *summary);

/* py__record_shared: a "shared" event for each data buffer bound to a name of ns (or held by a
 * list, tuple or dict bound there): the memory the scenario shares by its own design. Errors
 * are not the run's: an object that describes no buffer is skipped. */
void py__record_shared(PyObject *ns);

/* py__pytest_prepare: pytest mode's setup: pytest configured and the tests collected and
 * planned once (in the fork server, before any run is forked); *groups is the plan's length.
 * 0, or FT_EPYTHON when pytest could not collect them (recorded as an exception event): the run
 * did not run. */
int py__pytest_prepare(const struct py_job *job, long *groups);

/* py__run_pytest: pytest mode's run: the run's group of s->pytest's tests through the plugin
 * (harness/python/ftsan_pytest.py); its counts into summary. 0, or FT_EPYTHON when pytest could
 * not run the tests (recorded as an exception event): the run did not run. */
int py__run_pytest(const struct py_job *job, json_t *summary);

/* py__mod_init: the _ftsan module (the engine for code inside a run), for PyImport_AppendInittab.
 * py__current_test: the test _ftsan.set_test named, or NULL. */
PyObject *py__mod_init(void);
const char *py__current_test(void);

#endif
