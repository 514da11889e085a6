"""pytest mode, inside a harness run: a package's tests called by all threads at once.

The harness's processes import this module (harness/python is on their sys.path) for a scenario
with a `pytest:` key. pytest is configured and the tests collected once, by prepare(): in the
fork server when runs are forked (the package, its conftest.py files and the test modules
imported there, once), else at the start of the run. The collection becomes a plan, a list of
groups, one a run: run_group() runs the run's group in the run's own process, so every test
(per: test) is the first user of the library in its process, as a scenario's body is.

A group is one test (per: test) or a test module (per: module), at one of the thread counts of
`pytest.threads`, or two different tests of one module or class as roles (`pytest.roles:
pairs`): the first test's threads and the second's called at once on the same fixtures, the
second bound to the first's instance. pytest sets up each test's fixtures once, on the main
thread; the test function is then called by the group's native threads through the harness's
engine (_ftsan.run: the barrier that does not synchronise before every call, `iterations` calls
per thread), so the sanitizer's reports and the failed calls are the run's evidence like any
scenario's, each naming the test's node id (a pair: "A <> B").

Order and cost (what a BUDGET reaches first): each thread count's pass over the tests, then the
pairs; within a pass the tests of all modules in turn (the first test of every module, then the
second, ...), the ones pytest says are slow (marked slow or xslow, or hypothesis tests) after
the others, and of those only one in `pytest.slow` (chosen by the seed).

The test's own data is set apart, as a scenario's is: the buffers of its fixtures' values, and of
what the test itself hands to threads it starts (the closure, arguments and instance of a
Thread's or an executor's target), go to the run's evidence as shared (_ftsan.share), so a race
on them is the test's doing, reported apart and not counted.

What counts, as pytest-run-parallel (0.10.0) decides it when it is installed: tests marked
thread_unsafe, using a thread-unsafe fixture or function (its ini options thread_unsafe_fixtures
and thread_unsafe_functions), or limited to one thread by parallel_threads markers, run once on
one thread and are nobody's partner. The plan judges by marks and fixtures; the reading of a
test's code waits for the test's own run. A test that fails on threads is called again alone: when it
fails alone too it is reported as such ("failed-alone"), never as a finding; otherwise each
thread's failure is a finding ("failed-threads"). Run as `python -m ftsan_pytest count SPEC`
(SPEC: the scenario's pytest mapping as JSON, with "threads") it prints how many runs the plan
makes.
"""
import concurrent.futures
import functools
import importlib.util
import json
import os
import sys
import threading
import zlib

import pytest

# The outcomes a test event says (layout.h LAYOUT_TEST_*).
PASSED, FAILED_THREADS, FAILED_ALONE, ONE_THREAD, SKIPPED = (
    "passed", "failed-threads", "failed-alone", "one-thread", "skipped")
PAIR = " <> "  # between the node ids of a pair (prog.c reads it): pytest escapes node ids, never this
SLOW_MARKS = ("slow", "xslow")


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


def slow(item):
    return any(item.get_closest_marker(m) for m in SLOW_MARKS) or getattr(item.obj, "is_hypothesis_test", False)


def sample(items, seed, every):
    """One in `every` of the items (rounded up), the seed choosing which: as many for any seed."""
    if every <= 1:
        return items
    chosen = set(sorted(range(len(items)), key=lambda i: zlib.crc32(f"{seed}:{items[i].nodeid}".encode()))
                 [:-(-len(items) // every)])
    return [it for i, it in enumerate(items) if i in chosen]


def in_turn(items):
    """The items of every module in turn: each module's first, then each one's second, ..."""
    mods = {}
    for it in items:
        mods.setdefault(it.path, []).append(it)
    out, i = [], 0
    while len(out) < len(items):
        out += [m[i] for m in mods.values() if i < len(m)]
        i += 1
    return out


def partner_ok(item, unsafe):
    """A test that can be called by another test's request: no indirect parameters (their values
    come from fixtures only its own setup makes), not skipped or xfailed by its marks, not
    thread-unsafe."""
    from _pytest.python import get_direct_param_fixture_func
    from _pytest.skipping import evaluate_skip_marks, evaluate_xfail_marks

    cs = getattr(item, "callspec", None)
    for name in (cs.params if cs else {}):
        defs = item._fixtureinfo.name2fixturedefs.get(name)
        if not defs or defs[-1].func is not get_direct_param_fixture_func:
            return False
    try:
        return evaluate_skip_marks(item) is None and evaluate_xfail_marks(item) is None and unsafe(item) is None
    except Exception:  # a mark's condition that raises: not a partner
        return False


def plan(items, spec, seed, unsafe):
    """The runs' groups, in the order a budget reaches them: [(node ids, threads, partner)]."""
    counts = spec["threads"]
    if spec["per"] == "module":
        mods = {}
        for it in items:
            mods.setdefault(it.path, []).append(it.nodeid)
        return [(ids, k, None) for k in counts for ids in mods.values()]
    fast = in_turn([it for it in items if not slow(it)])
    order = fast + in_turn(sample([it for it in items if slow(it)], seed, spec.get("slow", 1)))
    # A test function's parametrisations share its process (the first of them is the first user),
    # unless per: case; a test that runs on one thread runs at the first count only.
    tests = {}
    for it in order:
        tests.setdefault(it.nodeid if spec["per"] == "case" else (it.parent.nodeid, it.originalname), []).append(it)
    groups = [([it.nodeid for it in t], k, None) for i, k in enumerate(counts) for t in tests.values()
              if i == 0 or any(unsafe(it) is None for it in t)]
    if spec.get("roles") == "pairs":
        # Each test function (its first case) with a case of another test of its module or class,
        # the seed choosing which.
        parents = {}
        for it in order:
            parents.setdefault(it.parent.nodeid, []).append(it)
        ok = functools.lru_cache(maxsize=None)(lambda m: partner_ok(m, unsafe))
        for it in (t[0] for t in tests.values()):
            if unsafe(it) is not None:
                continue
            # The seed's choice among the other functions' cases, the first that can be a partner.
            mates = [m for m in parents[it.parent.nodeid] if m.originalname != it.originalname]
            start = (seed + len(groups)) % len(mates) if mates else 0
            mate = next((m for m in mates[start:] + mates[:start] if ok(m)), None)
            if mate is not None:
                groups.append(([it.nodeid], max(2, counts[-1]), mate.nodeid))
    return groups


class Plugin:
    def __init__(self, iterations, barrier):
        self.iterations, self.barrier = iterations, barrier
        self.threads, self.partner = 1, None
        self.said = set()
        self.counts = {k: 0 for k in (PASSED, FAILED_THREADS, FAILED_ALONE, ONE_THREAD, SKIPPED)}
        self.unsafe = None

    def pytest_configure(self, config):
        for m in ("thread_unsafe: run on one thread", "parallel_threads(n): threads for this test",
                  "parallel_threads_limit(n): at most n threads", "force_parallel_threads(n): n threads",
                  "iterations(n): calls per thread", "slow: a slow test (sampled at a budget)",
                  "xslow: a very slow test (sampled at a budget)"):
            config.addinivalue_line("markers", m)
        try:  # pytest-run-parallel's own judgement of thread-unsafe tests, when it is installed
            from pytest_run_parallel import plugin as rp
            self.unsafe = rp.RunParallelPlugin(config)
        except Exception:
            self.unsafe = None

    def thread_unsafe(self, item, read_code=True):
        """Why item runs on one thread, or None. read_code=False: by its marks and fixtures only,
        as the plan judges (pytest-run-parallel's reading of a test's code and what it calls took
        minutes for numpy/_core/tests' functions); the test's own run reads its code too."""
        m = item.get_closest_marker("thread_unsafe")
        if m is not None:
            return m.kwargs.get("reason") or "marked thread_unsafe"
        for name in ("parallel_threads", "parallel_threads_limit", "force_parallel_threads"):
            m = item.get_closest_marker(name)
            if m is not None and m.args and m.args[0] == 1:
                return f"marked {name}(1)"
        if self.unsafe is not None and not read_code:
            fixtures = set(getattr(item, "fixturenames", ())) & set(self.unsafe.unsafe_fixtures)
            return f"uses thread-unsafe fixture(s): {fixtures}" if fixtures else None
        if self.unsafe is not None:
            try:
                unsafe, reason = self.unsafe._is_thread_unsafe(item)
            except Exception as e:  # its detection failed on this test: say so, run it alone
                unsafe, reason = True, f"pytest-run-parallel could not inspect it ({type(e).__name__})"
            if unsafe:
                return reason
        return None

    @staticmethod
    def partner_call(item, partner):
        """The partner's function and arguments on item's request: the fixtures they share are
        the same objects, its own direct parameters are its own."""
        req = item._request
        cs = getattr(partner, "callspec", None)
        kwargs = {a: cs.params[a] if cs and a in cs.params else req.getfixturevalue(a)
                  for a in partner._fixtureinfo.argnames}
        fn = partner.obj
        if getattr(item, "instance", None) is not None and getattr(fn, "__self__", None) is not None:
            fn = fn.__func__.__get__(item.instance)   # the same class: the first test's instance
        return fn, kwargs

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        import _ftsan
        from _pytest.outcomes import Skipped

        fn = pyfuncitem.obj
        kwargs = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
        nodeid = pyfuncitem.nodeid
        reason = self.thread_unsafe(pyfuncitem)
        roles = [(nodeid, fn, kwargs)]
        # A partner the plan took by its marks may turn out thread-unsafe by its code: then alone.
        if self.partner is not None and reason is None and self.thread_unsafe(self.partner) is None:
            roles.append((self.partner.nodeid, *self.partner_call(pyfuncitem, self.partner)))
        name = PAIR.join(r[0] for r in roles)
        _ftsan.set_test(name)
        try:
            if reason is not None:
                self.outcome(name, ONE_THREAD, reason)
                with own_threads_shared():
                    fn(**kwargs)
                return True
            m = pyfuncitem.get_closest_marker("iterations")
            iterations = int(m.args[0]) if m is not None and m.args else self.iterations
            threads = max(self.threads, len(roles))
            split = [threads // len(roles) + (i < threads % len(roles)) for i in range(len(roles))]
            for _, _, kw in roles:
                _ftsan.share({f"{a}, a fixture of the test": v for a, v in kw.items()})
            with own_threads_shared():
                failed = _ftsan.run(roles=[(n, functools.partial(f, **kw), k) for (n, f, kw), k in zip(roles, split)],
                                    iterations=iterations, barrier=self.barrier)
            errors = [(tid, it, e) for tid, calls in enumerate(failed) for it, e in calls if not isinstance(e, Warning)]
            skips = [e for _, _, e in errors if isinstance(e, Skipped)]
            if skips:
                self.outcome(name, SKIPPED, str(skips[0]))
                raise skips[0]
            if not errors:
                self.outcome(name, PASSED)
                return True
            # Alone: does the failing test fail without other threads?
            owner = [r for r, k in enumerate(split) for _ in range(k)]
            for r in sorted({owner[tid] for tid, _, _ in errors}):
                try:
                    roles[r][1](**roles[r][2])
                except BaseException as alone:
                    self.outcome(name, FAILED_ALONE,
                                 f"{roles[r][0]}: {type(alone).__name__}: {str(alone).partition(chr(10))[0]}")
                    raise
            for tid, it, e in errors:
                _ftsan.record(e, tid, it)
            self.outcome(name, FAILED_THREADS, f"{len(errors)} failed calls")
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


class own_threads_shared:
    """While the test runs: what it hands to threads it starts itself (a Thread's or an
    executor's target: its closure, arguments and instance) is the test's data, shared on
    purpose (test_nonzero writes an array its own threads read)."""
    _lock = threading.Lock()

    def __init__(self):
        self.seen, self.saved = set(), None

    def share(self, fn, args, kwargs):
        import _ftsan
        with self._lock:
            if id(fn) in self.seen:
                return
            self.seen.add(id(fn))
        code = getattr(fn, "__code__", None)
        data = {}
        for n, c in zip(code.co_freevars, fn.__closure__ or ()) if code is not None else ():
            try:
                value = c.cell_contents
            except ValueError:   # a cell the test has not filled yet
                continue
            if value is not None and not callable(value):
                data[f"{n}, handed by the test to its threads"] = value
        data.update({f"argument {i} of a thread the test started": a for i, a in enumerate(args)})
        data.update({f"argument {k} of a thread the test started": v for k, v in kwargs.items()})
        if getattr(fn, "__self__", None) is not None:
            data["the object whose method a thread the test started runs"] = fn.__self__
        _ftsan.share(data)

    def __enter__(self):
        shared, submit, init = self.share, concurrent.futures.ThreadPoolExecutor.submit, threading.Thread.__init__

        def submit_shared(pool, fn, /, *args, **kwargs):
            shared(fn, args, kwargs)
            return submit(pool, fn, *args, **kwargs)

        def init_shared(thread, *args, **kwargs):
            init(thread, *args, **kwargs)
            if getattr(thread, "_target", None) is not None:
                shared(thread._target, thread._args, thread._kwargs)

        self.saved = submit, init
        concurrent.futures.ThreadPoolExecutor.submit, threading.Thread.__init__ = submit_shared, init_shared
        return self

    def __exit__(self, *exc):
        concurrent.futures.ThreadPoolExecutor.submit, threading.Thread.__init__ = self.saved


class Prepared:
    """pytest configured, the tests collected and planned: in the fork server once, or in a run."""

    def __init__(self, spec, seed, iterations, barrier):
        from _pytest.config import _prepareconfig  # what pytest.main calls first

        tests, args = spec["tests"], spec.get("args", [])
        rootdir, specs = None, []
        for t in tests:
            root, s = resolve(t)
            rootdir = rootdir or root
            specs.append(s)
        self.plugin = Plugin(iterations, barrier)
        # No cache written into the package; pytest-run-parallel's own wrapping stays off (one
        # thread). pytest's faulthandler plugin would send the fatal-error stacks to stderr, away
        # from the harness's faulthandler.txt. Capture by sys, not by file descriptors: a forked
        # run's descriptors are its own files, not the server's.
        argv = ["-q", "-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys", "--rootdir", rootdir,
                *args, *specs]
        # Found, not imported: pytest imports its plugins itself (an earlier import would be warned of).
        if importlib.util.find_spec("pytest_run_parallel") is not None:
            argv[:0] = ["--parallel-threads=1"]
        self.config = config = _prepareconfig(argv, [self.plugin])
        self.session = session = pytest.Session.from_config(config)
        session.exitstatus = pytest.ExitCode.OK
        config._do_configure()
        config.hook.pytest_sessionstart(session=session)
        try:
            config.hook.pytest_collection(session=session)
            why = (f"{session.testsfailed} errors during collection" if session.testsfailed
                   else "no tests" if not session.items else None)
        except session.Interrupted as e:
            why = str(e)
        if why is not None:  # pytest's own summary says which file and why, then the run did not run
            session.exitstatus = pytest.ExitCode.INTERRUPTED
            config.hook.pytest_sessionfinish(session=session, exitstatus=session.exitstatus)
            config._ensure_unconfigure()
            raise RuntimeError(f"pytest could not collect {' '.join(tests)}: {why}; its output is the run's stdout.txt")
        self.items = {it.nodeid: it for it in session.items}
        self.plan = plan(session.items, spec, seed, functools.partial(self.plugin.thread_unsafe, read_code=False))

    def run(self, run):
        ids, threads, partner = self.plan[run % len(self.plan)]
        session, config = self.session, self.config
        self.plugin.threads = threads
        self.plugin.partner = self.items[partner] if partner else None
        items = [self.items[i] for i in ids]
        # The last test's teardown (nextitem None) finalizes every fixture, session-scoped ones too.
        # pytest's session finish is left out: its summary (every collection warning again) cost
        # a forked run more than most tests do, and the process ends with the run.
        for i, item in enumerate(items):
            config.hook.pytest_runtest_protocol(item=item, nextitem=items[i + 1] if i + 1 < len(items) else None)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if session.testsfailed else pytest.ExitCode.OK
        print(f"\n{' '.join(f'{n} {k}' for k, n in self.plugin.counts.items() if n)} ({threads} threads"
              + (f", with {self.plugin.partner.nodeid}" if self.plugin.partner else "") + ")", flush=True)
        return dict(self.plugin.counts, tests=sum(self.plugin.counts.values()), pytest_exit=int(session.exitstatus),
                    groups=len(self.plan), threads=threads)


_prepared = None


def prepare(spec, seed, iterations, barrier):
    """Configure pytest and collect once (the fork server's setup): the plan's length. spec is the
    scenario's pytest mapping as JSON (scn_pytest_json), seed the runs' first."""
    global _prepared
    _prepared = Prepared(json.loads(spec), seed, iterations, barrier)
    return len(_prepared.plan)


def run_group(spec, run, seed, iterations, barrier):
    """The run's group (index run, modulo their number) through pytest with the plugin; returns
    counts for the run's summary. Raises when pytest could not run them (collection errors,
    usage, internal errors, no tests): the run did not run."""
    p = _prepared or Prepared(json.loads(spec), seed, iterations, barrier)
    return p.run(run)


def count(spec):
    """The plan's length without running anything: the tests collected as a run collects them."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # pytest's collection report is not the count
        p = Prepared(spec, 0, 1, "each")
        n = len(p.plan)
        p.config._ensure_unconfigure()
    return n


def main(argv):
    if len(argv) != 2 or argv[0] != "count":
        sys.stderr.write("usage: python -m ftsan_pytest count '{\"tests\": [...], \"threads\": [4], ...}'\n")
        return 2
    print(count(json.loads(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
