/* scntool: the scenario loader without an interpreter, for the build scripts: checks a scenario
 * before any toolchain is built, and tells what it needs (packages, compiled kernels). */
#include <stdio.h>
#include <string.h>

#include "../buf.h"
#include "../err.h"
#include "../scn.h"
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

int
main(int argc, char **argv)
{
    struct scn_scenario s;
    struct buf err;
    int rc;

    if (argc < 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "packages") && strcmp(argv[1], "build") &&
                     strcmp(argv[1], "sanitizers") && strcmp(argv[1], "name") && strcmp(argv[1], "plan") &&
                     strcmp(argv[1], "expect")) ||
        (strcmp(argv[1], "expect") == 0 && argc != 6) || (strcmp(argv[1], "expect") != 0 && argc != 3)) {
        fprintf(stderr, "usage: scntool check|name|packages|build|sanitizers|plan SCENARIO.yaml\n"
                        "       scntool expect SCENARIO.yaml SAN NUMPY PINS\n");
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
    else if (strcmp(argv[1], "plan") == 0)
        scntool__plan(&s);
    else if (strcmp(argv[1], "expect") == 0)
        scntool__expect(&s, argv[3], argv[4], argv[5]);
    else if (strcmp(argv[1], "sanitizers") == 0)
        printf("%s%s%s\n", s.sanitizers & SCN_SAN_TSAN ? "tsan " : "", s.sanitizers & SCN_SAN_ASAN ? "asan " : "",
               s.sanitizers & SCN_SAN_NONE ? "none" : "");
    scn_free(&s);
    buf_free(&err);
    return FT_EXIT_CLEAN;
}
