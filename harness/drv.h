/* The commands' pipelines, step by step: validate, plan, run, collect, report. Each takes the
 * parsed command line and returns an enum ft_exit; cli.c's table dispatches to them. */
#ifndef FT_DRV_H
#define FT_DRV_H

#include "opts.h"

int drv_run(const struct cli_opts *o);
int drv_child(const struct cli_opts *o);
int drv_serve(const struct cli_opts *o);
int drv_list(const struct cli_opts *o);
int drv_keys(const struct cli_opts *o);

#endif
