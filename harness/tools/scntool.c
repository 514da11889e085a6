/* scntool: the scenario loader without an interpreter, for the build scripts: checks a scenario
 * before any toolchain is built, and tells what it needs (packages, compiled kernels). */
#include <stdio.h>
#include <string.h>

#include "../buf.h"
#include "../err.h"
#include "../scn.h"

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

int
main(int argc, char **argv)
{
    struct scn_scenario s;
    struct buf err;
    int rc;

    if (argc != 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "packages") && strcmp(argv[1], "build") &&
                      strcmp(argv[1], "sanitizers") && strcmp(argv[1], "name"))) {
        fprintf(stderr, "usage: scntool check|name|packages|build|sanitizers SCENARIO.yaml\n");
        return FT_EXIT_USAGE;
    }
    buf_init(&err, 4096);
    if ((rc = scn_load(argv[2], &s, &err)) != 0) {
        fprintf(stderr, "harness: error: %s\n", buf_cstr(&err));
        buf_free(&err);
        return rc == FT_ENOMEM ? FT_EXIT_INFRA : FT_EXIT_USAGE;
    }
    if (strcmp(argv[1], "name") == 0)
        printf("%s\n", s.name);
    else if (strcmp(argv[1], "packages") == 0)
        scntool__packages(&s);
    else if (strcmp(argv[1], "build") == 0)
        for (size_t i = 0; i < s.n_build; i++)
            printf("%s %s\n", s.build[i].key, s.build[i].value);
    else if (strcmp(argv[1], "sanitizers") == 0)
        printf("%s%s%s\n", s.sanitizers & SCN_SAN_TSAN ? "tsan " : "", s.sanitizers & SCN_SAN_ASAN ? "asan " : "",
               s.sanitizers & SCN_SAN_NONE ? "none" : "");
    scn_free(&s);
    buf_free(&err);
    return FT_EXIT_CLEAN;
}
