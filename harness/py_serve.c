/* The fork server: one process per `harness run` starts the interpreter and runs setup once,
 * then forks a process per run on request. Everything the body calls is still called for the
 * first time in each run's process, so lazy-initialisation races stay visible.
 *
 * Messages on the control socket (a SOCK_SEQPACKET pair, one message per send), server first:
 *   "ready"                      setup ran, the server is single-threaded: it takes requests
 *   "spawn REASON"               it cannot serve (setup raised, threads left running): the
 *                                supervisor spawns fresh processes instead and says why
 *   "run I SEED DIR"             (supervisor) fork run I with this seed, evidence into DIR
 *   "pid P" | "error MESSAGE"    the run's process, or why there is none
 *
 * A run's process is forked twice (server -> intermediate -> run) and the intermediate exits at
 * once, so the run is reparented to the supervisor (a child subreaper): it waits for it, times
 * it out and measures it exactly as a spawned child. TSan allows fork only while the process
 * has one thread, which the server checks after setup. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "ev.h"
#include "layout.h"
#include "log.h"
#include "py_internal.h"

#define PY__MSG 8192

static void py__send(int ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
py__send(int ctl, const char *fmt, ...)
{
    char msg[PY__MSG];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(msg))
        n = (int)sizeof(msg) - 1; /* only a message's free text can be this long */
    if (n > 0 && send(ctl, msg, (size_t)n, MSG_NOSIGNAL) < 0)
        log_err(errno, "fork server: cannot answer the supervisor");
}

/* Threads of this process now (the kernel's count, the sanitizer's own included). */
static long
py__threads(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");
    long n = -1;

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* stdin from /dev/null, stdout and stderr into dir, as a spawned child has them. */
static int
py__redirect(const char *dir)
{
    static const struct {
        int fd;
        const char *name;
    } std[] = {{1, LAYOUT_STDOUT}, {2, LAYOUT_STDERR}};
    char path[4096];
    int fd;

    if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
        return FT_EIO;
    close(fd);
    for (size_t i = 0; i < 2; i++) {
        if (buf_fmt(path, sizeof(path), "%s/%s", dir, std[i].name) != 0 ||
            (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 || dup2(fd, std[i].fd) < 0)
            return FT_EIO;
        close(fd);
    }
    return 0;
}

/* The sanitizer options as a spawned run has them: the server's evidence directory in
 * log_path becomes the run's, in the environment and in os.environ (the scenario may read it,
 * and its subprocesses inherit it). */
static int
py__retarget_env(const char *server_dir, const char *dir)
{
    static const char *const vars[] = {"TSAN_OPTIONS", "ASAN_OPTIONS"};
    PyObject *os = PyImport_ImportModule("os"), *environ = os ? PyObject_GetAttrString(os, "environ") : NULL;
    int rc = environ ? 0 : FT_EPYTHON;

    for (size_t i = 0; i < 2 && rc == 0; i++) {
        const char *v = getenv(vars[i]), *at;
        size_t n = strlen(server_dir);
        struct buf b;
        PyObject *value, *key;

        if (v == NULL)
            continue;
        buf_init(&b, (size_t)1 << 16);
        while ((at = strstr(v, server_dir)) != NULL) {
            buf_append(&b, v, (size_t)(at - v));
            buf_puts(&b, dir);
            v = at + n;
        }
        buf_puts(&b, v);
        value = b.err ? NULL : PyUnicode_DecodeFSDefault(buf_cstr(&b));
        key = PyUnicode_FromString(vars[i]);
        if (value == NULL || key == NULL || PyObject_SetItem(environ, key, value) != 0)
            rc = FT_EPYTHON;
        Py_XDECREF(key);
        Py_XDECREF(value);
        buf_free(&b);
    }
    Py_XDECREF(environ);
    Py_XDECREF(os);
    return rc;
}

/* A run's process: its own process group and evidence, the body and teardown, the summary with
 * the server's figures after setup. Never returns. */
static void
py__run_forked(const struct py_job *server, struct py__ctx *c, json_t *figures, int run, unsigned long seed,
               const char *dir, int first)
{
    struct py_job job = *server;
    double t0 = py__now();
    char path[4096];
    json_t *summary;
    int rc;

    job.dir = dir;
    job.run = run;
    job.seed = seed;
    setpgid(0, 0);
    ev_close();
    if (py__redirect(dir) != 0 || py__hooks_reopen(dir, server->dir, first) != 0 ||
        buf_fmt(path, sizeof(path), "%s/" LAYOUT_EVENTS, dir) != 0 || ev_open(path) != 0)
        exit(FT_EXIT_HARNESS);
    summary = py__summary(&job);
    json_object_update(summary, figures);
    json_object_set_new(summary, "forked", json_true());
    if ((rc = py__retarget_env(server->dir, dir)) == 0 && (rc = py__faulthandler(dir)) == 0 &&
        (rc = py__bind_run(c, &job)) == 0)
        rc = py__finish(&job, c, summary);
    py__end(c);
    py__coverage(server->dir, dir);
    exit(py__exit(rc, summary, t0, 0));
}

/* One request: fork the run (twice, see above) and answer with its pid. */
static void
py__serve_one(const struct py_job *job, struct py__ctx *c, json_t *figures, int ctl, const char *msg, int first)
{
    int run, off = 0;
    unsigned long seed;
    pid_t a, b;

    if (sscanf(msg, "run %d %lu %n", &run, &seed, &off) != 2 || off == 0 || msg[off] == '\0') {
        py__send(ctl, "error bad request '%.200s'", msg);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    py__hooks_fork();
    PyOS_BeforeFork();
    if ((a = fork()) == 0) {
        py__hooks_fork();
        if ((b = fork()) == 0) {
            close(ctl);
            PyOS_AfterFork_Child();
            py__run_forked(job, c, figures, run, seed, msg + off, first);
        }
        if (b < 0)
            py__send(ctl, "error cannot fork run %d: %s", run, strerror(errno));
        else
            py__send(ctl, "pid %d", (int)b);
        _exit(0);
    }
    PyOS_AfterFork_Parent();
    if (a < 0)
        py__send(ctl, "error cannot fork run %d: %s", run, strerror(errno));
    else
        waitpid(a, NULL, 0);
}

int
py_serve(const struct py_job *job, int ctl)
{
    char path[4096], msg[PY__MSG];
    json_t *figures = json_object();
    struct py__ctx c = {0};
    ssize_t n;
    long threads;
    int rc, served = 0;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_EVENTS, job->dir) != 0 || ev_open(path) != 0 ||
        py__hooks_install(job->dir) != 0) {
        py__send(ctl, "spawn the fork server could not write its evidence in %s", job->dir);
        return FT_EXIT_HARNESS;
    }
    if (py__init(job) != 0) {
        py__send(ctl, "spawn the interpreter did not start in the fork server");
        return FT_EXIT_NOINIT;
    }
    if ((rc = py__begin(job, &c)) == 0)
        rc = py__setup(job, &c, figures);
    threads = py__threads();
    if (rc != 0)
        py__send(ctl, "spawn setup failed in the fork server (see its evidence): every run runs it in a fresh process");
    else if (threads != 1)
        py__send(ctl, "spawn setup left %ld threads running in the fork server (a library's thread pool?): "
                      "fork needs a single-threaded parent",
                 threads);
    else if (c.groups > 0)
        py__send(ctl, "ready %ld", c.groups); /* pytest mode: the runs its plan makes */
    else
        py__send(ctl, "ready");
    while (rc == 0 && threads == 1 && (n = recv(ctl, msg, sizeof(msg) - 1, 0)) > 0) {
        msg[n] = '\0';
        py__serve_one(job, &c, figures, ctl, msg, served++ == 0);
    }
    py__end(&c);
    json_decref(figures);
    return py__exit(rc, py__summary(job), py__now(), 0);
}
