/* The thread engine: the body compiled once into a function that runs its own iteration loop,
 * and N native threads calling it, meeting at a barrier that does not synchronise them. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "err.h"
#include "ev.h"
#include "layout.h"
#include "log.h"
#include "py_internal.h"

/* Per-thread exceptions kept in full; later ones are only counted. */
#define PY__KEEP_EXCEPTIONS 5

/* One native thread of a team. Either fn loops itself (a scenario's body function, called once
 * as fn(n, wait, failed)), or the engine loops, calling fn() once per iteration (a callable given
 * to _ftsan.run). */
struct py__worker {
    pthread_t thread;
    int tid;
    int started;
    const char *name; /* the thread's name (its role), or NULL */
    long iterations;
    int each;       /* barrier before every iteration, else before the first */
    int loops;      /* fn runs the iteration loop itself */
    int record;     /* exceptions become events now (a scenario), else are kept in excs */
    long threads;   /* in the team, for the barrier */
    long *arrivals; /* shared barrier counter, see py__barrier */
    PyObject *fn;     /* new ref */
    PyObject *wait;   /* new ref: the barrier, as a callable (loops only) */
    PyObject *failed; /* new ref: records an iteration's exception (loops only) */
    PyObject *excs;   /* new ref: [(iteration, exception)] (not record) */
    long exceptions;
    long completed;
};

/* Thread states are made and deleted one at a time, as threading.Thread does in its parent
 * thread: CPython 3.13 races with itself when two threads create their first states at once
 * (new_threadstate vs _PyGC_ImmortalizeDeferredObjects), noise that is not the scenario's. */
static pthread_mutex_t py__tstate_lock = PTHREAD_MUTEX_INITIALIZER;

/* The body as a function, built on the Python side from the body's own syntax tree, so every
 * statement keeps its line (and the code its name, <module>, as when the body ran as module
 * code): tracebacks and signatures read as before.
 *
 *     def <module>(__ftsan_n, __ftsan_wait, __ftsan_failed):
 *         global tid, iteration, <names the body assigns that setup defined>
 *         __ftsan_wait()                        # barrier: start
 *         for iteration in range(__ftsan_n):
 *             __ftsan_wait()                    # barrier: each
 *             try:
 *                 <body>
 *             except BaseException as __ftsan_e:
 *                 __ftsan_failed(iteration, __ftsan_e)
 *
 * Names the body binds that setup did not define are the function's locals: they keep their
 * values from one iteration to the next, in each thread, as they did in the thread's namespace,
 * but functions defined in setup no longer see them as globals. */
static const char py__body_builder[] =
    "import ast\n"
    "def build(src, filename, first_line, setup_names, each):\n"
    "    tree = ast.parse('\\n' * (first_line - 1) + src, filename)\n"
    "    bound = set()\n"
    "    for n in ast.walk(tree):\n"
    "        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):\n"
    "            bound.add(n.id)\n"
    "        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):\n"
    "            bound.add(n.name)\n"
    "        elif isinstance(n, (ast.Import, ast.ImportFrom)):\n"
    "            bound.update((a.asname or a.name).split('.')[0] for a in n.names)\n"
    "        elif isinstance(n, ast.ExceptHandler) and n.name:\n"
    "            bound.add(n.name)\n"
    "    names = ['tid', 'iteration'] + sorted(bound & set(setup_names) - {'tid', 'iteration'})\n"
    "    at = tree.body[0] if tree.body else None\n"
    "    N = lambda name: ast.Name(name, ast.Load())\n"
    "    wait = ast.Expr(ast.Call(N('__ftsan_wait'), [], []))\n"
    "    failed = ast.ExceptHandler(N('BaseException'), '__ftsan_e',\n"
    "        [ast.Expr(ast.Call(N('__ftsan_failed'), [N('iteration'), N('__ftsan_e')], []))])\n"
    "    loop = ast.For(ast.Name('iteration', ast.Store()), ast.Call(N('range'), [N('__ftsan_n')], []),\n"
    "        ([wait] if each else []) + [ast.Try(tree.body or [ast.Pass()], [failed], [], [])], [])\n"
    "    args = ast.arguments([], [ast.arg(a) for a in ('__ftsan_n', '__ftsan_wait', '__ftsan_failed')], None, [], [], None, [])\n"
    "    fn = ast.FunctionDef('__ftsan_body', args, [ast.Global(names)] + ([] if each else [wait]) + [loop], [], None, None, [])\n"
    "    for node in ast.walk(fn):\n"
    "        if at is not None and 'lineno' in node._attributes and not hasattr(node, 'lineno'):\n"
    "            ast.copy_location(node, at)\n"
    "    mod = ast.fix_missing_locations(ast.Module([fn], []))\n"
    "    code = compile(mod, filename, 'exec', dont_inherit=True)\n"
    "    (f,) = [c for c in code.co_consts if getattr(c, 'co_name', None) == '__ftsan_body']\n"
    "    return f.replace(co_name='<module>', co_qualname='<module>')\n";

PyObject *
py__body_code(const struct scn_scenario *s, const struct scn_code *body, PyObject *ns)
{
    PyObject *g = PyDict_New(), *r = NULL, *build, *names = NULL, *code = NULL; /* new refs but build */

    if (g == NULL || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) != 0 ||
        (r = PyRun_String(py__body_builder, Py_file_input, g, g)) == NULL ||
        (build = PyDict_GetItemString(g, "build")) == NULL || (names = PyDict_Keys(ns)) == NULL)
        goto out;
    code = PyObject_CallFunction(build, "ssiOi", body->text, s->path, body->line, names,
                                 s->barrier == SCN_BARRIER_EACH);
out:
    Py_XDECREF(names);
    Py_XDECREF(r);
    Py_XDECREF(g);
    return code;
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

static struct py__worker *
py__worker_of(PyObject *self)
{
    return PyCapsule_GetPointer(self, "ftsan.worker");
}

static PyObject *
py__wait(PyObject *self, PyObject *unused)
{
    struct py__worker *w = py__worker_of(self);

    (void)unused;
    py__barrier(w->arrivals, w->threads);
    Py_RETURN_NONE;
}

/* An iteration of w raised exc (borrowed): an event now, or kept for the caller. */
static void
py__worker_failed(struct py__worker *w, long it, PyObject *exc)
{
    if (w->exceptions++ >= PY__KEEP_EXCEPTIONS)
        return;
    if (w->record) {
        py__record_exc("body", w->tid, it, exc);
    } else {
        PyObject *pair = Py_BuildValue("(lO)", it, exc); /* new ref */

        if (pair == NULL || PyList_Append(w->excs, pair) != 0)
            PyErr_Clear(); /* out of memory: the exception is still counted */
        Py_XDECREF(pair);
    }
}

static PyObject *
py__failed(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    struct py__worker *w = py__worker_of(self);
    long it = n == 2 ? PyLong_AsLong(args[0]) : -1;

    PyErr_Clear();
    if (n == 2)
        py__worker_failed(w, it, args[1]);
    Py_RETURN_NONE;
}

/* The engine's own loop, for a callable that does one iteration. */
static void
py__worker_loop(struct py__worker *w)
{
    for (long it = 0; it < w->iterations; it++) {
        PyObject *r; /* new ref */

        if (w->each || it == 0)
            py__barrier(w->arrivals, w->threads);
        if ((r = PyObject_CallNoArgs(w->fn)) != NULL) {
            Py_DECREF(r);
        } else {
            PyObject *exc = PyErr_GetRaisedException(); /* new ref */

            py__worker_failed(w, it, exc);
            Py_XDECREF(exc);
        }
    }
    w->completed = w->iterations - w->exceptions;
}

static PyMethodDef py__wait_def = {"__ftsan_wait", py__wait, METH_NOARGS, NULL};
static PyMethodDef py__failed_def = {"__ftsan_failed", (PyCFunction)(void (*)(void))py__failed, METH_FASTCALL, NULL};

static void *
py__worker_main(void *arg)
{
    struct py__worker *w = arg;
    PyGILState_STATE st;
    PyObject *n, *r; /* new refs */

    if (w->name)
        pthread_setname_np(pthread_self(), w->name); /* TSan's reports name the thread by it */
    pthread_mutex_lock(&py__tstate_lock);
    st = PyGILState_Ensure();
    pthread_mutex_unlock(&py__tstate_lock);
    if (!w->loops) {
        py__worker_loop(w);
    } else if ((n = PyLong_FromLong(w->iterations)) != NULL) {
        PyObject *args[] = {n, w->wait, w->failed};

        r = PyObject_Vectorcall(w->fn, args, 3, NULL);
        if (r == NULL)
            py__record_exception("harness", w->tid, -1); /* the loop itself failed */
        else
            w->completed = w->iterations - w->exceptions;
        Py_XDECREF(r);
        Py_DECREF(n);
    } else {
        py__record_exception("harness", w->tid, -1);
    }
    /* Detach before waiting for the lock, so a stop-the-world pause cannot wait on us. */
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&py__tstate_lock);
    Py_END_ALLOW_THREADS
    PyGILState_Release(st);
    pthread_mutex_unlock(&py__tstate_lock);
    return NULL;
}

/* A scenario's worker: its body's function over its own copy of the setup namespace, and the
 * callables that function calls. */
static int
py__worker_init(struct py__worker *w, PyObject *body, PyObject *ns)
{
    PyObject *globals = PyDict_Copy(ns), *self = PyCapsule_New(w, "ftsan.worker", NULL); /* new refs */
    int rc = FT_EPYTHON;

    if (globals && self && py__set_int(globals, py__name_tid, w->tid) == 0 &&
        py__set_int(globals, py__name_iteration, 0) == 0 && (w->fn = PyFunction_New(body, globals)) != NULL &&
        (w->wait = PyCFunction_New(&py__wait_def, self)) != NULL &&
        (w->failed = PyCFunction_New(&py__failed_def, self)) != NULL)
        rc = 0;
    Py_XDECREF(globals);
    Py_XDECREF(self);
    return rc;
}

static void
py__workers_free(struct py__worker *w, long n)
{
    for (long i = 0; i < n; i++) {
        Py_XDECREF(w[i].fn);
        Py_XDECREF(w[i].wait);
        Py_XDECREF(w[i].failed);
        Py_XDECREF(w[i].excs);
    }
    free(w);
}

/* The engine: start every worker of the team, wait for all of them detached; the calling thread
 * must be attached. A thread that cannot start is a harness failure: the barrier would never
 * open. Returns the seconds from the first start to the last join. */
static double
py__team_run(struct py__worker *w, long n)
{
    PyThreadState *save;
    double t0 = py__now();
    int err;

    save = PyEval_SaveThread();
    for (long i = 0; i < n; i++) {
        if ((err = pthread_create(&w[i].thread, NULL, py__worker_main, &w[i])) != 0) {
            log_err(err, "pthread_create (worker %ld of %ld)", i, n);
            abort(); /* started workers wait at a barrier that can never open */
        }
        w[i].started = 1;
    }
    for (long i = 0; i < n; i++)
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
    PyEval_RestoreThread(save);
    return py__now() - t0;
}

int
py__run_workers(const struct scn_scenario *s, PyObject *bodies, PyObject *ns, json_t *summary)
{
    struct py__worker *w = calloc((size_t)s->threads, sizeof(*w));
    long arrivals = 0, completed = 0, exceptions = 0, i = 0;
    size_t roles = s->n_roles ? s->n_roles : 1;
    double seconds;
    int rc = 0;

    if (w == NULL)
        return FT_ENOMEM;
    for (size_t r = 0; r < roles && rc == 0; r++) {
        long k = s->n_roles ? s->roles[r].threads : s->threads;

        for (long j = 0; j < k && i < s->threads && rc == 0; j++, i++) {
            w[i] = (struct py__worker){.tid = (int)i, .name = s->n_roles ? s->roles[r].name : NULL,
                                       .iterations = s->iterations, .each = s->barrier == SCN_BARRIER_EACH,
                                       .loops = 1, .record = 1, .threads = s->threads, .arrivals = &arrivals};
            rc = py__worker_init(&w[i], PyList_GET_ITEM(bodies, (Py_ssize_t)r), ns);
        }
    }
    if (rc != 0) {
        py__record_exception("harness", -1, -1);
        goto out;
    }
    py__record_shared(ns);
    seconds = py__team_run(w, s->threads);
    for (i = 0; i < s->threads; i++) {
        completed += w[i].completed;
        exceptions += w[i].exceptions;
    }
    json_object_set_new(summary, "threads_started", json_integer(s->threads));
    json_object_set_new(summary, "body_completed", json_integer(completed));
    json_object_set_new(summary, "body_exceptions", json_integer(exceptions));
    json_object_set_new(summary, "body_seconds", json_real(seconds));
out:
    py__workers_free(w, s->threads);
    return rc;
}

/* ---- _ftsan: the engine as a module of the embedded interpreter. ---- */

static char *py__test; /* the test the threads run now (_ftsan.set_test), or NULL */

const char *
py__current_test(void)
{
    return py__test;
}

/* _ftsan.run(target=None, *, threads=8, iterations=1, barrier="each", roles=None)
 * target is called by `threads` threads, or roles = [(name, callable, threads), ...] give each
 * group of threads its own callable and name; every iteration is one call, the threads meet at
 * the barrier before every iteration (or before the first). Returns one list per thread, in
 * thread order, of (iteration, exception) for its failed calls (the first 5). */
static PyObject *
py__mod_run(PyObject *mod, PyObject *args, PyObject *kw)
{
    static char *names[] = {"target", "threads", "iterations", "barrier", "roles", NULL};
    PyObject *target = Py_None, *roles = Py_None, *spec = NULL, *out = NULL; /* borrowed but spec, out */
    long threads = 8, iterations = 1, n = 0, arrivals = 0, i = 0;
    const char *barrier = "each";
    struct py__worker *w = NULL;

    (void)mod;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O$llsO:run", names, &target, &threads, &iterations, &barrier, &roles))
        return NULL;
    if (strcmp(barrier, "each") != 0 && strcmp(barrier, "start") != 0)
        return PyErr_Format(PyExc_ValueError, "barrier must be 'each' or 'start', not '%s'", barrier);
    if (threads < 1 || iterations < 0)
        return PyErr_Format(PyExc_ValueError, "threads must be >= 1 and iterations >= 0");
    if ((target == Py_None) == (roles == Py_None))
        return PyErr_Format(PyExc_TypeError, "run() takes a target or roles=[(name, callable, threads), ...], not both");
    if (roles == Py_None && !PyCallable_Check(target))
        return PyErr_Format(PyExc_TypeError, "target must be callable, not %T", target);
    spec = roles == Py_None ? Py_BuildValue("[(zOl)]", NULL, target, threads)
                            : PySequence_Fast(roles, "roles must be a list of (name, callable, threads)");
    if (spec == NULL)
        return NULL;
    for (Py_ssize_t r = 0; r < PySequence_Fast_GET_SIZE(spec); r++) {
        PyObject *e = PySequence_Fast_GET_ITEM(spec, r), *name, *fn;
        long k;

        if (!PyArg_ParseTuple(e, "OOl;roles must be a list of (name, callable, threads)", &name, &fn, &k))
            goto out;
        if (k < 1 || !PyCallable_Check(fn) || (name != Py_None && !PyUnicode_Check(name))) {
            PyErr_Format(PyExc_ValueError, "role %zd: (name: str, callable, threads >= 1), got %R", r, e);
            goto out;
        }
        n += k;
    }
    if (n == 0 || (w = calloc((size_t)n, sizeof(*w))) == NULL) {
        PyErr_SetString(n ? PyExc_MemoryError : PyExc_ValueError, n ? "out of memory" : "roles is empty");
        goto out;
    }
    for (Py_ssize_t r = 0; r < PySequence_Fast_GET_SIZE(spec); r++) {
        PyObject *e = PySequence_Fast_GET_ITEM(spec, r), *name = PyTuple_GET_ITEM(e, 0), *fn = PyTuple_GET_ITEM(e, 1);
        long k = PyLong_AsLong(PyTuple_GET_ITEM(e, 2));

        for (long j = 0; j < k; j++, i++) {
            w[i] = (struct py__worker){.tid = (int)i, .name = name == Py_None ? NULL : PyUnicode_AsUTF8(name),
                                       .iterations = iterations, .each = strcmp(barrier, "each") == 0,
                                       .threads = n, .arrivals = &arrivals, .fn = Py_NewRef(fn),
                                       .excs = PyList_New(0)};
            if (w[i].excs == NULL)
                goto out;
        }
    }
    py__team_run(w, n);
    if ((out = PyList_New(n)) != NULL)
        for (i = 0; i < n; i++)
            PyList_SET_ITEM(out, i, Py_NewRef(w[i].excs));
out:
    if (w)
        py__workers_free(w, n);
    Py_XDECREF(spec);
    return out;
}

/* _ftsan.set_test(nodeid or None): sanitizer reports from now on name this test. */
static PyObject *
py__mod_set_test(PyObject *mod, PyObject *arg)
{
    char *copy = NULL;

    (void)mod;
    if (arg != Py_None) {
        const char *s = PyUnicode_AsUTF8(arg);

        if (s == NULL)
            return NULL;
        if ((copy = strdup(s)) == NULL)
            return PyErr_NoMemory();
    }
    free(py__test);
    py__test = copy;
    Py_RETURN_NONE;
}

/* _ftsan.record(exception, thread, iteration): a failed call as the run's exception event, a
 * finding (of the current test). */
static PyObject *
py__mod_record(PyObject *mod, PyObject *args)
{
    PyObject *exc;
    int tid;
    long it;

    (void)mod;
    if (!PyArg_ParseTuple(args, "Oil:record", &exc, &tid, &it))
        return NULL;
    if (!PyExceptionInstance_Check(exc))
        return PyErr_Format(PyExc_TypeError, "record() takes an exception, not %T", exc);
    py__record_exc("body", tid, it, exc);
    Py_RETURN_NONE;
}

/* _ftsan.test_outcome(nodeid, outcome, reason=""): a test's outcome as the run's event. */
static PyObject *
py__mod_test_outcome(PyObject *mod, PyObject *args)
{
    const char *nodeid, *outcome, *reason = "";
    json_t *ev;

    (void)mod;
    if (!PyArg_ParseTuple(args, "ss|s:test_outcome", &nodeid, &outcome, &reason))
        return NULL;
    ev = json_object();
    json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_TEST));
    json_object_set_new(ev, "nodeid", json_string(nodeid));
    json_object_set_new(ev, "outcome", json_string(outcome));
    json_object_set_new(ev, "reason", json_string(reason));
    ev_write(ev);
    Py_RETURN_NONE;
}

/* _ftsan.share({name: object}): the data buffers of the values (and of the items of lists, tuples
 * and dicts among them) as memory the caller shares on purpose, named by the keys: races on it
 * are the caller's own data, set apart (pytest mode: a test's fixtures and its own threads'). */
static PyObject *
py__mod_share(PyObject *mod, PyObject *arg)
{
    (void)mod;
    if (!PyDict_Check(arg))
        return PyErr_Format(PyExc_TypeError, "share() takes a dict of name: object, not %T", arg);
    py__record_shared(arg);
    Py_RETURN_NONE;
}

static PyMethodDef py__mod_methods[] = {
    {"record", py__mod_record, METH_VARARGS, "record(exception, thread, iteration): a failed call as a finding"},
    {"test_outcome", py__mod_test_outcome, METH_VARARGS, "test_outcome(nodeid, outcome, reason=''): a test's outcome"},
    {"run", (PyCFunction)(void (*)(void))py__mod_run, METH_VARARGS | METH_KEYWORDS,
     "run(target=None, *, threads=8, iterations=1, barrier='each', roles=None): call target (or each role's "
     "callable) on native threads meeting at a barrier that does not synchronise them; returns each "
     "thread's [(iteration, exception)]"},
    {"set_test", py__mod_set_test, METH_O, "set_test(nodeid): sanitizer reports from now on name this test"},
    {"share", py__mod_share, METH_O, "share({name: object}): their buffers are shared on purpose: races on them are set apart"},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot py__mod_slots[] = {
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef py__mod_def = {
    PyModuleDef_HEAD_INIT, "_ftsan", "The harness's thread engine, for code running inside a run.", 0,
    py__mod_methods, py__mod_slots, NULL, NULL, NULL,
};

PyObject *
py__mod_init(void)
{
    return PyModuleDef_Init(&py__mod_def);
}
