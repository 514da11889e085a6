"""pytest mode, inside a harness run: every selected test called by all threads at once.

The harness's child imports this module (harness/python is on its sys.path) for a scenario with a
`pytest:` key and calls run_group() for the run's share of the tests: one test module per run, or
one test (`per: test`). pytest sets up each test's fixtures once, on the main thread; the test
function is then called by the scenario's `threads` native threads through the harness's engine
(_ftsan.run: the barrier that does not synchronise, `iterations` calls per thread), so the
sanitizer's reports and the failed calls are the run's evidence like any scenario's, each naming
the test's node id.

What counts, as pytest-run-parallel (0.10.0) decides it when it is installed: tests marked
thread_unsafe, using a thread-unsafe fixture or function (its ini options thread_unsafe_fixtures
and thread_unsafe_functions), or limited to one thread by parallel_threads markers, run once on
one thread. A test that fails on threads is called again alone: when it fails alone too it is
reported as such ("failed-alone"), never as a finding; otherwise each thread's failure is a
finding ("failed-threads"). Run as `python -m ftsan_pytest count --per module TESTS...` it prints
how many runs the tests make.
"""
import importlib.util
import os
import sys

import pytest

# The outcomes a test event says (layout.h LAYOUT_TEST_*).
PASSED, FAILED_THREADS, FAILED_ALONE, ONE_THREAD, SKIPPED = (
    "passed", "failed-threads", "failed-alone", "one-thread", "skipped")


def resolve(spec):
    """A test spec as pytest takes it, its path made real: relative to the working directory, or
    a path inside an installed package ("numpy/_core/tests/test_multithreading.py"), found on
    sys.path. Returns (rootdir, spec)."""
    path, sep, rest = spec.partition("::")
    if os.path.exists(path):
        return os.getcwd(), spec
    for base in sys.path:
        if base and os.path.exists(os.path.join(base, path)):
            return base, os.path.join(base, path) + sep + rest
    raise SystemExit(f"ftsan_pytest: no test file or directory '{path}' here or inside an installed package")


def modules(specs):
    """Test files in order: the files and node ids given, directories expanded as pytest's
    default python_files (test_*.py, *_test.py). Node ids of one file stay together."""
    out = {}
    for spec in specs:
        path, _, rest = spec.partition("::")
        if os.path.isdir(path):
            for d, dirs, files in os.walk(path):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(".py") and (f.startswith("test_") or f.endswith("_test.py")):
                        out.setdefault(os.path.join(d, f), [])
        else:
            out.setdefault(path, [])
            if rest:
                out[path].append(spec)
    return [ids or [path] for path, ids in out.items()]


def groups(tests, per, args):
    rootdir, specs = None, []
    for t in tests:
        root, spec = resolve(t)
        rootdir = rootdir or root
        specs.append(spec)
    mods = modules(specs)
    if per == "module":
        return rootdir, mods
    # One test a run: the node ids come from pytest's own collection.
    class Collect:
        ids = []

        def pytest_collection_finish(self, session):
            self.ids.extend(item.nodeid for item in session.items)

    c = Collect()
    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", rootdir, *args,
                 *[s for m in mods for s in m]], plugins=[c])
    return rootdir, [[os.path.join(rootdir, i) if rootdir != os.getcwd() else i] for i in c.ids]


class Plugin:
    def __init__(self, threads, iterations, barrier):
        self.threads, self.iterations, self.barrier = threads, iterations, barrier
        self.said = set()
        self.counts = {k: 0 for k in (PASSED, FAILED_THREADS, FAILED_ALONE, ONE_THREAD, SKIPPED)}
        self.unsafe = None

    def pytest_configure(self, config):
        for m in ("thread_unsafe: run on one thread", "parallel_threads(n): threads for this test",
                  "parallel_threads_limit(n): at most n threads", "force_parallel_threads(n): n threads",
                  "iterations(n): calls per thread"):
            config.addinivalue_line("markers", m)
        try:  # pytest-run-parallel's own judgement of thread-unsafe tests, when it is installed
            from pytest_run_parallel import plugin as rp
            self.unsafe = rp.RunParallelPlugin(config)
        except Exception:
            self.unsafe = None

    def thread_unsafe(self, item):
        m = item.get_closest_marker("thread_unsafe")
        if m is not None:
            return m.kwargs.get("reason") or "marked thread_unsafe"
        for name in ("parallel_threads", "parallel_threads_limit", "force_parallel_threads"):
            m = item.get_closest_marker(name)
            if m is not None and m.args and m.args[0] == 1:
                return f"marked {name}(1)"
        if self.unsafe is not None:
            try:
                unsafe, reason = self.unsafe._is_thread_unsafe(item)
            except Exception as e:  # its detection failed on this test: say so, run it alone
                unsafe, reason = True, f"pytest-run-parallel could not inspect it ({type(e).__name__})"
            if unsafe:
                return reason
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        import _ftsan
        from _pytest.outcomes import Skipped

        fn = pyfuncitem.obj
        kwargs = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
        nodeid = pyfuncitem.nodeid
        reason = self.thread_unsafe(pyfuncitem)
        _ftsan.set_test(nodeid)
        try:
            if reason is not None:
                self.outcome(nodeid, ONE_THREAD, reason)
                fn(**kwargs)
                return True
            m = pyfuncitem.get_closest_marker("iterations")
            iterations = int(m.args[0]) if m is not None and m.args else self.iterations
            failed = _ftsan.run(lambda: fn(**kwargs), threads=self.threads, iterations=iterations,
                                barrier=self.barrier)
            errors = [(tid, it, e) for tid, calls in enumerate(failed) for it, e in calls
                      if not isinstance(e, Warning)]
            skips = [e for _, _, e in errors if isinstance(e, Skipped)]
            if skips:
                self.outcome(nodeid, SKIPPED, str(skips[0]))
                raise skips[0]
            if not errors:
                self.outcome(nodeid, PASSED)
                return True
            try:  # alone: does the test fail without other threads?
                fn(**kwargs)
            except BaseException as alone:
                self.outcome(nodeid, FAILED_ALONE, f"{type(alone).__name__}: {str(alone).partition(chr(10))[0]}")
                raise
            for tid, it, e in errors:
                _ftsan.record(e, tid, it)
            self.outcome(nodeid, FAILED_THREADS, f"{len(errors)} failed calls")
            raise errors[0][2]
        finally:
            _ftsan.set_test(None)

    def pytest_runtest_logreport(self, report):
        if report.skipped and report.when in ("setup", "call") and report.nodeid not in self.said:
            self.outcome(report.nodeid, SKIPPED, str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "")

    def outcome(self, nodeid, what, reason=""):
        if nodeid in self.said:
            return
        self.said.add(nodeid)
        self.counts[what] += 1
        import _ftsan
        _ftsan.test_outcome(nodeid, what, reason)


def run_group(tests, args, per, group, threads, iterations, barrier):
    """The run's group (index group, modulo their number) of the tests through pytest with the
    plugin; returns counts for the run's summary. Raises when pytest could not run them
    (collection errors, usage, internal errors, no tests): the run did not run."""
    rootdir, gs = groups(tests, per, args)
    chosen = gs[group % len(gs)]
    plugin = Plugin(threads, iterations, barrier)
    # No cache written into the package; pytest-run-parallel's own wrapping stays off (one thread).
    # pytest's faulthandler plugin would send the fatal-error stacks to stderr, away from the
    # harness's faulthandler.txt, where a crash's Python stack is read from.
    argv = ["-q", "-p", "no:cacheprovider", "-p", "no:faulthandler", "--rootdir", rootdir, *args, *chosen]
    # Found, not imported: pytest imports its plugins itself (an earlier import would be warned of).
    if importlib.util.find_spec("pytest_run_parallel") is not None:
        argv[:0] = ["--parallel-threads=1"]
    code = pytest.main(argv, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"pytest could not run {' '.join(chosen)}: exit {int(code)} ({code.name}); "
                           "its output is the run's stdout.txt")
    return dict(plugin.counts, tests=sum(plugin.counts.values()), pytest_exit=int(code), groups=len(gs))


def main(argv):
    if len(argv) < 4 or argv[0] != "count" or argv[1] != "--per" or argv[2] not in ("module", "test"):
        sys.stderr.write("usage: python -m ftsan_pytest count --per module|test TESTS...\n")
        return 2
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # pytest's collection report is not the count
        n = len(groups(argv[3:], argv[2], [])[1])
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
