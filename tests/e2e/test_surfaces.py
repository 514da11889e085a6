"""Every command surface as a table: the scenario tool's verbs (run as the unit tests are built,
with ASan and UBSan, so a memory error fails a row even where it would not crash), the Python
verbs' arguments, and what a tool that dies by a signal looks like to the user. The harness's
own command line is fuzzed (tests/fuzz/fuzz_cli.c) and unit-tested (tests/unit/test_cli.c).

A row says the exit status and what must be in the output; every row also asserts the tool was
not killed by a signal and that a refusal (exit 2) says something. None starts a build or a run:
the rows that would are refused before any work, which is what they test."""
import ast
import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, SCN, sh

DLPACK = "scenarios/dlpack_race.yaml"
SIG = "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)"
SETUP = "import numpy as np\narrays = [np.arange(16.0) for _ in range(64)]\n"


@pytest.fixture(scope="module")
def scntool():
    out = sh(["make", "-s", "build/unit/scntool"])
    assert out.returncode == 0, out.stderr[-3000:]
    return os.path.join(ROOT, "build", "unit", "scntool")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("values")
    paths = {"setup": d / "setup", "body": d / "body", "latin1": d / "latin1", "big": d / "big"}
    paths["setup"].write_text(SETUP)
    paths["body"].write_text("np.from_dlpack(arrays[tid])\n")
    paths["latin1"].write_bytes(b"caf\xe9 = 1\n")
    paths["big"].write_text("x = 1\n" * 200000)            # 1.2 MB: over the 1 MiB an input may have
    return {k: str(v) for k, v in paths.items()}


def loads(kind):
    """A check of stdout: JSON (with a predicate), Python source, or a scenario."""
    if kind == "python":
        return lambda out: ast.parse(out) is not None
    return lambda out: kind(json.loads(out))


# (argv after the tool, exit status, what stdout or stderr must hold: a string in stderr, or a
# predicate of stdout). {setup}, {body}, ... are the files above.
SCNTOOL = [
    ([], 2, "usage: scntool"),
    (["frob", DLPACK], 2, "usage: scntool"),
    (["check"], 2, "usage: scntool"),
    (["check", DLPACK, "extra"], 2, "usage: scntool"),
    (["check", "scenarios/nope.yaml"], 2, "scenarios/nope.yaml: cannot read the scenario"),
    (["check", "README.md"], 2, "README.md:"),
    (["check", DLPACK], 0, lambda out: out == ""),
    (["name", DLPACK], 0, lambda out: out == "dlpack_race\n"),
    (["packages", DLPACK], 0, lambda out: out == ""),            # numpy is the toolchain's
    (["sources", DLPACK], 0, lambda out: out == ""),
    (["build", f"{SCN}/c_race.yaml"], 0, lambda out: out.split()[0] == "c"),
    (["sanitizers", DLPACK], 0, lambda out: out.split() == ["tsan"]),
    (["plan", DLPACK], 0, lambda out: out.splitlines() == ["tsan 2.2.5 -", "tsan 2.2.6 -"]),
    (["program", DLPACK], 0, loads("python")),
    (["json", DLPACK], 0, loads(lambda j: j["threads"] == 8 and j["setup"] == SETUP)),
    (["expect", DLPACK, "tsan", "2.2.5", "-"], 0, lambda out: out.split() == ["found", "data-race", "from_dlpack", "numpy#28881"]),
    (["expect", DLPACK, "tsan", "2.2.6", "-"], 0, lambda out: out.split()[0] == "clean"),
    (["expect", DLPACK, "tsan"], 2, "usage: scntool"),
    (["layout"], 0, loads(lambda j: j["report_json"] == "report.json")),
    (["layout", "extra"], 2, "usage: scntool"),
    # sanopts: the runs' sanitizer options (plan.c), the user's first (ASAN_OPTIONS=detect_leaks=1 below)
    (["sanopts", "--dir", "/d", "--suppressions", "/x", "--symbolizer", "/s"], 0, lambda out: out.splitlines() == [
        "TSAN_OPTIONS=log_path=/d/tsan:halt_on_error=0:second_deadlock_stack=1:print_suppressions=1:suppressions=/x:"
        "external_symbolizer_path=/s",
        "ASAN_OPTIONS=detect_leaks=1:log_path=/d/asan:abort_on_error=0:handle_abort=1:external_symbolizer_path=/s"]),
    (["sanopts"], 0, lambda out: out.splitlines()[0] == "TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1:"
                                                         "print_suppressions=1"),
    (["sanopts", "--bogus"], 2, "sanopts: unknown option '--bogus'"),
    (["sanopts", "--dir"], 2, "sanopts: --dir needs a value"),
    (["sanopts", "extra"], 2, "sanopts: unexpected argument 'extra'"),
    # emit: the minimizer's first candidate of dlpack_race, which crashed the tool
    (["emit", DLPACK, "name=dlpack_race", "threads=8", "iterations=3", "timeout=70", "setup=@{setup}", "body=@{body}"],
     0, lambda out: "timeout: 70" in out and "setup: |" in out),
    (["emit", DLPACK], 0, lambda out: out.startswith("name: dlpack_race\n")),
    (["emit", DLPACK, "threads"], 2, "emit: 'threads' is not KEY=VALUE or KEY=@FILE"),
    (["emit", DLPACK, "=8"], 2, "emit: '=8' is not KEY=VALUE or KEY=@FILE"),
    (["emit", DLPACK, "expect=[]"], 2, "cannot set 'expect'"),
    (["emit", DLPACK, "nokey=1"], 2, "cannot set 'nokey'"),
    (["emit", DLPACK, "threads=0"], 2, "'threads' must be a positive integer, got '0'"),
    (["emit", DLPACK, "threads=eight"], 2, "'threads' must be a positive integer, got 'eight'"),
    (["emit", DLPACK, "name=a b"], 2, "'name' must be letters, digits, '_' and '-', got 'a b'"),
    (["emit", DLPACK, "body=@/nonexistent"], 2, "emit: cannot read /nonexistent"),
    (["emit", DLPACK, "body=@{big}"], 2, "is over the 1048576 bytes a value may have"),   # not cut
    (["emit", DLPACK, "body=@{latin1}"], 2, "cannot set 'body': its value is not UTF-8 (byte 4 of 9)"),
    (["emit", "scenarios/nope.yaml", "threads=2"], 2, "scenarios/nope.yaml: cannot read the scenario"),
    (["emit"], 2, "usage: scntool"),
    # sign and known: the harness's rule on a captured log, and the catalog
    (["sign", "tests/fixtures/tsan_dlpack_race/tsan.11186"], 0,
     loads(lambda j: [f["signature"] for f in j["findings"]] == [SIG])),
    (["sign", "--catalog", "known/catalog.json", "tests/fixtures/tsan_dlpack_race/tsan.11186"], 0,
     loads(lambda j: j["findings"][0]["known"] == "numpy#28881")),
    (["sign"], 0, loads(lambda j: j == {"findings": []})),
    (["sign", "/nonexistent"], 2, "cannot read /nonexistent"),
    (["sign", "--catalog", "/nonexistent", "tests/fixtures/tsan_dlpack_race/tsan.11186"], 2,
     "/nonexistent: cannot read it as a catalog"),
    (["known", "--catalog", "known/catalog.json", "data-race", SIG], 0,
     loads(lambda j: j["known"] == "numpy#28881" and j["fixed_in"] == "numpy 2.2.6")),
    (["known", "--catalog", "known/catalog.json", "data-race", "data-race: nowhere <> nothing"], 0,
     loads(lambda j: j == {"known": None, "url": None, "fixed_in": None})),
    (["known", "--catalog", "known/catalog.json", "data-race"], 2, "usage: scntool"),
    (["known", "data-race", SIG, "x"], 2, "usage: scntool"),
    (["known", "--catalog", "README.md", "data-race", SIG], 2, "README.md: cannot read it as a catalog"),
]


@pytest.mark.parametrize("argv,status,want", SCNTOOL, ids=[" ".join(r[0])[:60] or "(none)" for r in SCNTOOL])
def test_scntool_verbs(scntool, files, argv, status, want):
    argv = [a.format(**files) for a in argv]
    r = subprocess.run([scntool, *argv], cwd=ROOT, capture_output=True, text=True,
                       env={"PATH": os.environ["PATH"], "ASAN_OPTIONS": "detect_leaks=1",
                            "UBSAN_OPTIONS": "print_stacktrace=1"})
    assert r.returncode >= 0, f"killed by {signal.Signals(-r.returncode).name}\n{r.stderr[-3000:]}"
    assert r.returncode == status, r.stderr[-3000:]
    if status == 2:
        assert r.stderr.strip(), "a refusal without a message"
    if isinstance(want, str):
        assert want in r.stderr, r.stderr
    else:
        assert want(r.stdout), r.stdout[-3000:]


# The Python verbs: (argv, exit status, what stderr must hold). Each is refused before any work.
FTSAN = [
    ([], 2, "commands:"),
    (["frob"], 2, "commands:"),
    (["minimize"], 2, "the following arguments are required: target"),
    (["toolchain", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["minimize", "--budget", "soon", "x"], 2, "argument --budget: invalid float value"),
    (["minimize", "nosuchfinding"], 2, "ftsan minimize: error: minimize: no report under reports/ has finding nosuchfinding"),
    (["bisect"], 2, "the following arguments are required: --scenario, --numpy"),
    (["bisect", "--scenario", "dlpack_race", "--numpy", "2.2"], 2, "--numpy must be A..B with release versions, got '2.2'"),
    (["bisect", "--scenario", "nosuch", "--numpy", "2.2.5..2.2.6"], 2, "scenarios/nosuch.yaml: cannot read the scenario"),
    (["hunt"], 2, "the following arguments are required: module"),
    (["hunt", "numpy", "--budget", "-5"], 2, "--budget and --batch must be positive"),
    (["hunt", "numpy", "--seed", "x"], 2, "argument --seed: invalid int value"),
    (["verify", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["matrix", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["matrix", "merge", "/nonexistent"], 2, "matrix merge: /nonexistent is not a shard of the matrix"),
    (["findings", "list", "--since", "yesterday"], 2, "--since takes a date, 2026-12-01 (UTC), got 'yesterday'"),
    (["findings", "show"], 2, "the following arguments are required: id"),
    (["findings", "merge", "/nonexistent.db"], 2, "no findings store at /nonexistent.db"),
    (["findings", "import", "/nonexistent"], 2, "/nonexistent: no report.json to record"),
    (["findings", "frob"], 2, "invalid choice: 'frob'"),
]


@pytest.mark.parametrize("argv,status,want", FTSAN, ids=[" ".join(r[0]) or "(none)" for r in FTSAN])
def test_python_verbs_refuse_bad_arguments(tmp_path, argv, status, want):
    r = subprocess.run([sys.executable, "-m", "ftsan", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, FTSAN_REPORTS=str(tmp_path)))
    assert r.returncode == status, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr
    assert want in r.stderr, r.stderr


@pytest.fixture
def crashing_scntool(tmp_path, monkeypatch):
    """The scenario tool replaced by a program that dies by SIGSEGV, as scntool did on emit."""
    from ftsan import harness
    tool = tmp_path / "scntool"
    tool.write_text("#!/bin/sh\nkill -SEGV $$\n")
    tool.chmod(0o755)
    monkeypatch.setattr(harness, "scntool_path", lambda: str(tool))
    return str(tool)


def test_a_tool_killed_by_a_signal_is_named_with_what_it_was_doing(crashing_scntool, tmp_path):
    """scntool dying by SIGSEGV while the minimizer emits a candidate: an error that names the
    tool, the signal, the step and the command (whose input files are kept), never an empty one."""
    from ftsan import Error, minimize
    m = minimize.Minimizer.__new__(minimize.Minimizer)
    m.scenario = os.path.join(ROOT, DLPACK)
    with pytest.raises(Error) as e:
        m.scenario_text({"name": "dlpack_race", "threads": 8, "iterations": 3, "timeout": 70, "setup": SETUP,
                         "body": "np.from_dlpack(arrays[tid])\n"})
    msg = str(e.value)
    assert e.value.status == 3
    head, _, command = msg.partition("; its command: ")
    assert head == "the scenario tool was killed by SIGSEGV while emitting a candidate", msg
    words = command.split()
    assert words[:3] == [crashing_scntool, "emit", m.scenario] and "threads=8" in words, command
    setup = [w for w in words if w.startswith("setup=@")]
    assert setup and open(setup[0][len("setup=@"):]).read() == SETUP     # the command can be run again


def test_a_crash_reaches_the_user_as_one_line_with_its_status(crashing_scntool, monkeypatch, capsys):
    """Through python3 -m ftsan's error path (a command whose scenario tool crashes): printed
    once, exit 3, never an empty message."""
    from ftsan import __main__ as front
    from ftsan import harness, verify

    monkeypatch.setattr(verify, "main", lambda argv: harness.scntool("sign", "x.log"))
    assert front.main(["verify"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("ftsan verify: error: the scenario tool was killed by SIGSEGV while signing "
                          "sanitizer logs; its command: "), err
    assert err.count("\n") == 1, err
