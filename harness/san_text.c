/* Plain-text evidence: glibc malloc aborts and UBSan errors on stderr, faulthandler dumps, and
 * gdb's stacks of a hung run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "san_internal.h"

/* The messages glibc prints before abort() when its heap checks fail. Matched as prefixes of a
 * line of stderr. */
static const char *const san__glibc[] = {
    "corrupted double-linked list",   /* corrupted double-linked list */
    "corrupted size vs. prev_size",   /* corrupted size vs. prev_size */
    "double free or corruption",      /* double free or corruption (out) */
    "free(): ",                       /* free(): invalid size | free(): invalid pointer | free(): double free detected in tcache 2 */
    "malloc(): ",                     /* malloc(): corrupted top size | malloc(): unaligned tcache chunk detected */
    "malloc_consolidate(): ",         /* malloc_consolidate(): invalid chunk size */
    "munmap_chunk(): ",               /* munmap_chunk(): invalid pointer */
    "realloc(): ",                    /* realloc(): invalid next size */
};

static int
san__stderr_line(const char *line, size_t n, struct san_reports *out)
{
    char title[512];
    const char *ub;

    for (size_t i = 0; i < sizeof(san__glibc) / sizeof(san__glibc[0]); i++) {
        size_t k = strlen(san__glibc[i]);

        if (n >= k && strncmp(line, san__glibc[i], k) == 0) {
            struct san_report *r;

            buf_fmt_cut(title, sizeof(title), "%.*s", (int)n, line);
            if ((r = san__report_new(out, SAN_MALLOC_ABORT, title)) == NULL || (r->raw = strdup(title)) == NULL)
                return FT_ENOMEM;
            return 0;
        }
    }
    /* numpy/_core/src/x.c:12:5: runtime error: signed integer overflow: ... */
    if ((ub = memmem(line, n, ": runtime error: ", 17)) != NULL) {
        struct san_report *r;
        struct san_stack *s;
        struct san_frame f = {0};
        const char *colon = ub;

        buf_fmt_cut(title, sizeof(title), "%.*s", (int)(n - (size_t)(ub + 17 - line)), ub + 17);
        if ((r = san__report_new(out, SAN_UBSAN, title)) == NULL || (r->raw = strndup(line, n)) == NULL ||
            (s = san__stack_new(r, "runtime error at", 16)) == NULL)
            return FT_ENOMEM;
        /* "file:line:col" before the message is the location. */
        while (colon > line && colon[-1] != ' ')
            colon--;
        f.file = strndup(colon, strcspn(colon, ":"));
        f.line = atoi(colon + strcspn(colon, ":") + 1);
        return san__stack_push(s, &f);
    }
    return 0;
}

int
san_parse_stderr(const char *text, size_t len, struct san_reports *out)
{
    return san__each_line(text, len, san__stderr_line, out);
}

/* faulthandler.txt. A fatal error:
 *   Fatal Python error: Segmentation fault
 *
 *   Current thread 0x00007f3b2c1ff6c0 (most recent call first):
 *     File "scenarios/strided_repeat.yaml", line 21 in <module>
 * A timeout (the supervisor's SIGTERM) writes the thread sections without the first line.
 * Each "Thread ..."/"Current thread ..." section becomes a stack, innermost frame first. */
int
san_parse_faulthandler(const char *text, size_t len, int timed_out, struct san_reports *out)
{
    struct san__lines it = {text, text + len};
    struct san_report *r = NULL;
    struct san_stack *s = NULL;
    const char *line;
    size_t n;
    char title[256] = "";

    while (san__next_line(&it, &line, &n)) {
        struct san_frame f;

        if (n > 20 && strncmp(line, "Fatal Python error: ", 20) == 0 && title[0] == '\0')
            buf_fmt_cut(title, sizeof(title), "%.*s", (int)n, line);
        if ((n > 7 && strncmp(line, "Thread ", 7) == 0) || (n > 15 && strncmp(line, "Current thread ", 15) == 0)) {
            if (r == NULL) {
                if (!timed_out && title[0] == '\0')
                    continue;
                r = san__report_new(out, timed_out ? SAN_HANG : SAN_FATAL_SIGNAL,
                                    timed_out ? "timed out" : title);
                if (r == NULL || (r->raw = strndup(text, len)) == NULL)
                    return FT_ENOMEM;
            }
            /* The current thread is the one that crashed: its stack goes first. */
            if ((s = san__stack_new(r, line, n)) == NULL)
                return FT_ENOMEM;
            if (line[0] == 'C' && r->n_stacks > 1) {
                struct san_stack cur = r->stacks[r->n_stacks - 1];

                memmove(&r->stacks[1], &r->stacks[0], (r->n_stacks - 1) * sizeof(cur));
                r->stacks[0] = cur;
                s = &r->stacks[0];
            }
            continue;
        }
        if (s && san__parse_pyframe(line, &f) == 0 && san__stack_push(s, &f) != 0)
            return FT_ENOMEM;
    }
    if (r == NULL && title[0] != '\0') {
        if ((r = san__report_new(out, SAN_FATAL_SIGNAL, title)) == NULL || (r->raw = strndup(text, len)) == NULL)
            return FT_ENOMEM;
    }
    return 0;
}

/* gdb "thread apply all bt":
 *   Thread 4 (Thread 0x7fdab83fd6c0 (LWP 28663) "harness"):
 *   #0  0x00007fdaff2dd545 in __GI___clock_nanosleep (clock_id=1, ...) at ../sysdeps/clock_nanosleep.c:48
 *   #2  time_sleep (self=<optimized out>, timeout_obj=<optimized out>) at Modules/timemodule.c:408
 */
int
san_parse_gdb(const char *text, size_t len, struct san_stack **threads, size_t *nthreads)
{
    struct san__lines it = {text, text + len};
    const char *line;
    size_t n;
    struct san_stack *cur = NULL;

    *threads = NULL;
    *nthreads = 0;
    while (san__next_line(&it, &line, &n)) {
        struct san_frame f = {0};
        const char *p, *at, *paren;

        if (n > 7 && strncmp(line, "Thread ", 7) == 0) {
            struct san_stack *v = realloc(*threads, (*nthreads + 1) * sizeof(*v));

            if (v == NULL)
                return FT_ENOMEM;
            *threads = v;
            cur = &v[(*nthreads)++];
            memset(cur, 0, sizeof(*cur));
            if ((cur->label = strndup(line, n)) == NULL)
                return FT_ENOMEM;
            continue;
        }
        if (cur == NULL || line[0] != '#')
            continue;
        p = line + 1 + strspn(line + 1, "0123456789");
        p += strspn(p, " ");
        if (strncmp(p, "0x", 2) == 0 && (at = strstr(p, " in ")) != NULL && at < line + n)
            p = at + 4;
        paren = memchr(p, ' ', (size_t)(line + n - p));
        f.function = strndup(p, (size_t)((paren ? paren : line + n) - p));
        if ((at = memmem(line, n, ") at ", 5)) != NULL) {
            const char *file = at + 5, *colon = memchr(file, ':', (size_t)(line + n - file));

            f.file = strndup(file, (size_t)((colon ? colon : line + n) - file));
            f.line = colon ? atoi(colon + 1) : 0;
        }
        if (san__stack_push(cur, &f) != 0)
            return FT_ENOMEM;
    }
    return 0;
}
