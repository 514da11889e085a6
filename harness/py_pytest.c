/* pytest mode: a scenario's `pytest` tests collected once (py__pytest_prepare: the fork server's
 * setup, so every forked run starts with the package, its conftest and the test modules
 * imported), and the run's group of them run by pytest inside the run's process, with the
 * harness's plugin calling every test on all threads at once through the engine (_ftsan.run);
 * see harness/python/ftsan_pytest.py. */
#include "err.h"
#include "py_internal.h"

/* ftsan_pytest.<name>(spec, **kw) with the scenario's mapping (scn_pytest_json) as its first
 * argument; a new reference, or NULL with the exception recorded as phase's. */
static PyObject *
py__pytest_call(const struct py_job *job, const char *name, const char *phase, PyObject *kw)
{
    const struct scn_scenario *s = job->scn;
    json_t *spec = scn_pytest_json(s);
    char *text = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
    PyObject *mod = NULL, *fn = NULL, *args = NULL, *r = NULL; /* new refs */

    if (text && kw && (mod = PyImport_ImportModule("ftsan_pytest")) != NULL &&
        (fn = PyObject_GetAttrString(mod, name)) != NULL && (args = Py_BuildValue("(s)", text)) != NULL)
        r = PyObject_Call(fn, args, kw);
    if (r == NULL)
        py__record_exception(phase, -1, -1);
    Py_XDECREF(args);
    Py_XDECREF(fn);
    Py_XDECREF(mod);
    free(text);
    json_decref(spec);
    return r;
}

/* The keywords both calls take; run_group's also the run. The plan is the same in every run:
 * chosen with the runs' first seed (run i gets seed + i; the fork server has run 0). */
static PyObject *
py__pytest_kw(const struct py_job *job, int run)
{
    const char *barrier = job->scn->barrier == SCN_BARRIER_EACH ? "each" : "start";
    unsigned long seed = job->seed - (unsigned long)job->run;

    return run < 0 ? Py_BuildValue("{s:k,s:l,s:s}", "seed", seed, "iterations", job->scn->iterations, "barrier", barrier)
                   : Py_BuildValue("{s:k,s:l,s:s,s:i}", "seed", seed, "iterations", job->scn->iterations, "barrier",
                                   barrier, "run", run);
}

int
py__pytest_prepare(const struct py_job *job, long *groups)
{
    PyObject *kw = py__pytest_kw(job, -1), *r = py__pytest_call(job, "prepare", "pytest", kw);
    int rc = r ? 0 : FT_EPYTHON;

    if (r && (*groups = PyLong_AsLong(r)) < 0) {
        py__record_exception("pytest", -1, -1);
        rc = FT_EPYTHON;
    }
    Py_XDECREF(r);
    Py_XDECREF(kw);
    return rc;
}

int
py__run_pytest(const struct py_job *job, json_t *summary)
{
    PyObject *kw = py__pytest_kw(job, job->run), *r = NULL;
    int rc = FT_EPYTHON;

    if ((r = py__pytest_call(job, "run_group", "pytest", kw)) != NULL) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;

        /* {"tests": n, "passed": n, ...}: the group's counts into the run's summary. */
        while (PyDict_Check(r) && PyDict_Next(r, &pos, &k, &v))
            if (PyUnicode_Check(k) && PyLong_Check(v))
                json_object_set_new(summary, PyUnicode_AsUTF8(k), json_integer(PyLong_AsLong(v)));
        rc = 0;
    }
    Py_XDECREF(r);
    Py_XDECREF(kw);
    return rc;
}
