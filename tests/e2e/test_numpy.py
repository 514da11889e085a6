"""The seed bugs on real NumPy builds: the from_dlpack race on the TSan NumPy 2.2.5 and its
absence on 2.2.6, and the seed scenarios that verify on wheels, as `make verify` runs them."""
import os
import xml.dom.minidom

from conftest import sh


def test_dlpack_race_found_on_numpy_2_2_5(harness):
    r = harness("dlpack_race", NUMPY="2.2.5", RUNS=6)
    assert r.rc == 1, r
    rep = r.report
    assert rep["schema"] == "ftsan-report/1" and rep["versions"]["numpy"] == "2.2.5", rep["versions"]
    (f,) = rep["findings"]
    assert f["kind"] == "data-race" and f["component"] == "numpy", f
    assert f["signature"] == "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)", f["signature"]
    assert f["known"] == "numpy#28881" and f["fixed_in"] == "numpy 2.2.6", f
    assert f["runs_hit"] >= 4 and "dlpack_race.yaml" in f["python_traceback"], f
    # The keyword tuples from_dlpack fills lazily: TSan's location lines name them.
    assert any(m.startswith("global 'from_dlpack.") for m in f["memory"]), f["memory"]
    md = open(os.path.join(r.dir, "findings", f["id"], "report.md")).read()
    for h in ("### Describe the issue:", "### Reproduce the code example:", "### Error message:",
              "### Python and NumPy Versions:", "### Runtime Environment:", "<details>"):
        assert h in md, h
    assert "numpy/_core/src/multiarray/dlpack.c:" in md and "Objects/methodobject.c:" in md
    x = xml.dom.minidom.parse(os.path.join(r.dir, "junit.xml"))
    assert x.documentElement.getAttribute("failures") == "1"


def test_dlpack_race_clean_on_numpy_2_2_6(harness):
    r = harness("dlpack_race", NUMPY="2.2.6", RUNS=6)
    assert r.rc == 0, r
    assert r.report["findings"] == [] and r.report["runs"]["done"] == 6


def test_verify_seed_scenarios_on_wheels(reports):
    """Each wheel-based seed scenario on the versions with its bug and the versions that fixed
    it, as `make verify` runs them; verify.py exits non-zero on a wrong or failed row."""
    for s in ("tests/e2e/scenarios/numpy_testing_import.yaml", "joblib_bigendian", "openblas_memory", "openblas_memory_single",
              "openblas_memory_limited"):
        out = sh(["python3", "ci/verify.py"], env={"SCENARIO": s, "FTSAN_REPORTS": reports})
        assert out.returncode == 0, out.stdout + out.stderr
        rows = [l for l in open(os.path.join(reports, "verify", "latest.md")).read().splitlines()
                if l.startswith(f"| {s} ")]
        assert rows and all(l.rstrip().endswith("| ok |") for l in rows), rows
