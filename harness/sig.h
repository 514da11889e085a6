/* Signatures and dedup: which parsed reports are the same bug. Frame noise rules, component
 * attribution, one signature per report kind, findings counted across runs. No I/O. */
#ifndef FT_SIG_H
#define FT_SIG_H

#include <jansson.h>
#include <stddef.h>

#include "evd.h"
#include "san.h"
#include "scn.h"

struct sig_finding {
    char id[16];              /* 12 hex digits of the signature's hash */
    enum san_kind kind;
    char *signature;          /* e.g. "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)" */
    char *component;          /* where the top meaningful frame lives: numpy, cpython, racy_gil ... */
    char *title;              /* the first report's title */
    int runs_hit;             /* distinct runs it appeared in */
    int occurrences;          /* reports, all runs */
    int last_run;
    int *runs;                /* the runs it appeared in (runs_hit of them), in the order they ended */
    char **also;              /* other signatures of the same bug, merged into this one */
    size_t n_also;
    char **memory;            /* data races: what memory they were on ("global 'x'", "heap block from f (a.c)") */
    size_t n_memory;
    char **roles;             /* data races: the racing threads' roles, "writer <> reader" (sig_roles) */
    size_t n_roles;
    char **tests;             /* the tests it was seen in (pytest mode), node ids */
    size_t n_tests;
    int example_run;          /* the run of the example report */
    struct san_report example; /* a copy of the first report seen (owned) */
    char *known;              /* catalog id ("numpy#28881") or NULL */
    char *known_url;
    char *fixed_in;           /* "numpy 2.2.6" or NULL */
    int bug;                  /* it is the scenario's bug, as its `expect: outcome: found` entries say */
};

struct sig_findings {
    struct sig_finding *v;    /* the findings: what a report counts and judges */
    size_t n;
    struct sig_finding *own;  /* races on the data the scenario itself shares (sig_split_own):
                               * shown, never counted as findings */
    size_t n_own;
    long suppressed;          /* sanitizer reports matched by a suppression, all runs */
    char **supp_rules;        /* and by rule */
    long *supp_counts;
    size_t n_supp;
    char **gil_modules;       /* modules that would have re-enabled the GIL, unique */
    size_t n_gil;
    char **tests;             /* pytest mode: "outcome\tnodeid\treason" of every test run, unique */
    size_t n_tests;
};

/* What counts as a finding besides sanitizer reports and crashes: the scenario's checks. */
struct sig_policy {
    unsigned forbid;          /* enum scn_event bits: process events of these classes count */
    long threads;             /* worker threads, for the per-thread memory figure */
    long max_rss_mb, max_vm_mb, max_threads; /* resource limits per run; 0: none */
};

void sig_findings_init(struct sig_findings *f);
void sig_findings_free(struct sig_findings *f);

/* sig_add_run: fold one run's reports into the findings. 0 or FT_ENOMEM. */
int sig_add_run(struct sig_findings *f, const struct san_reports *r, int run, const struct sig_policy *p);

/* sig_signature: the signature of one report into out; its component into comp (may be NULL).
 * 0, or FT_ENOTFOUND when the report has nothing to sign (no meaningful frame and no title). */
int sig_signature(const struct san_report *r, char *out, size_t n, char *comp, size_t compn);

/* sig_frame_is_noise: 1 when a frame is sanitizer runtime, libc, interpreter call plumbing or
 * the harness itself; why gets the rule's reason. */
int sig_frame_is_noise(const struct san_frame *f, const char **why);

/* sig_component: the component a frame belongs to ("numpy", "cpython", "libc", a module name). */
const char *sig_component(const struct san_frame *f, char *buf, size_t n);

/* Known issues: the catalog (JSON text, see known/catalog.json) applied to every finding. The
 * same bug reached from several code points (a race on a tuple seen where it is filled and
 * where it is read) gives several signatures; findings of one known issue and kind become one,
 * the first keeping its signature and listing the others in `also`, runs counted once. */
int sig_apply_catalog(struct sig_findings *f, const char *json_text, size_t len);

/* sig_group_races: one bug, one finding. TSan prints a report per pair of racing accesses, so
 * one unsynchronised lazy initialisation gives several signatures (the fill against each read).
 * Data-race findings on the same memory (the same global, or heap blocks allocated at the same
 * place) or sharing a racing frame become one: the group's first signature in sort order keeps
 * its id (stable across runs and machines as long as that pair is seen), the others are listed
 * in `also`; a known issue keeps its own signature, and two different known issues never join.
 * Call after sig_apply_catalog. 0 or FT_ENOMEM. */
int sig_group_races(struct sig_findings *f);

/* sig_matches: THE rule for "this finding is that bug", used for the catalog and for a
 * scenario's expectations: kind (NULL: any) is the finding's, and its signature, or one of the
 * signatures it absorbed, contains every string of match (n of them; none: any). */
int sig_matches(const struct sig_finding *x, const char *kind, const char *const *match, size_t n);

/* sig_mark_bug: x->bug for every finding: whether it matches one of the scenario's `expect:`
 * entries with outcome found (their kind and match). Call after sig_group_races. */
void sig_mark_bug(struct sig_findings *f, const struct scn_scenario *s);

/* sig_split_own: scenario-data-race findings moved from f->v to f->own, in order; what is
 * left in f->v is what counts. Call last, after sig_mark_bug. 0 or FT_ENOMEM. */
int sig_split_own(struct sig_findings *f);

/* sig_resources: the policy's resource limits against what the supervisor measured of one run
 * (st); a breach becomes a resource report in *out, with what the threads cost. 0 or FT_ENOMEM. */
int sig_resources(const struct sig_policy *p, const struct evd_status *st, struct san_reports *out);

/* sig_roles: the roles of a data race's two accesses, from the names TSan gives their threads:
 * "writer <> reader" ("main" for the main thread); "" when no role is named. */
void sig_roles(const struct san_report *r, char *out, size_t n);

/* sig_memory: the memory key of one data-race report into out ("" when TSan did not say). */
void sig_memory(const struct san_report *r, char *out, size_t n);

/* sig_waits: why the threads of a hung run wait, from the native stacks attached to its hang
 * report: {"summary": "...", "deadlock": bool, "threads": [{"thread", "worker", "state", "in",
 * "waits_for"}]} (sig_wait.c). A new reference, NULL only when out of memory. */
json_t *sig_waits(const struct san_report *r);

#endif
