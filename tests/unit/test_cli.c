/* Unit tests of the command line: accepted forms, and the message each bad one gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "drv.h"
#include "err.h"

/* Stand-ins for the pipelines the command table names: which one ran, with what. */
static const char *ran;
static const struct cli_opts *ran_with;

static int
stub(const char *name, const struct cli_opts *o)
{
    ran = name;
    ran_with = o;
    return 40 + (int)strlen(name);
}

int drv_run(const struct cli_opts *o) { return stub("run", o); }
int drv_child(const struct cli_opts *o) { return stub("child", o); }
int drv_serve(const struct cli_opts *o) { return stub("serve", o); }
int drv_list(const struct cli_opts *o) { return stub("list", o); }
int drv_keys(const struct cli_opts *o) { return stub("keys", o); }

static int
parse(struct cli_opts *o, struct buf *err, int argc, const char **argv)
{
    return cli_parse(argc, (char **)argv, o, err);
}

static void
test_run_options(void **state)
{
    const char *argv[] = {"harness", "run", "--toolchain", "t.json", "--threads=4", "--iterations", "9",
                          "--seed", "0", "--jobs", "2", "dlpack_race"};
    struct cli_opts o;
    struct buf err;

    (void)state;
    buf_init(&err, 1024);
    assert_int_equal(parse(&o, &err, 12, argv), 0);
    assert_int_equal(o.cmd, CLI_RUN);
    assert_string_equal(o.toolchain, "t.json");
    assert_int_equal(o.threads, 4);
    assert_int_equal(o.iterations, 9);
    assert_int_equal(o.jobs, 2);
    assert_int_equal(o.seed, 0);
    assert_true(o.seed_set);
    assert_string_equal(o.scenario, "dlpack_race");
    assert_string_equal(o.reports, "reports");
    buf_free(&err);
}

struct bad {
    int argc;
    const char *argv[7];
    const char *message;
};

static const struct bad bad_cases[] = {
    {3, {"harness", "run", "--threads=0"}, "--threads must be a positive integer, got '0'"},
    {4, {"harness", "run", "--runs", "many"}, "--runs must be a positive integer, got 'many'"},
    {3, {"harness", "run", "--seed=-1"}, "--seed must be a non-negative integer, got '-1'"},
    {3, {"harness", "run", "--thread=2"}, "unknown option '--thread' (see harness --help)"},
    {3, {"harness", "run", "--threads"}, "--threads needs a value (N)"},
    {3, {"harness", "list", "--threads=2"}, "--threads does not apply to this command"},
    {2, {"harness", "frob"}, "unknown command 'frob' (commands: run, list, keys, help; see harness --help)"},
    {4, {"harness", "run", "--toolchain", "t.json"}, "which scenario? give a name or a .yaml path (harness list shows the names)"},
    {3, {"harness", "run", "x"}, "--toolchain FILE is required (make run passes it; make toolchain builds one)"},
    {6, {"harness", "run", "--toolchain", "t", "a", "b"}, "unexpected argument 'b'"},
    {6, {"harness", "run", "--toolchain", "t", "--process=forked", "a"}, "--process must be fork or fresh, got 'forked'"},
};

static void
test_bad_command_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct cli_opts o;
        struct buf err;
        const char *argv[7];

        memcpy(argv, bad_cases[i].argv, sizeof(bad_cases[i].argv));
        buf_init(&err, 1024);
        if (parse(&o, &err, bad_cases[i].argc, argv) != FT_EUSAGE || strcmp(buf_cstr(&err), bad_cases[i].message) != 0)
            fail_msg("case %zu:\n  got:  %s\n  want: %s", i, buf_cstr(&err), bad_cases[i].message);
        buf_free(&err);
    }
}

static void
test_help_lists_every_option(void **state)
{
    struct buf b;
    const char *names[] = {"--catalog", "--dir", "--iterations", "--jobs", "--reports", "--run ", "--run-id", "--runs",
                           "--scenarios", "--seed", "--suppressions", "--threads", "--timeout", "--toolchain"};

    (void)state;
    buf_init(&b, 1 << 16);
    assert_int_equal(cli_help(&b), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strstr(buf_cstr(&b), names[i]) == NULL)
            fail_msg("help lacks %s", names[i]);
    buf_free(&b);
}

/* Each command reaches its own handler through the table, with the parsed options. */
static void
test_dispatch(void **state)
{
    static const struct {
        int argc;
        const char *argv[6];
        const char *handler;
    } cases[] = {
        {5, {"harness", "run", "--toolchain", "t.json", "x.yaml"}, "run"},
        {2, {"harness", "list"}, "list"},
        {2, {"harness", "keys"}, "keys"},
        {6, {"harness", "child", "--toolchain", "t.json", "--dir=d", "x.yaml"}, "child"},
        {6, {"harness", "server", "--toolchain", "t.json", "--dir=d", "x.yaml"}, "serve"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cli_opts o;
        struct buf err;
        const char *argv[6];

        memcpy(argv, cases[i].argv, sizeof(argv));
        buf_init(&err, 1024);
        assert_int_equal(parse(&o, &err, cases[i].argc, argv), 0);
        ran = NULL;
        assert_int_equal(cli_dispatch(&o), 40 + (int)strlen(cases[i].handler));
        assert_non_null(ran);
        assert_string_equal(ran, cases[i].handler);
        assert_ptr_equal(ran_with, &o);
        buf_free(&err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_options),
        cmocka_unit_test(test_bad_command_lines),
        cmocka_unit_test(test_help_lists_every_option),
        cmocka_unit_test(test_dispatch),
    };

    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
