/* The commands: what `harness run`, `list` and `child` do, step by step. Each returns an
 * enum ft_exit for main. */
#ifndef FT_DRV_H
#define FT_DRV_H

#include "cli.h"

int drv_run(const struct cli_opts *o, const char *self);
int drv_child(const struct cli_opts *o);
int drv_list(const struct cli_opts *o);
int drv_keys(void);
/* drv_minimize: hands over to harness/tools/minimize.py of the checkout the binary was built
 * in; returns only when it cannot be started. */
int drv_minimize(const struct cli_opts *o, const char *self);
/* drv_bisect: hands over to ci/bisect.py with the given arguments. */
int drv_bisect(int argc, char **argv, const char *self);

#endif
