"""`make minimize REPORT=...` (`python3 -m ftsan minimize`): shrink a finding's scenario to the smallest one
that still shows the same signature, and write repro.py, repro.yaml and their measured rates next
to the finding.

Races are flaky, so the oracle is statistical: the original's reproduction rate is measured in
fresh runs first; each candidate then gets enough runs that a candidate which still reproduces
at that rate is wrongly rejected with probability under 1 %. Steps, each kept only when the
signature reappears: threads (halving, down to 2), iterations (down to 1), the statements of
setup and body (delta debugging on the Python AST of this very interpreter), integer literals
(halving: array lengths). A time budget bounds the whole; the best result so far is kept when it
runs out or the user interrupts.

Candidates run through `python3 -m ftsan run`, as `make run` does, on the toolchain of the
report; their scenario files are the original with the shrunk values set, written by the scenario tool
(`scntool emit`), so every other key (requires, sanitizers, references, expect, verify, keys yet
to come) is kept as written. They live in the report's own directory (minimize/), never among
the user's scenarios.
The budget bounds the wall time of the whole, the run in progress included: a candidate still
running when it is spent is stopped. SIGINT and SIGTERM stop it the same way, and what was
found so far is written."""
import argparse
import glob
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import Error, harness, toolchain
from .harness import ROOT, Budget, atomic_write, bounded, scntool

CONFIDENCE = 0.99          # a reproducing candidate is accepted with at least this probability
MAX_TRIES = 60             # above this many runs per candidate a finding is too flaky to shrink
RATE_RUNS = 20             # fresh runs for each published rate

# Run by the toolchain's own interpreter: the scenario's code is parsed by the Python it runs on.
AST_HELPER = r"""
import ast, json, sys
code = sys.stdin.read()
tree = ast.parse(code)
stmts = [ast.get_source_segment(code, s) for s in tree.body]
ints = [[n.lineno, n.col_offset, n.end_col_offset, n.value] for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and type(n.value) is int and n.value >= 4]
print(json.dumps({"statements": stmts, "ints": ints}))
"""


class Interrupted(Exception):
    pass


def _interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


class Minimizer:
    def __init__(self, report_dir, finding, budget):
        self.report_dir = report_dir
        self.run = harness.read_json(report_dir, "run_json")
        report = harness.read_json(report_dir, "report_json")
        found = [x for x in report["findings"] if finding in (None, x["id"])]
        if not found:
            raise Error(f"minimize: no finding {finding or ''} in {report_dir}", 2)
        self.finding = found[0]
        # The finding's signatures: a candidate reproduces when any of them comes out (races of
        # one bug are one finding, and which pair TSan prints first varies).
        self.sigs = {self.finding["signature"], *self.finding.get("also_seen_as", [])}
        self.scenario = self.run["scenario_path"]
        if not os.path.isabs(self.scenario):
            self.scenario = os.path.join(ROOT, self.scenario)
        self.start = time.monotonic()
        self.end = self.start + budget      # the whole, final rates included
        self.deadline = self.end            # the shrinking steps; lowered once a rate is known
        self.workdir = os.path.join(report_dir, "minimize")
        self.tries = 0
        self.log = []
        self.tc = None            # toolchain(), once a run has described it
        tc = self.run["toolchain"]
        packages = os.path.join(tc["prefix"], "packages.txt")
        self.make_vars = dict(SAN=tc["sanitizer"], NUMPY=tc.get("numpy_version") or "",
                              PACKAGES=open(packages).read().replace("\n", " ").strip() if os.path.exists(packages) else "")
        self.scratch = tempfile.mkdtemp(prefix="ftsan-min-")
        os.makedirs(self.workdir, exist_ok=True)
        self.link_builds(self.workdir)

    def link_builds(self, d):
        """The scenario's compiled sources (build: paths relative to the scenario file), linked
        into d at the same relative paths, so a candidate written there builds the same kernels."""
        for line in scntool("build", self.scenario).splitlines():
            kind, _, src = line.partition(" ")
            dst = os.path.join(d, src)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if not os.path.lexists(dst):
                os.symlink(os.path.join(os.path.dirname(self.scenario), src), dst)

    def same_bug(self, x):
        return bool(self.sigs & {x["signature"], *x.get("also_seen_as", [])})

    def toolchain(self):
        """The report's toolchain as it is described now (the runs made here described it
        again if its description was of an older layout), read once."""
        if self.tc is None:
            self.tc = toolchain.Toolchain.of(self.run["toolchain"]["prefix"])
        return self.tc
    # -- running candidates -------------------------------------------------------------------
    # The keys a step may change; everything else is the original's, as written.
    SHRUNK = ("name", "threads", "iterations", "timeout", "setup", "body")

    def scenario_text(self, c, doing="emitting a candidate"):
        """The candidate as YAML: the original scenario with the shrunk values set, emitted by the
        scenario tool (code as literal blocks). Its code goes to the tool in files, kept when the
        tool fails so that the command in the error can be run again."""
        sets = []
        d = tempfile.mkdtemp(prefix="ftsan-emit-")
        for key in self.SHRUNK:
            if c.get(key) is None:
                continue
            if key in ("setup", "body"):
                path = os.path.join(d, key)
                with open(path, "w") as f:
                    f.write(c[key])
                sets.append(f"{key}=@{path}")
            else:
                sets.append(f"{key}={c[key]}")
        text = scntool("emit", self.scenario, *sets, doing=doing)
        shutil.rmtree(d)
        return text

    def hits(self, c, runs, deadline=None):
        """In how many of `runs` fresh runs the finding's signature appeared."""
        deadline = self.deadline if deadline is None else deadline
        if time.monotonic() > deadline:
            raise Budget()
        self.tries += 1
        path = os.path.join(self.workdir, f"candidate-{self.tries:04d}.yaml")
        reports = os.path.join(self.scratch, str(self.tries))
        atomic_write(path, self.scenario_text(c))
        try:
            r = harness.run(path, reports, deadline, RECORD="none", RUNS=runs, **self.make_vars)
        finally:
            os.unlink(path)
        shutil.rmtree(reports, ignore_errors=True)
        if not r.ok:
            return 0        # a candidate that does not run does not reproduce
        return max((x["runs_hit"] for x in r.report["findings"] if self.same_bug(x)), default=0)

    def accept(self, c, what):
        ok = self.hits(c, self.k) > 0
        self.log.append({"step": what, "accepted": ok, "threads": c["threads"], "iterations": c["iterations"]})
        print(f"  {'kept   ' if ok else 'dropped'} {what}", flush=True)
        return ok

    # -- the steps ----------------------------------------------------------------------------
    def shrink_int(self, c, key, floor):
        while c[key] > floor:
            cand = dict(c, **{key: max(floor, c[key] // 2)})
            if not self.accept(cand, f"{key} {c[key]} -> {cand[key]}"):
                return c
            c = cand
        return c

    def ast_info(self, code):
        """Top-level statements and integer literals of code, from the toolchain's interpreter."""
        tc = self.toolchain()
        argv = tc.argv([tc.python, "-c", AST_HELPER])
        r = subprocess.run(argv, input=code or "", capture_output=True, text=True, env=tc.process_env(quiet=True))
        if r.returncode < 0:   # not code it cannot parse: the interpreter itself crashed
            raise harness.tool_error("the toolchain's interpreter", argv, r.returncode, r.stderr,
                                     "parsing the scenario's code")
        if r.returncode != 0:
            return {"statements": [code] if code else [], "ints": []}
        return json.loads(r.stdout)

    def statements(self, code):
        return self.ast_info(code)["statements"]

    def ddmin(self, c, key):
        """Delta debugging over the top-level statements of c[key]."""
        stmts = self.statements(c[key])
        n = 2
        while len(stmts) >= 2:
            chunk = math.ceil(len(stmts) / n)
            reduced = False
            for i in range(0, len(stmts), chunk):
                rest = stmts[:i] + stmts[i + chunk:]
                if not rest:
                    continue
                cand = dict(c, **{key: "\n".join(rest) + "\n"})
                if self.accept(cand, f"{key}: drop {len(stmts) - len(rest)} of {len(stmts)} statements"):
                    stmts, c, n, reduced = rest, cand, max(n - 1, 2), True
                    break
            if not reduced:
                if n >= len(stmts):
                    break
                n = min(len(stmts), n * 2)
        return c

    def shrink_literals(self, c, key):
        """Halve integer literals of 4 or more (array lengths, counts) while the finding stays."""
        if not c.get(key):
            return c
        # Last literal first, so the columns of the earlier ones stay valid as texts shrink.
        for lineno, col, end, value in sorted(self.ast_info(c[key])["ints"], reverse=True):
            while value >= 4:
                new = value // 2
                lines = c[key].splitlines(keepends=True)
                line = lines[lineno - 1]
                if line[col:end] != str(value):
                    break
                lines[lineno - 1] = line[:col] + str(new) + line[end:]
                cand = dict(c, **{key: "".join(lines)})
                if not self.accept(cand, f"{key}: literal {value} -> {new} (line {lineno})"):
                    break
                c, value, end = cand, new, col + len(str(new))
        return c

    # -- the whole ------------------------------------------------------------------------------
    def original(self):
        c = json.loads(scntool("json", self.scenario))
        c["threads"], c["iterations"] = self.run["threads"], self.run["iterations"]
        # A candidate that corrupts memory may hang instead of finishing: it gets a few times
        # what the report's slowest run that finished took, not the scenario's whole timeout.
        times = []
        evidence = os.path.join(self.report_dir, harness.layout("evidence"))
        for r in os.listdir(evidence):
            try:
                st = harness.read_json(os.path.join(evidence, r), "status")
                if not st["timed_out"] and not st.get("interrupted"):  # a run that finished
                    times.append(st["seconds"])
            except (OSError, ValueError, KeyError):
                pass
        if times:
            c["timeout"] = min(c["timeout"], max(30, int(5 * max(times)) + 1))
        return c

    def measure(self, c):
        """The rate of c in fresh runs, and from it the runs each candidate gets: with a
        pessimistic rate (as if the next two runs missed), a candidate reproducing that often is
        rejected with probability under 1 - CONFIDENCE."""
        t0 = time.monotonic()
        hits = self.hits(c, RATE_RUNS)
        # The final rates (repro.yaml under the harness, repro.py as its own processes) must fit
        # in the budget too: the shrinking steps stop early enough to leave them their time.
        self.deadline = min(self.deadline, self.end - 2.5 * (time.monotonic() - t0))
        p = hits / (RATE_RUNS + 2)
        if hits == 0:
            raise Error(f"minimize: the finding did not reappear in {RATE_RUNS} fresh runs; too flaky to minimize", 1)
        self.k = math.ceil(math.log(1 - CONFIDENCE) / math.log(1 - p))
        if self.k > MAX_TRIES:
            raise Error(f"minimize: found in {hits} of {RATE_RUNS} fresh runs; a candidate would need {self.k} runs: "
                        f"too flaky to minimize", 1)
        print(f"  found in {hits} of {RATE_RUNS} fresh runs: {self.k} run(s) per candidate", flush=True)
        return hits

    def shrink(self, best):
        """The steps, in order; returns (best so far, the original's rate, why it stopped early)."""
        base = None
        try:
            base = self.measure(best)
            best = self.shrink_int(best, "threads", 2)
            best = self.shrink_int(best, "iterations", 1)
            # Fewer threads and iterations usually mean a lower rate: measure again, so the
            # statement steps give each candidate enough runs.
            if best["threads"] != self.run["threads"] or best["iterations"] != self.run["iterations"]:
                self.measure(best)
            for key in ("setup", "body"):
                if best.get(key):
                    best = self.ddmin(best, key)
            for key in ("setup", "body"):
                best = self.shrink_literals(best, key)
        except Budget:
            return best, base, "the time budget ran out"
        except Interrupted as e:
            return best, base, f"interrupted ({e})"
        return best, base, None

    def main(self):
        self.orig = best = self.original()
        print(f"minimize: {self.finding['signature']}", flush=True)
        old = {sig: signal.signal(sig, _interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            best, base, stopped = self.shrink(best)
            self.write(best, base, self.start, stopped)
        finally:
            for sig, h in old.items():
                signal.signal(sig, h)
            shutil.rmtree(self.workdir, ignore_errors=True)

    def rate_of_program(self, best, prog_path, deadline):
        """repro.py run as its header tells a user to: its own process each time, under the
        toolchain's interpreter with the GIL off and the scenario's environment. A run shows the
        bug when its sanitizer output, signed as the harness signs runs (scntool sign), has one
        of the finding's signatures. None when the budget ran out before RATE_RUNS runs."""
        tc = self.toolchain()
        kernels, preload = tc.kernels(self.scenario)
        hits = 0
        for i in range(RATE_RUNS):
            logs = os.path.join(self.scratch, f"py-{i}")
            os.makedirs(logs, exist_ok=True)
            env = tc.process_env(logs, best.get("env"), kernels, preload)
            argv = tc.argv([tc.python, prog_path])
            try:
                with open(os.path.join(logs, "stderr"), "w") as err:
                    bounded(argv, min(deadline, time.monotonic() + best["timeout"]), cwd=logs, env=env,
                            stdout=subprocess.DEVNULL, stderr=err)
            except Budget:
                if time.monotonic() >= deadline:
                    return None
            signed = json.loads(scntool("sign", *glob.glob(os.path.join(logs, "*"))))
            if any(self.same_bug(x) for x in signed["findings"]):
                hits += 1
        return hits

    def write(self, best, base, t0, stopped):
        d = os.path.join(self.report_dir, harness.layout("findings"), self.finding["id"])
        os.makedirs(d, exist_ok=True)
        self.link_builds(d)
        yaml_path = os.path.join(d, "repro.yaml")
        best = dict(best, name=best["name"] + "_min")
        atomic_write(yaml_path, self.scenario_text(best, "emitting the reproducer"))
        prog = scntool("program", yaml_path)
        tc = self.run["toolchain"]
        prog_path = os.path.join(d, harness.layout("finding_py"))
        atomic_write(prog_path, prog)
        rate_yaml = rate_py = None
        if stopped is None or not stopped.startswith("interrupted"):
            try:
                rate_yaml = self.hits(best, RATE_RUNS, deadline=self.end)
                rate_py = self.rate_of_program(best, prog_path, self.end)
                if rate_py is None:   # the budget ran out among the program's runs
                    stopped = stopped or "the time budget ran out"
            except Budget:
                stopped = stopped or "the time budget ran out"
            except Interrupted as e:
                stopped = f"interrupted ({e})"
        header = self.header(best, tc, rate_py, rate_yaml)
        atomic_write(prog_path, header + prog)
        stmts = lambda c: sum(len(self.statements(c.get(k) or "")) for k in ("setup", "body"))
        before, after = stmts(self.orig), stmts(best)
        summary = {"finding": self.finding["id"], "signature": self.finding["signature"],
                   "original": {"rate": f"{base}/{RATE_RUNS}" if base is not None else None, "threads": self.run["threads"],
                                "iterations": self.run["iterations"], "statements": before},
                   "minimized": {"threads": best["threads"], "iterations": best["iterations"], "statements": after,
                                 "rate_yaml": f"{rate_yaml}/{RATE_RUNS}" if rate_yaml is not None else None,
                                 "rate_py": f"{rate_py}/{RATE_RUNS}" if rate_py is not None else None},
                   "runs_per_candidate": getattr(self, "k", None), "candidates": self.tries, "seconds": round(time.monotonic() - t0, 1),
                   "stopped": stopped, "steps": self.log}
        atomic_write(os.path.join(d, "minimize.json"), json.dumps(summary, indent=2) + "\n")
        self.embed(d, header + prog, rate_py, rate_yaml)
        print(f"minimize: {before} -> {after} statements, {self.run['threads']} -> "
              f"{best['threads']} threads, {self.run['iterations']} -> {best['iterations']} iterations in "
              f"{summary['seconds']} s{' (' + stopped + ')' if stopped else ''}\n"
              f"  repro.py: found in {rate_py} of {RATE_RUNS} fresh runs; repro.yaml: {rate_yaml} of {RATE_RUNS}\n"
              f"  {d}/repro.py", flush=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def header(self, best, tc, rate_py, rate_yaml):
        san = {"tsan": "ThreadSanitizer", "asan": "AddressSanitizer"}.get(tc["sanitizer"], "no sanitizer")
        of = lambda n: f"{n} of {RATE_RUNS}" if n is not None else "(not measured: the minimization was stopped)"
        return (f"# Reproducer: {self.finding['signature']}\n"
                f"# Shows with a free-threaded CPython {tc['version']} built with {san}"
                + (f" and NumPy {tc['numpy_version']} built with it" if tc.get("numpy_version") and tc["sanitizer"] != "none" else
                   f" and NumPy {tc.get('numpy_version')}" if tc.get("numpy_version") else "") + ".\n"
                + (f"# Expect a {self.finding['kind']} report naming it: found in {rate_py} of {RATE_RUNS} fresh runs of this\n"
                   f"# program (and in {of(rate_yaml)} runs of repro.yaml under the harness). Run it several\n"
                   f"# times: each run is a fresh process, and first calls are what race.\n" if rate_py else
                   f"# Plain threads did not show it: 0 of {RATE_RUNS} fresh runs of this program, against {of(rate_yaml)}\n"
                   f"# runs of repro.yaml under the harness, whose barrier does not order the threads'\n"
                   f"# first calls the way threading.Barrier does. Use repro.yaml: make run SCENARIO=<path to it>.\n"
                   if rate_py == 0 else
                   "# Rates not measured: the minimization was stopped before it could run this program.\n")
                + (f"# Environment: {' '.join(f'{k}={v}' for k, v in best['env'].items())}\n" if best.get("env") else "")
                + (f"# Preloaded: {', '.join(v for k, v in best['build'].items() if k == 'preload')} (see the scenario)\n"
                   if "preload" in (best.get("build") or {}) else "")
                + "#   PYTHON_GIL=0 python3.13t repro.py\n")

    def embed(self, d, program, rate_py, rate_yaml):
        """report.md's "Reproduce the code example" becomes repro.py and its rate."""
        path = os.path.join(d, harness.layout("finding_md"))
        if not os.path.exists(path):
            return
        md = open(path).read()
        head, sep, rest = md.partition("### Reproduce the code example:\n")
        _, sep2, tail = rest.partition("### Error message:")
        if not sep or not sep2:
            return
        rate = (f"found in {rate_py} of {RATE_RUNS} fresh runs of this program ({rate_yaml} of {RATE_RUNS} runs of the "
                f"minimized scenario, repro.yaml, under the harness)" if rate_py is not None and rate_yaml is not None
                else "its rates were not measured (the minimization was stopped)")
        body = f"\n```python\n{program}```\n\nMinimized by ftsan; {rate}.\n\n"
        atomic_write(path, head + sep + body + sep2 + tail)


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m ftsan minimize", description=__doc__.splitlines()[0])
    ap.add_argument("target", help="a report directory (reports/<run-id>) or a finding id")
    ap.add_argument("--finding", help="which finding of the report (default: the first)")
    ap.add_argument("--budget", type=float, default=600, help="seconds for the whole (default 600)")
    a = ap.parse_args(argv)
    target, finding = a.target, a.finding
    if not os.path.isdir(target):
        # A finding id: the newest report that has it.
        dirs = sorted((os.path.join(harness.REPORTS, r) for r in os.listdir(harness.REPORTS)),
                      key=os.path.getmtime, reverse=True)
        hits = [r for r in dirs if os.path.isdir(os.path.join(r, harness.layout("findings"), target))]
        if not hits:
            raise Error(f"minimize: no report under reports/ has finding {target}", 2)
        target, finding = hits[0], target
    Minimizer(os.path.abspath(target), finding, a.budget).main()
    return 0
