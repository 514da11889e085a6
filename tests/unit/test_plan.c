/* Unit tests of the plan: the children's environment and sanitizer options (the user's value
 * wins key by key), their command line, where modules are looked for, and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "plan.h"

static const char *
env_value(char *const *envp, const char *var)
{
    size_t n = strlen(var);

    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], var, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

static size_t
count(char *const *v)
{
    size_t n = 0;

    while (v[n])
        n++;
    return n;
}

struct fixture {
    struct scn_scenario s;
    struct tc_toolchain tc;
    struct cli_opts o;
    struct plan p;
};

static void
make(struct fixture *f, char *const *environ, int expect)
{
    static const char yaml[] = "name: demo\n"
                               "threads: 4\n"
                               "env: {OMP_NUM_THREADS: \"1\", HOME: /scenario-home}\n"
                               "checks: {forbid: [fork, system], max_rss_mb: 300, max_threads: 9}\n"
                               "body: |\n  pass\n";
    struct plan_env env = {.environ = environ, .self = "/opt/ftsan/build/tc/harness"};
    struct buf err;
    json_error_t je;

    memset(f, 0, sizeof(*f));
    buf_init(&err, 1 << 16);
    assert_int_equal(scn_parse(yaml, sizeof(yaml) - 1, "demo.yaml", &f->s, &err), 0);
    f->tc.raw = json_loads("{\"symbolizer\": \"/usr/bin/llvm-symbolizer\", \"prefix\": \"/py\", "
                           "\"base_prefix\": \"/py-base\"}", 0, &je);
    assert_non_null(f->tc.raw);
    f->o.toolchain = "tc.json";
    f->o.runs = 3;
    f->o.seed = 7;
    f->o.seed_set = 1;
    assert_int_equal(plan_overrides(&f->s, &f->o, &err), 0);
    assert_int_equal(plan_make(&f->p, &f->o, &f->s, &f->tc, &env, "/r/run1", "/r/run1/suppressions.txt", &err), expect);
    buf_free(&err);
}

static void
unmake(struct fixture *f)
{
    plan_free(&f->p);
    scn_free(&f->s);
    json_decref(f->tc.raw);
}

static void
test_user_options_win(void **state)
{
    static const char *const ours[] = {"log_path={dir}/tsan", "halt_on_error=0", "print_suppressions=1", NULL};
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    assert_int_equal(plan_san_options(&b, "TSAN_OPTIONS", "halt_on_error=1 verbosity=2", ours), 0);
    assert_string_equal(buf_cstr(&b), "TSAN_OPTIONS=halt_on_error=1 verbosity=2:log_path={dir}/tsan:print_suppressions=1");
    buf_free(&b);
    assert_int_equal(plan_san_options(&b, "TSAN_OPTIONS", NULL, ours), 0);
    assert_string_equal(buf_cstr(&b), "TSAN_OPTIONS=log_path={dir}/tsan:halt_on_error=0:print_suppressions=1");
    buf_free(&b);
    /* A key that only starts like one of ours is not ours. */
    assert_int_equal(plan_san_options(&b, "ASAN_OPTIONS", "log_path_prefix=x", ours), 0);
    assert_non_null(strstr(buf_cstr(&b), ":log_path={dir}/tsan"));
    buf_free(&b);
}

static void
test_environment(void **state)
{
    char *environ[] = {"PATH=/bin", "HOME=/root", "TSAN_OPTIONS=halt_on_error=1", "LD_PRELOAD=/user.so",
                       "FTSAN_PRELOAD=/k/preload.so", "FTSAN_KERNELS=/k/a:/k/b", NULL};
    struct fixture f;
    const char *tsan;

    (void)state;
    make(&f, environ, 0);
    assert_string_equal(env_value(f.p.envp, "PATH"), "/bin");
    assert_string_equal(env_value(f.p.envp, "HOME"), "/scenario-home"); /* the scenario's env wins */
    assert_string_equal(env_value(f.p.envp, "OMP_NUM_THREADS"), "1");
    assert_string_equal(env_value(f.p.envp, "LD_PRELOAD"), "/k/preload.so:/user.so");
    tsan = env_value(f.p.envp, "TSAN_OPTIONS");
    assert_ptr_equal(tsan, f.p.tsan_options);
    assert_true(strncmp(tsan, "halt_on_error=1:", 16) == 0);
    assert_null(strstr(tsan, "halt_on_error=0"));
    assert_non_null(strstr(tsan, "suppressions=/r/run1/suppressions.txt"));
    assert_non_null(strstr(tsan, "external_symbolizer_path=/usr/bin/llvm-symbolizer"));
    assert_non_null(strstr(env_value(f.p.envp, "ASAN_OPTIONS"), "log_path={dir}/asan"));
    /* Every variable once: ours replace the inherited ones. */
    for (size_t i = 0; f.p.envp[i]; i++)
        for (size_t j = i + 1; f.p.envp[j]; j++)
            assert_false(strcspn(f.p.envp[i], "=") == strcspn(f.p.envp[j], "=") &&
                         strncmp(f.p.envp[i], f.p.envp[j], strcspn(f.p.envp[i], "=")) == 0);
    unmake(&f);
}

static void
test_argv_and_search(void **state)
{
    char *environ[] = {"FTSAN_KERNELS=/k/1:/k/2:/k/3:/k/4:/k/5:/k/6", NULL};
    const char *want[] = {"/opt/ftsan/build/tc/harness", "child", "--toolchain", "tc.json", "--dir", "{dir}", "--seed",
                          "{seed}", "--threads", "4", "--iterations", "50", "demo.yaml", "--run", "{run}"};
    struct fixture f;

    (void)state;
    make(&f, environ, 0);
    assert_int_equal(count(f.p.argv), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(f.p.argv[i], want[i]);
    /* process: fork (the default): the server's command line, the same without --run. */
    assert_non_null(f.p.server_argv);
    assert_string_equal(f.p.server_argv[1], "server");
    assert_int_equal(count(f.p.server_argv), sizeof(want) / sizeof(want[0]) - 2);
    assert_ptr_equal(f.p.run.server_argv, f.p.server_argv);
    /* Every kernel directory is searched: none is dropped past a fixed count. */
    assert_int_equal(count(f.p.search), 3 + 6);
    assert_string_equal(f.p.search[2], "/opt/ftsan/build/tc");
    assert_string_equal(f.p.search[8], "/k/6");
    assert_string_equal(f.p.evidence, "/r/run1/evidence");
    assert_int_equal(f.p.run.runs, 3);
    assert_int_equal(f.p.run.seed, 7);
    unmake(&f);
}

/* The scenario's seed is run 0's unless the command line gives one (--seed, even 0). */
static void
test_seed(void **state)
{
    static const char yaml[] = "name: demo\nseed: 41\nbody: pass\n";
    char *environ[] = {NULL};
    struct plan_env env = {.environ = environ, .self = "/h"};
    struct scn_scenario s;
    struct tc_toolchain tc = {0};
    struct cli_opts o = {.toolchain = "tc.json"};
    struct plan p;
    struct buf err;

    (void)state;
    buf_init(&err, 1 << 16);
    tc.raw = json_object();
    assert_int_equal(scn_parse(yaml, sizeof(yaml) - 1, "demo.yaml", &s, &err), 0);
    assert_int_equal(plan_make(&p, &o, &s, &tc, &env, "/r", NULL, &err), 0);
    assert_int_equal(p.run.seed, 41);
    plan_free(&p);
    o.seed_set = 1; /* --seed 0 */
    assert_int_equal(plan_make(&p, &o, &s, &tc, &env, "/r", NULL, &err), 0);
    assert_int_equal(p.run.seed, 0);
    plan_free(&p);
    scn_free(&s);
    json_decref(tc.raw);
    buf_free(&err);
}

/* The scenario's checks become the policy for findings. */
static void
test_limits(void **state)
{
    struct fixture f;
    char *environ[] = {NULL};

    (void)state;
    make(&f, environ, 0);
    assert_int_equal(f.p.policy.forbid, SCN_EV_FORK | SCN_EV_SYSTEM);
    assert_int_equal(f.p.policy.max_rss_mb, 300);
    assert_int_equal(f.p.policy.max_threads, 9);
    assert_int_equal(f.p.policy.threads, 4);
    unmake(&f);
}

/* A large environment is passed whole: nothing is silently left out. */
static void
test_large_environment(void **state)
{
    enum { N = 6000 };
    char **environ = calloc(N + 1, sizeof(*environ));
    struct fixture f;

    (void)state;
    for (int i = 0; i < N; i++)
        assert_true(asprintf(&environ[i], "VAR_%d=%d", i, i) > 0);
    make(&f, environ, 0);
    assert_string_equal(env_value(f.p.envp, "VAR_5999"), "5999");
    assert_int_equal(count(f.p.envp), N + 2 + 1 + 2); /* + the scenario's two, OPENBLAS_NUM_THREADS=1 (it sets OMP's), the option strings */
    unmake(&f);
    for (int i = 0; i < N; i++)
        free(environ[i]);
    free(environ);
}

/* An option string over its bound is an error, never a value cut short. */
static void
test_oversized_value_is_an_error(void **state)
{
    size_t n = (size_t)1 << 17;
    char *big = malloc(n + 16), *environ[] = {big, NULL};
    struct fixture f;

    (void)state;
    memcpy(big, "TSAN_OPTIONS=", 13);
    memset(big + 13, 'x', n);
    big[13 + n] = '\0';
    make(&f, environ, FT_ETOOBIG);
    assert_null(f.p.envp);
    unmake(&f);
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_options_win),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_argv_and_search),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_large_environment),
        cmocka_unit_test(test_oversized_value_is_an_error),
    };

    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
