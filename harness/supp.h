/* Sanitizer suppressions: the sanitizer reads one file, so the toolchain's CPython file and the
 * project's files under suppressions/<sanitizer>/ are merged into the run's report directory. */
#ifndef FT_SUPP_H
#define FT_SUPP_H

/* The versions a suppression file may be limited to, by a line "# applies: python>=3.13,<3.14
 * numpy<=2.2.5" (components are python and numpy; a file without it always applies). */
struct supp_versions {
    const char *python;
    const char *numpy; /* NULL when NumPy is not installed: numpy ranges never match */
};

/* supp_merge: write out (atomically) from cpython_file (may be NULL) and the files of
 * dir/<san>/NAME.supp that apply to these versions, each part headed by where it came from.
 * 0, FT_EIO (logged) or FT_EUSAGE (a bad "applies" line, logged). *n_files: how many went in. */
int supp_merge(const char *out, const char *cpython_file, const char *dir, const char *san,
               const struct supp_versions *v, int *n_files);

#endif
