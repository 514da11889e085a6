"""Faults: interrupts and kills of the harness mid-run, a child that forks and floods, a full
file system, two runs at once. Evidence collected so far is never lost or left half-written."""
import glob
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, SCN, front_door, load_json


def start(scenario, reports, **env):
    argv, e = front_door(scenario, reports, **env)
    return subprocess.Popen(argv, cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(pattern, seconds=60):
    for _ in range(int(seconds * 10)):
        if glob.glob(pattern):
            return
        time.sleep(0.1)
    raise AssertionError(f"never appeared: {pattern}")


def pgrep(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def test_sigint_mid_run_keeps_evidence_and_reports(reports):
    """The running children are killed and reaped, the runs that finished keep their evidence,
    and the reports are written for them."""
    p = start(f"{SCN}/slow_runs.yaml", reports, JOBS="1")
    wait_for(f"{reports}/*-slow_runs/evidence/run-0002/status.json")
    (h,) = pgrep(f"harness run .*{reports}.*slow_runs.yaml")
    os.kill(h, signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    assert "interrupted: " in out and " of 6 runs finished" in out, out
    (d,) = glob.glob(f"{reports}/*-slow_runs")
    rep = load_json(os.path.join(d, "report.json"))
    assert rep["runs"]["planned"] == 6 and rep["runs"]["done"] in (2, 3), rep["runs"]
    for n in (1, 2):                                      # finished before the interrupt
        st = load_json(os.path.join(d, "evidence", f"run-{n:04d}", "status.json"))
        assert st["exited"] and st["exit_code"] == 0, st
    if rep["runs"]["done"] == 3:                          # the one running then: killed and reaped,
        st = load_json(os.path.join(d, "evidence", "run-0003", "status.json"))
        assert (st["interrupted"] and st["signal_name"] == "KILL" and not st["timed_out"]  # or
                or st["exited"] and st["exit_code"] == 0 and not st["interrupted"]), st  # done first
    # Being interrupted is neither a hang nor a death by signal of the scenario's.
    assert rep["findings"] == [], rep["findings"]
    assert not pgrep("harness child .*slow_runs.yaml")


def test_sigkill_mid_run_leaves_evidence_whole(reports):
    """Nothing can be written any more, but what was written stays whole: the evidence of the
    finished runs, and no half-written report file."""
    p = start(f"{SCN}/slow_runs.yaml", reports, JOBS="1")
    wait_for(f"{reports}/*-slow_runs/evidence/run-0001/status.json")
    (h,) = pgrep(f"harness run .*{reports}.*slow_runs.yaml")
    os.kill(h, signal.SIGKILL)
    p.communicate(timeout=60)
    for orphan in pgrep("harness child .*slow_runs.yaml"):     # orphans of the killed supervisor
        os.kill(orphan, signal.SIGKILL)
    (d,) = glob.glob(f"{reports}/*-slow_runs")
    load_json(os.path.join(d, "evidence", "run-0001", "status.json"))
    load_json(os.path.join(d, "run.json"))
    assert not os.path.exists(os.path.join(d, "summary.md"))
    assert not [f for _, _, fs in os.walk(d) for f in fs if f.endswith(".tmp")]


def test_fork_and_flood(harness):
    """A child that forks a grandchild and floods stderr: the run ends, its process group is
    killed (no grandchild left), and 32 MiB of stderr went to a file without stalling."""
    r = harness(f"{SCN}/fork_and_flood.yaml")
    assert r.rc in (0, 1), r
    assert os.path.getsize(os.path.join(r.evidence(), "stderr.txt")) >= 32 * 1024 * 1024
    assert r.status()["exited"] is True
    time.sleep(0.5)
    assert not pgrep("harness child .*fork_and_flood.yaml")


def test_full_disk_is_a_clear_error(harness, tmp_path):
    """Reports on a full file system: a clear error naming the reason, exit 3."""
    m = tmp_path / "tiny"
    m.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(m)]).returncode != 0:
        pytest.fail("cannot mount a tmpfs here (the test needs root)")
    try:
        r = harness(f"{SCN}/fork_and_flood.yaml", FTSAN_REPORTS=str(m))
    finally:
        subprocess.run(["umount", str(m)])
    assert r.rc == 3, r
    assert "No space left on device" in r.out, r


def test_two_runs_at_once(reports):
    """Both finish, in report directories of their own, with the same verdict; the toolchain
    cache and the harness binary stay whole."""
    ps = [start(f"{SCN}/c_race.yaml", reports, RUNS="2") for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in ps]
    assert [p.returncode for p in ps] == [1, 1], outs
    dirs = glob.glob(f"{reports}/*-c_race*")
    assert len(dirs) == 2, dirs
    for d in dirs:
        sigs = [f["signature"] for f in load_json(os.path.join(d, "report.json"))["findings"]]
        assert sigs == ["data-race: lookup (racy_gil.c) <> lookup (racy_gil.c)"], sigs
