/* harness: runs thread-safety scenarios against a free-threaded CPython. Only main exits. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "drv.h"
#include "err.h"
#include "log.h"

int
main(int argc, char **argv)
{
    struct cli_opts o;
    struct buf b;
    char self[PATH_MAX];
    ssize_t n;
    int status;

    /* bisect is Python (ci/bisect.py); its options are its own. */
    if (argc > 1 && strcmp(argv[1], "bisect") == 0 && (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
        self[n] = '\0';
        return drv_bisect(argc - 2, argv + 2, self);
    }
    buf_init(&b, 1 << 16);
    if (cli_parse(argc, argv, &o, &b) != 0) {
        log_err(0, "%s", buf_cstr(&b));
        buf_free(&b);
        return FT_EXIT_USAGE;
    }
    switch (o.cmd) {
    case CLI_RUN:
        /* Children are this very binary, by its real path: argv[0] may be relative or a link. */
        if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
            log_err(0, "cannot find the harness binary");
            status = FT_EXIT_INFRA;
            break;
        }
        self[n] = '\0';
        status = drv_run(&o, self);
        /* make reports any failure as its own status 2: say which one it was. */
        log_info("exit status %d: %s", status,
                 status == FT_EXIT_CLEAN      ? "clean"
                 : status == FT_EXIT_FINDINGS ? "findings"
                 : status == FT_EXIT_USAGE    ? "usage or scenario error"
                                              : "infrastructure failure");
        break;
    case CLI_CHILD:
        status = drv_child(&o);
        break;
    case CLI_LIST:
        status = drv_list(&o);
        break;
    case CLI_KEYS:
        status = drv_keys();
        break;
    case CLI_MINIMIZE:
        if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
            status = FT_EXIT_INFRA;
            break;
        }
        self[n] = '\0';
        status = drv_minimize(&o, self);
        break;
    default:
        cli_help(&b);
        fputs(buf_cstr(&b), stdout);
        status = FT_EXIT_CLEAN;
    }
    buf_free(&b);
    return status;
}
