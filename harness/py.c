/* Child side: an isolated free-threaded interpreter runs setup once, the body on N native
 * threads meeting at a barrier, then teardown; everything noteworthy goes to events.jsonl. */
#include "py.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "ev.h"
#include "log.h"
#include "py_internal.h"

static PyObject *py__format_exception; /* new ref: traceback.format_exception */
PyObject *py__name_tid, *py__name_iteration; /* new refs */

double
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
void
py__record_exception(const char *phase, int tid, long iteration)
{
    PyObject *exc = PyErr_GetRaisedException(); /* new ref */

    py__record_exc(phase, tid, iteration, exc);
    Py_XDECREF(exc);
}

void
py__record_exc(const char *phase, int tid, long iteration, PyObject *exc)
{
    PyObject *lines = NULL, *text = NULL, *empty = NULL;
    json_t *ev = json_object();

    json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_EXCEPTION));
    json_object_set_new(ev, "phase", json_string(phase));
    json_object_set_new(ev, "tid", json_integer(tid));
    json_object_set_new(ev, "iteration", json_integer(iteration));
    if (py__current_test())
        json_object_set_new(ev, LAYOUT_EV_TEST, json_string(py__current_test()));
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
    ev_write(ev);
}

int
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

int
py__init(const struct py_job *job)
{
    PyConfig config;
    PyStatus st;
    char *argv[] = {job->scn->path};

    if (PyImport_AppendInittab("_ftsan", py__mod_init) != 0)
        return FT_ENOMEM;
    PyConfig_InitIsolatedConfig(&config);
#ifdef Py_GIL_DISABLED
    /* As PYTHON_GIL=0: an extension without Py_mod_gil must not turn the GIL back on, or the
     * threads would stop running in parallel; py__gil_report names such modules instead. */
    config.enable_gil = 0;
#endif
    config.install_signal_handlers = 1;
    /* Compiling the scenario needs no site-packages: a tenth of a second less before the runs. */
    config.site_import = !job->compile_only;
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
int
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
    py__hooks_deadly_save();
    r = PyRun_String("import faulthandler, signal\n"
                     "f = open(path, 'a', buffering=1)\n"
                     "faulthandler.enable(file=f, all_threads=True)\n"
                     "faulthandler.register(signal.SIGTERM, file=f, all_threads=True)\n",
                     Py_file_input, g, g);
    if (r != NULL)
        rc = py__hooks_deadly_restore();
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

int
py__begin(const struct py_job *job, struct py__ctx *c)
{
    int rc;

    memset(c, 0, sizeof(*c));
    if ((rc = py__faulthandler(job->dir)) != 0 || (rc = py__kernel_path()) != 0)
        return rc;
    if ((c->tb = PyImport_ImportModule("traceback")) == NULL ||
        (py__format_exception = PyObject_GetAttrString(c->tb, "format_exception")) == NULL) {
        py__print_error();
        return FT_EPYTHON;
    }
    c->main_mod = PyImport_AddModuleRef("__main__"); /* new ref */
    c->ns = PyModule_GetDict(c->main_mod);          /* borrowed */
    py__name_tid = PyUnicode_InternFromString("tid");
    py__name_iteration = PyUnicode_InternFromString("iteration");
    if (py__name_tid == NULL || py__name_iteration == NULL || py__bind_run(c, job) != 0)
        return FT_EPYTHON;
    return 0;
}

int
py__bind_run(struct py__ctx *c, const struct py_job *job)
{
    return py__set_int_str(c->ns, "seed", (long)job->seed) != 0 || py__set_int_str(c->ns, "run", job->run) != 0
               ? FT_EPYTHON
               : 0;
}

int
py__setup(const struct py_job *job, struct py__ctx *c, json_t *summary)
{
    int rc;

    if ((rc = py__run_phase(job, &job->scn->setup, "setup", c->ns)) != 0 ||
        (job->scn->pytest && (rc = py__pytest_prepare(job, &c->groups)) != 0))
        return rc;
    py__proc_figures(summary);
    if ((c->bodies = PyList_New(0)) == NULL)
        return FT_EPYTHON;
    for (size_t r = 0; r < (job->scn->pytest ? 0 : job->scn->n_roles ? job->scn->n_roles : 1); r++) {
        PyObject *code = py__body_code(job->scn, job->scn->n_roles ? &job->scn->roles[r].body : &job->scn->body,
                                       c->ns); /* new ref */

        if (code == NULL || PyList_Append(c->bodies, code) != 0) {
            Py_XDECREF(code);
            py__record_exception("body", -1, -1);
            return FT_ESCENARIO;
        }
        Py_DECREF(code);
    }
    return 0;
}

int
py__finish(const struct py_job *job, struct py__ctx *c, json_t *summary)
{
    int rc, trc;

    if ((rc = py__run_phase(job, &job->scn->prepare, "prepare", c->ns)) != 0)
        return rc;
    rc = job->scn->pytest ? py__run_pytest(job, summary) : py__run_workers(job->scn, c->bodies, c->ns, summary);
    if (rc != 0 && rc != FT_ESCENARIO)
        return rc;
    trc = py__run_phase(job, &job->scn->teardown, "teardown", c->ns);
    json_object_set_new(summary, "gil_would_enable", json_integer(py__gil_report()));
    return rc ? rc : trc;
}

void
py__end(struct py__ctx *c)
{
    Py_XDECREF(c->bodies);
    Py_XDECREF(c->main_mod);
    Py_XDECREF(c->tb);
    Py_CLEAR(py__format_exception);
    Py_CLEAR(py__name_tid);
    Py_CLEAR(py__name_iteration);
    memset(c, 0, sizeof(*c));
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

json_t *
py__summary(const struct py_job *job)
{
    json_t *summary = json_object();

    json_object_set_new(summary, LAYOUT_EV_KIND, json_string(LAYOUT_EV_SUMMARY));
    json_object_set_new(summary, "run", json_integer(job->run));
    json_object_set_new(summary, "seed", json_integer((json_int_t)job->seed));
    json_object_set_new(summary, "gil_enabled", json_boolean(py__gil_enabled()));
    return summary;
}

/* What Py_FinalizeEx does before tearing down: wait for the threads the scenario left
 * (threading._shutdown), run the atexit functions (loky and multiprocessing stop their workers
 * there), flush sys.stdout and sys.stderr. */
static void
py__shutdown(void)
{
    static const char *const calls[][2] = {{"threading", "_shutdown"}, {"atexit", "_run_exitfuncs"}};

    for (size_t i = 0; i < 2; i++) {
        PyObject *name = PyUnicode_FromString(calls[i][0]), *mod = NULL, *r = NULL; /* new refs */

        /* threading only when the scenario imported it; atexit always. */
        if (name && (mod = i == 0 ? PyImport_GetModule(name) : PyImport_Import(name)) != NULL)
            r = PyObject_CallMethod(mod, calls[i][1], NULL);
        if (r == NULL && PyErr_Occurred())
            py__record_exception("teardown", -1, -1);
        Py_XDECREF(r);
        Py_XDECREF(mod);
        Py_XDECREF(name);
    }
    /* And what finalization does last: Python's own buffers of sys.stdout and sys.stderr. */
    for (size_t i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(i == 0 ? "stdout" : "stderr"), *r; /* borrowed; new ref */

        if (f != NULL && f != Py_None && (r = PyObject_CallMethod(f, "flush", NULL)) != NULL)
            Py_DECREF(r);
        PyErr_Clear();
    }
}

int
py__exit(int rc, json_t *summary, double t0, int finalize)
{
    int status = rc == 0 ? FT_EXIT_CLEAN : rc == FT_ESCENARIO ? FT_EXIT_SETUP : FT_EXIT_HARNESS;

    json_object_set_new(summary, "seconds", json_real(py__now() - t0));
    ev_write(summary);
    fflush(stdout);
    fflush(stderr);
    if (!finalize)
        py__shutdown();
    else if (Py_FinalizeEx() < 0 && status == FT_EXIT_CLEAN)
        status = FT_EXIT_HARNESS;
    py__hooks_close();
    ev_close();
    return status;
}

/* The sanitizer runtime's: writes <module>.<pid>.sancov into coverage_dir when coverage=1 and
 * an instrumented module was loaded, else nothing (TSan's runtime writes them only when asked). */
void __sanitizer_cov_dump(void) __attribute__((weak));

void
py__coverage(const char *from, const char *to)
{
    char suffix[64], a[4096], b[4096];
    struct dirent *e;
    size_t n;
    DIR *d;

    if (__sanitizer_cov_dump == NULL)
        return;
    __sanitizer_cov_dump();
    if (from == NULL || to == NULL || (d = opendir(from)) == NULL)
        return;
    n = (size_t)snprintf(suffix, sizeof(suffix), ".%ld" LAYOUT_SANCOV, (long)getpid());
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > n && strcmp(e->d_name + len - n, suffix) == 0 &&
            buf_fmt(a, sizeof(a), "%s/%s", from, e->d_name) == 0 && buf_fmt(b, sizeof(b), "%s/%s", to, e->d_name) == 0 &&
            rename(a, b) != 0)
            log_err(errno, "cannot move %s into %s", a, to);
    }
    closedir(d);
}

int
py_run(const struct py_job *job)
{
    char path[4096];
    double t0 = py__now();
    struct py__ctx c;
    json_t *summary;
    int rc;

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
    summary = py__summary(job);
    if ((rc = py__begin(job, &c)) == 0 && (rc = py__setup(job, &c, summary)) == 0)
        rc = py__finish(job, &c, summary);
    py__end(&c);
    py__coverage(NULL, NULL);
    return py__exit(rc, summary, t0, 1);
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
    const struct scn_code *blocks[] = {&s->setup, &s->prepare, &s->body, &s->teardown};
    const char *names[] = {"setup", "prepare", "body", "teardown"};
    struct py_job job = {.scn = s, .python = python, .compile_only = 1};
    int rc = 0;

    if (py__init(&job) != 0) {
        buf_printf(err, "cannot start the interpreter %s to compile the scenario", python);
        return FT_EPYTHON;
    }
    for (size_t i = 0; i < 4 + s->n_roles && rc == 0; i++) {
        const struct scn_code *code = i < 4 ? blocks[i] : &s->roles[i - 4].body;
        PyObject *co; /* new ref */

        if (code->text == NULL)
            continue;
        if ((co = py__compile(code, s->path)) == NULL) {
            py__compile_error(code, s->path, i < 4 ? names[i] : "role's body", err);
            rc = FT_ESCENARIO;
        }
        Py_XDECREF(co);
    }
    if (Py_FinalizeEx() < 0 && rc == 0)
        rc = FT_EPYTHON;
    return rc;
}
