/* events.jsonl (written by the child, see py.c) -> exception and process reports, GIL notes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "san_internal.h"
#include "scn.h"

#define SAN__TB_HEAD "Traceback (most recent call last):"

/* The root cause of a chain is the first traceback printed: Python prints causes first, and a
 * worker's traceback carried in a message (joblib's _RemoteTraceback) comes before the
 * BrokenProcessPool that wraps it. Its frames run to the first line that is not part of a
 * frame; that line, "ValueError: ...", names the exception. */
static int
san__root_cause(struct san_report *r, const char *tb)
{
    const char *p = strstr(tb, SAN__TB_HEAD), *line;
    struct san_stack *s;
    char title[512] = "";

    if ((s = san__stack_new(r, "root cause", 10)) == NULL)
        return FT_ENOMEM;
    if (p == NULL)
        return 0;
    for (line = strchr(p, '\n'); line && *++line; line = strchr(line, '\n')) {
        struct san_frame f;
        size_t n = strcspn(line, "\n");

        if (san__parse_pyframe(line, &f) == 0) {
            if (san__stack_push(s, &f) != 0)
                return FT_ENOMEM;
        } else if (line[0] != ' ' && n > 0) {
            buf_fmt_cut(title, sizeof(title), "%.*s", (int)n, line);
            break;
        }
    }
    san__stack_reverse(s);
    if (title[0] != '\0') {
        free(r->title);
        if ((r->title = strdup(title)) == NULL)
            return FT_ENOMEM;
    }
    return 0;
}

static const char *
san__jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static int
san__exception(json_t *e, struct san_reports *out)
{
    char title[512], detail[640];
    struct san_report *r;

    buf_fmt_cut(title, sizeof(title), "%s: %s", san__jstr(e, "type"), san__jstr(e, "message"));
    buf_fmt_cut(detail, sizeof(detail), "in %s, thread %lld, iteration %lld: %s", san__jstr(e, "phase"),
             json_integer_value(json_object_get(e, "tid")), json_integer_value(json_object_get(e, "iteration")), title);
    if ((r = san__report_new(out, SAN_EXCEPTION, title)) == NULL || (r->raw = strdup(san__jstr(e, "traceback"))) == NULL ||
        (r->detail = strdup(detail)) == NULL)
        return FT_ENOMEM;
    if (json_is_string(json_object_get(e, LAYOUT_EV_TEST)) && (r->test = strdup(san__jstr(e, LAYOUT_EV_TEST))) == NULL)
        return FT_ENOMEM;
    return san__root_cause(r, r->raw);
}

/* {"kind":"process","event":"subprocess.Popen","class":"subprocess","args":"...","stack":[...]}
 * "stack" lists frames outermost first; a fork from C carries faulthandler text instead. */
static int
san__process(json_t *e, struct san_reports *out)
{
    char title[256];
    struct san_report *r;
    struct san_stack *s;
    json_t *stack = json_object_get(e, "stack"), *fr;
    size_t i;

    buf_fmt_cut(title, sizeof(title), "%s: %s", san__jstr(e, LAYOUT_EV_CLASS), san__jstr(e, "event"));
    if ((r = san__report_new(out, SAN_PROCESS, title)) == NULL)
        return FT_ENOMEM;
    r->event = scn_event_bit(san__jstr(e, LAYOUT_EV_CLASS));
    if ( (r->detail = strdup(san__jstr(e, "args"))) == NULL ||
        (r->raw = json_dumps(e, JSON_INDENT(2))) == NULL)
        return FT_ENOMEM;
    if (json_object_get(e, "traceback"))
        return san__pystack_to_stack(r, "Python stack", san__jstr(e, "traceback"));
    if ((s = san__stack_new(r, "Python stack", 12)) == NULL)
        return FT_ENOMEM;
    json_array_foreach(stack, i, fr) {
        struct san_frame f = {0};

        f.function = strdup(san__jstr(fr, "function"));
        f.file = strdup(san__jstr(fr, "file"));
        f.line = (int)json_integer_value(json_object_get(fr, "line"));
        if (san__stack_push(s, &f) != 0)
            return FT_ENOMEM;
    }
    san__stack_reverse(s);
    return 0;
}

static int
san__gil(json_t *e, struct san_reports *out)
{
    char **v = realloc(out->gil_modules, (out->n_gil + 1) * sizeof(*v));

    if (v == NULL)
        return FT_ENOMEM;
    out->gil_modules = v;
    return (v[out->n_gil++] = strdup(san__jstr(e, "module"))) ? 0 : FT_ENOMEM;
}

/* {"kind":"test","nodeid":"t.py::test_a","outcome":"passed","reason":""} */
static int
san__test(json_t *e, struct san_reports *out)
{
    char **v = realloc(out->tests, (out->n_tests + 1) * sizeof(*v));

    if (v == NULL)
        return FT_ENOMEM;
    out->tests = v;
    if (asprintf(&v[out->n_tests], "%s\t%s\t%s", san__jstr(e, "outcome"), san__jstr(e, "nodeid"), san__jstr(e, "reason")) < 0)
        return FT_ENOMEM;
    out->n_tests++;
    return 0;
}

/* {"kind":"shared","name":"a","addr":140737,"size":512} */
static int
san__shared(json_t *e, struct san_reports *out)
{
    struct san_shared *v;
    json_int_t addr = json_integer_value(json_object_get(e, "addr")), size = json_integer_value(json_object_get(e, "size"));

    if (addr <= 0 || size <= 0)
        return 0;
    if ((v = realloc(out->shared, (out->n_shared + 1) * sizeof(*v))) == NULL)
        return FT_ENOMEM;
    out->shared = v;
    v[out->n_shared] = (struct san_shared){.lo = (unsigned long)addr, .hi = (unsigned long)addr + (unsigned long)size};
    if ((v[out->n_shared].name = strdup(san__jstr(e, "name"))) == NULL)
        return FT_ENOMEM;
    out->n_shared++;
    return 0;
}

/* The address of a report's first access: "Write of size 8 at 0x7b0c000012a0 by thread T2". */
static int
san__access_addr(const struct san_report *r, unsigned long *addr)
{
    const char *at = r->n_stacks && r->stacks[0].label ? strstr(r->stacks[0].label, " at 0x") : NULL;
    char *end;

    if (at == NULL)
        return FT_ENOTFOUND;
    *addr = strtoul(at + 4, &end, 16);
    return end == at + 4 ? FT_ENOTFOUND : 0;
}

int
san_mark_shared(struct san_reports *out, size_t from)
{
    for (size_t i = from; i < out->n; i++) {
        struct san_report *r = &out->v[i];
        unsigned long addr;
        char detail[256];

        if (r->kind != SAN_DATA_RACE || san__access_addr(r, &addr) != 0)
            continue;
        for (size_t k = 0; k < out->n_shared; k++) {
            if (addr < out->shared[k].lo || addr >= out->shared[k].hi)
                continue;
            buf_fmt_cut(detail, sizeof(detail), "the data of `%s`, which the scenario's threads share",
                        out->shared[k].name);
            free(r->detail);
            if ((r->detail = strdup(detail)) == NULL)
                return FT_ENOMEM;
            r->kind = SAN_SCENARIO_DATA;
            break;
        }
    }
    return 0;
}

static int
san__event_line(const char *line, size_t n, struct san_reports *out)
{
    json_t *e = json_loadb(line, n, 0, NULL);
    const char *kind = san__jstr(e, LAYOUT_EV_KIND);
    int rc = 0;

    if (e == NULL)
        return 0; /* a line cut short by a crash */
    if (strcmp(kind, LAYOUT_EV_EXCEPTION) == 0)
        rc = san__exception(e, out);
    else if (strcmp(kind, LAYOUT_EV_PROCESS) == 0)
        rc = san__process(e, out);
    else if (strcmp(kind, LAYOUT_EV_GIL) == 0)
        rc = san__gil(e, out);
    else if (strcmp(kind, LAYOUT_EV_TEST) == 0)
        rc = san__test(e, out);
    else if (strcmp(kind, LAYOUT_EV_SHARED) == 0)
        rc = san__shared(e, out);
    json_decref(e);
    return rc;
}

int
san_parse_events(const char *text, size_t len, struct san_reports *out)
{
    return san__each_line(text, len, san__event_line, out);
}
