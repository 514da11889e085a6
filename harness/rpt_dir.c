/* reports/<run>/ before and around the runs: the directory, suppressions.txt, run.json, and
 * reports/latest once the reports are written. */
#include "rpt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "log.h"
#include "supp.h"

#define RPT__MAX_PATH ((size_t)1 << 16)

/* mkdir -p: every missing directory of path. */
static int
rpt__mkdirs(const char *path)
{
    char *p = strdup(path);
    int rc = 0;

    if (p == NULL)
        return FT_ENOMEM;
    for (char *s = p + 1; *s && rc == 0; s++)
        if (*s == '/') {
            *s = '\0';
            rc = mkdir(p, 0755) != 0 && errno != EEXIST ? FT_EIO : 0;
            *s = '/';
        }
    if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = FT_EIO;
    free(p);
    return rc;
}

/* reports/<UTC time>-<name>[-N], or reports/<run-id>[-N]: a new directory, never an existing one. */
static int
rpt__new_dir(const struct cli_opts *o, const char *name, struct buf *out)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (rpt__mkdirs(o->reports) != 0) {
        log_err(errno, "cannot create %s", o->reports);
        return FT_EIO;
    }
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (int k = 1; k < 1000; k++) {
        buf_free(out);
        if (o->run_id)
            buf_printf(out, "%s/%s", o->reports, o->run_id);
        else
            buf_printf(out, "%s/%s-%s", o->reports, stamp, name);
        if (k > 1)
            buf_printf(out, "-%d", k);
        if (out->err) {
            log_err(0, "the report directory's path is over 64 KiB (--reports %s)", o->reports);
            return out->err;
        }
        if (mkdir(buf_cstr(out), 0755) == 0)
            return 0;
        if (errno != EEXIST) {
            log_err(errno, "cannot create %s", buf_cstr(out));
            return FT_EIO;
        }
    }
    log_err(0, "too many report directories named %s", buf_cstr(out));
    return FT_EIO;
}

/* dir/name into out, or a logged error. */
static int
rpt__path(struct buf *out, const char *dir, const char *name)
{
    buf_init(out, RPT__MAX_PATH);
    if (buf_printf(out, "%s/%s", dir, name) != 0)
        log_err(0, "%s/%s: the path is over 64 KiB", dir, name);
    return out->err;
}

int
rpt_open(struct rpt_dir *d, const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc)
{
    struct supp_versions versions = {.python = tc->version, .numpy = tc->numpy_version};
    struct buf dir, supp, evidence;
    int rc, n_supp = 0;

    memset(d, 0, sizeof(*d));
    buf_init(&dir, RPT__MAX_PATH);
    if ((rc = rpt__new_dir(o, s->name, &dir)) != 0) {
        buf_free(&dir);
        return rc;
    }
    d->path = buf_steal(&dir);
    if ((rc = rpt__path(&supp, d->path, LAYOUT_SUPPRESSIONS)) != 0)
        return rc;
    rc = supp_merge(buf_cstr(&supp), strcmp(tc->sanitizer, "tsan") == 0 ? tc->tsan_suppressions : NULL, o->suppressions,
                    tc->sanitizer, &versions, &n_supp);
    d->supp = n_supp ? buf_steal(&supp) : NULL;
    buf_free(&supp);
    if (rc != 0)
        return rc;
    if ((rc = rpt__path(&evidence, d->path, LAYOUT_EVIDENCE)) == 0 && mkdir(buf_cstr(&evidence), 0755) != 0) {
        log_err(errno, "cannot create %s", buf_cstr(&evidence));
        rc = FT_EIO;
    }
    buf_free(&evidence);
    return rc;
}

void
rpt_close(struct rpt_dir *d)
{
    free(d->path);
    free(d->supp);
    memset(d, 0, sizeof(*d));
}

int
rpt_run_json(const struct rpt_dir *d, const struct plan *p)
{
    const struct scn_scenario *s = p->scn;
    const struct tc_toolchain *tc = p->tc;
    json_t *m = json_object();
    char *text;
    struct buf path;
    int rc;

    json_object_set_new(m, "scenario", json_string(s->name));
    json_object_set_new(m, "scenario_path", json_string(s->path));
    json_object_set_new(m, "threads", json_integer(s->threads));
    json_object_set_new(m, "iterations", json_integer(s->iterations));
    json_object_set_new(m, "runs", json_integer(s->runs));
    json_object_set_new(m, "jobs", json_integer(p->run.jobs));
    json_object_set_new(m, "timeout", json_integer(s->timeout));
    json_object_set_new(m, "seed", json_integer((json_int_t)p->run.seed));
    json_object_set_new(m, "python_version", json_string(tc->version));
    json_object_set_new(m, "numpy_version", tc->numpy_version ? json_string(tc->numpy_version) : json_null());
    json_object_set_new(m, "sanitizer", json_string(tc->sanitizer));
    json_object_set_new(m, "toolchain", json_deep_copy(tc->raw));
    text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(m);
    if ((rc = rpt__path(&path, d->path, LAYOUT_RUN_JSON)) == 0)
        rc = text ? rpt_write_text(buf_cstr(&path), text, strlen(text)) : FT_ENOMEM;
    buf_free(&path);
    free(text);
    return rc;
}

int
rpt_latest(const char *reports, const char *dir)
{
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    struct buf link, tmp;
    int rc;

    buf_init(&tmp, RPT__MAX_PATH);
    buf_printf(&tmp, "%s/.%s.%d", reports, LAYOUT_LATEST, (int)getpid());
    if ((rc = rpt__path(&link, reports, LAYOUT_LATEST)) == 0 && (rc = tmp.err) == 0) {
        unlink(buf_cstr(&tmp));
        if (symlink(base, buf_cstr(&tmp)) != 0 || rename(buf_cstr(&tmp), buf_cstr(&link)) != 0) {
            log_err(errno, "cannot point %s at %s", buf_cstr(&link), base);
            rc = FT_EIO;
        }
    }
    buf_free(&link);
    buf_free(&tmp);
    return rc;
}
