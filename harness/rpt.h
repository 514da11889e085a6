/* Reports: every file under reports/<run-id>/ besides the evidence. Writes are atomic
 * (temporary file, then rename), so an interrupted run leaves readable reports. */
#ifndef FT_RPT_H
#define FT_RPT_H

#include "scn.h"
#include "sig.h"
#include "tc.h"

struct rpt_run {
    const char *dir;                  /* reports/<run-id> */
    const struct scn_scenario *scn;
    const struct tc_toolchain *tc;
    int runs_planned, runs_done;
    int runs_failed;                  /* runs the harness could not run (infrastructure) */
    double seconds;
    const char *tsan_options, *asan_options; /* as given to the children (allow-listed) */
};

/* rpt_write: summary.md, findings/<id>/report.md, report.json, junit.xml. 0 or FT_EIO (logged). */
int rpt_write(const struct rpt_run *run, const struct sig_findings *f);

/* rpt_write_text: text into path, atomically. */
int rpt_write_text(const char *path, const char *text, size_t len);

#endif
