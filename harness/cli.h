/* The command line: one sorted option table; --help is generated from it. */
#ifndef FT_CLI_H
#define FT_CLI_H

#include "buf.h"

enum cli_cmd { CLI_NONE, CLI_RUN, CLI_CHILD, CLI_LIST, CLI_KEYS, CLI_MINIMIZE, CLI_HELP };

struct cli_opts {
    enum cli_cmd cmd;
    const char *toolchain; /* toolchain.json */
    const char *reports;   /* default "reports" */
    const char *scenarios; /* default "scenarios" */
    const char *run_id;
    const char *dir;       /* child: its evidence directory */
    const char *scenario;  /* positional: name or path (minimize: report dir or finding id) */
    const char *finding;   /* minimize: which finding */
    const char *catalog;   /* known issues, default "known/catalog.json" */
    const char *suppressions; /* directory of suppression files, default "suppressions" */
    long threads, iterations, runs, jobs, timeout, run, budget; /* 0: not given */
    long seed;
    int seed_set;
};

/* cli_parse: argv -> opts (strings borrowed from argv). 0, or FT_EUSAGE with the message
 * naming the option and the value in *err. */
int cli_parse(int argc, char **argv, struct cli_opts *opts, struct buf *err);

/* cli_help: the usage text, options from the table. */
int cli_help(struct buf *out);

#endif
