/* A command line once parsed: the command and its options, what the pipelines and the plan read.
 * Filled by cli_parse (cli.h, the tables); includes nothing, so the modules that only read the
 * options do not depend on the parser. */
#ifndef FT_OPTS_H
#define FT_OPTS_H

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
    const char *group;        /* "races" (default) or "none": data races of one bug as one finding, or not */
    const char *by_design;    /* the front door's judgement: how the roles break a library's contract, or NULL */
    long threads, iterations, runs, jobs, timeout, run, budget; /* 0: not given */
    long seed;
    int seed_set;
};

#endif
