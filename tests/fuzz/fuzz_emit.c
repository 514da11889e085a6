/* libFuzzer target for the scenario emitter (scn_emit_text), the minimizer's way of writing a
 * candidate. The input picks a scenario of the checkout (the scenarios are read once, from the
 * working directory) and lists the replacements:
 *
 *     SCENARIO.yaml \0 KEY=VALUE \0 KEY=VALUE ...
 *
 * SCENARIO.yaml is a file name of scenarios/ or tests/e2e/scenarios/; any other first record
 * picks one by its bytes. What must hold, or the target aborts:
 * - an emitted scenario loads back with scn_load (a file, the loader's size limit included) and
 *   carries every value set, the last one of a key set twice;
 * - a refusal is FT_EUSAGE, FT_ESCENARIO or FT_EIO with a message, and nothing emitted.
 *
 * FUZZ_SEEDS=DIR writes the seed corpus instead (each scenario with each settable key set,
 * and with all of them) and a libFuzzer dictionary of the keys, DIR/../emit.dict, then exits:
 * the keys come from the key table, scn_settable_key, not from a list kept here. */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fuzz_seeds.h"
#include "scn.h"

#define FUZZ_MAX_SETS 64

static struct {
    char *name; /* the file's base name */
    char *path;
    char *text;
    size_t len;
} fuzz_scn[256];
static size_t fuzz_n;

static void
fuzz_load_scenarios(void)
{
    static const char *const dirs[] = {"scenarios/*.yaml", "tests/e2e/scenarios/*.yaml"};
    glob_t g;

    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        if (glob(dirs[d], 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc && fuzz_n < sizeof(fuzz_scn) / sizeof(fuzz_scn[0]); i++) {
            struct scn_scenario s;
            struct buf text, err;

            buf_init(&text, SCN_MAX_FILE);
            buf_init(&err, 4096);
            /* only scenarios the loader takes: the emitter refuses the rest before any work */
            if (scn_load(g.gl_pathv[i], &s, &err) == 0) {
                FILE *f = fopen(g.gl_pathv[i], "re");
                char chunk[8192];
                size_t n;

                scn_free(&s);
                while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                    buf_append(&text, chunk, n);
                if (f)
                    fclose(f);
                fuzz_scn[fuzz_n].path = strdup(g.gl_pathv[i]);
                fuzz_scn[fuzz_n].name = strdup(strrchr(g.gl_pathv[i], '/') + 1);
                fuzz_scn[fuzz_n].len = text.len;
                fuzz_scn[fuzz_n].text = malloc(text.len + 1);
                memcpy(fuzz_scn[fuzz_n].text, buf_cstr(&text), text.len + 1);
                fuzz_n++;
            }
            buf_free(&text);
            buf_free(&err);
        }
        globfree(&g);
    }
    if (fuzz_n == 0)
        fuzz_die("fuzz_emit: no scenario loads from scenarios/ or tests/e2e/scenarios/:", "run it from the checkout");
}

/* One seed: records joined by NULs. */
static void
fuzz_seed(const char *dir, const char *file, const char *const *rec, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((f = fopen(path, "we")) == NULL)
        fuzz_die("fuzz_emit: cannot write a seed", path);
    for (size_t i = 0; i < n; i++)
        fwrite(rec[i], 1, strlen(rec[i]) + (i + 1 < n), f);
    fclose(f);
}

static const char *
fuzz_sample(char kind)
{
    return kind == 'p' ? "import numpy as np\nx = np.arange(16.0)\nfor i in range(8):\n    x[i] = i\n"
           : kind == 'i' ? "8"
                         : "a_sample-name";
}

static void
fuzz_write_seeds(const char *dir)
{
    char kind, file[512], rec[FUZZ_MAX_SETS][256], path[4096];
    const char *recs[FUZZ_MAX_SETS + 1];
    const char *key;
    size_t n;
    FILE *dict;

    for (size_t s = 0; s < fuzz_n; s++) {
        recs[0] = fuzz_scn[s].name;
        for (n = 0; (key = scn_settable_key(n, &kind)) != NULL && n < FUZZ_MAX_SETS; n++) {
            snprintf(rec[n], sizeof(rec[n]), "%s=%s", key, fuzz_sample(kind));
            recs[n + 1] = rec[n];
            snprintf(file, sizeof(file), "seed-%s-%s", fuzz_scn[s].name, key);
            fuzz_seed(dir, file, (const char *const[]){fuzz_scn[s].name, rec[n]}, 2);
        }
        snprintf(file, sizeof(file), "seed-%s-all", fuzz_scn[s].name);
        fuzz_seed(dir, file, recs, n + 1);
    }
    snprintf(path, sizeof(path), "%s/../emit.dict", dir);
    if ((dict = fopen(path, "we")) == NULL)
        fuzz_die("fuzz_emit: cannot write the dictionary", path);
    for (n = 0; (key = scn_settable_key(n, NULL)) != NULL; n++)
        fprintf(dict, "\"%s=\"\n", key);
    fprintf(dict, "\"\\x00\"\n\"|\\x0a\"\n\"\\x0a  \"\n");
    fclose(dict);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_load_scenarios();
    fuzz_seeds_mode(fuzz_write_seeds);
    return 0;
}

/* The emitted text loads back from a file, with every value set. */
static void
fuzz_check_loads(const struct buf *out, const struct scn_pair *set, size_t n)
{
    struct scn_scenario s;
    struct buf err;
    char path[64];
    int fd = memfd_create("emitted.yaml", MFD_CLOEXEC);

    if (fd < 0 || write(fd, buf_cstr(out), out->len) != (ssize_t)out->len)
        fuzz_die("fuzz_emit: cannot write the emitted scenario to a memfd", NULL);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    buf_init(&err, 1 << 16);
    if (scn_load(path, &s, &err) != 0)
        fuzz_die("fuzz_emit: an emitted scenario does not load back:", buf_cstr(&err));
    for (size_t i = 0; i < n; i++) {
        char num[32], want[32];
        const char *got = scn_settable_value(&s, set[i].key, num, sizeof(num)), *v = set[i].value;
        int later = 0;

        for (size_t k = i + 1; k < n; k++)
            later |= strcmp(set[k].key, set[i].key) == 0;
        if (later)
            continue; /* a later value of the same key wins */
        if (got && got == num) { /* an integer: compared as a number ("08" sets 8) */
            snprintf(want, sizeof(want), "%ld", strtol(v, NULL, 10));
            v = want;
        }
        if (got == NULL || strcmp(got, v) != 0) {
            fprintf(stderr, "key %s: set %zu bytes, loaded back %zu\n", set[i].key, strlen(v), got ? strlen(got) : 0);
            fuzz_die("fuzz_emit: an emitted scenario does not carry a value set:", buf_cstr(out));
        }
    }
    scn_free(&s);
    buf_free(&err);
    close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_pair set[FUZZ_MAX_SETS];
    struct buf out, err;
    size_t n = 0, pick;
    char *text = malloc(size + 1), *p, *end;
    int rc;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    end = text + size;
    /* the first record picks the scenario: by name, or by its bytes */
    for (pick = fuzz_n; pick > 0 && strcmp(text, fuzz_scn[pick - 1].name) != 0; pick--)
        ;
    if (pick-- == 0)
        for (p = text, pick = 0; *p; p++)
            pick = pick * 31 + (unsigned char)*p;
    pick %= fuzz_n;
    for (p = text + strlen(text) + 1; p < end && n < FUZZ_MAX_SETS; p += strlen(p) + 1) {
        char *eq = strchr(p, '=');

        set[n].key = p;
        set[n].value = eq ? eq + 1 : p + strlen(p);
        if (eq)
            *eq = '\0';
        n++;
    }
    buf_init(&out, (size_t)2 << 20);
    buf_init(&err, 1 << 16);
    rc = scn_emit_text(fuzz_scn[pick].text, fuzz_scn[pick].len, fuzz_scn[pick].path, set, n, &out, &err);
    if (rc == 0) {
        if (out.len == 0 || out.len > SCN_MAX_FILE)
            fuzz_die("fuzz_emit: an emitted scenario is empty or over the size limit", NULL);
        fuzz_check_loads(&out, set, n);
    } else {
        if (rc != FT_EUSAGE && rc != FT_ESCENARIO && rc != FT_EIO)
            fuzz_die("fuzz_emit: the emitter failed with an error that is not the input's", ft_strerror(rc));
        if (err.len == 0)
            fuzz_die("fuzz_emit: the emitter refused without a message", NULL);
        if (out.len != 0)
            fuzz_die("fuzz_emit: the emitter refused but left text in its output", NULL);
    }
    buf_free(&out);
    buf_free(&err);
    free(text);
    return 0;
}
