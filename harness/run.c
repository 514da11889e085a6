/* Child process supervision: spawn, sample, time out, collect stacks, kill the group, reap. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "log.h"

#define RUN__SAMPLE_MS 50
#define RUN__GDB_SECONDS 60

static volatile sig_atomic_t run__stop;

static void
run__on_signal(int sig)
{
    run__stop = sig;
}

int
run__stopping(void)
{
    return run__stop != 0;
}

double
run__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
run_dir(const struct run_plan *plan, int i, char *out, size_t n)
{
    return buf_fmt(out, n, "%s/" LAYOUT_RUN_DIR, plan->evidence, i + 1);
}

/* Replace {dir}, {run}, {seed} in s. New string, or NULL when out of memory. */
static char *
run__fill(const char *s, const char *dir, int i, unsigned long seed)
{
    struct buf b;
    const char *p;

    buf_init(&b, 1 << 16);
    for (p = s; *p; p++) {
        int rc = 0;

        if (strncmp(p, "{dir}", 5) == 0)
            rc = buf_puts(&b, dir), p += 4;
        else if (strncmp(p, "{run}", 5) == 0)
            rc = buf_printf(&b, "%d", i), p += 4;
        else if (strncmp(p, "{seed}", 6) == 0)
            rc = buf_printf(&b, "%lu", seed), p += 5;
        else
            rc = buf_append(&b, p, 1);
        if (rc != 0) {
            buf_free(&b);
            return NULL;
        }
    }
    return b.data ? buf_steal(&b) : strdup("");
}

static char **
run__fill_all(char *const *v, const char *dir, int i, unsigned long seed)
{
    size_t n = 0;
    char **out;

    while (v[n])
        n++;
    if ((out = calloc(n + 1, sizeof(*out))) == NULL)
        return NULL;
    for (size_t k = 0; k < n; k++)
        if ((out[k] = run__fill(v[k], dir, i, seed)) == NULL) {
            for (size_t j = 0; j < k; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    return out;
}

static void
run__free_all(char **v)
{
    for (size_t k = 0; v && v[k]; k++)
        free(v[k]);
    free(v);
}

int
run__exec(char *const *argv_t, char *const *envp_t, const char *dir, int i, unsigned long seed, int ctl, pid_t *pid)
{
    char out[4200], err[4200];
    char **argv = NULL, **envp = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int rc = FT_ESPAWN, e;

    if (buf_fmt(out, sizeof(out), "%s/" LAYOUT_STDOUT, dir) != 0 || buf_fmt(err, sizeof(err), "%s/" LAYOUT_STDERR, dir) != 0) {
        log_err(0, "%s: the evidence path is too long", dir);
        return FT_ETOOBIG;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        log_err(errno, "cannot create %s", dir);
        return FT_EIO;
    }
    argv = run__fill_all(argv_t, dir, i, seed);
    envp = run__fill_all(envp_t, dir, i, seed);
    if (argv == NULL || envp == NULL) {
        rc = FT_ENOMEM;
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (ctl >= 0)
        posix_spawn_file_actions_adddup2(&fa, ctl, RUN_CONTROL_FD);
    posix_spawnattr_init(&at);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    e = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e != 0)
        log_err(e, "cannot start %s", argv[0]);
    else
        rc = 0;
out:
    run__free_all(argv);
    run__free_all(envp);
    return rc;
}

void
run__slot_start(struct run__slot *s, int i, pid_t pid)
{
    *s = (struct run__slot){.active = 1, .i = i, .pid = pid, .start = run__now()};
}

/* Start run i: forked by the fork server when there is one, else spawned, in its own process
 * group with stdout and stderr in its directory. */
static int
run__start(const struct run_plan *plan, struct run__server *srv, struct run__slot *s, int i, struct run_mode *mode)
{
    char dir[4096];
    unsigned long seed = plan->seed + (unsigned long)i;
    pid_t pid;
    int rc;

    if (run_dir(plan, i, dir, sizeof(dir)) != 0) {
        log_err(0, "%s: the evidence path is too long", plan->evidence);
        return FT_ETOOBIG;
    }
    if (srv->ready) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            log_err(errno, "cannot create %s", dir);
            return FT_EIO;
        }
        if (run__server_fork(plan, srv, i, seed, dir, &pid, mode) == 0) {
            run__slot_start(s, i, pid);
            mode->forked++;
            return 0;
        }
    }
    if ((rc = run__exec(plan->argv, plan->envp, dir, i, seed, -1, &pid)) == 0) {
        run__slot_start(s, i, pid);
        mode->spawned++;
    }
    return rc;
}

/* "Threads:" and "VmPeak:" lines of /proc/PID/status. */
static void
run__sample(struct run__slot *s)
{
    char path[64], line[256];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
    if ((f = fopen(path, "re")) == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        long n;

        if (sscanf(line, "Threads: %ld", &n) == 1 && n > s->peak_threads)
            s->peak_threads = n;
        else if (sscanf(line, "VmPeak: %ld kB", &n) == 1 && n > s->peak_vm_kb)
            s->peak_vm_kb = n;
    }
    fclose(f);
}

/* Native stacks of every thread of a hung run, by gdb in batch mode, into gdb.txt. */
static void
run__gdb(const struct run_plan *plan, struct run__slot *s)
{
    char dir[4096], out[4200], pid[32], tmo[32];
    char *argv[] = {"timeout", tmo, (char *)plan->gdb, "-batch", "-nx", "-p", pid,
                    "-ex", "set pagination off", "-ex", "thread apply all bt", NULL};
    posix_spawn_file_actions_t fa;
    extern char **environ;
    pid_t g;
    int st;

    if (run_dir(plan, s->i, dir, sizeof(dir)) != 0 || buf_fmt(out, sizeof(out), "%s/" LAYOUT_GDB, dir) != 0)
        return; /* run__start made this directory: its path fits */
    snprintf(pid, sizeof(pid), "%d", (int)s->pid);
    snprintf(tmo, sizeof(tmo), "%d", RUN__GDB_SECONDS);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&g, "timeout", &fa, NULL, argv, environ) == 0)
        waitpid(g, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
}

/* A run past its timeout: Python stacks (the child's faulthandler answers SIGTERM), a second
 * for them to be written, native stacks, then SIGKILL to the whole group. */
static void
run__hang_step(const struct run_plan *plan, struct run__slot *s, double now)
{
    if (s->hang_stage == 0) {
        kill(s->pid, SIGTERM);
        s->hang_stage = 1;
        s->stage_at = now;
    } else if (s->hang_stage == 1 && now - s->stage_at >= 1.0) {
        if (plan->gdb)
            run__gdb(plan, s);
        kill(-s->pid, SIGKILL);
        s->hang_stage = 2;
    }
}

static int
run__write_status(const char *dir, const struct run_result *r)
{
    char path[4200], tmp[4300];
    json_t *o = json_object();
    int rc = 0;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_STATUS, dir) != 0 || buf_fmt(tmp, sizeof(tmp), "%s.tmp", path) != 0) {
        log_err(0, "%s/%s: the path is too long", dir, LAYOUT_STATUS);
        json_decref(o);
        return FT_ETOOBIG;
    }
    json_object_set_new(o, "run", json_integer(r->run));
    json_object_set_new(o, "pid", json_integer(r->pid));
    json_object_set_new(o, "exited", json_boolean(r->exited));
    json_object_set_new(o, "exit_code", json_integer(r->exit_code));
    json_object_set_new(o, "signal", json_integer(r->signal));
    json_object_set_new(o, "signal_name", json_string(r->signal ? sigabbrev_np(r->signal) : ""));
    json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
    json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
    json_object_set_new(o, "seconds", json_real(r->seconds));
    json_object_set_new(o, "maxrss_kb", json_integer(r->maxrss_kb));
    json_object_set_new(o, "peak_threads", json_integer(r->peak_threads));
    json_object_set_new(o, "peak_vm_kb", json_integer(r->peak_vm_kb));
    if (json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || rename(tmp, path) != 0) {
        log_err(errno, "cannot write %s", path);
        rc = FT_EIO;
    }
    json_decref(o);
    return rc;
}

static void
run__reaped(const struct run_plan *plan, struct run__slot *s, int st, const struct rusage *ru,
            struct run_result *results, run_done_fn done, void *arg)
{
    struct run_result *r = &results[s->i];
    char dir[4096];

    *r = (struct run_result){.run = s->i + 1, .pid = s->pid};
    r->exited = WIFEXITED(st);
    r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    /* A run the interrupt killed is not a hang; one that ended on its own meanwhile is a run. */
    r->interrupted = s->interrupted && !WIFEXITED(st);
    r->timed_out = s->hang_stage > 0 && !s->interrupted;
    r->seconds = run__now() - s->start;
    r->maxrss_kb = ru->ru_maxrss;
    r->peak_threads = s->peak_threads;
    r->peak_vm_kb = s->peak_vm_kb;
    /* The child is gone, but a grandchild it left may still hold the group. */
    kill(-s->pid, SIGKILL);
    s->active = 0;
    if (run_dir(plan, s->i, dir, sizeof(dir)) != 0) /* run__start made this directory: its path fits */
        return;
    run__write_status(dir, r);
    if (done)
        done(r, dir, arg);
}

int
run_all(struct run_plan *plan, struct run_result **results, run_done_fn done, void *arg, struct run_mode *mode)
{
    struct run__slot *slots = calloc((size_t)plan->jobs, sizeof(*slots));
    struct sigaction sa = {.sa_handler = run__on_signal}, old_int, old_term;
    struct run__server srv = {.pid = -1, .ctl = -1};
    double t0 = run__now();
    int next = 0, active = 0, rc = 0;

    *results = NULL;
    if (slots == NULL)
        return FT_ENOMEM;
    memset(mode, 0, sizeof(*mode));
    run__stop = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (plan->server_argv)
        run__server_start(plan, &srv, mode);
    if (plan->runs == 0) {
        /* pytest mode: the server collected the tests and says how many runs their plan makes.
         * Without it (its setup failed, or it could not fork), one fresh run: it collects them
         * itself, and its evidence says what went wrong. */
        plan->runs = srv.offered > 0 ? srv.offered : 1;
        if (srv.offered <= 0)
            log_err(0, "the fork server did not count the tests' runs (%s): one fresh run",
                    mode->why[0] ? mode->why : "it did not say");
    }
    if ((*results = calloc((size_t)plan->runs, sizeof(**results))) == NULL) {
        log_err(ENOMEM, "preparing the runs");
        rc = FT_ENOMEM;
    }
    while (*results != NULL && (next < plan->runs || active > 0)) {
        double now = run__now();

        if (plan->budget && next > 0 && next < plan->runs && now - t0 >= (double)plan->budget) {
            mode->budget_left = plan->runs - next; /* the first run always starts */
            next = (int)plan->runs;
        }
        for (long j = 0; j < plan->jobs && next < plan->runs && !run__stop && rc == 0; j++)
            if (!slots[j].active) {
                if ((rc = run__start(plan, &srv, &slots[j], next, mode)) == 0) {
                    next++;
                    active++;
                }
            }
        if (rc != 0 || run__stop)
            next = (int)plan->runs; /* start nothing more; reap what runs */
        for (long j = 0; j < plan->jobs; j++) {
            struct run__slot *s = &slots[j];
            struct rusage ru;
            int st;
            pid_t p;

            if (!s->active)
                continue;
            p = wait4(s->pid, &st, WNOHANG, &ru);
            if (p == s->pid) {
                run__reaped(plan, s, st, &ru, *results, done, arg);
                active--;
                continue;
            }
            run__sample(s);
            if (run__stop && s->hang_stage < 2) {
                kill(-s->pid, SIGKILL);
                s->interrupted = s->hang_stage == 0;
                s->hang_stage = 2;
            } else if (now - s->start > (double)plan->timeout) {
                run__hang_step(plan, s, now);
            }
        }
        run__server_sweep(&srv, slots, plan->jobs);
        poll(NULL, 0, RUN__SAMPLE_MS);
    }
    run__server_stop(&srv);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(slots);
    if (rc == 0 && run__stop)
        rc = 1;
    return rc;
}

/* A helper process with a pipe each way; the input is small (a few KiB of addresses), so it is
 * written whole before the output is read, in a poll loop that also enforces the timeout. */
int
run_capture(char *const *argv, const char *input, size_t len, struct buf *out, int timeout)
{
    extern char **environ;
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, rc = FT_ESPAWN, st, e;
    posix_spawn_file_actions_t fa;
    double deadline = run__now() + timeout;
    pid_t pid = -1;
    char chunk[8192];

    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
        log_err(errno, "pipe");
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        log_err(e, "cannot start %s", argv[0]);
        pid = -1;
        goto out;
    }
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    if (len && write(in[1], input, len) != (ssize_t)len) {
        log_err(errno, "writing to %s", argv[0]);
        rc = FT_EIO;
        goto out;
    }
    close(in[1]);
    in[1] = -1;
    rc = 0;
    for (;;) {
        struct pollfd p = {.fd = outp[0], .events = POLLIN};
        int left = (int)((deadline - run__now()) * 1000);
        ssize_t n;

        if (left <= 0 || poll(&p, 1, left) <= 0) {
            log_err(0, "%s did not finish within %d s", argv[0], timeout);
            rc = FT_EIO;
            break;
        }
        if ((n = read(outp[0], chunk, sizeof(chunk))) <= 0)
            break;
        if ((rc = buf_append(out, chunk, (size_t)n)) != 0)
            break;
    }
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (outp[i] >= 0)
            close(outp[i]);
    }
    if (pid > 0) {
        if (rc != 0)
            kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    return rc;
}
