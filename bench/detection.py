#!/usr/bin/env python3
"""Detection benchmark: how often one invocation finds a race, and what it costs, three ways.

  (a) harness   one fresh run of the scenario (`make run ... RUNS=1`), as a user starts it;
  (b) plain     the scenario as a plain program (threading + Barrier, `scntool program`);
  (c) pytest    the scenario's body as a test under pytest-run-parallel, with --parallel-threads
                and --iterations equal to the scenario's (its `thread_index` and
                `iteration_index` fixtures are `tid` and `iteration`),
                setup at module level, run the way its documentation says: `pytest
                --parallel-threads=N --iterations=M`.

All three run on the same toolchain interpreter (same TSan CPython, same NumPy build, same
packages), with the same setarch handling, PYTHON_GIL=0 for (b) and (c) as the harness forces the
GIL off. Each invocation is a fresh process tree; its CPU time (user + system of everything it
started, from the kernel's accounting of waited-for children) and wall time are measured.

A hit is decided from structured evidence only: (a) report.json's findings; (b) and (c) the TSan
logs (log_path) signed exactly as the harness signs its runs (`scntool sign`). Either way a hit
is a data-race finding whose signature, or a signature of the same bug it was grouped with, names
the bug's function. An invocation that did not run (exit status other than 0, or TSan's 66 for
(b)/(c), or a worker thread of (b) that raised; for (a) anything but 0 or 1, a missing report.json,
or a run the harness could not run; for (c) pytest's JUnit XML not saying one test ran and passed; for any way, an invocation still running past
the scenario's timeout plus two minutes, then killed) is an error: counted and shown, never a miss.

Logs of every invocation stay under bench/out/<bug>/<way>/<n>/ (git-ignored). Rows are appended
to bench/detection.tsv (one per bug and way, with the command that produced them) and
bench/detection_invocations.tsv (one per invocation: outcome, CPU and wall seconds).

Usage: bench/detection.py [--invocations 20] [--bugs dlpack_race,...] [--ways harness,plain,pytest]
       bench/detection.py --table      (RESULTS.md's table, from the newest rows of detection.tsv)"""
import argparse
import datetime
import glob
import json
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the ftsan package: make run's variables as its front door's command line
from ftsan import toolchain  # noqa: E402
from ftsan.harness import run_command  # noqa: E402
OUT = os.path.join(ROOT, "bench", "out")
TSV = os.path.join(ROOT, "bench", "detection.tsv")
INVOCATIONS = os.path.join(ROOT, "bench", "detection_invocations.tsv")   # one row per invocation
PYTEST_PKGS = "pytest==9.0.3 pytest-run-parallel==0.10.0"

# bug: (scenario, NumPy version or "" for none, the function a hit names, what kind of race)
BUGS = {
    "dlpack_race": ("scenarios/dlpack_race.yaml", "2.2.5", "from_dlpack", "lazy initialisation (first call only)"),
    "strided_repeat": ("scenarios/strided_repeat.yaml", "2.2.2", "PyArray_Repeat", "shared scratch buffer (every call)"),
    "c_race": ("tests/e2e/scenarios/c_race.yaml", "", "lookup", "lazy initialisation in C (first call only)"),
    "counter_race": ("bench/scenarios/counter_race.yaml", "", "bump", "unsynchronised counter (every call)"),
}
WAYS = ("harness", "plain", "pytest")
# Runs the plain program unchanged and writes, once it returns, how many of its threads raised
# to ./raised (a file: TSan's exit status 66 would hide any exit status of ours).
PLAIN_RUNNER = ("import runpy, sys, threading\n"
                "raised = []\n"
                "threading.excepthook = lambda a: (raised.append(a), threading.__excepthook__(a))\n"
                "runpy.run_path(sys.argv[1], run_name='__main__')\n"
                "open('raised', 'w').write(f'{len(raised)}\\n')\n")


def sh(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, **kw)


def scntool():
    return sh(["bash", "toolchain/scntool.sh"], check=True).stdout.strip()


class Bug:
    def __init__(self, name, tool):
        self.name = name
        self.scn, self.numpy, self.fn, self.what = BUGS[name]
        self.tool = tool
        self.spec = json.loads(sh([tool, "json", self.scn], check=True).stdout)
        scn_pkgs = sh([tool, "packages", self.scn], check=True).stdout.split()
        # As the front door (ftsan/run.py) composes it: the user's packages, then the scenario's.
        self.packages = " ".join(PYTEST_PKGS.split() + scn_pkgs)
        # The toolchain and the kernels as the front door gets them (ftsan/toolchain.py).
        self.toolchain = toolchain.resolve(self.packages.split(), variables=dict(os.environ, SAN="tsan", NUMPY=self.numpy))
        self.python = self.toolchain.python
        self.tc = self.toolchain.to_dict()
        self.kernels, self.preload = self.toolchain.kernels(self.scn)
        self.work = os.path.join(OUT, name)
        os.makedirs(self.work, exist_ok=True)
        self.plain = os.path.join(self.work, "plain.py")
        with open(self.plain, "w") as f:
            f.write(sh([tool, "program", self.scn], check=True).stdout)
        self.test = os.path.join(self.work, "test_body.py")
        with open(self.test, "w") as f:
            f.write(self.pytest_file())

    def pytest_file(self):
        """Setup at module level (once per process, as the scenario's); the body as one test that
        pytest-run-parallel calls on every thread, --iterations times each."""
        s = self.spec
        body = "".join("    " + l + "\n" for l in s["body"].splitlines())
        return (f"seed, run = 0, 0\n{s['setup'] or ''}\n\n\n"
                "def test_body(thread_index, iteration_index):\n"
                "    tid, iteration = thread_index, iteration_index\n"
                f"{body}")

    def sanitizer_env(self, logs):
        """The plain program's and pytest's: as the minimizer runs repro.py (Toolchain.process_env)."""
        return self.toolchain.process_env(logs, self.spec.get("env"), self.kernels, self.preload)

    @staticmethod
    def raised(path):
        """How many threads of the plain program raised; None when it did not get to say."""
        try:
            return int(open(path).read())
        except (OSError, ValueError):
            return None

    @staticmethod
    def test_passed(junit):
        """pytest's own verdict, from its JUnit XML: one test ran and passed. TSan's exit status
        (66) hides pytest's, so a failing or uncollected test is caught here."""
        try:
            root = xml.etree.ElementTree.parse(junit).getroot()
        except (OSError, xml.etree.ElementTree.ParseError):
            return False
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        return (suite is not None and int(suite.get("tests", 0)) >= 1 and
                int(suite.get("failures", 0)) == 0 and int(suite.get("errors", 0)) == 0 and int(suite.get("skipped", 0)) == 0)

    def names_fn(self, findings):
        return any(f["kind"] == "data-race" and any(self.fn in s for s in [f["signature"], *f.get("also_seen_as", [])])
                   for f in findings)

    def invoke(self, way, i):
        """One invocation: (outcome, cpu seconds, wall seconds); outcome is hit, miss or error."""
        logs = os.path.join(self.work, way, f"{i:03d}")
        shutil.rmtree(logs, ignore_errors=True)
        os.makedirs(logs)
        pre = ["setarch", os.uname().machine, "-R"] if self.tc.get("setarch") else []
        s = self.spec
        if way == "harness":
            argv, env = run_command(dict(os.environ, SCENARIO=self.scn, SAN="tsan", NUMPY=self.numpy,
                                         PACKAGES=" ".join(PYTEST_PKGS.split()), RUNS="1",
                                         FTSAN_REPORTS=os.path.join(logs, "reports")))
            cwd = ROOT
        elif way == "plain":
            # The program as it is; a worker's exception (which threading only prints) is
            # recorded through threading.excepthook and makes the invocation an error.
            env, cwd = self.sanitizer_env(logs), logs
            argv = pre + [self.python, "-c", PLAIN_RUNNER, self.plain]
        else:
            env = self.sanitizer_env(logs)
            argv = pre + [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"--parallel-threads={s['threads']}", f"--iterations={s['iterations']}",
                          f"--junitxml={os.path.join(logs, 'junit.xml')}", self.test]
            cwd = logs
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        with open(os.path.join(logs, "output.txt"), "w") as out:
            p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                # The scenario's run timeout, plus the harness's own start-up for (a), which
                # applies its own timeout inside.
                rc = p.wait(timeout=s["timeout"] + 120)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                rc = "timeout"
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with open(os.path.join(logs, "exit"), "w") as f:
            f.write(f"{rc}\n")
        if way == "harness":
            rep = os.path.join(logs, "reports", "latest", "report.json")
            if rc not in (0, 1) or not os.path.exists(rep):
                return "error", cpu, wall
            rep = json.load(open(rep))
            if rep["runs"]["failed"] or rep["runs"]["done"] != 1:
                return "error", cpu, wall
            return ("hit" if self.names_fn(rep["findings"]) else "miss"), cpu, wall
        if rc not in (0, 66) or (way == "pytest" and not self.test_passed(os.path.join(logs, "junit.xml"))) or \
                (way == "plain" and self.raised(os.path.join(logs, "raised")) != 0):
            return "error", cpu, wall
        tsan = glob.glob(os.path.join(logs, "tsan.*"))
        signed = sh([self.tool, "sign", *tsan]) if tsan else None
        if signed is not None and signed.returncode != 0:
            return "error", cpu, wall
        findings = json.loads(signed.stdout)["findings"] if signed else []
        return ("hit" if self.names_fn(findings) else "miss"), cpu, wall


def quantile(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarize(rows):
    """Per-invocation rate over the invocations that ran, and CPU seconds to first detection: a
    user reruns until a hit, so the waits are the CPU spent from one hit to the next."""
    ran = [r for r in rows if r[0] != "error"]
    hits = sum(r[0] == "hit" for r in rows)
    waits, acc = [], 0.0
    for outcome, cpu, _ in rows:
        acc += cpu
        if outcome == "hit":
            waits.append(acc)
            acc = 0.0
    total = sum(r[1] for r in rows)
    return {
        "invocations": len(rows), "hits": hits, "misses": sum(r[0] == "miss" for r in rows),
        "errors": len(rows) - len(ran), "rate": f"{hits / len(ran):.2f}" if ran else "-",
        "cpu_s": f"{statistics.mean(r[1] for r in rows):.1f}", "wall_s": f"{statistics.mean(r[2] for r in rows):.1f}",
        "ttd_median": f"{statistics.median(waits):.1f}" if waits else f">{total:.0f} (never)",
        "ttd_p90": f"{quantile(waits, 0.9):.1f}" if waits else f">{total:.0f} (never)",
    }


COLUMNS = ("date", "bug", "numpy", "way", "invocations", "hits", "misses", "errors", "rate", "cpu_s", "wall_s",
           "ttd_median", "ttd_p90", "command")


def table():
    """The newest row of each bug and way in detection.tsv, as the Markdown table of RESULTS.md."""
    rows = {}
    with open(TSV) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[(r["bug"], r["way"])] = r
    out = ["| bug (NumPy) | race | way | hits / ran | errors | per invocation | CPU s per invocation | "
           "CPU s to first detection, median / p90 |", "|---|---|---|---|---|---|---|---|"]
    for bug in BUGS:
        for way in WAYS:
            r = rows.get((bug, way))
            if r:
                ran = int(r["invocations"]) - int(r["errors"])
                out.append(f"| {bug} ({r['numpy']}) | {BUGS[bug][3]} | {way} | {r['hits']}/{ran} | {r['errors']} | "
                           f"{r['rate']} | {r['cpu_s']} | {r['ttd_median']} / {r['ttd_p90']} |")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invocations", type=int, default=20)
    ap.add_argument("--bugs", default=",".join(BUGS))
    ap.add_argument("--ways", default=",".join(WAYS))
    ap.add_argument("--table", action="store_true", help="print RESULTS.md's table from detection.tsv, run nothing")
    a = ap.parse_args()
    if a.table:
        return table()
    tool = scntool()
    command = "bench/detection.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    if not os.path.exists(TSV):
        with open(TSV, "w") as f:
            f.write("\t".join(COLUMNS) + "\n")
    for name in a.bugs.split(","):
        bug = Bug(name, tool)
        for way in a.ways.split(","):
            rows = []
            for i in range(1, a.invocations + 1):
                rows.append(bug.invoke(way, i))
                print(f"[detection] {name} {way} {i}/{a.invocations}: {rows[-1][0]} ({rows[-1][1]:.1f} s CPU)", flush=True)
            with open(os.path.join(bug.work, way, "rows.tsv"), "w") as f:
                f.writelines(f"{o}\t{c:.2f}\t{w:.2f}\n" for o, c, w in rows)
            new = not os.path.exists(INVOCATIONS)
            with open(INVOCATIONS, "a") as f:
                if new:
                    f.write("date\tbug\tnumpy\tway\tinvocation\toutcome\tcpu_s\twall_s\n")
                f.writelines(f"{datetime.date.today().isoformat()}\t{name}\t{bug.numpy or 'none'}\t{way}\t{k}\t{o}\t{c:.2f}\t{w:.2f}\n"
                             for k, (o, c, w) in enumerate(rows, 1))
            s = summarize(rows)
            row = dict(s, date=datetime.date.today().isoformat(), bug=name, numpy=bug.numpy or "none", way=way,
                       command=command)
            with open(TSV, "a") as f:
                f.write("\t".join(str(row[c]) for c in COLUMNS) + "\n")
            print("\t".join(str(row[c]) for c in COLUMNS[1:-1]), flush=True)


if __name__ == "__main__":
    main()
