"""The one way the tools run a scenario and read what it left, and the scenario tool (scntool,
the harness's own loader) that answers every question about a scenario, so no Python code
reads or writes scenario YAML itself."""
import functools
import importlib.util
import json
import math
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from . import Error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where reports go: FTSAN_REPORTS, as for `make run`, else the checkout's reports/.
REPORTS = os.path.abspath(os.environ.get("FTSAN_REPORTS") or os.path.join(ROOT, "reports"))


class Budget(Exception):
    """The deadline of a bounded run passed; the run was stopped."""


def atomic_write(path, text):
    """text into path through a temporary file and a rename: readers see the old or the new."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def bounded(argv, deadline=math.inf, **kw):
    """subprocess.run in a session of its own, stopped when the deadline (time.monotonic) passes
    or this process is interrupted: SIGTERM to its group, which the harness answers by stopping
    its runs and writing what it has; SIGKILL 15 s later. Raises Budget at the deadline."""
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    try:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Budget()
        try:
            out, err = p.communicate(timeout=left if math.isfinite(left) else None)
        except subprocess.TimeoutExpired:
            raise Budget() from None
        return subprocess.CompletedProcess(argv, p.returncode, out, err)
    finally:
        if p.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(p.pid, sig)
                    p.wait(timeout=wait)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue


@dataclass
class Run:
    """One `make run` and what it left. A run that failed to run (exit 2 or 3, or no report)
    has report None: an error, never a clean run."""
    exit: int
    seconds: float
    stderr: str
    dir: str = None          # reports/<run>, when it got that far
    report: dict = None      # its report.json
    run_json: dict = field(default=None, repr=False)

    @property
    def ok(self):
        return self.report is not None

    def error(self, what):
        """An Error saying that what could not be run, with the end of its output."""
        return Error(f"{what} could not be run (exit {self.exit}):\n{self.stderr[-3000:]}")


def run(scenario, reports, deadline=math.inf, **make_vars):
    """toolchain/run.sh, as `make run` calls it: the toolchain the variables name (SAN, NUMPY,
    PY, PYDEBUG, PACKAGES, RUNS, ...; a value None leaves the caller's environment's) built or
    reused, then the harness; its reports into reports/. Raises Budget past the deadline."""
    env = dict(os.environ, SCENARIO=scenario, FTSAN_REPORTS=reports)
    env.update({k: str(v) for k, v in make_vars.items() if v is not None})
    t0 = time.monotonic()
    r = bounded(["bash", "toolchain/run.sh"], deadline, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True)
    out = Run(exit=r.returncode, seconds=time.monotonic() - t0, stderr=r.stderr)
    latest = os.path.join(reports, layout("latest"))
    if r.returncode in (0, 1) and os.path.exists(os.path.join(latest, layout("report_json"))):
        out.dir = os.path.realpath(latest)
        out.report = read_json(out.dir, "report_json")
        out.run_json = read_json(out.dir, "run_json")
    return out


@functools.lru_cache(maxsize=None)
def _layout():
    return json.loads(scntool("layout"))


def layout(name):
    """A file name of the report and evidence layout (harness/layout.h, through the scenario
    tool): layout("report_json") is "report.json"."""
    return _layout()[name]


def read_json(directory, name):
    """A JSON file of the layout (layout(name)) in directory."""
    with open(os.path.join(directory, layout(name))) as f:
        return json.load(f)


@functools.lru_cache(maxsize=None)
def scntool_path():
    """The scenario tool, built when stale: looked up once per process."""
    r = subprocess.run(["bash", "toolchain/scntool.sh"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise Error(f"cannot build the scenario tool:\n{r.stderr[-2000:]}")
    return r.stdout.strip()


def scntool(*args, input=None):
    """scntool's output for args; a scenario it rejects is an Error with its message (exit 2)."""
    r = subprocess.run([scntool_path(), *args], cwd=ROOT, capture_output=True, text=True, input=input)
    if r.returncode != 0:
        raise Error(r.stderr.strip().removeprefix("harness: error: "), 2 if r.returncode == 2 else 3)
    return r.stdout


def scntool_lines(*args):
    """scntool's output as lists of words, a list a line."""
    return [line.split() for line in scntool(*args).splitlines() if line.strip()]


def scenario_path(name):
    """A scenario argument as make takes it: a path (with a '/' or ending in .yaml), or a name
    under scenarios/."""
    return name if "/" in name or name.endswith(".yaml") else f"scenarios/{name}.yaml"


def expectation(scn, san, numpy, pins):
    """The outcome the scenario expects on these versions: found, clean or none (the first of
    its `expect:` entries whose ranges all match, as the scenario tool evaluates them)."""
    return scntool_lines("expect", scn, san, numpy, pins or "-")[0][0]


def pypi():
    """toolchain/pypi.py: the package index as the toolchain reads it."""
    spec = importlib.util.spec_from_file_location("ftsan_pypi", os.path.join(ROOT, "toolchain", "pypi.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def newest_numpy():
    return pypi().releases("numpy")[-1]
