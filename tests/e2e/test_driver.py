"""The driver end to end: real scenarios through `python3 -m ftsan run` (as `make run` calls it) on the
real TSan toolchain, each asserting on the evidence and the reports left behind."""
import glob
import os
import re
import subprocess
import time

import pytest

from conftest import ROOT, SCN, front_door, harness_binary, load_json, toolchain_of


def test_yaml_syntax_error_names_line_7_and_writes_nothing(harness, reports):
    r = harness(f"{SCN}/syntax_error_line7.yaml")
    assert r.rc == 2, r
    assert "syntax_error_line7.yaml:7:27: YAML syntax error" in r.out, r
    assert os.listdir(reports) == []


def test_python_syntax_error_is_a_scenario_error(harness, reports, tmp_path):
    """A body that does not compile: exit 2 before any run, naming the scenario's own line and
    column, and nothing written."""
    bad = tmp_path / "bad_body.yaml"
    bad.write_text("name: bad_body\nthreads: 2\niterations: 1\nruns: 2\nsetup: |\n  import os\n"
                   "body: |\n  x = 1\n  def (\n")
    r = harness(str(bad))
    assert r.rc == 2, r
    assert re.search(r"bad_body\.yaml:9:7: the scenario's body does not compile: SyntaxError: ", r.out), r
    assert os.listdir(reports) == []


def test_bad_scenario_values_are_errors(harness, reports, tmp_path):
    for text, message in [
        ("name: x\nbody: pass\nexpect:\n  - {numpy: \">=abc\", outcome: clean}\n",
         "x.yaml:4:13: 'expect.numpy' must be a version range"),
        ("name: x\nbody: pass\n---\nname: y\nbody: pass\n",
         "x.yaml:3:1: a second YAML document: a scenario file holds exactly one scenario"),
    ]:
        p = tmp_path / "x.yaml"
        p.write_text(text)
        r = harness(str(p))
        assert r.rc == 2, r
        assert message in r.out, r
    assert os.listdir(reports) == []


def test_bad_command_line_value_is_exit_2(harness, reports):
    r = harness(f"{SCN}/worker_exception.yaml", THREADS="zero")
    assert r.rc == 2 and "THREADS must be a positive integer, got 'zero'" in r.out, r
    r = harness("no_such_scenario")
    assert r.rc == 2 and "no scenario 'no_such_scenario' in scenarios/" in r.out, r
    assert os.listdir(reports) == []


def test_hang_is_killed_with_python_and_native_stacks(harness):
    r = harness(f"{SCN}/timeout_sleep.yaml")
    assert r.rc == 1, r
    st = r.status()
    assert st["timed_out"] is True and st["signal_name"] == "KILL", st
    (hang,) = r.findings("hang")
    # Signed by where it hangs in Python and where the workers block in native code.
    assert hang["signature"] == "hang: timed out in <module> (timeout_sleep.yaml), blocked in pysleep (timemodule.c)", hang
    labels = [s["label"] or "" for s in hang["stacks"]]
    native = [s for s in hang["stacks"] if (s["label"] or "").startswith("native Thread ")]
    assert len(native) >= 3, labels                        # two workers and the main thread, from gdb
    assert sum(any(f["function"] == "time_sleep" for f in s["frames"]) for s in native) == 2, labels
    python = [s for s in hang["stacks"] if not (s["label"] or "").startswith("native ")]
    assert any(f["file"].endswith("timeout_sleep.yaml") and f["line"] == 10 for s in python for f in s["frames"]), python
    assert subprocess.run(["pgrep", "-f", "timeout_sleep.yaml"], capture_output=True).returncode == 1
    # Why the threads wait: the two workers sleep, nothing waits on a lock.
    waits = {t["thread"]: t for t in hang["waits"]["threads"]}
    assert sorted(t["state"] for t in waits.values() if t["worker"]) == ["sleep", "sleep"], waits
    assert hang["waits"]["deadlock"] is False, hang["waits"]


def test_a_deadlock_is_told_from_the_threads_stacks(harness):
    """Two threads take two locks in opposite orders: the hang's wait graph has both workers
    waiting on a Python lock and no thread running, which is a deadlock; report.md says so."""
    r = harness(f"{SCN}/lock_deadlock.yaml")
    assert r.rc == 1, r
    (hang,) = r.findings("hang")
    w = hang["waits"]
    assert w["deadlock"] is True and w["summary"].startswith("deadlock: every worker waits on a lock"), w
    assert sorted(t["state"] for t in w["threads"] if t["worker"]) == ["python-lock", "python-lock"], w
    with open(os.path.join(r.dir, "findings", hang["id"], "report.md")) as f:
        assert "Why the threads wait: deadlock" in f.read()


def test_worker_exception_keeps_thread_and_traceback(harness):
    r = harness(f"{SCN}/worker_exception.yaml")
    assert r.rc == 1, r
    ev = r.events()
    (exc,) = [e for e in ev if e["kind"] == "exception"]
    assert (exc["tid"], exc["iteration"], exc["type"]) == (2, 1, "ZeroDivisionError"), exc
    assert 'worker_exception.yaml", line 9, in check' in exc["traceback"]
    (summary,) = [e for e in ev if e["kind"] == "summary"]
    assert summary["body_exceptions"] == 1 and summary["body_completed"] == 11, summary
    (f,) = r.findings("exception")
    assert f["signature"] == "exception: ZeroDivisionError at check (worker_exception.yaml)", f


def test_system_exit_in_setup_is_the_setups_exception(harness):
    """sys.exit in setup is the setup's exception, like any other: the child writes its summary
    and exits with the setup status (10), not through Py_Exit."""
    r = harness(f"{SCN}/setup_system_exit.yaml")
    assert r.rc == 1, r
    assert r.status()["exit_code"] == 10, r.status()
    ev = r.events()
    (exc,) = [e for e in ev if e["kind"] == "exception"]
    assert (exc["phase"], exc["type"], exc["message"]) == ("setup", "SystemExit", "3"), exc
    assert [e for e in ev if e["kind"] == "summary"], ev
    (f,) = r.findings("exception")
    assert f["signature"] == "exception: SystemExit at <module> (setup_system_exit.yaml)", f
    assert f["scenario_bug"] is False and r.report["scenario"]["describes_bug"] is False


def test_fork_server_runs_setup_once_and_fresh_runs_it_each_time(harness, tmp_path):
    """process: fork (the default): one server ran setup, every run was forked from it and says
    so; PROCESS=fresh: each run ran setup in its own process."""
    log = tmp_path / "setups.txt"
    r = harness(f"{SCN}/fork_setup_once.yaml", FTSAN_TEST_SETUP_LOG=str(log))
    assert r.rc == 0, r
    assert r.report["process"] == {"asked": "fork", "forked": 4, "spawned": 0, "servers": 1, "why_spawned": None}
    assert len(log.read_text().split()) == 1
    for n in range(1, 5):
        (summary,) = [e for e in r.events(n) if e["kind"] == "summary"]
        assert summary["forked"] is True and summary["body_completed"] == 4 and summary["run"] == n - 1, summary
        assert r.status(n)["exit_code"] == 0
    log.unlink()
    r = harness(f"{SCN}/fork_setup_once.yaml", FTSAN_TEST_SETUP_LOG=str(log), PROCESS="fresh")
    assert r.rc == 0, r
    assert r.report["process"]["asked"] == "fresh" and r.report["process"]["spawned"] == 4
    assert len(set(log.read_text().split())) == 4


def test_fork_server_with_a_thread_left_spawns_and_says_why(harness):
    """ThreadSanitizer allows fork only from a single-threaded process: a setup that leaves a
    thread running makes every run a fresh process, and the report says why."""
    r = harness(f"{SCN}/fork_thread_left.yaml")
    assert r.rc == 0, r
    p = r.report["process"]
    assert (p["forked"], p["spawned"]) == (0, 2), p
    assert re.search(r"setup left \d+ threads running in the fork server", p["why_spawned"]), p
    assert "2 of 2 runs were fresh processes" in open(os.path.join(r.dir, "summary.md")).read()


def test_a_dead_fork_server_is_started_again(reports):
    """The server killed between runs: a new one serves the rest, every run runs, the report
    counts the servers."""
    argv, env = front_door(f"{SCN}/fork_server_restart.yaml", reports, JOBS="1")
    p = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while not glob.glob(f"{reports}/*/evidence/run-0002/status.json") and time.monotonic() < deadline:
        time.sleep(0.1)
    # The oldest process of that command line: the server, not a run forked from it (a run
    # killed by a signal is a finding of its own).
    killed = subprocess.run(["pkill", "-KILL", "-o", "-f", "harness server .*fork_server_restart"])
    out, _ = p.communicate(timeout=300)
    assert killed.returncode == 0 and p.returncode == 0, out
    rep = load_json(os.path.join(reports, "latest", "report.json"))
    assert rep["runs"] == {"planned": 6, "done": 6, "failed": 0, "budget": None, "not_started": 0}, rep["runs"]
    assert rep["process"]["servers"] == 2 and rep["process"]["forked"] == 6, rep["process"]
    assert os.path.isdir(os.path.join(reports, "latest", "evidence", "server-2"))


def test_process_events_with_python_stacks(harness):
    r = harness(f"{SCN}/process_events.yaml")
    assert r.rc == 1, r
    by = {e["event"]: e for e in r.events() if e["kind"] == "process"}
    assert set(by) == {"subprocess.Popen", "os.system", "fork"}, sorted(by)
    assert ("spawn_child", 10) in [(f["function"], f["line"]) for f in by["subprocess.Popen"]["stack"]]
    assert by["os.system"]["args"] == "(b'true',)"
    assert 'process_events.yaml", line 12 in c_fork' in by["fork"]["traceback"], by["fork"]
    assert {f["kind"] for f in r.findings()} == {"process-event"}


def test_c_race_found_in_every_run_with_python_line_and_gil_module(harness):
    """The harness's barrier does not order the threads' first calls: the planted lazy
    initialisation race is reported in every run."""
    r = harness(f"{SCN}/c_race.yaml", RUNS=3)
    assert r.rc == 1, r
    (f,) = r.findings("data-race")
    assert f["signature"] == "data-race: lookup (racy_gil.c) <> lookup (racy_gil.c)", f
    assert f["runs_hit"] == 3, f
    # One llvm-symbolizer for the invocation (harness/symd.h): every reporting run's shim
    # connected to the relay, which started one process.
    assert r.report["symbolizer"]["processes"] == 1 and r.report["symbolizer"]["clients"] == 3, r.report["symbolizer"]
    assert r.report["symbolizer"]["requests"] > 0 and r.report["symbolizer"]["refused"] == 0, r.report["symbolizer"]
    # The scenario's own bug, by its expectation (kind data-race, "lookup" in the signature).
    assert f["scenario_bug"] is True and r.report["scenario"]["describes_bug"] is True
    assert "c_race.yaml\", line 10 in <module>" in f["python_traceback"], f
    assert f["memory"] and all(m in ("global 'table'", "heap block from lookup (racy_gil.c)") for m in f["memory"]), f
    assert r.report["gil_would_enable"] == ["racy_gil"]
    for n in (1, 2, 3):
        ev = r.events(n)
        assert {"kind": "gil", "module": "racy_gil"} in ev
        assert [e["gil_enabled"] for e in ev if e["kind"] == "summary"] == [False]


def test_report_md_names_no_machine_path(harness):
    r = harness(f"{SCN}/c_race.yaml", RUNS=1)
    assert r.rc == 1, r
    (f,) = r.findings("data-race")
    md = open(os.path.join(r.dir, "findings", f["id"], "report.md")).read()
    cache = os.environ.get("FTSAN_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                         os.path.expanduser("~/.cache"), "ftsan")
    for prefix in (ROOT, cache, r.reports, "/tmp/", os.path.expanduser("~") + "/"):
        assert prefix not in md, prefix
    assert "Location is global 'table' of size 8" in md or "Location is heap block of size " in md, md
    assert "Memory raced on: " in md
    # An exception's own message naming an installed file, and the standard library's frames.
    r = harness(f"{SCN}/path_in_message.yaml")
    assert r.rc == 1, r
    (f,) = r.findings("exception")
    md = open(os.path.join(r.dir, "findings", f["id"], "report.md")).read()
    for prefix in (ROOT, cache, r.reports, "/tmp/", os.path.expanduser("~") + "/"):
        assert prefix not in md, prefix
    assert "python3.13t/os.py: undefined symbol: sm_clog" in md, md


def test_unsymbolized_log_is_symbolized_late(harness):
    r = harness(f"{SCN}/c_race.yaml", RUNS=1, TSAN_OPTIONS="symbolize=0")
    assert r.rc == 1, r
    log = [n for n in os.listdir(r.evidence()) if n.startswith("tsan.")]
    assert log and "#0 <null> <null> (racy_gil" in open(os.path.join(r.evidence(), log[0])).read()
    assert [f["signature"] for f in r.findings("data-race")] == ["data-race: lookup (racy_gil.c) <> lookup (racy_gil.c)"]


@pytest.mark.parametrize("relay", ["nosuchrelay", None])
def test_the_symbolizer_shim_without_its_relay_is_the_real_symbolizer(relay):
    """The runs' llvm-symbolizer is a shim (harness/tools/symshim.c) that relays to the
    invocation's one symbolizer; without a relay to reach it becomes the real one: a report is
    never left unsymbolized because of it."""
    binary = harness_binary()
    shim = os.path.join(os.path.dirname(binary), "sym", "llvm-symbolizer")
    real = load_json(os.path.join(os.path.dirname(os.path.dirname(toolchain_of().python)), "toolchain.json"))["symbolizer"]
    nm = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout
    addr = next(line.split()[0] for line in nm.splitlines() if line.endswith(" T drv_run"))
    env = {"PATH": os.environ["PATH"], **({"FTSAN_SYMBOLIZER": f"{relay}\t{real}"} if relay else {})}
    r = subprocess.run([shim, "--inlines"], input=f'CODE "{binary}" 0x{addr}\n', capture_output=True, text=True, env=env)
    if relay:
        assert r.returncode == 0 and r.stdout.startswith("drv_run\n") and "drv.c:" in r.stdout, r
    else:   # no FTSAN_SYMBOLIZER at all: nothing to run, said so
        assert r.returncode == 127 and "no relay and no real symbolizer" in r.stderr, r


@pytest.mark.parametrize("san,runs", [("tsan", 6), ("asan", 3)])
def test_segv_is_one_crash_finding_signed_by_the_fault(harness, san, runs):
    """The sanitizer stays SIGSEGV's first handler: in every run its report is of the fault itself
    (re-raised by faulthandler, TSan's was cut short, lost or deadlocked, and ASan's put
    faulthandler_fatal_error on top of every SEGV), with the crashing thread's Python line."""
    r = harness(f"{SCN}/crash_segv.yaml", SAN=san, RUNS=runs)
    assert r.rc == 1, r
    (f,) = r.findings()
    assert f["kind"] == "segv" and f["signature"] == "segv: segv (crashers.c)", f
    assert f["runs_hit"] == runs and "SEGV on unknown address 0x000000000010" in f["raw"], f
    assert 'crash_segv.yaml", line 13' in f["python_traceback"], f


def test_death_by_signal_without_report_is_a_finding(harness):
    r = harness(f"{SCN}/killed_self.yaml")
    assert r.rc == 1, r
    assert r.status()["signal_name"] == "KILL"
    (f,) = r.findings()
    assert f["kind"] == "fatal-signal" and f["signature"] == "fatal-signal: killed by signal KILL", f


def test_asan_use_after_free(harness):
    r = harness(f"{SCN}/crash_use_after_free.yaml", SAN="asan")
    assert r.rc == 1, r
    (f,) = r.findings("heap-use-after-free")
    assert f["signature"].startswith("heap-use-after-free: use_after_free (crashers.c)"), f
    assert 'crash_use_after_free.yaml", line 14' in f["python_traceback"], f


def test_glibc_invalid_size_abort(harness):
    r = harness(f"{SCN}/crash_invalid_size.yaml", SAN="none")
    assert r.rc == 1, r
    assert r.status()["signal_name"] == "ABRT"
    (f,) = r.findings("malloc-abort")
    assert f["signature"] == "malloc-abort: free(): invalid size at <module> (crash_invalid_size.yaml)", f


def test_user_sanitizer_options_are_kept(harness):
    """The runs get the user's sanitizer options (theirs win), the scenario's env, and of the
    caller's environment only the variables named for runs (harness.PASSED): not a token, not
    pip's settings (the builders'), not the toolchain's variables."""
    r = harness(f"{SCN}/print_env.yaml", TSAN_OPTIONS="history_size=4:halt_on_error=1", SECRET_TOKEN="leak",
                PIP_CERT="/pip.pem", PYTHONHASHSEED="7")
    assert r.rc == 0, r
    out = dict(line.split("=", 1) for line in open(os.path.join(r.evidence(), "stdout.txt")).read().splitlines())
    opts = dict(o.split("=", 1) for o in out["TSAN_OPTIONS"].split(":"))
    assert opts["history_size"] == "4" and opts["halt_on_error"] == "1", opts   # the user's won
    assert opts["log_path"] == os.path.join(r.dir, "evidence", "run-0001", "tsan"), opts   # ours filled the gaps
    assert opts["suppressions"] == os.path.join(r.dir, "suppressions.txt"), opts
    assert out["OPENBLAS_NUM_THREADS"] == "1"                                  # the scenario's env
    assert out["executable"] == r.run_json["toolchain"]["python"]              # sys.executable is the toolchain's
    assert out["PYTHONHASHSEED"] == "7", out                                   # a Python setting is the user's
    assert out["SECRET_TOKEN"] == out["PIP_CERT"] == out["SAN"] == "(unset)", out


def test_keys_table_in_readme_is_the_parsers():
    """The README quotes `harness keys` word for word."""
    keys = subprocess.run([harness_binary(), "keys"], capture_output=True, text=True, check=True).stdout
    readme = open(os.path.join(ROOT, "README.md")).read()
    block = readme.split("The keys (`harness keys` prints this table from the parser's own key table):\n\n```\n", 1)[1]
    assert block.split("```", 1)[0] == keys
