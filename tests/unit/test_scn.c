/* Unit tests of the scenario loader: one valid scenario in full, then a table of bad ones
 * with the exact location and message each must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "err.h"
#include "scn.h"

static const char valid[] =
    "name: dlpack_race\n"                                      /* 1 */
    "summary: parallel np.from_dlpack on first use\n"          /* 2 */
    "references: [https://github.com/numpy/numpy/issues/28881]\n"
    "requires: {python: \">=3.13\", packages: {numpy: \"*\"}}\n"
    "sanitizers: [tsan]\n"                                     /* 5 */
    "threads: 4\n"
    "iterations: 10\n"
    "runs: 3\n"
    "barrier: start\n"
    "timeout: 30\n"                                            /* 10 */
    "env: {OPENBLAS_NUM_THREADS: 1}\n"
    "setup: |\n"
    "  import numpy as np\n"                                   /* 13 */
    "  x = np.arange(10)\n"
    "body: |\n"                                                /* 15 */
    "  np.from_dlpack(x)\n"                                    /* 16 */
    "teardown: pass\n"
    "checks: {forbid: [fork, subprocess], max_rss_mb: 300, max_threads: 64}\n"
    "expect:\n"
    "  - {numpy: \"<=2.2.5\", outcome: found, kind: data-race, known: numpy#28881}\n"
    "  - {numpy: \">=2.2.6\", outcome: clean}\n";

static void
test_valid_scenario(void **state)
{
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_parse(valid, strlen(valid), "v.yaml", &s, &err), 0);
    assert_string_equal(s.name, "dlpack_race");
    assert_int_equal(s.threads, 4);
    assert_int_equal(s.iterations, 10);
    assert_int_equal(s.runs, 3);
    assert_int_equal(s.timeout, 30);
    assert_int_equal(s.barrier, SCN_BARRIER_START);
    assert_int_equal(s.sanitizers, SCN_SAN_TSAN);
    assert_int_equal(s.n_references, 1);
    assert_string_equal(s.requires_python, ">=3.13");
    assert_int_equal(s.n_packages, 1);
    assert_string_equal(s.packages[0].key, "numpy");
    assert_string_equal(s.env[0].key, "OPENBLAS_NUM_THREADS");
    assert_string_equal(s.env[0].value, "1");
    assert_int_equal(s.setup.line, 13);
    assert_string_equal(s.setup.text, "import numpy as np\nx = np.arange(10)\n");
    assert_int_equal(s.body.line, 16);
    assert_int_equal(s.teardown.line, 17);
    assert_int_equal(s.forbid, SCN_EV_FORK | SCN_EV_SUBPROCESS);
    assert_int_equal(s.max_rss_mb, 300);
    assert_int_equal(s.max_threads, 64);
    assert_int_equal(s.n_expect, 2);
    assert_string_equal(s.expect[0].outcome, "found");
    assert_string_equal(s.expect[0].known, "numpy#28881");
    assert_null(s.expect[1].kind);
    scn_free(&s);
    buf_free(&err);
}

static void
test_defaults(void **state)
{
    static const char text[] = "name: x\nbody: pass\n";
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_parse(text, strlen(text), "d.yaml", &s, &err), 0);
    assert_int_equal(s.threads, 8);
    assert_int_equal(s.iterations, 50);
    assert_int_equal(s.runs, 20);
    assert_int_equal(s.barrier, SCN_BARRIER_EACH);
    assert_int_equal(s.sanitizers, SCN_SAN_TSAN | SCN_SAN_ASAN | SCN_SAN_NONE);
    assert_int_equal(s.body.line, 2);
    scn_free(&s);
    buf_free(&err);
}

/* A pytest scenario's runs, and the mapping the plugin gets (scn_pytest_json), sorted. */
static void
check_pytest(const char *text, long runs, const char *json)
{
    struct scn_scenario s;
    struct buf err;
    json_t *j;
    char *got;

    buf_init(&err, 4096);
    assert_int_equal(scn_parse(text, strlen(text), "p.yaml", &s, &err), 0);
    assert_int_equal(s.runs, runs);
    got = json_dumps(j = scn_pytest_json(&s), JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    assert_string_equal(got, json);
    free(got);
    scn_free(&s);
    buf_free(&err);
}

/* pytest mode: no `runs` is one run a group of the plan (0); the mapping the plugin gets has its
 * defaults filled in, threads from the scenario's when pytest.threads is not given. */
static void
test_pytest_defaults(void **state)
{
    (void)state;
    check_pytest("name: p\nthreads: 6\npytest: {tests: [a.py, b.py]}\n", 0,
                 "{\"args\":[],\"per\":\"module\",\"roles\":\"none\",\"slow\":1,\"tests\":[\"a.py\",\"b.py\"],\"threads\":[6]}");
    check_pytest("name: p\nruns: 3\npytest: {tests: [d], per: case, threads: [8, 2], roles: pairs, slow: 4, args: [-x]}\n",
                 3, "{\"args\":[\"-x\"],\"per\":\"case\",\"roles\":\"pairs\",\"slow\":4,\"tests\":[\"d\"],\"threads\":[8,2]}");
}

static void
test_verify_and_package_expectations(void **state)
{
    static const char text[] =
        "name: j\nbody: pass\n"
        "verify: {san: none, numpy: [\"2.2.6\"], packages: [\"joblib==1.4.2\", \"joblib==1.5.0\"]}\n"
        "expect:\n"
        "  - {packages: {joblib: \">=1.4.0,<1.5.0\"}, outcome: found, kind: exception}\n"
        "  - {outcome: clean}\n";
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_parse(text, strlen(text), "j.yaml", &s, &err), 0);
    assert_string_equal(s.verify_san, "none");
    assert_int_equal(s.n_verify_numpy, 1);
    assert_int_equal(s.n_verify_packages, 2);
    assert_string_equal(s.verify_packages[1], "joblib==1.5.0");
    assert_int_equal(s.expect[0].n_packages, 1);
    assert_string_equal(s.expect[0].packages[0].key, "joblib");
    assert_string_equal(s.expect[0].packages[0].value, ">=1.4.0,<1.5.0");
    scn_free(&s);
    buf_free(&err);
}

/* roles: each with its threads and its own code position; threads is their sum. */
static void
test_roles(void **state)
{
    static const char text[] = "name: r\nroles:\n  - name: writer\n    body: |\n      a[0] = 1\n"
                               "  - {name: reader, threads: 3, body: 'a[0]'}\n";
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_parse(text, strlen(text), "r.yaml", &s, &err), 0);
    assert_int_equal(s.n_roles, 2);
    assert_null(s.body.text);
    assert_string_equal(s.roles[0].name, "writer");
    assert_int_equal(s.roles[0].threads, 1);
    assert_int_equal(s.roles[0].body.line, 5);
    assert_int_equal(s.roles[0].body.column, 6);
    assert_string_equal(s.roles[1].body.text, "a[0]");
    assert_int_equal(s.roles[1].threads, 3);
    assert_int_equal(s.threads, 4);
    scn_free(&s);
    buf_free(&err);
}

struct bad_case {
    const char *text;
    const char *message; /* the whole message, location first */
};

static const struct bad_case bad_cases[] = {
    {"name: x\nbody: pass\nthreads: 0\n", "b.yaml:3:10: 'threads' must be a positive integer, got '0'"},
    {"name: x\nbody: pass\nthreads: -3\n", "b.yaml:3:10: 'threads' must be a positive integer, got '-3'"},
    {"name: x\nbody: pass\nthreads: \"8\"\n", "b.yaml:3:10: 'threads' must be a positive integer, got a quoted string"},
    {"name: x\nbody: pass\nthreads: [1]\n", "b.yaml:3:10: 'threads' must be a positive integer, got a list"},
    {"name: x\nbody: pass\nthread: 4\n", "b.yaml:3:1: unknown key 'thread' (did you mean 'threads'?)"},
    {"name: x\nbody: pass\nfrobnicate: 4\n", "b.yaml:3:1: unknown key 'frobnicate'"},
    {"name: x\nsetup: pass\n", "b.yaml:1:1: missing required key 'body' (or 'roles', or 'pytest')"},
    {"name: x\nbody: pass\nroles: [{name: w, body: pass}]\n",
     "b.yaml:3:8: 'body' and 'roles' given: a scenario has one of body, roles and pytest"},
    {"name: x\nbody: pass\npytest: {tests: [t.py]}\n", "b.yaml:3:9: 'body' and 'pytest' given: a scenario has one of body, roles and pytest"},
    {"name: x\npytest: {tests: [t.py], per: file}\n", "b.yaml:2:9: 'pytest.per' must be module, test or case, got 'file'"},
    {"name: x\npytest: {tests: [t.py], roles: all}\n", "b.yaml:2:9: 'pytest.roles' must be none or pairs, got 'all'"},
    {"name: x\npytest: {tests: [t.py], threads: [4, 0]}\n", "b.yaml:2:38: 'pytest.threads' must be a positive integer, got '0'"},
    {"name: x\npytest: {tests: [t.py], threads: []}\n", "b.yaml:2:34: 'pytest.threads' is empty: give at least one positive integer"},
    {"name: x\npytest: {tests: [t.py], threads: 4}\n", "b.yaml:2:34: 'pytest.threads' must be a list of positive integers, got a scalar"},
    {"name: x\npytest: {tests: [t.py], slow: 0}\n", "b.yaml:2:31: 'pytest.slow' must be a positive integer, got '0'"},
    {"name: x\npytest: {tests: []}\n", "b.yaml:2:9: 'pytest.tests' is empty: name at least one test file, directory or node id"},
    {"name: x\nroles: []\n", "b.yaml:2:8: 'roles' is empty: give it at least one {name, threads, body}"},
    {"name: x\nroles: [{name: w, threads: 2}]\n", "b.yaml:2:9: missing required key 'roles.body'"},
    {"name: x\nroles: [{name: a_role_name_too_long, body: pass}]\n",
     "b.yaml:2:9: 'roles.name' must be 1 to 15 letters, digits, '_' and '-' (it names the role's threads), "
     "got 'a_role_name_too_long'"},
    {"name: x\nroles: [{name: w, body: pass}, {name: w, body: pass}]\n", "b.yaml:2:32: role 'w' appears twice in 'roles'"},
    {"name: x\nthreads: 3\nroles: [{name: w, threads: 2, body: pass}]\n",
     "b.yaml:2:10: 'threads' is 3 but the roles have 2 threads in all (leave 'threads' out with roles)"},
    {"name: x\nroles: [{name: w, body: pass, thread: 2}]\n",
     "b.yaml:2:31: unknown key 'roles.thread' (did you mean 'threads'?)"},
    {"name: x\nbody: pass\nbarrier: always\n", "b.yaml:3:10: 'barrier' must be one of start, each, got 'always'"},
    {"name: x\nbody: pass\nchecks: {forbid: [fork, clone]}\n",
     "b.yaml:3:25: 'checks.forbid' must be one of fork, subprocess, exec, spawn, system, got 'clone'"},
    {"name: x\nbody: pass\nchecks: {max_rss: 3}\n", "b.yaml:3:10: unknown key 'checks.max_rss' (did you mean 'max_rss_mb'?)"},
    {"name: x\nbody: pass\nbody: pass\n", "b.yaml:3:1: key 'body' appears twice"},
    {"name: x\nbody: pass\nexpect: [{numpy: '1'}]\n", "b.yaml:3:10: missing required key 'expect.outcome'"},
    {"name: x\nbody: pass\nenv: [A]\n", "b.yaml:3:6: 'env' must be a mapping of names to strings, got a list"},
    {"name: x y\nbody: pass\n", "b.yaml:1:1: 'name' must be letters, digits, '_' and '-', got 'x y'"},
    {"name: x\nbody: pass\nbuild: {fortran: k.f}\n", "b.yaml:1:1: 'build' kinds are c, cython, preload and pythran, got 'fortran'"},
    {"name: x\nbody: |\n  \n", "b.yaml:1:1: 'body' is empty"},
    {"", "b.yaml:1:1: empty scenario: it needs at least 'name' and 'body'"},
    {"name: x\nbody: pass\nverify: {san: msan}\n", "b.yaml:1:1: 'verify.san' must be tsan, asan or none, got 'msan'"},
    {"name: x\nbody: pass\nverify: {numpy: 2.2.5}\n", "b.yaml:3:17: 'verify.numpy' must be a list of strings, got a scalar"},
    {"- a\n- b\n", "b.yaml:1:1: a scenario must be a mapping, got a list"},
    /* A YAML syntax error on line 7: an unclosed flow mapping. */
    {"name: x\nthreads: 2\nruns: 1\niterations: 1\nbody: |\n  pass\nenv: {A: 1\n",
     "b.yaml:8:1: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping"},
    {"name: x\nbody: pass\n  bad: indent\n",
     "b.yaml:3:6: YAML syntax error: mapping values are not allowed in this context"},
    {"name: x\nbody: pass\nexpect:\n  - {numpy: \">=abc\", outcome: clean}\n",
     "b.yaml:4:13: 'expect.numpy' must be a version range such as \"<=2.2.5\" or \">=2.1,<2.3\", got '>=abc'"},
    {"name: x\nbody: pass\nrequires: {python: \"3.13+\"}\n",
     "b.yaml:3:20: 'requires.python' must be a version range such as \"<=2.2.5\" or \">=2.1,<2.3\", got '3.13+'"},
    {"name: x\nbody: pass\nexpect:\n  - {outcome: found, packages: {joblib: \"1.4.x,\"}}\n",
     "b.yaml:4:41: 'expect.packages.joblib' must be a version range such as \"<=1.4.2\", got '1.4.x,'"},
    {"name: x\nbody: pass\n---\nname: y\nbody: pass\n",
     "b.yaml:3:1: a second YAML document: a scenario file holds exactly one scenario"},
    {"name: x\nbody: pass\nrequires: {packages: {numpy: \"*\", scipy: \"*\"}, from_source: [statsmodels]}\n",
     "b.yaml:3:62: 'requires.from_source' names packages of 'requires.packages' other than numpy (NumPy is always built "
     "with the sanitizer), got 'statsmodels'"},
    {"name: x\nbody: pass\nexpect:\n  - {outcome: found, kind: worker-exception}\n",
     "b.yaml:4:28: 'expect.kind' must be one of data-race, scenario-data-race, heap-use-after-free, double-free, heap-buffer-overflow, "
     "stack-buffer-overflow, global-buffer-overflow, bad-free, thread-leak, mutex-misuse, lock-order-inversion, "
     "signal-unsafe-call, signal-errno, segv, undefined-behaviour, sanitizer-report, malloc-abort, fatal-signal, hang, "
     "exception, process-event, resource; got 'worker-exception'"},
    {"name: x\nbody: pass\nrequires: {packages: {numpy: \"*\"}, from_source: [numpy]}\n",
     "b.yaml:3:50: 'requires.from_source' names packages of 'requires.packages' other than numpy (NumPy is always built "
     "with the sanitizer), got 'numpy'"},
};

static void
test_bad_scenarios(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct scn_scenario s;
        struct buf err;
        int rc;

        buf_init(&err, 4096);
        rc = scn_parse(bad_cases[i].text, strlen(bad_cases[i].text), "b.yaml", &s, &err);
        if (rc != FT_ESCENARIO || strcmp(buf_cstr(&err), bad_cases[i].message) != 0)
            fail_msg("case %zu: rc %d, message\n  got:  %s\n  want: %s", i, rc, buf_cstr(&err),
                     bad_cases[i].message);
        assert_null(s.name); /* nothing left to free */
        buf_free(&err);
    }
}

/* Code blocks know where they start: line and indentation, for a Python error's column. */
static void
test_code_positions(void **state)
{
    static const char text[] = "name: x\nsetup: import os\nbody: |\n    a = 1\n    b = (\nteardown: 'pass'\n";
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_parse(text, strlen(text), "p.yaml", &s, &err), 0);
    assert_int_equal(s.setup.line, 2);
    assert_int_equal(s.setup.column, 7);
    assert_int_equal(s.body.line, 4);
    assert_int_equal(s.body.column, 4);
    assert_int_equal(s.teardown.line, 6);
    assert_int_equal(s.teardown.column, 11);
    scn_free(&s);
    buf_free(&err);
}

static void
test_load_missing_file(void **state)
{
    struct scn_scenario s;
    struct buf err;

    (void)state;
    buf_init(&err, 4096);
    assert_int_equal(scn_load("/nonexistent/x.yaml", &s, &err), FT_EIO);
    assert_non_null(strstr(buf_cstr(&err), "/nonexistent/x.yaml: cannot read the scenario"));
    buf_free(&err);
}

/* Whether two YAML subtrees hold the same data (styles aside). */
static int
same_tree(yaml_document_t *da, yaml_node_t *a, yaml_document_t *db, yaml_node_t *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == YAML_SCALAR_NODE)
        return strcmp((char *)a->data.scalar.value, (char *)b->data.scalar.value) == 0;
    if (a->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *i = a->data.sequence.items.start, *j = b->data.sequence.items.start;

        for (; i < a->data.sequence.items.top && j < b->data.sequence.items.top; i++, j++)
            if (!same_tree(da, yaml_document_get_node(da, *i), db, yaml_document_get_node(db, *j)))
                return 0;
        return i == a->data.sequence.items.top && j == b->data.sequence.items.top;
    }
    if (a->data.mapping.pairs.top - a->data.mapping.pairs.start != b->data.mapping.pairs.top - b->data.mapping.pairs.start)
        return 0;
    for (yaml_node_pair_t *p = a->data.mapping.pairs.start, *q = b->data.mapping.pairs.start; p < a->data.mapping.pairs.top;
         p++, q++)
        if (!same_tree(da, yaml_document_get_node(da, p->key), db, yaml_document_get_node(db, q->key)) ||
            !same_tree(da, yaml_document_get_node(da, p->value), db, yaml_document_get_node(db, q->value)))
            return 0;
    return 1;
}

static void
load_doc(const char *text, yaml_document_t *doc)
{
    yaml_parser_t p;

    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    assert_true(yaml_parser_load(&p, doc));
    yaml_parser_delete(&p);
}

/* scn_emit: the set keys take their new values; every other key, whatever it is, comes back
 * as it was (compared as YAML data, so a key added to the schema is covered too); a key that
 * cannot be set, or a value the loader rejects, is an error with nothing emitted. */
static void
test_emit_keeps_every_key(void **state)
{
    static const char extra[] = "verify: {san: tsan, numpy: [\"2.2.5\", \"2.2.6\"], packages: [\"joblib==1.4.2\"]}\n"
                                "build: {c: kernels/k.c}\n";
    char path[] = "/tmp/scn-emit-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    struct scn_pair set[] = {{"threads", "2"}, {"body", "y = x[::2]\nnp.from_dlpack(y)\n"}, {"runs", "5"}};
    struct scn_pair bad[] = {{"expect", "[]"}}, zero[] = {{"threads", "0"}};
    yaml_document_t a, b;
    yaml_node_t *ra, *rb;
    struct scn_scenario s;
    struct buf out, err;

    (void)state;
    assert_non_null(f);
    fputs(valid, f);
    fputs(extra, f);
    fclose(f);
    buf_init(&out, 1 << 20);
    buf_init(&err, 4096);
    assert_int_equal(scn_emit(path, set, 3, &out, &err), 0);
    assert_int_equal(scn_parse(buf_cstr(&out), out.len, "emitted", &s, &err), 0);
    assert_int_equal(s.threads, 2);
    assert_int_equal(s.runs, 5);
    assert_string_equal(s.body.text, "y = x[::2]\nnp.from_dlpack(y)\n");
    assert_int_equal(s.body.line, 16); /* a literal block where the original had it */
    scn_free(&s);
    {
        char *whole = malloc(sizeof(valid) + sizeof(extra));

        memcpy(whole, valid, sizeof(valid) - 1);
        memcpy(whole + sizeof(valid) - 1, extra, sizeof(extra)); /* with extra's NUL */
        load_doc(whole, &a);
        free(whole);
    }
    load_doc(buf_cstr(&out), &b);
    ra = yaml_document_get_root_node(&a);
    rb = yaml_document_get_root_node(&b);
    assert_int_equal(ra->data.mapping.pairs.top - ra->data.mapping.pairs.start,
                     rb->data.mapping.pairs.top - rb->data.mapping.pairs.start);
    for (yaml_node_pair_t *p = ra->data.mapping.pairs.start, *q = rb->data.mapping.pairs.start; p < ra->data.mapping.pairs.top;
         p++, q++) {
        const char *key = (char *)yaml_document_get_node(&a, p->key)->data.scalar.value;

        assert_string_equal(key, (char *)yaml_document_get_node(&b, q->key)->data.scalar.value);
        if (strcmp(key, "threads") && strcmp(key, "body") && strcmp(key, "runs") &&
            !same_tree(&a, yaml_document_get_node(&a, p->value), &b, yaml_document_get_node(&b, q->value)))
            fail_msg("key '%s' changed in the emitted scenario:\n%s", key, buf_cstr(&out));
    }
    yaml_document_delete(&a);
    yaml_document_delete(&b);
    buf_free(&out);
    buf_free(&err);
    assert_int_equal(scn_emit(path, bad, 1, &out, &err), FT_EUSAGE);
    assert_non_null(strstr(buf_cstr(&err), "cannot set 'expect'"));
    assert_int_equal(out.len, 0);
    buf_free(&err);
    assert_int_equal(scn_emit(path, zero, 1, &out, &err), FT_ESCENARIO);
    assert_non_null(strstr(buf_cstr(&err), "'threads' must be a positive integer, got '0'"));
    assert_int_equal(out.len, 0);
    buf_free(&err);
    unlink(path);
}

/* A value of n bytes for a settable key of that kind: Python source of many lines (one that
 * needs an indentation indicator: its first line starts with a space), a string that needs
 * quoting and carries non-ASCII text, or a number. */
static char *
emit_value(char kind, size_t n, unsigned seed)
{
    char *v = malloc(n + 1);
    size_t i = 0;

    assert_non_null(v);
    if (kind == 'i') {
        snprintf(v, n + 1, "%u", 1000000 - seed);
        return v;
    }
    if (kind == 'p')
        i += (size_t)snprintf(v, n + 1, " if True:\n  x_%u = 1\n", seed);
    else
        i += (size_t)snprintf(v, n + 1, "key: 'quoted' #%u \xc3\xa9 ", seed);
    while (i < n) {
        size_t w = (size_t)snprintf(v + i, n + 1 - i, kind == 'p' ? "y = [%zu] * 3\n" : "word%zu ", i);

        i += w < n - i ? w : n - i;
    }
    v[n] = '\0';
    if (kind == 'p' && n > 0)
        v[n - 1] = '\n';
    else if (kind == 's' && n > 0)
        v[n - 1] = 'z'; /* no trailing space: the loader would keep it, YAML plain scalars not */
    return v;
}

/* Every settable key at once, values near the size limit, on a scenario that has few of the
 * keys (each is appended: libyaml's node and pair arrays grow, and move, many times) and on
 * dlpack_race itself, whose shape (setup, body, three scalars) crashed the emitter when a pointer
 * into the document was kept across an addition. What is emitted loads back with every value. */
static void
test_emit_every_settable_key(void **state)
{
    static const char small[] = "name: small\nbody: pass\n";
    const char *name;
    char kind;
    struct scn_pair set[64];
    size_t n = 0, code = 0;
    struct scn_scenario s;
    struct buf out, err;

    (void)state;
    for (; (name = scn_settable_key(n, &kind)) != NULL; n++)
        code += kind == 'p';
    assert_in_range(n, 8, 64); /* body, setup, teardown, name, summary, iterations, runs, seed, threads, timeout */
    for (size_t i = 0; i < n; i++) {
        name = scn_settable_key(i, &kind);
        set[i].key = (char *)name;
        /* the code keys share 900 KiB; the strings a few KiB: the emitted file stays under 1 MiB */
        set[i].value = strcmp(name, "name") == 0 ? strdup("a_name-that_is-long_0123456789")
                                                 : emit_value(kind, kind == 'p' ? 900000 / code : 4096, (unsigned)i);
    }
    buf_init(&out, (size_t)2 << 20);
    buf_init(&err, 4096);
    for (int which = 0; which < 2; which++) {
        if (which == 0)
            assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", set, n, &out, &err), 0);
        else
            assert_int_equal(scn_emit("scenarios/dlpack_race.yaml", set, n, &out, &err), 0);
        assert_in_range(out.len, 900000, SCN_MAX_FILE);
        assert_int_equal(scn_parse(buf_cstr(&out), out.len, "emitted", &s, &err), 0);
        for (size_t i = 0; i < n; i++) {
            char num[32];

            assert_non_null(scn_settable_value(&s, set[i].key, num, sizeof(num)));
            assert_string_equal(scn_settable_value(&s, set[i].key, num, sizeof(num)), set[i].value);
        }
        scn_free(&s);
        buf_free(&out);
    }
    /* The same key twice: the last value wins. */
    {
        struct scn_pair twice[] = {{"threads", "3"}, {"body", "a = 1\n"}, {"threads", "5"}, {"body", "b = 2\n"}};

        assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", twice, 4, &out, &err), 0);
        assert_int_equal(scn_parse(buf_cstr(&out), out.len, "emitted", &s, &err), 0);
        assert_int_equal(s.threads, 5);
        assert_string_equal(s.body.text, "b = 2\n");
        scn_free(&s);
        buf_free(&out);
    }
    /* Past the limits, or not text: an error that says so, and nothing emitted. */
    {
        char *big = emit_value('p', SCN_MAX_FILE / 2 + 10000, 1); /* once fits, twice does not */
        struct scn_pair over[] = {{"setup", big}, {"body", "pass\n"}}, bad[] = {{"summary", "caf\xc3("}};

        assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", over, 1, &out, &err), 0);
        buf_free(&out);
        assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", over, 2, &out, &err), 0);
        buf_free(&out);
        over[1].key = "teardown";
        over[1].value = big;
        assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", over, 2, &out, &err), FT_EUSAGE);
        assert_non_null(strstr(buf_cstr(&err), "over the 1048576 a scenario file may have"));
        assert_int_equal(out.len, 0);
        buf_free(&err);
        assert_int_equal(scn_emit_text(small, strlen(small), "small.yaml", bad, 1, &out, &err), FT_EUSAGE);
        assert_string_equal(buf_cstr(&err), "small.yaml: cannot set 'summary': its value is not UTF-8 (byte 4 of 5)");
        assert_int_equal(out.len, 0);
        buf_free(&err);
        free(big);
    }
    for (size_t i = 0; i < n; i++)
        free(set[i].value);
    buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_scenario),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_pytest_defaults),
        cmocka_unit_test(test_verify_and_package_expectations),
        cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_code_positions),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_emit_keeps_every_key),
        cmocka_unit_test(test_emit_every_settable_key),
    };

    return cmocka_run_group_tests_name("scn", tests, NULL, NULL);
}
