"""The README's commands as a user types them, through make: the flagship scenario minimized
(`make run SCENARIO=dlpack_race MINIMIZE=1`, whose emitter once crashed), then every other verb
the README shows, once each on a seed scenario with the toolchains the suite already builds.
Each asserts on what the verb wrote (report.json, minimize.json, hunt.json, cells.json), never on
make's own exit status alone: make exits 2 for findings as for errors."""
import ast
import json
import os
import re
import signal
import subprocess
import time

import pytest
import yaml

from conftest import ROOT, SCN, load_json, sh

SIG = "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)"
# make verbs the README shows that are not run here, and why.
NOT_HERE = {"test": "this suite", "test-toolchain": "a part of this suite", "test-e2e": "a part of this suite",
            "fuzz": "make test runs every fuzz target (test-fuzz)"}


def make(*args, reports, **env):
    e = dict(os.environ, FTSAN_REPORTS=reports, **{k: str(v) for k, v in env.items()})
    return subprocess.run(["make", "-s", *args], cwd=ROOT, env=e, capture_output=True, text=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return str(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def dlpack(reports):
    """make run SCENARIO=dlpack_race NUMPY=2.2.5 MINIMIZE=1: the run, then its reproducers."""
    # A short budget: the shrinking stops early enough to leave the final rates their time.
    out = make("run", "SCENARIO=dlpack_race", "NUMPY=2.2.5", "RUNS=4", "MINIMIZE=1", "BUDGET=180", reports=reports)
    latest = os.path.join(reports, "latest")
    assert os.path.exists(os.path.join(latest, "report.json")), out.stdout[-3000:] + out.stderr[-3000:]
    return os.path.realpath(latest), out


def test_make_run_minimize_dlpack_race(dlpack):
    """The first scenario of the README shrunk to its reproducers: repro.yaml (the original's
    keys kept, its name marked), repro.py (a standalone program naming the signature) and
    minimize.json (the rates measured, or why they were not), embedded in report.md."""
    d, out = dlpack
    report = load_json(os.path.join(d, "report.json"))
    (f,) = [x for x in report["findings"] if x["signature"] == SIG or SIG in x.get("also_seen_as", [])]
    assert "ftsan minimize: error" not in out.stderr, out.stderr[-3000:]
    fd = os.path.join(d, "findings", f["id"])
    m = load_json(os.path.join(fd, "minimize.json"))
    assert m["signature"] == f["signature"] and m["candidates"] >= 1, m
    assert re.fullmatch(r"([1-9]\d*)/20", m["original"]["rate"]), m["original"]   # it reproduced
    assert m["stopped"] in (None, "the time budget ran out"), m
    if m["stopped"] is None:   # rates measured: repro.yaml shows it under the harness
        assert int(m["minimized"]["rate_yaml"].split("/")[0]) > 0 and re.fullmatch(r"\d+/20", m["minimized"]["rate_py"]), m
    assert 2 <= m["minimized"]["threads"] <= 8 and 1 <= m["minimized"]["iterations"] <= 3, m["minimized"]
    repro = yaml.safe_load(open(os.path.join(fd, "repro.yaml")))
    orig = yaml.safe_load(open(os.path.join(ROOT, "scenarios", "dlpack_race.yaml")))
    assert repro["name"] == "dlpack_race_min" and repro["threads"] == m["minimized"]["threads"]
    for key in set(orig) - {"name", "threads", "iterations", "timeout", "setup", "body"}:
        assert repro[key] == orig[key], key
    check = sh(["bash", "-c", 'exec "$(bash toolchain/scntool.sh)" check "$0"', os.path.join(fd, "repro.yaml")])
    assert check.returncode == 0, check.stderr
    prog = open(os.path.join(fd, "repro.py")).read()
    ast.parse(prog)
    assert prog.startswith(f"# Reproducer: {f['signature']}\n") and "np.from_dlpack" in prog, prog[:600]
    assert "Minimized by ftsan" in open(os.path.join(fd, "report.md")).read()
    assert not os.path.exists(os.path.join(d, "minimize"))   # the candidates are gone


def test_readme_verbs_are_all_here():
    """Every `make VERB` of the README is run by a test of this module, or said above why not."""
    text = open(os.path.join(ROOT, "README.md")).read()
    verbs = set(re.findall(r"\bmake ([a-z][a-z0-9-]*[a-z0-9])\b", text)) - {"itself"}
    here = {"run", "minimize", "toolchain", "verify", "bisect", "matrix", "matrix-merge", "hunt", "findings"}
    assert verbs - set(NOT_HERE) <= here, verbs - set(NOT_HERE) - here


def test_make_minimize(dlpack, reports):
    """make minimize REPORT=... with a budget too short for the work: what it found so far."""
    d, _ = dlpack
    report = load_json(os.path.join(d, "report.json"))
    fid = report["findings"][0]["id"]
    out = make("minimize", f"REPORT={d}", f"FINDING={fid}", "BUDGET=20", reports=reports)
    assert out.returncode == 0, out.stderr[-3000:]
    m = load_json(os.path.join(d, "findings", fid, "minimize.json"))
    assert m["finding"] == fid and m["stopped"] in (None, "the time budget ran out"), m


def test_make_findings(dlpack, reports, tmp_path, findings_store):
    """make findings MERGE=... (a shard's store into this one), then ID=... and the list with its
    page: the run's finding, by the id its report gave it."""
    d, _ = dlpack
    fid = load_json(os.path.join(d, "report.json"))["findings"][0]["id"]
    shard = str(tmp_path / "shard.db")
    out = subprocess.run(["python3", "-m", "ftsan", "findings", "import", d], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, FTSAN_DB=shard))
    assert out.returncode == 0, out.stderr
    out = make("findings", f"MERGE={shard}", reports=reports)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    out = make("findings", f"ID={fid}", reports=reports)
    assert out.returncode == 0 and out.stdout.startswith(f"{fid}: "), out.stdout[-3000:] + out.stderr[-3000:]
    out = make("findings", "SINCE=2026-01-01", reports=reports)
    assert out.returncode == 0 and os.path.isfile(os.path.join(reports, "findings", "index.html")), out.stderr[-3000:]
    out = subprocess.run(["python3", "-m", "ftsan", "findings", "show", fid, "--json"], cwd=ROOT, capture_output=True,
                         text=True)
    f = json.loads(out.stdout)
    assert f["id"] == fid and f["known"] == "numpy#28881" and [h["origin"] for h in f["history"]] == ["import"], f


def test_make_toolchain(reports):
    out = make("toolchain", "SAN=tsan", "NUMPY=2.2.5", reports=reports)
    assert out.returncode == 0, out.stderr[-3000:]
    python = out.stdout.strip().splitlines()[-1]
    tc = load_json(os.path.join(os.path.dirname(os.path.dirname(python)), "toolchain.json"))
    assert tc["sanitizer"] == "tsan" and tc["numpy_version"] == "2.2.5" and tc["python"] == python, tc


def test_make_verify(reports):
    out = make("verify", "SCENARIO=dlpack_race", "VERSIONS=2.2.5", reports=reports)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = open(os.path.join(reports, "verify", "latest.md")).read().splitlines()
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:] if line.startswith("|")]
    # scenario, san, numpy, pins, expected, result, runs hit, time, verdict
    assert [r[:6] + r[8:] for r in rows] == [["dlpack_race", "tsan", "2.2.5", "-", "found", "found", "ok"]], lines


def test_make_bisect(reports):
    out = make("bisect", f"SCENARIO={SCN}/numpy_testing_import.yaml", "RANGE=2.1.1..2.1.2", "RUNS=2", reports=reports)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "bisect: numpy_testing_import: fixed in NumPy 2.1.2 (previous release 2.1.1)" in out.stdout, out.stdout


def test_make_matrix_and_merge(reports, tmp_path):
    """One shard of a one-cell grid, then the merge of it."""
    grid = tmp_path / "matrix.yaml"
    grid.write_text(yaml.safe_dump({"python": ["3.13.15"], "cells": [
        {"scenario": f"{SCN}/numpy_testing_import.yaml", "san": "none", "numpy": ["2.1.2"], "latest": False}]}))
    out = make("matrix", f"MATRIX={grid}", "SHARD=1/1", reports=reports)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    shard = [os.path.join(reports, "matrix", d) for d in os.listdir(os.path.join(reports, "matrix")) if "-shard-" in d]
    assert len(shard) == 1
    out = make("matrix-merge", f"DIRS={shard[0]}", reports=reports)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    cells = load_json(os.path.join(reports, "matrix", "latest-full", "cells.json"))
    cells = cells["cells"] if isinstance(cells, dict) else cells
    assert [(c["numpy"], c["judgement"]) for c in cells] == [("2.1.2", "expected clean")], cells


def test_make_hunt(reports, tmp_path):
    """A hunt of NumPy 2.2.5 (seed 7, 120 callables: the learning the hunt's own test keeps),
    interrupted once its first batch is in: learned, cases generated and run, all in hunt.json."""
    out_dir = str(tmp_path / "hunt")
    p = subprocess.Popen(["make", "-s", "hunt", "MODULE=numpy", "NUMPY=2.2.5", "SEED=7", "LIMIT=120", "BUDGET=1800",
                          f"OUT={out_dir}"], cwd=ROOT, env=dict(os.environ, FTSAN_REPORTS=reports),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 1200
    doc = None
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(3)
        try:
            doc = load_json(os.path.join(out_dir, "hunt.json"))
        except (OSError, ValueError):
            continue
        if doc["batches"]:
            break
    os.killpg(p.pid, signal.SIGINT)
    log = p.communicate(timeout=120)[0]
    doc = load_json(os.path.join(out_dir, "hunt.json"))
    assert doc["module"] == "numpy" and doc["learned"]["calls"] > 0, log[-3000:]
    assert doc["stopped"] == "SIGINT" and doc["batches"] and doc["cases_run"] > 0, log[-3000:]
