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
};

#endif
