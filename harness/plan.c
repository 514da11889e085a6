/* Scenario + command line + toolchain -> the plan of a run. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "layout.h"
#include "symd.h"

#define PLAN__MAX_VAR ((size_t)1 << 16) /* one environment entry, or one option string */

int
plan_overrides(struct scn_scenario *s, const struct cli_opts *o, struct buf *err)
{
    if (o->threads && s->n_roles && o->threads != s->threads)
        return buf_printf(err, "%s: --threads %ld for a scenario whose roles have %ld threads: each role says its own",
                          s->path, o->threads, s->threads) ? FT_ENOMEM : FT_EUSAGE;
    if (o->threads)
        s->threads = o->threads;
    if (o->iterations)
        s->iterations = o->iterations;
    if (o->runs)
        s->runs = o->runs;
    if (o->timeout)
        s->timeout = o->timeout;
    if (o->process)
        s->process = strcmp(o->process, "fresh") == 0 ? SCN_PROCESS_FRESH : SCN_PROCESS_FORK;
    return 0;
}

int
plan_scenario_path(const struct cli_opts *o, struct buf *out, struct buf *err)
{
    struct stat st;
    const char *a = o->scenario;

    if (strchr(a, '/') || strstr(a, ".yaml"))
        return buf_puts(out, a);
    if (buf_printf(out, "%s/%s.yaml", o->scenarios, a) != 0)
        return out->err;
    if (stat(buf_cstr(out), &st) != 0) {
        buf_printf(err, "no scenario '%s' in %s/ (harness list shows them)", a, o->scenarios);
        return FT_EUSAGE;
    }
    return 0;
}

/* VAR's value in an environment list ("VAR=value"), borrowed; NULL when absent. */
static const char *
plan__getenv(char *const *envp, const char *var)
{
    size_t n = strlen(var);

    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], var, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* Whether the option string sets key (klen bytes). */
static int
plan__opt_set(const char *opts, const char *key, size_t klen)
{
    const char *p = opts;

    while (p && *p) {
        size_t n = strcspn(p, ": ,\t\n");

        if (n > klen && p[klen] == '=' && strncmp(p, key, klen) == 0)
            return 1;
        p += n;
        p += strspn(p, ": ,\t\n");
    }
    return 0;
}

int
plan_san_options(struct buf *b, const char *var, const char *user, const char *const *ours)
{
    int first = !(user && *user);

    buf_printf(b, "%s=%s", var, user ? user : "");
    for (size_t i = 0; ours[i]; i++) {
        if (plan__opt_set(user, ours[i], strcspn(ours[i], "=")))
            continue;
        buf_printf(b, "%s%s", first ? "" : ":", ours[i]);
        first = 0;
    }
    return b->err;
}

/* An entry of the list being built, from b (whose error, if any, is returned). */
static int
plan__push(char **list, size_t *n, struct buf *b)
{
    if (b->err) {
        int rc = b->err;

        buf_free(b);
        return rc;
    }
    if ((list[*n] = buf_steal(b)) == NULL && (list[*n] = strdup("")) == NULL)
        return FT_ENOMEM;
    (*n)++;
    return 0;
}

static int
plan__strv_push(char **list, size_t *n, const char *s)
{
    struct buf b;

    buf_init(&b, PLAN__MAX_VAR);
    buf_puts(&b, s);
    return plan__push(list, n, &b);
}

/* Whether an inherited variable is one the plan sets itself. */
static int
plan__ours(const char *e, const struct scn_scenario *s, int preload)
{
    if (strncmp(e, "TSAN_OPTIONS=", 13) == 0 || strncmp(e, "ASAN_OPTIONS=", 13) == 0 ||
        strncmp(e, SYMD_ENV "=", sizeof(SYMD_ENV)) == 0 || (preload && strncmp(e, "LD_PRELOAD=", 11) == 0))
        return 1;
    for (size_t i = 0; i < s->n_env; i++) {
        size_t k = strlen(s->env[i].key);

        if (strncmp(e, s->env[i].key, k) == 0 && e[k] == '=')
            return 1;
    }
    return 0;
}

int
plan_sanitizer_options(struct buf *tsan, struct buf *asan, const char *user_tsan, const char *user_asan,
                       const char *dir, const char *supp, const char *sym, int coverage)
{
    const char *t[12] = {"halt_on_error=0", "second_deadlock_stack=1", "print_suppressions=1"};
    const char *a[12] = {"detect_leaks=0", "abort_on_error=0", "handle_abort=1"};
    struct buf tlog, alog, suppopt, symopt, covdir;
    size_t nt = 3, na = 3;
    int rc;

    buf_init(&tlog, PLAN__MAX_VAR);
    buf_init(&alog, PLAN__MAX_VAR);
    buf_init(&suppopt, PLAN__MAX_VAR);
    buf_init(&symopt, PLAN__MAX_VAR);
    buf_init(&covdir, PLAN__MAX_VAR);
    if (dir && buf_printf(&tlog, "log_path=%s/" LAYOUT_TSAN_LOG, dir) == 0 &&
        buf_printf(&alog, "log_path=%s/" LAYOUT_ASAN_LOG, dir) == 0) {
        memmove(t + 1, t, 3 * sizeof(*t));
        memmove(a + 1, a, 3 * sizeof(*a));
        t[0] = buf_cstr(&tlog), a[0] = buf_cstr(&alog), nt++, na++;
    }
    if (coverage && dir && buf_printf(&covdir, "coverage_dir=%s", dir) == 0) {
        t[nt++] = a[na++] = "coverage=1";
        t[nt++] = a[na++] = buf_cstr(&covdir);
    }
    if (supp && buf_printf(&suppopt, "suppressions=%s", supp) == 0)
        t[nt++] = buf_cstr(&suppopt);
    if (sym && buf_printf(&symopt, "external_symbolizer_path=%s", sym) == 0)
        t[nt++] = a[na++] = buf_cstr(&symopt);
    rc = tlog.err ? tlog.err : alog.err ? alog.err : suppopt.err ? suppopt.err : symopt.err ? symopt.err : covdir.err;
    if (rc == 0)
        rc = plan_san_options(tsan, "TSAN_OPTIONS", user_tsan, t);
    if (rc == 0)
        rc = plan_san_options(asan, "ASAN_OPTIONS", user_asan, a);
    buf_free(&tlog);
    buf_free(&alog);
    buf_free(&suppopt);
    buf_free(&symopt);
    buf_free(&covdir);
    return rc;
}

/* The children's environment: the harness's own, the scenario's env, the preloaded libraries of
 * build: {preload: ...} (FTSAN_PRELOAD, for the runs only), and the sanitizer options: evidence
 * into {dir}, the merged suppressions, the symbolizer, each unless the user set that key. */
static int
plan__env(struct plan *p, const struct plan_env *env, const char *supp)
{
    const struct scn_scenario *s = p->scn;
    const char *sym = p->symbols.symbolizer, *preload = plan__getenv(env->environ, "FTSAN_PRELOAD");
    struct buf shim;
    const char *ld = plan__getenv(env->environ, "LD_PRELOAD");
    struct buf b, tsan, asan;
    static const char *const pools[] = {"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1"};
    size_t n = 0, cap = 7 + s->n_env;
    int rc = 0;

    for (size_t i = 0; env->environ && env->environ[i]; i++)
        cap++;
    if ((p->envp = calloc(cap + 1, sizeof(*p->envp))) == NULL)
        return FT_ENOMEM;
    buf_init(&tsan, PLAN__MAX_VAR);
    buf_init(&asan, PLAN__MAX_VAR);
    /* The runs' symbolizer is the relay's shim beside the harness (symd.h), when it was built:
     * one llvm-symbolizer for the invocation instead of one a reporting run. */
    buf_init(&shim, PLAN__MAX_VAR);
    if (sym && strrchr(p->self, '/') &&
        buf_printf(&shim, "%.*s/sym/" SYMD_SHIM, (int)(strrchr(p->self, '/') - p->self), p->self) == 0 &&
        access(buf_cstr(&shim), X_OK) == 0) {
        symd_name(p->symd, sizeof(p->symd));
        buf_init(&b, PLAN__MAX_VAR);
        buf_printf(&b, SYMD_ENV "=%s\t%s", p->symd, sym);
        rc = plan__push(p->envp, &n, &b);
        if (rc == 0 && (p->symd_shim = strdup(buf_cstr(&shim))) == NULL)
            rc = FT_ENOMEM;
        sym = buf_cstr(&shim);
    }
    if (rc == 0)
        rc = plan_sanitizer_options(&tsan, &asan, plan__getenv(env->environ, "TSAN_OPTIONS"),
                                    plan__getenv(env->environ, "ASAN_OPTIONS"), "{dir}", supp, sym, p->coverage);
    for (size_t i = 0; rc == 0 && env->environ && env->environ[i]; i++)
        if (!plan__ours(env->environ[i], s, preload != NULL))
            rc = plan__strv_push(p->envp, &n, env->environ[i]);
    for (size_t i = 0; rc == 0 && i < s->n_env; i++) {
        buf_init(&b, PLAN__MAX_VAR);
        buf_printf(&b, "%s=%s", s->env[i].key, s->env[i].value);
        rc = plan__push(p->envp, &n, &b);
    }
    /* A fork server must stay single-threaded: no BLAS or OpenMP pool at import, unless the
     * scenario or the user sized it (the server then finds threads and runs are spawned). */
    for (size_t i = 0; rc == 0 && s->process == SCN_PROCESS_FORK && i < sizeof(pools) / sizeof(pools[0]); i++) {
        size_t k = strcspn(pools[i], "=");
        char var[32];

        snprintf(var, sizeof(var), "%.*s", (int)k, pools[i]);
        if (plan__getenv(p->envp, var) == NULL && plan__getenv(env->environ, var) == NULL)
            rc = plan__strv_push(p->envp, &n, pools[i]);
    }
    if (rc == 0 && preload) {
        buf_init(&b, PLAN__MAX_VAR);
        buf_printf(&b, "LD_PRELOAD=%s%s%s", preload, ld ? ":" : "", ld ? ld : "");
        rc = plan__push(p->envp, &n, &b);
    }
    /* plan__push takes the strings (and frees them on an error); an unused one is freed here. */
    if (rc == 0)
        rc = plan__push(p->envp, &n, &tsan);
    else
        buf_free(&tsan);
    if (rc == 0)
        rc = plan__push(p->envp, &n, &asan);
    else
        buf_free(&asan);
    buf_free(&shim);
    p->tsan_options = plan__getenv(p->envp, "TSAN_OPTIONS");
    p->asan_options = plan__getenv(p->envp, "ASAN_OPTIONS");
    return rc;
}

/* `harness child --toolchain F --dir {dir} --run {run} --seed {seed} --threads N --iterations N
 * SCENARIO` (or `harness server` without --run): the overrides travel on the command line, the
 * scenario is read again. */
static int
plan__argv(struct plan *p, const struct cli_opts *o, char ***out, int server)
{
    char threads[32], iterations[32];
    const char *v[] = {p->self, server ? "server" : "child", "--toolchain", o->toolchain, "--dir", "{dir}", "--seed",
                       "{seed}", "--threads", threads, "--iterations", iterations, p->scn->path, "--run", "{run}"};
    size_t n = 0, k = sizeof(v) / sizeof(v[0]) - (server ? 2 : 0);
    int rc = 0;

    snprintf(threads, sizeof(threads), "%ld", p->scn->threads);
    snprintf(iterations, sizeof(iterations), "%ld", p->scn->iterations);
    if ((*out = calloc(k + 1, sizeof(**out))) == NULL)
        return FT_ENOMEM;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = plan__strv_push(*out, &n, v[i]);
    return rc;
}

/* Where modules of unsymbolized frames are looked for: the interpreter's prefixes, the harness's
 * directory (CPython's own frames), and the compiled kernels (FTSAN_KERNELS, ':'-separated). */
static int
plan__search(struct plan *p, const struct plan_env *env)
{
    const char *kernels = plan__getenv(env->environ, "FTSAN_KERNELS");
    const char *fixed[] = {json_string_value(json_object_get(p->tc->raw, "prefix")),
                           json_string_value(json_object_get(p->tc->raw, "base_prefix"))};
    size_t n = 0, cap = 4;
    struct buf b;
    int rc = 0;

    for (const char *k = kernels; k && *k; k++)
        cap += *k == ':';
    if ((p->search = calloc(cap + 1, sizeof(*p->search))) == NULL)
        return FT_ENOMEM;
    for (size_t i = 0; i < 2 && rc == 0; i++)
        if (fixed[i])
            rc = plan__strv_push(p->search, &n, fixed[i]);
    if (rc == 0 && strrchr(p->self, '/')) {
        buf_init(&b, PLAN__MAX_VAR);
        buf_append(&b, p->self, (size_t)(strrchr(p->self, '/') - p->self));
        rc = plan__push(p->search, &n, &b);
    }
    while (rc == 0 && kernels && *kernels) {
        size_t len = strcspn(kernels, ":");

        buf_init(&b, PLAN__MAX_VAR);
        buf_append(&b, kernels, len);
        rc = len ? plan__push(p->search, &n, &b) : 0;
        kernels += len + (kernels[len] == ':');
    }
    return rc;
}

int
plan_make(struct plan *p, const struct cli_opts *o, const struct scn_scenario *s, const struct tc_toolchain *tc,
          const struct plan_env *env, const char *dir, const char *supp, struct buf *err)
{
    struct buf b;
    int rc;

    memset(p, 0, sizeof(*p));
    p->scn = s;
    p->tc = tc;
    p->symbols.symbolizer = json_string_value(json_object_get(tc->raw, "symbolizer"));
    p->symbols.pyx_lines = json_string_value(json_object_get(tc->raw, "pyx_lines"));
    p->coverage = json_string_value(json_object_get(tc->raw, "coverage")) != NULL;
    buf_init(&b, PLAN__MAX_VAR);
    buf_printf(&b, "%s/" LAYOUT_EVIDENCE, dir);
    if ((rc = b.err) == 0 && (p->evidence = buf_steal(&b)) != NULL && (p->self = strdup(env->self)) != NULL) {
        if ((rc = plan__argv(p, o, &p->argv, 0)) == 0 &&
            (s->process != SCN_PROCESS_FORK || (rc = plan__argv(p, o, &p->server_argv, 1)) == 0) &&
            (rc = plan__env(p, env, supp)) == 0)
            rc = plan__search(p, env);
    } else if (rc == 0) {
        rc = FT_ENOMEM;
    }
    if (rc != 0) {
        buf_printf(err, "planning the runs: %s", rc == FT_ETOOBIG ? "a path or an environment variable over 64 KiB"
                                                                   : ft_strerror(rc));
        plan_free(p);
        return rc;
    }
    p->symbols.search = (const char *const *)p->search;
    p->run = (struct run_plan){.argv = p->argv, .envp = p->envp, .evidence = p->evidence, .runs = s->runs,
                               .jobs = o->jobs ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN), .timeout = s->timeout,
                               .seed = (unsigned long)(o->seed_set ? o->seed : s->seed), .gdb = "gdb",
                               .server_argv = p->server_argv, .budget = o->budget};
    p->policy = (struct sig_policy){.forbid = s->forbid, .threads = s->threads, .max_rss_mb = s->max_rss_mb,
                                    .max_vm_mb = s->max_vm_mb, .max_threads = s->max_threads};
    return 0;
}

static void
plan__strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void
plan_free(struct plan *p)
{
    plan__strv_free(p->argv);
    plan__strv_free(p->server_argv);
    plan__strv_free(p->envp);
    plan__strv_free(p->search);
    free(p->self);
    free(p->symd_shim);
    free(p->evidence);
    memset(p, 0, sizeof(*p));
}
