/* The command line: one command table (name, handler, what it requires, help) and one sorted
 * option table; parsing, --help and dispatch are generated from them. */
#ifndef FT_CLI_H
#define FT_CLI_H

#include "buf.h"
#include "opts.h"

/* cli_parse: argv -> opts (strings borrowed from argv). 0, or FT_EUSAGE with the message
 * naming the option and the value in *err. */
int cli_parse(int argc, char **argv, struct cli_opts *opts, struct buf *err);

/* cli_help: the usage text, commands and options from the tables. */
int cli_help(struct buf *out);

/* cli_dispatch: the parsed command's handler (drv.h), or the help on stdout; an enum ft_exit. */
int cli_dispatch(const struct cli_opts *opts);

#endif
