/* Why the threads of a hung run wait: each thread's native stack (gdb's, attached to the hang
 * report) read for the lock or condition it blocks on, from CPython's and glibc's own function
 * names. PyMutex and critical sections do not record their holder, so who holds a lock is only
 * told where the stacks say it: a thread asking for a stop-the-world waits for every thread
 * still running Python or native code. Every worker waiting on a lock with none running is a
 * deadlock (or a lost wake-up): nothing in the process can release them. */
#include "sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sig_internal.h"

#define SIG__WAIT_FRAMES 6 /* the frames a kind of wait is told by, NULL-terminated */

/* What a blocked thread waits on, by the frames that block on it, strongest first: a critical
 * section is taken through a PyMutex, which parks through a semaphore, which waits on a futex. */
static const struct sig__wait_kind {
    const char *state;
    const char *words;             /* how a summary says it */
    int lock;                      /* a lock another thread holds (1), or a wait for work/time (0) */
    const char *const frames[SIG__WAIT_FRAMES];
} sig__waits[] = {
    /* the sanitizer's runtime: a thread printing a report holds TSan's report lock, and a thread
     * that needs a new trace part waits for it (the harness's report hook runs inside that) */
    {"sanitizer-report", "is inside the sanitizer's report of a race", 1, {"__tsan::OutputReport(", NULL}},
    {"sanitizer", "waits on the sanitizer's own lock", 1,
     {"__sanitizer::FutexWait(", "__sanitizer::Semaphore::Wait(", "__sanitizer::internal_sched_yield(",
      "__tsan::TraceSwitchPartImpl(", NULL}},
    {"barrier", "waits at the run's barrier for the other threads", 1, {"py__barrier", NULL}},
    {"critical-section", "waits on a critical section", 1,
     {"_PyCriticalSection_BeginSlow", "_PyCriticalSection2_BeginSlow", NULL}},
    {"stop-the-world", "asks for a stop-the-world", 1, {"stop_the_world", "_PyEval_StopTheWorld", NULL}},
    {"stopped", "is stopped by another thread's stop-the-world", 1, {"tstate_wait_attach", "_PyThreadState_Attach", NULL}},
    {"gil", "waits for the GIL", 1, {"take_gil", NULL}},
    {"python-lock", "waits on a Python lock", 1,
     {"lock_PyThread_acquire_lock", "rlock_acquire", "acquire_timed", "PyThread_acquire_lock_timed", NULL}},
    {"pymutex", "waits on a PyMutex", 1,
     {"_PyMutex_LockTimed", "_PyMutex_LockSlow", "PyMutex_Lock", "_PyRecursiveMutex_Lock", "_PyOnceFlag_CallOnceSlow", NULL}},
    {"join", "waits for threads to end", 0, {"pthread_join", "__pthread_clockjoin_ex", "___pthread_join", NULL}},
    {"condition", "waits on a condition variable", 1,
     {"pthread_cond_wait", "___pthread_cond_wait", "__pthread_cond_wait", "pthread_cond_timedwait", NULL}},
    {"pthread-mutex", "waits on a pthread mutex", 1, {"__lll_lock_wait", "pthread_mutex_lock", "___pthread_mutex_lock", NULL}},
    {"sleep", "sleeps", 0, {"clock_nanosleep", "__GI___clock_nanosleep", "time_sleep", "usleep", NULL}},
    {"futex", "waits on a futex", 1, {"futex_wait", "__futex_abstimed_wait_common", "syscall", NULL}},
};

/* The lock machinery between a waiting thread's code and the kernel: never "where" it waits. */
static const char *const sig__machinery[] = {
    "__tsan", "__sanitizer", "py__dump_python_stack", "_Py_DumpASCII", "_Py_DumpTraceback", "dump_traceback",
    "dump_frame",
    "_PyCriticalSection", "_PyMutex_", "PyMutex_", "_PyParkingLot_", "_PySemaphore_", "_PyRecursiveMutex_",
    "_PyEval_StopTheWorld", "stop_the_world", "tstate_wait_attach", "_PyThreadState_Attach", "take_gil",
    "lock_PyThread_acquire_lock", "acquire_timed", "PyThread_acquire_lock", "rlock_acquire", "_PyOnceFlag_",
    "park_detached_threads", "detach_thread", "_PyEval_AcquireLock", "PyEval_AcquireThread", "_PyEval_ReInitThreads",
};

static int
sig__is(const struct san_frame *f, const char *const *names, size_t n, int prefix)
{
    if (f->function == NULL)
        return 0;
    for (size_t i = 0; i < n && names[i]; i++) /* C++ names, as gdb prints them, by their prefix */
        if (prefix || strstr(names[i], "::") ? strncmp(f->function, names[i], strlen(names[i])) == 0
                                             : strcmp(f->function, names[i]) == 0)
            return 1;
    return 0;
}

/* Whether a frame of s is fn (gdb names C++ functions with their parameters: a prefix). */
static int
sig__has(const struct san_stack *s, const char *fn)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->frames[k].function && strncmp(s->frames[k].function, fn, strlen(fn)) == 0)
            return 1;
    return 0;
}

/* "Thread 3 (LWP 13292)" of a gdb label "native Thread 3 (Thread 0x7f.. (LWP 13292) "harness")". */
static void
sig__thread_name(const char *label, char *out, size_t n)
{
    const char *t = strstr(label, "Thread "), *lwp = strstr(label, "(LWP ");
    int no = t ? atoi(t + 7) : 0;

    if (lwp)
        snprintf(out, n, "Thread %d (LWP %d)", no, atoi(lwp + 5));
    else
        snprintf(out, n, "Thread %d", no);
}

/* CPython's calling and evaluating code: a wait reached through it was asked for by Python code. */
static const char *const sig__eval_files[] = {"call.c", "ceval.c", "generated_cases.c.h", "methodobject.c",
                                             "descrobject.c", "pycore_call.h", "abstract.c", "pycore_ceval.h",
                                             "classobject.c", "typeobject.c", "object.c", "ceval_macros.h"};

static int
sig__eval_frame(const struct san_frame *f)
{
    const char *b = f->file ? strrchr(f->file, '/') : NULL;

    b = b ? b + 1 : f->file;
    for (size_t i = 0; b && i < sizeof(sig__eval_files) / sizeof(*sig__eval_files); i++)
        if (strcmp(b, sig__eval_files[i]) == 0)
            return 1;
    return 0;
}

/* Where a thread is: the first frame outward from index k that is its own code, not lock
 * machinery, noise or CPython's evaluation of Python code ("Python code" when only the harness's
 * worker is beyond: the wait was asked for by the scenario's Python, which faulthandler's stacks
 * of the same finding show line by line). */
static void
sig__where(const struct san_stack *s, size_t k, char *out, size_t n)
{
    for (; k < s->n; k++) {
        const struct san_frame *f = &s->frames[k];

        if (f->function && strcmp(f->function, "py__worker_main") == 0)
            break;
        if (!f->function || sig__is(f, sig__machinery, sizeof(sig__machinery) / sizeof(*sig__machinery), 1) ||
            sig_frame_is_noise(f, NULL) || sig__eval_frame(f))
            continue;
        sig__frame_str(f, out, n);
        return;
    }
    snprintf(out, n, k < s->n ? "Python code" : "?");
}

/* One thread of a hung run: its name, what it waits on (NULL: it runs) and where. */
struct sig__thread {
    char name[64], in[300];
    const struct sig__wait_kind *w;
    int worker;
};

/* Reads one gdb stack into t. 0 when it is not a thread of the run's (TSan's background thread). */
static int
sig__read_thread(const struct san_stack *s, struct sig__thread *t)
{
    size_t at = 0, from = 0;

    if (!s->label || strncmp(s->label, "native ", 7) != 0 || s->n == 0 || sig__has(s, "__tsan::BackgroundThread"))
        return 0;
    /* a thread the supervisor's SIGTERM landed on is dumping stacks for it (faulthandler): what
     * it was doing is below gdb's "<signal handler called>" */
    for (size_t k = 0; k < s->n; k++)
        if (s->frames[k].function && strncmp(s->frames[k].function, "<signal", 7) == 0)
            from = k + 1;
    t->w = NULL;
    for (size_t j = 0; j < sizeof(sig__waits) / sizeof(*sig__waits) && !t->w; j++)
        for (size_t k = from; k < s->n && !t->w; k++)
            if (sig__is(&s->frames[k], sig__waits[j].frames, SIG__WAIT_FRAMES, 0)) {
                t->w = &sig__waits[j];
                at = k + 1;
            }
    sig__thread_name(s->label, t->name, sizeof(t->name));
    sig__where(s, t->w ? at : from, t->in, sizeof(t->in));
    t->worker = sig__has(s, "py__worker_main");
    return 1;
}

/* The verdict in words, then each worker's wait. Returns whether it is a deadlock: every worker
 * waits on a lock and no thread runs. */
static int
sig__summary(struct buf *b, const struct sig__thread *th, size_t nth, int stw, int in_report)
{
    int workers = 0, blocked = 0, running = 0, deadlock;

    for (size_t i = 0; i < nth; i++) {
        workers += th[i].worker;
        blocked += th[i].worker && th[i].w && th[i].w->lock;
        running += th[i].w == NULL;
    }
    deadlock = workers > 0 && blocked == workers && running == 0 && !in_report;
    if (nth == 0)
        buf_puts(b, "no native stacks (gdb could not attach)");
    else if (in_report)
        buf_printf(b, "the sanitizer's runtime: a thread is stuck inside TSan's report of a race and %d worker%s "
                      "wait%s; not the library", blocked, blocked == 1 ? "" : "s", blocked == 1 ? "s" : "");
    else if (deadlock)
        buf_puts(b, "deadlock: every worker waits on a lock and no thread runs");
    else if (stw >= 0)
        buf_printf(b, "%s asks for a stop-the-world in %s and waits for %d running thread%s", th[stw].name, th[stw].in,
                   running, running == 1 ? "" : "s");
    else if (blocked == 0)
        buf_printf(b, "no worker waits on a lock: %d running", running);
    else
        buf_printf(b, "%d of %d workers wait on locks, %d thread%s running", blocked, workers, running,
                   running == 1 ? "" : "s");
    for (size_t i = 0; i < nth; i++)
        if (th[i].worker)
            buf_printf(b, "; %s %s in %s", th[i].name, th[i].w ? th[i].w->words : "runs", th[i].in);
    return deadlock;
}

json_t *
sig_waits(const struct san_report *r)
{
    json_t *threads = json_array(), *o = json_object();
    struct sig__thread th[64];
    int stw = -1, in_report = 0, deadlock;
    size_t nth = 0;
    struct buf b;

    for (size_t i = 0; i < r->n_stacks && nth < sizeof(th) / sizeof(*th); i++) {
        if (!sig__read_thread(&r->stacks[i], &th[nth]))
            continue;
        if (th[nth].w && strcmp(th[nth].w->state, "stop-the-world") == 0)
            stw = (int)nth;
        in_report |= th[nth].w && strcmp(th[nth].w->state, "sanitizer-report") == 0;
        nth++;
    }
    for (size_t i = 0; i < nth; i++) {
        json_t *t = json_object(), *for_ = json_array();

        json_object_set_new(t, "thread", json_string(th[i].name));
        json_object_set_new(t, "worker", json_boolean(th[i].worker));
        json_object_set_new(t, "state", json_string(th[i].w ? th[i].w->state : "running"));
        json_object_set_new(t, "in", json_string(th[i].in));
        for (size_t j = 0; (int)i == stw && j < nth; j++) /* a stop-the-world waits for the running */
            if (th[j].w == NULL)
                json_array_append_new(for_, json_string(th[j].name));
        json_object_set_new(t, "waits_for", for_);
        json_array_append_new(threads, t);
    }
    buf_init(&b, 1 << 14);
    deadlock = sig__summary(&b, th, nth, stw, in_report);
    json_object_set_new(o, "summary", json_string(b.err ? "?" : buf_cstr(&b)));
    buf_free(&b);
    json_object_set_new(o, "deadlock", json_boolean(deadlock));
    json_object_set_new(o, "sanitizer", json_boolean(in_report));
    json_object_set_new(o, "threads", threads);
    return o;
}
