"""The toolchain scripts: the Debian source fetch, the cache, its lock and its publishing, bad
values, the real TSan toolchain and its self-check, packages beside the sanitizer-built NumPy.
Fake builds run in a cache of their own; the real ones use the user's cache."""
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import CACHE, ROOT, sh

TC = os.path.join(ROOT, "toolchain")


def tc_bash(script, *args, cache=None, **env):
    """A snippet with toolchain/lib.sh and cpython.sh sourced."""
    e = dict(env)
    if cache:
        e["FTSAN_CACHE"] = cache
    return sh(["bash", "-c", f'. "$0/lib.sh"; . "$0/cpython.sh"; {script}', TC, *args], env=e)


def make_fake_source(d, count):
    """A stand-in CPython source tree whose configure/make only copy a script: enough to drive
    the cache, lock and publish logic of cpy_build without a five-minute compile."""
    os.makedirs(os.path.join(d, "Include"))
    with open(os.path.join(d, "Include", "patchlevel.h"), "w") as f:
        f.write('#define PY_VERSION "3.13.99"\n')
    with open(os.path.join(d, "configure"), "w") as f:
        f.write(f"""#!/bin/sh
for a; do case $a in --prefix=*) prefix=${{a#--prefix=}} ;; esac; done
echo configured >>"{count}"
printf 'all:\\n\\tsleep $${{FAKE_SLEEP:-0}}\\ninstall:\\n\\tmkdir -p $(DESTDIR)%s/bin\\n\\tprintf "#!/bin/sh\\\\necho fake\\\\n" >$(DESTDIR)%s/bin/python3.13t\\n\\tchmod +x $(DESTDIR)%s/bin/python3.13t\\n' \\
  "$prefix" "$prefix" "$prefix" >Makefile
""")
    os.chmod(os.path.join(d, "configure"), 0o755)


def fake_build(cache, src, **env):
    return tc_bash('cpy_build "$1" none', src, cache=cache, **env)


def lines(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def test_dsc_checksum_rejects_a_changed_file(tmp_path):
    out = tc_bash("cpy_fetch_debian 3.13.15")
    assert out.returncode == 0, out.stderr
    src = os.path.dirname(out.stdout.strip().splitlines()[-1])
    d = tmp_path / "dsc"
    d.mkdir()
    for f in glob.glob(f"{src}/*.dsc") + glob.glob(f"{src}/*.debian.tar.*"):
        shutil.copy(f, d)
    for f in glob.glob(f"{src}/*.orig.tar.*"):
        os.symlink(f, d / os.path.basename(f))
    assert tc_bash('cpy__verify_dsc "$1"', str(d)).returncode == 0
    (deb,) = glob.glob(f"{d}/*.debian.tar.*")
    with open(deb, "ab") as f:
        f.write(b"x")
    out = tc_bash('cpy__verify_dsc "$1"', str(d))
    assert out.returncode != 0 and "sha256 mismatch" in out.stderr, out


def test_unserved_version_is_a_usage_error():
    out = tc_bash("cpy_fetch_debian 3.13.99")
    assert out.returncode == 2, out
    assert re.search(r"not served as Debian source package python3.13 \(served: .*3\.13\.15", out.stderr), out.stderr


@pytest.mark.parametrize("env,message", [
    ({"SAN": "msan"}, "SAN must be tsan, asan or none, got 'msan'"),
    ({"NUMPY": "2.2"}, "NUMPY must be a release version such as 2.2.5, or latest, got '2.2'"),
    ({"NUMPY": "2.0.2", "SAN": "none"},
     "NumPy 2.0.2 does not support free-threaded CPython (2.1.0 was the first release to support it)"),
    ({"NUMPY_SRC": "/nonexistent"}, "NUMPY_SRC '/nonexistent' is not a directory"),
    ({"NUMPY_SRC": TC, "SAN": "none"}, f"NUMPY_SRC '{TC}' is not a NumPy source tree"),
    ({"PYDEBUG": "yes"}, "PYDEBUG must be 0 or 1, got 'yes'"),
    ({"PY": "3.13"}, "PY must be a full CPython version"),
    ({"PY_SRC": "/nonexistent", "SAN": "none"}, "PY_SRC '/nonexistent' does not exist"),
])
def test_bad_values_are_usage_errors(env, message):
    out = sh(["bash", f"{TC}/toolchain.sh"], env=env)
    assert out.returncode == 2 and message in out.stderr, out


def test_gil_build_is_refused():
    out = sh(["bash", f"{TC}/toolchain.sh"], env={"PYTHON": shutil.which("python3"), "SAN": "none"})
    assert out.returncode == 2 and "is a GIL build" in out.stderr, out


def test_interrupted_build_never_looks_finished(tmp_path):
    c, s, count = str(tmp_path / "c"), str(tmp_path / "s"), str(tmp_path / "count")
    make_fake_source(s, count)
    p = subprocess.Popen(["bash", "-c", '. "$0/lib.sh"; . "$0/cpython.sh"; cpy_build "$1" none', TC, s],
                         env=dict(os.environ, FTSAN_CACHE=c, FAKE_SLEEP="30"), start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if glob.glob(f"{c}/cpython/*.tmp.*/build/Makefile"):
            break
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGKILL)                       # the whole build, as a crash would
    p.wait()
    assert glob.glob(f"{c}/cpython/*.tmp.*")              # the half-built tree is there ...
    assert not [d for d in glob.glob(f"{c}/cpython/cpython-*") if ".tmp." not in d]   # ... and nothing looks finished
    out = fake_build(c, s)
    assert out.returncode == 0, out.stderr
    assert os.access(os.path.join(out.stdout.strip(), "bin", "python3"), os.X_OK)
    assert not glob.glob(f"{c}/cpython/*.tmp.*")          # a new build cleared the left-overs


def test_concurrent_builds_wait_for_each_other(tmp_path):
    c, s, count = str(tmp_path / "c"), str(tmp_path / "s"), str(tmp_path / "count")
    make_fake_source(s, count)
    argv = ["bash", "-c", '. "$0/lib.sh"; . "$0/cpython.sh"; cpy_build "$1" none', TC, s]
    env = dict(os.environ, FTSAN_CACHE=c, FAKE_SLEEP="2")
    a = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    b = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (ao, ae), (bo, be) = a.communicate(timeout=120), b.communicate(timeout=120)
    assert a.returncode == 0 and b.returncode == 0, ae + be
    assert ao == bo
    assert len(lines(count)) == 1                          # configured once, not twice
    assert "waiting for another build" in ae + be


def test_cache_key_follows_the_source(tmp_path):
    c, s, count = str(tmp_path / "c"), str(tmp_path / "s"), str(tmp_path / "count")
    make_fake_source(s, count)
    first = fake_build(c, s).stdout
    assert fake_build(c, s).stdout == first and len(lines(count)) == 1
    with open(os.path.join(s, "Include", "patchlevel.h"), "a") as f:
        f.write("/* changed */\n")
    second = fake_build(c, s).stdout
    assert second != first and len(lines(count)) == 2


def test_real_toolchain_and_selfcheck():
    """The toolchain `make run` uses, built or reused, and its self-check (which runs after every
    build, and always with SELFCHECK=1); a second call rebuilds nothing."""
    numpy = os.environ.get("TEST_NUMPY", "2.2.5")
    out = sh(["make", "-s", "toolchain", "PY=3.13.15", "SAN=tsan", f"NUMPY={numpy}", "SELFCHECK=1"])
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(out.stdout.splitlines()) == 1
    py = out.stdout.strip()
    assert os.access(py, os.X_OK)
    assert "self-check] ok   tsan reported the planted bug" in out.stderr, out.stderr
    assert "self-check] ok   GIL disabled at run time" in out.stderr, out.stderr
    tc = json.load(open(os.path.join(os.path.dirname(os.path.dirname(py)), "toolchain.json")))
    assert tc["gil_disabled"] and tc["sanitizer"] == "tsan" and tc["numpy_version"] == numpy, tc
    assert tc["pydebug"] is False and tc["numpy_source"] is None, tc
    # NumPy's build requirements: its pyproject.toml's, pinned by pip once, kept in the cache.
    reqs = sh(["python3", f"{TC}/pypi.py", "requires", os.path.join(CACHE, "src", "pypi", f"numpy-{numpy}.tar.gz")])
    names = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in reqs.stdout.split()}
    pinned = dict(p.lower().split("==") for p in tc["numpy_build_requires"])
    assert names and names <= set(pinned) and "ninja" in pinned, (names, pinned)
    assert tuple(int(x) for x in pinned["cython"].split(".")[:2]) >= (3, 1), pinned   # free-threading's floor
    kept = [sorted(lines(f)) for f in glob.glob(os.path.join(CACHE, "src", "build-requires", "3.13t-*.txt"))]
    assert sorted(tc["numpy_build_requires"]) in kept, kept
    # The build's Python steps ran on the uninstrumented CPython; meson still built for this one.
    build = tc["numpy_build"]
    assert "-none-" in build["python_steps_on"] and "-Db_sanitize=thread" in build["setup_args"], build
    assert any(a.startswith("--native-file=") for a in build["setup_args"]), build
    again = sh(["make", "-s", "toolchain", "PY=3.13.15", "SAN=tsan", f"NUMPY={numpy}"])
    assert again.returncode == 0 and again.stdout.strip() == py, again.stderr
    assert "CPython: reusing" in again.stderr and "environment: reusing" in again.stderr, again.stderr
    assert "build CPython" not in again.stderr and "build NumPy" not in again.stderr, again.stderr
    assert "self-check" not in again.stderr         # a reused toolchain passed it already


def test_packages_installed_beside_numpy(tmp_path):
    """Extra packages go beside the sanitizer-built NumPy, in a copy of its environment."""
    out = sh(["make", "-s", "toolchain", "SAN=tsan", "NUMPY=2.2.5", "PACKAGES=threadpoolctl==3.5.0"])
    assert out.returncode == 0, out.stderr[-3000:]
    py = out.stdout.strip().splitlines()[-1]
    env = os.path.dirname(os.path.dirname(py))
    assert re.search(r"numpy-2\.2\.5-.*\+", os.path.basename(env)), env          # its own environment
    assert "threadpoolctl==3.5.0" in lines(os.path.join(env, "packages.txt"))
    chk = sh([py, "-c", "import threadpoolctl, numpy; print(numpy.__version__)"], env={"TSAN_OPTIONS": "report_bugs=0"})
    assert chk.returncode == 0 and chk.stdout.strip() == "2.2.5", chk
    # Still the sanitizer-built NumPy: its core module calls into the TSan runtime.
    (so,) = glob.glob(f"{env}/lib/python3.13t/site-packages/numpy/_core/_multiarray_umath*.so")
    assert "__tsan_" in sh(["nm", "-D", so], check=True).stdout


def test_packages_cannot_replace_numpy():
    """pip never swaps the sanitizer-built NumPy for a wheel: a package set that needs another
    NumPy fails loudly, and the base environment is untouched."""
    base = os.path.dirname(os.path.dirname(sh(["make", "-s", "toolchain", "SAN=tsan", "NUMPY=2.2.5"]).stdout.strip()))
    (so,) = glob.glob(f"{base}/lib/python3.13t/site-packages/numpy/_core/_multiarray_umath*.so")
    before = hashlib.sha256(open(so, "rb").read()).hexdigest()
    out = sh(["bash", f"{TC}/toolchain.sh"], env={"SAN": "tsan", "NUMPY": "2.2.5", "PACKAGES": "numpy==2.2.6"})
    assert out.returncode == 3 and "install numpy==2.2.6 FAILED" in out.stderr, out
    assert hashlib.sha256(open(so, "rb").read()).hexdigest() == before
    # Nothing was published for that package set (a failed build's temporary tree may stay).
    key = hashlib.sha256(b"numpy==2.2.6\n").hexdigest()[:12]
    assert not [d for d in glob.glob(f"{base}+*") if ".tmp." not in d and key in d]


def test_py_src_second_cpython_debug_build(harness):
    """A second real CPython through PY_SRC, Debian trixie's 3.13.5 tarball, configured
    --with-pydebug (PYDEBUG=1) with TSan as CPython's own TSan CI does: it builds, passes the
    self-check, and a run on it says so in report.json and the summary."""
    src = tc_bash("cpy_fetch_debian 3.13.5")
    assert src.returncode == 0, src.stderr[-2000:]
    tarball = src.stdout.strip().splitlines()[-1]
    out = sh(["make", "-s", "toolchain", f"PY_SRC={tarball}", "SAN=tsan", "PYDEBUG=1", "NUMPY=", "SELFCHECK=1"])
    assert out.returncode == 0, out.stderr[-3000:]
    assert "self-check] ok   tsan reported the planted bug" in out.stderr, out.stderr
    py = out.stdout.strip().splitlines()[-1]
    tc = json.load(open(os.path.join(os.path.dirname(os.path.dirname(py)), "toolchain.json")))
    assert tc["version"] == "3.13.5" and tc["pydebug"] is True and "--with-pydebug" in tc["config_args"], tc
    assert "-tsan-pydebug-" in tc["base_prefix"], tc["base_prefix"]     # its own cache key
    r = harness("tests/e2e/scenarios/c_race.yaml", PY_SRC=tarball, PYDEBUG="1", RUNS=2)
    assert r.rc == 1, r
    assert r.report["versions"]["python"] == "3.13.5" and r.report["versions"]["pydebug"] is True, r.report["versions"]
    assert "3.13.5 (free-threaded, debug build, ThreadSanitizer)" in open(os.path.join(r.dir, "summary.md")).read()


def test_index_latest_and_wheels():
    """What the toolchain asks the package index: NumPy's newest release (so NUMPY=latest has
    something to resolve to) and whether a release has a wheel for the free-threaded 3.13
    (2.1.1 does; 2.5.5 does not, and SAN=none builds its sdist)."""
    latest = sh(["python3", f"{TC}/pypi.py", "latest", "numpy"])
    assert latest.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", latest.stdout.strip()), latest
    assert tuple(int(x) for x in latest.stdout.split(".")) >= (2, 5, 5)
    assert sh(["python3", f"{TC}/pypi.py", "has-wheel", "numpy", "2.1.1", "cp313t", "x86_64"]).returncode == 0
    assert sh(["python3", f"{TC}/pypi.py", "has-wheel", "numpy", "2.5.5", "cp313t", "x86_64"]).returncode == 1
