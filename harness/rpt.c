/* Writes summary.md, findings/<id>/report.md, report.json and junit.xml. */
#include "rpt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "log.h"
#include "prog.h"

#define RPT__MAX ((size_t)32 << 20)
#define RPT__MAX_PATH ((size_t)1 << 16)

int
rpt_write_text(const char *path, const char *text, size_t len)
{
    struct buf tmp;
    FILE *f = NULL;
    int rc = 0;

    buf_init(&tmp, RPT__MAX_PATH);
    if (buf_printf(&tmp, "%s.tmp", path) != 0) {
        log_err(0, "cannot write %s: the path is over 64 KiB", path);
        rc = tmp.err;
    } else if ((f = fopen(buf_cstr(&tmp), "we")) == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        log_err(errno, "cannot write %s", buf_cstr(&tmp));
        rc = FT_EIO;
    } else if (rename(buf_cstr(&tmp), path) != 0) {
        log_err(errno, "cannot write %s", path);
        rc = FT_EIO;
    }
    buf_free(&tmp);
    return rc;
}

/* dir/name (or dir/name/id) into path, which the caller frees; a logged error when over 64 KiB. */
static int
rpt__join(struct buf *path, const char *dir, const char *name, const char *id)
{
    buf_init(path, RPT__MAX_PATH);
    buf_printf(path, "%s/%s%s%s", dir, name, id ? "/" : "", id ? id : "");
    if (path->err)
        log_err(0, "%s/%s: the path is over 64 KiB", dir, name);
    return path->err;
}

/* The text of a report file written, or why not (logged). */
static int
rpt__write_buf(const char *dir, const char *name, struct buf *b)
{
    struct buf path;
    int rc = b->err;

    if (rc != 0)
        log_err(0, "%s/%s: %s", dir, name, rc == FT_ETOOBIG ? "over 32 MiB: not written" : ft_strerror(rc));
    else if ((rc = rpt__join(&path, dir, name, NULL)) == 0)
        rc = rpt_write_text(buf_cstr(&path), buf_cstr(b), b->len);
    buf_free(&path);
    return rc;
}

static const char *
rpt__or(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static const char *
rpt__san_name(const char *san)
{
    return strcmp(san, "tsan") == 0 ? "ThreadSanitizer" : strcmp(san, "asan") == 0 ? "AddressSanitizer" : "no sanitizer";
}

static void
rpt__known(const struct sig_finding *x, struct buf *b)
{
    if (x->known)
        buf_printf(b, "known: %s%s%s", x->known, x->fixed_in ? ", fixed in " : "", x->fixed_in ? x->fixed_in : "");
    else
        buf_puts(b, "new");
}

/* Source paths as a reader wants them: from the project's own root on. Build trees put
 * sources under temporary directories ("/tmp/pip-req-build-x/numpy/_core/src/...", the
 * toolchain cache's "Python-3.13.15/Objects/..."); the part before the root says nothing, and
 * CPython's own sources read as in its repository ("Objects/methodobject.c"). */
/* The source trees of the run's packages built by SRC= (toolchain.json's sources), while
 * rpt_write writes the run's reports: their compilers saw the files by the trees' own paths. */
static json_t *rpt__trees;

static const char *
rpt__short_path(const char *path)
{
    static const char *const roots[] = {"/Python-3.", "/numpy/", "/site-packages/", "/harness/", "/scenarios/"};
    /* A tree built by SRC= (toolchain/env.sh): its build directory, <cache>/...src-<pkg>-...build/build/,
     * holds the generated C (Cython's) under the package's own paths. */
    static const char srcbuild[] = ".build/build/";
    const char *best = NULL, *p;

    if (path && (p = strstr(path, srcbuild)) != NULL && p[sizeof(srcbuild) - 1])
        return p + sizeof(srcbuild) - 1;
    if (path && rpt__trees) {
        size_t i;
        json_t *src;

        json_array_foreach (rpt__trees, i, src) {
            const char *tree = json_string_value(json_object_get(src, "tree"));
            size_t n = tree ? strlen(tree) : 0;

            if (n && strncmp(path, tree, n) == 0 && path[n] == '/' && path[n + 1])
                return path + n + 1;
        }
    }

    for (size_t i = 0; path && i < sizeof(roots) / sizeof(roots[0]); i++) {
        const char *q = strstr(path, roots[i]);

        if (q && (best == NULL || q < best))
            best = q;
    }
    /* The installed standard library, when nothing above matched: python3.13t/subprocess.py. */
    if (best == NULL && path && (best = strstr(path, "/lib/python3.")) != NULL)
        return best + 5;
    if (best && strncmp(best, "/site-packages/", 15) == 0)
        best += 14;
    else if (best && strncmp(best, "/Python-3.", 10) == 0 && strchr(best + 1, '/'))
        best = strchr(best + 1, '/');
    return best ? best + 1 : path;
}

/* text with every absolute path shortened: from its project root on (rpt__short_path), else
 * to its last component, so a report names no directory of the machine it was made on (the
 * toolchain cache, the checkout, the reports). A path starts at a '/' that begins a word, a
 * quoted string or an option's value, and ends at white space, a quote, a parenthesis or a
 * colon (which separates a sanitizer's options, and a file from its line). */
static void
rpt__put_stripped(struct buf *b, const char *text)
{
    const char *p = text;

    while (p && *p) {
        size_t n = strcspn(p, "/");
        const char *tok, *end, *shortp, *slash;
        char *path;

        buf_append(b, p, n);
        p += n;
        if (*p == '\0')
            break;
        if (p > text && !strchr(" \t\n\"'`(=,[", p[-1])) {
            buf_append(b, p, 1);
            p++;
            continue;
        }
        tok = p;
        end = tok + strcspn(tok, " \t\n\"'`()[],:");
        if ((path = strndup(tok, (size_t)(end - tok))) == NULL) {
            b->err = FT_ENOMEM;
            return;
        }
        shortp = rpt__short_path(path);
        if (shortp == path && (slash = strrchr(path, '/')) != NULL && slash[1])
            shortp = slash + 1;
        buf_puts(b, shortp);
        free(path);
        p = end;
    }
}

/* Where a package built from a source tree came from: the tree's name, its commit and whether
 * it had uncommitted changes, or its content state when it has no git. */
static void
rpt__tree(struct buf *b, json_t *src)
{
    const char *tree, *commit, *state, *base;
    json_t *dirty;

    tree = json_string_value(json_object_get(src, "tree"));
    commit = json_string_value(json_object_get(src, "commit"));
    state = json_string_value(json_object_get(src, "state"));
    dirty = json_object_get(src, "dirty");
    base = tree && strrchr(tree, '/') ? strrchr(tree, '/') + 1 : rpt__or(tree, "?");
    if (commit)
        buf_printf(b, ", built from the source tree %s at commit %.12s%s", base, commit,
                   json_is_true(dirty) ? " with uncommitted changes" : "");
    else
        buf_printf(b, ", built from the source tree %s (no git; content %s)", base, rpt__or(state, "?"));
}

/* The NumPy a run used: its version, and for a source tree (NUMPY_SRC) where it came from. */
static void
rpt__numpy(struct buf *b, const struct tc_toolchain *tc)
{
    buf_puts(b, rpt__or(tc->numpy_version, "NumPy not installed"));
    if (tc->numpy_source)
        rpt__tree(b, tc->numpy_source);
}

/* The packages a run used that were built from source trees (SRC), one line each, with what of
 * them the sanitizer could not see. */
static void
rpt__sources(struct buf *b, const struct tc_toolchain *tc, const char *sep)
{
    size_t i, j;
    json_t *src, *part;

    json_array_foreach (tc->sources, i, src) {
        buf_printf(b, "%s%s %s", i ? sep : "", rpt__or(json_string_value(json_object_get(src, "name")), "?"),
                   rpt__or(json_string_value(json_object_get(src, "version")), "?"));
        rpt__tree(b, src);
        json_array_foreach (json_object_get(src, "not_instrumented"), j, part)
            buf_printf(b, "; not instrumented: %s", rpt__or(json_string_value(part), "?"));
    }
}

/* report.md's versions: NumPy, the packages built from trees, CPython and its build. */
static void
rpt__versions_md(struct buf *b, const struct tc_toolchain *tc)
{
    buf_puts(b, "### Python and NumPy Versions:\n\n```\n");
    rpt__numpy(b, tc);
    if (tc->sources) {
        buf_puts(b, "\n");
        rpt__sources(b, tc, "\n");
    }
    buf_printf(b, "\n%s (free-threaded, %s%s)\n```\n\n", tc->version, tc->pydebug ? "debug build, " : "",
               rpt__san_name(tc->sanitizer));
}

/* A stack without its noise: "#i function file:line (component)", and how many were skipped. */
static void
rpt__stack(struct buf *b, const struct san_stack *s)
{
    size_t skipped = 0;
    int k = 0;

    buf_printf(b, "%s:\n", rpt__or(s->label, "stack"));
    for (size_t i = 0; i < s->n; i++) {
        const struct san_frame *f = &s->frames[i];
        char comp[128];

        if (sig_frame_is_noise(f, NULL)) {
            skipped++;
            continue;
        }
        buf_printf(b, "  #%d %s %s", k++, rpt__or(f->function, "?"), f->file ? rpt__short_path(f->file) : rpt__or(f->module, "?"));
        if (f->line)
            buf_printf(b, ":%d", f->line);
        buf_printf(b, " [%s]\n", sig_component(f, comp, sizeof(comp)));
    }
    if (skipped)
        buf_printf(b, "  (%zu frames of sanitizer runtime, libc, interpreter plumbing or harness omitted)\n", skipped);
}

/* Whether one of r's stacks is labelled with line (a heap block's location heads its
 * allocation stack, which rpt__stack prints already). */
static int
rpt__has_stack(const struct san_report *r, const char *line)
{
    for (size_t i = 0; i < r->n_stacks; i++)
        if (r->stacks[i].label && strncmp(line, r->stacks[i].label, strlen(r->stacks[i].label)) == 0)
            return 1;
    return 0;
}

/* What a finding is attributed to besides its stacks: the memory raced on and the racing roles
 * (closing the error message's block), then the tests it was seen in. */
static void
rpt__attribution(struct buf *b, const struct sig_finding *x)
{
    if (x->kind == SAN_HANG) { /* why the threads wait, from their native stacks */
        json_t *w = sig_waits(&x->example);

        buf_printf(b, "Why the threads wait: %s\n", w ? json_string_value(json_object_get(w, "summary")) : "?");
        json_decref(w);
    }
    for (size_t i = 0; i < x->n_memory; i++)
        buf_printf(b, "%s%s", i ? "; " : "Memory raced on: ", x->memory[i]);
    buf_puts(b, x->n_memory ? "\n" : "");
    for (size_t i = 0; i < x->n_roles; i++)
        buf_printf(b, "%s%s", i ? "; " : "Roles of the racing threads: ", x->roles[i]);
    buf_puts(b, x->n_roles ? "\n```\n\n" : "```\n\n");
    for (size_t i = 0; i < x->n_tests; i++)
        buf_printf(b, "%s`%s`", i ? ", " : "Seen in the tests: ", x->tests[i]);
    buf_puts(b, x->n_tests ? "\n\n" : "");
}

static int
rpt__finding_md(const struct rpt_run *run, const struct sig_finding *x)
{
    const struct scn_scenario *s = run->scn;
    struct buf dir, b;
    int rc;

    if ((rc = rpt__join(&dir, run->dir, LAYOUT_FINDINGS, x->id)) != 0)
        return rc;
    if (mkdir(buf_cstr(&dir), 0755) != 0 && errno != EEXIST) {
        log_err(errno, "cannot create %s", buf_cstr(&dir));
        buf_free(&dir);
        return FT_EIO;
    }
    buf_init(&b, RPT__MAX);
    buf_printf(&b, "### Describe the issue:\n\n%s in %s under free-threaded CPython: `%s`.\n\n", san_kind_slug(x->kind),
               x->component, x->signature);
    buf_printf(&b, "Seen in %d of %d fresh processes running scenario `%s` (%ld threads x %ld iterations, meeting at a "
                   "barrier %s), %d occurrence%s in all; ",
               x->runs_hit, run->runs_done, s->name, s->threads, s->iterations,
               s->barrier == SCN_BARRIER_EACH ? "before every iteration" : "before the first", x->occurrences,
               x->occurrences == 1 ? "" : "s");
    rpt__known(x, &b);
    buf_printf(&b, "%s%s%s.\n\n", x->known_url ? " (" : "", rpt__or(x->known_url, ""), x->known_url ? ")" : "");
    if (run->by_design)
        buf_printf(&b, "**By design, not a library bug**: %s\n\n", run->by_design);
    for (size_t i = 0; i < x->n_also; i++)
        buf_printf(&b, "%s`%s`%s", i ? ", " : "The same issue was also seen as ", x->also[i], i + 1 == x->n_also ? ".\n\n" : "");
    if (x->example.detail) {
        buf_puts(&b, "Detail: ");
        rpt__put_stripped(&b, x->example.detail);
        buf_puts(&b, "\n\n");
    }
    if (x->example.pystack) {
        buf_puts(&b, "The Python code running in the reporting thread at the time:\n\n```\n");
        rpt__put_stripped(&b, x->example.pystack);
        buf_puts(&b, "```\n\n");
    }
    buf_puts(&b, "### Reproduce the code example:\n\n```python\n");
    prog_python(&b, s, x->n_tests ? x->tests[0] : NULL);
    buf_printf(&b, "```\n\nRun it with a free-threaded interpreter%s; the scenario is `", strcmp(run->tc->sanitizer, "none") ?
               (strcmp(run->tc->sanitizer, "tsan") == 0 ? " built with ThreadSanitizer" : " built with AddressSanitizer") : "");
    rpt__put_stripped(&b, s->path);
    buf_puts(&b, "`.\n\n");
    buf_puts(&b, "### Error message:\n\n```\n");
    rpt__put_stripped(&b, x->title); /* an exception's message may name installed files */
    buf_puts(&b, "\n");
    for (size_t i = 0; i < x->example.n_stacks; i++)
        rpt__stack(&b, &x->example.stacks[i]);
    /* What the race was on: the line a maintainer reads first after the two stacks. */
    if (x->example.location && !rpt__has_stack(&x->example, x->example.location)) {
        rpt__put_stripped(&b, x->example.location);
        buf_puts(&b, "\n");
    }
    rpt__attribution(&b, x);
    if (x->example.raw) {
        buf_printf(&b, "<details><summary>Full report (run %d)</summary>\n\n```\n", x->example_run + 1);
        rpt__put_stripped(&b, x->example.raw);
        buf_puts(&b, "\n```\n</details>\n\n");
    }
    rpt__versions_md(&b, run->tc);
    buf_printf(&b, "### Runtime Environment:\n\n```\nsanitizer: %s\n", rpt__san_name(run->tc->sanitizer));
    if (run->tsan_options && strcmp(run->tc->sanitizer, "tsan") == 0) {
        buf_puts(&b, "TSAN_OPTIONS: ");
        rpt__put_stripped(&b, run->tsan_options);
        buf_puts(&b, "\n");
    }
    if (run->asan_options && strcmp(run->tc->sanitizer, "asan") == 0) {
        buf_puts(&b, "ASAN_OPTIONS: ");
        rpt__put_stripped(&b, run->asan_options);
        buf_puts(&b, "\n");
    }
    buf_printf(&b, "cores: %ld\ncompiler: %s\n```\n", sysconf(_SC_NPROCESSORS_ONLN), rpt__or(run->tc->cc, "?"));
    rc = rpt__write_buf(buf_cstr(&dir), LAYOUT_FINDING_MD, &b);
    buf_free(&b);
    /* pytest mode: the code example is the reproducer itself (a test's node id leaves nothing to
     * shrink), as a file a maintainer runs and attaches; make minimize may write a smaller one. */
    if (rc == 0 && s->pytest) {
        buf_init(&b, RPT__MAX);
        prog_python(&b, s, x->n_tests ? x->tests[0] : NULL); /* an error stays in b.err: nothing written */
        rc = rpt__write_buf(buf_cstr(&dir), LAYOUT_FINDING_PY, &b);
        buf_free(&b);
    }
    buf_free(&dir);
    return rc;
}

static int
rpt__summary_md(const struct rpt_run *run, const struct sig_findings *f)
{
    const struct scn_scenario *s = run->scn;
    struct buf b;
    int rc;

    buf_init(&b, RPT__MAX);
    buf_printf(&b, "# %s: %zu finding%s\n\n%s\n\n", s->name, f->n, f->n == 1 ? "" : "s", rpt__or(s->summary, ""));
    buf_printf(&b, "| | |\n|---|---|\n| CPython | %s (free-threaded, %s%s) |\n| NumPy | ", run->tc->version,
               run->tc->pydebug ? "debug build, " : "", rpt__san_name(run->tc->sanitizer));
    rpt__numpy(&b, run->tc);
    buf_puts(&b, " |\n");
    if (run->tc->sources) {
        buf_puts(&b, "| from source | ");
        rpt__sources(&b, run->tc, "<br>");
        buf_puts(&b, " |\n");
    }
    buf_printf(&b, "| runs | %d of %d, %ld threads x %ld iterations, barrier %s |\n| time | %.1f s |\n\n", run->runs_done,
               run->runs_planned, s->threads, s->iterations, s->barrier == SCN_BARRIER_EACH ? "each" : "start", run->seconds);
    if (run->mode && run->mode->budget_left)
        buf_printf(&b, "**The budget (%ld s) was spent: %ld of %d runs were not started.**\n\n", run->budget,
                   run->mode->budget_left, run->runs_planned);
    if (run->by_design)
        buf_printf(&b, "**By design**: %s Its findings are the caller's races, listed for what they do to "
                       "memory, not library bugs to file.\n\n", run->by_design);
    if (run->runs_failed)
        buf_printf(&b, "**%d run%s could not run (infrastructure failure); see evidence/.**\n\n", run->runs_failed,
                   run->runs_failed == 1 ? "" : "s");
    if (s->process == SCN_PROCESS_FORK && run->mode && run->mode->spawned)
        buf_printf(&b, "%ld of %d runs were fresh processes instead of forked from a server that ran setup once: "
                       "%s.\n\n",
                   run->mode->spawned, run->runs_done, run->mode->why[0] ? run->mode->why : "see evidence/server");
    if (run->mode && run->mode->servers > 1)
        buf_printf(&b, "The fork server died and was started again %d time%s (evidence/server-N).\n\n",
                   run->mode->servers - 1, run->mode->servers == 2 ? "" : "s");
    if (f->n) {
        buf_puts(&b, "| id | kind | signature | component | runs hit | known |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < f->n; i++) {
            const struct sig_finding *x = &f->v[i];

            buf_printf(&b, "| [%s](findings/%s/report.md) | %s | `%s`%s", x->id, x->id, san_kind_slug(x->kind),
                       x->signature, x->n_also ? " (and other signatures)" : "");
            for (size_t k = 0; k < x->n_roles; k++)
                buf_printf(&b, "%s%s", k ? "; " : "<br>roles: ", x->roles[k]);
            for (size_t k = 0; k < x->n_tests; k++)
                buf_printf(&b, "%s`%s`", k ? ", " : "<br>tests: ", x->tests[k]);
            buf_printf(&b, " | %s | %d/%d | ", x->component, x->runs_hit, run->runs_done);
            rpt__known(x, &b);
            buf_puts(&b, " |\n");
        }
        buf_puts(&b, "\n");
    } else {
        buf_puts(&b, "No findings.\n\n");
    }
    rpt_own_md(&b, f, run->runs_done);
    buf_printf(&b, "Suppressed sanitizer reports: %ld", f->suppressed);
    for (size_t i = 0; i < f->n_supp; i++)
        buf_printf(&b, "%s`%s` %ld", i ? ", " : " (", f->supp_rules[i], f->supp_counts[i]);
    buf_puts(&b, f->n_supp ? ")\n" : "\n");
    if (f->n_gil) {
        buf_puts(&b, "\nModules that would have re-enabled the GIL (it was kept off):");
        for (size_t i = 0; i < f->n_gil; i++)
            buf_printf(&b, " `%s`", f->gil_modules[i]);
        buf_puts(&b, "\n");
    }
    rpt_tests_md(&b, f);
    rc = rpt__write_buf(run->dir, LAYOUT_SUMMARY_MD, &b);
    buf_free(&b);
    return rc;
}

static json_t *
rpt__strs(char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *
rpt__stack_json(const struct san_stack *s)
{
    json_t *o = json_object(), *frames = json_array();

    json_object_set_new(o, "label", s->label ? json_string(s->label) : json_null());
    for (size_t i = 0; i < s->n; i++) {
        const struct san_frame *f = &s->frames[i];
        json_t *j = json_object();
        char comp[128];

        json_object_set_new(j, "function", f->function ? json_string(f->function) : json_null());
        json_object_set_new(j, "file", f->file ? json_string(f->file) : json_null());
        json_object_set_new(j, "line", json_integer(f->line));
        json_object_set_new(j, "module", f->module ? json_string(f->module) : json_null());
        json_object_set_new(j, "component", json_string(sig_component(f, comp, sizeof(comp))));
        json_object_set_new(j, "noise", json_boolean(sig_frame_is_noise(f, NULL)));
        json_array_append_new(frames, j);
    }
    json_object_set_new(o, "frames", frames);
    return o;
}

/* How the runs got their processes: {"asked": "fork"|"fresh", "forked", "spawned", "servers",
 * "why_spawned"}. */
static json_t *
rpt__process(const struct scn_scenario *s, const struct run_mode *m)
{
    json_t *o = json_object();

    json_object_set_new(o, "asked", json_string(s->process == SCN_PROCESS_FORK ? "fork" : "fresh"));
    json_object_set_new(o, "forked", json_integer(m ? m->forked : 0));
    json_object_set_new(o, "spawned", json_integer(m ? m->spawned : 0));
    json_object_set_new(o, "servers", json_integer(m ? m->servers : 0));
    json_object_set_new(o, "why_spawned", m && m->why[0] ? json_string(m->why) : json_null());
    return o;
}

/* Whether the scenario says what its bug looks like: an expectation with outcome found. */
static int
rpt__describes_bug(const struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_expect; i++)
        if (strcmp(s->expect[i].outcome, "found") == 0)
            return 1;
    return 0;
}

json_t *
rpt_finding_json(const struct sig_finding *x)
{
    json_t *j = json_object(), *st = json_array(), *runs = json_array();

    json_object_set_new(j, "id", json_string(x->id));
    json_object_set_new(j, "kind", json_string(san_kind_slug(x->kind)));
    json_object_set_new(j, "signature", json_string(x->signature));
    json_object_set_new(j, "component", json_string(x->component));
    json_object_set_new(j, "title", json_string(x->title));
    json_object_set_new(j, "runs_hit", json_integer(x->runs_hit));
    json_object_set_new(j, "occurrences", json_integer(x->occurrences));
    json_object_set_new(j, "known", x->known ? json_string(x->known) : json_null());
    json_object_set_new(j, "scenario_bug", json_boolean(x->bug));
    json_object_set_new(j, "known_url", x->known_url ? json_string(x->known_url) : json_null());
    json_object_set_new(j, "fixed_in", x->fixed_in ? json_string(x->fixed_in) : json_null());
    json_object_set_new(j, "example_run", json_integer(x->example_run + 1));
    for (int k = 0; k < x->runs_hit; k++) /* the runs it appeared in, 1-based, as evidence/run-NNNN */
        json_array_append_new(runs, json_integer(x->runs[k] + 1));
    json_object_set_new(j, "runs", runs);
    json_object_set_new(j, "also_seen_as", rpt__strs(x->also, x->n_also));
    json_object_set_new(j, "memory", rpt__strs(x->memory, x->n_memory));
    json_object_set_new(j, "roles", rpt__strs(x->roles, x->n_roles));
    json_object_set_new(j, "tests", rpt__strs(x->tests, x->n_tests));
    json_object_set_new(j, "location", x->example.location ? json_string(x->example.location) : json_null());
    for (size_t k = 0; k < x->example.n_stacks; k++)
        json_array_append_new(st, rpt__stack_json(&x->example.stacks[k]));
    json_object_set_new(j, "stacks", st);
    json_object_set_new(j, "python_traceback", x->example.pystack ? json_string(x->example.pystack) : json_null());
    json_object_set_new(j, "detail", x->example.detail ? json_string(x->example.detail) : json_null());
    json_object_set_new(j, "raw", x->example.raw ? json_string(x->example.raw) : json_null());
    if (x->kind == SAN_HANG)
        json_object_set_new(j, "waits", sig_waits(&x->example));
    return j;
}

static json_t *
rpt__json(const struct rpt_run *run, const struct sig_findings *f)
{
    const struct scn_scenario *s = run->scn;
    json_t *o = json_object(), *scn = json_object(), *v = json_object(), *runs = json_object(), *fa = json_array();
    json_t *supp = json_object(), *by = json_object(), *gil = json_array();

    json_object_set_new(o, "schema", json_string("ftsan-report/1"));
    json_object_set_new(scn, "name", json_string(s->name));
    json_object_set_new(scn, "path", json_string(s->path));
    json_object_set_new(scn, "threads", json_integer(s->threads));
    json_object_set_new(scn, "iterations", json_integer(s->iterations));
    json_object_set_new(scn, "barrier", json_string(s->barrier == SCN_BARRIER_EACH ? "each" : "start"));
    json_object_set_new(scn, "describes_bug", json_boolean(rpt__describes_bug(s)));
    json_object_set_new(o, "scenario", scn);
    json_object_set_new(v, "python", json_string(run->tc->version));
    json_object_set_new(v, "numpy", run->tc->numpy_version ? json_string(run->tc->numpy_version) : json_null());
    json_object_set_new(v, "sanitizer", json_string(run->tc->sanitizer));
    json_object_set_new(v, "pydebug", json_boolean(run->tc->pydebug));
    json_object_set_new(v, "numpy_source", run->tc->numpy_source ? json_deep_copy(run->tc->numpy_source) : json_null());
    json_object_set_new(v, "sources", run->tc->sources ? json_deep_copy(run->tc->sources) : json_array());
    json_object_set_new(o, "versions", v);
    json_object_set_new(runs, "planned", json_integer(run->runs_planned));
    json_object_set_new(runs, "done", json_integer(run->runs_done));
    json_object_set_new(runs, "failed", json_integer(run->runs_failed));
    json_object_set_new(runs, "budget", run->budget ? json_integer(run->budget) : json_null());
    json_object_set_new(runs, "not_started", json_integer(run->mode ? run->mode->budget_left : 0));
    json_object_set_new(o, "runs", runs);
    json_object_set_new(o, "seconds", json_real(run->seconds));
    json_object_set_new(o, "process", rpt__process(s, run->mode));
    /* How the runs' reports were symbolized: the relay's counts (symd.h), null without one. */
    json_object_set_new(o, "symbolizer",
                        run->symbolizer ? json_pack("{s:I,s:I,s:I,s:I}", "processes", (json_int_t)run->symbolizer->started,
                                                    "clients", (json_int_t)run->symbolizer->clients, "requests",
                                                    (json_int_t)run->symbolizer->requests, "refused",
                                                    (json_int_t)run->symbolizer->refused)
                                        : json_null());
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(fa, rpt_finding_json(&f->v[i]));
    json_object_set_new(o, "findings", fa);
    json_object_set_new(o, "by_design", run->by_design ? json_string(run->by_design) : json_null());
    json_object_set_new(o, "scenario_data_races", rpt_own_json(f));
    json_object_set_new(supp, "total", json_integer(f->suppressed));
    for (size_t i = 0; i < f->n_supp; i++)
        json_object_set_new(by, f->supp_rules[i], json_integer(f->supp_counts[i]));
    json_object_set_new(supp, "by_rule", by);
    json_object_set_new(o, "suppressed", supp);
    for (size_t i = 0; i < f->n_gil; i++)
        json_array_append_new(gil, json_string(f->gil_modules[i]));
    json_object_set_new(o, "gil_would_enable", gil);
    json_object_set_new(o, "tests", rpt_tests_json(f));
    return o;
}

static void
rpt__xml(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                buf_append(b, s, 1);
        }
    }
}

static int
rpt__junit(const struct rpt_run *run, const struct sig_findings *f)
{
    struct buf b;
    int rc;

    buf_init(&b, RPT__MAX);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"ftsan.");
    rpt__xml(&b, run->scn->name);
    buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n", f->n ? f->n : 1, f->n, run->seconds);
    if (f->n == 0) {
        buf_puts(&b, "  <testcase classname=\"ftsan.");
        rpt__xml(&b, run->scn->name);
        buf_puts(&b, "\" name=\"clean\"/>\n");
    }
    for (size_t i = 0; i < f->n; i++) {
        buf_puts(&b, "  <testcase classname=\"ftsan.");
        rpt__xml(&b, run->scn->name);
        buf_printf(&b, "\" name=\"%s %s\">\n    <failure message=\"", f->v[i].id, san_kind_slug(f->v[i].kind));
        rpt__xml(&b, f->v[i].signature);
        buf_printf(&b, "\">seen in %d of %d runs; see findings/%s/report.md</failure>\n  </testcase>\n", f->v[i].runs_hit,
                   run->runs_done, f->v[i].id);
    }
    buf_puts(&b, "</testsuite>\n");
    rc = rpt__write_buf(run->dir, LAYOUT_JUNIT_XML, &b);
    buf_free(&b);
    return rc;
}

int
rpt_write(const struct rpt_run *run, const struct sig_findings *f)
{
    struct buf path;
    json_t *j;
    char *text;
    int rc;

    if ((rc = rpt__join(&path, run->dir, LAYOUT_FINDINGS, NULL)) != 0)
        return rc;
    if (mkdir(buf_cstr(&path), 0755) != 0 && errno != EEXIST) {
        log_err(errno, "cannot create %s", buf_cstr(&path));
        buf_free(&path);
        return FT_EIO;
    }
    buf_free(&path);
    rpt__trees = run->tc->sources;
    for (size_t i = 0; i < f->n && rc == 0; i++)
        rc = rpt__finding_md(run, &f->v[i]);
    for (size_t i = 0; i < f->n_own && rc == 0; i++)
        rc = rpt__finding_md(run, &f->own[i]);
    if (rc == 0)
        rc = rpt__summary_md(run, f);
    if (rc == 0) {
        j = rpt__json(run, f);
        text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(j);
        if (text == NULL)
            rc = FT_ENOMEM;
        else if ((rc = rpt__join(&path, run->dir, LAYOUT_REPORT_JSON, NULL)) == 0)
            rc = rpt_write_text(buf_cstr(&path), text, strlen(text));
        buf_free(&path);
        free(text);
    }
    if (rc == 0)
        rc = rpt__junit(run, f);
    rpt__trees = NULL;
    return rc;
}
