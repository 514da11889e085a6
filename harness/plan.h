/* The plan of one `harness run`: the scenario with the command line's overrides, and the
 * toolchain, turned into everything the runs need, decided before the first run starts and
 * never changed after: the children's command line and environment (with the sanitizer
 * options, where the user's value always wins), where unsymbolized modules are looked for,
 * the limits, and what counts as a finding. No I/O beyond reading its inputs. */
#ifndef FT_PLAN_H
#define FT_PLAN_H

#include "buf.h"
#include "opts.h"
#include "evd.h"
#include "run.h"
#include "scn.h"
#include "sig.h"
#include "tc.h"

struct plan {
    const struct scn_scenario *scn; /* borrowed, overrides applied (plan_overrides) */
    const struct tc_toolchain *tc;  /* borrowed */
    char *self;                     /* the harness binary: the children are this binary */
    char *evidence;                 /* reports/<run>/evidence */
    char **argv, **envp;            /* the children's; {dir}, {run}, {seed} filled in per run */
    char **server_argv;             /* the fork server's (process: fork), or NULL */
    const char *tsan_options;       /* the values in envp, for the reports */
    const char *asan_options;
    char **search;                  /* where unsymbolized modules are looked for, NULL-terminated */
    struct evd_symbols symbols;     /* the toolchain's symbolizer and search */
    int coverage;                   /* the toolchain's code writes the edges it reached (COVERAGE=1) */
    char symd[64];                  /* the symbolizer relay's name (symd.h), "" when the runs have none */
    char *symd_shim;                /* the shim the runs are given, which is the relay too */
    struct run_plan run;            /* what the supervisor gets: argv, envp, runs, jobs, timeout, seed */
    struct sig_policy policy;       /* checks: forbidden events, resource limits */
};

/* The environment a plan is made from: the harness's own, or a test's. */
struct plan_env {
    char *const *environ;
    const char *self; /* the harness binary's real path */
};

/* plan_overrides: the command line's --threads, --iterations, --runs, --timeout, --process into
 * s. 0, or FT_EUSAGE with the message in *err (--threads for a scenario with roles). */
int plan_overrides(struct scn_scenario *s, const struct cli_opts *o, struct buf *err);

/* plan_scenario_path: a scenario argument is a path when it names a file (has a '/' or ends in
 * .yaml), else a name under --scenarios. 0, or FT_EUSAGE with the message in *err. */
int plan_scenario_path(const struct cli_opts *o, struct buf *out, struct buf *err);

/* plan_make: the plan of a run into *p, whose reports go to dir (existing); supp is the merged
 * suppression file or NULL. 0, or FT_ENOMEM / FT_ETOOBIG with the message in *err; *p is
 * then empty. */
int plan_make(struct plan *p, const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc,
              const struct plan_env *env, const char *dir, const char *supp, struct buf *err);
void plan_free(struct plan *p);

/* plan_san_options: "VAR=" the user's options, then each of ours whose key the user did not
 * set (options are NAME=VALUE separated by ':', spaces or commas, as the runtimes read them).
 * 0, FT_ENOMEM or FT_ETOOBIG. */
int plan_san_options(struct buf *b, const char *var, const char *user, const char *const *ours);

/* plan_sanitizer_options: the one home of the sanitizer options of a process whose evidence is
 * kept: "TSAN_OPTIONS=..." into tsan and "ASAN_OPTIONS=..." into asan, each the user's options
 * (user_tsan, user_asan; may be NULL) then ours whose key the user did not set: reports into
 * dir (LAYOUT_TSAN_LOG, LAYOUT_ASAN_LOG; none when dir is NULL), every report and not only the
 * first, both stacks of a deadlock, the suppressions used, no leak checking, ASan's abort
 * handled, the suppression file supp and the symbolizer sym (each may be NULL), and with
 * coverage the edges the process reached into dir too (the runtime's <module>.<pid>.sancov, for
 * a toolchain whose code was built with COVERAGE=1). The harness's runs get them with dir
 * "{dir}"; `scntool sanopts` prints them for the Python tools' plain programs. 0, FT_ENOMEM or
 * FT_ETOOBIG. */
int plan_sanitizer_options(struct buf *tsan, struct buf *asan, const char *user_tsan, const char *user_asan,
                           const char *dir, const char *supp, const char *sym, int coverage);

#endif
