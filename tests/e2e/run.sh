#!/usr/bin/env bash
# End-to-end tests of the driver: real scenarios through toolchain/run.sh (as `make run` calls
# it) on the real TSan toolchain, each asserting on the evidence left behind.
# Ends with the line "e2e: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
S=tests/e2e/scenarios
. "$ROOT/tests/lib.sh"
REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT

# harness SCENARIO [VAR=VALUE...]: run through toolchain/run.sh on the bare TSan toolchain (no
# NumPy) unless NUMPY is given; sets $rc, $out and $ev (evidence of the run).
harness() {
  local scn=$1; shift
  rc=0
  out=$(env NUMPY= "$@" FTSAN_REPORTS="$REPORTS" SCENARIO="$scn" bash toolchain/run.sh 2>&1) || rc=$?
  ev="$REPORTS/latest/evidence"
}

test_yaml_syntax_error_names_line_7_and_writes_nothing() {
  local before
  before=$(ls "$REPORTS" | wc -l)
  harness "$S/syntax_error_line7.yaml"
  [ $rc -eq 2 ] && grep -q "syntax_error_line7.yaml:7:27: YAML syntax error" <<<"$out"
  [ "$(ls "$REPORTS" | wc -l)" -eq "$before" ]
}

test_bad_command_line_value_is_exit_2() {
  harness "$S/worker_exception.yaml" THREADS=zero
  [ $rc -eq 2 ] && grep -q "THREADS must be a positive integer, got 'zero'" <<<"$out"
  harness no_such_scenario
  [ $rc -eq 2 ] && grep -q "no scenario 'no_such_scenario' in scenarios/" <<<"$out"
}

test_hang_is_killed_with_stacks() {
  harness "$S/timeout_sleep.yaml"
  [ $rc -eq 1 ]
  grep -q 'hang: timed out in <module> (timeout_sleep.yaml)' "$REPORTS/latest/summary.md"
  grep -q '"timed_out": true' "$ev/run-0001/status.json"
  grep -q '"signal_name": "KILL"' "$ev/run-0001/status.json"
  grep -q 'timeout_sleep.yaml", line 10' "$ev/run-0001/faulthandler.txt"   # Python stacks
  grep -q 'time_sleep' "$ev/run-0001/gdb.txt"                               # native stacks
  ! pgrep -f "timeout_sleep.yaml" >/dev/null                                # nothing left running
}

test_worker_exception_keeps_thread_and_traceback() {
  harness "$S/worker_exception.yaml"
  [ $rc -eq 1 ]
  python3 - "$ev/run-0001/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
exc = [e for e in ev if e["kind"] == "exception"]
assert len(exc) == 1, exc
e = exc[0]
assert (e["tid"], e["iteration"], e["type"]) == (2, 1, "ZeroDivisionError"), e
assert 'worker_exception.yaml", line 9, in check' in e["traceback"], e["traceback"]
summary = [x for x in ev if x["kind"] == "summary"][0]
assert summary["body_exceptions"] == 1 and summary["body_completed"] == 11, summary
PY
}

test_process_events_with_python_stacks() {
  harness "$S/process_events.yaml"
  [ $rc -eq 1 ]
  python3 - "$ev/run-0001/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if '"process"' in l]
by = {e["event"]: e for e in ev}
assert set(by) == {"subprocess.Popen", "os.system", "fork"}, sorted(by)
assert ("spawn_child", 10) in [(f["function"], f["line"]) for f in by["subprocess.Popen"]["stack"]]
assert by["os.system"]["args"] == "(b'true',)"
assert 'process_events.yaml", line 12 in c_fork' in by["fork"]["traceback"], by["fork"]
PY
}

test_c_race_reported_with_python_line_and_gil_module() {
  harness "$S/c_race.yaml" RUNS=3
  [ $rc -eq 1 ]
  for r in "$ev"/run-000{1,2,3}; do
    grep -q 'WARNING: ThreadSanitizer: data race' "$r"/tsan.*
    grep -q 'lookup .*racy_gil.c' "$r"/tsan.*
    grep -q 'c_race.yaml", line 10 in <module>' "$r/pystack.txt"   # the Python line behind the race
    grep -q '{"kind":"gil","module":"racy_gil"}' "$r/events.jsonl"
    grep -q '"gil_enabled":false' "$r/events.jsonl"
  done
}

# A log written without symbols (symbolize=0) is symbolized afterwards with llvm-symbolizer,
# modules found by name in the toolchain and the kernels' cache: the same signature comes out.
test_unsymbolized_log_is_symbolized_late() {
  harness "$S/c_race.yaml" RUNS=1 TSAN_OPTIONS=symbolize=0
  [ $rc -eq 1 ]
  grep -q '#0 <null> <null> (racy_gil' "$ev"/run-0001/tsan.*
  grep -q 'data-race: lookup (racy_gil.c) <> lookup (racy_gil.c)' "$REPORTS/latest/summary.md"
}

# The seed scenarios that verify on wheels (SAN=none) in seconds: each on the versions with its
# bug and the versions that fixed it, as `make verify` runs them. (dlpack_race is covered above;
# strided_repeat needs two more TSan NumPy builds and is left to `make verify`.)
test_verify_seed_scenarios_on_wheels() {
  local s
  for s in concurrent_imports joblib_bigendian openblas_memory openblas_memory_single openblas_memory_limited; do
    SCENARIO=$s python3 ci/verify.py >"$REPORTS/verify-$s.txt" 2>&1 || { cat "$REPORTS/verify-$s.txt"; return 1; }
    grep -q "^| $s " "$REPORTS/verify-$s.txt"
    ! grep -q 'WRONG\|ERROR' "$REPORTS/verify-$s.txt"
  done
}

# A finding minimized: fewer threads and iterations that still show the same signature, a
# standalone repro.py whose rate was measured, embedded in the finding's report.
test_minimize_c_race() {
  harness "$S/c_race.yaml" RUNS=2
  [ $rc -eq 1 ]
  local rep id d
  rep=$(readlink -f "$REPORTS/latest")
  python3 harness/tools/minimize.py --budget 300 "$rep" >"$REPORTS/min.txt" 2>&1 || { cat "$REPORTS/min.txt"; return 1; }
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["id"])' "$rep/report.json")
  d="$rep/findings/$id"
  python3 - "$d" <<'PY'
import ast, json, sys
d = sys.argv[1]
m = json.load(open(d + "/minimize.json"))
assert m["minimized"]["threads"] == 2 and m["minimized"]["iterations"] <= 2, m["minimized"]
assert m["original"]["threads"] == 4, m["original"]
prog = open(d + "/repro.py").read()
ast.parse(prog)
assert "import racy_gil" in prog and "threading.Barrier" in prog
# The header states the rate measured for this very program, whatever it was.
rate_py = int(m["minimized"]["rate_py"].split("/")[0])
assert (f"found in {rate_py} of 20 fresh runs" in prog) if rate_py else ("0 of 20 fresh runs of this program" in prog), prog[:600]
hits = int(m["minimized"]["rate_yaml"].split("/")[0])
assert hits > 0, m["minimized"]
assert "Minimized by ftsan" in open(d + "/report.md").read()
open(d + "/repro.yaml").read().index("threads: 2")
PY
}

# The nightly grid: two shards of a small matrix, merged; twice, so the second grid compares
# with the first. The page renders in a real headless browser.
test_matrix_shards_merge_and_render() {
  local out="$ROOT/reports/matrix" dom
  mv "$out" "$REPORTS/matrix-before" 2>/dev/null || true   # keep the user's grids out of the way
  for night in 1 2; do
    for sh in 1/2 2/2; do
      MATRIX=tests/e2e/matrix.yaml SHARD=$sh python3 ci/matrix.py >"$REPORTS/m.txt" 2>&1 || { cat "$REPORTS/m.txt"; return 1; }
    done
    python3 ci/matrix.py merge >"$REPORTS/merge-$night.txt" 2>&1 || { cat "$REPORTS/merge-$night.txt"; return 1; }
  done
  grep -q '^4 cells; 2 with findings, 0 errors.' "$REPORTS/merge-2.txt"
  grep -q '^| concurrent_imports (none) | [0-9a-f]\{12\} (numpy#27472) | clean | - | - |$' "$REPORTS/merge-2.txt"
  grep -q '^| joblib_bigendian (none) | - | - | [0-9a-f]\{12\} (joblib#1545) | clean |$' "$REPORTS/merge-2.txt"
  grep -q 'Compared with the previous matrix: 2 new, 0 fixed, 0 still present' "$REPORTS/merge-1.txt"
  grep -q 'Compared with the previous matrix: 0 new, 0 fixed, 2 still present' "$REPORTS/merge-2.txt"
  dom=$(chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$(readlink -f "$out/latest-full")/index.html" 2>/dev/null)
  [ "$(grep -o "<td class=\"finding\">" <<<"$dom" | wc -l)" -eq 2 ]
  [ "$(grep -o "<td class=\"clean\">" <<<"$dom" | wc -l)" -eq 2 ]
  grep -q 'joblib#1545' <<<"$dom"
  # Every link of the grid leads to a cell's summary.
  local href
  for href in $(grep -o "href=\"[^\"]*\"" <<<"$dom" | sed 's/href="//; s/"$//'); do
    [ -f "$(readlink -f "$out/latest-full")/$href" ]
  done
  rm -rf "$out"; mv "$REPORTS/matrix-before" "$out" 2>/dev/null || true
}

# Bisection over four releases (wheels, seconds each): gallops, halves, retests the boundary.
test_bisect_concurrent_imports() {
  python3 ci/bisect.py --scenario concurrent_imports --numpy 2.1.0..2.1.3 --runs 2 >"$REPORTS/b.txt" 2>&1 ||
    { cat "$REPORTS/b.txt"; return 1; }
  grep -q '^\[bisect\] 4 releases: 2.1.0, 2.1.1, 2.1.2, 2.1.3$' "$REPORTS/b.txt"
  grep -q '^bisect: concurrent_imports: fixed in NumPy 2.1.2 (previous release 2.1.1)' "$REPORTS/b.txt"
  [ "$(grep -c 'NumPy 2.1.2: clean' "$REPORTS/b.txt")" -eq 2 ]        # the boundary was run again
  rm -rf "$ROOT/reports/bisect/concurrent_imports"
}

# The workflow: shards over the make targets a user calls, a cache keyed like the toolchain's,
# artifacts, and a final job that merges. (actionlint cannot be installed here: see README.)
test_nightly_workflow_shape() {
  python3 - <<'PY'
import yaml
w = yaml.safe_load(open("ci/nightly.yml"))
shard, merge = w["jobs"]["shard"], w["jobs"]["merge"]
assert w[True]["schedule"][0]["cron"]            # PyYAML reads the key `on` as True
runs = [s.get("run", "") for s in shard["steps"]]
assert any("make matrix SHARD=${{ matrix.shard }}/${{ env.SHARDS }}" in r for r in runs), runs
assert len(shard["strategy"]["matrix"]["shard"]) == int(shard["env"]["SHARDS"])
cache = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/cache@")][0]
assert "hashFiles('toolchain/**', 'ci/matrix.yaml')" in cache["with"]["key"]
assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in shard["steps"])
assert merge["needs"] == "shard" and any("make matrix-merge" in s.get("run", "") for s in merge["steps"])
PY
}

# Faults. SIGINT in the middle of a run: the running children are killed and reaped, the runs
# that finished keep their evidence, and the reports are written for them.
test_sigint_mid_run_keeps_evidence_and_reports() {
  local pid h
  env NUMPY= FTSAN_REPORTS="$REPORTS" SCENARIO="$S/slow_runs.yaml" JOBS=1 bash toolchain/run.sh >"$REPORTS/int.txt" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -f "$REPORTS"/*-slow_runs/evidence/run-0002/status.json ] && break; sleep 0.1; done 2>/dev/null
  h=$(pgrep -f "harness run .*slow_runs.yaml" | head -n 1)
  [ -n "$h" ] && kill -INT "$h"
  wait "$pid" || true
  grep -q 'interrupted: [23] of 6 runs finished' "$REPORTS/int.txt"
  local d
  d=$(ls -d "$REPORTS"/*-slow_runs | tail -n 1)
  [ -f "$d/evidence/run-0001/status.json" ] && [ -f "$d/evidence/run-0002/status.json" ]
  grep -q '^| runs | [23] of 6' "$d/summary.md"
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/report.json"
  ! pgrep -f "harness child .*slow_runs.yaml" >/dev/null
}

# SIGKILL: nothing can be written any more, but what was written stays whole: the evidence of
# the finished runs, and no half-written report file (they are written whole or not at all).
test_sigkill_mid_run_leaves_evidence_whole() {
  local pid h d
  env NUMPY= FTSAN_REPORTS="$REPORTS/k" SCENARIO="$S/slow_runs.yaml" JOBS=1 bash toolchain/run.sh >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -f "$REPORTS"/k/*-slow_runs/evidence/run-0001/status.json ] && break; sleep 0.1; done 2>/dev/null
  h=$(pgrep -f "harness run .*slow_runs.yaml" | head -n 1)
  kill -KILL "$h"
  wait "$pid" || true
  pkill -KILL -f "harness child .*slow_runs.yaml" || true   # orphans of the killed supervisor
  d=$(ls -d "$REPORTS"/k/*-slow_runs | tail -n 1)
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/evidence/run-0001/status.json"
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/run.json"
  [ ! -e "$d/summary.md" ] && [ -z "$(find "$d" -name '*.tmp')" ]
}

# A child that forks a grandchild and floods stderr: the run ends, its process group is killed
# (no grandchild left), and 32 MiB of stderr went to a file without stalling anything.
test_fork_and_flood() {
  harness "$S/fork_and_flood.yaml"
  [ $rc -eq 0 ] || [ $rc -eq 1 ]
  [ "$(stat -c %s "$ev/run-0001/stderr.txt")" -ge $((32 * 1024 * 1024)) ]
  grep -q '"exited": true' "$ev/run-0001/status.json"
  sleep 0.5
  ! pgrep -f "harness child .*fork_and_flood.yaml" >/dev/null
}

# The reports on a full file system: a clear error naming the file and the reason, exit 3.
test_full_disk_is_a_clear_error() {
  local m="$REPORTS/tiny" out
  mkdir -p "$m"
  mount -t tmpfs -o size=64k tmpfs "$m" || { echo "cannot mount a tmpfs here"; return 1; }
  rc=0
  out=$(env NUMPY= FTSAN_REPORTS="$m" SCENARIO="$S/fork_and_flood.yaml" bash toolchain/run.sh 2>&1) || rc=$?
  umount "$m"
  [ $rc -eq 3 ] || { echo "exit $rc"; echo "$out" | tail -5; return 1; }
  grep -q 'No space left on device' <<<"$out"
}

# Two `make run` at once: both finish, in report directories of their own, with the same
# verdict, and the toolchain cache and the harness binary stay whole.
test_two_runs_at_once() {
  local a b
  env NUMPY= FTSAN_REPORTS="$REPORTS/two" SCENARIO="$S/c_race.yaml" RUNS=2 bash toolchain/run.sh >"$REPORTS/a.txt" 2>&1 &
  a=$!
  env NUMPY= FTSAN_REPORTS="$REPORTS/two" SCENARIO="$S/c_race.yaml" RUNS=2 bash toolchain/run.sh >"$REPORTS/b.txt" 2>&1 &
  b=$!
  rc=0; wait $a || rc=$?; [ $rc -eq 1 ] || { cat "$REPORTS/a.txt"; return 1; }
  rc=0; wait $b || rc=$?; [ $rc -eq 1 ] || { cat "$REPORTS/b.txt"; return 1; }
  [ "$(ls -d "$REPORTS"/two/*-c_race* | wc -l)" -eq 2 ]
  for d in "$REPORTS"/two/*-c_race*; do grep -q 'lookup (racy_gil.c)' "$d/summary.md"; done
}

# A crash is one finding, named by the runtime that saw it, with the Python line behind it.
test_tsan_segv_is_one_crash_finding() {
  harness "$S/crash_segv.yaml"
  [ $rc -eq 1 ]
  [ "$(grep -c '^| \[' "$REPORTS/latest/summary.md")" -eq 1 ]
  grep -q '| segv | `segv: <module> (crash_segv.yaml)`' "$REPORTS/latest/summary.md"
}

test_asan_use_after_free() {
  harness "$S/crash_use_after_free.yaml" SAN=asan
  [ $rc -eq 1 ]
  grep -q 'ERROR: AddressSanitizer: heap-use-after-free' "$ev"/run-0001/asan.*
  grep -q '| heap-use-after-free | `heap-use-after-free: use_after_free (crashers.c)' "$REPORTS/latest/summary.md"
  grep -q 'crash_use_after_free.yaml", line 14' "$ev/run-0001/pystack.txt"
}

test_glibc_invalid_size_abort() {
  harness "$S/crash_invalid_size.yaml" SAN=none
  [ $rc -eq 1 ]
  grep -q '^free(): invalid size' "$ev/run-0001/stderr.txt"
  grep -q '"signal_name": "ABRT"' "$ev/run-0001/status.json"
  grep -q '| malloc-abort | `malloc-abort: free(): invalid size at <module> (crash_invalid_size.yaml)`' "$REPORTS/latest/summary.md"
}

test_user_sanitizer_options_are_kept() {
  harness "$S/print_env.yaml" TSAN_OPTIONS="history_size=4:halt_on_error=1"
  [ $rc -eq 0 ]
  local o
  o=$(grep '^TSAN_OPTIONS=' "$ev/run-0001/stdout.txt")
  grep -q 'history_size=4' <<<"$o" && grep -q 'halt_on_error=1' <<<"$o"
  ! grep -q 'halt_on_error=0' <<<"$o"                                     # ours did not override
  grep -q "log_path=$REPORTS/[^:]*/evidence/run-0001/tsan" <<<"$o"          # ours filled the gaps
  grep -q "suppressions=$REPORTS/.*/suppressions.txt" <<<"$o"
  grep -q '^OPENBLAS_NUM_THREADS=1$' "$ev/run-0001/stdout.txt"            # the scenario's env
  grep -q "^executable=.*/bin/python$" "$ev/run-0001/stdout.txt"          # sys.executable is the toolchain's
}

# The done-criterion of the driver and of the findings: the evidence holds the from_dlpack race
# in most runs, and the report sorts it into one known finding in NumPy's dlpack.c.
test_dlpack_race_found_on_numpy_2_2_5() {
  harness dlpack_race NUMPY=2.2.5 RUNS=6
  [ $rc -eq 1 ]
  local hit=0
  for r in "$ev"/run-*; do
    grep -qs 'from_dlpack .*dlpack.c' "$r"/tsan.* && hit=$((hit + 1))
  done
  echo "from_dlpack race in $hit of 6 runs"
  [ $hit -ge 4 ]
  python3 - "$REPORTS/latest" <<'PY'
import json, os, sys, xml.dom.minidom
d = sys.argv[1]
r = json.load(open(os.path.join(d, "report.json")))
assert r["schema"] == "ftsan-report/1" and r["versions"]["numpy"] == "2.2.5", r["versions"]
f = r["findings"]
assert len(f) == 1, [x["signature"] for x in f]
f = f[0]
assert f["kind"] == "data-race" and f["component"] == "numpy", f
assert f["signature"] == "data-race: from_dlpack (dlpack.c) <> from_dlpack (dlpack.c)", f["signature"]
assert f["known"] == "numpy#28881" and f["fixed_in"] == "numpy 2.2.6", f
assert f["runs_hit"] >= 4 and "dlpack_race.yaml" in f["python_traceback"], f
md = open(os.path.join(d, "findings", f["id"], "report.md")).read()
for h in ("### Describe the issue:", "### Reproduce the code example:", "### Error message:",
          "### Python and NumPy Versions:", "### Runtime Environment:", "<details>"):
    assert h in md, h
assert "known: numpy#28881" in open(os.path.join(d, "summary.md")).read()
x = xml.dom.minidom.parse(os.path.join(d, "junit.xml"))
assert x.documentElement.getAttribute("failures") == "1"
PY
}

test_dlpack_race_clean_on_numpy_2_2_6() {
  harness dlpack_race NUMPY=2.2.6 RUNS=6
  [ $rc -eq 0 ] || { grep -h '^|' "$REPORTS/latest/summary.md"; return 1; }
  grep -q '^No findings.' "$REPORTS/latest/summary.md"
}

run_tests e2e
