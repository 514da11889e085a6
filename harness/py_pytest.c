/* pytest mode: the run's share of a scenario's `pytest.tests` (one test module, or one test) run
 * by pytest inside this process, with the harness's plugin calling every test on all threads at
 * once through the engine (_ftsan.run); see harness/python/ftsan_pytest.py. */
#include "err.h"
#include "py_internal.h"

static PyObject *
py__strs(char *const *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n); /* new ref */

    for (size_t i = 0; l && i < n; i++) {
        PyObject *s = PyUnicode_FromString(v[i]);

        if (s == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, s);
    }
    return l;
}

int
py__run_pytest(const struct py_job *job, json_t *summary)
{
    const struct scn_scenario *s = job->scn;
    PyObject *mod = PyImport_ImportModule("ftsan_pytest"), *fn = NULL, *kw = NULL, *r = NULL; /* new refs */
    PyObject *empty = PyTuple_New(0);
    int rc = FT_EPYTHON;

    if (mod == NULL || empty == NULL || (fn = PyObject_GetAttrString(mod, "run_group")) == NULL)
        goto out;
    kw = Py_BuildValue("{s:N,s:N,s:s,s:i,s:l,s:l,s:s}", "tests", py__strs(s->pytest->tests, s->pytest->n_tests),
                       "args", py__strs(s->pytest->args, s->pytest->n_args), "per",
                       s->pytest->per ? s->pytest->per : "module", "group", job->run, "threads", s->threads,
                       "iterations", s->iterations, "barrier", s->barrier == SCN_BARRIER_EACH ? "each" : "start");
    if (kw == NULL || (r = PyObject_Call(fn, empty, kw)) == NULL)
        goto out;
    /* {"tests": n, "passed": n, ...}: the group's counts into the run's summary. */
    if (PyDict_Check(r)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;

        while (PyDict_Next(r, &pos, &k, &v))
            if (PyUnicode_Check(k) && PyLong_Check(v))
                json_object_set_new(summary, PyUnicode_AsUTF8(k), json_integer(PyLong_AsLong(v)));
    }
    rc = 0;
out:
    if (rc != 0)
        py__record_exception("pytest", -1, -1);
    Py_XDECREF(r);
    Py_XDECREF(kw);
    Py_XDECREF(fn);
    Py_XDECREF(empty);
    Py_XDECREF(mod);
    return rc;
}
