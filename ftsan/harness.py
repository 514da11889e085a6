"""The one way the tools run a scenario and read what it left, and the scenario tool (scntool,
the harness's own loader) that answers every question about a scenario, so no Python code
reads or writes scenario YAML itself."""
import functools
import importlib.util
import json
import math
import os
import shlex
import signal
import subprocess
import sys
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


def ended(returncode, shell=False):
    """How a process ended, in words: "exit 3", or "killed by SIGSEGV" for a negative returncode
    (subprocess's way of saying a signal ended it) or, when a bash script ran it (shell), for
    128 + the signal's number (bash's way)."""
    sig = -returncode if returncode < 0 else returncode - 128 if shell and 128 < returncode <= 128 + 64 else 0
    if not sig:
        return f"exit {returncode}"
    try:
        return f"killed by {signal.Signals(sig).name}"
    except ValueError:
        return f"killed by signal {sig}"


def tool_error(tool, argv, returncode, stderr, doing, shell=False):
    """The Error of a tool that did not succeed (the scenario tool, a builder, the toolchain's
    interpreter): a usage error (exit 2) is its own message; anything else names the tool, how it
    ended (a signal by name), what it was doing and its command, then its message if it left one.
    Never an empty error: a crash gave no message of its own."""
    msg = (stderr or "").strip().removeprefix("harness: error: ")
    if returncode == 2 and msg:
        return Error(msg, 2)
    how = ended(returncode, shell)
    text = (f"{tool} was {how}" if how.startswith("killed") else f"{tool} failed ({how})") + \
        f" while {doing}; its command: {shlex.join(argv)}"
    return Error(text + (f"\n{msg[-3000:]}" if msg else ""), 2 if returncode == 2 else 3)


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
        return Error(f"{what} could not be run ({ended(self.exit)}):\n{self.stderr[-3000:]}")


# The front door's own variables, make run's: they never reach a builder, the harness or its
# runs (a MINIMIZE=1 that reached the runs of the minimizer's candidates started a minimizer in
# each).
OWN_VARS = ("SCENARIO", "PYTEST", "PYTEST_PER", "CATALOG", "GROUP", "THREADS", "ITERATIONS", "RUNS", "JOBS", "SEED",
            "TIMEOUT", "PROCESS", "MINIMIZE", "BUDGET", "DRY_RUN", "RECORD")
# Those of them that are the front door's options, by name (PYTEST_PER is --pytest-per).
RUN_OPTIONS = ("PYTEST", "PYTEST_PER", "CATALOG", "GROUP", "THREADS", "ITERATIONS", "RUNS", "JOBS", "TIMEOUT", "PROCESS",
               "SEED", "BUDGET", "RECORD")
# The variables that choose a toolchain (make exports them; see toolchain/toolchain.sh).
TOOLCHAIN_VARS = ("PY", "PY_SRC", "PYTHON", "SAN", "NUMPY", "NUMPY_SRC", "SRC", "PYDEBUG", "PACKAGES", "PACKAGES_FROM_SOURCE",
                  "SELFCHECK", "COVERAGE")

# What a child gets of its caller's environment: named variables only, never the whole of it. By
# kind, (names, prefixes):
PASSED = {
    # every child: where programs, home, locale, temporary files, certificates and proxies are
    "system": (("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR",
                "XDG_CACHE_HOME", "SOURCE_DATE_EPOCH", "CI", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY",
                "HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"), ("LC_",)),
    # the builders: the toolchain's variables, the cache, the Debian mirror, the compiler, pip's settings
    "build": (TOOLCHAIN_VARS + ("FTSAN_CACHE", "FTSAN_DEBIAN_MIRROR", "CC_FTSAN"), ("PIP_",)),
    # the harness and its runs: the user's sanitizer options, Python's settings, thread pools and
    # the stack's own settings, the preloaded libraries, the project's variables (FTSAN_*)
    "run": (("LD_PRELOAD", "LD_LIBRARY_PATH"),
            ("TSAN_", "ASAN_", "UBSAN_", "LSAN_", "PYTHON", "FTSAN_", "OPENBLAS_", "GOTO_", "OMP_", "MKL_", "BLIS_",
             "NPY_", "NUMPY_", "SCIPY_", "JOBLIB_", "LOKY_")),
}


def environ(*kinds, base=None):
    """The variables of base (this process's environment) that children of those kinds get
    (PASSED): never the front door's own (OWN_VARS), and for "run" alone never the toolchain's
    (they choose an interpreter, not what a run does)."""
    base = os.environ if base is None else base
    names = {n for k in kinds for n in PASSED[k][0]}
    prefixes = tuple(p for k in kinds for p in PASSED[k][1])
    out = {k: v for k, v in base.items() if k not in OWN_VARS and (k in names or k.startswith(prefixes))}
    if "build" not in kinds:
        out = {k: v for k, v in out.items() if k not in TOOLCHAIN_VARS}
    return out


def run_command(variables):
    """make run's variables (a mapping: SCENARIO, RUNS, MINIMIZE=1, ... and the toolchain's SAN,
    NUMPY, PACKAGES, ...) as the front door's command line and environment, the way the
    Makefile's run target passes them: its own variables become its arguments (an empty one is
    not given), the others stay in the environment. For the tools, the tests and the benchmarks."""
    v = {k: str(x) for k, x in variables.items() if x is not None}
    argv = [sys.executable, "-m", "ftsan", "run"] + ([v["SCENARIO"]] if v.get("SCENARIO") else [])
    argv += [x for k in RUN_OPTIONS if v.get(k) for x in (f"--{k.lower().replace('_', '-')}", v[k])]
    argv += ["--minimize"] if v.get("MINIMIZE") == "1" else []
    return argv, {k: x for k, x in v.items() if k not in OWN_VARS}


def run(scenario, reports, deadline=math.inf, **make_vars):
    """`python3 -m ftsan run`, as `make run` calls it: the toolchain the variables name (SAN,
    NUMPY, PY, PYDEBUG, PACKAGES, ...; a value None leaves the caller's environment's) built or
    reused, then the harness with RUNS, SEED, ... (an empty one: the scenario's); its reports
    into reports/. Raises Budget past the deadline. A run started here never minimizes: the
    caller's own MINIMIZE is not passed on, and make_vars has none. RECORD says what the run is
    to the findings store (verify, matrix, bisect, hunt; none for a minimizer's candidates)."""
    argv, env = run_command(dict(environ("system", "build", "run"), SCENARIO=scenario, FTSAN_REPORTS=reports, **make_vars))
    t0 = time.monotonic()
    r = bounded(argv, deadline, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
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


def load_json(path, what, status):
    """The JSON document at path; an Error with that exit status when it cannot be read or is not
    JSON (what: how the message names the file, "the toolchain description")."""
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise Error(f"cannot read {what} {path}: {e.strerror}", status) from None
    except ValueError as e:
        raise Error(f"{path}: not JSON ({e})", status) from None


def read_json(directory, name):
    """A JSON file of the layout (layout(name)) in directory."""
    with open(os.path.join(directory, layout(name))) as f:
        return json.load(f)


@functools.lru_cache(maxsize=None)
def scntool_path():
    """The scenario tool, built when stale: looked up once per process."""
    argv = ["bash", "toolchain/scntool.sh"]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=environ("system", "build"))
    if r.returncode != 0:
        raise tool_error("the scenario tool's builder", argv, r.returncode, r.stderr, "building the scenario tool",
                         shell=True)
    return r.stdout.strip()


# What the scenario tool is doing, by verb, for the message of a failure; the rest read a scenario.
SCNTOOL_DOING = {"emit": "emitting a scenario", "sign": "signing sanitizer logs",
                 "known": "matching a finding against the catalog", "program": "writing a scenario as a program",
                 "layout": "reading the report layout", "expect": "reading a scenario's expectations"}


def scntool(*args, input=None, doing=None):
    """scntool's output for args. A scenario it rejects is an Error with its message (exit 2);
    any other failure, a crash above all, an Error that names it (tool_error). doing: what the
    caller was doing, for that message (by default what the verb does)."""
    argv = [scntool_path(), *args]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, input=input, env=environ("system", "run"))
    if r.returncode != 0:
        raise tool_error("the scenario tool", argv, r.returncode, r.stderr,
                         doing or SCNTOOL_DOING.get(args[0] if args else "", "reading a scenario"))
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
