/* The evidence and report layout: every file name under reports/<run>/, and the kinds and keys
 * of events.jsonl, for the code that writes them (run, py, rpt) and the code that reads them
 * (evd, san) alike. The Python tools read the same names from report.json and run.json. */
#ifndef FT_LAYOUT_H
#define FT_LAYOUT_H

/* reports/ */
#define LAYOUT_LATEST "latest" /* symlink to the newest reports/<run>/ */

/* reports/<run>/ (written by rpt) */
#define LAYOUT_RUN_JSON "run.json"             /* the plan: scenario, overrides, toolchain */
#define LAYOUT_REPORT_JSON "report.json"       /* findings, versions, runs; schema ftsan-report/1 */
#define LAYOUT_SUMMARY_MD "summary.md"
#define LAYOUT_JUNIT_XML "junit.xml"
#define LAYOUT_SUPPRESSIONS "suppressions.txt" /* the merged rules in force */
#define LAYOUT_FINDINGS "findings"             /* findings/<id>/ */
#define LAYOUT_FINDING_MD "report.md"          /* findings/<id>/report.md */
#define LAYOUT_FINDING_PY "repro.py"           /* findings/<id>/repro.py: pytest mode's, its code example */
#define LAYOUT_EVIDENCE "evidence"             /* evidence/run-NNNN/ */
#define LAYOUT_RUN_DIR "run-%04d"              /* printf format of one run's directory, 1-based */

/* evidence/run-NNNN/ */
#define LAYOUT_STATUS "status.json"           /* the supervisor's view: exit, signal, timeout, peaks (run) */
#define LAYOUT_STDOUT "stdout.txt"            /* the child's (run) */
#define LAYOUT_STDERR "stderr.txt"            /* the child's; glibc aborts land here (run) */
#define LAYOUT_EVENTS "events.jsonl"          /* one JSON object a line (py) */
#define LAYOUT_PYSTACK "pystack.txt"          /* Python stacks at sanitizer reports (py) */
#define LAYOUT_FAULTHANDLER "faulthandler.txt" /* fatal signals and SIGTERM on a hang (py) */
#define LAYOUT_GDB "gdb.txt"                  /* native stacks of a hung run (run) */
#define LAYOUT_TSAN_LOG "tsan"                /* log_path prefix: tsan.<pid> (the runtime) */
#define LAYOUT_ASAN_LOG "asan"
#define LAYOUT_SANCOV ".sancov"               /* suffix: <module>.<pid>.sancov, the edges reached, with
                                               * COVERAGE=1 (the runtime; a forked run's moved here) */

/* events.jsonl: every line has "kind", one of these. */
#define LAYOUT_EV_KIND "kind"
#define LAYOUT_EV_EXCEPTION "exception" /* phase, tid, iteration, type, message, traceback */
#define LAYOUT_EV_PROCESS "process"     /* class (a checks.forbid word), event, args, stack|traceback */
#define LAYOUT_EV_GIL "gil"             /* module */
#define LAYOUT_EV_TEST "test"           /* pytest mode: nodeid, outcome (see LAYOUT_TEST_*), reason;
                                         * an exception event's "test" names the test it came from */
#define LAYOUT_EV_SHARED "shared"       /* name, addr, size: a data buffer the scenario's threads share,
                                         * recorded as they start (races on it are the scenario's) */
#define LAYOUT_EV_SUMMARY "summary"     /* run, seed, setup_rss_kb, setup_vm_kb, setup_threads, ... */
#define LAYOUT_EV_CLASS "class"

/* A test's outcome in pytest mode (harness/python/ftsan_pytest.py writes them). */
#define LAYOUT_TEST_PASSED "passed"             /* passed on every thread */
#define LAYOUT_TEST_FAILED_THREADS "failed-threads" /* failed on threads, passed alone: a finding */
#define LAYOUT_TEST_FAILED_ALONE "failed-alone" /* failed on one thread too: not a finding */
#define LAYOUT_TEST_ONE_THREAD "one-thread"     /* thread-unsafe (marker, fixture, detection): run once */
#define LAYOUT_TEST_SKIPPED "skipped"

#endif
