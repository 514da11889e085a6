/* Late symbolization with llvm-symbolizer: one process per batch of frames. */
#include "sym.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "run.h"

#define SYM__DEPTH 6

/* A file named base below dir, depth-first, at most SYM__DEPTH levels down. */
static int
sym__find(const char *dir, const char *base, int depth, char *out, size_t n)
{
    DIR *d;
    struct dirent *e;
    int found = 0;

    if (depth > SYM__DEPTH || (d = opendir(dir)) == NULL)
        return 0;
    while (!found && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        if (buf_fmt(path, sizeof(path), "%s/%s", dir, e->d_name) != 0)
            continue; /* a path no file system here holds */
        if (strcmp(e->d_name, base) == 0) {
            found = buf_fmt(out, n, "%s", path) == 0;
        } else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            found = sym__find(path, base, depth + 1, out, n);
        }
    }
    closedir(d);
    return found;
}

static int
sym__module_path(const char *module, const char *const *search, char *out, size_t n)
{
    if (module[0] == '/')
        return buf_fmt(out, n, "%s", module) == 0 && access(out, R_OK) == 0;
    for (size_t i = 0; search && search[i]; i++)
        if (sym__find(search[i], module, 0, out, n))
            return 1;
    return 0;
}

/* llvm-symbolizer answers each "CODE path 0xoffset" line with
 *   function_name
 *   /src/file.c:12:5
 *   (blank line)
 * and "??" where it knows nothing. */
static int
sym__apply(struct san_frame **frames, size_t n, const char *text)
{
    const char *p = text;
    int done = 0;

    for (size_t i = 0; i < n && p && *p; i++) {
        size_t fl = strcspn(p, "\n");
        const char *loc = p[fl] ? p + fl + 1 : p + fl;
        size_t ll = strcspn(loc, "\n");

        if (!(fl == 2 && strncmp(p, "??", 2) == 0)) {
            char *colon;

            frames[i]->function = strndup(p, fl);
            frames[i]->file = strndup(loc, ll);
            if (frames[i]->file && (colon = strchr(frames[i]->file, ':')) != NULL) {
                frames[i]->line = atoi(colon + 1);
                *colon = '\0';
            }
            done++;
        }
        p = loc + ll;
        p += strspn(p, "\n");
    }
    return done;
}

int
sym_resolve(struct san_reports *out, const char *symbolizer, const char *const *search)
{
    struct san_frame **frames = NULL;
    struct buf in, res;
    size_t n = 0;
    int rc = 0;
    char *argv[] = {(char *)symbolizer, "--inlining=false", NULL};

    if (symbolizer == NULL)
        return 0;
    buf_init(&in, (size_t)1 << 20);
    buf_init(&res, (size_t)8 << 20);
    for (size_t r = 0; r < out->n; r++)
        for (size_t s = 0; s < out->v[r].n_stacks; s++)
            for (size_t k = 0; k < out->v[r].stacks[s].n; k++) {
                struct san_frame *f = &out->v[r].stacks[s].frames[k];
                char path[4096];
                struct san_frame **grown;

                if (f->function || !f->module || !f->offset || !sym__module_path(f->module, search, path, sizeof(path)))
                    continue;
                if ((grown = realloc(frames, (n + 1) * sizeof(*frames))) == NULL) {
                    rc = FT_ENOMEM;
                    goto out;
                }
                frames = grown;
                frames[n++] = f;
                if ((rc = buf_printf(&in, "CODE %s 0x%lx\n", path, f->offset)) != 0)
                    goto out;
            }
    if (n == 0)
        goto out;
    if ((rc = run_capture(argv, buf_cstr(&in), in.len, &res, 60)) == 0)
        rc = sym__apply(frames, n, buf_cstr(&res));
out:
    free(frames);
    buf_free(&in);
    buf_free(&res);
    return rc;
}
