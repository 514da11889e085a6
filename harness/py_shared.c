/* The memory the scenario itself shares: when the threads start, the data buffers of the
 * objects bound to setup's names (and of the items of lists, tuples and dicts bound there) go to
 * events.jsonl as "shared" events, so races on them can be told apart from races on the
 * library's own state (san_mark_shared). Only buffers the scenario can name are recorded: a
 * buffer the library shares behind the user's back (numpy#28197's scratch buffer) is not. */
#include <Python.h>
#include <jansson.h>

#include "ev.h"
#include "layout.h"
#include "py_internal.h"

#define PY__SHARED_ITEMS 64 /* items of one container looked at */

static void
py__shared_event(const char *name, unsigned long lo, unsigned long hi)
{
    json_t *ev = json_object();

    if (ev == NULL || hi <= lo)
        return (void)json_decref(ev);
    json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_SHARED));
    json_object_set_new(ev, "name", json_string(name));
    json_object_set_new(ev, "addr", json_integer((json_int_t)lo));
    json_object_set_new(ev, "size", json_integer((json_int_t)(hi - lo)));
    ev_write(ev);
}

/* [lo, hi) of a strided buffer: start, shape, strides and item size. 0 when it is empty. */
static int
py__extent(unsigned long start, Py_ssize_t ndim, const Py_ssize_t *shape, const Py_ssize_t *strides,
           Py_ssize_t itemsize, unsigned long *lo, unsigned long *hi)
{
    long below = 0, above = 0;

    for (Py_ssize_t i = 0; i < ndim; i++) {
        long ext;

        if (shape[i] == 0)
            return 0;
        ext = (long)(shape[i] - 1) * (long)strides[i];
        if (ext < 0)
            below += ext;
        else
            above += ext;
    }
    *lo = start + (unsigned long)below;
    *hi = start + (unsigned long)above + (unsigned long)itemsize;
    return 1;
}

/* Arrays: __array_interface__'s data pointer, shape and strides (None: C order), and the
 * array's itemsize (the typestr's number is not always bytes: "<U4" is 4 characters, 16 bytes).
 * Asked before the buffer protocol, which NumPy answers by caching a description in the array:
 * the threads would find state the scenario never made. */
static int
py__interface(PyObject *obj, const char *name)
{
    PyObject *ai = PyObject_GetAttrString(obj, "__array_interface__"); /* new ref */
    PyObject *size = PyObject_GetAttrString(obj, "itemsize");         /* new ref */
    Py_ssize_t shape[32], strides[32], nd = 0, itemsize = size ? PyLong_AsSsize_t(size) : -1;
    unsigned long lo, hi;
    int done = 0;

    if (ai == NULL || !PyDict_Check(ai) || itemsize <= 0)
        goto out;
    PyObject *data = PyDict_GetItemString(ai, "data"), *sh = PyDict_GetItemString(ai, "shape"),
             *st = PyDict_GetItemString(ai, "strides"); /* borrowed */
    if (data == NULL || !PyTuple_Check(data) || PyTuple_GET_SIZE(data) < 1 || sh == NULL || !PyTuple_Check(sh) ||
        (nd = PyTuple_GET_SIZE(sh)) > 32)
        goto out;
    done = 1;
    for (Py_ssize_t i = nd - 1; i >= 0; i--) {
        shape[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(sh, i));
        strides[i] = st != NULL && PyTuple_Check(st) ? PyLong_AsSsize_t(PyTuple_GET_ITEM(st, i))
                     : i == nd - 1                    ? itemsize
                                                      : strides[i + 1] * shape[i + 1];
    }
    if (!PyErr_Occurred() && py__extent(PyLong_AsUnsignedLong(PyTuple_GET_ITEM(data, 0)), nd, shape, strides, itemsize, &lo, &hi))
        py__shared_event(name, lo, hi);
out:
    PyErr_Clear();
    Py_XDECREF(size);
    Py_XDECREF(ai);
    return done;
}

static void
py__shared_one(PyObject *obj, const char *name)
{
    Py_buffer view;
    unsigned long lo, hi;

    if (PyBytes_Check(obj) || PyUnicode_Check(obj)) /* immutable: nobody writes them */
        return;
    if (PyObject_HasAttrStringWithError(obj, "__array_interface__") == 1 && py__interface(obj, name))
        return;
    PyErr_Clear();
    if (PyObject_CheckBuffer(obj) && PyObject_GetBuffer(obj, &view, PyBUF_RECORDS_RO) == 0) {
        if (view.strides == NULL)
            py__shared_event(name, (unsigned long)view.buf, (unsigned long)view.buf + (unsigned long)view.len);
        else if (py__extent((unsigned long)view.buf, view.ndim, view.shape, view.strides, view.itemsize, &lo, &hi))
            py__shared_event(name, lo, hi);
        PyBuffer_Release(&view);
    }
    PyErr_Clear();
}

void
py__record_shared(PyObject *ns)
{
    PyObject *key, *value; /* borrowed */
    Py_ssize_t pos = 0;

    while (PyDict_Next(ns, &pos, &key, &value)) {
        const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        PyObject *items; /* new ref: a list of the container's items */
        char item[160];

        if (name == NULL || name[0] == '_' || PyModule_Check(value) || PyCallable_Check(value)) {
            PyErr_Clear();
            continue;
        }
        py__shared_one(value, name);
        if (!PyList_Check(value) && !PyTuple_Check(value) && !PyDict_Check(value))
            continue;
        if ((items = PyDict_Check(value) ? PyDict_Values(value) : PySequence_List(value)) == NULL) {
            PyErr_Clear();
            continue;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items) && i < PY__SHARED_ITEMS; i++) {
            snprintf(item, sizeof(item), "%s[%zd]", name, i);
            py__shared_one(PyList_GET_ITEM(items, i), item);
        }
        Py_DECREF(items);
    }
}
