/* Evidence: reads one run's directory (status.json, sanitizer logs, stderr, faulthandler, gdb,
 * events) and hands the text to the san parsers. The only I/O between evidence and findings. */
#ifndef FT_EVD_H
#define FT_EVD_H

#include "san.h"

struct evd_status {
    int exited, exit_code, signal, timed_out, interrupted;
    double seconds;
    long maxrss_kb, peak_threads, peak_vm_kb;
    long setup_rss_kb, setup_vm_kb, setup_threads; /* the child's own figures after setup; 0 if unknown */
};

/* How to finish reports the sanitizer left unsymbolized (see sym.h); all may be NULL. */
struct evd_symbols {
    const char *symbolizer;
    const char *const *search; /* directories holding the modules, NULL-terminated */
    const char *pyx_lines;     /* the .pyx line maps of Cython's generated C (cython.h), or NULL */
};

/* evd_read_run: parse everything in dir into *out (appended) and *st. 0, FT_EIO when the run
 * left no status.json (it never ran), FT_ENOMEM. A crash report (fatal signal, glibc abort)
 * gets the Python stack of the thread that crashed when faulthandler wrote one. */
int evd_read_run(const char *dir, const struct evd_symbols *sy, struct san_reports *out, struct evd_status *st);

/* evd_read_file: a whole file into a new NUL-terminated buffer (*len without the NUL), at most
 * max bytes (the rest is cut, and said so at the end). NULL when unreadable. */
char *evd_read_file(const char *path, size_t max, size_t *len);

#endif
