/* The fork server from the supervisor's side (the server itself: py_serve.c): start it, ask
 * it for runs, start it again when it died, stop it. Its runs are reparented to the
 * supervisor, a child subreaper, so they are waited for, timed out and measured exactly as
 * spawned runs; whatever cannot be forked is spawned, and the reason is kept for the report. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "log.h"
#include "run_internal.h"

#define RUN__MSG 8192
#define RUN__FORK_SECONDS 60 /* a fork request unanswered this long: the server is stuck */
#define RUN__COLLECT_SECONDS 1800 /* pytest mode's setup: collecting and planning numpy/_core/tests */

static void run__why(struct run_mode *mode, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first reason runs were spawned is the one reported. */
static void
run__why(struct run_mode *mode, const char *fmt, ...)
{
    va_list ap;

    if (mode->why[0])
        return;
    va_start(ap, fmt);
    vsnprintf(mode->why, sizeof(mode->why), fmt, ap);
    va_end(ap);
}

/* One message from the server within seconds; "" when it died or said nothing in time. */
static void
run__recv(struct run__server *srv, char *msg, size_t n, double seconds)
{
    double end = run__now() + seconds;
    ssize_t k;

    msg[0] = '\0';
    while (run__now() < end && !run__stopping()) {
        struct pollfd p = {.fd = srv->ctl, .events = POLLIN};
        int st;

        if (poll(&p, 1, 100) > 0) {
            if ((k = recv(srv->ctl, msg, n - 1, 0)) > 0)
                msg[k] = '\0';
            return;
        }
        if (waitpid(srv->pid, &st, WNOHANG) == srv->pid) {
            srv->pid = -1; /* reaped: nothing more will come */
            return;
        }
    }
}

static void
run__server_kill(struct run__server *srv)
{
    if (srv->ctl >= 0)
        close(srv->ctl);
    if (srv->pid > 0) {
        kill(-srv->pid, SIGKILL);
        waitpid(srv->pid, NULL, 0);
    }
    srv->ctl = -1;
    srv->pid = -1;
    srv->ready = 0;
}

static double
run__setup_seconds(const struct run_plan *plan)
{
    long s = plan->timeout > plan->budget ? plan->timeout : plan->budget;

    return (double)(s > RUN__COLLECT_SECONDS ? s : RUN__COLLECT_SECONDS);
}

void
run__server_start(const struct run_plan *plan, struct run__server *srv, struct run_mode *mode)
{
    char dir[4096], name[32], msg[RUN__MSG];
    int sv[2];

    run__server_kill(srv);
    /* Runs forked by the server are orphaned to us once the intermediate process exits. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        run__why(mode, "cannot become the runs' subreaper: %s", strerror(errno));
        return;
    }
    srv->starts++;
    mode->servers = srv->starts;
    snprintf(name, sizeof(name), srv->starts > 1 ? "server-%d" : "server", srv->starts);
    if (buf_fmt(dir, sizeof(dir), "%s/%s", plan->evidence, name) != 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        run__why(mode, "cannot start the fork server: %s", strerror(errno));
        return;
    }
    if (run__exec(plan->server_argv, plan->envp, dir, -1, plan->seed, sv[1], &srv->pid) != 0) {
        close(sv[0]);
        close(sv[1]);
        srv->pid = -1;
        run__why(mode, "cannot start the fork server");
        return;
    }
    close(sv[1]);
    srv->ctl = sv[0];
    /* Setup runs first: it gets the scenario's timeout, or when it counts the runs (pytest mode,
     * whose setup collects a directory's tests) the budget or RUN__COLLECT_SECONDS if longer. */
    run__recv(srv, msg, sizeof(msg), plan->runs && !srv->offered ? (double)plan->timeout : run__setup_seconds(plan));
    if (strcmp(msg, "ready") == 0 || sscanf(msg, "ready %ld", &srv->offered) == 1) {
        srv->ready = 1;
        return;
    }
    if (strncmp(msg, "spawn ", 6) == 0)
        run__why(mode, "%s", msg + 6);
    else
        run__why(mode, "the fork server did not start (see evidence/%s/stderr.txt)", name);
    run__server_kill(srv);
}

int
run__server_fork(const struct run_plan *plan, struct run__server *srv, int i, unsigned long seed, const char *dir,
                 pid_t *pid, struct run_mode *mode)
{
    char req[4200], msg[RUN__MSG];
    int pidv;

    if (buf_fmt(req, sizeof(req), "run %d %lu %s", i, seed, dir) != 0)
        return -1;
    for (int attempt = 0; attempt < 2 && srv->ready; attempt++) {
        if (send(srv->ctl, req, strlen(req), MSG_NOSIGNAL) >= 0) {
            run__recv(srv, msg, sizeof(msg), RUN__FORK_SECONDS);
            if (sscanf(msg, "pid %d", &pidv) == 1) {
                *pid = (pid_t)pidv;
                return 0;
            }
            if (strncmp(msg, "error ", 6) == 0) {
                log_err(0, "fork server: %s", msg + 6);
                return -1;
            }
        }
        /* It died or hung: a new server, once per request. */
        log_err(0, "the fork server stopped answering (see evidence/%s); starting another",
                srv->starts > 1 ? "server-N" : "server");
        run__server_start(plan, srv, mode);
    }
    run__why(mode, "the fork server died and could not be started again");
    return -1;
}

void
run__server_sweep(struct run__server *srv, const struct run__slot *slots, long n)
{
    siginfo_t si;

    if (srv->starts == 0)
        return; /* not a subreaper: nothing is orphaned to us */
    for (;;) {
        int ours = 0;

        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
            return;
        ours = si.si_pid == srv->pid;
        for (long j = 0; j < n && !ours; j++)
            ours = slots[j].active && slots[j].pid == si.si_pid;
        if (ours)
            return; /* the main loop reaps it */
        waitpid(si.si_pid, NULL, 0);
    }
}

void
run__server_stop(struct run__server *srv)
{
    double end = run__now() + 10;
    int st;

    if (srv->ctl >= 0)
        close(srv->ctl); /* end of requests: the server finishes and exits */
    srv->ctl = -1;
    while (srv->pid > 0 && run__now() < end) {
        if (waitpid(srv->pid, &st, WNOHANG) == srv->pid) {
            srv->pid = -1;
            return;
        }
        poll(NULL, 0, 50);
    }
    run__server_kill(srv);
}
