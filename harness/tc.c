/* Reads toolchain.json. */
#include "tc.h"

#include <string.h>
#include <unistd.h>

#include "err.h"

static const char *
tc__str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int
tc_load(const char *path, struct tc_toolchain *tc, struct buf *err)
{
    json_error_t je;

    memset(tc, 0, sizeof(*tc));
    tc->raw = json_load_file(path, 0, &je);
    if (tc->raw == NULL) {
        buf_printf(err, "%s:%d:%d: cannot read the toolchain description: %s (run make toolchain)",
                   path, je.line, je.column, je.text);
        return FT_ETOOLCHAIN;
    }
    tc->python = tc__str(tc->raw, "python");
    tc->version = tc__str(tc->raw, "version");
    tc->sanitizer = tc__str(tc->raw, "sanitizer");
    tc->numpy_version = tc__str(tc->raw, "numpy_version");
    tc->tsan_suppressions = tc__str(tc->raw, "tsan_suppressions");
    tc->cc = tc__str(tc->raw, "cc");
    tc->pydebug = json_is_true(json_object_get(tc->raw, "pydebug"));
    tc->numpy_source = json_object_get(tc->raw, "numpy_source");
    if (!json_is_object(tc->numpy_source))
        tc->numpy_source = NULL;
    tc->sources = json_object_get(tc->raw, "sources");
    if (!json_is_array(tc->sources) || json_array_size(tc->sources) == 0)
        tc->sources = NULL;
    if (tc->python == NULL || tc->version == NULL || tc->sanitizer == NULL) {
        buf_printf(err, "%s: 'python', 'version' and 'sanitizer' are required", path);
        goto bad;
    }
    if (!json_is_true(json_object_get(tc->raw, "gil_disabled"))) {
        buf_printf(err, "%s: %s is not a free-threaded build", path, tc->python);
        goto bad;
    }
    if (access(tc->python, X_OK) != 0) {
        buf_printf(err, "%s: the interpreter %s is missing (run make toolchain)", path, tc->python);
        goto bad;
    }
    return 0;
bad:
    tc_free(tc);
    return FT_ETOOLCHAIN;
}

void
tc_free(struct tc_toolchain *tc)
{
    json_decref(tc->raw);
    memset(tc, 0, sizeof(*tc));
}
