/* scntool: the scenario loader without an interpreter, for the build scripts: checks a scenario
 * before any toolchain is built, and tells what it needs (packages, compiled kernels). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../cython.h"
#include "../prog.h"
#include "../err.h"
#include "../evd.h"
#include "../layout.h"
#include "../plan.h"
#include "../san.h"
#include "../scn.h"
#include "../sig.h"
#include "../ver.h"

/* requires.packages as pip requirements; "*" means any version; numpy is the toolchain's. */
static void
scntool__packages(const struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_packages; i++) {
        const char *spec = s->packages[i].value;

        if (strcmp(s->packages[i].key, "numpy") == 0)
            continue;
        printf("%s%s\n", s->packages[i].key, strcmp(spec, "*") == 0 ? "" : spec);
    }
}

static json_t *
scntool__pairs(const struct scn_pair *p, size_t n)
{
    json_t *o = json_object();

    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, p[i].key, json_string(p[i].value));
    return o;
}

/* The keys a run depends on, as JSON, for the minimizer to rewrite and write back as YAML. */
static void
scntool__json(const struct scn_scenario *s)
{
    json_t *o = json_object(), *checks = json_object(), *forbid = json_array();
    char *text;

    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "threads", json_integer(s->threads));
    json_object_set_new(o, "iterations", json_integer(s->iterations));
    json_object_set_new(o, "runs", json_integer(s->runs)); /* 0: pytest mode's, one a group of its plan */
    json_object_set_new(o, "process", json_string(s->process == SCN_PROCESS_FRESH ? "fresh" : "fork"));
    json_object_set_new(o, "timeout", json_integer(s->timeout));
    json_object_set_new(o, "barrier", json_string(s->barrier == SCN_BARRIER_EACH ? "each" : "start"));
    json_object_set_new(o, "env", scntool__pairs(s->env, s->n_env));
    json_object_set_new(o, "build", scntool__pairs(s->build, s->n_build));
    for (unsigned ev = 1; ev <= SCN_EV_SYSTEM; ev <<= 1)
        if (s->forbid & ev)
            json_array_append_new(forbid, json_string(scn_event_name(ev)));
    if (json_array_size(forbid))
        json_object_set(checks, "forbid", forbid);
    if (s->max_rss_mb)
        json_object_set_new(checks, "max_rss_mb", json_integer(s->max_rss_mb));
    if (s->max_vm_mb)
        json_object_set_new(checks, "max_vm_mb", json_integer(s->max_vm_mb));
    if (s->max_threads)
        json_object_set_new(checks, "max_threads", json_integer(s->max_threads));
    json_decref(forbid);
    json_object_set_new(o, "checks", checks);
    json_object_set_new(o, "setup", s->setup.text ? json_string(s->setup.text) : json_null());
    json_object_set_new(o, "body", s->body.text ? json_string(s->body.text) : json_null());
    if (s->n_roles) {
        json_t *roles = json_array();

        for (size_t i = 0; i < s->n_roles; i++)
            json_array_append_new(roles, json_pack("{s:s,s:I,s:s}", "name", s->roles[i].name, "threads",
                                                   (json_int_t)s->roles[i].threads, "body", s->roles[i].body.text));
        json_object_set_new(o, "roles", roles);
    }
    if (s->pytest)
        json_object_set_new(o, "pytest", scn_pytest_json(s));
    json_object_set_new(o, "teardown", s->teardown.text ? json_string(s->teardown.text) : json_null());
    text = json_dumps(o, JSON_INDENT(2));
    puts(text ? text : "{}");
    free(text);
    json_decref(o);
}

/* One line per verification run: "SAN NUMPY PINS" ("-" for no pins). */
static void
scntool__plan(const struct scn_scenario *s)
{
    const char *san = s->verify_san ? s->verify_san : (s->sanitizers & SCN_SAN_TSAN) ? "tsan" : (s->sanitizers & SCN_SAN_ASAN) ? "asan" : "none";

    for (size_t i = 0; i < s->n_verify_numpy; i++) {
        if (s->n_verify_packages == 0)
            printf("%s %s -\n", san, s->verify_numpy[i]);
        for (size_t k = 0; k < s->n_verify_packages; k++)
            printf("%s %s %s\n", san, s->verify_numpy[i], s->verify_packages[k]);
    }
}

/* The pin "name==version" in pins, or NULL. */
static const char *
scntool__pinned(const char *pins, const char *name, char *out, size_t n)
{
    const char *p = pins;
    size_t len = strlen(name);

    while (p && *p) {
        size_t w = strcspn(p, " ");

        if (strncmp(p, name, len) == 0 && strncmp(p + len, "==", 2) == 0) {
            snprintf(out, n, "%.*s", (int)(w - len - 2), p + len + 2);
            return out;
        }
        p += w + (p[w] == ' ');
    }
    return NULL;
}

/* The first expectation whose ranges all match: "outcome kind match known" ("-" for none). */
static int
scntool__expect(const struct scn_scenario *s, const char *san, const char *numpy, const char *pins)
{
    for (size_t i = 0; i < s->n_expect; i++) {
        const struct scn_expect *e = &s->expect[i];
        int ok = (!e->san || strcmp(e->san, san) == 0) && ver_match(e->numpy, numpy) == 1;
        char v[64];

        for (size_t k = 0; ok && k < e->n_packages; k++) {
            const char *have = scntool__pinned(pins, e->packages[k].key, v, sizeof(v));

            ok = have && ver_match(e->packages[k].value, have) == 1;
        }
        if (ok) {
            printf("%s %s %s %s\n", e->outcome, e->kind ? e->kind : "-", e->match ? e->match : "-", e->known ? e->known : "-");
            return FT_EXIT_CLEAN;
        }
    }
    printf("none - - -\n");
    return FT_EXIT_CLEAN;
}

/* `scntool sign [--catalog known/catalog.json] FILE...`: sanitizer output of any program (a
 * log_path file, or a captured stderr) parsed and signed exactly as the harness signs its runs,
 * races of one bug grouped, known issues marked as the harness marks them: JSON {"findings":
 * [{kind, signature, also_seen_as, occurrences, known}]}. What the benchmarks and the minimizer
 * use to decide whether a plain program showed a bug. */
static int
scntool__sign(int n, char **files)
{
    const char *catalog = NULL;

    if (n >= 2 && strcmp(files[0], "--catalog") == 0) {
        catalog = files[1];
        files += 2;
        n -= 2;
    }
    struct sig_findings f;
    struct sig_policy p = {0};
    json_t *o = json_object(), *fa = json_array();
    int rc = FT_EXIT_CLEAN;

    sig_findings_init(&f);
    for (int i = 0; i < n && rc == FT_EXIT_CLEAN; i++) {
        struct san_reports r;
        size_t len;
        char *text = evd_read_file(files[i], (size_t)64 << 20, &len);

        if (text == NULL) {
            fprintf(stderr, "harness: error: cannot read %s\n", files[i]);
            rc = FT_EXIT_USAGE;
            break;
        }
        san_reports_init(&r);
        /* Cython's frames named as the harness names them (no line map here: the signatures
         * use the .pyx's name alone), so a plain program's reports compare with a run's */
        if (san_parse_tsan(text, len, &r) != 0 || san_parse_asan(text, len, &r) != 0 || cython_frames(&r, NULL) < 0 ||
            sig_add_run(&f, &r, i, &p) != 0)
            rc = FT_EXIT_INFRA;
        san_reports_free(&r);
        free(text);
    }
    if (rc == FT_EXIT_CLEAN && catalog) {
        size_t len;
        char *text = evd_read_file(catalog, (size_t)1 << 22, &len);

        if (text == NULL || sig_apply_catalog(&f, text, len) != 0) {
            fprintf(stderr, "harness: error: %s: cannot read it as a catalog of known issues\n", catalog);
            rc = FT_EXIT_USAGE;
        }
        free(text);
    }
    if (rc == FT_EXIT_CLEAN && sig_group_races(&f) != 0) /* after the catalog, as the harness does */
        rc = FT_EXIT_INFRA;
    for (size_t i = 0; rc == FT_EXIT_CLEAN && i < f.n; i++) {
        json_t *x = json_object(), *also = json_array();

        json_object_set_new(x, "kind", json_string(san_kind_slug(f.v[i].kind)));
        json_object_set_new(x, "signature", json_string(f.v[i].signature));
        for (size_t k = 0; k < f.v[i].n_also; k++)
            json_array_append_new(also, json_string(f.v[i].also[k]));
        json_object_set_new(x, "also_seen_as", also);
        json_object_set_new(x, "occurrences", json_integer(f.v[i].occurrences));
        json_object_set_new(x, "known", f.v[i].known ? json_string(f.v[i].known) : json_null());
        json_array_append_new(fa, x);
    }
    json_object_set_new(o, "findings", fa);
    if (rc == FT_EXIT_CLEAN && (json_dumpf(o, stdout, JSON_INDENT(2)) != 0 || putchar('\n') == EOF))
        rc = FT_EXIT_INFRA;
    json_decref(o);
    sig_findings_free(&f);
    return rc;
}

static int scntool__usage(void);

/* `scntool known --catalog FILE KIND SIGNATURE [ALSO...]`: the known issue a finding of that kind
 * and signatures is, by the harness's own rule (sig_apply_catalog, sig_matches), the signatures
 * first written as today's harness writes them (cython_signature): JSON {"known",
 * "url", "fixed_in"}, nulls when none. For tools that hold findings made before the catalog
 * learned of their issue (a long hunt). */
/* A signature as the harness writes it today: one written before Cython's frames were named
 * as their authors wrote them (a stored hunt's) compares with today's catalog. */
static char *
scntool__today(const char *sig)
{
    char out[4096];

    cython_signature(sig, out, sizeof(out));
    return strdup(out);
}

/* `scntool waits RUN_DIR`: why the threads of a hung run waited (sig_waits), read from its kept
 * evidence as the harness reads it (evd_read_run): JSON, null when the run did not hang. */
static int
scntool__waits_argv(int n, char **argv)
{
    struct san_reports out;
    struct evd_status st;
    json_t *w = NULL;
    int rc;

    (void)n;
    san_reports_init(&out);
    if ((rc = evd_read_run(argv[0], NULL, &out, &st)) != 0) {
        fprintf(stderr, "harness: error: %s: %s\n", argv[0], ft_strerror(rc));
        san_reports_free(&out);
        return rc == FT_EIO ? FT_EXIT_USAGE : FT_EXIT_INFRA;
    }
    for (size_t i = 0; i < out.n && !w; i++)
        if (out.v[i].kind == SAN_HANG)
            w = sig_waits(&out.v[i]);
    rc = json_dumpf(w ? w : json_null(), stdout, JSON_INDENT(1)) == 0 && putchar('\n') != EOF;
    json_decref(w);
    san_reports_free(&out);
    return rc ? FT_EXIT_CLEAN : FT_EXIT_INFRA;
}

/* `scntool today SIGNATURE...`: each signature as today's harness writes it (Cython's frames
 * named as their authors wrote them), a JSON list: how a tool compares stored signatures. */
static int
scntool__today_argv(int n, char **argv)
{
    json_t *out = json_array();

    for (int i = 0; i < n; i++) {
        char *t = scntool__today(argv[i]);

        if (t == NULL || json_array_append_new(out, json_string(t)) != 0) {
            free(t);
            json_decref(out);
            return FT_EXIT_INFRA;
        }
        free(t);
    }
    n = json_dumpf(out, stdout, 0) == 0 && putchar('\n') != EOF;
    json_decref(out);
    return n ? FT_EXIT_CLEAN : FT_EXIT_INFRA;
}

static int
scntool__known(int n, char **argv)
{
    struct sig_findings f;
    struct sig_finding *x;
    json_t *o;
    size_t len;
    char *text;
    int rc = FT_EXIT_CLEAN;

    if (n < 4 || strcmp(argv[0], "--catalog") != 0)
        return scntool__usage();
    if ((text = evd_read_file(argv[1], (size_t)1 << 22, &len)) == NULL) {
        fprintf(stderr, "harness: error: cannot read %s\n", argv[1]);
        return FT_EXIT_USAGE;
    }
    sig_findings_init(&f);
    if ((x = f.v = calloc(1, sizeof(*f.v))) == NULL || (x->signature = scntool__today(argv[3])) == NULL ||
        (x->also = calloc((size_t)n, sizeof(*x->also))) == NULL) {
        rc = FT_EXIT_INFRA;
        goto out;
    }
    f.n = 1;
    x->kind = SAN_KIND_COUNT;
    for (int k = 0; k < SAN_KIND_COUNT; k++)
        if (strcmp(san_kind_slug((enum san_kind)k), argv[2]) == 0)
            x->kind = (enum san_kind)k;
    for (int i = 4; i < n; i++)
        if ((x->also[x->n_also++] = scntool__today(argv[i])) == NULL)
            rc = FT_EXIT_INFRA;
    if (rc == FT_EXIT_CLEAN && sig_apply_catalog(&f, text, len) != 0) {
        fprintf(stderr, "harness: error: %s: cannot read it as a catalog of known issues\n", argv[1]);
        rc = FT_EXIT_USAGE;
    }
    if (rc == FT_EXIT_CLEAN) {
        o = json_pack("{s:s?,s:s?,s:s?}", "known", f.v[0].known, "url", f.v[0].known_url, "fixed_in", f.v[0].fixed_in);
        if (o == NULL || json_dumpf(o, stdout, 0) != 0 || putchar('\n') == EOF)
            rc = FT_EXIT_INFRA;
        json_decref(o);
    }
out:
    sig_findings_free(&f);
    free(text);
    return rc;
}

/* `scntool emit SCENARIO.yaml [KEY=VALUE | KEY=@FILE]...`: the scenario with those top-level
 * values replaced, every other key as written (scn_emit); @FILE reads the value from a file. */
static int
scntool__emit(const char *path, int n, char **sets)
{
    struct scn_pair *set = calloc((size_t)n + 1, sizeof(*set));
    struct buf out, err, *vals = calloc((size_t)n + 1, sizeof(*vals));
    int rc = FT_EXIT_CLEAN;

    buf_init(&out, (size_t)1 << 21);
    buf_init(&err, 1 << 16);
    if (set == NULL || vals == NULL) {
        fprintf(stderr, "harness: error: out of memory\n");
        rc = FT_EXIT_INFRA;
    }
    for (int i = 0; i < n && rc == FT_EXIT_CLEAN; i++) {
        char *eq = strchr(sets[i], '=');

        buf_init(&vals[i], SCN_MAX_FILE + 1);
        if (eq == NULL || eq == sets[i]) {
            fprintf(stderr, "harness: error: emit: '%s' is not KEY=VALUE or KEY=@FILE\n", sets[i]);
            rc = FT_EXIT_USAGE;
            break;
        }
        *eq = '\0';
        set[i].key = sets[i];
        if (eq[1] == '@') {
            size_t len;
            /* read past the limit, so that a larger file is refused, not cut (evd_read_file cuts) */
            char *text = evd_read_file(eq + 2, 2 * SCN_MAX_FILE, &len);

            if (text == NULL) {
                fprintf(stderr, "harness: error: emit: cannot read %s\n", eq + 2);
                rc = FT_EXIT_USAGE;
            } else if (len > SCN_MAX_FILE || buf_append(&vals[i], text, len) != 0) {
                fprintf(stderr, "harness: error: emit: %s is over the %zu bytes a value may have\n", eq + 2,
                        SCN_MAX_FILE);
                rc = FT_EXIT_USAGE;
            }
            free(text);
            set[i].value = (char *)buf_cstr(&vals[i]);
        } else {
            set[i].value = eq + 1;
        }
    }
    /* the scenario first, as every verb reads it: one it cannot read or that is invalid is the
     * caller's mistake (exit 2); after that, an emitter that fails is the tool's (exit 3) */
    if (rc == FT_EXIT_CLEAN) {
        struct scn_scenario s;

        if ((rc = scn_load(path, &s, &err)) == 0)
            scn_free(&s);
        else {
            fprintf(stderr, "harness: error: %s\n", buf_cstr(&err));
            rc = rc == FT_ENOMEM ? FT_EXIT_INFRA : FT_EXIT_USAGE;
        }
    }
    if (rc == FT_EXIT_CLEAN && (rc = scn_emit(path, set, (size_t)n, &out, &err)) != 0) {
        fprintf(stderr, "harness: error: %s\n", buf_cstr(&err));
        rc = rc == FT_ENOMEM || rc == FT_EIO ? FT_EXIT_INFRA : FT_EXIT_USAGE;
    }
    if (rc == FT_EXIT_CLEAN && fwrite(buf_cstr(&out), 1, out.len, stdout) != out.len)
        rc = FT_EXIT_INFRA;
    for (int i = 0; i < n && vals; i++)
        buf_free(&vals[i]);
    free(vals);
    free(set);
    buf_free(&out);
    buf_free(&err);
    return rc;
}

/* `scntool layout`: harness/layout.h as JSON, for the Python tools that read reports. */
static int
scntool__layout(void)
{
    static const char *const names[][2] = {
        {"latest", LAYOUT_LATEST},         {"run_json", LAYOUT_RUN_JSON},       {"report_json", LAYOUT_REPORT_JSON},
        {"summary_md", LAYOUT_SUMMARY_MD}, {"junit_xml", LAYOUT_JUNIT_XML},     {"suppressions", LAYOUT_SUPPRESSIONS},
        {"findings", LAYOUT_FINDINGS},     {"finding_md", LAYOUT_FINDING_MD}, {"finding_py", LAYOUT_FINDING_PY},   {"evidence", LAYOUT_EVIDENCE},
        {"run_dir", LAYOUT_RUN_DIR},       {"status", LAYOUT_STATUS},           {"stdout", LAYOUT_STDOUT},
        {"stderr", LAYOUT_STDERR},         {"events", LAYOUT_EVENTS},           {"pystack", LAYOUT_PYSTACK},
        {"faulthandler", LAYOUT_FAULTHANDLER}, {"gdb", LAYOUT_GDB},            {"tsan_log", LAYOUT_TSAN_LOG},
        {"asan_log", LAYOUT_ASAN_LOG},     {"sancov", LAYOUT_SANCOV},
    };
    json_t *o = json_object();
    int rc;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_object_set_new(o, names[i][0], json_string(names[i][1]));
    rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && putchar('\n') != EOF ? FT_EXIT_CLEAN : FT_EXIT_INFRA;
    json_decref(o);
    return rc;
}

/* `scntool sanopts [--dir DIR] [--suppressions FILE] [--symbolizer PATH]`: the sanitizer options
 * of a process whose evidence is kept, as the harness gives its runs (plan_sanitizer_options),
 * the user's TSAN_OPTIONS and ASAN_OPTIONS (this tool's environment) first: two lines,
 * TSAN_OPTIONS=... and ASAN_OPTIONS=..., for the Python tools' plain programs. */
static int
scntool__sanopts(int argc, char **argv)
{
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                             {"suppressions", required_argument, NULL, 's'},
                                             {"symbolizer", required_argument, NULL, 'y'},
                                             {NULL, 0, NULL, 0}};
    const char *dir = NULL, *supp = NULL, *sym = NULL;
    struct buf t, a;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 's': supp = optarg; break;
        case 'y': sym = optarg; break;
        case ':':
            fprintf(stderr, "harness: error: sanopts: %s needs a value\n", argv[optind - 1]);
            return FT_EXIT_USAGE;
        default:
            fprintf(stderr, "harness: error: sanopts: unknown option '%s' (--dir, --suppressions, --symbolizer)\n",
                    argv[optind - 1]);
            return FT_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "harness: error: sanopts: unexpected argument '%s'\n", argv[optind]);
        return FT_EXIT_USAGE;
    }
    buf_init(&t, (size_t)1 << 16);
    buf_init(&a, (size_t)1 << 16);
    rc = plan_sanitizer_options(&t, &a, getenv("TSAN_OPTIONS"), getenv("ASAN_OPTIONS"), dir, supp, sym, 0);
    if (rc == 0)
        printf("%s\n%s\n", buf_cstr(&t), buf_cstr(&a));
    else
        fprintf(stderr, "harness: error: sanopts: the options are too long\n");
    buf_free(&t);
    buf_free(&a);
    return rc == 0 ? FT_EXIT_CLEAN : rc == FT_ETOOBIG ? FT_EXIT_USAGE : FT_EXIT_INFRA;
}

static void
scntool__name(const struct scn_scenario *s)
{
    printf("%s\n", s->name);
}

static void
scntool__sources(const struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_from_source; i++)
        printf("%s\n", s->from_source[i]);
}

static void
scntool__build(const struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_build; i++)
        printf("%s %s\n", s->build[i].key, s->build[i].value);
}

static void
scntool__program(const struct scn_scenario *s)
{
    struct buf b;

    buf_init(&b, (size_t)1 << 22);
    if (prog_python(&b, s, NULL) == 0)
        fputs(buf_cstr(&b), stdout);
    buf_free(&b);
}

static void
scntool__sanitizers(const struct scn_scenario *s)
{
    printf("%s%s%s\n", s->sanitizers & SCN_SAN_TSAN ? "tsan " : "", s->sanitizers & SCN_SAN_ASAN ? "asan " : "",
           s->sanitizers & SCN_SAN_NONE ? "none" : "");
}

static void
scntool__check(const struct scn_scenario *s)
{
    (void)s;
}

/* getopt_long reads from argv[1]: the verb stays in front of its arguments. */
static int
scntool__sanopts_argv(int argc, char **argv)
{
    return scntool__sanopts(argc + 1, argv - 1);
}

static int
scntool__emit_argv(int argc, char **argv)
{
    return scntool__emit(argv[0], argc - 1, argv + 1);
}

static int
scntool__layout_argv(int argc, char **argv)
{
    (void)argc, (void)argv;
    return scntool__layout();
}

/* The verbs: one table, from which both the dispatch and the usage come. A verb reads one
 * scenario, its first argument, loaded and checked before it runs (scn; expect takes three more
 * arguments: scn_more), or reads its own arguments (own). min and max count the arguments after
 * the verb (max -1: any number); outside them, the usage and exit 2. */
static const struct scntool__verb {
    const char *name;
    const char *args;
    const char *help;
    int min, max;
    void (*scn)(const struct scn_scenario *s);
    int (*scn_more)(const struct scn_scenario *s, const char *a, const char *b, const char *c);
    int (*own)(int argc, char **argv);
} scntool__verbs[] = {
    {"check", "SCENARIO.yaml", "nothing, or the scenario's error (exit 2)", 1, 1, scntool__check, NULL, NULL},
    {"name", "SCENARIO.yaml", "its name", 1, 1, scntool__name, NULL, NULL},
    {"packages", "SCENARIO.yaml", "requires.packages as pip requirements, NumPy left out", 1, 1, scntool__packages, NULL,
     NULL},
    {"sources", "SCENARIO.yaml", "requires.from_source", 1, 1, scntool__sources, NULL, NULL},
    {"build", "SCENARIO.yaml", "its compiled sources: KIND PATH a line", 1, 1, scntool__build, NULL, NULL},
    {"sanitizers", "SCENARIO.yaml", "the sanitizers it is meant for", 1, 1, scntool__sanitizers, NULL, NULL},
    {"plan", "SCENARIO.yaml", "the versions verify runs it on: SAN NUMPY PINS a line", 1, 1, scntool__plan, NULL, NULL},
    {"program", "SCENARIO.yaml", "the scenario as a standalone program", 1, 1, scntool__program, NULL, NULL},
    {"json", "SCENARIO.yaml", "the scenario as JSON", 1, 1, scntool__json, NULL, NULL},
    {"expect", "SCENARIO.yaml SAN NUMPY PINS", "the outcome it expects on those versions", 4, 4, NULL, scntool__expect,
     NULL},
    {"emit", "SCENARIO.yaml [KEY=VALUE | KEY=@FILE]...", "the scenario, those keys replaced", 1, -1, NULL, NULL,
     scntool__emit_argv},
    {"sign", "[--catalog FILE] LOG...", "sanitizer output signed as the harness signs it", 0, -1, NULL, NULL,
     scntool__sign},
    {"known", "--catalog FILE KIND SIGNATURE [ALSO...]", "the known issue it is", 4, -1, NULL, NULL, scntool__known},
    {"today", "SIGNATURE...", "signatures as today's harness writes them (Cython's names), as JSON", 1, -1, NULL, NULL,
     scntool__today_argv},
    {"waits", "RUN_DIR", "why a hung run's threads waited, from its evidence, as JSON", 1, 1, NULL, NULL,
     scntool__waits_argv},
    {"layout", "", "the report and evidence file names, as JSON", 0, 0, NULL, NULL, scntool__layout_argv},
    {"sanopts", "[--dir DIR] [--suppressions FILE] [--symbolizer PATH]", "a run's sanitizer options", 0, 6, NULL, NULL,
     scntool__sanopts_argv},
};

static int
scntool__usage(void)
{
    fprintf(stderr, "usage: scntool VERB ARGUMENTS\n");
    for (size_t i = 0; i < sizeof(scntool__verbs) / sizeof(scntool__verbs[0]); i++)
        fprintf(stderr, "  scntool %s %s\n      %s\n", scntool__verbs[i].name, scntool__verbs[i].args,
                scntool__verbs[i].help);
    return FT_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    const struct scntool__verb *v = NULL;
    struct scn_scenario s;
    struct buf err;
    int rc, n = argc - 2;

    for (size_t i = 0; argc >= 2 && i < sizeof(scntool__verbs) / sizeof(scntool__verbs[0]); i++)
        if (strcmp(argv[1], scntool__verbs[i].name) == 0)
            v = &scntool__verbs[i];
    if (v == NULL || n < v->min || (v->max >= 0 && n > v->max))
        return scntool__usage();
    if (v->own)
        return v->own(n, argv + 2);
    buf_init(&err, 1 << 16);
    if ((rc = scn_load(argv[2], &s, &err)) != 0) {
        fprintf(stderr, "harness: error: %s\n", buf_cstr(&err));
        buf_free(&err);
        return rc == FT_ENOMEM ? FT_EXIT_INFRA : FT_EXIT_USAGE;
    }
    if (v->scn_more)
        v->scn_more(&s, argv[3], argv[4], argv[5]);
    else
        v->scn(&s);
    scn_free(&s);
    buf_free(&err);
    return fflush(stdout) == 0 && !ferror(stdout) ? FT_EXIT_CLEAN : FT_EXIT_INFRA;
}
