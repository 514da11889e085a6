/* Scenario loader: libyaml's document tree walked against key tables, every error located. */
#include "scn_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "err.h"
#include "san.h" /* the finding kinds an expectation may name (SAN_KIND_MAP, a macro) */
#include "ver.h"



#define SCN__FIELD(f) offsetof(struct scn_scenario, f)
/* scn__strlist and scn__strmap find a list's count right after its pointer. */
#define SCN__COUNTED(list, n, T) \
    _Static_assert(offsetof(struct scn_scenario, n) == offsetof(struct scn_scenario, list) + sizeof(T), #n)
SCN__COUNTED(references, n_references, char **);
SCN__COUNTED(packages, n_packages, struct scn_pair *);
SCN__COUNTED(from_source, n_from_source, char **);
SCN__COUNTED(env, n_env, struct scn_pair *);
SCN__COUNTED(build, n_build, struct scn_pair *);
SCN__COUNTED(verify_numpy, n_verify_numpy, char **);
SCN__COUNTED(verify_packages, n_verify_packages, char **);
_Static_assert(offsetof(struct scn_expect, n_packages) == offsetof(struct scn_expect, packages) + sizeof(struct scn_pair *),
               "n_packages");
#define SCN__EXPECT(f) offsetof(struct scn_expect, f)
#define SCN__N(a) (sizeof(a) / sizeof((a)[0]))

/* Sorted by name. */
static const struct scn__key scn__requires_keys[] = {
    {"from_source", scn__strlist, SCN__FIELD(from_source), 0, "list",
     "names in packages built from their sdist with the toolchain's compiler and sanitizer"},
    {"packages", scn__strmap, SCN__FIELD(packages), 0, "mapping", "package name -> version spec"},
    {"python", scn__range, SCN__FIELD(requires_python), 0, "string", "CPython version range"},
};

static const struct scn__key scn__checks_keys[] = {
    {"forbid", scn__forbid, SCN__FIELD(forbid), 0, "list", "fork, subprocess, exec, spawn, system"},
    {"max_rss_mb", scn__posint, SCN__FIELD(max_rss_mb), 0, "integer", "peak RSS limit per run"},
    {"max_threads", scn__posint, SCN__FIELD(max_threads), 0, "integer", "peak thread count limit"},
    {"max_vm_mb", scn__posint, SCN__FIELD(max_vm_mb), 0, "integer", "peak virtual memory limit per run (committed memory where the OS commits)"},
};

static const struct scn__key scn__expect_keys[] = {
    {"kind", scn__str, SCN__EXPECT(kind), 0, "string", "finding kind, e.g. data-race"},
    {"known", scn__str, SCN__EXPECT(known), 0, "string", "upstream reference, e.g. numpy#28881"},
    {"match", scn__str, SCN__EXPECT(match), 0, "string", "text the signature contains"},
    {"numpy", scn__range, SCN__EXPECT(numpy), 0, "string", "NumPy version range"},
    {"outcome", scn__outcome, SCN__EXPECT(outcome), 1, "word", "found | clean"},
    {"packages", scn__rangemap, SCN__EXPECT(packages), 0, "mapping", "package name -> version range"},
    {"python", scn__range, SCN__EXPECT(python), 0, "string", "CPython version range"},
    {"san", scn__str, SCN__EXPECT(san), 0, "string", "sanitizer it applies to"},
};

static const struct scn__key scn__verify_keys[] = {
    {"numpy", scn__strlist, SCN__FIELD(verify_numpy), 0, "list", "NumPy versions to run"},
    {"packages", scn__strlist, SCN__FIELD(verify_packages), 0, "list", "pins, one run each: [\"joblib==1.4.2\", ...]"},
    {"san", scn__str, SCN__FIELD(verify_san), 0, "string", "sanitizer to verify with"},
};

static int
scn__verify(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    (void)k;
    return scn__mapping(c, key, v, scn__verify_keys, SCN__N(scn__verify_keys), base);
}

static int
scn__requires(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
              void *base)
{
    (void)k;
    return scn__mapping(c, key, v, scn__requires_keys, SCN__N(scn__requires_keys), base);
}

static int
scn__checks(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
            void *base)
{
    (void)k;
    return scn__mapping(c, key, v, scn__checks_keys, SCN__N(scn__checks_keys), base);
}

static int
scn__expect(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v,
            void *base)
{
    struct scn_scenario *s = base;
    yaml_node_item_t *it;
    int rc = scn__want(c, key, v, YAML_SEQUENCE_NODE, "a list of mappings");

    (void)k;
    if (rc)
        return rc;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        struct scn_expect *grown = realloc(s->expect, (s->n_expect + 1) * sizeof(*grown));

        if (grown == NULL)
            return FT_ENOMEM;
        s->expect = grown;
        memset(&s->expect[s->n_expect], 0, sizeof(*grown));
        s->expect[s->n_expect].line = (int)e->start_mark.line + 1;
        s->n_expect++;
        rc = scn__mapping(c, key, e, scn__expect_keys, SCN__N(scn__expect_keys),
                          &s->expect[s->n_expect - 1]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Sorted by name; `harness keys` prints this table and the README quotes it. */
static const struct scn__key scn__top_keys[] = {
    {"barrier", scn__barrier, SCN__FIELD(barrier), 0, "start|each",
     "workers meet once before the loop, or before every iteration (default each)"},
    {"body", scn__code, SCN__FIELD(body), 0, "python",
     "run by every thread, every iteration; `tid` and `iteration` are bound (or roles, or pytest)"},
    {"build", scn__strmap, SCN__FIELD(build), 0, "mapping",
     "c|cython|pythran: module source relative to the scenario, compiled with the toolchain's sanitizer; preload: a C library put in LD_PRELOAD of the runs"},
    {"checks", scn__checks, 0, 0, "mapping", "forbid: [events], max_rss_mb, max_vm_mb, max_threads"},
    {"env", scn__strmap, SCN__FIELD(env), 0, "mapping", "environment variables of every run"},
    {"expect", scn__expect, 0, 0, "list", "per-version expectations used by verification"},
    {"iterations", scn__posint, SCN__FIELD(iterations), 0, "integer",
     "body executions per thread per run (default 50)"},
    {"name", scn__str, SCN__FIELD(name), 1, "string", "identifier: letters, digits, _ and -"},
    {"prepare", scn__code, SCN__FIELD(prepare), 0, "python",
     "once per run in the run's own process, after setup and before the threads, `seed` bound (a forked run: after the fork)"},
    {"process", scn__process, SCN__FIELD(process), 0, "fork|fresh",
     "runs forked from a server that ran setup once (default fork), or each a fresh process running setup itself"},
    {"pytest", scn__pytest, 0, 0, "mapping",
     "instead of body: tests: [files, directories or node ids], per, threads, roles, slow, args: every test called "
     "by all threads at once"},
    {"references", scn__strlist, SCN__FIELD(references), 0, "list", "upstream issue links"},
    {"requires", scn__requires, 0, 0, "mapping", "python: range, packages: {name: spec}, from_source: [names]"},
    {"roles", scn__roles, 0, 0, "list",
     "instead of body: [{name, threads, body}]: threads with different bodies at one barrier (threads is their sum)"},
    {"runs", scn__posint, SCN__FIELD(runs), 0, "integer",
     "processes (default 20; pytest: one for each group of the tests' plan, counted when they are collected)"},
    {"sanitizers", scn__sanitizers, SCN__FIELD(sanitizers), 0, "list",
     "tsan, asan, none: the builds the scenario is meant for (default all)"},
    {"seed", scn__posint, SCN__FIELD(seed), 0, "integer",
     "seed of run 0 when the command line gives none (run i gets seed + i, bound as `seed`; default 0)"},
    {"setup", scn__code, SCN__FIELD(setup), 0, "python", "once per process, before the threads"},
    {"summary", scn__str, SCN__FIELD(summary), 0, "string", "one line: what it reproduces"},
    {"teardown", scn__code, SCN__FIELD(teardown), 0, "python", "once per process, after the threads"},
    {"threads", scn__posint, SCN__FIELD(threads), 0, "integer", "native threads (default 8)"},
    {"timeout", scn__posint, SCN__FIELD(timeout), 0, "integer", "seconds per run (default 60)"},
    {"verify", scn__verify, 0, 0, "mapping", "san, numpy: [versions], packages: [pins]: what make verify runs"},
};

static int
scn__key_cmp(const void *name, const void *key)
{
    return strcmp(name, ((const struct scn__key *)key)->name);
}

const struct scn__key *
scn__top_key(const char *name)
{
    return bsearch(name, scn__top_keys, SCN__N(scn__top_keys), sizeof(scn__top_keys[0]), scn__key_cmp);
}

const char *
scn_settable_key(size_t i, char *kind)
{
    for (size_t k = 0; k < SCN__N(scn__top_keys); k++)
        if (scn__settable(&scn__top_keys[k]) && i-- == 0) {
            if (kind)
                *kind = scn__settable(&scn__top_keys[k]);
            return scn__top_keys[k].name;
        }
    return NULL;
}

/* Edit distance, to suggest the key a typo meant. */
static size_t
scn__distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64], i, j, prev, tmp;

    if (lb >= SCN__N(row))
        return (size_t)-1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            tmp = row[j];
            row[j] = a[i - 1] == b[j - 1] ? prev : 1 + (prev < row[j] ? (prev < row[j - 1] ? prev : row[j - 1])
                                                                      : (row[j] < row[j - 1] ? row[j] : row[j - 1]));
            prev = tmp;
        }
    }
    return row[lb];
}

static int
scn__unknown(struct scn__ctx *c, yaml_node_t *kn, const char *prefix, const struct scn__key *keys,
             size_t n)
{
    const char *best = NULL;
    size_t bestd = strlen(scn__scalar(kn)) / 3 + 2, d; /* only near misses earn a suggestion */

    for (size_t i = 0; i < n; i++)
        if ((d = scn__distance(scn__scalar(kn), keys[i].name)) < bestd) {
            bestd = d;
            best = keys[i].name;
        }
    if (best)
        return scn__fail(c, kn, "unknown key '%s%s%s' (did you mean '%s'?)", prefix,
                         *prefix ? "." : "", scn__scalar(kn), best);
    return scn__fail(c, kn, "unknown key '%s%s%s'", prefix, *prefix ? "." : "", scn__scalar(kn));
}

/* Walk a mapping against a sorted key table; prefix names the enclosing key in messages. */
int
scn__mapping(struct scn__ctx *c, const char *prefix, yaml_node_t *map, const struct scn__key *keys,
             size_t n, void *base)
{
    unsigned char seen[32] = {0};
    yaml_node_pair_t *p;
    char full[128];
    int rc;

    if (map->type != YAML_MAPPING_NODE)
        return scn__fail(c, map, "%s%s must be a mapping, got %s", *prefix ? "'" : "",
                         *prefix ? prefix : "a scenario", scn__node_kind(map));
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        const struct scn__key *k;

        if (kn->type != YAML_SCALAR_NODE)
            return scn__fail(c, kn, "keys must be plain words, got %s", scn__node_kind(kn));
        k = bsearch(scn__scalar(kn), keys, n, sizeof(*keys), scn__key_cmp);
        if (k == NULL)
            return scn__unknown(c, kn, prefix, keys, n);
        snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", k->name);
        if (seen[k - keys]++)
            return scn__fail(c, kn, "key '%s' appears twice", full);
        rc = k->parse(c, k, full, yaml_document_get_node(c->doc, p->value), base);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (keys[i].required && !seen[i]) {
            snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", keys[i].name);
            return scn__fail(c, map, "missing required key '%s'", full);
        }
    return 0;
}

static void
scn__defaults(struct scn_scenario *s)
{
    s->threads = 8;
    s->iterations = 50;
    s->runs = 20;
    s->timeout = 60;
    s->barrier = SCN_BARRIER_EACH;
    s->sanitizers = SCN_SAN_TSAN | SCN_SAN_ASAN | SCN_SAN_NONE;
}

/* Checks across keys, once the whole mapping is read. */
/* The value node of key in a mapping node, or NULL: for messages that point at a nested key. */
static yaml_node_t *
scn__child(struct scn__ctx *c, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);

        if (k->type == YAML_SCALAR_NODE && strcmp(scn__scalar(k), key) == 0)
            return yaml_document_get_node(c->doc, p->value);
    }
    return NULL;
}

static int
scn__validate(struct scn__ctx *c, yaml_node_t *root, struct scn_scenario *s)
{
    static const char *const kinds[] = {"c", "cython", "preload", "pythran"};

    if (s->name[0] == '\0' || strspn(s->name, "abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(s->name))
        return scn__fail(c, root, "'name' must be letters, digits, '_' and '-', got '%s'", s->name);
    if (s->pytest && scn__child(c, root, "runs") == NULL)
        s->runs = 0; /* one run a group: the plan's length, known once the tests are collected */
    if ((s->n_roles != 0) + (s->body.text != NULL) + (s->pytest != NULL) == 0)
        return scn__fail(c, root, "missing required key 'body' (or 'roles', or 'pytest')");
    if ((s->n_roles != 0) + (s->body.text != NULL) + (s->pytest != NULL) > 1)
        return scn__fail(c, scn__child(c, root, s->pytest ? "pytest" : "roles"),
                         "%s given: a scenario has one of body, roles and pytest",
                         s->n_roles && s->body.text ? "'body' and 'roles'" : s->pytest && s->body.text ? "'body' and 'pytest'"
                                                                                                        : "'roles' and 'pytest'");
    if (s->body.text && s->body.text[strspn(s->body.text, " \t\r\n")] == '\0')
        return scn__fail(c, root, "'body' is empty");
    if (s->n_roles) {
        long sum = 0;

        for (size_t i = 0; i < s->n_roles; i++)
            sum += s->roles[i].threads;
        if (scn__child(c, root, "threads") && s->threads != sum)
            return scn__fail(c, scn__child(c, root, "threads"), "'threads' is %ld but the roles have %ld threads in all "
                             "(leave 'threads' out with roles)", s->threads, sum);
        s->threads = sum;
    }
    if (s->sanitizers == 0)
        return scn__fail(c, root, "'sanitizers' must name at least one of tsan, asan, none");
    if (s->verify_san && strcmp(s->verify_san, "tsan") && strcmp(s->verify_san, "asan") && strcmp(s->verify_san, "none"))
        return scn__fail(c, root, "'verify.san' must be tsan, asan or none, got '%s'", s->verify_san);
    for (size_t i = 0; i < s->n_build; i++) {
        size_t j;

        for (j = 0; j < SCN__N(kinds) && strcmp(s->build[i].key, kinds[j]) != 0; j++)
            ;
        if (j == SCN__N(kinds))
            return scn__fail(c, root, "'build' kinds are c, cython, preload and pythran, got '%s'", s->build[i].key);
        if (s->build[i].value[0] == '/' || strstr(s->build[i].value, ".."))
            return scn__fail(c, root, "'build.%s' must be a relative path below the scenario's directory, got '%s'",
                             s->build[i].key, s->build[i].value);
    }
    for (size_t i = 0; i < s->n_expect; i++) {
        static const char *const kinds[] = {
#define SCN__KIND(name, slug) slug,
            SAN_KIND_MAP(SCN__KIND)
#undef SCN__KIND
        };
        size_t j;

        if (s->expect[i].kind == NULL)
            continue;
        for (j = 0; j < SCN__N(kinds) && strcmp(kinds[j], s->expect[i].kind) != 0; j++)
            ;
        if (j == SCN__N(kinds)) {
            yaml_node_t *list = scn__child(c, root, "expect"), *at = NULL;

            if (list && list->type == YAML_SEQUENCE_NODE)
                at = scn__child(c, yaml_document_get_node(c->doc, list->data.sequence.items.start[i]), "kind");
            char all[400] = "";

            for (j = 0; j < SCN__N(kinds); j++)
                snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", j ? ", " : "", kinds[j]);
            return scn__fail(c, at ? at : root, "'expect.kind' must be one of %s; got '%s'", all, s->expect[i].kind);
        }
    }
    for (size_t i = 0; i < s->n_from_source; i++) {
        size_t j;

        for (j = 0; j < s->n_packages && strcmp(s->packages[j].key, s->from_source[i]) != 0; j++)
            ;
        if (j == s->n_packages || strcmp(s->from_source[i], "numpy") == 0) {
            yaml_node_t *at = scn__child(c, scn__child(c, root, "requires"), "from_source");

            if (at && at->type == YAML_SEQUENCE_NODE && (size_t)(at->data.sequence.items.top - at->data.sequence.items.start) > i)
                at = yaml_document_get_node(c->doc, at->data.sequence.items.start[i]);
            return scn__fail(c, at ? at : root, "'requires.from_source' names packages of 'requires.packages' other than numpy "
                             "(NumPy is always built with the sanitizer), got '%s'", s->from_source[i]);
        }
    }
    return 0;
}

int
scn_parse(const char *text, size_t len, const char *name, struct scn_scenario *out, struct buf *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct scn__ctx c = {name, &doc, err, text, len};
    yaml_document_t extra;
    yaml_node_t *root;
    int rc = FT_ESCENARIO, have_doc = 0;

    memset(out, 0, sizeof(*out));
    scn__defaults(out);
    if (!yaml_parser_initialize(&parser))
        return FT_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        buf_free(err);
        buf_printf(err, "%s:%zu:%zu: YAML syntax error: %s%s%s", name, parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1, parser.problem ? parser.problem : "unreadable",
                   parser.context ? " " : "", parser.context ? parser.context : "");
        goto out;
    }
    have_doc = 1;
    /* One scenario per file: a second document would be ignored silently. */
    if (!yaml_parser_load(&parser, &extra)) {
        buf_free(err);
        buf_printf(err, "%s:%zu:%zu: YAML syntax error after the scenario: %s", name, parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1, parser.problem ? parser.problem : "unreadable");
        goto out;
    }
    if (yaml_document_get_root_node(&extra) != NULL) {
        buf_free(err);
        buf_printf(err, "%s:%zu:%zu: a second YAML document: a scenario file holds exactly one scenario", name,
                   extra.start_mark.line + 1, extra.start_mark.column + 1);
        yaml_document_delete(&extra);
        goto out;
    }
    yaml_document_delete(&extra);
    root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        scn__fail(&c, NULL, "empty scenario: it needs at least 'name' and 'body'");
        goto out;
    }
    if ((rc = scn__mapping(&c, "", root, scn__top_keys, SCN__N(scn__top_keys), out)) != 0)
        goto out;
    if ((rc = scn__validate(&c, root, out)) != 0)
        goto out;
    rc = scn__dup(&out->path, name);
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0)
        scn_free(out);
    return rc;
}

int
scn__read_file(const char *path, struct buf *text, struct buf *err)
{
    FILE *f;
    char chunk[8192];
    size_t n;
    int rc = 0;

    if ((f = fopen(path, "re")) == NULL) {
        buf_printf(err, "%s: cannot read the scenario: %s", path, strerror(errno));
        return FT_EIO;
    }
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((rc = buf_append(text, chunk, n)) != 0) {
            buf_printf(err, "%s: %s", path, rc == FT_ETOOBIG ? "larger than 1 MiB" : ft_strerror(rc));
            rc = rc == FT_ETOOBIG ? FT_ESCENARIO : rc;
        }
    if (rc == 0 && ferror(f)) {
        buf_printf(err, "%s: cannot read the scenario: %s", path, strerror(errno));
        rc = FT_EIO;
    }
    fclose(f);
    return rc;
}

int
scn_load(const char *path, struct scn_scenario *out, struct buf *err)
{
    struct buf text;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_init(&text, SCN_MAX_FILE);
    if ((rc = scn__read_file(path, &text, err)) == 0)
        rc = scn_parse(buf_cstr(&text), text.len, path, out, err);
    buf_free(&text);
    return rc;
}

static void
scn__pairs_free(struct scn_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

void
scn_free(struct scn_scenario *s)
{
    free(s->path);
    free(s->name);
    free(s->summary);
    for (size_t i = 0; i < s->n_references; i++)
        free(s->references[i]);
    free(s->references);
    free(s->requires_python);
    scn__pairs_free(s->packages, s->n_packages);
    for (size_t i = 0; i < s->n_from_source; i++)
        free(s->from_source[i]);
    free(s->from_source);
    scn__pairs_free(s->env, s->n_env);
    scn__pairs_free(s->build, s->n_build);
    free(s->setup.text);
    free(s->prepare.text);
    free(s->body.text);
    free(s->teardown.text);
    scn__threads_free(s);
    free(s->verify_san);
    for (size_t i = 0; i < s->n_verify_numpy; i++)
        free(s->verify_numpy[i]);
    free(s->verify_numpy);
    for (size_t i = 0; i < s->n_verify_packages; i++)
        free(s->verify_packages[i]);
    free(s->verify_packages);
    for (size_t i = 0; i < s->n_expect; i++) {
        struct scn_expect *e = &s->expect[i];

        scn__pairs_free(e->packages, e->n_packages);
        free(e->numpy);
        free(e->python);
        free(e->san);
        free(e->outcome);
        free(e->kind);
        free(e->match);
        free(e->known);
    }
    free(s->expect);
    memset(s, 0, sizeof(*s));
}

int
scn__help_table(struct buf *out, const struct scn__key *keys, size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++)
        rc = buf_printf(out, "  %-22s %-10s %s%s\n", keys[i].name, keys[i].type, keys[i].help,
                        keys[i].required ? " (required)" : "");
    return rc;
}

int
scn_keys_help(struct buf *out)
{
    int rc = buf_puts(out, "Scenario keys:\n");

    rc = rc ? rc : scn__help_table(out, scn__top_keys, SCN__N(scn__top_keys));
    rc = rc ? rc : buf_puts(out, "requires:\n");
    rc = rc ? rc : scn__help_table(out, scn__requires_keys, SCN__N(scn__requires_keys));
    rc = rc ? rc : buf_puts(out, "checks:\n");
    rc = rc ? rc : scn__help_table(out, scn__checks_keys, SCN__N(scn__checks_keys));
    rc = rc ? rc : buf_puts(out, "roles (each entry):\n");
    rc = rc ? rc : scn__help_table(out, scn__role_keys, scn__n_role_keys);
    rc = rc ? rc : buf_puts(out, "pytest:\n");
    rc = rc ? rc : scn__help_table(out, scn__pytest_keys, scn__n_pytest_keys);
    rc = rc ? rc : buf_puts(out, "verify:\n");
    rc = rc ? rc : scn__help_table(out, scn__verify_keys, SCN__N(scn__verify_keys));
    rc = rc ? rc : buf_puts(out, "expect (each entry):\n");
    return rc ? rc : scn__help_table(out, scn__expect_keys, SCN__N(scn__expect_keys));
}
