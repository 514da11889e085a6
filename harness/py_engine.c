/* The thread engine: the body compiled once into a function that runs its own iteration loop,
 * and N native threads calling it, meeting at a barrier that does not synchronise them. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"
#include "py_internal.h"

/* Per-thread exceptions kept in full; later ones are only counted. */
#define PY__KEEP_EXCEPTIONS 5

struct py__worker {
    pthread_t thread;
    int tid;
    int started;
    const struct scn_scenario *scn;
    PyObject *fn;   /* new ref: the body's function, over this thread's globals */
    PyObject *wait; /* new ref: the barrier, as a callable */
    PyObject *failed; /* new ref: records an iteration's exception */
    long *arrivals; /* shared barrier counter, see py__barrier */
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
py__body_code(const struct scn_scenario *s, PyObject *ns)
{
    PyObject *g = PyDict_New(), *r = NULL, *build, *names = NULL, *code = NULL; /* new refs but build */

    if (g == NULL || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) != 0 ||
        (r = PyRun_String(py__body_builder, Py_file_input, g, g)) == NULL ||
        (build = PyDict_GetItemString(g, "build")) == NULL || (names = PyDict_Keys(ns)) == NULL)
        goto out;
    code = PyObject_CallFunction(build, "ssiOi", s->body.text, s->path, s->body.line, names,
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
    py__barrier(w->arrivals, w->scn->threads);
    Py_RETURN_NONE;
}

static PyObject *
py__failed(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    struct py__worker *w = py__worker_of(self);
    long it = n == 2 ? PyLong_AsLong(args[0]) : -1;

    PyErr_Clear();
    if (n == 2 && w->exceptions++ < PY__KEEP_EXCEPTIONS)
        py__record_exc("body", w->tid, it, args[1]);
    Py_RETURN_NONE;
}

static PyMethodDef py__wait_def = {"__ftsan_wait", py__wait, METH_NOARGS, NULL};
static PyMethodDef py__failed_def = {"__ftsan_failed", (PyCFunction)(void (*)(void))py__failed, METH_FASTCALL, NULL};

static void *
py__worker_main(void *arg)
{
    struct py__worker *w = arg;
    PyGILState_STATE st;
    PyObject *n, *r; /* new refs */

    pthread_mutex_lock(&py__tstate_lock);
    st = PyGILState_Ensure();
    pthread_mutex_unlock(&py__tstate_lock);
    if ((n = PyLong_FromLong(w->scn->iterations)) != NULL) {
        PyObject *args[] = {n, w->wait, w->failed};

        r = PyObject_Vectorcall(w->fn, args, 3, NULL);
        if (r == NULL)
            py__record_exception("harness", w->tid, -1); /* the loop itself failed */
        else
            w->completed = w->scn->iterations - w->exceptions;
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

/* One worker's callables and function over its own copy of the setup namespace. */
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

/* Start every worker, wait for all of them detached. A thread that cannot start is a harness
 * failure: the barrier would never open. */
int
py__run_workers(const struct scn_scenario *s, PyObject *body, PyObject *ns, json_t *summary)
{
    struct py__worker *w = calloc((size_t)s->threads, sizeof(*w));
    long arrivals = 0, completed = 0, exceptions = 0;
    PyThreadState *save;
    int rc = 0, started = 0, err;
    double t0;

    if (w == NULL)
        return FT_ENOMEM;
    for (long i = 0; i < s->threads && rc == 0; i++) {
        w[i] = (struct py__worker){.tid = (int)i, .scn = s, .arrivals = &arrivals};
        rc = py__worker_init(&w[i], body, ns);
    }
    if (rc != 0) {
        py__record_exception("harness", -1, -1);
        goto out;
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
    for (long i = 0; i < s->threads; i++) {
        Py_XDECREF(w[i].fn);
        Py_XDECREF(w[i].wait);
        Py_XDECREF(w[i].failed);
    }
    free(w);
    return rc;
}
