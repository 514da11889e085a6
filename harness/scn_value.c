/* Scenario values: one parser per value type, each checking its node and locating its errors. */
#include "scn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ver.h"

int
scn__fail(struct scn__ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    int rc;

    buf_free(c->err);
    rc = buf_printf(c->err, "%s:%zu:%zu: ", c->name, n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);
    va_start(ap, fmt);
    rc = rc ? rc : buf_vprintf(c->err, fmt, ap);
    va_end(ap);
    return rc == FT_ENOMEM ? FT_ENOMEM : FT_ESCENARIO;
}

const char *
scn__node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

const char *
scn__scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

int
scn__want(struct scn__ctx *c, const char *key, yaml_node_t *v, yaml_node_type_t type,
          const char *what)
{
    if (v->type == type)
        return 0;
    return scn__fail(c, v, "'%s' must be %s, got %s", key, what, scn__node_kind(v));
}

int
scn__dup(char **dst, const char *s)
{
    free(*dst);
    *dst = strdup(s);
    return *dst ? 0 : FT_ENOMEM;
}

int
scn__str(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    int rc = scn__want(c, key, v, YAML_SCALAR_NODE, "a string");

    return rc ? rc : scn__dup((char **)((char *)base + k->offset), scn__scalar(v));
}

/* A version range ("<=2.2.5", ">=2.1,<2.3", "*"): parsed now, so a typo is an error here and
 * not a silent mismatch in `make verify`. */
int
scn__range(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    int rc = scn__str(c, k, key, v, base);

    if (rc == 0 && ver_match(scn__scalar(v), "0") < 0)
        return scn__fail(c, v, "'%s' must be a version range such as \"<=2.2.5\" or \">=2.1,<2.3\", got '%s'", key,
                         scn__scalar(v));
    return rc;
}

/* Positive integers, written plainly: `threads: 8`, not `threads: "8"` or `8.0`. */
int
scn__posint(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
            void *base)
{
    const char *s;
    char *end;
    long n;

    if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return scn__fail(c, v, "'%s' must be a positive integer, got %s", key,
                         v->type == YAML_SCALAR_NODE ? "a quoted string" : scn__node_kind(v));
    s = scn__scalar(v);
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n <= 0 || n > 1000000)
        return scn__fail(c, v, "'%s' must be a positive integer, got '%s'", key, s);
    *(long *)((char *)base + k->offset) = n;
    return 0;
}

/* A list of positive integers, each as scn__posint takes one: `threads: [2, 8]`. */
int
scn__posintlist(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    long **list = (long **)((char *)base + k->offset);
    size_t *n = (size_t *)((char *)base + k->offset + sizeof(long *));
    struct scn__key one = {.offset = 0};
    int rc = scn__want(c, key, v, YAML_SEQUENCE_NODE, "a list of positive integers");

    if (rc)
        return rc;
    if (v->data.sequence.items.start == v->data.sequence.items.top)
        return scn__fail(c, v, "'%s' is empty: give at least one positive integer", key);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        long *grown = realloc(*list, (*n + 1) * sizeof(**list));

        if (grown == NULL)
            return FT_ENOMEM;
        *list = grown;
        if ((rc = scn__posint(c, &one, key, yaml_document_get_node(c->doc, *it), &(*list)[*n])) != 0)
            return rc;
        (*n)++;
    }
    return 0;
}

int
scn__strlist(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
             void *base)
{
    char ***list = (char ***)((char *)base + k->offset);
    size_t *n = (size_t *)((char *)base + k->offset + sizeof(char **));
    yaml_node_item_t *it;
    int rc = scn__want(c, key, v, YAML_SEQUENCE_NODE, "a list of strings");

    if (rc)
        return rc;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        char **grown;

        if ((rc = scn__want(c, key, e, YAML_SCALAR_NODE, "a list of strings")) != 0)
            return rc;
        grown = realloc(*list, (*n + 1) * sizeof(**list));
        if (grown == NULL)
            return FT_ENOMEM;
        *list = grown;
        if (((*list)[*n] = strdup(scn__scalar(e))) == NULL)
            return FT_ENOMEM;
        (*n)++;
    }
    return 0;
}

/* A mapping of scalars to scalars, kept in order: env, build, requires.packages. */
int
scn__strmap(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
            void *base)
{
    struct scn_pair **pairs = (struct scn_pair **)((char *)base + k->offset);
    size_t *n = (size_t *)((char *)base + k->offset + sizeof(struct scn_pair *));
    yaml_node_pair_t *p;
    int rc = scn__want(c, key, v, YAML_MAPPING_NODE, "a mapping of names to strings");

    if (rc)
        return rc;
    for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        struct scn_pair *grown;

        if (kn->type != YAML_SCALAR_NODE || vn->type != YAML_SCALAR_NODE)
            return scn__fail(c, kn->type != YAML_SCALAR_NODE ? kn : vn,
                             "'%s' must be a mapping of names to strings", key);
        grown = realloc(*pairs, (*n + 1) * sizeof(**pairs));
        if (grown == NULL)
            return FT_ENOMEM;
        *pairs = grown;
        (*pairs)[*n].key = strdup(scn__scalar(kn));
        (*pairs)[*n].value = strdup(scn__scalar(vn));
        (*n)++;
        if ((*pairs)[*n - 1].key == NULL || (*pairs)[*n - 1].value == NULL)
            return FT_ENOMEM;
    }
    return 0;
}

/* Package name -> version range (expect.packages). */
int
scn__rangemap(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    int rc = scn__strmap(c, k, key, v, base);
    yaml_node_pair_t *p;

    for (p = rc ? NULL : v->data.mapping.pairs.start; p && p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);

        if (ver_match(scn__scalar(vn), "0") < 0)
            return scn__fail(c, vn, "'%s.%s' must be a version range such as \"<=1.4.2\", got '%s'", key,
                             scn__scalar(yaml_document_get_node(c->doc, p->key)), scn__scalar(vn));
    }
    return rc;
}

/* Leading spaces of the line (1-based) in text: a block scalar's indentation, which libyaml
 * strips and a Python error's column needs back. */
static int
scn__indent(const struct scn__ctx *c, int line)
{
    const char *p = c->text, *end = c->text + c->len;

    for (int l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        p = nl ? nl + 1 : end;
    }
    return (int)strspn(p, " ");
}

/* Python source. Block scalars (`body: |`) start on the line after the key. */
int
scn__code(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    struct scn_code *code = (struct scn_code *)((char *)base + k->offset);
    yaml_scalar_style_t st = v->data.scalar.style;
    int rc = scn__want(c, key, v, YAML_SCALAR_NODE, "Python source (use `|` for a block)");

    if (rc)
        return rc;
    if ((rc = scn__dup(&code->text, scn__scalar(v))) != 0)
        return rc;
    code->line = (int)v->start_mark.line + 1;
    code->column = (int)v->start_mark.column;
    if (st == YAML_LITERAL_SCALAR_STYLE || st == YAML_FOLDED_SCALAR_STYLE) {
        code->line++;
        code->column = scn__indent(c, code->line);
    } else if (st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
        code->column++;
    }
    return 0;
}

/* A word from a fixed list; returns its index through *out. */
static int
scn__word(struct scn__ctx *c, const char *key, yaml_node_t *v, const char *const *words,
          size_t n, size_t *out)
{
    char all[256] = "";
    size_t i;
    int rc = scn__want(c, key, v, YAML_SCALAR_NODE, "a word");

    if (rc)
        return rc;
    for (i = 0; i < n; i++) {
        if (strcmp(scn__scalar(v), words[i]) == 0) {
            *out = i;
            return 0;
        }
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "", words[i]);
    }
    return scn__fail(c, v, "'%s' must be one of %s, got '%s'", key, all, scn__scalar(v));
}

int
scn__barrier(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
             void *base)
{
    static const char *const words[] = {"start", "each"};
    size_t i;
    int rc = scn__word(c, key, v, words, 2, &i);

    if (rc == 0)
        *(enum scn_barrier *)((char *)base + k->offset) = i == 0 ? SCN_BARRIER_START : SCN_BARRIER_EACH;
    return rc;
}

int
scn__process(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    static const char *const words[] = {"fork", "fresh"};
    size_t i;
    int rc = scn__word(c, key, v, words, 2, &i);

    if (rc == 0)
        *(enum scn_process *)((char *)base + k->offset) = i == 0 ? SCN_PROCESS_FORK : SCN_PROCESS_FRESH;
    return rc;
}

int
scn__outcome(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
             void *base)
{
    static const char *const words[] = {"found", "clean"};
    size_t i;
    int rc = scn__word(c, key, v, words, 2, &i);

    return rc ? rc : scn__dup((char **)((char *)base + k->offset), words[i]);
}

/* A list of words from a fixed list, as a bit set. */
static int
scn__wordset(struct scn__ctx *c, const char *key, yaml_node_t *v, const char *const *words,
             size_t n, unsigned *out)
{
    yaml_node_item_t *it;
    size_t i;
    int rc = scn__want(c, key, v, YAML_SEQUENCE_NODE, "a list");

    if (rc)
        return rc;
    *out = 0;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        if ((rc = scn__word(c, key, yaml_document_get_node(c->doc, *it), words, n, &i)) != 0)
            return rc;
        *out |= 1u << i;
    }
    return 0;
}

int
scn__sanitizers(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
                void *base)
{
    /* Order matches enum scn_san's bits. */
    static const char *const words[] = {"tsan", "asan", "none"};

    return scn__wordset(c, key, v, words, 3, (unsigned *)((char *)base + k->offset));
}

static const char *const scn__events[] = {"fork", "subprocess", "exec", "spawn", "system"};

int
scn__forbid(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
            void *base)
{
    return scn__wordset(c, key, v, scn__events, 5, (unsigned *)((char *)base + k->offset));
}

const char *
scn_event_name(unsigned ev)
{
    for (size_t i = 0; i < 5; i++)
        if (ev == 1u << i)
            return scn__events[i];
    return "?";
}

unsigned
scn_event_bit(const char *name)
{
    for (size_t i = 0; i < 5; i++)
        if (strcmp(name, scn__events[i]) == 0)
            return 1u << i;
    return 0;
}
