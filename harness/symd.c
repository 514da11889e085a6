/* The symbolizer relay (symd.h): one llvm-symbolizer for every run of an invocation. */
#include "symd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define SYMD__MAX_CLIENTS 128
#define SYMD__MAX_ANSWER ((size_t)1 << 20)
#define SYMD__ANSWER_MS 60000 /* an answer slower than this: the symbolizer is stuck */

void
symd_name(char *out, size_t n)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    snprintf(out, n, "ftsan-symd-%ld-%ld", (long)getpid(), (long)t.tv_nsec);
}

/* The relay's llvm-symbolizer: started by the first client with its arguments. */
struct symd__llvm {
    pid_t pid;
    int to, from; /* its stdin, its stdout */
    char *args;
};

struct symd__client {
    int fd;
    int ready;   /* its ARGS line was accepted */
    char *line;  /* a request being read, up to SYMD_MAX_LINE */
    size_t len;
};

static void
symd__llvm_stop(struct symd__llvm *l)
{
    if (l->pid > 0) {
        close(l->to);
        close(l->from);
        kill(l->pid, SIGKILL);
        waitpid(l->pid, NULL, 0);
    }
    l->pid = 0;
}

static int
symd__llvm_start(struct symd__llvm *l, const char *real, const char *args, struct symd_stats *st)
{
    int in[2], out[2];
    char *copy = strdup(args), *argv[32] = {(char *)real};
    size_t n = 1;
    pid_t pid;

    if (copy == NULL || pipe2(in, O_CLOEXEC) != 0) {
        free(copy);
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]), close(in[1]), free(copy);
        return -1;
    }
    for (char *tok = strtok(copy, " "); tok && n < sizeof(argv) / sizeof(argv[0]) - 1; tok = strtok(NULL, " "))
        argv[n++] = tok;
    if ((pid = fork()) == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(real, argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    free(copy);
    if (pid < 0) {
        close(in[1]), close(out[0]);
        return -1;
    }
    free(l->args);
    if ((l->args = strdup(args)) == NULL) {
        close(in[1]), close(out[0]);
        kill(pid, SIGKILL), waitpid(pid, NULL, 0);
        return -1;
    }
    l->pid = pid, l->to = in[1], l->from = out[0];
    st->started++;
    return 0;
}

static int
symd__send(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* One request to the symbolizer, its answer (ending "\n\n") to the client. -1: the symbolizer
 * failed (it is stopped; the next request starts another) or the client is gone. */
static int
symd__answer(struct symd__llvm *l, int client, const char *req, size_t len)
{
    char *ans = malloc(SYMD__MAX_ANSWER);
    size_t n = 0;
    int rc = -1;

    if (ans == NULL)
        return -1;
    if (write(l->to, req, len) != (ssize_t)len || write(l->to, "\n", 1) != 1)
        goto fail;
    while (n < 2 || ans[n - 1] != '\n' || ans[n - 2] != '\n') {
        struct pollfd p = {.fd = l->from, .events = POLLIN};
        ssize_t r;

        if (n == SYMD__MAX_ANSWER || poll(&p, 1, SYMD__ANSWER_MS) <= 0)
            goto fail;
        if ((r = read(l->from, ans + n, SYMD__MAX_ANSWER - n)) < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto fail;
        n += (size_t)r;
    }
    rc = symd__send(client, ans, n);
    free(ans);
    return rc;
fail:
    free(ans);
    symd__llvm_stop(l);
    return -1;
}

static void
symd__drop(struct symd__client *c)
{
    close(c->fd);
    free(c->line);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* A complete line from a client. 0: go on; -1: drop the client. */
static int
symd__line(struct symd__client *c, struct symd__llvm *l, const char *real, struct symd_stats *st)
{
    if (!c->ready) {
        const char *args = c->line + 5;

        if (strncmp(c->line, "ARGS ", 5) != 0)
            return -1;
        if (l->pid <= 0 && symd__llvm_start(l, real, args, st) != 0)
            return -1;
        if (strcmp(l->args, args) != 0) {
            st->refused++;
            symd__send(c->fd, "NO\n", 3);
            return -1;
        }
        c->ready = 1;
        return symd__send(c->fd, "OK\n", 3);
    }
    if (l->pid <= 0 && symd__llvm_start(l, real, l->args, st) != 0)
        return -1;
    if (symd__answer(l, c->fd, c->line, c->len) != 0)
        return -1;
    st->requests++;
    return 0;
}

static void
symd__read(struct symd__client *c, struct symd__llvm *l, const char *real, struct symd_stats *st)
{
    char buf[4096];
    ssize_t r = read(c->fd, buf, sizeof(buf));

    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return;
        symd__drop(c);
        return;
    }
    for (ssize_t i = 0; i < r; i++) {
        if (buf[i] != '\n') {
            if (c->len + 1 >= SYMD_MAX_LINE) {
                symd__drop(c);
                return;
            }
            c->line[c->len++] = buf[i];
            continue;
        }
        c->line[c->len] = '\0';
        if (symd__line(c, l, real, st) != 0) {
            symd__drop(c);
            return;
        }
        c->len = 0;
    }
}

/* The relay's loop, in its own process: until the supervisor closes alive. */
static void
symd__serve(int ls, int alive, const char *real, struct symd_stats *st)
{
    static struct symd__client cl[SYMD__MAX_CLIENTS];
    struct symd__llvm l = {0};
    struct pollfd p[SYMD__MAX_CLIENTS + 2];

    for (size_t i = 0; i < SYMD__MAX_CLIENTS; i++)
        cl[i].fd = -1;
    for (;;) {
        size_t n = 2;

        p[0] = (struct pollfd){.fd = alive, .events = POLLIN};
        p[1] = (struct pollfd){.fd = ls, .events = POLLIN};
        for (size_t i = 0; i < SYMD__MAX_CLIENTS; i++)
            p[n++] = (struct pollfd){.fd = cl[i].fd, .events = POLLIN};
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        if (p[1].revents & POLLIN) {
            int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

            for (size_t i = 0; fd >= 0 && i < SYMD__MAX_CLIENTS; i++)
                if (cl[i].fd < 0 && (cl[i].line = malloc(SYMD_MAX_LINE)) != NULL) {
                    cl[i].fd = fd, fd = -1;
                    st->clients++;
                }
            if (fd >= 0)
                close(fd); /* no room: that shim runs the real symbolizer */
        }
        for (size_t i = 0; i < SYMD__MAX_CLIENTS; i++)
            if (cl[i].fd >= 0 && p[i + 2].revents)
                symd__read(&cl[i], &l, real, st);
    }
    for (size_t i = 0; i < SYMD__MAX_CLIENTS; i++)
        if (cl[i].fd >= 0)
            symd__drop(&cl[i]);
    symd__llvm_stop(&l);
    free(l.args);
}

int
symd_start(struct symd *d, const char *name, const char *real)
{
    struct sockaddr_un a;
    socklen_t alen = symd_addr(&a, name);
    int ls, stats[2], alive[2];
    pid_t pid;

    memset(d, 0, sizeof(*d));
    d->stats_fd = d->alive_fd = -1;
    if ((ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 || bind(ls, (struct sockaddr *)&a, alen) != 0 ||
        listen(ls, SYMD__MAX_CLIENTS) != 0) {
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
        struct symd_stats st = {0};

        /* An interrupt is the supervisor's to answer; it ends the relay by closing alive. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        close(stats[0]);
        close(alive[1]);
        symd__serve(ls, alive[0], real, &st);
        if (write(stats[1], &st, sizeof(st)) != (ssize_t)sizeof(st))
            _exit(1);
        _exit(0);
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
