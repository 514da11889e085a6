#!/usr/bin/env python3
"""pytest mode against pytest-run-parallel 0.10.0, side by side (issues 5/6 and 7/7).

--together (issue 7/7): the modules in one invocation of each tool, as a maintainer runs a suite,
neither tool loading any conftest.py (pytest --noconftest: NumPy 2.2's conftest makes every test
thread-unsafe to pytest-run-parallel, and the same rule on both sides is the point), repeated
--invocations times:
  ftsan          the modules as one pytest scenario: per test function, at 4 threads and at 2,
                 then each test against another of its module (pairs), every run forked from the
                 server that collected them once (what `make run PYTEST=` writes, for many files);
  ftsan-budget   the same with BUDGET=--budget seconds: the fast tests of every module first;
  anchor         `python -m pytest --noconftest --parallel-threads=4 --iterations=1 MODULES...`.
Every signature of every invocation goes to bench/pytest_compare_signatures.tsv, so the distinct
races over all invocations of a way are counted from raw rows.

For each NumPy version and each test module (a path inside the installed NumPy), two ways on the
same TSan toolchain (same CPython, same NumPy build, same pytest and pytest-run-parallel):

  (a) ftsan      `make run PYTEST=<module> THREADS=N ITERATIONS=M` (`python3 -m ftsan run`): the module
                 in a fresh process, every test called by N native threads through the engine;
  (b) anchor     `python -m pytest --parallel-threads=N --iterations=M <module>`, as
                 pytest-run-parallel's documentation says, TSan writing its log (log_path) with
                 the same suppressions file as (a)'s run (the same de-noising).

Which conftest.py files pytest loads decides what runs on threads: ftsan's pytest mode roots
pytest at the package (site-packages), so NumPy's own conftest.py is loaded, as NumPy's test
runner loads it; pytest started on a file path from elsewhere does not load it (its conftest
directory cut is the working directory). NumPy 2.2's conftest has an autouse fixture using
`monkeypatch`, which pytest-run-parallel counts as thread-unsafe, so with it every test runs on
one thread. Both are measured: ftsan-noconftest (args --confcutdir at the module's directory)
and anchor-conftest (--rootdir at site-packages) are the other halves.

Both are signed the same way: (a) by the harness (report.json), (b) by `scntool sign --catalog
known/catalog.json` on its TSan logs, which signs, groups and marks known issues exactly as the
harness does. Counted: distinct data-race signatures (a signature and those grouped with it are
one), how many of them are known issues of the catalog, and CPU time (user + system of the whole
process tree, from the kernel's accounting of waited-for children) and wall time.

An invocation that did not run (ftsan: exit other than 0 or 1, or a run it could not run; anchor:
exit other than 0, 1 (tests failed) or 66 (TSan found something), or no JUnit XML) is an error
row, never a zero. Logs stay under bench/out/pytest/ (git-ignored); rows are appended to
bench/pytest_compare.tsv with the command.

Usage: bench/pytest_compare.py [--threads 4] [--iterations 1] --numpy 2.2.1,2.5.5 MODULE...
"""
import argparse
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the ftsan package: make run's variables as its front door's command line
from ftsan import toolchain  # noqa: E402
from ftsan.harness import run_command  # noqa: E402
OUT = os.path.join(ROOT, "bench", "out", "pytest")
TSV = os.path.join(ROOT, "bench", "pytest_compare.tsv")
HEAD = ("date\tnumpy\tmodule\tway\tthreads\titerations\tstatus\ttests\tsignatures\tknown\tknown_ids\tcpu_s\twall_s"
        "\tcommand\n")
# NumPy's test requirement (its conftest imports hypothesis), given to make run as PACKAGES, then
# what a PYTEST= scenario requires: the front door's order, so the anchor gets the same environment.
TEST_PACKAGES = "hypothesis==6.139.3"  # the newest pure-Python one: later ones are abi3-native, no free-threaded wheel
PACKAGES = TEST_PACKAGES + " pytest pytest-run-parallel==0.10.0"


def timed(argv, cwd, env, log):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(log, "w") as out:
        rc = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return rc, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), time.monotonic() - t0


SIGS = os.path.join(ROOT, "bench", "pytest_compare_signatures.tsv")


def races(findings, row=None):
    """Distinct data-race signatures (with their groups) and the known ones; each signature (and
    those grouped with it) into pytest_compare_signatures.tsv under row's first fields."""
    rs = [f for f in findings if f["kind"] == "data-race"]
    if row is not None:
        new = not os.path.exists(SIGS)
        with open(SIGS, "a") as out:
            if new:
                out.write("date\tnumpy\tcell\tway\tinvocation\tsignature\tknown\tgrouped_with\n")
            for f in rs:
                out.write("\t".join([*row, f["signature"], f.get("known") or "",
                                     " | ".join(f.get("also_seen_as") or [])]) + "\n")
    return len(rs), sorted({f["known"] for f in rs if f.get("known")})


def site_of(numpy):
    """The toolchain of that NumPy (as the front door gets it) and where NumPy is installed."""
    tc = toolchain.resolve(PACKAGES.split(), variables=dict(os.environ, SAN="tsan", NUMPY=numpy))
    return tc, os.path.dirname(tc.numpy_dir)


def ftsan(numpy, module, a, work, conftest=True, budget=None):
    reports = os.path.join(work, "reports")
    env = dict(os.environ, PYTEST=module, NUMPY=numpy, SAN="tsan", PACKAGES=TEST_PACKAGES, THREADS=str(a.threads),
               ITERATIONS=str(a.iterations), FTSAN_REPORTS=reports, RECORD="none", BUDGET=budget and str(budget))
    env.pop("SCENARIO", None)
    if a.together:  # the modules in one invocation, every test per test function: make run PYTEST='s scenario for many
        scn = os.path.join(work, "together.yaml")
        with open(scn, "w") as f:
            f.write(f"name: pytest-together\nrequires: {{packages: {{pytest: \"*\", pytest-run-parallel: \"==0.10.0\"}}}}\n"
                    f"threads: {a.threads}\niterations: {a.iterations}\ntimeout: 600\n"
                    f"pytest: {{tests: {json.dumps(module.split(','))}, args: [\"--noconftest\"], per: test, "
                    f"threads: [{a.threads}, 2], roles: pairs}}\n")
        env.pop("PYTEST"), env.pop("THREADS")
        env["SCENARIO"] = scn
    elif not conftest:  # the same scenario make run PYTEST= writes, pytest told not to load the package's conftest
        site = site_of(numpy)[1]
        scn = os.path.join(work, "noconftest.yaml")
        with open(scn, "w") as f:
            f.write(f"name: pytest-noconftest\nrequires: {{packages: {{pytest: \"*\", pytest-run-parallel: \"==0.10.0\"}}}}\n"
                    f"threads: {a.threads}\niterations: {a.iterations}\ntimeout: 600\n"
                    f"pytest: {{tests: [{json.dumps(module)}], args: [{json.dumps('--confcutdir=' + os.path.join(site, os.path.dirname(module)))}]}}\n")
        env.pop("PYTEST")
        env["SCENARIO"] = scn
    argv, env = run_command({k: v for k, v in env.items() if v is not None})
    rc, cpu, wall = timed(argv, ROOT, env, os.path.join(work, "output.txt"))
    path = os.path.join(reports, "latest", "report.json")
    if rc not in (0, 1) or not os.path.exists(path):
        return dict(status=f"error (exit {rc})", cpu=cpu, wall=wall)
    rep = json.load(open(path))
    if rep["runs"]["failed"]:
        return dict(status=f"error ({rep['runs']['failed']} runs failed)", cpu=cpu, wall=wall)
    n, known = races(rep["findings"], a.row)
    return dict(status="ok", tests=len(rep["tests"]), n=n, known=known, cpu=cpu, wall=wall,
                supp=os.path.join(os.path.realpath(os.path.join(reports, "latest")), "suppressions.txt"))


def anchor(numpy, module, a, work, supp, tool, conftest=False):
    tc, site = site_of(numpy)
    if supp is None:
        return dict(status="error (no suppressions: ftsan's run did not run)", cpu=0.0, wall=0.0)
    env = tc.process_env(work, suppressions=supp)
    junit = os.path.join(work, "junit.xml")
    argv = tc.argv([tc.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--parallel-threads={a.threads}",
                    f"--iterations={a.iterations}", f"--junitxml={junit}", *([f"--rootdir={site}"] if conftest else []),
                    *(["--noconftest", f"--rootdir={site}"] if a.together else []),
                    *[os.path.join(site, m) for m in module.split(",")]])
    rc, cpu, wall = timed(argv, work, env, os.path.join(work, "output.txt"))
    if rc not in (0, 1, 66) or not os.path.exists(junit):
        return dict(status=f"error (exit {rc})", cpu=cpu, wall=wall)
    suite = xml.etree.ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    logs = glob.glob(os.path.join(work, "tsan.*"))
    signed = subprocess.run([tool, "sign", "--catalog", os.path.join(ROOT, "known", "catalog.json"), *logs],
                            capture_output=True, text=True) if logs else None
    if signed is not None and signed.returncode != 0:
        return dict(status="error (scntool sign)", cpu=cpu, wall=wall)
    if signed is not None:
        with open(os.path.join(work, "signed.json"), "w") as f:
            f.write(signed.stdout)
    n, known = races(json.loads(signed.stdout)["findings"] if signed else [], a.row)
    return dict(status="ok", tests=int(suite.get("tests", 0)), n=n, known=known, cpu=cpu, wall=wall)


def table(cell):
    """The --together rows of pytest_compare.tsv and pytest_compare_signatures.tsv as RESULTS.md's
    table: per NumPy and way, the invocations that ran (and the ones that did not); over all of
    them the distinct races: known issues of the catalog (by issue: two signatures of one issue
    are one) and new signatures; CPU per invocation (median, worst) and in all."""
    import csv
    import statistics
    rows = [r for r in csv.DictReader(open(TSV), delimiter="\t") if r["module"] == cell]
    sigs = [r for r in csv.DictReader(open(SIGS), delimiter="\t") if r["cell"] == cell] if os.path.exists(SIGS) else []
    print("| NumPy | way | invocations (errors) | distinct races | known issues | new signatures | CPU s per invocation: median, worst | CPU s in all |")
    print("|---|---|---|---|---|---|---|---|")
    for numpy, way in dict.fromkeys((r["numpy"], r["way"]) for r in rows):
        mine = [r for r in rows if (r["numpy"], r["way"]) == (numpy, way)]
        ok = [r for r in mine if r["status"] == "ok"]
        seen = [s for s in sigs if (s["numpy"], s["way"]) == (numpy, way)]
        known = sorted({s["known"] for s in seen if s["known"]})
        new = sorted({s["signature"] for s in seen if not s["known"]})
        cpu = [float(r["cpu_s"]) for r in ok]
        print(f"| {numpy} | {way} | {len(ok)} ({len(mine) - len(ok)}) | {len(known) + len(new)} | {len(known)} | {len(new)} | "
              f"{statistics.median(cpu):.0f}, {max(cpu):.0f} | {sum(cpu):.0f} |" if cpu else f"| {numpy} | {way} | 0 ({len(mine)}) | | | | | |")
    # How often each race showed: invocations that found it, of those that ran, per way.
    ways = list(dict.fromkeys((r["numpy"], r["way"]) for r in rows))
    for numpy in dict.fromkeys(n for n, _ in ways):
        mine = [w for n, w in ways if n == numpy]
        print("\n| NumPy | race | " + " | ".join(mine) + " |\n|---|---|" + "---|" * len(mine))
        races = dict.fromkeys(s["known"] or s["signature"] for s in sigs if s["numpy"] == numpy)
        for race in sorted(races, key=lambda r: (not r[0].isalpha() or "(" in r, r)):
            cells = []
            for way in mine:
                ran = sum(1 for r in rows if (r["numpy"], r["way"], r["status"]) == (numpy, way, "ok"))
                hit = len({s["invocation"] for s in sigs if (s["numpy"], s["way"]) == (numpy, way)
                           and (s["known"] or s["signature"]) == race})
                cells.append(f"{hit}/{ran}")
            print(f"| {numpy} | {race if '(' not in race else '`' + race.removeprefix('data-race: ') + '`'} | {' | '.join(cells)} |")


def main():
    if sys.argv[1:2] == ["--table"]:
        return table(sys.argv[2] if len(sys.argv) > 2 else "10 modules")
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=1)
    ap.add_argument("--numpy", required=True)
    ap.add_argument("--ways", default="ftsan,anchor,ftsan-noconftest,anchor-conftest")
    ap.add_argument("--together", action="store_true",
                    help="the modules in one invocation of each tool, with no conftest.py (pytest --noconftest), "
                         "ftsan per test function at [threads, 2] and in pairs")
    ap.add_argument("--invocations", type=int, default=1)
    ap.add_argument("--first", type=int, default=0, help="the first invocation's number (its directory under bench/out)")
    ap.add_argument("--budget", type=int, default=100,
                    help="way ftsan-budget: ftsan's BUDGET (seconds of wall time, the toolchain's start included)")
    ap.add_argument("modules", nargs="+")
    a = ap.parse_args()
    cmd = "bench/pytest_compare.py " + " ".join(sys.argv[1:])
    tool = subprocess.run(["bash", "toolchain/scntool.sh"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    if not os.path.exists(TSV):
        open(TSV, "w").write(HEAD)
    cells = [",".join(a.modules)] if a.together else a.modules
    for numpy in a.numpy.split(","):
        for module, inv in ((m, i) for m in cells for i in range(a.first, a.first + a.invocations)):
            base = os.path.join(OUT, numpy, "together" if a.together else module.replace("/", "_"), str(inv))
            supp = None
            for way in a.ways.split(","):
                a.row = [time.strftime("%Y-%m-%d"), numpy, f"{len(a.modules)} modules" if a.together else module, way,
                         str(inv)]
                work = os.path.join(base, way)
                shutil.rmtree(work, ignore_errors=True)
                os.makedirs(work)
                conftest = way in ("ftsan", "anchor-conftest")
                if way.startswith("ftsan"):
                    x = ftsan(numpy, module, a, work, conftest, a.budget if way == "ftsan-budget" else None)
                    # The anchor gets the same suppressions; without them it would not be the same de-noising.
                    supp = supp or x.get("supp")
                else:
                    # The merged suppressions of any ftsan run (the same file for every run).
                    supp = supp or next(iter(glob.glob(os.path.join(OUT, "**", "ftsan*", "reports", "latest",
                                                                    "suppressions.txt"), recursive=True)), None)
                    x = anchor(numpy, module, a, work, supp, tool, conftest)
                row = [time.strftime("%Y-%m-%d"), numpy, f"{len(a.modules)} modules" if a.together else module, way, str(a.threads), str(a.iterations), x["status"],
                       str(x.get("tests", "")), str(x.get("n", "")), str(len(x.get("known", []))) if "n" in x else "",
                       ",".join(x.get("known", [])), f"{x['cpu']:.1f}", f"{x['wall']:.1f}", cmd]
                with open(TSV, "a") as f:
                    f.write("\t".join(row) + "\n")
                print("\t".join(row[:13]), flush=True)


if __name__ == "__main__":
    main()
