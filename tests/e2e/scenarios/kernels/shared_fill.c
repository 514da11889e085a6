/* Test kernel: fill() writes every byte of the buffer it is given, as an in-place operation on
 * a user's array does, and counts its calls in a static without synchronisation (the library's
 * own state); fill_only() just writes. Threads that fill one shared buffer race on its data by
 * design; the counter is a race of the library's. attach() keeps a buffer and fill_attached()
 * writes it with nothing in between: taking a buffer from an object may lock it in the
 * free-threaded interpreter, and on a loaded machine those locks can order every fill. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static long calls;

static int
fill_buffer(PyObject *args)
{
    Py_buffer view;
    int value;

    if (!PyArg_ParseTuple(args, "w*i", &view, &value))
        return -1;
    for (Py_ssize_t i = 0; i < view.len; i++)
        ((unsigned char *)view.buf)[i] = (unsigned char)value;
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *
fill(PyObject *self, PyObject *args)
{
    if (fill_buffer(args) != 0)
        return NULL;
    calls++;
    return PyLong_FromLong(calls);
}

static PyObject *
fill_only(PyObject *self, PyObject *args)
{
    if (fill_buffer(args) != 0)
        return NULL;
    Py_RETURN_NONE;
}

static Py_buffer attached;

static PyObject *
attach(PyObject *self, PyObject *args)
{
    if (attached.buf != NULL)
        PyBuffer_Release(&attached);
    if (!PyArg_ParseTuple(args, "w*", &attached))
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
fill_attached(PyObject *self, PyObject *arg)
{
    long value = PyLong_AsLong(arg);

    if (value == -1 && PyErr_Occurred())
        return NULL;
    for (Py_ssize_t i = 0; i < attached.len; i++)
        ((unsigned char *)attached.buf)[i] = (unsigned char)value;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"fill", fill, METH_VARARGS, NULL},
                                {"fill_only", fill_only, METH_VARARGS, NULL},
                                {"attach", attach, METH_VARARGS, NULL},
                                {"fill_attached", fill_attached, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "shared_fill", NULL, 0, methods, slots};

PyMODINIT_FUNC
PyInit_shared_fill(void)
{
    return PyModuleDef_Init(&def);
}
