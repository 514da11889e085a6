/* harness: runs thread-safety scenarios against a free-threaded CPython. Only main exits. */
#include <stdio.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "log.h"

int
main(int argc, char **argv)
{
    struct cli_opts o;
    struct buf err;
    int status;

    buf_init(&err, 1 << 16);
    if (cli_parse(argc, argv, &o, &err) != 0) {
        log_err(0, "%s", buf_cstr(&err));
        buf_free(&err);
        return FT_EXIT_USAGE;
    }
    buf_free(&err);
    status = cli_dispatch(&o);
    return fflush(stdout) == 0 ? status : FT_EXIT_INFRA;
}
