/* Shared inside the py module only. */
#ifndef FT_PY_INTERNAL_H
#define FT_PY_INTERNAL_H

#include <Python.h>
#include <jansson.h>

#include "scn.h"

/* py__hooks_install: before Py_Initialize: the audit hook, pthread_atfork handlers and the
 * sanitizer report callbacks, writing into dir. 0 or FT_EIO. */
int py__hooks_install(const char *dir);
void py__hooks_close(void);

/* py__stack_json: the calling thread's Python stack, innermost last, as
 * [{"file":..., "line":..., "function":...}]; new reference; [] when none. Must be attached. */
json_t *py__stack_json(void);

/* py__gil_report: one "gil" event per imported extension module that did not declare it can
 * run without the GIL (the GIL stays off: the harness forces it). Returns how many. */
int py__gil_report(void);

#endif
