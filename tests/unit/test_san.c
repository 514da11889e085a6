/* Unit tests of the evidence parsers and of signatures, on real evidence captured from real
 * runs (tests/fixtures/, see capture.sh there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "evd.h"
#include "san.h"
#include "scn.h"
#include "sig.h"

/* The one file in a fixture directory whose name starts with prefix (tsan.<pid>). */
static char *
fixture(const char *dir, const char *prefix, size_t *len, int *pid)
{
    char path[512];
    DIR *d = opendir(dir);
    struct dirent *e;
    char *text = NULL;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            text = evd_read_file(path, 1 << 24, len);
            if (pid)
                *pid = atoi(e->d_name + strlen(prefix));
            break;
        }
    closedir(d);
    assert_non_null(text);
    return text;
}

static char *
sign(const struct san_report *r, char *comp)
{
    static char buf[1024];

    assert_int_equal(sig_signature(r, buf, sizeof(buf), comp, 64), 0);
    return buf;
}

static void
test_tsan_dlpack_race(void **state)
{
    struct san_reports out;
    size_t len, plen;
    int pid;
    char *log = fixture("tests/fixtures/tsan_dlpack_race", "tsan.", &len, &pid);
    char *py = fixture("tests/fixtures/tsan_dlpack_race", "pystack.txt", &plen, NULL);
    char comp[64];
    const struct san_frame *f;

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(out.n, 3);
    assert_int_equal(san_attach_pystacks(py, plen, pid, &out, 0), 0);
    for (size_t i = 0; i < out.n; i++) {
        assert_int_equal(out.v[i].kind, SAN_DATA_RACE);
        assert_string_equal(out.v[i].title, "data race");
        assert_int_equal(out.v[i].pid, pid);
        assert_non_null(strstr(out.v[i].pystack, "scenarios/dlpack_race.yaml\", line 20 in <module>"));
        assert_string_equal(sign(&out.v[i], comp), "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)");
        assert_string_equal(comp, "numpy");
        assert_non_null(strstr(out.v[i].raw, "SUMMARY: ThreadSanitizer: data race"));
    }
    f = &out.v[0].stacks[0].frames[0];
    assert_string_equal(f->function, "from_dlpack");
    assert_non_null(strstr(f->file, "numpy/_core/src/multiarray/dlpack.c"));
    assert_int_equal(f->line, 512);
    assert_string_equal(f->module, "_multiarray_umath.cpython-313t-x86_64-linux-gnu.so");
    assert_int_equal(f->offset, 0x25c1a7);
    assert_non_null(strstr(out.v[0].stacks[0].label, "Read of size 8 at"));
    assert_non_null(strstr(out.v[0].stacks[1].label, "Previous write of size 8"));
    san_reports_free(&out);
    free(log);
    free(py);
}

static void
test_tsan_c_race_and_gil(void **state)
{
    struct san_reports out;
    size_t len, elen;
    char *log = fixture("tests/fixtures/tsan_c_race", "tsan.", &len, NULL);
    char *ev = fixture("tests/fixtures/tsan_c_race", "events.jsonl", &elen, NULL);
    char comp[64];

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_true(out.n >= 1);
    assert_string_equal(sign(&out.v[0], comp), "data-race: lookup (racy_gil.c) <> lookup (racy_gil.c)");
    assert_string_equal(comp, "racy_gil");
    assert_int_equal(san_parse_events(ev, elen, &out), 0);
    assert_int_equal(out.n_gil, 1);
    assert_string_equal(out.gil_modules[0], "racy_gil");
    san_reports_free(&out);
    free(log);
    free(ev);
}

/* Races on the data the scenario shares (tests/e2e's shared_buffer: threads fill one bytearray
 * through a kernel that also counts its calls in a static): the report whose access falls in a
 * buffer of a "shared" event is the scenario's own; the counter (a global) and CPython's export
 * count (the bytearray's struct, not its data) stay data races, and findings. */
static void
test_scenario_data_race(void **state)
{
    struct san_reports out;
    struct sig_findings f;
    struct sig_policy p = {0};
    size_t len, elen, own = 0, races = 0;
    char *log = fixture("tests/fixtures/tsan_shared_buffer", "tsan.", &len, NULL);
    char *ev = fixture("tests/fixtures/tsan_shared_buffer", "events.jsonl", &elen, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(san_parse_events(ev, elen, &out), 0);
    assert_int_equal(out.n_shared, 3); /* shared, and pool[0], pool[1] of a list */
    assert_string_equal(out.shared[0].name, "shared");
    assert_string_equal(out.shared[2].name, "pool[1]");
    assert_int_equal(out.shared[0].hi - out.shared[0].lo, 4096);
    assert_int_equal(san_mark_shared(&out, 0), 0);
    for (size_t i = 0; i < out.n; i++) {
        own += out.v[i].kind == SAN_SCENARIO_DATA;
        races += out.v[i].kind == SAN_DATA_RACE;
        if (out.v[i].kind == SAN_SCENARIO_DATA)
            assert_string_equal(out.v[i].detail, "the data of `shared`, which the scenario's threads share");
        if (out.v[i].location && strstr(out.v[i].location, "global 'calls'"))
            assert_int_equal(out.v[i].kind, SAN_DATA_RACE);
    }
    assert_int_equal(own, 1);
    assert_true(races >= 2);
    /* The findings keep the library's races; the scenario's own are set apart. */
    sig_findings_init(&f);
    assert_int_equal(sig_add_run(&f, &out, 0, &p), 0);
    assert_int_equal(sig_group_races(&f), 0);
    assert_int_equal(sig_split_own(&f), 0);
    assert_int_equal(f.n_own, 1);
    assert_string_equal(f.own[0].signature, "scenario-data-race: fill_buffer (shared_fill.c) <> fill_buffer (shared_fill.c)");
    assert_string_equal(f.own[0].memory[0], "the data of `shared`, which the scenario's threads share");
    for (size_t i = 0; i < f.n; i++)
        assert_int_equal(f.v[i].kind, SAN_DATA_RACE);
    assert_true(f.n >= 1);
    sig_findings_free(&f);
    san_reports_free(&out);
    /* Without the shared buffers recorded, every race is a data race. */
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(san_mark_shared(&out, 0), 0);
    for (size_t i = 0; i < out.n; i++)
        assert_int_not_equal(out.v[i].kind, SAN_SCENARIO_DATA);
    san_reports_free(&out);
    free(log);
    free(ev);
}

/* A scenario with roles: TSan names each racing thread by its role (tests/e2e's
 * roles_writer_reader); the pair is said in one order, and a report without names says none. */
static void
test_tsan_roles(void **state)
{
    struct san_reports out;
    size_t len, plen;
    int pid;
    char *log = fixture("tests/fixtures/tsan_roles", "tsan.", &len, &pid);
    char *py = fixture("tests/fixtures/tsan_roles", "pystack.txt", &plen, NULL);
    static const char heading[] = "=== ftsan report 1 pid 7 tid 9: data-race | test tests/t.py::test_a[x | y]\nStack:\n";
    char roles[256];

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(san_attach_pystacks(py, plen, pid, &out, 0), 0);
    assert_null(out.v[0].test);
    sig_roles(&out.v[0], roles, sizeof(roles));
    assert_string_equal(roles, "reader <> writer");
    /* The pytest mode's heading names the test, whatever its node id holds. */
    out.v[0].pid = 7;
    free(out.v[0].pystack);
    out.v[0].pystack = NULL;
    assert_int_equal(san_attach_pystacks(heading, sizeof(heading) - 1, 7, &out, 0), 0);
    assert_string_equal(out.v[0].test, "tests/t.py::test_a[x | y]");
    assert_string_equal(out.v[0].pystack, "Stack:\n");
    san_reports_free(&out);
    /* The dlpack_race threads have no names: no roles. */
    free(log);
    log = fixture("tests/fixtures/tsan_dlpack_race", "tsan.", &len, NULL);
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    sig_roles(&out.v[0], roles, sizeof(roles));
    assert_string_equal(roles, "");
    san_reports_free(&out);
    free(log);
    free(py);
}

static void
test_hang_faulthandler_and_gdb(void **state)
{
    struct san_reports out;
    struct san_stack *threads;
    size_t len, glen, n, i;
    char *fh = fixture("tests/fixtures/hang_sleep", "faulthandler.txt", &len, NULL);
    char *gdb = fixture("tests/fixtures/hang_sleep", "gdb.txt", &glen, NULL);
    int saw_sleep = 0;

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_faulthandler(fh, len, 1, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_HANG);
    assert_int_equal(out.v[0].n_stacks, 3); /* two workers and the main thread */
    assert_string_equal(sign(&out.v[0], NULL), "hang: timed out in <module> (timeout_sleep.yaml)");
    assert_int_equal(san_parse_gdb(gdb, glen, &threads, &n), 0);
    assert_true(n >= 3);
    for (i = 0; i < n; i++)
        for (size_t k = 0; k < threads[i].n; k++)
            saw_sleep |= threads[i].frames[k].function && strcmp(threads[i].frames[k].function, "time_sleep") == 0;
    assert_true(saw_sleep);
    /* The native stacks join the hang, which is then signed by where the workers block too. */
    assert_int_equal(san_attach_native(&out.v[0], threads, n), 0);
    free(threads);
    assert_int_equal(out.v[0].n_stacks, 3 + n);
    assert_string_equal(out.v[0].stacks[3].label, "native Thread 4 (Thread 0x7f0134bfd6c0 (LWP 13293) \"harness\")");
    assert_string_equal(sign(&out.v[0], NULL),
                        "hang: timed out in <module> (timeout_sleep.yaml), blocked in pysleep (timemodule.c)");
    /* A run stuck too hard for faulthandler has gdb's stacks only: signed by where it blocks. */
    {
        struct san_reports bare;

        san_reports_init(&bare);
        assert_int_equal(san_add_hang(&bare), 0);
        assert_int_equal(san_parse_gdb(gdb, glen, &threads, &n), 0);
        assert_int_equal(san_attach_native(&bare.v[0], threads, n), 0);
        free(threads);
        assert_string_equal(sign(&bare.v[0], NULL), "hang: timed out, blocked in pysleep (timemodule.c)");
        san_reports_free(&bare);
    }
    /* The same dump without a timeout and without "Fatal Python error" is no report at all. */
    san_reports_free(&out);
    assert_int_equal(san_parse_faulthandler(fh, len, 0, &out), 0);
    assert_int_equal(out.n, 0);
    san_reports_free(&out);
    free(fh);
    free(gdb);
}

/* A hang's wait graph from gdb's stacks (sig_waits): a hang with native stacks from the fixture
 * dir, and how each of its threads waits. */
static json_t *
waits_of(const char *dir)
{
    struct san_reports out;
    struct san_stack *threads;
    size_t len, glen, n;
    char *fh = fixture(dir, "faulthandler.txt", &len, NULL), *gdb = fixture(dir, "gdb.txt", &glen, NULL);
    json_t *w;

    san_reports_init(&out);
    assert_int_equal(san_parse_faulthandler(fh, len, 1, &out), 0);
    if (out.n == 0) /* stuck too hard for faulthandler (its dump is empty): gdb's stacks alone */
        assert_int_equal(san_add_hang(&out), 0);
    assert_int_equal(san_parse_gdb(gdb, glen, &threads, &n), 0);
    assert_int_equal(san_attach_native(&out.v[0], threads, n), 0);
    free(threads);
    w = sig_waits(&out.v[0]);
    san_reports_free(&out);
    free(fh);
    free(gdb);
    return w;
}

static const char *
state_of(json_t *w, const char *thread)
{
    json_t *t;
    size_t i;

    json_array_foreach(json_object_get(w, "threads"), i, t)
        if (strcmp(json_string_value(json_object_get(t, "thread")), thread) == 0)
            return json_string_value(json_object_get(t, "state"));
    return "(no such thread)";
}

static void
test_hang_wait_graph(void **state)
{
    /* two threads taking two threading.Locks in opposite orders (lock_deadlock.yaml) */
    json_t *w = waits_of("tests/fixtures/hang_deadlock");

    (void)state;
    assert_true(json_is_true(json_object_get(w, "deadlock")));
    assert_int_equal(json_array_size(json_object_get(w, "threads")), 3); /* two workers, main; not TSan's own */
    assert_string_equal(state_of(w, "Thread 4 (LWP 1971)"), "python-lock");
    assert_string_equal(state_of(w, "Thread 5 (LWP 1972)"), "python-lock");
    assert_string_equal(state_of(w, "Thread 1 (LWP 1968)"), "join");
    assert_non_null(strstr(json_string_value(json_object_get(w, "summary")), "deadlock: every worker waits on a lock"));
    json_decref(w);
    /* two threads in time.sleep: no lock, nothing to deadlock on */
    w = waits_of("tests/fixtures/hang_sleep");
    assert_true(json_is_false(json_object_get(w, "deadlock")));
    assert_string_equal(state_of(w, "Thread 4 (LWP 13293)"), "sleep");
    assert_string_equal(state_of(w, "Thread 3 (LWP 13292)"), "sleep");
    assert_non_null(strstr(json_string_value(json_object_get(w, "summary")), "no worker waits on a lock"));
    json_decref(w);
    /* a hunt's hang (NumPy 2.5.5): one reader inside TSan's report of a race, its Python stack
     * being dumped by the harness's hook, waits on TSan's own lock, the other reader too, the
     * mutators spin at the barrier; the main thread, which the supervisor's SIGTERM interrupted,
     * is read below gdb's "<signal handler called>": joining */
    w = waits_of("tests/fixtures/hang_tsan_report");
    assert_string_equal(state_of(w, "Thread 7 (LWP 10427)"), "sanitizer-report");
    assert_string_equal(state_of(w, "Thread 6 (LWP 10426)"), "sanitizer");
    assert_string_equal(state_of(w, "Thread 5 (LWP 10425)"), "barrier"); /* the mutators wait for the readers */
    assert_string_equal(state_of(w, "Thread 4 (LWP 10424)"), "barrier");
    assert_string_equal(state_of(w, "Thread 1 (LWP 10414)"), "join");
    assert_true(json_is_true(json_object_get(w, "sanitizer")) && json_is_false(json_object_get(w, "deadlock")));
    assert_non_null(strstr(json_string_value(json_object_get(w, "summary")), "the sanitizer's runtime"));
    json_decref(w);
}

static void
test_exception_root_cause(void **state)
{
    struct san_reports out;
    size_t len;
    char *ev = fixture("tests/fixtures/exception_worker", "events.jsonl", &len, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_events(ev, len, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_EXCEPTION);
    assert_string_equal(out.v[0].title, "ZeroDivisionError: thread 2 iteration 1");
    assert_string_equal(sign(&out.v[0], NULL), "exception: ZeroDivisionError at check (worker_exception.yaml)");
    assert_non_null(strstr(out.v[0].detail, "thread 2, iteration 1"));
    san_reports_free(&out);
    free(ev);
}

static void
test_process_events_and_policy(void **state)
{
    struct san_reports out;
    struct sig_findings f;
    struct sig_policy none = {0}, forbid = {.forbid = SCN_EV_SUBPROCESS | SCN_EV_FORK};
    size_t len;
    char *ev = fixture("tests/fixtures/process_events", "events.jsonl", &len, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_events(ev, len, &out), 0);
    assert_int_equal(out.n, 3);
    /* The threads wrote their events in whatever order they ran. */
    for (size_t i = 0; i < out.n; i++) {
        const char *want = strncmp(out.v[i].title, "subprocess:", 11) == 0
                               ? "process-event: subprocess: subprocess.Popen from spawn_child (process_events.yaml)"
                           : strncmp(out.v[i].title, "fork:", 5) == 0
                               ? "process-event: fork: fork from c_fork (process_events.yaml)"
                               : "process-event: system: os.system from <module> (process_events.yaml)";

        assert_string_equal(sign(&out.v[i], NULL), want);
    }
    sig_findings_init(&f);
    assert_int_equal(sig_add_run(&f, &out, 0, &none), 0);
    assert_int_equal(f.n, 0); /* allowed events are not findings */
    assert_int_equal(sig_add_run(&f, &out, 0, &forbid), 0);
    assert_int_equal(f.n, 2); /* os.system is not forbidden here */
    sig_findings_free(&f);
    san_reports_free(&out);
    free(ev);
}

static void
test_dedup_across_runs_and_catalog(void **state)
{
    struct san_reports out;
    struct sig_findings f;
    struct sig_policy p = {0};
    size_t len;
    char *log = fixture("tests/fixtures/tsan_dlpack_race", "tsan.", &len, NULL);
    const char cat[] = "[{\"id\": \"numpy#28881\", \"kind\": \"data-race\", \"match\": [\"from_dlpack (dlpack.c)\"],"
                       " \"fixed_in\": \"numpy 2.2.6\"},"
                       " {\"id\": \"other\", \"kind\": \"hang\", \"match\": [\"from_dlpack\"]}]";

    (void)state;
    san_reports_init(&out);
    sig_findings_init(&f);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    for (int run = 0; run < 4; run++)
        assert_int_equal(sig_add_run(&f, &out, run, &p), 0);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.v[0].runs_hit, 4);
    assert_int_equal(f.v[0].occurrences, 12);
    assert_int_equal(strlen(f.v[0].id), 12);
    /* The same bug under another signature, in runs 3 to 5: one finding after the catalog. */
    {
        struct san_reports other;

        san_reports_init(&other);
        assert_int_equal(san_parse_tsan(log, len, &other), 0);
        for (size_t i = 0; i < other.n; i++) {
            free(other.v[i].stacks[1].frames[0].function);
            other.v[i].stacks[1].frames[0].function = strdup("_npy_parse_arguments");
        }
        /* Runs end in any order. */
        for (int run = 5; run >= 2; run--)
            assert_int_equal(sig_add_run(&f, &other, run, &p), 0);
        san_reports_free(&other);
    }
    assert_int_equal(f.n, 2);
    assert_int_equal(sig_apply_catalog(&f, cat, strlen(cat)), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].known, "numpy#28881");
    assert_string_equal(f.v[0].fixed_in, "numpy 2.2.6");
    assert_int_equal(f.v[0].runs_hit, 6); /* runs 0-3 and 5-2: 0 to 5 */
    assert_int_equal(f.v[0].n_also, 1);
    assert_non_null(strstr(f.v[0].also[0], "_npy_parse_arguments"));
    /* The one match rule: kind, and every string in the signature or in one it absorbed. */
    {
        const char *m1[] = {"from_dlpack"}, *m2[] = {"_npy_parse_arguments"}, *m3[] = {"from_dlpack", "nothing"};
        struct scn_scenario s = {0};
        struct scn_expect e[] = {{.outcome = "clean"}, {.outcome = "found", .kind = "data-race", .match = "_npy_parse"}};

        assert_true(sig_matches(&f.v[0], "data-race", m1, 1));
        assert_true(sig_matches(&f.v[0], NULL, m2, 1)); /* in also */
        assert_false(sig_matches(&f.v[0], "data-race", m3, 2));
        assert_false(sig_matches(&f.v[0], "hang", m1, 1));
        assert_true(sig_matches(&f.v[0], "data-race", NULL, 0));
        s.expect = e;
        s.n_expect = 1;
        sig_mark_bug(&f, &s);
        assert_false(f.v[0].bug); /* a clean expectation describes no bug */
        s.n_expect = 2;
        sig_mark_bug(&f, &s);
        assert_true(f.v[0].bug);
    }
    sig_findings_free(&f);
    san_reports_free(&out);
    free(log);
}

/* Resource limits become findings with the figures a maintainer needs: per library thread when
 * a pool started at import, else per worker. */
static void
test_resource_limits(void **state)
{
    struct sig_policy p = {.threads = 4, .max_rss_mb = 100, .max_threads = 10};
    struct evd_status st = {.maxrss_kb = 500 * 1024, .setup_rss_kb = 100 * 1024, .setup_threads = 9, .peak_threads = 12};
    struct san_reports out;

    (void)state;
    san_reports_init(&out);
    assert_int_equal(sig_resources(&p, &st, &out), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.v[0].kind, SAN_RESOURCE);
    assert_string_equal(out.v[0].title, "peak RSS over checks.max_rss_mb");
    assert_non_null(strstr(out.v[0].detail, "+400 MB during the body"));
    assert_non_null(strstr(out.v[0].detail, "50.0 MB per library (e.g. BLAS) thread"));
    assert_string_equal(out.v[1].title, "thread count over checks.max_threads");
    san_reports_free(&out);
    san_reports_init(&out);
    st.setup_threads = 1; /* no pool: per worker */
    p.max_threads = 0;
    assert_int_equal(sig_resources(&p, &st, &out), 0);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.v[0].detail, "100.0 MB per worker thread"));
    san_reports_free(&out);
}

/* The races of one bug become one finding: reports on the same global, or sharing a racing
 * frame, join; an unrelated race stays apart; the lead is the first signature in sort order. */
static void
test_races_of_one_bug_are_one_finding(void **state)
{
    struct san_reports out, other, apart, heap;
    struct sig_policy p = {0};
    struct sig_findings f;
    size_t len, hlen;
    char *log = fixture("tests/fixtures/tsan_dlpack_race", "tsan.", &len, NULL);
    char *hlog = fixture("tests/fixtures/tsan_c_race", "tsan.", &hlen, NULL);
    char mem[512];

    (void)state;
    sig_findings_init(&f);
    san_reports_init(&out);
    san_reports_init(&other);
    san_reports_init(&apart);
    san_reports_init(&heap);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(san_parse_tsan(log, len, &other), 0);
    assert_int_equal(san_parse_tsan(log, len, &apart), 0);
    assert_int_equal(san_parse_tsan(hlog, hlen, &heap), 0);
    assert_non_null(out.v[0].location);
    assert_string_equal(out.v[0].location, "Location is global 'from_dlpack.call_kwnames' of size 8 at 0x7f8d8b259580 "
                                           "(_multiarray_umath.cpython-313t-x86_64-linux-gnu.so+0x659580)");
    sig_memory(&out.v[0], mem, sizeof(mem));
    assert_string_equal(mem, "global 'from_dlpack.call_kwnames'");
    for (size_t i = 0; i < heap.n; i++) {
        sig_memory(&heap.v[i], mem, sizeof(mem));
        if (heap.v[i].location && strstr(heap.v[i].location, "heap block"))
            assert_string_equal(mem, "heap block from lookup (racy_gil.c)");
    }
    /* The same memory reached from another function: one bug. */
    for (size_t i = 0; i < other.n; i++) {
        free(other.v[i].stacks[1].frames[0].function);
        other.v[i].stacks[1].frames[0].function = strdup("_npy_parse_arguments");
    }
    /* Other functions, no location: another bug. */
    for (size_t i = 0; i < apart.n; i++) {
        free(apart.v[i].location);
        apart.v[i].location = NULL;
        for (size_t k = 0; k < 2; k++) {
            free(apart.v[i].stacks[k].frames[0].function);
            apart.v[i].stacks[k].frames[0].function = strdup(k ? "zz_reader" : "zz_writer");
        }
    }
    assert_int_equal(sig_add_run(&f, &other, 0, &p), 0);
    assert_int_equal(sig_add_run(&f, &apart, 1, &p), 0);
    assert_int_equal(sig_add_run(&f, &out, 2, &p), 0);
    assert_int_equal(f.n, 3);
    assert_int_equal(sig_group_races(&f), 0);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.v[0].signature, "data-race: _npy_parse_arguments (dlpack.c) <> from_dlpack (dlpack.c)");
    assert_int_equal(f.v[0].n_also, 1);
    assert_string_equal(f.v[0].also[0], "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)");
    assert_int_equal(f.v[0].runs_hit, 2);
    assert_int_equal(f.v[0].n_memory, 3); /* call_kwnames, dl_cpu_device_tuple, max_version */
    assert_string_equal(f.v[1].signature, "data-race: zz_reader (dlpack.c) <> zz_writer (dlpack.c)");
    assert_int_equal(f.v[1].n_also, 0);
    sig_findings_free(&f);
    san_reports_free(&out);
    san_reports_free(&other);
    san_reports_free(&apart);
    san_reports_free(&heap);
    free(log);
    free(hlog);
}

static void
test_asan_use_after_free(void **state)
{
    struct san_reports out;
    size_t len, plen;
    int pid;
    char *log = fixture("tests/fixtures/asan_use_after_free", "asan.", &len, &pid);
    char *py = fixture("tests/fixtures/asan_use_after_free", "pystack.txt", &plen, NULL);
    char comp[64];

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_asan(log, len, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_HEAP_USE_AFTER_FREE);
    assert_string_equal(out.v[0].title, "heap-use-after-free");
    assert_int_equal(out.v[0].pid, pid);
    /* The access, where it was freed, where it was allocated. */
    assert_true(out.v[0].n_stacks >= 3);
    assert_non_null(strstr(out.v[0].stacks[0].label, "READ of size 1"));
    assert_non_null(strstr(out.v[0].stacks[1].label, "freed by thread"));
    assert_non_null(strstr(out.v[0].stacks[2].label, "previously allocated by thread"));
    assert_string_equal(sign(&out.v[0], comp), "heap-use-after-free: use_after_free (crashers.c)");
    assert_string_equal(comp, "crashers");
    assert_int_equal(san_attach_pystacks(py, plen, pid, &out, 0), 0);
    assert_non_null(strstr(out.v[0].pystack, "crash_use_after_free.yaml\", line 14"));
    san_reports_free(&out);
    free(log);
    free(py);
}

/* TSan's SEGV report (cut short when the process died) and faulthandler's fatal error are one
 * crash, signed by the Python line when there is no native stack. */
static void
test_tsan_segv_merged_with_faulthandler(void **state)
{
    struct san_reports out;
    size_t len, flen;
    char *log = fixture("tests/fixtures/tsan_segv", "tsan.", &len, NULL);
    char *fh = fixture("tests/fixtures/tsan_segv", "faulthandler.txt", &flen, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(san_parse_faulthandler(fh, flen, 0, &out), 0);
    assert_int_equal(out.n, 2);
    san_merge_crash(&out, 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_SEGV);
    assert_string_equal(out.v[0].title, "SEGV");
    assert_non_null(strstr(out.v[0].pystack, "Fatal Python error: Segmentation fault"));
    assert_string_equal(sign(&out.v[0], NULL), "segv: <module> (crash_segv.yaml)");
    san_reports_free(&out);
    free(log);
    free(fh);
}

/* TSan's own SEGV report, whole when TSan is the signal's first handler (faulthandler is kept
 * off SIGSEGV under TSan), with the Python stack its death callback wrote: signed by the
 * faulting native frame. */
static void
test_tsan_segv_native_stack(void **state)
{
    struct san_reports out;
    size_t len, plen;
    int pid;
    char *log = fixture("tests/fixtures/tsan_segv_native", "tsan.", &len, &pid);
    char *py = fixture("tests/fixtures/tsan_segv_native", "pystack.txt", &plen, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_SEGV);
    assert_true(out.v[0].n_stacks >= 1 && out.v[0].stacks[0].n > 10);
    assert_int_equal(san_attach_pystacks(py, plen, pid, &out, 0), 0);
    assert_non_null(strstr(out.v[0].pystack, "crash_segv.yaml\", line 13"));
    assert_string_equal(sign(&out.v[0], NULL), "segv: segv (crashers.c)");
    /* The run died by SIGSEGV, and the report says how: nothing is added. */
    assert_int_equal(san_add_signal(&out, 0, 11), 0);
    assert_int_equal(out.n, 1);
    san_reports_free(&out);
    free(log);
    free(py);
}

/* A run killed by a signal that no report explains (no handler ran) is a finding of its own,
 * whatever else it reported; one that crashed or hung is not counted twice. */
static void
test_signal_without_report(void **state)
{
    struct san_reports out;
    size_t len;
    char *log = fixture("tests/fixtures/tsan_c_race", "tsan.", &len, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_tsan(log, len, &out), 0);
    assert_true(out.n >= 1 && out.v[0].kind == SAN_DATA_RACE);
    assert_int_equal(san_add_signal(&out, 0, 9), 0);
    assert_int_equal(out.v[out.n - 1].kind, SAN_FATAL_SIGNAL);
    assert_string_equal(out.v[out.n - 1].title, "killed by signal KILL");
    assert_string_equal(sign(&out.v[out.n - 1], NULL), "fatal-signal: killed by signal KILL");
    len = out.n;
    assert_int_equal(san_add_signal(&out, 0, 9), 0);
    assert_int_equal(out.n, len);
    assert_int_equal(san_add_hang(&out), 0);
    assert_int_equal(san_add_signal(&out, len, 9), 0);
    assert_int_equal(out.n, len + 1);
    san_reports_free(&out);
    free(log);
}

/* glibc's message on stderr and faulthandler's "Fatal Python error: Aborted" are one crash,
 * named by glibc, located by the Python stack. */
static void
test_glibc_abort_merged_with_faulthandler(void **state)
{
    struct san_reports out;
    size_t len, flen;
    char *err = fixture("tests/fixtures/glibc_invalid_size", "stderr.txt", &len, NULL);
    char *fh = fixture("tests/fixtures/glibc_invalid_size", "faulthandler.txt", &flen, NULL);

    (void)state;
    san_reports_init(&out);
    assert_int_equal(san_parse_stderr(err, len, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, SAN_MALLOC_ABORT);
    assert_string_equal(out.v[0].title, "free(): invalid size");
    assert_int_equal(san_parse_faulthandler(fh, flen, 0, &out), 0);
    assert_int_equal(out.n, 2);
    san_merge_crash(&out, 0);
    assert_int_equal(out.n, 1);
    assert_string_equal(sign(&out.v[0], NULL), "malloc-abort: free(): invalid size at <module> (crash_invalid_size.yaml)");
    assert_non_null(strstr(out.v[0].pystack, "Fatal Python error: Aborted"));
    san_reports_free(&out);
    free(err);
    free(fh);
}

/* Frame lines: both runtimes' layouts, as they appear in the fixtures and in ASan's output. */
static void
test_frame_formats(void **state)
{
    static const struct {
        const char *line, *function, *file, *module;
        int lineno;
    } cases[] = {
        {"    #0 from_dlpack /src/numpy/_core/src/multiarray/dlpack.c:512:9 (_multiarray_umath.so+0x25c1a7) (BuildId: 48)",
         "from_dlpack", "/src/numpy/_core/src/multiarray/dlpack.c", "_multiarray_umath.so", 512},
        {"    #1 PyArray_UpdateFlags <null> (_multiarray_umath.so+0x296e4b) (BuildId: a1)", "PyArray_UpdateFlags", NULL,
         "_multiarray_umath.so", 0},
        {"    #3 array_flat_get getset.c (_multiarray_umath.so+0x29a045)", "array_flat_get", "getset.c", "_multiarray_umath.so", 0},
        {"    #5 __tsan::CallUserSignalHandler(__tsan::ThreadState*, bool) tsan_interceptors_posix.cpp.o (harness+0xe9f25)",
         "__tsan::CallUserSignalHandler(__tsan::ThreadState*, bool)", "tsan_interceptors_posix.cpp.o", "harness", 0},
        {"    #0 0x7f3a1b2c in use_after_free /work/ftsan_selfcheck.c:35:12", "use_after_free", "/work/ftsan_selfcheck.c", NULL, 35},
        {"    #0 0x55d0e24a5b in free (/work/build/harness+0x4a5b) (BuildId: 66b91a)", "free", NULL, "/work/build/harness", 0},
        {"    #2 <null> <null> (libfoo.so+0x1234)", NULL, NULL, "libfoo.so", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct san_frame f;

        assert_int_equal(san_parse_frame(cases[i].line, &f), 0);
        if (cases[i].function)
            assert_string_equal(f.function, cases[i].function);
        else
            assert_null(f.function);
        if (cases[i].file)
            assert_string_equal(f.file, cases[i].file);
        else
            assert_null(f.file);
        if (cases[i].module)
            assert_string_equal(f.module, cases[i].module);
        assert_int_equal(f.line, cases[i].lineno);
        san_frame_free(&f);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsan_dlpack_race),
        cmocka_unit_test(test_tsan_c_race_and_gil),
        cmocka_unit_test(test_tsan_roles),
        cmocka_unit_test(test_scenario_data_race),
        cmocka_unit_test(test_hang_faulthandler_and_gdb),
        cmocka_unit_test(test_hang_wait_graph),
        cmocka_unit_test(test_exception_root_cause),
        cmocka_unit_test(test_process_events_and_policy),
        cmocka_unit_test(test_dedup_across_runs_and_catalog),
        cmocka_unit_test(test_races_of_one_bug_are_one_finding),
        cmocka_unit_test(test_asan_use_after_free),
        cmocka_unit_test(test_tsan_segv_merged_with_faulthandler),
        cmocka_unit_test(test_tsan_segv_native_stack),
        cmocka_unit_test(test_signal_without_report),
        cmocka_unit_test(test_glibc_abort_merged_with_faulthandler),
        cmocka_unit_test(test_frame_formats),
        cmocka_unit_test(test_resource_limits),
    };

    return cmocka_run_group_tests_name("san", tests, NULL, NULL);
}
