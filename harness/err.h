/* The one error vocabulary of the harness: negative codes with their names and messages. */
#ifndef FT_ERR_H
#define FT_ERR_H

/* X(name, value, message). Functions that can fail return 0 or one of these. */
#define FT_ERR_MAP(X)                                                        \
    X(NOMEM, -1, "out of memory")                                            \
    X(IO, -2, "input/output error")                                          \
    X(SCENARIO, -3, "invalid scenario")                                      \
    X(USAGE, -4, "invalid command line")                                     \
    X(TOOLCHAIN, -5, "toolchain unusable")                                   \
    X(SPAWN, -6, "cannot start a child process")                             \
    X(PYTHON, -7, "embedded interpreter failed")                             \
    X(TOOBIG, -8, "text exceeds its bound")                                  \
    X(NOTFOUND, -9, "not found")

enum ft_err {
#define FT__ERR_ENUM(name, value, msg) FT_E##name = value,
    FT_ERR_MAP(FT__ERR_ENUM)
#undef FT__ERR_ENUM
};

/* ft_strerror: a static string for a code from the map; "unknown error" otherwise. */
const char *ft_strerror(int code);

/* Exit statuses; only main() exits. */
enum ft_exit {
    FT_EXIT_CLEAN = 0,    /* ran, nothing found */
    FT_EXIT_FINDINGS = 1, /* ran, findings reported */
    FT_EXIT_USAGE = 2,    /* bad command line or scenario: nothing run, nothing written */
    FT_EXIT_INFRA = 3,    /* toolchain, spawn or I/O failure */
    /* A child's (`harness child`), read by the supervisor besides signals and sanitizer codes. */
    FT_EXIT_SETUP = 10,   /* setup or teardown raised: see events.jsonl */
    FT_EXIT_NOINIT = 11,  /* the interpreter did not start */
    FT_EXIT_HARNESS = 12, /* the harness failed inside the child (out of memory, threads) */
};

/* ft_exit_not_run: whether a child's exit status means the harness, not the scenario, failed:
 * the run did not run, and it is an error, never a finding or a clean run. */
static inline int
ft_exit_not_run(int code)
{
    return code == FT_EXIT_NOINIT || code == FT_EXIT_HARNESS || code == FT_EXIT_USAGE || code == FT_EXIT_INFRA;
}

#endif
