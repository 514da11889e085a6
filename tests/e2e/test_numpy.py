"""The seed bugs on real NumPy builds: the from_dlpack race on the TSan NumPy 2.2.5, the
maintainer's fix loop on a NumPy source tree (NUMPY_SRC), and the seed scenarios that verify on
wheels, as `make verify` runs them."""
import os
import shutil
import subprocess
import tarfile
import time
import xml.dom.minidom

from conftest import CACHE, ROOT, sh


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
    # the options as the runs had them, each path cut to its name (a path ends at ':')
    assert ":suppressions=suppressions.txt:external_symbolizer_path=llvm-symbolizer" in md, md[-600:]
    x = xml.dom.minidom.parse(os.path.join(r.dir, "junit.xml"))
    assert x.documentElement.getAttribute("failures") == "1"


def test_numpy_src_fix_loop(harness):
    """NumPy 2.2.5's sdist unpacked as a local tree shows numpy#28881; with the fix applied (a
    patch written from the upstream description: from_dlpack's call arguments made once at
    import) and a one-line edit of dlpack.c on top, the tree is rebuilt incrementally in its kept
    build directory and comes out clean. The tree lives in the cache, so the unpatched state's
    build is reused from one test run to the next; the edit (a fresh comment each time) makes
    every run rebuild incrementally."""
    sdist = os.path.join(CACHE, "src", "pypi", "numpy-2.2.5.tar.gz")
    if not os.path.exists(sdist):
        assert sh(["python3", "toolchain/pypi.py", "sdist", "numpy", "2.2.5", os.path.dirname(sdist)]).returncode == 0
    tree = os.path.join(CACHE, "trees", "numpy-2.2.5-fixloop")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.dirname(tree), exist_ok=True)
    with tarfile.open(sdist) as t:
        t.extractall(os.path.dirname(tree), filter="tar")
    os.rename(os.path.join(os.path.dirname(tree), "numpy-2.2.5"), tree)

    r = harness("dlpack_race", NUMPY_SRC=tree, RUNS=6)
    assert r.rc == 1, r
    assert [f["known"] for f in r.report["findings"]] == ["numpy#28881"], r.report["findings"]
    before = r.report["versions"]["numpy_source"]
    assert before["tree"] == os.path.realpath(tree) and before["commit"] is None and before["dirty"] is None, before
    assert r.report["versions"]["numpy"] == "2.2.5"
    assert "built from the source tree numpy-2.2.5-fixloop (no git; content " in open(os.path.join(r.dir, "summary.md")).read()

    patch = os.path.join(ROOT, "tests", "e2e", "numpy-28881-from-dlpack-once.patch")
    subprocess.run(["patch", "-p1", "-i", patch], cwd=tree, check=True, capture_output=True)
    with open(os.path.join(tree, "numpy", "_core", "src", "multiarray", "dlpack.c"), "a") as f:
        f.write(f"/* fix-loop test {time.time_ns()} */\n")
    r = harness("dlpack_race", NUMPY_SRC=tree, RUNS=6)
    assert r.rc == 0, r
    assert r.report["findings"] == [] and r.report["runs"]["done"] == 6
    after = r.report["versions"]["numpy_source"]
    assert after["tree"] == before["tree"] and after["state"] != before["state"], (before, after)
    built = r.run_json["toolchain"]["numpy_source"]
    assert built["incremental"] is True, built       # the kept meson build directory, not a cold build
    print(f"incremental rebuild of the patched tree: {built['build_seconds']} s")


def test_verify_seed_scenarios_on_wheels(reports):
    """Each wheel-based seed scenario on the versions with its bug and the versions that fixed
    it, as `make verify` runs them; verify.py exits non-zero on a wrong or failed row."""
    for s in ("tests/e2e/scenarios/numpy_testing_import.yaml", "joblib_bigendian", "openblas_memory", "openblas_memory_single",
              "openblas_memory_limited"):
        out = sh(["python3", "-m", "ftsan", "verify"], env={"SCENARIO": s, "FTSAN_REPORTS": reports})
        assert out.returncode == 0, out.stdout + out.stderr
        rows = [l for l in open(os.path.join(reports, "verify", "latest.md")).read().splitlines()
                if l.startswith(f"| {s} ")]
        assert rows and all(l.rstrip().endswith("| ok |") for l in rows), rows
