/* What a report is attributed to besides its frames: the roles of the threads that raced (their
 * names, given by the scenario's `roles`) and the test they ran (pytest mode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"

/* The name TSan gave thread Tn in this report ("  Thread T1 'writer' (tid=..."), main for the
 * main thread, or NULL when the thread has no name. */
static const char *
sig__thread_name(const char *raw, const char *label, size_t *len)
{
    const char *t = strstr(label, " by thread T"), *p, *q;
    char want[40];
    long n;

    if (strstr(label, " by main thread")) {
        *len = 4;
        return "main";
    }
    if (t == NULL || raw == NULL)
        return NULL;
    n = strtol(t + 12, NULL, 10);
    snprintf(want, sizeof(want), "Thread T%ld '", n);
    for (p = strstr(raw, want); p; p = strstr(p + 1, want))
        if ((p == raw || p[-1] == ' ') && (q = strchr(p + strlen(want), '\'')) != NULL) {
            *len = (size_t)(q - p - strlen(want));
            return p + strlen(want);
        }
    return NULL;
}

void
sig_roles(const struct san_report *r, char *out, size_t n)
{
    const char *name[2];
    size_t len[2], k = 0, named = 0;

    out[0] = '\0';
    for (size_t i = 0; i < r->n_stacks && k < 2; i++) {
        const char *label = r->stacks[i].label;

        if (label == NULL || strncmp(label, "Location", 8) == 0 || strstr(label, "created by") != NULL ||
            (strstr(label, " by thread T") == NULL && strstr(label, " by main thread") == NULL))
            continue;
        if ((name[k] = sig__thread_name(r->raw, label, &len[k])) == NULL) {
            name[k] = "?";
            len[k] = 1;
        }
        named += strcmp(name[k], "?") != 0 && strcmp(name[k], "main") != 0;
        k++;
    }
    if (named == 0)
        return; /* no role named: nothing to say */
    /* In a stable order, as the signature's frames are: one pair, whichever access came first. */
    if (k == 2 && strncmp(name[0], name[1], len[0] < len[1] ? len[0] : len[1]) > 0) {
        const char *t = name[0];
        size_t l = len[0];

        name[0] = name[1], len[0] = len[1], name[1] = t, len[1] = l;
    }
    if (k == 1 || (size_t)snprintf(out, n, "%.*s <> %.*s", (int)len[0], name[0], (int)len[1], name[1]) >= n)
        snprintf(out, n, "%.*s", (int)len[0], name[0]);
}
