"""`make run SCENARIO=...` (`python3 -m ftsan run`): check the scenario, get its toolchain (with
the packages it requires), build the harness and the scenario's compiled kernels, then run it;
with --minimize, the first finding's reproducers. The exit status is the harness's: 0 clean,
1 findings, 2 usage or scenario error, 3 infrastructure failure.

The front door of a run: make calls it, and so do the tools (harness.run, for every candidate,
batch and cell). Below it are only the leaf builders (toolchain/*.sh, each prints a path, through
ftsan/toolchain.py), the scenario tool and the harness; none of them calls back up, and each gets
named variables of this process's environment (harness.environ), never all of it. The
toolchain's variables (PY, SAN, NUMPY, NUMPY_SRC, PYDEBUG, PACKAGES, PY_SRC, PYTHON) are read
from the environment, as make exports them; the run's own settings are arguments."""
import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys

from . import Error, contract, harness, store, toolchain
from .harness import ROOT, atomic_write


def usage(message):
    """A bad value of the caller's: said the way the builders say it, exit 2, nothing run."""
    return Error(message, 2)


def positive(name):
    def check(v):
        if not re.fullmatch(r"[1-9][0-9]*", v):
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got '{v}'")
        return v
    return check


def natural(v):
    if not re.fullmatch(r"[0-9]+", v):
        raise argparse.ArgumentTypeError(f"SEED must be a non-negative integer, got '{v}'")
    return v


def pytest_scenario(spec, per, threads, reports):
    """PYTEST=<test file, directory or node id>: a scenario of those tests, written under the
    reports (a file of the checkout, or a path inside an installed package). Per test (the
    default), each test function is the first user of the package in its own process forked from
    a server that collected them all once, at 4 threads and at 2 (THREADS: at that count only),
    then against another test of its module (pairs); of a directory's slow tests one in four. One
    run a group of the plan (no `runs`)."""
    name = "pytest-" + re.sub(r"[^A-Za-z0-9_-]+", "_", os.path.basename(spec.split("::")[0]).removesuffix(".py"))[:60]
    q = json.dumps  # a JSON string is a YAML scalar
    slow = 4 if os.path.isdir(spec) or not spec.split("::")[0].endswith(".py") else 1
    text = (f"# Written by make run PYTEST={spec}: every test called by all threads at once.\n"
            f"name: {name}\nsummary: {q('pytest ' + spec + ' on native threads')}\n"
            "requires: {packages: {pytest: \"*\", pytest-run-parallel: \"==0.10.0\"}}\n"
            f"threads: {threads or 4}\niterations: 1\ntimeout: 600\n"
            f"pytest: {{tests: [{q(spec)}], per: {per}"
            + (f", threads: [{threads or '4, 2'}], roles: pairs, slow: {slow}" if per != "module" else "") + "}\n")
    out = os.path.join(reports, "pytest")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name + ".yaml")
    atomic_write(path, text)
    return path


def scenario_file(scn):
    """A SCENARIO as make takes it: a name under scenarios/, or a path; the path relative to the
    checkout when it is inside it (that name appears in tracebacks and reports)."""
    names = " ".join(sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "scenarios")) if f.endswith(".yaml")))
    if not scn:
        raise usage(f"which scenario? make run SCENARIO=<name or path to a .yaml> (names: {names} )")
    if "/" not in scn and not scn.endswith(".yaml"):
        if not os.path.isfile(os.path.join(ROOT, "scenarios", scn + ".yaml")):
            raise usage(f"no scenario '{scn}' in scenarios/ (names: {names} )")
        scn = os.path.join(ROOT, "scenarios", scn + ".yaml")
    if not os.path.isfile(scn):
        raise usage(f"SCENARIO '{scn}' does not exist")
    scn = os.path.realpath(scn)
    rel = os.path.relpath(scn, ROOT)
    return scn if rel.startswith("..") else rel


def by_design_words(breaks):
    """The judgement in words, for the reports: which role's line does what the contract leaves to
    the caller."""
    c = contract.Contract.load(breaks[0]["module"])
    what = "; ".join(f"role `{b['role']}` line {b['line']}: `{b['code']}` ({b['rule']})" for b in breaks[:6])
    more = f" and {len(breaks) - 6} more" if len(breaks) > 6 else ""
    rules = "; ".join(dict.fromkeys(c.rule(b["rule"])["what"] for b in breaks))
    docs = ", ".join(dict.fromkeys(c.rule(b["rule"])["doc"] for b in breaks if c.rule(b["rule"]).get("doc")))
    return (f"the roles do what {c.module}'s thread-safety contract leaves to the caller ({rules}): {what}{more}. "
            f"See {docs} and known/contracts.json.")


def record(report_dir, origin):
    """The run into the findings store (ftsan/store.py). The report is written before and kept
    whatever happens here: a store that cannot be written is said, with the command that records
    the report later, and the run's own exit status stands."""
    if origin == "none":
        return
    try:
        with store.Store() as s:
            s.record(report_dir, origin)
    except Error as e:
        print(f"ftsan run: error: not recorded: {e}\n  the report is kept; record it later with "
              f"python3 -m ftsan findings import {shlex.quote(report_dir)}", file=sys.stderr)


def supervise(argv, env):
    """The harness in the foreground, its exit status. An interrupt is the harness's to answer
    (it stops its runs and writes what it has): SIGINT and SIGTERM sent to this process are
    passed on to it (from a terminal it has them already; a second one changes nothing), and
    this waits for it rather than killing it, as subprocess.run would."""
    p = subprocess.Popen(argv, env=env)
    old = {s: signal.signal(s, lambda signum, frame: p.send_signal(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return p.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m ftsan run", description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", help="a name under scenarios/ or a path to a .yaml")
    ap.add_argument("--pytest", help="a test file, directory or node id, run as a scenario (instead of one)")
    ap.add_argument("--pytest-per", choices=("module", "test", "case"), default="test")
    ap.add_argument("--catalog", help="the known issues to match findings against (default known/catalog.json)")
    ap.add_argument("--group", choices=("races", "none"),
                    help="races (default): data races sharing a frame or memory are one finding; none: one a signature")
    for v in ("threads", "iterations", "runs", "jobs", "timeout"):
        ap.add_argument(f"--{v}", type=positive(v.upper()))
    ap.add_argument("--process", choices=("fork", "fresh"))
    ap.add_argument("--seed", type=natural)
    ap.add_argument("--minimize", action="store_true", help="then minimize the first finding")
    ap.add_argument("--budget", type=positive("BUDGET"),
                    help="seconds: with --minimize the minimization's; else the runs' (none starts after it)")
    ap.add_argument("--record", choices=store.ORIGINS + ("none",),
                    help="what the run is to the findings store (default run, pytest for --pytest); none: not recorded")
    ap.add_argument("--dry-run", action="store_true",
                    help="check, build what is missing, print the harness's command line, run nothing")
    a = ap.parse_args(argv)
    reports = os.environ.get("FTSAN_REPORTS") or "reports"

    scn = a.scenario
    if a.pytest:
        if scn:
            raise usage("give SCENARIO or PYTEST, not both")
        scn = pytest_scenario(a.pytest, a.pytest_per, a.threads, reports)
    scn = scenario_file(scn)
    catalog = os.path.abspath(a.catalog) if a.catalog else None
    if catalog and not os.path.isfile(catalog):
        raise usage(f"CATALOG '{a.catalog}' does not exist")
    # From here on the working directory is the checkout.
    os.chdir(ROOT)
    args = [x for v in ("threads", "iterations", "runs", "jobs", "timeout", "process", "seed")
            if getattr(a, v) is not None for x in (f"--{v}", getattr(a, v))]
    args += ["--catalog", catalog] if catalog else []
    args += ["--group", a.group] if a.group else []
    args += ["--budget", a.budget] if a.budget and not a.minimize else []

    harness.scntool("check", scn)   # a bad scenario stops here, exit 2, before any build
    san = os.environ.get("SAN") or "tsan"
    sans = harness.scntool("sanitizers", scn).split()
    if san not in sans:
        raise usage(f"scenario {os.path.basename(scn)} is not meant for SAN={san} (its sanitizers: {' '.join(sans)})")
    # Each requirement once: a caller that passes an environment's packages (the minimizer)
    # names the scenario's again, and a doubled word would be another environment's key.
    packages = list(dict.fromkeys((os.environ.get("PACKAGES") or "").split() + harness.scntool("packages", scn).split()))
    tc = toolchain.resolve(packages, harness.scntool("sources", scn).split())
    binary = tc.harness_binary()
    kernels, preload = tc.kernels(scn)

    run_env = harness.environ("system", "run")
    if preload:   # the harness puts these in LD_PRELOAD of the runs only, not of itself
        run_env["FTSAN_PRELOAD"] = ":".join(preload)
    # pytest mode: the plugin (harness/python) on the runs' sys.path, and a run per group of the
    # tests' plan unless RUNS says otherwise: counted by the fork server once it has collected
    # them, or for fresh processes by the plugin in the toolchain's interpreter beforehand.
    doc = json.loads(harness.scntool("json", scn))
    spec = doc.get("pytest")
    # roles that do what a library leaves to its caller: their findings are by design (report.md)
    breaks = contract.judge_scenario(doc)
    if breaks:
        args += ["--by-design", by_design_words(breaks)]
    if spec:
        kernels.append(os.path.join(ROOT, "harness", "python"))
        if a.runs is None and (a.process or doc.get("process")) == "fresh":
            spec = dict(spec, threads=[int(a.threads)] if a.threads else spec["threads"])
            argv = tc.argv([tc.python, "-m", "ftsan_pytest", "count", json.dumps(spec)])
            r = subprocess.run(argv, stdout=subprocess.PIPE, text=True, env=tc.process_env(kernels=kernels, quiet=True))
            if r.returncode != 0 or not r.stdout.strip():
                raise usage(f"cannot find the tests of {os.path.basename(scn)} ({' '.join(spec['tests'])})")
            args += ["--runs", r.stdout.strip()]
    if kernels:
        # The harness puts FTSAN_KERNELS on sys.path; PYTHONPATH carries them into the ordinary
        # Python processes a scenario starts (multiprocessing, joblib's workers).
        run_env["FTSAN_KERNELS"] = ":".join(kernels)
        run_env["PYTHONPATH"] = ":".join(kernels + ([run_env["PYTHONPATH"]] if run_env.get("PYTHONPATH") else []))
    argv = tc.argv([binary, "run", "--toolchain", tc.json_path, "--reports", reports, *args, scn])
    if a.dry_run:
        print(shlex.join(argv))
        return 0
    rc = supervise(argv, run_env)
    if rc < 0:
        raise Error(f"the harness was {harness.ended(rc)} while running {scn}", 3)
    if rc in (0, 1):
        record(os.path.realpath(os.path.join(reports, harness.layout("latest"))),
               a.record or ("pytest" if a.pytest else "run"))
    # --minimize: the findings' reproducers, the first finding first (see ftsan/minimize.py).
    if a.minimize and rc == 1:
        from . import minimize
        try:
            minimize.main((["--budget", a.budget] if a.budget else [])
                          + [os.path.realpath(os.path.join(reports, harness.layout("latest")))])
        except Error as e:
            print(f"ftsan minimize: error: {e}", file=sys.stderr)
    return rc
