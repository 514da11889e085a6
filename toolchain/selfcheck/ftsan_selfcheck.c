/* A deliberately broken extension module: proof that a toolchain's sanitizer sees bugs in
 * extension code loaded into its free-threaded interpreter. Never use outside the self-check. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sched.h>
#include <stdlib.h>

/* The lazy-initialisation pattern behind many free-threading bugs: the first callers race to
 * fill a cache with no lock and no atomics. TSan must report this as a data race.
 *
 * Between one thread's call and the next, CPython's own atomics (reference counts of the
 * shared function object) order the calls, and TSan then sees no race unless the calls
 * overlap in time. So callers first wait in C until `arrivals` reaches the target they are
 * given, counting with relaxed atomics, which TSan does not treat as synchronisation. */
#define TABLE_SIZE 4096
static long *lazy_table;
static long arrivals;

/* Forget the table (leaking it), so the next round races on first use again. */
static PyObject *
reset(PyObject *self, PyObject *unused)
{
    lazy_table = NULL;
    Py_RETURN_NONE;
}

static PyObject *
lazy_init(PyObject *self, PyObject *arg)
{
    long target = PyLong_AsLong(arg);

    if (target == -1 && PyErr_Occurred())
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    __atomic_fetch_add(&arrivals, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&arrivals, __ATOMIC_RELAXED) < target)
        sched_yield();
    Py_END_ALLOW_THREADS
    if (lazy_table == NULL) {
        long *t = malloc(TABLE_SIZE * sizeof(*t));
        if (t == NULL)
            return PyErr_NoMemory();
        for (long i = 0; i < TABLE_SIZE; i++)
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
    {"lazy_init", lazy_init, METH_O, "Racy lazily-initialised global; waits for N callers."},
    {"reset", reset, METH_NOARGS, "Forget the lazily-initialised global."},
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
