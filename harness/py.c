/* Child side: an isolated free-threaded interpreter runs setup once, the body on N native
 * threads meeting at a barrier, then teardown; everything noteworthy goes to events.jsonl. */
#include "py.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "ev.h"
#include "log.h"
#include "py_internal.h"

/* Per-thread exceptions kept in full; later ones are only counted. */
#define PY__KEEP_EXCEPTIONS 5

struct py__worker {
    pthread_t thread;
    int tid;
    int started;
    const struct py_job *job;
    PyObject *code;    /* borrowed from py__run: the compiled body */
    PyObject *globals; /* new ref: this thread's copy of the setup namespace */
    long *arrivals; /* shared barrier counter, see py__barrier */
    long exceptions;
    long completed;
};

static PyObject *py__format_exception; /* new ref: traceback.format_exception */
/* Names bound in every thread's namespace, made once by the main thread: making them from
 * many threads would intern the strings concurrently, which CPython 3.13 does racily. */
static PyObject *py__name_tid, *py__name_iteration; /* new refs */

/* Thread states are made and deleted one at a time, as threading.Thread does in its parent
 * thread: CPython 3.13 races with itself when two threads create their first states at once
 * (new_threadstate vs _PyGC_ImmortalizeDeferredObjects), noise that is not the scenario's. */
static pthread_mutex_t py__tstate_lock = PTHREAD_MUTEX_INITIALIZER;

static double
py__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Source padded with blank lines so that line numbers in tracebacks are the scenario file's. */
static PyObject *
py__compile(const struct scn_code *code, const char *path)
{
    struct buf src;
    PyObject *co = NULL; /* new ref */

    buf_init(&src, (size_t)8 << 20);
    for (int i = 1; i < code->line; i++)
        if (buf_puts(&src, "\n") != 0)
            goto out;
    if (buf_puts(&src, code->text) != 0)
        goto out;
    co = Py_CompileString(buf_cstr(&src), path, Py_file_input);
out:
    buf_free(&src);
    return co;
}

/* The raised exception on stderr; clears it. Not PyErr_Print, which answers a SystemExit with
 * Py_Exit and would end the child before its summary is written. */
static void
py__print_error(void)
{
    PyObject *exc = PyErr_GetRaisedException(); /* new ref */

    if (exc != NULL) {
        PyErr_DisplayException(exc);
        Py_DECREF(exc);
    }
    PyErr_Clear();
}

/* The raised exception as an event; clears it. */
static void
py__record_exception(const char *phase, int tid, long iteration)
{
    PyObject *exc = PyErr_GetRaisedException(); /* new ref */
    PyObject *lines = NULL, *text = NULL, *empty = NULL;
    json_t *ev = json_object();

    json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_EXCEPTION));
    json_object_set_new(ev, "phase", json_string(phase));
    json_object_set_new(ev, "tid", json_integer(tid));
    json_object_set_new(ev, "iteration", json_integer(iteration));
    if (exc != NULL) {
        PyObject *msg = PyObject_Str(exc); /* new ref */

        json_object_set_new(ev, "type", json_string(Py_TYPE(exc)->tp_name));
        json_object_set_new(ev, "message", json_string(msg ? PyUnicode_AsUTF8(msg) : "?"));
        Py_XDECREF(msg);
        lines = PyObject_CallOneArg(py__format_exception, exc);
        empty = PyUnicode_FromString("");
        if (lines && empty)
            text = PyUnicode_Join(empty, lines);
        json_object_set_new(ev, "traceback", json_string(text ? PyUnicode_AsUTF8(text) : "?"));
    }
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(empty);
    Py_XDECREF(lines);
    Py_XDECREF(exc);
    ev_write(ev);
}

static int
py__set_int(PyObject *dict, PyObject *name, long value)
{
    PyObject *v = PyLong_FromLong(value); /* new ref */
    int rc = v ? PyDict_SetItem(dict, name, v) : -1;

    Py_XDECREF(v);
    return rc;
}

static int
py__set_int_str(PyObject *dict, const char *name, long value)
{
    PyObject *n = PyUnicode_InternFromString(name); /* new ref */
    int rc = n ? py__set_int(dict, n, value) : -1;

    Py_XDECREF(n);
    return rc;
}

/* The barrier that makes workers collide. It must not synchronise them: a pthread barrier or
 * threading.Barrier orders everything before it against everything after it, so TSan would
 * miss a race between one thread's first call and another's unless the calls happened to
 * overlap. The scenario's code has no such barrier between its threads in real use. So the
 * workers count arrivals with relaxed atomics, which TSan treats as no synchronisation, on a
 * counter that only grows: round k opens when it reaches k * n. They wait detached, so a
 * stop-the-world pause (GC) never waits on them, yielding the CPU to the ones still coming. */
static void
py__barrier(long *arrivals, long n)
{
    Py_BEGIN_ALLOW_THREADS
    long a = __atomic_add_fetch(arrivals, 1, __ATOMIC_RELAXED);
    long target = ((a - 1) / n + 1) * n;

    while (__atomic_load_n(arrivals, __ATOMIC_RELAXED) < target)
        sched_yield();
    Py_END_ALLOW_THREADS
}

static void *
py__worker_main(void *arg)
{
    struct py__worker *w = arg;
    const struct scn_scenario *s = w->job->scn;
    PyGILState_STATE st;

    pthread_mutex_lock(&py__tstate_lock);
    st = PyGILState_Ensure();
    pthread_mutex_unlock(&py__tstate_lock);

    for (long it = 0; it < s->iterations; it++) {
        PyObject *r; /* new ref */

        if (it == 0 || s->barrier == SCN_BARRIER_EACH)
            py__barrier(w->arrivals, s->threads);
        if (py__set_int(w->globals, py__name_iteration, it) != 0) {
            py__record_exception("harness", w->tid, it);
            continue;
        }
        r = PyEval_EvalCode(w->code, w->globals, w->globals);
        if (r == NULL) {
            if (w->exceptions++ < PY__KEEP_EXCEPTIONS)
                py__record_exception("body", w->tid, it);
            else
                PyErr_Clear();
        } else {
            w->completed++;
        }
        Py_XDECREF(r);
    }
    /* Detach before waiting for the lock, so a stop-the-world pause cannot wait on us. */
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&py__tstate_lock);
    Py_END_ALLOW_THREADS
    PyGILState_Release(st);
    pthread_mutex_unlock(&py__tstate_lock);
    return NULL;
}

/* Start every worker, wait for all of them detached. A thread that cannot start is a harness
 * failure: the barrier would never open. */
static int
py__run_workers(const struct py_job *job, PyObject *code, PyObject *ns, json_t *summary)
{
    const struct scn_scenario *s = job->scn;
    struct py__worker *w = calloc((size_t)s->threads, sizeof(*w));
    long arrivals = 0;
    PyThreadState *save;
    long completed = 0, exceptions = 0;
    int rc = 0, started = 0, err;
    double t0;

    if (w == NULL)
        return FT_ENOMEM;
    for (long i = 0; i < s->threads; i++) {
        w[i] = (struct py__worker){.tid = (int)i, .job = job, .code = code, .arrivals = &arrivals};
        if ((w[i].globals = PyDict_Copy(ns)) == NULL || py__set_int(w[i].globals, py__name_tid, i) != 0 ||
            py__set_int(w[i].globals, py__name_iteration, 0) != 0) {
            rc = FT_EPYTHON;
            goto out;
        }
    }
    t0 = py__now();
    save = PyEval_SaveThread();
    for (long i = 0; i < s->threads; i++) {
        if ((err = pthread_create(&w[i].thread, NULL, py__worker_main, &w[i])) != 0) {
            log_err(err, "pthread_create (worker %ld of %ld)", i, s->threads);
            abort(); /* started workers wait at a barrier that can never open */
        }
        w[i].started = 1;
        started++;
    }
    for (long i = 0; i < s->threads; i++)
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
    PyEval_RestoreThread(save);
    for (long i = 0; i < s->threads; i++) {
        completed += w[i].completed;
        exceptions += w[i].exceptions;
    }
    json_object_set_new(summary, "threads_started", json_integer(started));
    json_object_set_new(summary, "body_completed", json_integer(completed));
    json_object_set_new(summary, "body_exceptions", json_integer(exceptions));
    json_object_set_new(summary, "body_seconds", json_real(py__now() - t0));
out:
    for (long i = 0; i < s->threads; i++)
        Py_XDECREF(w[i].globals);
    free(w);
    return rc;
}

static int
py__init(const struct py_job *job)
{
    PyConfig config;
    PyStatus st;
    char *argv[] = {job->scn->path};

    PyConfig_InitIsolatedConfig(&config);
#ifdef Py_GIL_DISABLED
    /* As PYTHON_GIL=0: an extension without Py_mod_gil must not turn the GIL back on, or the
     * threads would stop running in parallel; py__gil_report names such modules instead. */
    config.enable_gil = 0;
#endif
    config.install_signal_handlers = 1;
    st = PyConfig_SetBytesString(&config, &config.executable, job->python);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesString(&config, &config.program_name, job->python);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesArgv(&config, 1, argv);
    if (!PyStatus_Exception(st))
        st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        log_err(0, "cannot start the interpreter %s: %s%s%s", job->python,
                st.func ? st.func : "", st.func ? ": " : "", st.err_msg ? st.err_msg : "?");
        return FT_EPYTHON;
    }
    return 0;
}

/* faulthandler into the evidence directory: Python stacks on fatal signals and, on SIGTERM
 * from the supervisor, of every thread of a hung run. SIGTERM, because TSan reports any other
 * handler that changes errno ("signal handler spoils errno"), which faulthandler's write does. */
static int
py__faulthandler(const char *dir)
{
    char path[4096];
    PyObject *g = NULL, *p = NULL, *r = NULL; /* new refs */
    int rc = FT_EPYTHON;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_FAULTHANDLER, dir) != 0) {
        log_err(0, "%s/%s: the path is too long", dir, LAYOUT_FAULTHANDLER);
        return FT_ETOOBIG;
    }
    if ((g = PyDict_New()) == NULL || (p = PyUnicode_DecodeFSDefault(path)) == NULL ||
        PyDict_SetItemString(g, "path", p) != 0 ||
        PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) != 0)
        goto out;
    /* faulthandler keeps its own reference to the file. */
    r = PyRun_String("import faulthandler, signal\n"
                     "f = open(path, 'a', buffering=1)\n"
                     "faulthandler.enable(file=f, all_threads=True)\n"
                     "faulthandler.register(signal.SIGTERM, file=f, all_threads=True)\n",
                     Py_file_input, g, g);
    if (r != NULL)
        rc = 0;
    else
        py__print_error();
out:
    Py_XDECREF(r);
    Py_XDECREF(p);
    Py_XDECREF(g);
    return rc;
}

/* Resident memory and threads of this process now, from /proc/self/status: the baseline the
 * supervisor's peak figures are compared with. */
static void
py__proc_figures(json_t *summary)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");
    long v;

    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            json_object_set_new(summary, "setup_rss_kb", json_integer(v));
        else if (sscanf(line, "VmSize: %ld kB", &v) == 1)
            json_object_set_new(summary, "setup_vm_kb", json_integer(v));
        else if (sscanf(line, "Threads: %ld", &v) == 1)
            json_object_set_new(summary, "setup_threads", json_integer(v));
    }
    if (f)
        fclose(f);
}

static int
py__run_phase(const struct py_job *job, const struct scn_code *code, const char *phase, PyObject *ns)
{
    PyObject *co, *r;

    if (code->text == NULL)
        return 0;
    if ((co = py__compile(code, job->scn->path)) == NULL) {
        py__record_exception(phase, -1, -1);
        return FT_ESCENARIO;
    }
    r = PyEval_EvalCode(co, ns, ns);
    Py_DECREF(co);
    if (r == NULL) {
        py__record_exception(phase, -1, -1);
        return FT_ESCENARIO;
    }
    Py_DECREF(r);
    return 0;
}

/* Compiled scenario kernels (FTSAN_KERNELS, colon-separated) go first on sys.path: the
 * isolated configuration ignores PYTHONPATH. */
static int
py__kernel_path(void)
{
    const char *k = getenv("FTSAN_KERNELS");
    PyObject *path = PySys_GetObject("path"); /* borrowed */

    while (k && *k && path) {
        size_t n = strcspn(k, ":");
        PyObject *d = PyUnicode_DecodeFSDefaultAndSize(k, (Py_ssize_t)n); /* new ref */

        if (d == NULL || PyList_Insert(path, 0, d) != 0) {
            Py_XDECREF(d);
            return FT_EPYTHON;
        }
        Py_DECREF(d);
        k += n + (k[n] == ':');
    }
    return 0;
}

static int
py__run(const struct py_job *job, json_t *summary)
{
    PyObject *main_mod = NULL, *ns, *tb = NULL, *body = NULL;
    int rc;

    if ((rc = py__faulthandler(job->dir)) != 0 || (rc = py__kernel_path()) != 0)
        return rc;
    if ((tb = PyImport_ImportModule("traceback")) == NULL ||
        (py__format_exception = PyObject_GetAttrString(tb, "format_exception")) == NULL) {
        py__print_error();
        rc = FT_EPYTHON;
        goto out;
    }
    main_mod = PyImport_AddModuleRef("__main__"); /* new ref */
    ns = PyModule_GetDict(main_mod);              /* borrowed */
    py__name_tid = PyUnicode_InternFromString("tid");
    py__name_iteration = PyUnicode_InternFromString("iteration");
    if (py__name_tid == NULL || py__name_iteration == NULL ||
        py__set_int_str(ns, "seed", (long)job->seed) != 0 || py__set_int_str(ns, "run", job->run) != 0) {
        rc = FT_EPYTHON;
        goto out;
    }
    if ((rc = py__run_phase(job, &job->scn->setup, "setup", ns)) != 0)
        goto out;
    py__proc_figures(summary);
    if ((body = py__compile(&job->scn->body, job->scn->path)) == NULL) {
        py__record_exception("body", -1, -1);
        rc = FT_ESCENARIO;
        goto out;
    }
    if ((rc = py__run_workers(job, body, ns, summary)) != 0)
        goto out;
    rc = py__run_phase(job, &job->scn->teardown, "teardown", ns);
    json_object_set_new(summary, "gil_would_enable", json_integer(py__gil_report()));
out:
    Py_XDECREF(body);
    Py_XDECREF(main_mod);
    Py_XDECREF(tb);
    Py_CLEAR(py__format_exception);
    Py_CLEAR(py__name_tid);
    Py_CLEAR(py__name_iteration);
    return rc;
}

/* sys._is_gil_enabled(), asked through the C API: no Python code that could raise SystemExit
 * (which PyRun_SimpleString answers with Py_Exit, ending the child before its summary). */
static int
py__gil_enabled(void)
{
    PyObject *r = PySys_GetObject("_is_gil_enabled"); /* borrowed */
    int on = 0;

    if (r != NULL && (r = PyObject_CallNoArgs(r)) != NULL) {
        on = PyObject_IsTrue(r) == 1;
        Py_DECREF(r);
    }
    PyErr_Clear();
    return on;
}

int
py_run(const struct py_job *job)
{
    char path[4096];
    json_t *summary = json_object();
    double t0 = py__now();
    int rc, status = FT_EXIT_CLEAN;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_EVENTS, job->dir) != 0) {
        log_err(0, "%s/%s: the path is too long", job->dir, LAYOUT_EVENTS);
        return FT_EXIT_HARNESS;
    }
    if (ev_open(path) != 0 || py__hooks_install(job->dir) != 0)
        return FT_EXIT_HARNESS;
    if (py__init(job) != 0) {
        ev_close();
        return FT_EXIT_NOINIT;
    }
    json_object_set_new(summary, LAYOUT_EV_KIND, json_string(LAYOUT_EV_SUMMARY));
    json_object_set_new(summary, "run", json_integer(job->run));
    json_object_set_new(summary, "seed", json_integer((json_int_t)job->seed));
    json_object_set_new(summary, "gil_enabled", json_boolean(py__gil_enabled()));
    rc = py__run(job, summary);
    if (rc == FT_ESCENARIO)
        status = FT_EXIT_SETUP;
    else if (rc != 0)
        status = FT_EXIT_HARNESS;
    json_object_set_new(summary, "seconds", json_real(py__now() - t0));
    ev_write(summary);
    fflush(stdout);
    fflush(stderr);
    if (Py_FinalizeEx() < 0 && status == FT_EXIT_CLEAN)
        status = FT_EXIT_HARNESS;
    py__hooks_close();
    ev_close();
    return status;
}

/* The raised SyntaxError (or other compile error) as "path:line:column: ..."; clears it. The
 * column is the file's: the block's indentation plus Python's 1-based offset in the line. */
static void
py__compile_error(const struct scn_code *code, const char *path, const char *what, struct buf *err)
{
    PyObject *exc = PyErr_GetRaisedException(); /* new ref */
    PyObject *lineno = NULL, *offset = NULL, *msg = NULL;
    long line = code->line, col = 1;

    if (exc && PyErr_GivenExceptionMatches(exc, PyExc_SyntaxError)) {
        lineno = PyObject_GetAttrString(exc, "lineno");
        offset = PyObject_GetAttrString(exc, "offset");
        msg = PyObject_GetAttrString(exc, "msg");
        if (lineno && PyLong_Check(lineno))
            line = PyLong_AsLong(lineno);
        if (offset && PyLong_Check(offset))
            col = PyLong_AsLong(offset);
    } else if (exc) {
        msg = PyObject_Str(exc);
    }
    PyErr_Clear();
    buf_printf(err, "%s:%ld:%ld: the scenario's %s does not compile: %s: %s", path, line, col + code->column, what,
               exc ? Py_TYPE(exc)->tp_name : "error", msg && PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : "?");
    PyErr_Clear();
    Py_XDECREF(lineno);
    Py_XDECREF(offset);
    Py_XDECREF(msg);
    Py_XDECREF(exc);
}

int
py_check(const struct scn_scenario *s, const char *python, struct buf *err)
{
    const struct scn_code *blocks[] = {&s->setup, &s->body, &s->teardown};
    const char *names[] = {"setup", "body", "teardown"};
    struct py_job job = {.scn = s, .python = python};
    int rc = 0;

    if (py__init(&job) != 0) {
        buf_printf(err, "cannot start the interpreter %s to compile the scenario", python);
        return FT_EPYTHON;
    }
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        PyObject *co; /* new ref */

        if (blocks[i]->text == NULL)
            continue;
        if ((co = py__compile(blocks[i], s->path)) == NULL) {
            py__compile_error(blocks[i], s->path, names[i], err);
            rc = FT_ESCENARIO;
        }
        Py_XDECREF(co);
    }
    if (Py_FinalizeEx() < 0 && rc == 0)
        rc = FT_EPYTHON;
    return rc;
}
