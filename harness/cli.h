/* The command line: one command table (name, handler, what it requires, help) and one sorted
 * option table; parsing, --help and dispatch are generated from them. */
#ifndef FT_CLI_H
#define FT_CLI_H

#include "buf.h"

enum cli_cmd { CLI_NONE, CLI_RUN, CLI_CHILD, CLI_SERVER, CLI_LIST, CLI_KEYS, CLI_HELP };

struct cli_opts {
    enum cli_cmd cmd;
    const char *toolchain; /* toolchain.json */
    const char *reports;   /* default "reports" */
    const char *scenarios; /* default "scenarios" */
    const char *run_id;
    const char *dir;       /* child: its evidence directory */
    const char *scenario;  /* positional: name or path */
    const char *catalog;   /* known issues, default "known/catalog.json" */
    const char *suppressions; /* directory of suppression files, default "suppressions" */
    const char *process;      /* "fork" or "fresh": overrides the scenario's process key; NULL: not given */
    long threads, iterations, runs, jobs, timeout, run; /* 0: not given */
    long seed;
    int seed_set;
};

/* cli_parse: argv -> opts (strings borrowed from argv). 0, or FT_EUSAGE with the message
 * naming the option and the value in *err. */
int cli_parse(int argc, char **argv, struct cli_opts *opts, struct buf *err);

/* cli_help: the usage text, commands and options from the tables. */
int cli_help(struct buf *out);

/* cli_dispatch: the parsed command's handler (drv.h), or the help on stdout; an enum ft_exit. */
int cli_dispatch(const struct cli_opts *opts);

#endif
