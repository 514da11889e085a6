/* Unit tests of version comparison and ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "ver.h"

static void
test_compare(void **state)
{
    (void)state;
    assert_true(ver_cmp("2.2.5", "2.2.6") < 0);
    assert_true(ver_cmp("2.2.10", "2.2.9") > 0);
    assert_true(ver_cmp("2.2", "2.2.0") == 0);
    assert_true(ver_cmp("3.13.15", "3.13.5") > 0);
    assert_true(ver_cmp("2.3.0rc1", "2.3.0") < 0);
    assert_true(ver_cmp("2.3.0rc1", "2.3.0rc2") < 0);
    assert_true(ver_cmp("1.4.2", "1.5.0") < 0);
}

static void
test_ranges(void **state)
{
    static const struct {
        const char *spec, *version;
        int want;
    } cases[] = {
        {"<=2.2.5", "2.2.5", 1}, {"<=2.2.5", "2.2.6", 0}, {">=2.2.6", "2.2.6", 1}, {">=2.2.6", "2.3.0", 1},
        {">=1.3.0,<=1.4.2", "1.4.2", 1}, {">=1.3.0,<=1.4.2", "1.2.0", 0}, {">=1.3.0, <1.5", "1.5.0", 0},
        {"==3.13.15", "3.13.15", 1}, {"3.13.15", "3.13.5", 0}, {"!=2.2.3", "2.2.3", 0}, {"*", "9", 1},
        {NULL, "1", 1}, {"<2.2.3", "2.2.2", 1}, {">2.1.1", "2.1.2", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (ver_match(cases[i].spec, cases[i].version) != cases[i].want)
            fail_msg("case %zu: %s against %s", i, cases[i].version, cases[i].spec ? cases[i].spec : "NULL");
    assert_int_equal(ver_match("~=2.2", "2.2.1"), FT_EUSAGE);
    assert_int_equal(ver_match(">=abc", "2.2.1"), FT_EUSAGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_compare), cmocka_unit_test(test_ranges)};

    return cmocka_run_group_tests_name("ver", tests, NULL, NULL);
}
