/* The symbolizer the runs are given, and the relay behind it (symd.h). Installed as
 * "llvm-symbolizer" so the sanitizer runtime speaks llvm-symbolizer's protocol to it, it relays
 * each request to the invocation's one symbolizer. Without the relay (FTSAN_SYMBOLIZER unset,
 * the relay gone, other arguments), it becomes the real symbolizer: a run is never left
 * unsymbolized because of it. Started by the supervisor as "llvm-symbolizer --ftsan-relay REAL",
 * it is the relay. Built without a sanitizer and without the interpreter: it starts in a
 * millisecond. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../symd.h"

#define RELAY__MAX_CLIENTS 128
#define RELAY__MAX_ANSWER ((size_t)1 << 20)
#define RELAY__ANSWER_MS 60000 /* an answer slower than this: the symbolizer is stuck */

/* The relay's llvm-symbolizer: started by the first client with its arguments. */
struct relay__llvm {
    pid_t pid;
    int to, from; /* its stdin, its stdout */
    char *args;
};

struct relay__client {
    int fd;
    int ready;   /* its ARGS line was accepted */
    char *line;  /* a request being read, up to SYMD_MAX_LINE */
    size_t len;
};

static void
relay__llvm_stop(struct relay__llvm *l)
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
relay__llvm_start(struct relay__llvm *l, const char *real, const char *args, struct symd_stats *st)
{
    int in[2], out[2];
    size_t len = strnlen(args, SYMD_MAX_LINE), n = 1;
    char *copy = strndup(args, len), *argv[32] = {(char *)real};
    pid_t pid;

    if (copy == NULL || pipe2(in, O_CLOEXEC) != 0) {
        free(copy);
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]), close(in[1]), free(copy);
        return -1;
    }
    /* The arguments, space-separated, each in place in copy (len bytes). */
    for (size_t i = 0; i < len && n < sizeof(argv) / sizeof(argv[0]) - 1;) {
        char *sp = memchr(copy + i, ' ', len - i);
        size_t end = sp ? (size_t)(sp - copy) : len;

        if (end > i) {
            copy[end] = '\0';
            argv[n++] = copy + i;
        }
        i = end + 1;
    }
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
relay__send(int fd, const char *p, size_t n)
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
relay__answer(struct relay__llvm *l, int client, const char *req, size_t len)
{
    char *ans = malloc(RELAY__MAX_ANSWER);
    size_t n = 0;
    int rc = -1;

    if (ans == NULL)
        return -1;
    if (write(l->to, req, len) != (ssize_t)len || write(l->to, "\n", 1) != 1)
        goto fail;
    while (n < 2 || ans[n - 1] != '\n' || ans[n - 2] != '\n') {
        struct pollfd p = {.fd = l->from, .events = POLLIN};
        ssize_t r;

        if (n == RELAY__MAX_ANSWER || poll(&p, 1, RELAY__ANSWER_MS) <= 0)
            goto fail;
        if ((r = read(l->from, ans + n, RELAY__MAX_ANSWER - n)) < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto fail;
        n += (size_t)r;
    }
    rc = relay__send(client, ans, n);
    free(ans);
    return rc;
fail:
    free(ans);
    relay__llvm_stop(l);
    return -1;
}

static void
relay__drop(struct relay__client *c)
{
    close(c->fd);
    free(c->line);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* A complete line from a client. 0: go on; -1: drop the client. */
static int
relay__line(struct relay__client *c, struct relay__llvm *l, const char *real, struct symd_stats *st)
{
    if (!c->ready) {
        const char *args = c->line + 5;

        if (strncmp(c->line, "ARGS ", 5) != 0)
            return -1;
        if (l->pid <= 0 && relay__llvm_start(l, real, args, st) != 0)
            return -1;
        if (strcmp(l->args, args) != 0) {
            st->refused++;
            relay__send(c->fd, "NO\n", 3);
            return -1;
        }
        c->ready = 1;
        return relay__send(c->fd, "OK\n", 3);
    }
    if (l->pid <= 0 && relay__llvm_start(l, real, l->args, st) != 0)
        return -1;
    if (relay__answer(l, c->fd, c->line, c->len) != 0)
        return -1;
    st->requests++;
    return 0;
}

static void
relay__read(struct relay__client *c, struct relay__llvm *l, const char *real, struct symd_stats *st)
{
    char buf[4096];
    ssize_t r = read(c->fd, buf, sizeof(buf));

    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return;
        relay__drop(c);
        return;
    }
    for (ssize_t i = 0; i < r; i++) {
        if (buf[i] != '\n') {
            if (c->len + 1 >= SYMD_MAX_LINE) {
                relay__drop(c);
                return;
            }
            c->line[c->len++] = buf[i];
            continue;
        }
        c->line[c->len] = '\0';
        if (relay__line(c, l, real, st) != 0) {
            relay__drop(c);
            return;
        }
        c->len = 0;
    }
}

/* The relay's loop, in its own process: until the supervisor closes alive. */
static void
relay__serve(int ls, int alive, const char *real, struct symd_stats *st)
{
    static struct relay__client cl[RELAY__MAX_CLIENTS];
    struct relay__llvm l = {0};
    struct pollfd p[RELAY__MAX_CLIENTS + 2];

    for (size_t i = 0; i < RELAY__MAX_CLIENTS; i++)
        cl[i].fd = -1;
    for (;;) {
        size_t n = 2;

        p[0] = (struct pollfd){.fd = alive, .events = POLLIN};
        p[1] = (struct pollfd){.fd = ls, .events = POLLIN};
        for (size_t i = 0; i < RELAY__MAX_CLIENTS; i++)
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

            for (size_t i = 0; fd >= 0 && i < RELAY__MAX_CLIENTS; i++)
                if (cl[i].fd < 0 && (cl[i].line = malloc(SYMD_MAX_LINE)) != NULL) {
                    cl[i].fd = fd, fd = -1;
                    st->clients++;
                }
            if (fd >= 0)
                close(fd); /* no room: that shim runs the real symbolizer */
        }
        for (size_t i = 0; i < RELAY__MAX_CLIENTS; i++)
            if (cl[i].fd >= 0 && p[i + 2].revents)
                relay__read(&cl[i], &l, real, st);
    }
    for (size_t i = 0; i < RELAY__MAX_CLIENTS; i++)
        if (cl[i].fd >= 0)
            relay__drop(&cl[i]);
    relay__llvm_stop(&l);
    free(l.args);
}


static int
symshim__send(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* The relay's answer to one request, up to its empty line, to out. */
static int
symshim__answer(int fd, FILE *out)
{
    char prev = 0, c;

    for (;;) {
        if (read(fd, &c, 1) != 1)
            return -1;
        if (fputc(c, out) == EOF)
            return -1;
        if (c == '\n' && prev == '\n')
            return 0;
        prev = c;
    }
}

/* The shim: relay the runtime's requests, or become the real symbolizer. */
static int
shim(int argc, char **argv)
{
    const char *v = getenv(SYMD_ENV), *tab;
    char name[256], reply[4] = {0}, *line = NULL;
    struct sockaddr_un a;
    size_t cap = 0;
    ssize_t n;
    int fd = -1;

    if (v == NULL || (tab = strchr(v, '\t')) == NULL || (size_t)(tab - v) >= sizeof(name))
        goto direct;
    memcpy(name, v, (size_t)(tab - v));
    name[tab - v] = '\0';
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        goto direct;
    {
        socklen_t len = symd_addr(&a, name);

        if (connect(fd, (struct sockaddr *)&a, len) != 0)
            goto direct;
    }
    if (symshim__send(fd, "ARGS", 4) != 0)
        goto direct;
    for (int i = 1; i < argc; i++)
        if (symshim__send(fd, " ", 1) != 0 || symshim__send(fd, argv[i], strlen(argv[i])) != 0)
            goto direct;
    if (symshim__send(fd, "\n", 1) != 0 || read(fd, reply, 3) != 3 || strcmp(reply, "OK\n") != 0)
        goto direct;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (symshim__send(fd, line, (size_t)n) != 0 || symshim__answer(fd, stdout) != 0)
            return 1; /* the runtime restarts its symbolizer: this shim, which then runs the real one */
        fflush(stdout);
    }
    return 0;
direct:
    if (fd >= 0)
        close(fd);
    if (v && (tab = strchr(v, '\t')) != NULL) {
        argv[0] = (char *)tab + 1;
        execv(argv[0], argv);
    }
    fprintf(stderr, "%s: no relay and no real symbolizer (%s=%s)\n", argv[0], SYMD_ENV, v ? v : "");
    return 127;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], SYMD_RELAY_ARG) == 0) {
        struct symd_stats st = {0};

        signal(SIGPIPE, SIG_IGN);
        /* Not inherited by the symbolizer: the supervisor reads the counts until the relay ends. */
        for (int fd = SYMD_FD_LISTEN; fd <= SYMD_FD_STATS; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        relay__serve(SYMD_FD_LISTEN, SYMD_FD_ALIVE, argv[2], &st);
        return write(SYMD_FD_STATS, &st, sizeof(st)) == (ssize_t)sizeof(st) ? 0 : 1;
    }
    return shim(argc, argv);
}
