/* Cython's generated C named as its authors wrote it (see cython.h). */
#include "cython.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "evd.h"

#define CYTHON__MAP_MAX ((size_t)1 << 24) /* bytes of one map file */
#define CYTHON__FILES 64                   /* generated files mapped in one reading */

static const char *
cython__base(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

/* The module's base name of a generated file: "bit_generator" of ".../bit_generator.pyx.c"
 * (NumPy's meson names), "_pywt" of ".../_pywt.c" (Cython's own name, which pandas' and
 * PyWavelets' builds keep). A .c file is Cython's only when the function's mangled module path
 * ends in its stem (cython_name checks). */
static int
cython__stem(const char *file, char *out, size_t n)
{
    const char *b = file ? cython__base(file) : NULL;
    size_t len = b ? strlen(b) : 0, cut;

    if (len > 6 && strcmp(b + len - 6, ".pyx.c") == 0)
        cut = 6;
    else if (len > 2 && strcmp(b + len - 2, ".c") == 0)
        cut = 2;
    else
        return 0;
    if (len - cut >= n)
        return 0;
    memcpy(out, b, len - cut);
    out[len - cut] = '\0';
    return 1;
}

/* A length-prefixed token of Cython's name mangling at *p ("13bit_generator"): its text and
 * length, *p moved past it. 0 when *p is not one. */
static int
cython__token(const char **p, const char **tok, size_t *len)
{
    char *end;
    unsigned long d;

    if (!isdigit((unsigned char)**p))
        return 0;
    d = strtoul(*p, &end, 10);
    if (d == 0 || d > 200 || strnlen(end, d) < d)
        return 0;
    *tok = end;
    *len = d;
    *p = end + d;
    return 1;
}

int
cython_name(const char *function, const char *file, char *out, size_t n)
{
    /* def functions (pf, pw) carry a counter before their name; a property's getter and setter
     * slots (getprop, setprop) are its accessors */
    static const struct {
        const char *prefix, *accessor;
        int counted;
    } kinds[] = {{"__pyx_pf_", NULL, 1}, {"__pyx_pw_", NULL, 1}, {"__pyx_f_", NULL, 0},
                 {"__pyx_getprop_", "__get__", 0}, {"__pyx_setprop_", "__set__", 0}};
    const char *p = NULL, *tok, *cls = NULL, *name, *end, *slot = NULL, *acc;
    size_t len, cls_len = 0, i, name_len;
    char stem[256];
    int counted = 0;

    if (function == NULL || !cython__stem(file, stem, sizeof(stem)))
        return 0;
    for (i = 0; i < sizeof(kinds) / sizeof(*kinds) && !p; i++)
        if (strncmp(function, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
            p = function + strlen(kinds[i].prefix);
            counted = kinds[i].counted;
            slot = kinds[i].accessor;
        }
    if (p == NULL)
        return 0;
    /* the module's dotted path, up to the generated file's own name */
    for (;;) {
        if (!cython__token(&p, &tok, &len) || *p != '_')
            return 0;
        p++;
        if (len == strlen(stem) && strncmp(tok, stem, len) == 0)
            break;
    }
    /* a class, when a length-prefixed token is followed by '_' and what a member starts with */
    {
        const char *q = p;

        if (cython__token(&q, &tok, &len) && *q == '_' &&
            (!counted || isdigit((unsigned char)q[1]) || q[1] == '_')) {
            cls = tok;
            cls_len = len;
            p = q + 1;
        }
    }
    if (counted)
        while (isdigit((unsigned char)*p))
            p++;
    name = p;
    name_len = strlen(p);
    if (name_len == 0)
        return 0;
    /* properties: ctypes___get__ (pf) or ctypes_1__get__ (pw) is ctypes.__get__ */
    end = name + name_len;
    acc = slot;
    if (name_len > 7 && (strcmp(end - 7, "__get__") == 0 || strcmp(end - 7, "__set__") == 0 ||
                         strcmp(end - 7, "__del__") == 0)) {
        const char *q = end - 7;

        while (q > name && isdigit((unsigned char)q[-1]))
            q--;
        if (q > name + 1 && q[-1] == '_') {
            acc = end - 7;
            name_len = (size_t)(q - 1 - name);
        }
    }
    if (cls)
        snprintf(out, n, "%.*s.%.*s%s%s", (int)cls_len, cls, (int)name_len, name, acc ? "." : "", acc ? acc : "");
    else
        snprintf(out, n, "%.*s%s%s", (int)name_len, name, acc ? "." : "", acc ? acc : "");
    return 1;
}

void
cython_signature(const char *sig, char *out, size_t n)
{
    const char *p = sig, *hit;
    size_t o = 0;

    if (n == 0)
        return;
    out[0] = '\0';
    /* every "NAME (file.pyx.c)" or "NAME (file.c)": NAME is the word before " (", which
     * Cython's names never split; renamed, the file reads as its .pyx */
    while ((hit = strstr(p, ".c)")) != NULL) {
        const char *open = hit, *word, *close = hit + 2;
        char file[256], fn[512], name[512];
        int pyx;

        while (open > p && *open != '(')
            open--;
        if (*open != '(' || open - p < 2 || open[-1] != ' ') {
            snprintf(out + o, n - o, "%.*s", (int)(close + 1 - p), p);
            o += strlen(out + o);
            p = close + 1;
            continue;
        }
        word = open - 1;
        while (word > p && word[-1] != ' ')
            word--;
        snprintf(file, sizeof(file), "%.*s", (int)(close - open - 1), open + 1);
        snprintf(fn, sizeof(fn), "%.*s", (int)(open - 1 - word), word);
        pyx = hit - open - 1 >= 4 && strncmp(hit - 4, ".pyx", 4) == 0;
        if (cython_name(fn, file, name, sizeof(name)))
            snprintf(out + o, n - o, "%.*s%s (%.*s%s)", (int)(word - p), p, name, (int)(hit - open - 1), open + 1,
                     pyx ? "" : ".pyx");
        else
            snprintf(out + o, n - o, "%.*s", (int)(close + 1 - p), p);
        o += strlen(out + o);
        p = close + 1;
        if (o + 1 >= n)
            return;
    }
    snprintf(out + o, n - o, "%s", p);
}

/* One generated file's map: its .pyx path, and (C line, .pyx line) pairs in C line order. */
struct cython__map {
    char base[256];
    char *pyx; /* NULL: no map for this file */
    int *pairs;
    size_t n;
};

static void
cython__map_load(struct cython__map *m, const char *dir, const char *base)
{
    char path[4352], *text, *p, *nl;
    size_t len, cap = 0;

    snprintf(m->base, sizeof(m->base), "%s", base);
    m->pyx = NULL;
    m->pairs = NULL;
    m->n = 0;
    if (dir == NULL || buf_fmt(path, sizeof(path), "%s/%s.tsv", dir, base) != 0 ||
        (text = evd_read_file(path, CYTHON__MAP_MAX, &len)) == NULL)
        return;
    if (strncmp(text, "# ", 2) == 0 && (nl = strchr(text, '\n')) != NULL) {
        m->pyx = strndup(text + 2, (size_t)(nl - text - 2));
        for (p = nl + 1; *p; p = nl ? nl + 1 : p + strlen(p)) {
            int c, y;

            nl = strchr(p, '\n');
            if (sscanf(p, "%d\t%d", &c, &y) != 2)
                continue;
            if (m->n == cap) {
                int *v = realloc(m->pairs, (cap = cap ? cap * 2 : 1024) * 2 * sizeof(int));

                if (v == NULL)
                    break;
                m->pairs = v;
            }
            m->pairs[2 * m->n] = c;
            m->pairs[2 * m->n + 1] = y;
            m->n++;
        }
    }
    free(text);
}

/* The .pyx line of C line c: the last pair at or before it; 0 when none. */
static int
cython__line(const struct cython__map *m, int c)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (m->pairs[2 * mid] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? m->pairs[2 * (lo - 1) + 1] : 0;
}

int
cython_frames(struct san_reports *out, const char *pyx_dir)
{
    struct cython__map maps[CYTHON__FILES];
    size_t nmaps = 0;
    int renamed = 0, rc = 0;

    for (size_t r = 0; r < out->n && rc == 0; r++)
        for (size_t s = 0; s < out->v[r].n_stacks && rc == 0; s++)
            for (size_t k = 0; k < out->v[r].stacks[s].n; k++) {
                struct san_frame *f = &out->v[r].stacks[s].frames[k];
                const struct cython__map *m = NULL;
                char name[512], stem[256], *fn, *file;
                const char *base;

                if (!cython_name(f->function, f->file, name, sizeof(name)))
                    continue;
                base = cython__base(f->file);
                for (size_t i = 0; i < nmaps && !m; i++)
                    m = strcmp(maps[i].base, base) == 0 ? &maps[i] : NULL;
                if (m == NULL && nmaps < CYTHON__FILES) {
                    cython__map_load(&maps[nmaps], pyx_dir, base);
                    m = &maps[nmaps++];
                }
                cython__stem(f->file, stem, sizeof(stem));
                fn = strdup(name);
                if (m && m->pyx)
                    file = strdup(m->pyx);
                else if (asprintf(&file, "%s.pyx", stem) < 0)
                    file = NULL;
                if (fn == NULL || file == NULL) {
                    free(fn);
                    free(file);
                    rc = FT_ENOMEM;
                    break;
                }
                /* a property's slot is Cython's code after the module's functions: no .pyx line */
                f->line = m && m->pyx && strncmp(f->function, "__pyx_getprop_", 14) != 0 &&
                                  strncmp(f->function, "__pyx_setprop_", 14) != 0
                              ? cython__line(m, f->line)
                              : 0;
                free(f->function);
                free(f->file);
                f->function = fn;
                f->file = file;
                renamed++;
            }
    for (size_t i = 0; i < nmaps; i++) {
        free(maps[i].pyx);
        free(maps[i].pairs);
    }
    return rc ? rc : renamed;
}
