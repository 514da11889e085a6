"""`make run SCENARIO=...` (`python3 -m ftsan run`): check the scenario, get its toolchain (with
the packages it requires), build the harness and the scenario's compiled kernels, then run it;
with --minimize, the first finding's reproducers. The exit status is the harness's: 0 clean,
1 findings, 2 usage or scenario error, 3 infrastructure failure.

The front door of a run: make calls it, and so do the tools (harness.run, for every candidate,
batch and cell). Below it are only the leaf builders (toolchain/*.sh, each prints a path), the
scenario tool and the harness; none of them calls back up. The toolchain's variables (PY, SAN,
NUMPY, NUMPY_SRC, PYDEBUG, PACKAGES, PY_SRC, PYTHON) are read from the environment, as make
exports them; the run's own settings are arguments."""
import argparse
import json
import os
import re
import signal
import subprocess
import sys

from . import Error, harness
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


def pytest_scenario(spec, per, reports):
    """PYTEST=<test file, directory or node id>: a scenario of those tests, written under the
    reports (a file of the checkout, or a path inside an installed package)."""
    name = "pytest-" + re.sub(r"[^A-Za-z0-9_-]+", "_", os.path.basename(spec.split("::")[0]).removesuffix(".py"))[:60]
    q = json.dumps  # a JSON string is a YAML scalar
    text = (f"# Written by make run PYTEST={spec}: every test called by all threads at once.\n"
            f"name: {name}\nsummary: {q('pytest ' + spec + ' on native threads')}\n"
            "requires: {packages: {pytest: \"*\", pytest-run-parallel: \"==0.10.0\"}}\n"
            f"threads: 4\niterations: 1\nruns: 1\ntimeout: 600\npytest: {{tests: [{q(spec)}], per: {per}}}\n")
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


def builder(argv, env, what):
    """A leaf builder's printed path (its last line); its progress goes to the user's stderr. A
    failure ends the run with the builder's status (2: a bad value, 3: a build that failed)."""
    r = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Error(f"{what} failed ({harness.ended(r.returncode, shell=True)})", 2 if r.returncode == 2 else 3)
    lines = r.stdout.strip().splitlines()
    if not lines:
        raise Error(f"{what} printed no path", 3)
    return lines[-1]


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
    ap.add_argument("--pytest-per", choices=("module", "test"), default="module")
    for v in ("threads", "iterations", "runs", "jobs", "timeout"):
        ap.add_argument(f"--{v}", type=positive(v.upper()))
    ap.add_argument("--process", choices=("fork", "fresh"))
    ap.add_argument("--seed", type=natural)
    ap.add_argument("--minimize", action="store_true", help="then minimize the first finding")
    ap.add_argument("--budget", type=float, help="seconds for the minimization")
    a = ap.parse_args(argv)
    reports = os.environ.get("FTSAN_REPORTS") or "reports"

    scn = a.scenario
    if a.pytest:
        if scn:
            raise usage("give SCENARIO or PYTEST, not both")
        scn = pytest_scenario(a.pytest, a.pytest_per, reports)
    scn = scenario_file(scn)
    # From here on the working directory is the checkout.
    os.chdir(ROOT)
    args = [x for v in ("threads", "iterations", "runs", "jobs", "timeout", "process", "seed")
            if getattr(a, v) is not None for x in (f"--{v}", getattr(a, v))]

    harness.scntool("check", scn)   # a bad scenario stops here, exit 2, before any build
    san = os.environ.get("SAN") or "tsan"
    sans = harness.scntool("sanitizers", scn).split()
    if san not in sans:
        raise usage(f"scenario {os.path.basename(scn)} is not meant for SAN={san} (its sanitizers: {' '.join(sans)})")
    # Each requirement once: a caller that passes an environment's packages (the minimizer)
    # names the scenario's again, and a doubled word would be another environment's key.
    packages = list(dict.fromkeys((os.environ.get("PACKAGES") or "").split() + harness.scntool("packages", scn).split()))
    env = harness.environ()
    env.update(PACKAGES=" ".join(packages), PACKAGES_FROM_SOURCE=" ".join(harness.scntool("sources", scn).split()))

    python = builder(["bash", "toolchain/toolchain.sh"], env, "the toolchain")
    tcjson = os.path.join(os.path.dirname(os.path.dirname(python)), "toolchain.json")
    binary = builder(["bash", "toolchain/harness.sh", tcjson], env, "the harness's build")
    kernels, preload = [], []
    for line in harness.scntool("build", scn).splitlines():
        kind, _, src = line.partition(" ")
        if not kind:
            continue
        d = builder(["bash", "toolchain/kernel.sh", tcjson, kind, os.path.join(os.path.dirname(scn), src)], env,
                    f"the {kind} kernel {src}")
        if kind == "preload":
            preload.append(os.path.join(d, os.path.splitext(os.path.basename(src))[0] + ".so"))
        else:
            kernels.append(d)

    run_env = dict(env)
    if preload:   # the harness puts these in LD_PRELOAD of the runs only, not of itself
        run_env["FTSAN_PRELOAD"] = ":".join(preload)
    # pytest mode: the plugin (harness/python) on the runs' sys.path, and a run per test module
    # (or test) unless RUNS says otherwise, counted by the plugin in the toolchain's interpreter.
    spec = json.loads(harness.scntool("json", scn)).get("pytest")
    if spec:
        kernels.append(os.path.join(ROOT, "harness", "python"))
        if a.runs is None:
            r = subprocess.run([python, "-m", "ftsan_pytest", "count", "--per", spec["per"], *spec["tests"]],
                               stdout=subprocess.PIPE, text=True,
                               env=dict(run_env, TSAN_OPTIONS="report_bugs=0", PYTHONPATH=":".join(kernels)))
            if r.returncode != 0 or not r.stdout.strip():
                raise usage(f"cannot find the tests of {os.path.basename(scn)} ({' '.join(spec['tests'])})")
            args += ["--runs", r.stdout.strip()]
    if kernels:
        # The harness puts FTSAN_KERNELS on sys.path; PYTHONPATH carries them into the ordinary
        # Python processes a scenario starts (multiprocessing, joblib's workers).
        run_env["FTSAN_KERNELS"] = ":".join(kernels)
        run_env["PYTHONPATH"] = ":".join(kernels + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    with open(tcjson) as f:
        pre = ["setarch", os.uname().machine, "-R"] if json.load(f).get("setarch") else []
    rc = supervise(pre + [binary, "run", "--toolchain", tcjson, "--reports", reports, *args, scn], run_env)
    if rc < 0:
        raise Error(f"the harness was {harness.ended(rc)} while running {scn}", 3)
    # --minimize: the findings' reproducers, the first finding first (see ftsan/minimize.py).
    if a.minimize and rc == 1:
        from . import minimize
        try:
            minimize.main((["--budget", str(a.budget)] if a.budget else [])
                          + [os.path.realpath(os.path.join(reports, harness.layout("latest")))])
        except Error as e:
            print(f"ftsan minimize: error: {e}", file=sys.stderr)
    return rc
