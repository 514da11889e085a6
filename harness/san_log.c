/* Sanitizer logs (TSan, ASan) -> reports: a line-driven reader of the runtimes' report layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "san_internal.h"

int
san__next_line(struct san__lines *it, const char **line, size_t *n)
{
    const char *nl;

    if (it->p >= it->end)
        return 0;
    *line = it->p;
    nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    *n = (size_t)((nl ? nl : it->end) - it->p);
    it->p = nl ? nl + 1 : it->end;
    return 1;
}

int
san__each_line(const char *text, size_t len, int (*fn)(const char *line, size_t n, struct san_reports *out),
               struct san_reports *out)
{
    struct san__lines it = {text, text + len};
    const char *line;
    size_t n;
    int rc = 0;

    while (rc == 0 && san__next_line(&it, &line, &n))
        rc = fn(line, n, out);
    return rc;
}

/* The sanitizers' titles, after "ThreadSanitizer: " or "AddressSanitizer: ". Sorted by title;
 * matched as prefixes. */
static const struct {
    const char *title;
    enum san_kind kind;
} san__titles[] = {
    {"SEGV", SAN_SEGV},                                  /* ERROR: AddressSanitizer: SEGV on unknown address 0x000000000010 */
    {"attempting double-free", SAN_DOUBLE_FREE},         /* ERROR: AddressSanitizer: attempting double-free on 0x60200000 in thread T0: */
    {"attempting free on address which was not malloc()-ed", SAN_BAD_FREE},
    {"data race", SAN_DATA_RACE},                        /* WARNING: ThreadSanitizer: data race (pid=40474) */
    {"destroy of a locked mutex", SAN_MUTEX_MISUSE},
    {"double lock of a mutex", SAN_MUTEX_MISUSE},
    {"global-buffer-overflow", SAN_GLOBAL_OVERFLOW},
    {"heap-buffer-overflow", SAN_HEAP_OVERFLOW},          /* ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020 */
    {"heap-use-after-free", SAN_HEAP_USE_AFTER_FREE},     /* both runtimes */
    {"lock-order-inversion", SAN_LOCK_ORDER},             /* WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) */
    {"read lock of a write locked mutex", SAN_MUTEX_MISUSE},
    {"read unlock of a write locked mutex", SAN_MUTEX_MISUSE},
    {"signal handler spoils errno", SAN_SIGNAL_ERRNO},
    {"signal-unsafe call inside of a signal", SAN_SIGNAL_UNSAFE},
    {"stack-buffer-overflow", SAN_STACK_OVERFLOW},
    {"stack-overflow", SAN_STACK_OVERFLOW},
    {"thread leak", SAN_THREAD_LEAK},                     /* WARNING: ThreadSanitizer: thread leak (pid=12) */
    {"unlock of an unlocked mutex", SAN_MUTEX_MISUSE},
};

static enum san_kind
san__kind_of(const char *title)
{
    for (size_t i = 0; i < sizeof(san__titles) / sizeof(san__titles[0]); i++)
        if (strncmp(title, san__titles[i].title, strlen(san__titles[i].title)) == 0)
            return san__titles[i].kind;
    return SAN_SANITIZER_OTHER;
}

struct san__reader {
    struct san_reports *out;
    struct san_report *cur;
    struct san_stack *stack;
    const char *start;    /* where the current report's text starts */
    const char *label;    /* last non-frame line, the label of a stack that may follow */
    size_t label_len;
    int in_supp;          /* inside "Suppressions used:" */
};

/* A decimal number in text that may hold any digits at all: what does not fit an int is 0. */
static int
san__int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return end != s && v >= 0 && v <= 0x7fffffff ? (int)v : 0;
}

/* The report's title: after the runtime's name, up to " (pid=" or " on address", e.g.
 *   WARNING: ThreadSanitizer: data race (pid=40474)
 *   ==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x6 at pc 0x5 bp 0x7 sp 0x7
 */
static int
san__open(struct san__reader *r, const char *line, size_t n, const char *marker)
{
    /* memmem, as the caller found it: a NUL byte inside the line would stop strstr. */
    const char *t = (const char *)memmem(line, n, marker, strlen(marker)) + strlen(marker);
    size_t tn = n - (size_t)(t - line);
    char title[256];
    const char *cut;

    buf_fmt_cut(title, sizeof(title), "%.*s", (int)tn, t);
    /* Addresses and pids differ from run to run: the title stops before them. */
    if ((cut = strstr(title, " (pid=")) != NULL || (cut = strstr(title, " on address")) != NULL ||
        (cut = strstr(title, " on unknown address")) != NULL || (cut = strstr(title, " on 0x")) != NULL)
        title[cut - title] = '\0';
    if ((r->cur = san__report_new(r->out, san__kind_of(title), title)) == NULL)
        return FT_ENOMEM;
    if ((cut = strstr(line, "pid=")) != NULL && cut < line + n)
        r->cur->pid = san__int(cut + 4);
    else if (line[0] == '=' && line[1] == '=')
        r->cur->pid = san__int(line + 2); /* "==1234==ERROR: ..." */
    r->start = line;
    r->stack = NULL;
    r->label = NULL;
    return 0;
}

static int
san__close(struct san__reader *r, const char *end)
{
    if (r->cur && (r->cur->raw = strndup(r->start, (size_t)(end - r->start))) == NULL)
        return FT_ENOMEM;
    r->cur = NULL;
    r->stack = NULL;
    return 0;
}

/* "  3 race:free_threadstate" under "Suppressions used:", one per rule. */
static int
san__supp_line(struct san_reports *out, const char *line, size_t n)
{
    char buf[512], *rule;
    long count;
    char **rules;
    long *counts;

    snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
    count = strtol(buf, &rule, 10);
    if (rule == buf || count <= 0)
        return 0;
    rule += strspn(rule, " ");
    if ((rules = realloc(out->supp_rules, (out->n_supp + 1) * sizeof(*rules))) == NULL)
        return FT_ENOMEM;
    out->supp_rules = rules;
    if ((counts = realloc(out->supp_counts, (out->n_supp + 1) * sizeof(*counts))) == NULL)
        return FT_ENOMEM;
    out->supp_counts = counts;
    if ((out->supp_rules[out->n_supp] = strdup(rule)) == NULL)
        return FT_ENOMEM;
    out->supp_counts[out->n_supp++] = count;
    return 0;
}

static int
san__line(struct san__reader *r, const char *line, size_t n, const char *runtime)
{
    char marker[64];
    struct san_frame f;
    int rc;

    snprintf(marker, sizeof(marker), "%s: ", runtime);
    if (r->in_supp) {
        if (n == 0)
            r->in_supp = 0;
        return n ? san__supp_line(r->out, line, n) : 0;
    }
    if (n >= 18 && strncmp(line, "Suppressions used:", 18) == 0) {
        r->in_supp = 1;
        return 0;
    }
    if ((memmem(line, n, "WARNING: ", 9) || memmem(line, n, "ERROR: ", 7)) && memmem(line, n, marker, strlen(marker)))
        return san__close(r, line) ? FT_ENOMEM : san__open(r, line, n, marker);
    if (r->cur == NULL)
        return 0;
    /* SUMMARY: ThreadSanitizer: data race /src/dlpack.c:512:9 in from_dlpack */
    if (n >= 9 && strncmp(line, "SUMMARY: ", 9) == 0)
        return san__close(r, line + n);
    if (san_parse_frame(line, &f) == 0) {
        if (r->stack == NULL && (r->stack = san__stack_new(r->cur, r->label, r->label_len)) == NULL) {
            san_frame_free(&f);
            return FT_ENOMEM;
        }
        rc = san__stack_push(r->stack, &f);
        r->label = NULL;
        return rc;
    }
    r->stack = NULL;
    /* What memory the race is on: a global names itself; a heap block's allocation stack
     * follows with this line as its label. */
    if (n > 14 && r->cur->location == NULL && strncmp(line + strspn(line, " "), "Location is ", 12) == 0) {
        const char *l = line + strspn(line, " ");

        if ((r->cur->location = strndup(l, n - (size_t)(l - line))) == NULL)
            return FT_ENOMEM;
    }
    if (n > 0) {
        r->label = line + strspn(line, " ");
        r->label_len = n - (size_t)(r->label - line);
        while (r->label_len && (r->label[r->label_len - 1] == ':' || r->label[r->label_len - 1] == ' '))
            r->label_len--;
    }
    return 0;
}

static int
san__parse_log(const char *text, size_t len, struct san_reports *out, const char *runtime)
{
    struct san__reader r = {.out = out};
    struct san__lines it = {text, text + len};
    const char *line;
    size_t n;
    int rc = 0;

    while (rc == 0 && san__next_line(&it, &line, &n))
        rc = san__line(&r, line, n, runtime);
    /* A log cut short (the process died mid-report) still yields what it has. */
    return rc ? rc : san__close(&r, text + len);
}

int
san_parse_tsan(const char *text, size_t len, struct san_reports *out)
{
    return san__parse_log(text, len, out, "ThreadSanitizer");
}

int
san_parse_asan(const char *text, size_t len, struct san_reports *out)
{
    return san__parse_log(text, len, out, "AddressSanitizer");
}

/* pystack.txt, written by the harness at each report:
 *   === ftsan report 1 pid 31697 tid 31711: data-race | test tests/test_x.py::test_y
 *   Stack (most recent call first):
 *     File "tests/e2e/scenarios/c_race.yaml", line 10 in <module>
 * The n-th section of a pid belongs to the n-th report of that pid's log. */
int
san_attach_pystacks(const char *text, size_t len, int pid, struct san_reports *out, size_t first)
{
    struct san__lines it = {text, text + len};
    const char *line, *sec = NULL;
    size_t n, k = first;
    char want[48];

    snprintf(want, sizeof(want), " pid %d ", pid);
    for (;;) {
        int more = san__next_line(&it, &line, &n);
        const char *stop = more ? line : text + len;

        if (!more || (n > 17 && strncmp(line, "=== ftsan report ", 17) == 0)) {
            if (sec && k < out->n) {
                const char *body = memchr(sec, '\n', (size_t)(stop - sec));

                const char *head_end = body ? body : stop, *t = memmem(sec, (size_t)(head_end - sec), " | test ", 8);

                body = body ? body + 1 : stop;
                if ((out->v[k].pystack = strndup(body, (size_t)(stop - body))) == NULL)
                    return FT_ENOMEM;
                if (t && (out->v[k].test = strndup(t + 8, (size_t)(head_end - t - 8))) == NULL)
                    return FT_ENOMEM;
                k++;
            }
            sec = more && memmem(line, n, want, strlen(want)) ? line : NULL;
        }
        if (!more)
            return 0;
    }
}
