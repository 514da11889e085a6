"""The ftsan package's logic without a toolchain: bisect's search on made-up releases (the clean
release at the boundary is run again with three times the runs in both directions, "fixed in":
the boundary itself, "appears in": the release before it, and a bug that shows on that second
look moves the boundary), the judgements, and errors that end a command once with a status."""
import os
import subprocess

import pytest

from conftest import ROOT
from ftsan import Error, bisect, judge


def load_bisect():
    return bisect


VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"]


def search(monkeypatch, capsys, truth, flaky=()):
    """truth: version -> has the bug. A flaky version looks clean on its first probe only."""
    mod = load_bisect()
    monkeypatch.setattr(mod, "releases", lambda lo, hi: VERSIONS)
    b = mod.Bisect.__new__(mod.Bisect)
    b.scn, b.runs, b.seen, b.ids = "scenarios/x.yaml", 2, {}, set()
    calls = []

    def probe(v, runs):
        calls.append((v, runs))
        hit = truth[v] and not (v in flaky and len([c for c in calls if c[0] == v]) == 1)
        h, n = b.seen.get(v, (0, 0))
        b.seen[v] = (h + (runs if hit else 0), n + runs)
        return hit

    b.probe = probe
    assert b.main(VERSIONS[0], VERSIONS[-1]) == 0
    return capsys.readouterr().out, calls


def test_fixed_in_retests_the_boundary(monkeypatch, capsys):
    out, calls = search(monkeypatch, capsys, {v: v < "1.0.3" for v in VERSIONS})
    assert "fixed in NumPy 1.0.3 (previous release 1.0.2)" in out
    assert ("1.0.3", 6) in calls                    # the clean boundary, with 3x the runs


def test_appears_in_retests_the_release_before(monkeypatch, capsys):
    out, calls = search(monkeypatch, capsys, {v: v >= "1.0.3" for v in VERSIONS})
    assert "appears in NumPy 1.0.3 (previous release 1.0.2)" in out
    assert ("1.0.2", 6) in calls                    # the clean side is the release before


def test_a_clean_verdict_that_does_not_hold_moves_the_boundary(monkeypatch, capsys):
    # 1.0.2 has the bug but looked clean on its first probe: the retest finds it.
    out, calls = search(monkeypatch, capsys, {v: v >= "1.0.2" for v in VERSIONS}, flaky={"1.0.2"})
    assert "appears in NumPy 1.0.2 (previous release 1.0.1)" in out, out
    assert ("1.0.2", 6) in calls and ("1.0.1", 6) in calls


def test_matrix_judgements():
    """ftsan.judge, the rule behind the matrix page and its exit status. Which finding is the
    scenario's bug is the harness's call (report.json's scenario_bug), not the judge's."""
    bug = {"kind": "data-race", "signature": "data-race: from_dlpack <> from_dlpack", "known": "numpy#28881",
           "scenario_bug": True}
    other_known = {"kind": "resource", "signature": "resource: peak virtual memory", "known": "numpy#28565",
                   "scenario_bug": False}
    unknown = {"kind": "data-race", "signature": "data-race: PyArray_Repeat <> memcpy", "known": None,
               "scenario_bug": False}
    judged = lambda outcome, fs: judge.judge(outcome, fs)[0]
    assert judged("found", [bug]) == "expected finding"
    assert judged("found", [bug, other_known]) == "expected finding"
    assert judged("found", []) == "unexpected clean"
    assert judged("found", [unknown]) == "unexpected clean"       # the bug is gone; news either way
    assert judged("clean", []) == "expected clean"
    assert judged("clean", [bug]) == "unexpected finding"         # a regression
    assert judged("clean", [other_known]) == "unexpected finding"  # the expectation no longer holds
    assert judged("none", [other_known]) == "no expectation"
    assert judged("none", [unknown]) == "unexpected finding"
    assert judged("found", [bug, unknown]) == "unexpected finding"
    assert judge.judge("found", [bug, unknown])[2] == [unknown]


def test_hits_without_a_described_bug():
    """A scenario whose expectations describe no bug: any finding is its bug (bisect's probes)."""
    f = {"kind": "exception", "scenario_bug": False, "runs_hit": 2}
    assert judge.hits({"scenario": {"describes_bug": False}, "findings": [f]}) == [f]
    assert judge.hits({"scenario": {"describes_bug": True}, "findings": [f]}) == []


def test_errors_end_a_command_once_with_their_status(tmp_path):
    """An Error raised deep inside a command is printed once by `python3 -m ftsan` and sets the
    exit status; a bad argument is exit 2 with what was wrong."""
    r = subprocess.run(["python3", "-m", "ftsan", "bisect", "--scenario", "dlpack_race", "--numpy", "2.2"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2, r
    assert r.stderr.strip() == "ftsan bisect: error: bisect: --numpy must be A..B with release versions, got '2.2'"
    r = subprocess.run(["python3", "-m", "ftsan", "frob"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "commands:" in r.stderr
    with pytest.raises(Error) as e:
        bisect.Bisect(str(tmp_path / "missing.yaml"), None, 1)
    assert e.value.status == 2 and "missing.yaml: cannot read the scenario" in str(e.value)


def test_a_run_started_by_the_tools_never_minimizes(monkeypatch, tmp_path):
    """`make run MINIMIZE=1` starts the minimizer with MINIMIZE=1 in its environment; the runs it
    starts (harness.run) must not inherit it, or each candidate that shows the finding starts a
    minimizer of its own (13 at once, seen)."""
    from ftsan import harness
    seen = {}

    def fake_bounded(argv, deadline, **kw):
        seen.update(kw["env"], argv=argv)
        return subprocess.CompletedProcess(argv, 3, "", "")

    monkeypatch.setattr(harness, "bounded", fake_bounded)
    monkeypatch.setenv("MINIMIZE", "1")
    monkeypatch.setenv("BUDGET", "90")
    r = harness.run("scenarios/dlpack_race.yaml", str(tmp_path), RUNS=3)
    assert not r.ok and seen["argv"][1:] == ["-m", "ftsan", "run", "scenarios/dlpack_race.yaml", "--runs", "3"], seen["argv"]
    assert "MINIMIZE" not in seen and "BUDGET" not in seen, {k: seen[k] for k in ("MINIMIZE", "BUDGET") if k in seen}


def test_calls_go_one_way():
    """make -> python3 -m ftsan -> {the builders, the scenario tool, the harness}: a builder
    (toolchain/*.sh) never starts ftsan or the harness; the harness never starts a builder or
    ftsan."""
    import glob
    import re
    for path in glob.glob(os.path.join(ROOT, "toolchain", "*.sh")):
        code = "\n".join(line.split("#")[0] for line in open(path))
        found = re.findall(r"-m\s+ftsan\b|\brun\.sh\b|\bharness\s+(?:run|child|server)\b", code)
        assert not found, (path, found)
    for path in glob.glob(os.path.join(ROOT, "harness", "*.c")) + glob.glob(os.path.join(ROOT, "harness", "tools", "*.c")):
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', open(path).read())
        found = [x for x in literals if x == "-m" or x.endswith(".sh") or "toolchain/" in x]
        assert not found, (path, found)


def test_one_home_for_the_toolchain():
    """toolchain.json has one writer and one reader in Python (ftsan/toolchain.py; the harness
    reads it in C, harness/tc.c): no builder reads or writes it, no other module opens it, and only
    ftsan/toolchain.py starts the toolchain, harness and kernel builders."""
    import glob
    import re
    for path in glob.glob(os.path.join(ROOT, "toolchain", "*.sh")) + glob.glob(os.path.join(ROOT, "toolchain", "*.py")):
        code = "\n".join(line.split("#")[0] for line in open(path))
        # removing a copied environment's stale description is allowed; reading or writing it is not
        found = [m for m in re.findall(r"[^\n]*toolchain\.json[^\n]*", code) if not re.match(r'\s*rmdir .*rm -f "\$tmp/toolchain\.json"', m)]
        assert not found, (path, found)
    for path in glob.glob(os.path.join(ROOT, "ftsan", "*.py")) + glob.glob(os.path.join(ROOT, "bench", "*.py")):
        if path.endswith(os.path.join("ftsan", "toolchain.py")):
            continue
        code = "\n".join(line.split("#")[0] for line in open(path))
        found = re.findall(r'"toolchain\.json"|toolchain/(?:toolchain|harness|kernel)\.sh', code)
        assert not found, (path, found)
