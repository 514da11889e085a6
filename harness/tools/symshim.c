/* The symbolizer the runs are given (symd.h): installed as "llvm-symbolizer" so the sanitizer
 * runtime speaks llvm-symbolizer's protocol to it, it relays each request to the invocation's
 * one symbolizer. Without the relay (FTSAN_SYMBOLIZER unset, the relay gone, other arguments),
 * it becomes the real symbolizer: a run is never left unsymbolized because of it. Built without
 * a sanitizer and without the interpreter: it starts in a millisecond. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../symd.h"

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

int
main(int argc, char **argv)
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
