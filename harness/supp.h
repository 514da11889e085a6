/* Sanitizer suppressions: the sanitizer reads one file, so the toolchain's CPython file and the
 * project's files under suppressions/<sanitizer>/ are merged into the run's report directory. */
#ifndef FT_SUPP_H
#define FT_SUPP_H

/* supp_merge: write out (atomically) from cpython_file (may be NULL) and dir/<san>/NAME.supp, each
 * part headed by where it came from. 0, or FT_EIO (logged). *n_files gets how many went in. */
int supp_merge(const char *out, const char *cpython_file, const char *dir, const char *san, int *n_files);

#endif
