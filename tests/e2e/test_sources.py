"""Packages other than NumPy built from source trees (SRC): the maintainer's fix loop on numexpr,
whose worker threads raced in 2.10.2 and were fixed upstream in 2.11.0."""
import os
import subprocess
import tarfile
import time

from conftest import CACHE, ROOT, sh

NUMEXPR = "2.10.2"


def numexpr_tree():
    """numexpr 2.10.2's sdist unpacked in the cache, over what an earlier test run left there:
    every source file back to the release's, setuptools' own build directory (build/) kept, as a
    maintainer's checkout keeps it between builds."""
    sdist = os.path.join(CACHE, "src", "pypi", f"numexpr-{NUMEXPR}.tar.gz")
    if not os.path.exists(sdist):
        assert sh(["python3", "toolchain/pypi.py", "sdist", "numexpr", NUMEXPR, os.path.dirname(sdist)]).returncode == 0
    trees = os.path.join(CACHE, "trees")
    os.makedirs(trees, exist_ok=True)
    with tarfile.open(sdist) as t:
        t.extractall(trees, filter="tar")
    tree = os.path.join(trees, f"numexpr-{NUMEXPR}-fixloop")
    if os.path.isdir(tree):
        subprocess.run(["cp", "-a", os.path.join(trees, f"numexpr-{NUMEXPR}") + "/.", tree], check=True)
        subprocess.run(["rm", "-rf", os.path.join(trees, f"numexpr-{NUMEXPR}")], check=True)
    else:
        os.rename(os.path.join(trees, f"numexpr-{NUMEXPR}"), tree)
    return tree


def test_numexpr_src_fix_loop(harness):
    """numexpr 2.10.2 as a local tree (SRC=dir, named by its pyproject.toml) on NumPy 2.2.5
    shows its worker threads' race on gs.init_sentinels_done; with the upstream fix applied (one
    worker clears it) and a one-line edit of module.cpp on top, the tree is rebuilt incrementally
    (setuptools recompiles the extension whose sources changed, in the tree's kept build/) and
    comes out clean. The unpatched state's build is reused from one test run to the next."""
    tree = numexpr_tree()
    r = harness("numexpr_workers", NUMPY="2.2.5", SRC=tree, RUNS=4)
    assert r.rc == 1, r
    (f,) = r.report["findings"]
    assert f["kind"] == "data-race" and f["signature"] == "data-race: th_worker (module.cpp) <> th_worker (module.cpp)", f
    assert f["runs_hit"] >= 3, f
    (before,) = r.report["versions"]["sources"]
    assert before["name"] == "numexpr" and before["version"] == NUMEXPR and before["tree"] == os.path.realpath(tree), before
    assert before["commit"] is None and before["build_system"] == "setuptools.build_meta", before
    assert f"| from source | numexpr {NUMEXPR}, built from the source tree numexpr-{NUMEXPR}-fixloop (no git; content " \
        in open(os.path.join(r.dir, "summary.md")).read()
    # the tree's files by their paths in the tree, not the machine's
    md = open(os.path.join(r.dir, "findings", f["id"], "report.md")).read()
    assert " numexpr/module.cpp:" in md and tree + "/" not in md, md[:3000]

    patch = os.path.join(ROOT, "tests", "e2e", "numexpr-sentinels-one-writer.patch")
    subprocess.run(["patch", "-p1", "-i", patch], cwd=tree, check=True, capture_output=True)
    with open(os.path.join(tree, "numexpr", "module.cpp"), "a") as fh:
        fh.write(f"/* fix-loop test {time.time_ns()} */\n")
    r = harness("numexpr_workers", NUMPY="2.2.5", SRC=f"numexpr={tree}", RUNS=4)
    assert r.rc == 0, r
    assert r.report["findings"] == [] and r.report["runs"]["done"] == 4
    (after,) = r.report["versions"]["sources"]
    assert after["tree"] == before["tree"] and after["state"] != before["state"], (before, after)
    assert after["incremental"] is True, after     # the tree's kept build/, not a cold build
    print(f"incremental rebuild of the patched numexpr tree: {after['build_seconds']} s")


def test_src_bad_values(harness):
    """A SRC that names no directory, or no package, is a usage error (exit 2) before any build."""
    r = harness("tests/e2e/scenarios/c_race.yaml", SRC="/nonexistent/tree")
    assert r.rc == 2 and "SRC: '/nonexistent/tree' is not a directory" in r.out, r
    r = harness("tests/e2e/scenarios/c_race.yaml", SRC=f"{ROOT}/tests")
    assert r.rc == 2 and "cannot tell which package" in r.out, r
