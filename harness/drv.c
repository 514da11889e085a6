/* The commands' pipelines: validate, plan, run, collect, report. Every step lives in its
 * module; this file only orders them and turns their outcome into an exit status. */
#include "drv.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "evd.h"
#include "log.h"
#include "plan.h"
#include "py.h"
#include "rpt.h"
#include "run.h"
#include "san.h"
#include "scn.h"
#include "sig.h"
#include "symd.h"
#include "tc.h"

#define DRV__MAX_MSG (1 << 16)

static int
drv__exit_for(int rc)
{
    if (rc == FT_EUSAGE || rc == FT_ESCENARIO)
        return FT_EXIT_USAGE;
    return FT_EXIT_INFRA;
}

/* Validate: the scenario (with the command line's overrides) and the toolchain, or one message. */
static int
drv__load(const struct cli_opts *o, struct scn_scenario *s, struct tc_toolchain *tc)
{
    struct buf path, err;
    int rc;

    buf_init(&path, DRV__MAX_MSG);
    buf_init(&err, DRV__MAX_MSG);
    memset(s, 0, sizeof(*s));
    memset(tc, 0, sizeof(*tc));
    if ((rc = plan_scenario_path(o, &path, &err)) == 0 && (rc = scn_load(buf_cstr(&path), s, &err)) == 0) {
        if ((rc = plan_overrides(s, o, &err)) != 0 || (rc = tc_load(o->toolchain, tc, &err)) != 0)
            scn_free(s);
    }
    if (rc != 0)
        log_err(0, "%s", err.len ? buf_cstr(&err) : ft_strerror(rc));
    buf_free(&path);
    buf_free(&err);
    return rc;
}

/* The scenario's Python compiles, or nothing runs: a syntax error is the scenario's, not a
 * finding of every run. */
static int
drv__compile(const struct scn_scenario *s, const struct tc_toolchain *tc)
{
    struct buf err;
    int rc;

    buf_init(&err, DRV__MAX_MSG);
    if ((rc = py_check(s, tc->python, &err)) != 0)
        log_err(0, "%s", err.len ? buf_cstr(&err) : ft_strerror(rc));
    buf_free(&err);
    return rc;
}

struct drv__progress {
    const struct plan *plan;
    struct run_mode mode;
    struct sig_findings findings;
    long done, failed;
    int nomem;
    struct timespec t0;
    struct symd_stats symd; /* the symbolizer relay's counts, once the runs are over */
};

static double
drv__elapsed(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Findings so far that will count: races on the scenario's own data are set apart at the end. */
static size_t
drv__counted(const struct sig_findings *f)
{
    size_t n = 0;

    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].kind != SAN_SCENARIO_DATA;
    return n;
}

/* Collect, after each run: its evidence becomes findings at once, so the progress line counts
 * them. A run whose child says the harness failed did not run: an error, never a clean run. */
static void
drv__on_done(const struct run_result *r, const char *dir, void *arg)
{
    struct drv__progress *p = arg;
    const struct plan *plan = p->plan;
    struct san_reports reports;
    struct evd_status st;

    p->done++;
    san_reports_init(&reports);
    if ((r->exited && ft_exit_not_run(r->exit_code)) || evd_read_run(dir, &plan->symbols, &reports, &st) != 0) {
        p->failed++;
        log_err(0, "run %d failed to run (exit %d); see %s/stderr.txt", r->run, r->exit_code, dir);
    } else if (sig_resources(&plan->policy, &st, &reports) != 0 ||
               sig_add_run(&p->findings, &reports, r->run - 1, &plan->policy) != 0) {
        p->nomem = 1;
    }
    san_reports_free(&reports);
    fprintf(stderr, "\r[%s] runs %ld/%ld, findings %zu, %.1fs%s%s", plan->scn->name, p->done, plan->run.runs,
            drv__counted(&p->findings), drv__elapsed(&p->t0), plan->run.budget ? " of the budget" : "",
            p->done == plan->run.runs ? "\n" : "");
    fflush(stderr);
}

/* known/catalog.json applied to the findings (a missing catalog only means no "known" marks),
 * the races of one bug grouped (unless --group none: the hunt judges every signature by the
 * cases that showed it), the scenario's own bug marked, races on the scenario's own data set
 * apart. 0 or FT_ENOMEM. */
static int
drv__identify(const struct cli_opts *o, const struct scn_scenario *s, struct sig_findings *f)
{
    size_t len;
    char *text = evd_read_file(o->catalog, (size_t)1 << 22, &len);
    int rc;

    if (text != NULL && sig_apply_catalog(f, text, len) != 0)
        log_err(0, "%s: not a JSON list of known issues; findings are not matched against it", o->catalog);
    free(text);
    if ((!o->group || strcmp(o->group, "none") != 0) && (rc = sig_group_races(f)) != 0)
        return rc;
    sig_mark_bug(f, s);
    return sig_split_own(f);
}

/* One line per finding on stderr, and where the reports are. */
static void
drv__print_summary(const char *dir, const struct sig_findings *f, long runs)
{
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "  %s  %-20s %d/%ld runs  %s  [%s%s]\n", f->v[i].id, san_kind_slug(f->v[i].kind), f->v[i].runs_hit,
                runs, f->v[i].signature, f->v[i].known ? "known: " : "new", f->v[i].known ? f->v[i].known : "");
    for (size_t i = 0; i < f->n_own; i++)
        fprintf(stderr, "  %s  %-20s %d/%ld runs  %s  [not counted: %s]\n", f->own[i].id, san_kind_slug(f->own[i].kind),
                f->own[i].runs_hit, runs, f->own[i].signature, f->own[i].n_memory ? f->own[i].memory[0] : "the scenario's data");
    log_info("report: %s/summary.md", dir);
}

/* Report: the findings identified and written, reports/latest moved. The exit status. */
static int
drv__report(const struct cli_opts *o, const struct plan *plan, const char *dir, struct drv__progress *prog)
{
    struct rpt_run rpt = {.dir = dir, .scn = plan->scn, .tc = plan->tc, .runs_planned = (int)plan->run.runs,
                          .runs_done = (int)prog->done, .runs_failed = (int)prog->failed,
                          .seconds = drv__elapsed(&prog->t0), .tsan_options = plan->tsan_options,
                          .asan_options = plan->asan_options, .mode = &prog->mode, .budget = plan->run.budget,
                          .symbolizer = plan->symd[0] ? &prog->symd : NULL, .by_design = o->by_design};

    if (drv__identify(o, plan->scn, &prog->findings) != 0 || rpt_write(&rpt, &prog->findings) != 0 ||
        rpt_latest(o->reports, dir) != 0)
        return FT_EXIT_INFRA;
    drv__print_summary(dir, &prog->findings, prog->done);
    if (prog->findings.n)
        return FT_EXIT_FINDINGS;
    return prog->failed && prog->failed == prog->done ? FT_EXIT_INFRA : FT_EXIT_CLEAN;
}

/* Plan, run, collect, report, once the scenario and toolchain are valid. */
static int
drv__pipeline(const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc, const char *self)
{
    struct plan_env env = {.self = self};
    struct drv__progress prog = {0};
    struct run_result *results = NULL;
    struct rpt_dir d;
    struct plan plan = {0};
    struct symd symd = {0};
    struct buf err;
    int rc, status = FT_EXIT_INFRA;
    extern char **environ;

    env.environ = environ;
    buf_init(&err, DRV__MAX_MSG);
    sig_findings_init(&prog.findings);
    if ((rc = rpt_open(&d, o, s, tc)) != 0) {
        status = drv__exit_for(rc);
        goto out;
    }
    if ((rc = plan_make(&plan, o, s, tc, &env, d.path, d.supp, &err)) != 0) {
        log_err(0, "%s", buf_cstr(&err));
        goto out;
    }
    if (rpt_run_json(&d, &plan) != 0)
        goto out;
    prog.plan = &plan;
    clock_gettime(CLOCK_MONOTONIC, &prog.t0);
    if (plan.run.runs)
        log_info("%s: %ld runs of %ld threads x %ld iterations on CPython %s (%s), NumPy %s -> %s", s->name,
                 plan.run.runs, s->threads, s->iterations, tc->version, tc->sanitizer,
                 tc->numpy_version ? tc->numpy_version : "none", d.path);
    else
        log_info("%s: a run for each group of the tests, once collected, on CPython %s (%s), NumPy %s -> %s", s->name,
                 tc->version, tc->sanitizer, tc->numpy_version ? tc->numpy_version : "none", d.path);
    if (plan.symd[0] && symd_start(&symd, plan.symd, plan.symd_shim, plan.symbols.symbolizer) != 0)
        memset(&symd, 0, sizeof(symd)); /* the shims run the real symbolizer */
    rc = run_all(&plan.run, &results, drv__on_done, &prog, &prog.mode);
    symd_stop(&symd, &prog.symd);
    if (rc < 0 || prog.nomem)
        goto out;
    if (rc == 1)
        log_err(0, "interrupted: %ld of %ld runs finished; their evidence is in %s", prog.done, plan.run.runs,
                plan.evidence);
    if (prog.mode.budget_left && prog.done > 0)
        fputc('\n', stderr); /* the progress line did not end */
    if (prog.mode.budget_left)
        log_info("the budget (%ld s) was spent: %ld of %ld runs not started", plan.run.budget, prog.mode.budget_left,
                 plan.run.runs);
    status = drv__report(o, &plan, d.path, &prog);
out:
    free(results);
    sig_findings_free(&prog.findings);
    plan_free(&plan);
    rpt_close(&d);
    buf_free(&err);
    return status;
}

int
drv_run(const struct cli_opts *o)
{
    struct scn_scenario s;
    struct tc_toolchain tc;
    char self[PATH_MAX];
    ssize_t n;
    int status;

    /* Children are this very binary, by its real path: argv[0] may be relative or a link. */
    if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
        log_err(errno, "cannot find the harness binary");
        return FT_EXIT_INFRA;
    }
    self[n] = '\0';
    if ((status = drv__load(o, &s, &tc)) != 0)
        status = drv__exit_for(status);
    else if ((status = drv__compile(&s, &tc)) != 0)
        status = drv__exit_for(status);
    else
        status = drv__pipeline(o, &s, &tc, self);
    scn_free(&s); /* empty when loading failed */
    tc_free(&tc);
    /* make reports any failure as its own status 2: say which one it was. */
    log_info("exit status %d: %s", status,
             status == FT_EXIT_CLEAN      ? "clean"
             : status == FT_EXIT_FINDINGS ? "findings"
             : status == FT_EXIT_USAGE    ? "usage or scenario error"
                                          : "infrastructure failure");
    return status;
}

/* A child's side: a run's process (`harness child`), or the fork server (`harness server`) that
 * forks them, on the scenario and toolchain the supervisor names. */
static int
drv__child_side(const struct cli_opts *o, int serve)
{
    struct scn_scenario s;
    struct tc_toolchain tc;
    struct py_job job;
    int rc;

    if ((rc = drv__load(o, &s, &tc)) != 0)
        return drv__exit_for(rc);
    job = (struct py_job){.scn = &s, .python = tc.python, .dir = o->dir, .seed = (unsigned long)o->seed,
                          .run = serve ? 0 : (int)o->run};
    rc = serve ? py_serve(&job, RUN_CONTROL_FD) : py_run(&job);
    scn_free(&s);
    tc_free(&tc);
    return rc;
}

int
drv_child(const struct cli_opts *o)
{
    return drv__child_side(o, 0);
}

int
drv_serve(const struct cli_opts *o)
{
    return drv__child_side(o, 1);
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
        struct scn_scenario s;
        struct buf path, err;

        buf_init(&path, DRV__MAX_MSG);
        buf_init(&err, DRV__MAX_MSG);
        if (buf_printf(&path, "%s/%s", o->scenarios, names[i]->d_name) != 0) {
            log_err(0, "%s/%s: the path is over 64 KiB", o->scenarios, names[i]->d_name);
            status = FT_EXIT_USAGE;
        } else if (scn_load(buf_cstr(&path), &s, &err) == 0) {
            printf("%-20s %s\n", s.name, s.summary ? s.summary : "");
            scn_free(&s);
        } else {
            log_err(0, "%s", buf_cstr(&err));
            status = FT_EXIT_USAGE;
        }
        buf_free(&path);
        buf_free(&err);
        free(names[i]);
    }
    free(names);
    return status;
}

int
drv_keys(const struct cli_opts *o)
{
    struct buf b;
    int rc;

    (void)o;
    buf_init(&b, 1 << 16);
    rc = scn_keys_help(&b);
    fputs(buf_cstr(&b), stdout);
    buf_free(&b);
    return rc ? FT_EXIT_INFRA : FT_EXIT_CLEAN;
}
