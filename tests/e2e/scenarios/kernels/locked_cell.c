/* Test kernel: a cell whose writers take a lock and whose readers do not, the shape of a cache
 * that is updated under a mutex and read without one. Writers never race with each other, and
 * readers never do: only a writer against a reader is a data race. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long cell;

static PyObject *
put(PyObject *self, PyObject *arg)
{
    long v = PyLong_AsLong(arg);

    if (v == -1 && PyErr_Occurred())
        return NULL;
    pthread_mutex_lock(&lock);
    cell = v;
    pthread_mutex_unlock(&lock);
    Py_RETURN_NONE;
}

static PyObject *
get(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(cell);
}

static PyMethodDef methods[] = {
    {"put", put, METH_O, NULL}, {"get", get, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "locked_cell", NULL, 0, methods, slots};

PyMODINIT_FUNC
PyInit_locked_cell(void)
{
    return PyModuleDef_Init(&def);
}
