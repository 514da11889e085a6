/* Findings that are one bug become one (races of one memory, entries of one known issue), and
 * the one rule for "this finding is that bug": a kind, and strings its signature contains. */
#include "sig_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int
sig__int_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* b into a, same known issue and kind: runs as a union, b's signature kept in a->also. */
static int
sig__absorb(struct sig_finding *a, struct sig_finding *b)
{
    int *runs = malloc((size_t)(a->runs_hit + b->runs_hit) * sizeof(*runs));
    char **also = realloc(a->also, (a->n_also + 1 + b->n_also) * sizeof(*also));
    int n = 0, i = 0, j = 0;

    if (runs == NULL || also == NULL) {
        free(runs);
        if (also)
            a->also = also;
        return FT_ENOMEM;
    }
    /* Runs end in any order (several at once): sorted here, merged below. */
    qsort(a->runs, (size_t)a->runs_hit, sizeof(*a->runs), sig__int_cmp);
    qsort(b->runs, (size_t)b->runs_hit, sizeof(*b->runs), sig__int_cmp);
    while (i < a->runs_hit || j < b->runs_hit) {
        int r = j >= b->runs_hit || (i < a->runs_hit && a->runs[i] <= b->runs[j]) ? a->runs[i++] : b->runs[j++];

        if (n == 0 || runs[n - 1] != r)
            runs[n++] = r;
    }
    free(a->runs);
    a->runs = runs;
    a->runs_hit = n;
    a->occurrences += b->occurrences;
    a->also = also;
    a->also[a->n_also++] = b->signature;
    b->signature = NULL;
    for (size_t k = 0; k < b->n_also; k++)
        a->also[a->n_also++] = b->also[k];
    b->n_also = 0;
    return sig__add_strs(&a->memory, &a->n_memory, b->memory, b->n_memory, NULL, NULL) ||
                   sig__add_strs(&a->roles, &a->n_roles, b->roles, b->n_roles, NULL, NULL) ||
                   sig__add_strs(&a->tests, &a->n_tests, b->tests, b->n_tests, NULL, NULL)
               ? FT_ENOMEM
               : 0;
}

/* Drops f->v[j] after it was absorbed. */
static void
sig__drop(struct sig_findings *f, size_t j)
{
    sig__finding_free(&f->v[j]);
    memmove(&f->v[j], &f->v[j + 1], (f->n - j - 1) * sizeof(f->v[j]));
    f->n--;
}

static int
sig__merge_known(struct sig_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = i + 1; j < f->n;) {
            struct sig_finding *a = &f->v[i], *b = &f->v[j];

            if (!a->known || !b->known || strcmp(a->known, b->known) != 0 || a->kind != b->kind) {
                j++;
                continue;
            }
            if (sig__absorb(a, b) != 0)
                return FT_ENOMEM;
            sig__drop(f, j);
        }
    return 0;
}

/* The two racing frames of a data-race signature "data-race: A <> B", into a and b. */
static void
sig__race_frames(const char *sig, char *a, char *b, size_t n)
{
    const char *p = strncmp(sig, "data-race: ", 11) == 0 ? sig + 11 : sig, *sep = strstr(p, " <> ");

    snprintf(a, n, "%.*s", sep ? (int)(sep - p) : (int)strlen(p), p);
    snprintf(b, n, "%s", sep ? sep + 4 : "");
}

/* Whether two data-race findings are one bug: a racing frame or a memory key in common. */
static int
sig__same_bug(const struct sig_finding *x, const struct sig_finding *y)
{
    char xa[512], xb[512], ya[512], yb[512];

    for (size_t i = 0; i < x->n_memory; i++)
        for (size_t j = 0; j < y->n_memory; j++)
            if (strcmp(x->memory[i], y->memory[j]) == 0)
                return 1;
    sig__race_frames(x->signature, xa, xb, sizeof(xa));
    sig__race_frames(y->signature, ya, yb, sizeof(ya));
    return (xa[0] && (strcmp(xa, ya) == 0 || strcmp(xa, yb) == 0)) || (xb[0] && (strcmp(xb, ya) == 0 || strcmp(xb, yb) == 0));
}

/* The finding a group is named after: a known one, else the first signature in sort order. */
static int
sig__leads(const struct sig_finding *x, const struct sig_finding *y)
{
    if ((x->known != NULL) != (y->known != NULL))
        return x->known != NULL;
    return strcmp(x->signature, y->signature) < 0;
}

int
sig_group_races(struct sig_findings *f)
{
    int merged = 1;

    /* Pairwise until nothing joins: a chain a~b~c joins through b whatever the order. */
    while (merged) {
        merged = 0;
        for (size_t i = 0; i < f->n && !merged; i++)
            for (size_t j = i + 1; j < f->n && !merged; j++) {
                struct sig_finding *a = &f->v[i], *b = &f->v[j], tmp;

                if (a->kind != SAN_DATA_RACE || b->kind != SAN_DATA_RACE || !sig__same_bug(a, b) ||
                    (a->known && b->known && strcmp(a->known, b->known) != 0))
                    continue;
                if (sig__leads(b, a)) { /* the lead stays at i, where the earlier finding was */
                    tmp = *a;
                    *a = *b;
                    *b = tmp;
                }
                if (sig__absorb(a, b) != 0)
                    return FT_ENOMEM;
                sig__drop(f, j);
                merged = 1;
            }
    }
    return 0;
}

/* Whether every string of match is in sig. */
static int
sig__contains_all(const char *sig, const char *const *match, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (match[i] == NULL || strstr(sig, match[i]) == NULL)
            return 0;
    return 1;
}

int
sig_matches(const struct sig_finding *x, const char *kind, const char *const *match, size_t n)
{
    if (kind && strcmp(kind, san_kind_slug(x->kind)) != 0)
        return 0;
    if (sig__contains_all(x->signature, match, n))
        return 1;
    for (size_t i = 0; i < x->n_also; i++)
        if (sig__contains_all(x->also[i], match, n))
            return 1;
    return 0;
}

void
sig_mark_bug(struct sig_findings *f, const struct scn_scenario *s)
{
    for (size_t k = 0; k < f->n; k++) {
        f->v[k].bug = 0;
        for (size_t i = 0; i < s->n_expect && !f->v[k].bug; i++) {
            const struct scn_expect *e = &s->expect[i];
            const char *m = e->match;

            f->v[k].bug = strcmp(e->outcome, "found") == 0 && sig_matches(&f->v[k], e->kind, &m, m ? 1 : 0);
        }
    }
}

/* Whether any of x's signatures contains any of the entry's "except" strings. */
static int
sig__excepted(const struct sig_finding *x, json_t *except)
{
    json_t *m;
    size_t j;

    json_array_foreach(except, j, m) {
        const char *s = json_string_value(m);

        if (s == NULL)
            continue;
        if (strstr(x->signature, s))
            return 1;
        for (size_t i = 0; i < x->n_also; i++)
            if (strstr(x->also[i], s))
                return 1;
    }
    return 0;
}

/* known/catalog.json: [{"id": "numpy#28881", "url": ..., "kind": "data-race",
 * "match": ["from_dlpack"], "except": [...], "fixed_in": "numpy 2.2.6"}, ...]. A finding is that
 * known issue when sig_matches it (its kind is the entry's, its signature contains every "match"
 * string) and none of its signatures contains an "except" string: a racing pair that is the bug
 * unless the other thread was doing what the library leaves to its caller (array_shape_set). */
int
sig_apply_catalog(struct sig_findings *f, const char *json_text, size_t len)
{
    json_error_t je;
    json_t *cat = json_loadb(json_text, len, 0, &je), *e;
    size_t i;

    if (!json_is_array(cat)) {
        json_decref(cat);
        return FT_EIO;
    }
    for (size_t k = 0; k < f->n; k++) {
        struct sig_finding *x = &f->v[k];

        json_array_foreach(cat, i, e) {
            json_t *m, *match = json_object_get(e, "match");
            const char *kind = json_string_value(json_object_get(e, "kind")), *strs[16];
            size_t j, n = json_array_size(match);

            if (x->known || !kind || n == 0 || n > 16)
                continue;
            json_array_foreach(match, j, m)
                strs[j] = json_string_value(m);
            if (!sig_matches(x, kind, strs, n) || sig__excepted(x, json_object_get(e, "except")))
                continue;
            x->known = strdup(json_string_value(json_object_get(e, "id")) ? json_string_value(json_object_get(e, "id")) : "?");
            if (json_string_value(json_object_get(e, "url")))
                x->known_url = strdup(json_string_value(json_object_get(e, "url")));
            if (json_string_value(json_object_get(e, "fixed_in")))
                x->fixed_in = strdup(json_string_value(json_object_get(e, "fixed_in")));
        }
    }
    json_decref(cat);
    return sig__merge_known(f);
}

int
sig_split_own(struct sig_findings *f)
{
    size_t keep = 0, own = 0;
    struct sig_finding *v;

    for (size_t i = 0; i < f->n; i++)
        own += f->v[i].kind == SAN_SCENARIO_DATA;
    if (own == 0)
        return 0;
    if ((v = realloc(f->own, (f->n_own + own) * sizeof(*v))) == NULL)
        return FT_ENOMEM;
    f->own = v;
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].kind == SAN_SCENARIO_DATA)
            f->own[f->n_own++] = f->v[i];
        else
            f->v[keep++] = f->v[i];
    }
    f->n = keep;
    return 0;
}
