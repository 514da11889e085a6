/* The toolchain a run uses, as toolchain/toolchain.sh described it in toolchain.json. */
#ifndef FT_TC_H
#define FT_TC_H

#include <jansson.h>

#include "buf.h"

struct tc_toolchain {
    const char *python;            /* the environment's interpreter: sys.executable of runs */
    const char *version;           /* CPython version */
    const char *sanitizer;         /* "tsan", "asan" or "none" */
    const char *numpy_version;     /* NULL when NumPy is not installed */
    const char *tsan_suppressions; /* CPython's own, or NULL */
    const char *cc;
    int pydebug;                   /* CPython configured --with-pydebug */
    json_t *numpy_source;          /* NUMPY_SRC: {tree, commit, dirty, state}, or NULL; borrowed from raw */
    json_t *sources;               /* SRC: [{name, version, tree, commit, dirty, state, ...}], or NULL; borrowed */
    json_t *raw;                   /* owns every string above */
};

/* tc_load: read and check toolchain.json. 0, or FT_ETOOLCHAIN with the reason in *err. */
int tc_load(const char *path, struct tc_toolchain *tc, struct buf *err);
void tc_free(struct tc_toolchain *tc);

#endif
