/* Hooks of the child: the audit hook (process events with their Python stack), pthread_atfork
 * for forks from C, and the sanitizers' report callbacks, which write the Python traceback of
 * the reporting thread next to the report. */
#include <Python.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "ev.h"
#include "layout.h"
#include "log.h"
#include "py_internal.h"
#include "scn.h"

/* CPython's faulthandler writer: walks the thread's frames without allocating or locking, so
 * it is safe inside a sanitizer's report path. Internal API, exported by the static libpython
 * the harness is linked with. */
extern void _Py_DumpTraceback(int fd, PyThreadState *tstate);

static int py__pystack_fd = -1;
static atomic_int py__reports;
/* Set by the audit hook when Python is about to fork, so the atfork handler does not count
 * the same fork twice. */
static _Thread_local int py__python_fork;

/* Audit events that start processes, with the checks.forbid class each belongs to. */
static const struct {
    const char *event;
    unsigned cls;
    int forks; /* the event is followed by fork() in this thread */
} py__process_events[] = {
    {"os.exec", SCN_EV_EXEC, 0},
    {"os.fork", SCN_EV_FORK, 1},
    {"os.forkpty", SCN_EV_FORK, 1},
    {"os.posix_spawn", SCN_EV_SPAWN, 0},
    {"os.spawn", SCN_EV_SPAWN, 0},
    {"os.system", SCN_EV_SYSTEM, 0},
    {"subprocess.Popen", SCN_EV_SUBPROCESS, 1},
};

json_t *
py__stack_json(void)
{
    json_t *frames = json_array();
    PyFrameObject *f = PyEval_GetFrame(); /* borrowed */

    Py_XINCREF(f);
    while (f != NULL) {
        PyCodeObject *code = PyFrame_GetCode(f); /* new ref */
        PyFrameObject *back = PyFrame_GetBack(f); /* new ref */
        json_t *fr = json_object();

        json_object_set_new(fr, "file", json_string(PyUnicode_AsUTF8(code->co_filename)));
        json_object_set_new(fr, "line", json_integer(PyFrame_GetLineNumber(f)));
        json_object_set_new(fr, "function", json_string(PyUnicode_AsUTF8(code->co_qualname)));
        json_array_insert_new(frames, 0, fr); /* outermost first, as tracebacks print */
        Py_DECREF(code);
        Py_DECREF(f);
        f = back;
    }
    PyErr_Clear();
    return frames;
}

static int
py__audit(const char *event, PyObject *args, void *data)
{
    (void)data;
    for (size_t i = 0; i < sizeof(py__process_events) / sizeof(py__process_events[0]); i++) {
        json_t *ev;
        PyObject *repr;

        if (strcmp(event, py__process_events[i].event) != 0)
            continue;
        ev = json_object();
        repr = PyObject_Repr(args); /* new ref */
        json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_PROCESS));
        json_object_set_new(ev, "event", json_string(event));
        json_object_set_new(ev, LAYOUT_EV_CLASS, json_string(scn_event_name(py__process_events[i].cls)));
        json_object_set_new(ev, "args", json_string(repr ? PyUnicode_AsUTF8(repr) : "?"));
        json_object_set_new(ev, "stack", py__stack_json());
        Py_XDECREF(repr);
        PyErr_Clear();
        ev_write(ev);
        py__python_fork = py__process_events[i].forks;
        break;
    }
    return 0;
}

/* The Python traceback of this OS thread's state, attached or not (C code that forks has
 * usually detached it), as faulthandler writes it: through a memory file, since
 * _Py_DumpTraceback writes to a descriptor and never allocates. NULL when there is none. */
static json_t *
py__traceback_text(void)
{
    PyThreadState *ts = PyGILState_GetThisThreadState();
    char text[16384];
    ssize_t n;
    int fd;

    if (ts == NULL || (fd = memfd_create("ftsan-traceback", MFD_CLOEXEC)) < 0)
        return NULL;
    _Py_DumpTraceback(fd, ts);
    n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    if (n <= 0)
        return NULL;
    text[n] = '\0';
    return json_string(text);
}

/* fork() called from C (an extension, a library), not through os.fork or subprocess. */
static void
py__atfork_prepare(void)
{
    json_t *ev, *tb;

    if (py__python_fork) {
        py__python_fork = 0;
        return;
    }
    ev = json_object();
    json_object_set_new(ev, LAYOUT_EV_KIND, json_string(LAYOUT_EV_PROCESS));
    json_object_set_new(ev, "event", json_string("fork"));
    json_object_set_new(ev, LAYOUT_EV_CLASS, json_string(scn_event_name(SCN_EV_FORK)));
    json_object_set_new(ev, "args", json_string("fork() called from C"));
    if ((tb = py__traceback_text()) != NULL)
        json_object_set_new(ev, "traceback", tb);
    ev_write(ev);
}

/* Heading then traceback of this thread, appended to pystack.txt; the report parser pairs the
 * n-th heading with the n-th report of the sanitizer's log of this pid. */
static void
py__dump_python_stack(const char *what)
{
    char head[256];
    PyThreadState *ts = PyThreadState_GetUnchecked();
    int n = atomic_fetch_add(&py__reports, 1) + 1, len;
    const char *test = py__current_test();

    /* C code that detached its thread state (a loop without the GIL) still has one. */
    if (ts == NULL)
        ts = PyGILState_GetThisThreadState();

    if (py__pystack_fd < 0)
        return;
    len = snprintf(head, sizeof(head), "=== ftsan report %d pid %d tid %d: %s", n, (int)getpid(), (int)gettid(), what);
    if (len < 0)
        return;
    /* A description too long is cut, never the section: the parser pairs sections by count. */
    if ((size_t)len >= sizeof(head))
        len = (int)sizeof(head) - 1;
    if (write(py__pystack_fd, head, (size_t)len) < 0)
        return;
    /* The test's node id is written whole, however long. */
    if (test && (write(py__pystack_fd, " | test ", 8) < 0 || write(py__pystack_fd, test, strlen(test)) < 0))
        return;
    if (write(py__pystack_fd, "\n", 1) < 0)
        return;
    if (ts != NULL)
        _Py_DumpTraceback(py__pystack_fd, ts);
    else if (write(py__pystack_fd, "(no Python thread state)\n", 25) < 0)
        return;
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PY__TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define PY__ASAN 1
#endif
#endif

#if defined(PY__TSAN) || defined(PY__ASAN)
void __sanitizer_set_report_path(const char *path);
#endif

#ifdef PY__TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
int __tsan_get_report_data(void *report, const char **description, int *count, int *stack_count,
                           int *mop_count, int *loc_count, int *mutex_count, int *thread_count,
                           int *unique_tid_count, void **sleep_trace, unsigned long trace_size);

/* Called by the TSan runtime after it printed a report, on the thread that detected it. */
void
__tsan_on_report(void *report)
{
    const char *desc = "report";
    int count, stacks, mops, locs, mutexes, threads, tids;
    void *sleep_trace[1];

    __tsan_get_report_data(report, &desc, &count, &stacks, &mops, &locs, &mutexes, &threads, &tids,
                           sleep_trace, 1);
    /* The dump is instrumented code run while TSan holds its report lock: an event it traces
     * can need a new trace part, whose switch can wait for a thread that waits for that lock (a
     * hunt's hang: tests/fixtures/hang_tsan_report). Its memory accesses go untraced; its
     * function entries still are, and the hang still comes (2 in 480 cases of a NumPy 2.5.5
     * hunt, each told apart by its wait graph): a dump that runs no instrumented code is left. */
    __tsan_ignore_thread_begin();
    py__dump_python_stack(desc);
    __tsan_ignore_thread_end();
}

void __sanitizer_set_death_callback(void (*callback)(void));

/* Called by the TSan runtime as it dies, after its last report: a deadly signal's, whose
 * section of pystack.txt then follows the earlier reports' as its report follows theirs. */
static void
py__tsan_death(void)
{
    py__dump_python_stack("deadly signal");
}
#endif

#if defined(PY__TSAN) || defined(PY__ASAN)
/* The kernel's view of a signal's action, read and written with the raw system call: the
 * sanitizer's own handler is installed that way and its sigaction interceptor hides it. */
struct py__ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

static const int py__deadly[] = {SIGSEGV, SIGBUS, SIGFPE};
static struct py__ksigaction py__deadly_saved[sizeof(py__deadly) / sizeof(py__deadly[0])];
#endif

/* The deadly signals the sanitizer handles stay with it when faulthandler is enabled. Both
 * report them with the faulting thread's native stack, but only as their first handler:
 * re-raised by faulthandler's handler, ASan's report is of the re-raise (the address is the pid,
 * the top frames faulthandler's: every SEGV signed `faulthandler_fatal_error`), and TSan's is
 * made inside a signal handler and is cut short ("nested bug in the same thread"), deadlocks in
 * its allocator (2 of 60 runs of crash_segv on a loaded machine hung), or is lost (one CI run).
 * The crashing thread's Python stack comes from ASan's report callback, and from TSan's death
 * callback. SIGABRT, SIGILL and a signal the user told the sanitizer not to handle
 * (handle_segv=0: no handler of its own to keep) stay with faulthandler.
 * py__hooks_deadly_save before faulthandler.enable, _restore after. */
void
py__hooks_deadly_save(void)
{
#if defined(PY__TSAN) || defined(PY__ASAN)
    for (size_t i = 0; i < sizeof(py__deadly) / sizeof(py__deadly[0]); i++)
        if (syscall(SYS_rt_sigaction, py__deadly[i], NULL, &py__deadly_saved[i], sizeof(unsigned long)) != 0)
            py__deadly_saved[i].handler = SIG_DFL;
#endif
}

int
py__hooks_deadly_restore(void)
{
#if defined(PY__TSAN) || defined(PY__ASAN)
    for (size_t i = 0; i < sizeof(py__deadly) / sizeof(py__deadly[0]); i++) {
        void *h = py__deadly_saved[i].handler;

        if (h == (void *)SIG_DFL || h == (void *)SIG_IGN)
            continue;
        if (syscall(SYS_rt_sigaction, py__deadly[i], &py__deadly_saved[i], NULL, sizeof(unsigned long)) != 0) {
            log_err(errno, "rt_sigaction(%d)", py__deadly[i]);
            return FT_EIO;
        }
    }
#endif
#ifdef PY__TSAN
    __sanitizer_set_death_callback(py__tsan_death);
#endif
    return 0;
}

#ifdef PY__ASAN
void __asan_set_error_report_callback(void (*callback)(const char *));

static void
py__asan_report(const char *text)
{
    (void)text;
    py__dump_python_stack("asan");
}
#endif

int
py__hooks_install(const char *dir)
{
    char path[4096];
    int err;

    if (buf_fmt(path, sizeof(path), "%s/" LAYOUT_PYSTACK, dir) != 0) {
        log_err(0, "%s/%s: the path is too long", dir, LAYOUT_PYSTACK);
        return FT_ETOOBIG;
    }
    py__pystack_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (py__pystack_fd < 0) {
        log_err(errno, "cannot open %s", path);
        return FT_EIO;
    }
    if (PySys_AddAuditHook(py__audit, NULL) != 0) {
        log_err(0, "PySys_AddAuditHook failed");
        return FT_EPYTHON;
    }
    if ((err = pthread_atfork(py__atfork_prepare, NULL, NULL)) != 0) {
        log_err(err, "pthread_atfork");
        return FT_EIO;
    }
#ifdef PY__ASAN
    __asan_set_error_report_callback(py__asan_report);
#endif
    return 0;
}

void
py__hooks_fork(void)
{
    py__python_fork = 1; /* py__atfork_prepare skips it, as it skips os.fork's */
}

/* src's content appended to dst (both paths); a missing src is nothing to copy. */
static int
py__append_file(const char *src, const char *dst)
{
    char chunk[65536];
    int in = open(src, O_RDONLY | O_CLOEXEC), out;
    ssize_t n;
    int rc = 0;

    if (in < 0)
        return errno == ENOENT ? 0 : FT_EIO;
    if ((out = open(dst, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        close(in);
        return FT_EIO;
    }
    while (rc == 0 && (n = read(in, chunk, sizeof(chunk))) > 0)
        if (write(out, chunk, (size_t)n) != n)
            rc = FT_EIO;
    close(in);
    close(out);
    return rc;
}

int
py__hooks_reopen(const char *dir, const char *server_dir, int with_logs)
{
    static const char *const copied[] = {LAYOUT_EVENTS, LAYOUT_PYSTACK};
    char src[4096], dst[4096];
    struct dirent *e;
    DIR *d;
    int rc = 0;

    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]) && rc == 0; i++)
        if (buf_fmt(src, sizeof(src), "%s/%s", server_dir, copied[i]) != 0 ||
            buf_fmt(dst, sizeof(dst), "%s/%s", dir, copied[i]) != 0 || py__append_file(src, dst) != 0)
            rc = FT_EIO;
    /* The sanitizer's reports from setup, which ran once: the server's own log files, under their
     * names, in the first run's evidence only. */
    if (rc == 0 && with_logs && (d = opendir(server_dir)) != NULL) {
        while (rc == 0 && (e = readdir(d)) != NULL)
            if (strncmp(e->d_name, LAYOUT_TSAN_LOG ".", sizeof(LAYOUT_TSAN_LOG)) == 0 ||
                strncmp(e->d_name, LAYOUT_ASAN_LOG ".", sizeof(LAYOUT_ASAN_LOG)) == 0)
                if (buf_fmt(src, sizeof(src), "%s/%s", server_dir, e->d_name) != 0 ||
                    buf_fmt(dst, sizeof(dst), "%s/%s", dir, e->d_name) != 0 || py__append_file(src, dst) != 0)
                    rc = FT_EIO;
        closedir(d);
    }
    if (rc != 0 || buf_fmt(dst, sizeof(dst), "%s/" LAYOUT_PYSTACK, dir) != 0) {
        log_err(errno, "cannot copy the server's evidence into %s", dir);
        return FT_EIO;
    }
    py__hooks_close();
    if ((py__pystack_fd = open(dst, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        log_err(errno, "cannot open %s", dst);
        return FT_EIO;
    }
#if defined(PY__TSAN) || defined(PY__ASAN)
    if (buf_fmt(dst, sizeof(dst), "%s/%s", dir,
#ifdef PY__TSAN
                LAYOUT_TSAN_LOG
#else
                LAYOUT_ASAN_LOG
#endif
                ) != 0)
        return FT_EIO;
    __sanitizer_set_report_path(dst);
#endif
    return 0;
}

void
py__hooks_close(void)
{
    if (py__pystack_fd >= 0)
        close(py__pystack_fd);
    py__pystack_fd = -1;
}
