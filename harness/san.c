/* Report containers, kinds, and the frame formats shared by every parser. */
#include "san.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "san_internal.h"

static const char *const san__slugs[] = {
#define SAN__KIND_SLUG(name, slug) slug,
    SAN_KIND_MAP(SAN__KIND_SLUG)
#undef SAN__KIND_SLUG
};

const char *
san_kind_slug(enum san_kind k)
{
    return k < SAN_KIND_COUNT ? san__slugs[k] : "?";
}

void
san_reports_init(struct san_reports *r)
{
    memset(r, 0, sizeof(*r));
}

void
san_frame_free(struct san_frame *f)
{
    free(f->function);
    free(f->file);
    free(f->module);
    memset(f, 0, sizeof(*f));
}

void
san__stack_free(struct san_stack *s)
{
    for (size_t i = 0; i < s->n; i++)
        san_frame_free(&s->frames[i]);
    free(s->frames);
    free(s->label);
    memset(s, 0, sizeof(*s));
}

void
san_stack_free(struct san_stack *s)
{
    san__stack_free(s);
}

void
san_report_free(struct san_report *r)
{
    for (size_t i = 0; i < r->n_stacks; i++)
        san__stack_free(&r->stacks[i]);
    free(r->stacks);
    free(r->title);
    free(r->raw);
    free(r->pystack);
    free(r->detail);
    free(r->location);
    free(r->test);
    memset(r, 0, sizeof(*r));
}

int
san_report_copy(struct san_report *dst, const struct san_report *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->kind = src->kind;
    dst->pid = src->pid;
    dst->event = src->event;
#define SAN__DUP(field) if (src->field && (dst->field = strdup(src->field)) == NULL) return FT_ENOMEM
    SAN__DUP(title);
    SAN__DUP(raw);
    SAN__DUP(pystack);
    SAN__DUP(detail);
    SAN__DUP(location);
    SAN__DUP(test);
#undef SAN__DUP
    if (src->n_stacks && (dst->stacks = calloc(src->n_stacks, sizeof(*dst->stacks))) == NULL)
        return FT_ENOMEM;
    dst->n_stacks = src->n_stacks;
    for (size_t i = 0; i < src->n_stacks; i++) {
        const struct san_stack *ss = &src->stacks[i];
        struct san_stack *ds = &dst->stacks[i];

        ds->label = ss->label ? strdup(ss->label) : NULL;
        if (ss->n && (ds->frames = calloc(ss->n, sizeof(*ds->frames))) == NULL)
            return FT_ENOMEM;
        ds->n = ss->n;
        for (size_t k = 0; k < ss->n; k++) {
            ds->frames[k] = ss->frames[k];
            ds->frames[k].function = ss->frames[k].function ? strdup(ss->frames[k].function) : NULL;
            ds->frames[k].file = ss->frames[k].file ? strdup(ss->frames[k].file) : NULL;
            ds->frames[k].module = ss->frames[k].module ? strdup(ss->frames[k].module) : NULL;
        }
    }
    return 0;
}

void
san_reports_free(struct san_reports *r)
{
    for (size_t i = 0; i < r->n; i++)
        san_report_free(&r->v[i]);
    free(r->v);
    for (size_t i = 0; i < r->n_supp; i++)
        free(r->supp_rules[i]);
    free(r->supp_rules);
    free(r->supp_counts);
    for (size_t i = 0; i < r->n_gil; i++)
        free(r->gil_modules[i]);
    free(r->gil_modules);
    for (size_t i = 0; i < r->n_tests; i++)
        free(r->tests[i]);
    free(r->tests);
    for (size_t i = 0; i < r->n_shared; i++)
        free(r->shared[i].name);
    free(r->shared);
    san_reports_init(r);
}

struct san_report *
san__report_new(struct san_reports *out, enum san_kind kind, const char *title)
{
    struct san_report *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *r;

    if (v == NULL)
        return NULL;
    out->v = v;
    r = &out->v[out->n];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    if ((r->title = strdup(title)) == NULL)
        return NULL;
    out->n++;
    return r;
}

struct san_stack *
san__stack_new(struct san_report *r, const char *label, size_t label_len)
{
    struct san_stack *v = realloc(r->stacks, (r->n_stacks + 1) * sizeof(*v)), *s;

    if (v == NULL)
        return NULL;
    r->stacks = v;
    s = &r->stacks[r->n_stacks];
    memset(s, 0, sizeof(*s));
    if (label && (s->label = strndup(label, label_len)) == NULL)
        return NULL;
    r->n_stacks++;
    return s;
}

int
san__stack_push(struct san_stack *s, struct san_frame *f)
{
    struct san_frame *v = realloc(s->frames, (s->n + 1) * sizeof(*v));

    if (v == NULL) {
        san_frame_free(f);
        return FT_ENOMEM;
    }
    s->frames = v;
    s->frames[s->n++] = *f;
    memset(f, 0, sizeof(*f));
    return 0;
}

/* "path:line:col", "path:line", "path" or "<null>" into file and line. */
static int
san__location(const char *s, size_t n, struct san_frame *f)
{
    size_t end = n;
    int nums[2] = {0, 0}, k = 0;

    if (n == 6 && strncmp(s, "<null>", 6) == 0)
        return 0;
    /* Up to two trailing ":digits" groups. */
    while (k < 2) {
        size_t j = end;

        while (j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9')
            j--;
        if (j == end || j == 0 || s[j - 1] != ':')
            break;
        nums[k++] = atoi(s + j);
        end = j - 1;
    }
    f->line = k == 2 ? nums[1] : nums[0];
    f->file = strndup(s, end);
    return f->file ? 0 : FT_ENOMEM;
}

/* Frame lines, TSan then ASan:
 *     #0 from_dlpack /src/numpy/_core/src/multiarray/dlpack.c:512:9 (_multiarray_umath.cpython-313t-x86_64-linux-gnu.so+0x27bb77) (BuildId: 7329d2)
 *     #1 PyArray_RawIterBaseInit <null> (_multiarray_umath.cpython-313t-x86_64-linux-gnu.so+0x2ac9cd)
 *     #5 __tsan::CallUserSignalHandler(__tsan::ThreadState*, bool) tsan_interceptors_posix.cpp.o (harness+0xe9f25)
 *     #0 0x7f3a1b2c in use_after_free /work/ftsan_selfcheck.c:35:12
 *     #0 0x55d0e24a5b in free (/work/build/harness+0x4a5b) (BuildId: 66b91a)
 * The module is the last "(name+0xoffset)" group; the location, when there is one, is the last
 * word before it; the function is what remains (C++ names have spaces). */
int
san_parse_frame(const char *line, struct san_frame *f)
{
    const char *p = line, *end, *open;
    int asan = 0, rc;

    memset(f, 0, sizeof(*f));
    p += strspn(p, " \t");
    if (*p != '#' || p[1] < '0' || p[1] > '9')
        return FT_ENOTFOUND;
    p += 1 + strspn(p + 1, "0123456789");
    p += strspn(p, " ");
    end = p + strcspn(p, "\r\n");
    if (strncmp(p, "0x", 2) == 0) {
        asan = 1;
        p += strcspn(p, " ");
        if (strncmp(p, " in ", 4) != 0)
            return FT_ENOTFOUND;
        p += 4;
    }
    while (end > p && end[-1] == ' ')
        end--;
    /* " (BuildId: ...)" */
    if (end - p > 11 && end[-1] == ')' && (open = strstr(p, " (BuildId: ")) != NULL && open < end)
        end = open;
    /* " (module+0xoffset)" */
    if (end > p && end[-1] == ')') {
        for (open = end - 1; open > p && *open != '('; open--)
            ;
        if (*open == '(' && open > p && open[-1] == ' ') {
            const char *plus = memchr(open, '+', (size_t)(end - open));

            f->module = strndup(open + 1, (size_t)((plus ? plus : end - 1) - open - 1));
            if (plus)
                f->offset = strtoul(plus + 1, NULL, 16);
            end = open - 1;
        }
    }
    if (asan && f->module) {
        f->function = end > p ? strndup(p, (size_t)(end - p)) : NULL;
        return 0;
    }
    for (open = end; open > p && open[-1] != ' '; open--)
        ;
    if (open == p) { /* one word: a function with no location */
        f->function = strndup(p, (size_t)(end - p));
        return 0;
    }
    if ((rc = san__location(open, (size_t)(end - open), f)) != 0)
        return rc;
    if (!(open - 1 - p == 6 && strncmp(p, "<null>", 6) == 0))
        f->function = strndup(p, (size_t)(open - 1 - p));
    return 0;
}

/* Python frames, as traceback and faulthandler print them:
 *   File "scenarios/dlpack_race.yaml", line 19, in <module>
 *   File "tests/e2e/scenarios/c_race.yaml", line 10 in <module>
 * Returns 0 and fills f, or FT_ENOTFOUND. */
int
san__parse_pyframe(const char *line, struct san_frame *f)
{
    const char *p = line + strspn(line, " "), *q;

    memset(f, 0, sizeof(*f));
    if (strncmp(p, "File \"", 6) != 0)
        return FT_ENOTFOUND;
    p += 6;
    if ((q = strchr(p, '"')) == NULL || strncmp(q, "\", line ", 8) != 0)
        return FT_ENOTFOUND;
    f->file = strndup(p, (size_t)(q - p));
    f->line = atoi(q + 8);
    q += 8 + strspn(q + 8, "0123456789");
    if (strncmp(q, ", in ", 5) == 0)
        q += 5;
    else if (strncmp(q, " in ", 4) == 0)
        q += 4;
    else
        q = NULL;
    if (q)
        f->function = strndup(q, strcspn(q, "\r\n"));
    return f->file ? 0 : FT_ENOMEM;
}

void
san__stack_reverse(struct san_stack *s)
{
    for (size_t i = 0; i < s->n / 2; i++) {
        struct san_frame t = s->frames[i];

        s->frames[i] = s->frames[s->n - 1 - i];
        s->frames[s->n - 1 - i] = t;
    }
}

/* A report of a crash that ended the run: a glibc abort, a fault, a memory error the sanitizer
 * died on. */
static int
san__is_crash(enum san_kind k)
{
    return k == SAN_MALLOC_ABORT || k == SAN_SEGV || k == SAN_HEAP_USE_AFTER_FREE || k == SAN_DOUBLE_FREE ||
           k == SAN_HEAP_OVERFLOW || k == SAN_GLOBAL_OVERFLOW || k == SAN_BAD_FREE || k == SAN_STACK_OVERFLOW;
}

/* Every Python frame in text, in the order printed, into a new stack of r. */
int
san__pystack_to_stack(struct san_report *r, const char *label, const char *text)
{
    struct san_stack *s = san__stack_new(r, label, label ? strlen(label) : 0);
    const char *p = text;

    if (s == NULL)
        return FT_ENOMEM;
    while (p && *p) {
        struct san_frame f;

        if (san__parse_pyframe(p, &f) == 0 && san__stack_push(s, &f) != 0)
            return FT_ENOMEM;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return 0;
}

/* A crash is often seen twice: by glibc or a sanitizer (the message: "free(): invalid size",
 * "SEGV on unknown address"), then by faulthandler ("Fatal Python error: Aborted" and the
 * Python stack of the crashing thread). One crash is one report: the first names it and
 * keeps its native stacks, and takes faulthandler's Python stacks, and its stacks too when it
 * has none of its own. */
void
san_merge_crash(struct san_reports *out, size_t from)
{
    struct san_report *crash = NULL, *fatal = NULL;

    for (size_t i = from; i < out->n; i++) {
        enum san_kind k = out->v[i].kind;

        if (crash == NULL && san__is_crash(k))
            crash = &out->v[i];
        if (fatal == NULL && k == SAN_FATAL_SIGNAL)
            fatal = &out->v[i];
    }
    if (crash == NULL || fatal == NULL)
        return;
    if (crash->pystack == NULL) {
        crash->pystack = fatal->raw;
        fatal->raw = NULL;
    }
    if (crash->n_stacks == 0) {
        crash->stacks = fatal->stacks;
        crash->n_stacks = fatal->n_stacks;
        fatal->stacks = NULL;
        fatal->n_stacks = 0;
    }
    san_report_free(fatal);
    memmove(fatal, fatal + 1, (size_t)(&out->v[out->n] - (fatal + 1)) * sizeof(*fatal));
    out->n--;
}

int
san_add_hang(struct san_reports *out)
{
    return san__report_new(out, SAN_HANG, "timed out") ? 0 : FT_ENOMEM;
}

int
san_add_signal(struct san_reports *out, size_t from, int sig)
{
    char title[64];

    for (size_t i = from; i < out->n; i++) {
        enum san_kind k = out->v[i].kind;

        if (san__is_crash(k) || k == SAN_SANITIZER_OTHER || k == SAN_FATAL_SIGNAL || k == SAN_HANG)
            return 0;
    }
    snprintf(title, sizeof(title), "killed by signal %s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    return san__report_new(out, SAN_FATAL_SIGNAL, title) ? 0 : FT_ENOMEM;
}

int
san_attach_native(struct san_report *r, struct san_stack *threads, size_t n)
{
    struct san_stack *v = realloc(r->stacks, (r->n_stacks + n) * sizeof(*v));

    if (v == NULL && n)
        return FT_ENOMEM;
    r->stacks = v;
    for (size_t i = 0; i < n; i++) {
        const char *l = threads[i].label ? threads[i].label : "thread";
        size_t ln = strlen(l);
        char *label = NULL;

        while (ln && l[ln - 1] == ':')
            ln--;
        if (asprintf(&label, "native %.*s", (int)ln, l) < 0)
            return FT_ENOMEM;
        free(threads[i].label);
        threads[i].label = label;
        r->stacks[r->n_stacks++] = threads[i];
        memset(&threads[i], 0, sizeof(threads[i]));
    }
    return 0;
}

int
san_add_resource(struct san_reports *out, const char *title, const char *detail)
{
    struct san_report *r = san__report_new(out, SAN_RESOURCE, title);

    return r && (r->detail = strdup(detail)) != NULL ? 0 : FT_ENOMEM;
}
