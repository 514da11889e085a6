/* Test kernel: a lazily-initialised cache filled without synchronisation (a data race for
 * TSan), in a single-phase module that does not declare Py_mod_gil (the GIL would come back). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

static double *table;

static PyObject *
lookup(PyObject *self, PyObject *arg)
{
    long i = PyLong_AsLong(arg);

    if (i == -1 && PyErr_Occurred())
        return NULL;
    if (table == NULL) {
        double *t = malloc(256 * sizeof(*t));
        if (t == NULL)
            return PyErr_NoMemory();
        for (int k = 0; k < 256; k++)
            t[k] = k * 0.5;
        table = t;
    }
    return PyFloat_FromDouble(table[i & 255]);
}

static PyMethodDef methods[] = {{"lookup", lookup, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "racy_gil", NULL, -1, methods};

PyMODINIT_FUNC
PyInit_racy_gil(void)
{
    return PyModule_Create(&def);
}
