/* A deliberately broken extension module: proof that a toolchain's sanitizer sees bugs in
 * extension code loaded into its free-threaded interpreter. Never use outside the self-check. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

/* The lazy-initialisation pattern behind many free-threading bugs: the first callers race to
 * fill a cache with no lock and no atomics. TSan must report this as a data race. */
static long *lazy_table;

static PyObject *
lazy_init(PyObject *self, PyObject *unused)
{
    if (lazy_table == NULL) {
        long *t = malloc(64 * sizeof(*t));
        if (t == NULL)
            return PyErr_NoMemory();
        for (int i = 0; i < 64; i++)
            t[i] = i * i;
        lazy_table = t;
    }
    return PyLong_FromLong(lazy_table[7]); /* new ref */
}

/* A read of freed heap memory. ASan must report this as heap-use-after-free. */
static PyObject *
use_after_free(PyObject *self, PyObject *unused)
{
    volatile long *p = malloc(16 * sizeof(long));
    if (p == NULL)
        return PyErr_NoMemory();
    p[3] = 42;
    free((void *)p);
    return PyLong_FromLong(p[3]); /* new ref */
}

static PyMethodDef methods[] = {
    {"lazy_init", lazy_init, METH_NOARGS, "Racy lazily-initialised global."},
    {"use_after_free", use_after_free, METH_NOARGS, "Reads freed memory."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ftsan_selfcheck", NULL, 0, methods, slots,
};

PyMODINIT_FUNC
PyInit_ftsan_selfcheck(void)
{
    return PyModuleDef_Init(&module);
}
