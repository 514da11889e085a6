/* Unit tests of suppression merging, and of the project's own suppression files: every rule
 * carries a reason and a link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "supp.h"

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s = calloc(1, 1 << 20);

    assert_non_null(f);
    fread(s, 1, (1 << 20) - 1, f);
    fclose(f);
    return s;
}

static void
spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_merge_order_and_sources(void **state)
{
    char dir[] = "/tmp/supp-test-XXXXXX", path[512], out[512];
    char *merged;
    int n;
    struct supp_versions v = {"3.13.15", "2.2.5"};

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tsan", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/tsan/b.supp", dir);
    spit(path, "race:second\n");
    snprintf(path, sizeof(path), "%s/tsan/a.supp", dir);
    spit(path, "race:first\n");
    snprintf(path, sizeof(path), "%s/tsan/ignored.txt", dir);
    spit(path, "race:never\n");
    snprintf(path, sizeof(path), "%s/cpython.txt", dir);
    spit(path, "race_top:cpython_rule\n");
    snprintf(out, sizeof(out), "%s/merged.txt", dir);
    assert_int_equal(supp_merge(out, path, dir, "tsan", &v, &n), 0);
    assert_int_equal(n, 3);
    merged = slurp(out);
    assert_non_null(strstr(merged, "race_top:cpython_rule"));
    assert_true(strstr(merged, "race_top:cpython_rule") < strstr(merged, "race:first"));
    assert_true(strstr(merged, "race:first") < strstr(merged, "race:second"));
    assert_null(strstr(merged, "race:never"));
    assert_non_null(strstr(merged, "# ---- from "));
    free(merged);
    /* No files for that sanitizer: nothing but the CPython part. */
    assert_int_equal(supp_merge(out, NULL, dir, "asan", &v, &n), 0);
    assert_int_equal(n, 0);
}

/* "# applies:" limits a file to versions; a bad line is an error, not a silent skip. */
static void
test_version_ranges(void **state)
{
    char dir[] = "/tmp/supp-test-XXXXXX", path[512], out[512];
    struct supp_versions old = {"3.13.15", "2.2.5"}, fixed = {"3.13.15", "2.2.6"}, nonumpy = {"3.13.5", NULL};
    char *merged;
    int n;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tsan", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/tsan/old-numpy.supp", dir);
    spit(path, "# applies: python>=3.13 numpy<=2.2.5\nrace:only_old\n");
    snprintf(out, sizeof(out), "%s/merged.txt", dir);
    assert_int_equal(supp_merge(out, NULL, dir, "tsan", &old, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(supp_merge(out, NULL, dir, "tsan", &fixed, &n), 0);
    assert_int_equal(n, 0);
    merged = slurp(out);
    assert_null(strstr(merged, "race:only_old"));
    assert_non_null(strstr(merged, "not for these versions"));
    free(merged);
    assert_int_equal(supp_merge(out, NULL, dir, "tsan", &nonumpy, &n), 0);
    assert_int_equal(n, 0);
    spit(path, "# applies: scipy>=1\nrace:x\n");
    assert_int_equal(supp_merge(out, NULL, dir, "tsan", &old, &n), FT_EUSAGE);
}

/* Every rule in suppressions/<san>/NAME.supp has "# reason:" and "# link:" in the comment block
 * right above it. */
static void
test_project_rules_have_reason_and_link(void **state)
{
    const char *sans[] = {"tsan", "asan"};
    int rules = 0;

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        char sub[256];
        DIR *d;
        struct dirent *e;

        snprintf(sub, sizeof(sub), "suppressions/%s", sans[k]);
        if ((d = opendir(sub)) == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            char path[512], line[1024];
            int reason = 0, link = 0, lineno = 0;
            FILE *f;

            if (strstr(e->d_name, ".supp") == NULL)
                continue;
            snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
            f = fopen(path, "r");
            assert_non_null(f);
            while (fgets(line, sizeof(line), f)) {
                lineno++;
                if (line[0] == '\n') {
                    reason = link = 0;
                } else if (strncmp(line, "# reason:", 9) == 0) {
                    reason = 1;
                } else if (strncmp(line, "# link:", 7) == 0) {
                    link = 1;
                } else if (line[0] != '#') {
                    if (!reason || !link)
                        fail_msg("%s:%d: rule without '# reason:' and '# link:' above it", path, lineno);
                    rules++;
                }
            }
            fclose(f);
        }
        closedir(d);
    }
    assert_true(rules > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_order_and_sources),
        cmocka_unit_test(test_version_ranges),
        cmocka_unit_test(test_project_rules_have_reason_and_link),
    };

    return cmocka_run_group_tests_name("supp", tests, NULL, NULL);
}
