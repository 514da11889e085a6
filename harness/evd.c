/* Reads a run's evidence directory and feeds the parsers. */
#include "evd.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cython.h"
#include "err.h"
#include "layout.h"
#include "sym.h"

#define EVD__MAX_LOG ((size_t)64 << 20)

char *
evd_read_file(const char *path, size_t max, size_t *len)
{
    struct buf b;
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "re");

    if (f == NULL)
        return NULL;
    buf_init(&b, max);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, n) != 0)
            break; /* over the bound: keep what fits */
    fclose(f);
    *len = b.len;
    return b.data ? buf_steal(&b) : strdup("");
}

static int
evd__status(const char *dir, struct evd_status *st)
{
    char path[4200];
    json_t *j;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_STATUS, dir) != 0)
        return FT_ETOOBIG;
    if ((j = json_load_file(path, 0, NULL)) == NULL)
        return FT_EIO;
    st->exited = json_is_true(json_object_get(j, "exited"));
    st->exit_code = (int)json_integer_value(json_object_get(j, "exit_code"));
    st->signal = (int)json_integer_value(json_object_get(j, "signal"));
    st->timed_out = json_is_true(json_object_get(j, "timed_out"));
    st->interrupted = json_is_true(json_object_get(j, "interrupted"));
    st->seconds = json_number_value(json_object_get(j, "seconds"));
    st->maxrss_kb = (long)json_integer_value(json_object_get(j, "maxrss_kb"));
    st->peak_threads = (long)json_integer_value(json_object_get(j, "peak_threads"));
    st->peak_vm_kb = (long)json_integer_value(json_object_get(j, "peak_vm_kb"));
    json_decref(j);
    return 0;
}

typedef int (*evd__parser)(const char *text, size_t len, struct san_reports *out);

static int
evd__file(const char *dir, const char *name, evd__parser parse, struct san_reports *out)
{
    char path[4200], *text;
    size_t len;
    int rc;

    if (buf_fmt(path, sizeof(path), "%s/%s", dir, name) != 0)
        return FT_ETOOBIG;
    if ((text = evd_read_file(path, EVD__MAX_LOG, &len)) == NULL)
        return 0; /* absent: nothing of that kind happened */
    rc = parse(text, len, out);
    free(text);
    return rc;
}

/* tsan.<pid> and asan.<pid>, each with its pid's sections of pystack.txt. */
static int
evd__sanitizer_logs(const char *dir, struct san_reports *out)
{
    char path[4200], *pystack = NULL;
    size_t plen = 0;
    struct dirent **names;
    int n, rc = 0;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_PYSTACK, dir) != 0)
        return FT_ETOOBIG;
    if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
        return FT_EIO;
    pystack = evd_read_file(path, EVD__MAX_LOG, &plen);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        int tsan = strncmp(name, LAYOUT_TSAN_LOG ".", sizeof(LAYOUT_TSAN_LOG)) == 0,
            asan = strncmp(name, LAYOUT_ASAN_LOG ".", sizeof(LAYOUT_ASAN_LOG)) == 0;
        size_t first = out->n;

        if (rc == 0 && (tsan || asan)) {
            rc = evd__file(dir, name, tsan ? san_parse_tsan : san_parse_asan, out);
            if (rc == 0 && pystack)
                rc = san_attach_pystacks(pystack, plen, atoi(strchr(name, '.') + 1), out, first);
        }
        free(names[i]);
    }
    free(names);
    free(pystack);
    return rc;
}

/* The child's summary line in events.jsonl: its resident memory and threads after setup. */
static void
evd__summary(const char *text, struct evd_status *st)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        json_t *e = json_loadb(line, strcspn(line, "\n"), 0, NULL);
        const char *kind = json_string_value(json_object_get(e, LAYOUT_EV_KIND));

        if (kind && strcmp(kind, LAYOUT_EV_SUMMARY) == 0) {
            st->setup_rss_kb = (long)json_integer_value(json_object_get(e, "setup_rss_kb"));
            st->setup_threads = (long)json_integer_value(json_object_get(e, "setup_threads"));
            st->setup_vm_kb = (long)json_integer_value(json_object_get(e, "setup_vm_kb"));
        }
        json_decref(e);
    }
}

/* events.jsonl, read once: the child's events become reports, its summary figures go to st. */
static int
evd__events(const char *dir, struct san_reports *out, struct evd_status *st)
{
    char path[4200], *text;
    size_t len;
    int rc;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_EVENTS, dir) != 0)
        return FT_ETOOBIG;
    if ((text = evd_read_file(path, EVD__MAX_LOG, &len)) == NULL)
        return 0; /* the child died before it wrote any */
    evd__summary(text, st);
    rc = san_parse_events(text, len, out);
    free(text);
    return rc;
}

/* gdb.txt of a hung run: every thread's native stack, attached to its hang report. */
static int
evd__native_stacks(const char *dir, struct san_reports *out, size_t first)
{
    char path[4200], *text;
    struct san_stack *threads = NULL;
    size_t len, n = 0;
    int rc = 0;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_GDB, dir) != 0)
        return FT_ETOOBIG;
    if ((text = evd_read_file(path, EVD__MAX_LOG, &len)) == NULL)
        return 0; /* gdb could not attach: the Python stacks are all there is */
    rc = san_parse_gdb(text, len, &threads, &n);
    for (size_t i = first; rc == 0 && i < out->n; i++)
        if (out->v[i].kind == SAN_HANG) {
            rc = san_attach_native(&out->v[i], threads, n);
            break;
        }
    for (size_t i = 0; i < n; i++) /* what was not moved into the report (moved ones are empty) */
        san_stack_free(&threads[i]);
    free(threads);
    free(text);
    return rc;
}

int
evd_read_run(const char *dir, const struct evd_symbols *sy, struct san_reports *out, struct evd_status *st)
{
    char path[4200], *text;
    size_t len, first = out->n;
    int rc;

    memset(st, 0, sizeof(*st));
    if ((rc = evd__status(dir, st)) != 0)
        return rc;

    if ((rc = evd__sanitizer_logs(dir, out)) != 0)
        return rc;
    if (sy && sy->symbolizer && sym_resolve(out, sy->symbolizer, sy->search) < 0)
        return FT_ENOMEM;
    if ((rc = evd__file(dir, LAYOUT_STDERR, san_parse_stderr, out)) != 0 ||
        (rc = evd__events(dir, out, st)) != 0)
        return rc;
    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_FAULTHANDLER, dir) != 0)
        return FT_ETOOBIG;
    if ((text = evd_read_file(path, EVD__MAX_LOG, &len)) != NULL) {
        rc = san_parse_faulthandler(text, len, st->timed_out, out);
        free(text);
    }
    if (rc == 0 && st->timed_out) {
        /* A hang without a faulthandler dump (the child was stuck hard) is still a hang. */
        int have = 0;

        for (size_t i = first; i < out->n; i++)
            have |= out->v[i].kind == SAN_HANG;
        if (!have && (rc = san_add_hang(out)) != 0)
            return rc;
        rc = evd__native_stacks(dir, out, first);
    }
    if (rc == 0)
        san_merge_crash(out, first);
    if (rc == 0 && st->signal != 0 && !st->timed_out && !st->interrupted)
        rc = san_add_signal(out, first, st->signal);
    if (rc == 0) { /* this run's reports: Cython's frames as their authors named them */
        struct san_reports mine = *out;

        mine.v += first;
        mine.n -= first;
        if (cython_frames(&mine, sy ? sy->pyx_lines : NULL) < 0)
            return FT_ENOMEM;
    }
    return rc ? rc : san_mark_shared(out, first);
}
