/* Benchmark kernel: a call counter incremented without synchronisation on every call, a race
 * that is not about first calls (any two calls from two threads race). Declares Py_mod_gil
 * not used, so the threads run in parallel without the harness forcing the GIL off. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static long calls;

static PyObject *
bump(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    calls++;
    return PyLong_FromLong(calls);
}

static PyMethodDef methods[] = {{"bump", bump, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "racy_counter", NULL, 0, methods, slots};

PyMODINIT_FUNC
PyInit_racy_counter(void)
{
    return PyModuleDef_Init(&def);
}
