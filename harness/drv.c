/* The commands' pipelines: validate everything, then run, then report. */
#include "drv.h"

#include <dirent.h>
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
#include "evd.h"
#include "log.h"
#include "py.h"
#include "rpt.h"
#include "run.h"
#include "san.h"
#include "scn.h"
#include "sig.h"
#include "supp.h"
#include "tc.h"

#define DRV__MAX_ENV 4096

/* A scenario argument is a path when it names a file, else a name under the scenarios dir. */
static int
drv__scenario_path(const struct cli_opts *o, char *out, size_t n)
{
    struct stat st;
    const char *a = o->scenario;

    if (strchr(a, '/') || strstr(a, ".yaml")) {
        snprintf(out, n, "%s", a);
    } else {
        snprintf(out, n, "%s/%s.yaml", o->scenarios, a);
        if (stat(out, &st) != 0) {
            log_err(0, "no scenario '%s' in %s/ (harness list shows them)", a, o->scenarios);
            return FT_EUSAGE;
        }
    }
    return 0;
}

/* Command-line overrides, validated like the scenario's own keys. */
static void
drv__override(struct scn_scenario *s, const struct cli_opts *o)
{
    if (o->threads)
        s->threads = o->threads;
    if (o->iterations)
        s->iterations = o->iterations;
    if (o->runs)
        s->runs = o->runs;
    if (o->timeout)
        s->timeout = o->timeout;
}

static int
drv__load(const struct cli_opts *o, struct scn_scenario *s, struct tc_toolchain *tc)
{
    char path[4096];
    struct buf err;
    int rc;

    buf_init(&err, 4096);
    if ((rc = drv__scenario_path(o, path, sizeof(path))) != 0)
        goto out;
    if ((rc = scn_load(path, s, &err)) != 0) {
        log_err(0, "%s", buf_cstr(&err));
        goto out;
    }
    drv__override(s, o);
    if ((rc = tc_load(o->toolchain, tc, &err)) != 0) {
        log_err(0, "%s", buf_cstr(&err));
        scn_free(s);
    }
out:
    buf_free(&err);
    return rc;
}

static int
drv__exit_for(int rc)
{
    if (rc == FT_EUSAGE || rc == FT_ESCENARIO)
        return FT_EXIT_USAGE;
    return FT_EXIT_INFRA;
}

/* Whether the sanitizer option string sets key (options are NAME=VALUE, separated by ':',
 * spaces or commas, as the sanitizer runtimes parse them). */
static int
drv__opt_set(const char *opts, const char *key, size_t klen)
{
    const char *p = opts;

    while (p && *p) {
        size_t n = strcspn(p, ": ,\t\n");

        if (n > klen && p[klen] == '=' && strncmp(p, key, klen) == 0)
            return 1;
        p += n;
        p += strspn(p, ": ,\t\n");
    }
    return 0;
}

/* VAR=user options, then ours for every key the user did not set: the user's value wins. */
static int
drv__san_options(struct buf *b, const char *var, const char *user, const char *const *ours)
{
    int rc = buf_printf(b, "%s=%s", var, user ? user : ""), first = !(user && *user);

    for (size_t i = 0; ours[i] && rc == 0; i++) {
        if (drv__opt_set(user, ours[i], strcspn(ours[i], "=")))
            continue;
        rc = buf_printf(b, "%s%s", first ? "" : ":", ours[i]);
        first = 0;
    }
    return rc;
}

/* Appends "opt" to a NULL-terminated list of at most cap entries. */
static void
drv__push(const char **list, size_t cap, const char *opt)
{
    size_t n = 0;

    while (list[n])
        n++;
    if (n + 1 < cap)
        list[n] = opt;
}

/* The children's environment: ours, the scenario's env, sanitizer options into {dir}. */
static char **
drv__child_env(const struct scn_scenario *s, const struct tc_toolchain *tc, const char *supp)
{
    extern char **environ;
    const char *sym = json_string_value(json_object_get(tc->raw, "symbolizer"));
    char symopt[4200], suppopt[4200];
    const char *tsan[8] = {"log_path={dir}/tsan", "halt_on_error=0", "second_deadlock_stack=1", "print_suppressions=1"};
    const char *asan[8] = {"log_path={dir}/asan", "detect_leaks=0", "abort_on_error=0", "handle_abort=1"};
    char **env = calloc(DRV__MAX_ENV, sizeof(*env));
    size_t n = 0;
    struct buf b;

    if (env == NULL)
        return NULL;
    if (supp) {
        snprintf(suppopt, sizeof(suppopt), "suppressions=%s", supp);
        drv__push(tsan, 8, suppopt);
    }
    if (sym) {
        snprintf(symopt, sizeof(symopt), "external_symbolizer_path=%s", sym);
        drv__push(tsan, 8, symopt);
        drv__push(asan, 8, symopt);
    }
    for (char **e = environ; *e && n < DRV__MAX_ENV - 8 - s->n_env; e++) {
        int ours = strncmp(*e, "TSAN_OPTIONS=", 13) == 0 || strncmp(*e, "ASAN_OPTIONS=", 13) == 0 ||
                   (getenv("FTSAN_PRELOAD") && strncmp(*e, "LD_PRELOAD=", 11) == 0);

        for (size_t i = 0; i < s->n_env && !ours; i++)
            ours = strncmp(*e, s->env[i].key, strlen(s->env[i].key)) == 0 && (*e)[strlen(s->env[i].key)] == '=';
        if (!ours)
            env[n++] = strdup(*e);
    }
    for (size_t i = 0; i < s->n_env; i++) {
        buf_init(&b, 1 << 16);
        buf_printf(&b, "%s=%s", s->env[i].key, s->env[i].value);
        env[n++] = buf_steal(&b);
    }
    if (getenv("FTSAN_PRELOAD")) { /* build: {preload: ...} libraries, for the runs only */
        buf_init(&b, 1 << 16);
        buf_printf(&b, "LD_PRELOAD=%s%s%s", getenv("FTSAN_PRELOAD"), getenv("LD_PRELOAD") ? ":" : "",
                   getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
        env[n++] = buf_steal(&b);
    }
    buf_init(&b, 1 << 16);
    drv__san_options(&b, "TSAN_OPTIONS", getenv("TSAN_OPTIONS"), tsan);
    env[n++] = buf_steal(&b);
    buf_init(&b, 1 << 16);
    drv__san_options(&b, "ASAN_OPTIONS", getenv("ASAN_OPTIONS"), asan);
    env[n++] = buf_steal(&b);
    for (size_t i = 0; i < n; i++)
        if (env[i] == NULL)
            return NULL; /* out of memory: the process is about to fail anyway */
    return env;
}

/* mkdir -p: every missing directory of path. */
static int
drv__mkdirs(const char *path)
{
    char p[4096];

    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* reports/<UTC time>-<name>[-N]: a new directory, never an existing one. */
static int
drv__report_dir(const struct cli_opts *o, const char *name, char *out, size_t n)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (drv__mkdirs(o->reports) != 0) {
        log_err(errno, "cannot create %s", o->reports);
        return FT_EIO;
    }
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (int k = 1; k < 1000; k++) {
        if (o->run_id)
            snprintf(out, n, "%s/%s%s", o->reports, o->run_id, k > 1 ? "-" : "");
        else
            snprintf(out, n, "%s/%s-%s", o->reports, stamp, name);
        if (k > 1)
            snprintf(out + strlen(out), n - strlen(out), "%s%d", o->run_id ? "" : "-", k);
        if (mkdir(out, 0755) == 0)
            return 0;
        if (errno != EEXIST) {
            log_err(errno, "cannot create %s", out);
            return FT_EIO;
        }
    }
    log_err(0, "too many report directories named %s", out);
    return FT_EIO;
}

/* reports/latest -> the newest run, swapped in with one rename. */
static void
drv__latest(const char *reports, const char *dir)
{
    char link[4200], tmp[4300];
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;

    snprintf(link, sizeof(link), "%s/latest", reports);
    snprintf(tmp, sizeof(tmp), "%s/.latest.%d", reports, (int)getpid());
    unlink(tmp);
    if (symlink(base, tmp) != 0 || rename(tmp, link) != 0)
        log_err(errno, "cannot point %s at %s", link, base);
}

struct drv__progress {
    const struct scn_scenario *scn;
    struct evd_symbols symbols;
    struct sig_findings findings;
    struct sig_policy policy;
    long runs, done, failed;
    int nomem;
    struct timespec t0;
};

static double
drv__elapsed(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A memory limit breached: the figures, and what the threads cost. Threads alive after setup
 * besides the main one were started by a library on import (OpenBLAS starts its pool then)
 * and fill their buffers in the body: the growth is per such thread; without a pool, per
 * worker thread. */
static int
drv__memory(struct san_reports *out, const struct scn_scenario *s, const struct evd_status *st, const char *what,
            const char *key, long peak_kb, long setup_kb, long limit_mb)
{
    char title[128], detail[512];
    long grew = (peak_kb - setup_kb) / 1024, pool = st->setup_threads - 1;
    int k;

    snprintf(title, sizeof(title), "peak %s over checks.%s", what, key);
    k = snprintf(detail, sizeof(detail), "peak %s %ld MB, limit %ld MB (checks.%s)", what, peak_kb / 1024, limit_mb, key);
    if (setup_kb && k > 0 && (size_t)k < sizeof(detail))
        snprintf(detail + k, sizeof(detail) - (size_t)k,
                 "; %ld MB after setup, +%ld MB during the body; %ld threads after setup, %ld at the peak: "
                 "%.1f MB per %s thread",
                 setup_kb / 1024, grew, st->setup_threads, st->peak_threads,
                 (double)grew / (double)(pool > 0 ? pool : s->threads), pool > 0 ? "library (e.g. BLAS)" : "worker");
    return san_add_resource(out, title, detail);
}

/* The scenario's checks against what the supervisor measured. */
static int
drv__resources(const struct scn_scenario *s, const struct evd_status *st, struct san_reports *out)
{
    char detail[256];
    int rc = 0;

    if (s->max_rss_mb && st->maxrss_kb / 1024 > s->max_rss_mb)
        rc = drv__memory(out, s, st, "RSS", "max_rss_mb", st->maxrss_kb, st->setup_rss_kb, s->max_rss_mb);
    if (rc == 0 && s->max_vm_mb && st->peak_vm_kb / 1024 > s->max_vm_mb)
        rc = drv__memory(out, s, st, "virtual memory", "max_vm_mb", st->peak_vm_kb, st->setup_vm_kb, s->max_vm_mb);
    if (rc == 0 && s->max_threads && st->peak_threads > s->max_threads) {
        snprintf(detail, sizeof(detail), "peak %ld threads, limit %ld (checks.max_threads)", st->peak_threads, s->max_threads);
        rc = san_add_resource(out, "thread count over checks.max_threads", detail);
    }
    return rc;
}

/* Child exit statuses that mean the harness, not the scenario, failed (py.h, and a child that
 * rejected its own command line). */
static int
drv__infra_failure(const struct run_result *r)
{
    return r->exited && (r->exit_code == PY_EXIT_INIT || r->exit_code == PY_EXIT_HARNESS || r->exit_code == FT_EXIT_USAGE);
}

/* After each run: its evidence becomes findings at once, so the progress line counts them. */
static void
drv__on_done(const struct run_result *r, const char *dir, void *arg)
{
    struct drv__progress *p = arg;
    struct san_reports reports;
    struct evd_status st;

    p->done++;
    san_reports_init(&reports);
    if (drv__infra_failure(r) || evd_read_run(dir, &p->symbols, &reports, &st) != 0) {
        p->failed++;
        log_err(0, "run %d failed to run (exit %d); see %s/stderr.txt", r->run, r->exit_code, dir);
    } else if (drv__resources(p->scn, &st, &reports) != 0 || sig_add_run(&p->findings, &reports, r->run - 1, &p->policy) != 0) {
        p->nomem = 1;
    }
    san_reports_free(&reports);
    fprintf(stderr, "\r[%s] runs %ld/%ld, findings %zu, %.1fs%s", p->scn->name, p->done, p->runs, p->findings.n,
            drv__elapsed(&p->t0), p->done == p->runs ? "\n" : "");
    fflush(stderr);
}

/* known/catalog.json applied to the findings (a missing catalog only means no "known" marks),
 * then the races of one bug grouped. 0 or FT_ENOMEM. */
static int
drv__catalog(const struct cli_opts *o, struct sig_findings *f)
{
    size_t len;
    char *text = evd_read_file(o->catalog, (size_t)1 << 22, &len);

    if (text != NULL && sig_apply_catalog(f, text, len) != 0)
        log_err(0, "%s: not a JSON list of known issues; findings are not matched against it", o->catalog);
    free(text);
    return sig_group_races(f);
}

static int
drv__write_meta(const char *dir, const struct scn_scenario *s, const struct tc_toolchain *tc,
                const struct cli_opts *o)
{
    char path[4200], tmp[4300];
    json_t *m = json_object();
    int rc = 0;

    json_object_set_new(m, "scenario", json_string(s->name));
    json_object_set_new(m, "scenario_path", json_string(s->path));
    json_object_set_new(m, "threads", json_integer(s->threads));
    json_object_set_new(m, "iterations", json_integer(s->iterations));
    json_object_set_new(m, "runs", json_integer(s->runs));
    json_object_set_new(m, "timeout", json_integer(s->timeout));
    json_object_set_new(m, "seed", json_integer(o->seed));
    json_object_set_new(m, "python_version", json_string(tc->version));
    json_object_set_new(m, "numpy_version", tc->numpy_version ? json_string(tc->numpy_version) : json_null());
    json_object_set_new(m, "sanitizer", json_string(tc->sanitizer));
    json_object_set_new(m, "toolchain", json_deep_copy(tc->raw));
    snprintf(path, sizeof(path), "%s/run.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (json_dump_file(m, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || rename(tmp, path) != 0) {
        log_err(errno, "cannot write %s", path);
        rc = FT_EIO;
    }
    json_decref(m);
    return rc;
}

/* VAR's value in an environment list ("VAR=value"), borrowed; NULL when absent. */
static const char *
drv__env_value(char *const *envp, const char *var)
{
    size_t n = strlen(var);

    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], var, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* One line per finding on stderr, and where the reports are. */
static void
drv__print_summary(const char *dir, const struct sig_findings *f, int runs)
{
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "  %s  %-20s %d/%d runs  %s  [%s%s]\n", f->v[i].id, san_kind_slug(f->v[i].kind), f->v[i].runs_hit,
                runs, f->v[i].signature, f->v[i].known ? "known: " : "new", f->v[i].known ? f->v[i].known : "");
    log_info("report: %s/summary.md", dir);
}

static char **
drv__child_argv(const char *self, const struct cli_opts *o, const struct scn_scenario *s)
{
    char **v = calloc(24, sizeof(*v));
    int n = 0;

    if (v == NULL)
        return NULL;
    v[n++] = strdup(self);
    v[n++] = strdup("child");
    v[n++] = strdup("--toolchain");
    v[n++] = strdup(o->toolchain);
    v[n++] = strdup("--dir");
    v[n++] = strdup("{dir}");
    v[n++] = strdup("--run");
    v[n++] = strdup("{run}");
    v[n++] = strdup("--seed");
    v[n++] = strdup("{seed}");
    v[n++] = strdup("--threads");
    if (asprintf(&v[n++], "%ld", s->threads) < 0)
        v[n - 1] = NULL;
    v[n++] = strdup("--iterations");
    if (asprintf(&v[n++], "%ld", s->iterations) < 0)
        v[n - 1] = NULL;
    v[n++] = strdup(s->path);
    for (int i = 0; i < n; i++)
        if (v[i] == NULL)
            return NULL;
    return v;
}

static void
drv__strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The report directory with what goes in before any run: merged suppressions, run.json, an
 * empty evidence/. Returns 0 or an exit status; *n_supp: suppression files in force. */
static int
drv__prepare(const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc, char *dir,
             size_t n, int *n_supp)
{
    char supp[4200], evidence[4200];
    struct supp_versions versions = {.python = tc->version, .numpy = tc->numpy_version};
    int rc;

    if (drv__report_dir(o, s->name, dir, n) != 0)
        return FT_EXIT_INFRA;
    snprintf(supp, sizeof(supp), "%s/suppressions.txt", dir);
    if ((rc = supp_merge(supp, strcmp(tc->sanitizer, "tsan") == 0 ? tc->tsan_suppressions : NULL, o->suppressions,
                         tc->sanitizer, &versions, n_supp)) != 0)
        return rc == FT_EUSAGE ? FT_EXIT_USAGE : FT_EXIT_INFRA;
    snprintf(evidence, sizeof(evidence), "%s/evidence", dir);
    if (mkdir(evidence, 0755) != 0) {
        log_err(errno, "cannot create %s", evidence);
        return FT_EXIT_INFRA;
    }
    return drv__write_meta(dir, s, tc, o) ? FT_EXIT_INFRA : 0;
}

/* Where modules of unsymbolized frames are looked for: the environment, the interpreter's
 * prefix, the harness (CPython's own frames), the compiled kernels. search[2..] are new
 * strings, freed by drv__search_free. */
static void
drv__search(const struct tc_toolchain *tc, const char *self, const char *search[8])
{
    const char *kernels = getenv("FTSAN_KERNELS");

    search[0] = json_string_value(json_object_get(tc->raw, "prefix"));
    search[1] = json_string_value(json_object_get(tc->raw, "base_prefix"));
    search[2] = strndup(self, (size_t)(strrchr(self, '/') - self));
    for (size_t k = 3; k < 7 && kernels && *kernels; k++) {
        size_t len = strcspn(kernels, ":");

        search[k] = strndup(kernels, len);
        kernels += len + (kernels[len] == ':');
    }
}

static void
drv__search_free(const char *search[8])
{
    for (size_t k = 2; k < 8; k++)
        free((char *)search[k]);
}

/* The scenario's Python compiles, or nothing runs: a syntax error is the scenario's, not a
 * finding of every run. */
static int
drv__compile(const struct scn_scenario *s, const struct tc_toolchain *tc)
{
    struct buf err;
    int rc;

    buf_init(&err, 4096);
    if ((rc = py_check(s, tc->python, &err)) != 0)
        log_err(0, "%s", buf_cstr(&err));
    buf_free(&err);
    return rc;
}

/* After the runs: the catalog, the reports, reports/latest, the summary on stderr. Returns the
 * exit status. */
static int
drv__finish(const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc,
            const char *dir, char *const *envp, struct drv__progress *prog)
{
    struct rpt_run rpt = {.dir = dir, .scn = s, .tc = tc, .runs_planned = (int)s->runs, .runs_done = (int)prog->done,
                          .runs_failed = (int)prog->failed, .seconds = drv__elapsed(&prog->t0),
                          .tsan_options = drv__env_value(envp, "TSAN_OPTIONS"),
                          .asan_options = drv__env_value(envp, "ASAN_OPTIONS")};

    if (drv__catalog(o, &prog->findings) != 0 || rpt_write(&rpt, &prog->findings) != 0)
        return FT_EXIT_INFRA;
    drv__latest(o->reports, dir);
    drv__print_summary(dir, &prog->findings, (int)prog->done);
    if (prog->findings.n)
        return FT_EXIT_FINDINGS;
    return prog->failed && prog->failed == prog->done ? FT_EXIT_INFRA : FT_EXIT_CLEAN;
}

int
drv_run(const struct cli_opts *o, const char *self)
{
    struct scn_scenario s;
    struct tc_toolchain tc;
    struct run_result *results = NULL;
    struct run_plan plan;
    struct drv__progress prog = {0};
    const char *search[8] = {0};
    char dir[4096], evidence[4200], supp[4200];
    char **argv = NULL, **envp = NULL;
    int rc, status, n_supp;

    if ((rc = drv__load(o, &s, &tc)) != 0)
        return drv__exit_for(rc);
    sig_findings_init(&prog.findings);
    if ((rc = drv__compile(&s, &tc)) != 0) {
        status = drv__exit_for(rc);
        goto out;
    }
    if ((status = drv__prepare(o, &s, &tc, dir, sizeof(dir), &n_supp)) != 0)
        goto out;
    status = FT_EXIT_INFRA;
    snprintf(evidence, sizeof(evidence), "%s/evidence", dir);
    snprintf(supp, sizeof(supp), "%s/suppressions.txt", dir);
    argv = drv__child_argv(self, o, &s);
    envp = drv__child_env(&s, &tc, n_supp ? supp : NULL);
    results = calloc((size_t)s.runs, sizeof(*results));
    if (argv == NULL || envp == NULL || results == NULL) {
        log_err(ENOMEM, "preparing the runs");
        goto out;
    }
    plan = (struct run_plan){.argv = argv, .envp = envp, .evidence = evidence, .runs = s.runs,
                             .jobs = o->jobs ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN),
                             .timeout = s.timeout, .seed = (unsigned long)o->seed, .gdb = "gdb"};
    drv__search(&tc, self, search);
    prog.scn = &s;
    prog.runs = s.runs;
    prog.policy.forbid = s.forbid;
    prog.symbols = (struct evd_symbols){json_string_value(json_object_get(tc.raw, "symbolizer")), search};
    clock_gettime(CLOCK_MONOTONIC, &prog.t0);
    log_info("%s: %ld runs of %ld threads x %ld iterations on CPython %s (%s), NumPy %s -> %s", s.name, s.runs,
             s.threads, s.iterations, tc.version, tc.sanitizer, tc.numpy_version ? tc.numpy_version : "none", dir);
    rc = run_all(&plan, results, drv__on_done, &prog);
    if (rc < 0 || prog.nomem)
        goto out;
    if (rc == 1)
        log_err(0, "interrupted: %ld of %ld runs finished; their evidence is in %s", prog.done, s.runs, evidence);
    status = drv__finish(o, &s, &tc, dir, envp, &prog);
out:
    drv__search_free(search);
    sig_findings_free(&prog.findings);
    drv__strv_free(argv);
    drv__strv_free(envp);
    free(results);
    scn_free(&s);
    tc_free(&tc);
    return status;
}

int
drv_child(const struct cli_opts *o)
{
    struct scn_scenario s;
    struct tc_toolchain tc;
    struct py_job job;
    int rc;

    if ((rc = drv__load(o, &s, &tc)) != 0)
        return drv__exit_for(rc);
    job = (struct py_job){.scn = &s, .python = tc.python, .dir = o->dir,
                          .seed = (unsigned long)o->seed, .run = (int)o->run};
    rc = py_run(&job);
    scn_free(&s);
    tc_free(&tc);
    return rc;
}

static int
drv__yaml_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0;
}

int
drv_list(const struct cli_opts *o)
{
    struct dirent **names;
    int n = scandir(o->scenarios, &names, drv__yaml_name, alphasort), status = FT_EXIT_CLEAN;

    if (n < 0) {
        log_err(errno, "cannot list %s", o->scenarios);
        return FT_EXIT_USAGE;
    }
    for (int i = 0; i < n; i++) {
        char path[4200];
        struct scn_scenario s;
        struct buf err;

        buf_init(&err, 4096);
        snprintf(path, sizeof(path), "%s/%s", o->scenarios, names[i]->d_name);
        if (scn_load(path, &s, &err) == 0) {
            printf("%-20s %s\n", s.name, s.summary ? s.summary : "");
            scn_free(&s);
        } else {
            log_err(0, "%s", buf_cstr(&err));
            status = FT_EXIT_USAGE;
        }
        buf_free(&err);
        free(names[i]);
    }
    free(names);
    return status;
}

int
drv_keys(void)
{
    struct buf b;
    int rc;

    buf_init(&b, 1 << 16);
    rc = scn_keys_help(&b);
    fputs(buf_cstr(&b), stdout);
    buf_free(&b);
    return rc ? FT_EXIT_INFRA : FT_EXIT_CLEAN;
}

/* A script of the checkout the binary was built in: the binary lives in
 * <checkout>/build/<toolchain>/harness. */
static void
drv__script(const char *self, const char *rel, char *out, size_t n)
{
    char root[4096];
    char *slash;

    snprintf(root, sizeof(root), "%s", self);
    for (int up = 0; up < 3 && (slash = strrchr(root, '/')) != NULL; up++)
        *slash = '\0';
    snprintf(out, n, "%s/%s", root, rel);
}

int
drv_bisect(int argc, char **argv, const char *self)
{
    char script[4200];
    char **v = calloc((size_t)argc + 3, sizeof(*v));

    if (v == NULL)
        return FT_EXIT_INFRA;
    drv__script(self, "ci/bisect.py", script, sizeof(script));
    v[0] = "python3";
    v[1] = script;
    for (int i = 0; i < argc; i++)
        v[i + 2] = argv[i];
    execvp(v[0], v);
    log_err(errno, "cannot start %s", script);
    free(v);
    return FT_EXIT_INFRA;
}

/* The minimizer is Python: it rewrites scenario code through the interpreter's ast. */
int
drv_minimize(const struct cli_opts *o, const char *self)
{
    char script[4200], budget[32];
    char *argv[10];
    int n = 0;

    drv__script(self, "harness/tools/minimize.py", script, sizeof(script));
    argv[n++] = "python3";
    argv[n++] = script;
    if (o->finding) {
        argv[n++] = "--finding";
        argv[n++] = (char *)o->finding;
    }
    if (o->budget) {
        snprintf(budget, sizeof(budget), "%ld", o->budget);
        argv[n++] = "--budget";
        argv[n++] = budget;
    }
    argv[n++] = (char *)o->scenario;
    argv[n] = NULL;
    execvp(argv[0], argv);
    log_err(errno, "cannot start %s", script);
    return FT_EXIT_INFRA;
}
