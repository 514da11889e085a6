/* The supervisor's side of the symbolizer relay (symd.h): start it, stop it, read its counts.
 * The relay itself is the shim's other mode (tools/symshim.c), a program of its own, so that it
 * shows as what it is and carries no sanitizer. */
#include "symd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"


void
symd_name(char *out, size_t n)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    snprintf(out, n, "ftsan-symd-%ld-%ld", (long)getpid(), (long)t.tv_nsec);
}

int
symd_start(struct symd *d, const char *name, const char *shim, const char *real)
{
    struct sockaddr_un a;
    socklen_t alen = symd_addr(&a, name);
    int ls, stats[2], alive[2];
    pid_t pid;

    memset(d, 0, sizeof(*d));
    d->stats_fd = d->alive_fd = -1;
    if ((ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 || bind(ls, (struct sockaddr *)&a, alen) != 0 ||
        listen(ls, 128) != 0) {
        log_err(errno, "starting the symbolizer relay (the runs will start llvm-symbolizer each)");
        if (ls >= 0)
            close(ls);
        return FT_EIO;
    }
    if (pipe2(stats, O_CLOEXEC) != 0) {
        close(ls);
        return FT_EIO;
    }
    if (pipe2(alive, O_CLOEXEC) != 0) {
        close(ls), close(stats[0]), close(stats[1]);
        return FT_EIO;
    }
    if ((pid = fork()) == 0) {
        char *argv[] = {(char *)shim, SYMD_RELAY_ARG, (char *)real, NULL};

        /* The relay's descriptors at SYMD_FD_*, the only ones it keeps. An interrupt is the
         * supervisor's to answer; it ends the relay by closing alive. */
        int from[] = {ls, alive[0], stats[1]}, high[3];

        /* Out of the way first (any of them may sit at 3, 4 or 5), then in place: dup2 onto
         * another descriptor clears close-on-exec. */
        for (int i = 0; i < 3; i++)
            if ((high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10)) < 0)
                _exit(127);
        for (int i = 0; i < 3; i++)
            if (dup2(high[i], SYMD_FD_LISTEN + i) < 0)
                _exit(127);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        execv(shim, argv);
        _exit(127);
    }
    close(ls);
    close(stats[1]);
    close(alive[0]);
    if (pid < 0) {
        close(stats[0]), close(alive[1]);
        log_err(errno, "starting the symbolizer relay");
        return FT_EIO;
    }
    d->pid = pid, d->stats_fd = stats[0], d->alive_fd = alive[1];
    return 0;
}

void
symd_stop(struct symd *d, struct symd_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (d->pid <= 0)
        return;
    close(d->alive_fd);
    if (read(d->stats_fd, st, sizeof(*st)) != (ssize_t)sizeof(*st))
        memset(st, 0, sizeof(*st));
    close(d->stats_fd);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}
