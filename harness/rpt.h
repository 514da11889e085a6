/* Reports: every file under reports/<run-id>/ besides the evidence, and reports/latest (names in
 * layout.h). Writes are atomic (temporary file, then rename), so an interrupted run leaves
 * readable reports. */
#ifndef FT_RPT_H
#define FT_RPT_H

#include <jansson.h>

#include "opts.h"
#include "plan.h"
#include "scn.h"
#include "sig.h"
#include "symd.h"
#include "tc.h"

/* reports/<run>/ as it is before the runs. */
struct rpt_dir {
    char *path; /* reports/<run> */
    char *supp; /* its suppressions.txt, or NULL when no rule applies */
};

/* rpt_open: a new reports/<UTC time>-<name>[-N] (or --run-id's name) with the merged
 * suppressions.txt and an empty evidence/. 0, FT_EIO, FT_ETOOBIG or FT_EUSAGE (a bad
 * suppression file), logged. */
int rpt_open(struct rpt_dir *d, const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc);
void rpt_close(struct rpt_dir *d);

/* rpt_run_json: run.json, the plan as the tools read it (scenario, overrides, seed, toolchain). */
int rpt_run_json(const struct rpt_dir *d, const struct plan *p);

/* rpt_latest: reports/latest -> dir, swapped in with one rename. 0 or FT_EIO (logged). */
int rpt_latest(const char *reports, const char *dir);

struct rpt_run {
    const char *dir;                  /* reports/<run-id> */
    const struct scn_scenario *scn;
    const struct tc_toolchain *tc;
    int runs_planned, runs_done;
    long budget;                      /* --budget seconds, 0: none (mode->budget_left: runs it left) */
    int runs_failed;                  /* runs the harness could not run (infrastructure) */
    double seconds;
    const char *tsan_options, *asan_options; /* as given to the children (allow-listed) */
    const struct run_mode *mode;      /* how the runs got their processes */
    const struct symd_stats *symbolizer; /* the runs' symbolizer relay, NULL when they had none */
    const char *by_design;            /* how the roles break a library's contract (--by-design), or NULL */
};

/* rpt_write: summary.md, findings/<id>/report.md, report.json, junit.xml. 0 or an error (logged):
 * a text over its bound is an error, never a file cut short. */
int rpt_write(const struct rpt_run *run, const struct sig_findings *f);

/* rpt_write_text: text into path, atomically. */
int rpt_write_text(const char *path, const char *text, size_t len);

/* pytest mode (rpt_tests.c): each test's outcome, as report.json's "tests" (new reference) and as
 * summary.md's lines. */
json_t *rpt_tests_json(const struct sig_findings *f);
int rpt_tests_md(struct buf *b, const struct sig_findings *f);

/* One finding as report.json writes it (new reference). */
json_t *rpt_finding_json(const struct sig_finding *x);

/* Races on the data the scenario itself shares (rpt_own.c): report.json's "scenario_data_races"
 * (new reference) and summary.md's section; never among the findings. */
json_t *rpt_own_json(const struct sig_findings *f);
void rpt_own_md(struct buf *b, const struct sig_findings *f, int runs);

#endif
