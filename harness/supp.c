/* Merges suppression files into the one the sanitizer reads. */
#include "supp.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "ver.h"

static int
supp__copy(FILE *out, const char *path)
{
    char chunk[8192];
    size_t n;
    FILE *in = fopen(path, "re");

    if (in == NULL) {
        log_err(errno, "cannot read suppressions %s", path);
        return FT_EIO;
    }
    fprintf(out, "\n# ---- from %s\n", path);
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        fwrite(chunk, 1, n, out);
    fclose(in);
    return 0;
}

/* "# applies: python>=3.13,<3.14 numpy<=2.2.5": 1 when every component's range matches.
 * Returns 0 when it does not apply, FT_EUSAGE when the line does not parse. */
static int
supp__applies(const char *path, const struct supp_versions *v)
{
    char line[1024];
    FILE *f = fopen(path, "re");
    int ok = 1;

    if (f == NULL)
        return 1; /* supp__copy reports it */
    while (ok == 1 && fgets(line, sizeof(line), f)) {
        char *p = line;

        if (strncmp(line, "# applies:", 10) != 0)
            continue;
        p += 10;
        for (char *tok = p; ok == 1 && *(tok += strspn(tok, " \t\n")) != '\0';) {
            size_t n = strcspn(tok, " \t\n");
            const char *version = NULL;
            char spec[256];
            size_t name;

            if (strncmp(tok, "python", 6) == 0)
                name = 6, version = v->python;
            else if (strncmp(tok, "numpy", 5) == 0)
                name = 5, version = v->numpy;
            else {
                log_err(0, "%s: '# applies:' names python and numpy, got '%.*s'", path, (int)n, tok);
                ok = FT_EUSAGE;
                break;
            }
            snprintf(spec, sizeof(spec), "%.*s", (int)(n - name), tok + name);
            ok = version ? ver_match(spec, version) : 0;
            if (ok < 0)
                log_err(0, "%s: bad version range '%s' in '# applies:'", path, spec);
            tok += n;
        }
    }
    fclose(f);
    return ok;
}

static int
supp__is_supp(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return n > 5 && strcmp(e->d_name + n - 5, ".supp") == 0;
}

int
supp_merge(const char *out, const char *cpython_file, const char *dir, const char *san,
           const struct supp_versions *v, int *n_files)
{
    char sub[4096], path[4400], tmp[4200];
    struct dirent **names = NULL;
    FILE *f = NULL;
    int n = 0, rc = 0;

    *n_files = 0;
    if (buf_fmt(tmp, sizeof(tmp), "%s.tmp", out) != 0 || buf_fmt(sub, sizeof(sub), "%s/%s", dir, san) != 0) {
        log_err(0, "%s or %s/%s: the path is too long", out, dir, san);
        return FT_EIO;
    }
    if ((f = fopen(tmp, "we")) == NULL) {
        log_err(errno, "cannot write %s", tmp);
        return FT_EIO;
    }
    fprintf(f, "# Suppressions in force for this run, merged by the harness.\n");
    if (cpython_file && (rc = supp__copy(f, cpython_file)) == 0)
        (*n_files)++;
    n = scandir(sub, &names, supp__is_supp, alphasort);
    for (int i = 0; i < n; i++) {
        if (rc == 0 && buf_fmt(path, sizeof(path), "%s/%s", sub, names[i]->d_name) != 0) {
            log_err(0, "%s/%s: the path is too long", sub, names[i]->d_name);
            rc = FT_EIO;
        }
        if (rc == 0) {
            int a = supp__applies(path, v);

            if (a < 0)
                rc = a;
            else if (a == 0)
                fprintf(f, "\n# ---- not for these versions: %s\n", path);
            else if ((rc = supp__copy(f, path)) == 0)
                (*n_files)++;
        }
        free(names[i]);
    }
    free(names);
    if (fclose(f) != 0 && rc == 0) {
        log_err(errno, "cannot write %s", tmp);
        rc = FT_EIO;
    }
    if (rc == 0 && rename(tmp, out) != 0) {
        log_err(errno, "cannot write %s", out);
        rc = FT_EIO;
    }
    return rc;
}
