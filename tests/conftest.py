"""Shared fixtures of the end-to-end and toolchain tests (pytest, run by the system Python).

Every test asserts on what the harness wrote for programs (report.json, run.json,
status.json, events.jsonl), never on text that could contain a word by accident. Reports go to a
directory of the test's own (FTSAN_REPORTS): a user's reports/ is never read, moved or deleted."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the ftsan package, as `python3 -m ftsan` finds it from the checkout
# The toolchain cache, as toolchain/lib.sh finds it.
CACHE = os.environ.get("FTSAN_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ftsan")
SCN = os.path.join("tests", "e2e", "scenarios")


def load_json(path):
    with open(path) as f:
        return json.load(f)


def events(run_dir):
    """A run's events.jsonl as a list of dicts."""
    with open(os.path.join(run_dir, "events.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


class Run:
    """One `make run` (`python3 -m ftsan run`) and what it left: exit status, output, report."""

    def __init__(self, proc, reports):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.reports = reports
        latest = os.path.join(reports, "latest")
        self.dir = os.path.realpath(latest) if os.path.exists(latest) else None

    @property
    def report(self):
        return load_json(os.path.join(self.dir, "report.json"))

    @property
    def run_json(self):
        return load_json(os.path.join(self.dir, "run.json"))

    def evidence(self, n=1):
        return os.path.join(self.dir, "evidence", f"run-{n:04d}")

    def status(self, n=1):
        return load_json(os.path.join(self.evidence(n), "status.json"))

    def events(self, n=1):
        return events(self.evidence(n))

    def findings(self, kind=None):
        return [f for f in self.report["findings"] if kind in (None, f["kind"])]

    def __repr__(self):
        return f"<run exit {self.rc}>\n{self.out[-3000:]}"


def front_door(scenario, reports, **variables):
    """The command line and environment of `make run SCENARIO=scenario NAME=value ...` (make's
    variables as ftsan.harness.run_command turns them into the front door's arguments), with no
    NumPy unless NUMPY is given and the reports in the test's directory."""
    from ftsan import harness
    e = dict(os.environ, NUMPY="", SCENARIO=scenario, FTSAN_REPORTS=reports)
    e.update({k: str(v) for k, v in variables.items()})
    return harness.run_command(e)


# The suite's runs record into a findings store of the session's (FTSAN_DB), never a user's; a
# test that reads the store gives itself one (findings_store). Not an autouse fixture: the
# harness's pytest-mode runs load this file too, and a fixture that uses monkeypatch makes
# pytest-run-parallel run their tests on one thread. The store is made by the first run that
# records, and removed at the end of the session.
SESSION_STORE = os.path.join(tempfile.gettempdir(), f"ftsan-tests-{os.getpid()}")
os.environ["FTSAN_DB"] = os.path.join(SESSION_STORE, "findings.db")


def pytest_unconfigure(config):
    shutil.rmtree(SESSION_STORE, ignore_errors=True)


@pytest.fixture
def findings_store(tmp_path, monkeypatch):
    """A findings store of the test's own: its runs record there."""
    path = str(tmp_path / "findings.db")
    monkeypatch.setenv("FTSAN_DB", path)
    return path


@pytest.fixture
def reports(tmp_path):
    d = tmp_path / "reports"
    d.mkdir()
    return str(d)


@pytest.fixture
def harness(reports):
    """harness(scenario, NAME=value, ...): `python3 -m ftsan run` with make run's variables, as
    make passes them (front_door), on the TSan toolchain without NumPy unless NUMPY is given,
    reports in the test's own directory."""

    def run(scenario, **env):
        argv, e = front_door(scenario, reports, **env)
        p = subprocess.run(argv, cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return Run(p, e["FTSAN_REPORTS"])

    return run


def sh(argv, **kw):
    """A command in the checkout; its exit status, output and error output."""
    env = dict(os.environ, **{k: str(v) for k, v in kw.pop("env", {}).items()})
    return subprocess.run(argv, cwd=kw.pop("cwd", ROOT), env=env, capture_output=True, text=True, **kw)


def scntool():
    return sh(["bash", "toolchain/scntool.sh"], check=True).stdout.strip()


def toolchain(san="tsan", numpy="", packages=""):
    """The interpreter of a toolchain, built or reused as `make toolchain` does."""
    return toolchain_of(san, numpy, packages).python


def toolchain_of(san="tsan", numpy="", packages=""):
    """That toolchain (ftsan.toolchain.Toolchain), described in its toolchain.json."""
    from ftsan import toolchain as tc
    return tc.resolve(packages.split(), variables=dict(os.environ, SAN=san, NUMPY=numpy))


def harness_binary(san="tsan"):
    """The harness binary of the bare toolchain, built when stale."""
    return toolchain_of(san).harness_binary()
