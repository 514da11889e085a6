"""The tools around the driver: minimization, the nightly matrix and its page, bisection, the
workflow file. Each writes under the test's own reports directory (FTSAN_REPORTS)."""
import ast
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest
import yaml

from conftest import ROOT, SCN, load_json, sh


def minimize(report_dir, *args, **kw):
    return subprocess.Popen(["python3", "-m", "ftsan", "minimize", *args, report_dir], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw)


def test_minimize_c_race(harness):
    """Fewer threads and iterations that still show the same signature; a standalone repro.py
    whose rate was measured by running it as its own process; embedded in the report."""
    r = harness(f"{SCN}/c_race.yaml", RUNS=2)
    assert r.rc == 1, r
    (f,) = r.findings()
    p = minimize(r.dir, "--budget", "400")
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0, out
    d = os.path.join(r.dir, "findings", f["id"])
    m = load_json(os.path.join(d, "minimize.json"))
    assert m["stopped"] is None, m
    assert m["minimized"]["threads"] == 2 and m["minimized"]["iterations"] <= 2, m["minimized"]
    assert m["original"]["threads"] == 4, m["original"]
    prog = open(os.path.join(d, "repro.py")).read()
    ast.parse(prog)
    assert "import racy_gil" in prog and "threading.Barrier" in prog
    # The header states the rate measured for this very program, whatever it was.
    rate_py = int(m["minimized"]["rate_py"].split("/")[0])
    assert (f"found in {rate_py} of 20 fresh runs" in prog) if rate_py else ("0 of 20 fresh runs of this program" in prog), prog[:800]
    assert int(m["minimized"]["rate_yaml"].split("/")[0]) > 0, m["minimized"]
    assert "Minimized by ftsan" in open(os.path.join(d, "report.md")).read()
    repro = yaml.safe_load(open(os.path.join(d, "repro.yaml")))
    assert repro["threads"] == 2
    # Every key of the original is in repro.yaml, the ones no step shrinks as they were.
    orig = yaml.safe_load(open(os.path.join(ROOT, SCN, "c_race.yaml")))
    assert set(orig) <= set(repro) and set(repro) - set(orig) <= {"timeout"}, (set(orig) ^ set(repro))
    for key in set(orig) - {"name", "threads", "iterations", "timeout", "setup", "body"}:
        assert repro[key] == orig[key], key
    assert repro["name"] == "c_race_min"
    # Candidates lived in the report's directory and are gone; none among the scenarios.
    assert not os.path.exists(os.path.join(r.dir, "minimize"))
    assert not glob.glob(os.path.join(ROOT, SCN, ".*.yaml")) and not glob.glob(os.path.join(ROOT, "scenarios", ".*.yaml"))


def test_minimize_interrupted_and_over_budget_writes_the_best_so_far(harness):
    """SIGTERM in the middle of a candidate's run: the minimizer stops that run, writes
    repro.yaml, repro.py and minimize.json, and leaves no candidate behind; a budget shorter
    than the work ends it within the budget plus the time to stop a run. The scenario's runs after
    the first sleep ten minutes: the work outlasts the budget on any machine."""
    r = harness(f"{SCN}/c_race_slow.yaml", RUNS=1)
    assert r.rc == 1, r
    (f,) = r.findings()
    d = os.path.join(r.dir, "findings", f["id"])
    p = minimize(r.dir, "--budget", "600")
    cand = os.path.join(r.dir, "minimize")
    for _ in range(600):                     # the first candidate is being run
        if glob.glob(os.path.join(cand, "candidate-*.yaml")):
            break
        time.sleep(0.1)
    assert glob.glob(os.path.join(cand, "candidate-*.yaml")), "no candidate ran"
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0, out
    m = load_json(os.path.join(d, "minimize.json"))
    assert m["stopped"] == "interrupted (SIGTERM)", m
    assert os.path.exists(os.path.join(d, "repro.yaml")) and os.path.exists(os.path.join(d, "repro.py"))
    assert not os.path.exists(cand)
    assert not glob.glob(os.path.join(ROOT, SCN, ".*.yaml"))
    assert subprocess.run(["pgrep", "-f", "harness (run|child) .*candidate-"], capture_output=True).returncode == 1

    budget = 25
    t0 = time.monotonic()
    p = minimize(r.dir, "--budget", str(budget))
    out, _ = p.communicate(timeout=300)
    took = time.monotonic() - t0
    assert p.returncode == 0, out
    m = load_json(os.path.join(d, "minimize.json"))
    assert m["stopped"] == "the time budget ran out", m
    # The run in progress was stopped, not waited for: waiting would have taken its ten-minute
    # sleep; the margin (five minutes) is for a loaded machine, not a fast one.
    assert took < budget + 300, took


def test_matrix_shards_merge_and_render(reports, findings_store):
    """Two shards of a small matrix, merged; twice, so the second grid compares with the first.
    Every cell is judged against its scenario's expectations; the two cells of news (a scenario
    whose expectations are inverted) make every step exit 1. The page renders in a real headless
    browser, every link leading to a cell's summary."""
    env = {"MATRIX": "tests/e2e/matrix.yaml", "FTSAN_REPORTS": reports, "MATRIX_LATEST": "2.1.3"}
    user = os.path.join(ROOT, "reports", "matrix")
    before = sorted(os.listdir(user)) if os.path.isdir(user) else None
    merged = []
    for night in (1, 2):
        for sh_ in ("1/2", "2/2"):
            out = sh(["python3", "-m", "ftsan", "matrix"], env=dict(env, SHARD=sh_))
            assert out.returncode == 1, out.stdout + out.stderr   # each shard holds one cell of news
        # the nightly's shards' stores lie beside the grids; the merge takes only the grids
        shutil.copy(findings_store, os.path.join(reports, "matrix", f"findings-shard-{night}.db"))
        out = sh(["python3", "-m", "ftsan", "matrix", "merge"], env=env)
        assert out.returncode == 1, out.stdout + out.stderr
        merged.append(out.stdout)
    grid = os.path.realpath(os.path.join(reports, "matrix", "latest-full"))
    cells = load_json(os.path.join(grid, "cells.json"))
    cells = cells["cells"] if isinstance(cells, dict) else cells
    by = {(os.path.basename(c["scenario"]), c["numpy"], c["packages"]): c for c in cells}
    assert len(by) == 7, sorted(by)
    assert [x["known"] for x in by[("numpy_testing_import.yaml", "2.1.1", "")]["findings"]] == ["numpy#27472"]
    assert by[("numpy_testing_import.yaml", "2.1.2", "")]["findings"] == []
    assert [x["known"] for x in by[("joblib_bigendian", "2.2.6", "joblib==1.4.2")]["findings"]] == ["joblib#1545"]
    assert by[("joblib_bigendian", "2.2.6", "joblib==1.5.0")]["findings"] == []
    judged = {k: (c["judgement"], c["numpy_version"]) for k, c in by.items()}
    inv = "inverted_expectations.yaml"
    assert judged == {
        ("numpy_testing_import.yaml", "2.1.1", ""): ("expected finding", "2.1.1"),
        ("numpy_testing_import.yaml", "2.1.2", ""): ("expected clean", "2.1.2"),
        ("numpy_testing_import.yaml", "latest", ""): ("expected clean", "2.1.3"),   # what the report ran
        ("joblib_bigendian", "2.2.6", "joblib==1.4.2"): ("expected finding", "2.2.6"),
        ("joblib_bigendian", "2.2.6", "joblib==1.5.0"): ("expected clean", "2.2.6"),
        (inv, "2.1.1", ""): ("unexpected clean", "2.1.1"),
        (inv, "2.1.2", ""): ("unexpected finding", "2.1.2"),
    }, judged
    assert "Compared with the previous matrix: 3 new, 0 fixed, 0 still present" in merged[0]
    assert "Compared with the previous matrix: 0 new, 0 fixed, 3 still present" in merged[1]
    assert "News: 2 cells: inverted_expectations--" in merged[1]
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          f"file://{grid}/index.html"], capture_output=True, text=True).stdout
    classes = re.findall(r'<td class="([a-z-]+)"', dom)
    assert sorted(classes) == ["expected-clean"] * 3 + ["expected-finding"] * 2 + ["unexpected-clean", "unexpected-finding"], classes
    assert "numpy latest (2.1.3)" in dom
    hrefs = re.findall(r'href="([^"]*)"', dom)
    assert hrefs and all(os.path.isfile(os.path.join(grid, h)) for h in hrefs), hrefs
    assert "Findings over time" in dom and any(h.endswith("findings/index.html") for h in hrefs), hrefs
    # The cells recorded into the store: numpy#27472 seen on 2.1.1 each night, clean on 2.1.2
    # and on latest (2.1.3), so fixed, in 2.1.2.
    out = sh(["python3", "-m", "ftsan", "findings", "list", "--known", "--json"])
    assert out.returncode == 0, out.stderr
    (f,) = [f for f in json.loads(out.stdout)["findings"] if f["known"] == "numpy#27472"]
    assert (f["status"], f["fixed_in"], f["seen"]) == ("fixed", "2.1.2", ["py3.13.15 none numpy 2.1.1"]), f
    assert {h["origin"] for h in f["history"]} == {"matrix"} and sum(h["hit"] for h in f["history"]) == 2
    # The user's own grids were neither read, moved nor deleted.
    assert (sorted(os.listdir(user)) if os.path.isdir(user) else None) == before


def test_bisect_numpy_testing_import(reports, findings_store):
    """Four releases (wheels, seconds each): gallops, halves, and runs the clean boundary again."""
    out = sh(["python3", "-m", "ftsan", "bisect", "--scenario", "tests/e2e/scenarios/numpy_testing_import.yaml",
              "--numpy", "2.1.0..2.1.3", "--runs", "2"],
             env={"FTSAN_REPORTS": reports})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "[bisect] 4 releases: 2.1.0, 2.1.1, 2.1.2, 2.1.3" in lines
    assert any(l.startswith("bisect: numpy_testing_import: fixed in NumPy 2.1.2 (previous release 2.1.1)") for l in lines), lines
    probes = [l for l in lines if l.startswith("[bisect] NumPy 2.1.2: clean in")]
    assert len(probes) == 2 and probes[1].endswith("of 6 runs"), probes      # the boundary, again with 3x the runs
    assert os.path.isdir(os.path.join(reports, "bisect", "numpy_testing_import"))
    # Every probe is in the findings store, and the result is a note on the finding.
    out = sh(["python3", "-m", "ftsan", "findings", "list", "--json"])
    (f,) = json.loads(out.stdout)["findings"]
    assert [n["kind"] for n in f["notes"]] == ["bisect"] and "fixed in NumPy 2.1.2" in f["notes"][0]["text"], f
    assert {h["origin"] for h in f["history"]} == {"bisect"} and f["fixed_in"] == "2.1.2", f


def test_nightly_workflow_shape():
    """Shards over the make targets a user calls, a cache keyed like the toolchain's, artifacts,
    and a final job that merges. (actionlint cannot be installed here: see the README.)"""
    w = yaml.safe_load(open(os.path.join(ROOT, "ci", "nightly.yml")))
    shard, merge = w["jobs"]["shard"], w["jobs"]["merge"]
    assert w[True]["schedule"][0]["cron"]            # PyYAML reads the key `on` as True
    runs = [s.get("run", "") for s in shard["steps"]]
    assert any("make matrix SHARD=${{ matrix.shard }}/${{ env.SHARDS }}" in r for r in runs), runs
    # The shards: resolve lists 1..n from the same input the shards read n from.
    assert shard["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.resolve.outputs.shards) }}"
    assert shard["env"]["SHARDS"] == w["jobs"]["resolve"]["steps"][-1]["env"]["SHARDS"] == "${{ inputs.shards || '4' }}"
    # Each shard records into a store of its own and hunts; the merge joins the stores and keeps
    # the result across nights in the cache.
    assert shard["env"]["FTSAN_DB"] == "reports/matrix/findings-shard-${{ matrix.shard }}.db"
    assert any(r.startswith("python3 -m ftsan hunt numpy") and r.rstrip().endswith("|| [ $? -eq 1 ]") for r in runs), runs
    assert any("make findings MERGE=" in s.get("run", "") for s in merge["steps"])
    assert [s["with"]["path"] for s in merge["steps"] if s.get("uses", "").startswith("actions/cache@")] == [merge["env"]["FTSAN_DB"]]
    cache = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/cache@")][0]
    assert "hashFiles('toolchain/**', 'ci/matrix.yaml')" in cache["with"]["key"]
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in shard["steps"])
    assert "shard" in merge["needs"] and any("make matrix-merge" in s.get("run", "") for s in merge["steps"])
    # NumPy `latest` resolved once, before the shards, and handed to each of them.
    resolve = w["jobs"]["resolve"]
    assert shard["needs"] == "resolve" and shard["env"]["MATRIX_LATEST"] == "${{ needs.resolve.outputs.numpy }}"
    assert any("toolchain/pypi.py latest numpy" in s.get("run", "") for s in resolve["steps"])
    # Debian, where the toolchain's sources and compilers come from; privileged for TSan's ASLR.
    assert shard["container"]["image"] == "debian:trixie" and "--privileged" in shard["container"]["options"]
    assert merge["container"] == "debian:trixie"
    for job in (shard, merge):
        base = job["steps"][0]
        assert "apt-get install" in base["run"] and "python3-yaml" in base["run"], base
        assert job["steps"][1]["uses"].startswith("actions/checkout@"), job["steps"][1]


def test_nightly_workflow_validates_against_githubs_schema(tmp_path):
    """check-jsonschema's built-in GitHub workflow schema (vendored in the package, no network)
    accepts the workflow, and rejects it with one key misspelt: the check bites."""
    check = ["python3", "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    out = sh(check + ["ci/nightly.yml"])
    assert out.returncode == 0, out.stdout + out.stderr
    broken = tmp_path / "nightly.yml"
    broken.write_text(open(os.path.join(ROOT, "ci", "nightly.yml")).read().replace("runs-on:", "run-on:"))
    out = sh(check + [str(broken)])
    assert out.returncode == 1 and "'runs-on' is a required property" in out.stdout, out.stdout + out.stderr


def test_matrix_cells_latest_and_pydebug():
    """The cells of the real matrix: every entry on `latest` too (as the release it resolved to),
    the python axis naming CPython's debug build, and a bad flavour refused."""
    from ftsan import Error, matrix
    m = yaml.safe_load(open(os.path.join(ROOT, "ci", "matrix.yaml")))
    cells = matrix.cells(m, "9.9.9")
    for e in m["cells"]:
        name = e["scenario"]
        assert any(c["scenario"] == name and c["numpy"] == "latest" and c["numpy_version"] == "9.9.9" for c in cells), name
    (dbg,) = [c for c in cells if c["python"].endswith("-pydebug")]
    env = matrix.cell_vars(dbg)
    assert (env["PY"], env["PYDEBUG"], env["NUMPY"]) == ("3.13.15", "1", "9.9.9")
    assert matrix.cell_vars(cells[0])["PYDEBUG"] == "0"
    with pytest.raises(Error):
        matrix.cells({"cells": [{"scenario": "x", "san": "tsan", "numpy": [], "python": ["3.13.15-asan"]}]})
