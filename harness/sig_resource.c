/* Resource limits as findings: a run over checks.max_rss_mb, max_vm_mb or max_threads. */
#include "sig.h"

#include <stdio.h>

/* A memory limit breached: the figures, and what the threads cost. Threads alive after setup
 * besides the main one were started by a library on import (OpenBLAS starts its pool then)
 * and fill their buffers in the body: the growth is per such thread; without a pool, per
 * worker thread. */
static int
sig__memory(const struct sig_policy *p, const struct evd_status *st, struct san_reports *out, const char *what,
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
                 (double)grew / (double)(pool > 0 ? pool : p->threads), pool > 0 ? "library (e.g. BLAS)" : "worker");
    return san_add_resource(out, title, detail);
}

int
sig_resources(const struct sig_policy *p, const struct evd_status *st, struct san_reports *out)
{
    char detail[256];
    int rc = 0;

    if (p->max_rss_mb && st->maxrss_kb / 1024 > p->max_rss_mb)
        rc = sig__memory(p, st, out, "RSS", "max_rss_mb", st->maxrss_kb, st->setup_rss_kb, p->max_rss_mb);
    if (rc == 0 && p->max_vm_mb && st->peak_vm_kb / 1024 > p->max_vm_mb)
        rc = sig__memory(p, st, out, "virtual memory", "max_vm_mb", st->peak_vm_kb, st->setup_vm_kb, p->max_vm_mb);
    if (rc == 0 && p->max_threads && st->peak_threads > p->max_threads) {
        snprintf(detail, sizeof(detail), "peak %ld threads, limit %ld (checks.max_threads)", st->peak_threads,
                 p->max_threads);
        rc = san_add_resource(out, "thread count over checks.max_threads", detail);
    }
    return rc;
}
