/* What a scenario's threads run: one body (scn.c), roles (each with its own body and threads),
 * or a package's tests (pytest: every test called by all threads at once). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "scn_internal.h"

#define SCN__N(a) (sizeof(a) / sizeof((a)[0]))

#define SCN__ROLE(f) offsetof(struct scn_role, f)
const struct scn__key scn__role_keys[] = {
    {"body", scn__code, SCN__ROLE(body), 1, "python", "run by this role's threads, every iteration"},
    {"name", scn__str, SCN__ROLE(name), 1, "string", "letters, digits, _ and -, at most 15: names its threads in reports"},
    {"threads", scn__posint, SCN__ROLE(threads), 0, "integer", "threads with this role (default 1)"},
};

int
scn__roles(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    struct scn_scenario *s = base;
    int rc = scn__want(c, key, v, YAML_SEQUENCE_NODE, "a list of mappings");

    (void)k;
    if (rc)
        return rc;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        struct scn_role *grown = realloc(s->roles, (s->n_roles + 1) * sizeof(*grown)), *r;

        if (grown == NULL)
            return FT_ENOMEM;
        s->roles = grown;
        r = memset(&s->roles[s->n_roles++], 0, sizeof(*r));
        r->threads = 1;
        if ((rc = scn__mapping(c, key, e, scn__role_keys, SCN__N(scn__role_keys), r)) != 0)
            return rc;
        if (strlen(r->name) > SCN_ROLE_NAME_MAX || r->name[0] == '\0' ||
            strspn(r->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(r->name))
            return scn__fail(c, e, "'roles.name' must be 1 to %d letters, digits, '_' and '-' (it names the role's "
                             "threads), got '%s'", SCN_ROLE_NAME_MAX, r->name);
        for (size_t i = 0; i + 1 < s->n_roles; i++)
            if (strcmp(s->roles[i].name, r->name) == 0)
                return scn__fail(c, e, "role '%s' appears twice in 'roles'", r->name);
        if (r->body.text[strspn(r->body.text, " \t\r\n")] == '\0')
            return scn__fail(c, e, "role '%s': 'body' is empty", r->name);
    }
    if (s->n_roles == 0)
        return scn__fail(c, v, "'roles' is empty: give it at least one {name, threads, body}");
    return 0;
}

const size_t scn__n_role_keys = SCN__N(scn__role_keys);

#define SCN__PYTEST(f) offsetof(struct scn_pytest, f)
_Static_assert(offsetof(struct scn_pytest, n_tests) == offsetof(struct scn_pytest, tests) + sizeof(char **), "n_tests");
_Static_assert(offsetof(struct scn_pytest, n_args) == offsetof(struct scn_pytest, args) + sizeof(char **), "n_args");
_Static_assert(offsetof(struct scn_pytest, n_threads) == offsetof(struct scn_pytest, threads) + sizeof(long *), "n_threads");
const struct scn__key scn__pytest_keys[] = {
    {"args", scn__strlist, SCN__PYTEST(args), 0, "list", "more pytest arguments, e.g. [\"-k\", \"not slow\"]"},
    {"per", scn__str, SCN__PYTEST(per), 0, "module|test|case",
     "a process per test module (default), per test function (its parametrisations in turn) or per parametrisation"},
    {"roles", scn__str, SCN__PYTEST(roles), 0, "none|pairs",
     "pairs: each test also run against another test of its module or class, on the same fixtures (a run each)"},
    {"slow", scn__posint, SCN__PYTEST(slow), 0, "N",
     "per test: one in N slow tests (marked slow or xslow, hypothesis tests) runs, chosen by the seed (default 1: all)"},
    {"tests", scn__strlist, SCN__PYTEST(tests), 1, "list",
     "test files, directories or node ids: relative to the checkout, or a path inside an installed package "
     "(numpy/_core/tests/test_multithreading.py)"},
    {"threads", scn__posintlist, SCN__PYTEST(threads), 0, "list",
     "thread counts, e.g. [8, 2]: every test at each, in that order (default: the scenario's threads)"},
};
const size_t scn__n_pytest_keys = SCN__N(scn__pytest_keys);

int
scn__pytest(struct scn__ctx *c, const struct scn__key *k, const char *key, yaml_node_t *v, void *base)
{
    struct scn_scenario *s = base;
    int rc;

    (void)k;
    if ((s->pytest = calloc(1, sizeof(*s->pytest))) == NULL)
        return FT_ENOMEM;
    if ((rc = scn__mapping(c, key, v, scn__pytest_keys, SCN__N(scn__pytest_keys), s->pytest)) != 0)
        return rc;
    if (s->pytest->per && strcmp(s->pytest->per, "module") != 0 && strcmp(s->pytest->per, "test") != 0 &&
        strcmp(s->pytest->per, "case") != 0)
        return scn__fail(c, v, "'pytest.per' must be module, test or case, got '%s'", s->pytest->per);
    if (s->pytest->roles && strcmp(s->pytest->roles, "none") != 0 && strcmp(s->pytest->roles, "pairs") != 0)
        return scn__fail(c, v, "'pytest.roles' must be none or pairs, got '%s'", s->pytest->roles);
    if (s->pytest->n_tests == 0)
        return scn__fail(c, v, "'pytest.tests' is empty: name at least one test file, directory or node id");
    return 0;
}

void
scn__threads_free(struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_roles; i++) {
        free(s->roles[i].name);
        free(s->roles[i].body.text);
    }
    free(s->roles);
    if (s->pytest) {
        for (size_t i = 0; i < s->pytest->n_tests; i++)
            free(s->pytest->tests[i]);
        free(s->pytest->tests);
        for (size_t i = 0; i < s->pytest->n_args; i++)
            free(s->pytest->args[i]);
        free(s->pytest->args);
        free(s->pytest->per);
        free(s->pytest->roles);
        free(s->pytest->threads);
        free(s->pytest);
    }
}

json_t *
scn_pytest_json(const struct scn_scenario *s)
{
    const struct scn_pytest *p = s->pytest;
    json_t *o = json_object(), *tests = json_array(), *args = json_array(), *threads = json_array();

    for (size_t i = 0; i < p->n_tests; i++)
        json_array_append_new(tests, json_string(p->tests[i]));
    for (size_t i = 0; i < p->n_args; i++)
        json_array_append_new(args, json_string(p->args[i]));
    for (size_t i = 0; i < p->n_threads; i++)
        json_array_append_new(threads, json_integer(p->threads[i]));
    if (p->n_threads == 0)
        json_array_append_new(threads, json_integer(s->threads));
    json_object_set_new(o, "tests", tests);
    json_object_set_new(o, "args", args);
    json_object_set_new(o, "per", json_string(p->per ? p->per : "module"));
    json_object_set_new(o, "threads", threads);
    json_object_set_new(o, "roles", json_string(p->roles ? p->roles : "none"));
    json_object_set_new(o, "slow", json_integer(p->slow ? p->slow : 1));
    return o;
}
