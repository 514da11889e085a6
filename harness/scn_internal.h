/* Shared inside the scn module only: the parse context, the key tables' shape and the value
 * parsers (scn_value.c) the tables name. */
#ifndef FT_SCN_INTERNAL_H
#define FT_SCN_INTERNAL_H

#include <stddef.h>
#include <yaml.h>

#include "buf.h"
#include "scn.h"

struct scn__ctx {
    const char *name;
    yaml_document_t *doc;
    struct buf *err;
    const char *text; /* the file, to measure the indentation of code blocks */
    size_t len;
};

struct scn__key;
typedef int (*scn__parse_fn)(struct scn__ctx *c, const struct scn__key *k, const char *key,
                             yaml_node_t *v, void *base);

/* A key of a mapping: how to parse its value into the field at offset of the base struct. */
struct scn__key {
    const char *name;
    scn__parse_fn parse;
    size_t offset;
    int required;
    const char *type; /* for help */
    const char *help;
};

int scn__fail(struct scn__ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *scn__scalar(const yaml_node_t *n);
const char *scn__node_kind(const yaml_node_t *n); /* "a scalar", "a list", ... */
int scn__want(struct scn__ctx *c, const char *key, yaml_node_t *v, yaml_node_type_t type, const char *what);
int scn__dup(char **dst, const char *s);

/* Value parsers: the field at k->offset of base gets the value of node v, or an error at v. */
int scn__str(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__range(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__posint(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__posintlist(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__strlist(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__strmap(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__rangemap(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__code(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__process(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__barrier(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__outcome(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__sanitizers(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__forbid(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);

/* scn__read_file: a scenario file's text, at most 1 MiB, appended to *text. 0, FT_EIO or
 * FT_ESCENARIO with the message in *err. */
int scn__read_file(const char *path, struct buf *text, struct buf *err);

/* scn__mapping: walk a mapping against a sorted key table into base; prefix names the enclosing
 * key in messages. scn__help_table: a key table as help lines. */
int scn__mapping(struct scn__ctx *c, const char *prefix, yaml_node_t *map, const struct scn__key *keys, size_t n,
                 void *base);
int scn__help_table(struct buf *out, const struct scn__key *keys, size_t n);

/* scn_threads.c: what the threads run besides one body: roles, pytest. */
extern const struct scn__key scn__role_keys[], scn__pytest_keys[];
extern const size_t scn__n_role_keys, scn__n_pytest_keys;
int scn__roles(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
int scn__pytest(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base);
void scn__threads_free(struct scn_scenario *s);

/* scn__settable: what scn_emit sets the key to: 'p' Python source, 'i' an integer, 's' a
 * string; 0 when it cannot set it. */
char scn__settable(const struct scn__key *k);

/* scn__top_key: the entry of the top-level key table named name, or NULL. */
const struct scn__key *scn__top_key(const char *name);

#endif
