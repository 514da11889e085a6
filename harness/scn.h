/* Scenarios: YAML text -> a validated scenario value, or one error naming file:line:column. */
#ifndef FT_SCN_H
#define FT_SCN_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* The largest scenario file the loader reads, and so the largest scenario the emitter writes. */
#define SCN_MAX_FILE ((size_t)1 << 20)

enum scn_barrier { SCN_BARRIER_START, SCN_BARRIER_EACH };

/* How each run gets its process: forked from a server that ran setup once (the default), or a
 * fresh process that runs setup itself (a bug in import or setup, a process-wide resource). */
enum scn_process { SCN_PROCESS_FORK, SCN_PROCESS_FRESH };

/* Sanitizers a scenario is meant for (bit set). */
enum scn_san { SCN_SAN_TSAN = 1, SCN_SAN_ASAN = 2, SCN_SAN_NONE = 4 };

/* Process events checks.forbid can name (bit set). */
enum scn_event {
    SCN_EV_FORK = 1,       /* os.fork, os.forkpty, and fork() from C */
    SCN_EV_SUBPROCESS = 2, /* subprocess.Popen */
    SCN_EV_EXEC = 4,       /* os.exec* */
    SCN_EV_SPAWN = 8,      /* os.posix_spawn*, os.spawn* */
    SCN_EV_SYSTEM = 16,    /* os.system */
};

struct scn_pair {
    char *key;
    char *value;
};

/* A block of Python source and where it starts in the scenario file, so tracebacks name the
 * scenario's own lines. line is 0 when the block is absent. */
struct scn_code {
    char *text;
    int line;
    int column; /* 0-based column of the code's first character in the file (its indentation) */
};

/* One role of `roles:`: threads running their own body, all meeting at the same barrier. The
 * role's name names its threads (TSan's reports, gdb's stacks), so it fits a thread's name. */
struct scn_role {
    char *name;
    long threads;
    struct scn_code body;
};

#define SCN_ROLE_NAME_MAX 15 /* a Linux thread name: 16 bytes with its NUL */

/* pytest: a package's tests, each called by all threads at once (the harness's pytest plugin). */
struct scn_pytest {
    char **tests; /* as pytest takes them: files, directories, node ids */
    size_t n_tests;
    char **args;  /* more pytest arguments */
    size_t n_args;
    char *per;    /* what one run's process runs: "module" (NULL: the default), "test" (a test function,
                     its parametrisations in turn) or "case" (one parametrisation) */
    long *threads; /* thread counts each test runs at, in order (none: the scenario's threads) */
    size_t n_threads;
    char *roles;  /* "pairs": each test also against another test of its module; NULL or "none": not */
    long slow;    /* one in this many slow tests runs (0: the default, all) */
};

/* One expectation: on versions matching numpy/python, the outcome is found or clean. */
struct scn_expect {
    char *numpy;   /* version range such as "<=2.2.5", or NULL for any */
    char *python;  /* likewise for CPython */
    char *san;     /* sanitizer it applies to, or NULL for any */
    char *outcome; /* "found" or "clean" */
    char *kind;    /* finding kind expected when found, or NULL */
    char *match;   /* text the finding's signature must contain, or NULL */
    char *known;   /* upstream reference, e.g. "numpy#28881", or NULL */
    struct scn_pair *packages; /* package name -> version range, all must match */
    size_t n_packages;
    int line;
};

struct scn_scenario {
    char *path; /* as given; used in messages */
    char *name;
    char *summary;
    char **references;
    size_t n_references;
    char *requires_python;
    struct scn_pair *packages; /* requires.packages: name -> version spec */
    size_t n_packages;
    char **from_source; /* requires.from_source: packages built from their sdist with the sanitizer */
    size_t n_from_source;
    unsigned sanitizers; /* enum scn_san bits; all when not given */
    long threads;
    long iterations;
    long runs;
    long timeout; /* seconds per run */
    long seed;    /* run 0's seed when the command line gives none; run i gets seed + i */
    enum scn_barrier barrier;
    enum scn_process process;
    struct scn_pair *env;
    size_t n_env;
    struct scn_pair *build; /* kind (c, cython, pythran) -> source path under scenarios/ */
    size_t n_build;
    struct scn_code setup, prepare, body, teardown;
    /* roles: the bodies of the threads, in order (threads numbered across them); a scenario with
     * a `body` has no roles (n_roles 0) and its threads all run the body. */
    struct scn_role *roles;
    size_t n_roles;
    struct scn_pytest *pytest; /* or NULL */
    unsigned forbid; /* enum scn_event bits */
    long max_rss_mb; /* 0: no limit */
    long max_vm_mb;  /* peak virtual memory (address space); 0: no limit */
    long max_threads; /* 0: no limit */
    struct scn_expect *expect;
    size_t n_expect;
    /* What `make verify` runs: each NumPy version, with each package pin (none: no pins). */
    char *verify_san;
    char **verify_numpy;
    size_t n_verify_numpy;
    char **verify_packages; /* pip requirements, one per verification run, e.g. "joblib==1.4.2" */
    size_t n_verify_packages;
};

/* scn_parse: parse YAML text; name is used in messages. On success fills *out (free with
 * scn_free) and returns 0. On failure returns FT_ESCENARIO (or FT_ENOMEM) with one message
 * "name:line:col: ..." in *err, and *out holds nothing to free. */
int scn_parse(const char *text, size_t len, const char *name, struct scn_scenario *out,
              struct buf *err);

/* scn_load: read a file and scn_parse it. FT_EIO with a message when unreadable. */
int scn_load(const char *path, struct scn_scenario *out, struct buf *err);

void scn_free(struct scn_scenario *s);

/* scn_emit: the scenario file at path as YAML text in *out, with the top-level keys of set
 * (n of them: threads, iterations, timeout, name, setup, body, ...) replaced or added and every
 * other key kept as written; code is written as literal blocks. Comments are not kept. The text
 * is parsed again before it is given out: 0, or FT_ESCENARIO, FT_EUSAGE (a key that cannot be
 * set), FT_EIO or FT_ENOMEM with the message in *err, and *out empty. */
int scn_emit(const char *path, const struct scn_pair *set, size_t n, struct buf *out, struct buf *err);

/* scn_emit_text: the same for a scenario's text (len bytes, NUL after them), name in messages.
 * A value that is not UTF-8, or an emitted scenario over SCN_MAX_FILE, is FT_EUSAGE. */
int scn_emit_text(const char *text, size_t len, const char *name, const struct scn_pair *set, size_t n,
                  struct buf *out, struct buf *err);

/* scn_settable_key: the i-th top-level key scn_emit can set (from 0, in the key table's order),
 * or NULL past the last; *kind (when not NULL) is 'p' for Python source, 'i' for an integer,
 * 's' for a string. */
const char *scn_settable_key(size_t i, char *kind);

/* scn_settable_value: the value of a settable key in a loaded scenario as text (an integer
 * written into num, n bytes), NULL for a key that cannot be set or code that is absent. */
const char *scn_settable_value(const struct scn_scenario *s, const char *key, char *num, size_t n);

/* scn_event_name: "fork", "subprocess", ... for one bit; scn_event_bit: the bit of a name, 0
 * for none. */
const char *scn_event_name(unsigned ev);
unsigned scn_event_bit(const char *name);

/* scn_keys_help: the table of top-level keys with their types and meaning, for --help and docs. */
int scn_keys_help(struct buf *out);

/* scn_pytest_json: a pytest scenario's tests and how to run them, defaults filled in (threads:
 * [the scenario's threads]), as harness/python/ftsan_pytest.py takes them (new reference). The
 * one description of the mapping both the runs and `scntool json` give it. */
json_t *scn_pytest_json(const struct scn_scenario *s);

#endif
