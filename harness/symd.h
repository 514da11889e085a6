/* One llvm-symbolizer for a whole `harness run`. A sanitizer symbolizes its reports in the run
 * that made them, by starting the external symbolizer it is given and talking to it through
 * pipes; started by every reporting run, llvm-symbolizer read the debug information of the
 * interpreter and of NumPy again each time (a second of wall time a run). The runs are given a
 * shim instead (harness/tools/symshim.c, installed as SYMD_SHIM: the runtime picks the protocol
 * by that name), which relays each request to the relay (symd_start: the same program in its
 * other mode, started by the supervisor), which keeps one llvm-symbolizer, warm, for every run
 * of the invocation.
 *
 * The protocol, on a stream socket in the abstract namespace: the shim sends
 * "ARGS <its arguments, space-separated>\n" and gets "OK\n" (the relay's symbolizer runs with
 * those arguments; started by the first client) or "NO\n" (other arguments: the shim runs the
 * real symbolizer itself). Then each request is one line ("CODE \"module\" 0xoffset"), and its
 * answer llvm-symbolizer's, ending with an empty line. Requests are answered one at a time. A
 * shim that cannot reach the relay runs the real symbolizer: a run is never left unsymbolized
 * because the relay is gone. */
#ifndef FT_SYMD_H
#define FT_SYMD_H

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* The runs' environment variable naming the relay and the real symbolizer: "NAME\tPATH". */
#define SYMD_ENV "FTSAN_SYMBOLIZER"
/* The shim's file name, under the harness's build directory's sym/. */
#define SYMD_SHIM "llvm-symbolizer"
#define SYMD_MAX_LINE ((size_t)16 << 10)   /* a request: the runtime's own buffer */

struct symd_stats {
    long clients;   /* shims that connected */
    long requests;  /* requests answered */
    long started;   /* llvm-symbolizer processes started */
    long refused;   /* shims sent to the real symbolizer (other arguments) */
};

struct symd {
    pid_t pid;      /* the relay; 0 when none */
    int stats_fd;   /* the relay writes its struct symd_stats here as it ends */
    int alive_fd;   /* closed by symd_stop: the relay ends when it sees it closed */
};

/* symd_addr: the relay's address for name (the abstract namespace: no file, no path limit
 * beyond sun_path's). Its length, for bind and connect. */
static inline socklen_t
symd_addr(struct sockaddr_un *a, const char *name)
{
    size_t len = strlen(name);

    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (len > sizeof(a->sun_path) - 1)
        len = sizeof(a->sun_path) - 1;
    memcpy(a->sun_path + 1, name, len);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

/* symd_name: a fresh abstract socket name (without the leading NUL) into out. */
void symd_name(char *out, size_t n);

/* The relay is the shim started as "SHIM SYMD_RELAY_ARG REAL", its listening socket, the read
 * end of alive and the write end of its counts at these descriptors. */
#define SYMD_RELAY_ARG "--ftsan-relay"
#define SYMD_FD_LISTEN 3 /* consecutive: listen, alive, stats */
#define SYMD_FD_ALIVE 4
#define SYMD_FD_STATS 5

/* symd_start: the relay for name (the shim in its relay mode), starting real (llvm-symbolizer)
 * when the first shim asks. 0, or FT_EIO (logged); d->pid is then 0 and the runs' shims run the
 * real symbolizer. */
int symd_start(struct symd *d, const char *name, const char *shim, const char *real);

/* symd_stop: ends the relay, its symbolizer with it, and reads its counts into st. */
void symd_stop(struct symd *d, struct symd_stats *st);

#endif
