/* Test kernel: deliberate memory errors, one per function, to produce real crash evidence
 * (glibc abort, fatal signal, ASan report) for the parsers' tests. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

/* Overwrites the size field glibc keeps in front of a chunk, then frees it: glibc aborts with
 * "free(): invalid size" (the heap corruption of numpy#28197 ends the same way). */
static PyObject *
invalid_size(PyObject *self, PyObject *unused)
{
    /* volatile: a store into memory freed right after is otherwise removed as dead. */
    volatile size_t *p = malloc(64);

    if (p == NULL)
        return PyErr_NoMemory();
    p[-1] = 0x11; /* 16 bytes, in use: below the smallest chunk glibc makes */
    free((void *)p);
    Py_RETURN_NONE;
}

static PyObject *
segv(PyObject *self, PyObject *unused)
{
    volatile int *p = (int *)16;

    *p = 1;
    Py_RETURN_NONE;
}

static PyObject *
use_after_free(PyObject *self, PyObject *unused)
{
    volatile char *p = malloc(32);

    if (p == NULL)
        return PyErr_NoMemory();
    memset((char *)p, 1, 32);
    free((char *)p);
    return PyLong_FromLong(p[8]);
}

static PyMethodDef methods[] = {
    {"invalid_size", invalid_size, METH_NOARGS, NULL},
    {"segv", segv, METH_NOARGS, NULL},
    {"use_after_free", use_after_free, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "crashers", NULL, 0, methods, slots};

PyMODINIT_FUNC
PyInit_crashers(void)
{
    return PyModuleDef_Init(&def);
}
