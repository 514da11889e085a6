"""toolchain.json: one writer (ftsan.toolchain.describe, the interpreter answering for itself)
and one typed reader (Toolchain.load), on the bare TSan toolchain the other tests use."""
import json
import os
import shutil
import sys

import pytest

from conftest import ROOT, toolchain_of

sys.path.insert(0, ROOT)
from ftsan import Error  # noqa: E402
from ftsan import toolchain  # noqa: E402


@pytest.fixture(scope="module")
def tc():
    return toolchain_of("tsan")


def test_what_is_written_is_what_is_read(tc):
    d = json.load(open(tc.json_path))
    assert d["schema"] == toolchain.SCHEMA and d["python"] == tc.python and d["sanitizer"] == "tsan", d
    assert toolchain.Toolchain.load(tc.json_path) == tc
    assert tc.gil_disabled and tc.version.startswith("3.") and os.path.isfile(tc.libpython_static), tc
    assert tc.numpy_version is None and tc.packages == [], tc     # the bare environment


@pytest.mark.parametrize("change,message", [
    (lambda d: d.pop("cc"), "no key 'cc'"),
    (lambda d: d.update(setarch="no"), "key 'setarch' is str 'no', not bool"),
    (lambda d: d.update(site_packages="/x"), "key 'site_packages' is str '/x', not list"),
    (lambda d: d.update(schema=True), "key 'schema' is bool True, not int"),
    (lambda d: d.update(symbolizer=3), "key 'symbolizer' is int 3, not str or NoneType"),
])
def test_a_bad_description_names_the_file_and_the_key(tc, tmp_path, change, message):
    d = json.load(open(tc.json_path))
    change(d)
    path = tmp_path / "toolchain.json"
    path.write_text(json.dumps(d))
    with pytest.raises(Error) as e:
        toolchain.Toolchain.load(str(path))
    assert str(path) in str(e.value) and message in str(e.value) and e.value.status == 3, e.value


def test_a_description_of_another_layout_is_written_anew(tc, tmp_path):
    """A toolchain.json the old builder wrote (no schema) or of other builder facts is described
    again by the interpreter; the file is replaced whole."""
    keep = tmp_path / "kept.json"
    shutil.copyfile(tc.json_path, keep)
    try:
        d = json.load(open(tc.json_path))
        del d["schema"]
        d["version"] = "0.0.0"
        with open(tc.json_path, "w") as f:
            json.dump(d, f)
        again = toolchain_of("tsan")
        assert again.schema == toolchain.SCHEMA and again.version == tc.version, again
        assert json.load(open(tc.json_path))["version"] == tc.version
    finally:
        shutil.copyfile(keep, tc.json_path)


def test_a_sanitized_process_gets_named_variables_and_the_runs_options(tc, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "leak")
    monkeypatch.setenv("PIP_INDEX_URL", "http://index")
    monkeypatch.setenv("TSAN_OPTIONS", "history_size=4")
    env = tc.process_env(str(tmp_path), {"OPENBLAS_NUM_THREADS": "1"}, ["/k"], ["/p.so"])
    assert "SECRET_TOKEN" not in env and "PIP_INDEX_URL" not in env, env
    assert env["PATH"] == os.environ["PATH"] and env["PYTHON_GIL"] == "0" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["PYTHONPATH"].split(":")[0] == "/k" and env["LD_PRELOAD"].split(":")[0] == "/p.so", env
    opts = env["TSAN_OPTIONS"].split(":")
    assert opts[0] == "history_size=4" and f"log_path={tmp_path}/tsan" in opts, opts   # the user's first
    assert f"suppressions={tc.tsan_suppressions}" in opts and "halt_on_error=0" in opts, opts
    quiet = tc.process_env(quiet=True)
    assert quiet["TSAN_OPTIONS"] == "report_bugs=0:exitcode=0:die_after_fork=0" and "SECRET_TOKEN" not in quiet, quiet
