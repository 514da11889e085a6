/* Which imported extension modules would have turned the GIL back on. The harness keeps it off
 * (as PYTHON_GIL=0 does), so CPython no longer warns; the module object still records what the
 * module declared. This is the one file that reads CPython internals, for exactly the CPython
 * the harness is linked with. */
#define Py_BUILD_CORE 1
#include <Python.h>

#include "internal/pycore_moduleobject.h"
#include "ev.h"
#include "layout.h"
#include "py_internal.h"

int
py__gil_report(void)
{
#ifdef Py_GIL_DISABLED
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    PyObject *items = PyDict_Items(modules);      /* new ref */
    int n = 0;

    if (items == NULL) {
        PyErr_Clear();
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *name = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 0); /* borrowed */
        PyObject *mod = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 1);  /* borrowed */
        json_t *ev;

        if (!PyModule_Check(mod) || ((PyModuleObject *)mod)->md_def == NULL)
            continue; /* pure Python modules cannot hold the GIL */
        if (((PyModuleObject *)mod)->md_gil == Py_MOD_GIL_NOT_USED)
            continue;
        ev = json_object();
        json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_GIL));
        json_object_set_new(ev, "module", json_string(PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : "?"));
        ev_write(ev);
        n++;
    }
    Py_DECREF(items);
    return n;
#else
    return 0;
#endif
}
