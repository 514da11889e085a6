/* Races on the data the scenario itself shares (sig_findings.own, see san_mark_shared): shown
 * apart in summary.md and report.json, never counted as findings, so the races a scenario makes
 * by design (threads writing the elements of one array) never drown the library's own. */
#include "rpt.h"
#include "san.h"

json_t *
rpt_own_json(const struct sig_findings *f)
{
    json_t *a = json_array();

    for (size_t i = 0; i < f->n_own; i++)
        json_array_append_new(a, rpt_finding_json(&f->own[i]));
    return a;
}

void
rpt_own_md(struct buf *b, const struct sig_findings *f, int runs)
{
    if (f->n_own == 0)
        return;
    buf_puts(b, "Races on the scenario's own data (not findings: the threads share these arrays by the scenario's "
                "design, and the race is on their elements, not on the library's state):\n\n"
                "| id | signature | memory | roles | runs hit |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < f->n_own; i++) {
        const struct sig_finding *x = &f->own[i];

        buf_printf(b, "| [%s](findings/%s/report.md) | `%s` | ", x->id, x->id, x->signature);
        for (size_t k = 0; k < x->n_memory; k++)
            buf_printf(b, "%s%s", k ? "; " : "", x->memory[k]);
        buf_puts(b, " | ");
        for (size_t k = 0; k < x->n_roles; k++)
            buf_printf(b, "%s%s", k ? "; " : "", x->roles[k]);
        buf_printf(b, " | %d/%d |\n", x->runs_hit, runs);
    }
    buf_puts(b, "\n");
}
