#!/usr/bin/env python3
"""Time lost before and around the runs, measured side by side in one invocation (issue "One way
in"): a bare start of the TSan interpreter; a warm `make toolchain`; the CPU `make run` spends
before its first run starts (`make run ... DRY_RUN=1`: everything but the harness); runs per
second of the trivial NumPy scenario and of dlpack_race, forked, on this machine's cores.

Every measure is taken ROUNDS times, in turn (a, b, c, a, b, c, ...), so a burst of load falls on
all of them; a row keeps every raw value, the median and the worst, and the load average when
the measure started (the benchmark's own runs load it: the load before the first is kept apart).
CPU is user + system time of the whole process tree (the kernel's
accounting of waited-for children). Appends rows to bench/startup.tsv.

Usage: bench/startup.py [--rounds 10] [--numpy 2.2.5] [--only MEASURE,...]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from ftsan import toolchain  # noqa: E402

TSV = os.path.join(ROOT, "bench", "startup.tsv")


def timed(argv, env=None, cwd=ROOT):
    """(wall s, CPU s of the tree, exit status) of argv."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, p.returncode


def runs_per_second(scenario, numpy, runs, reports):
    """runs / the wall time of the whole `python3 -m ftsan run` (toolchain checks included)."""
    env = dict(os.environ, NUMPY=numpy, SAN="tsan", FTSAN_REPORTS=reports)
    wall, cpu, rc = timed([sys.executable, "-m", "ftsan", "run", scenario, "--runs", str(runs), "--process", "fork"], env)
    with open(os.path.join(reports, "latest", "report.json")) as f:
        rep = json.load(f)
    done = rep["runs"]["done"]
    if rc not in (0, 1) or rep["runs"]["failed"] or done != runs:
        raise SystemExit(f"startup: {scenario} did not run cleanly (exit {rc}, runs {rep['runs']})")
    return done / wall


def marginal(scenario, numpy, reports, few=2, many=22):
    """Runs per second past the fixed cost of an invocation (the toolchain checks, the compile
    check, the fork server importing the setup): (many - few) / (wall(many) - wall(few))."""
    walls = []
    for n in (few, many):
        env = dict(os.environ, NUMPY=numpy, SAN="tsan", FTSAN_REPORTS=reports)
        wall, _, rc = timed([sys.executable, "-m", "ftsan", "run", scenario, "--runs", str(n), "--process", "fork"], env)
        if rc not in (0, 1):
            raise SystemExit(f"startup: {scenario} did not run (exit {rc})")
        walls.append(wall)
    return (many - few) / (walls[1] - walls[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--numpy", default="2.2.5")
    ap.add_argument("--only", help="these measures alone (comma-separated names)")
    a = ap.parse_args()
    tc = toolchain.resolve(variables=dict(os.environ, SAN="tsan", NUMPY=a.numpy))
    quiet = tc.process_env(quiet=True)
    reports = tempfile.mkdtemp(prefix="ftsan-startup-")
    toolchain_env = dict(os.environ, SAN="tsan", NUMPY=a.numpy)
    measures = {
        "bare_interpreter_start_wall": lambda: timed(tc.argv([tc.python, "-c", "pass"]), quiet)[0],
        "warm_make_toolchain_wall": lambda: timed(["make", "-s", "toolchain"], toolchain_env)[0],
        "make_run_cpu_before_first_run": lambda: timed(
            ["make", "-s", "run", "SCENARIO=tests/e2e/scenarios/c_race.yaml", "NUMPY=", "RUNS=1", "DRY_RUN=1"],
            dict(os.environ, FTSAN_REPORTS=reports))[1],
        "runs_per_second_numpy_startup_fork": lambda: runs_per_second("bench/scenarios/numpy_startup.yaml", a.numpy,
                                                                      40, reports),
        "runs_per_second_dlpack_race_fork": lambda: runs_per_second("scenarios/dlpack_race.yaml", a.numpy, 20, reports),
        # What one more run costs once the fork server is up: 2 runs against 22, the difference.
        "marginal_runs_per_second_numpy_startup_fork": lambda: marginal("bench/scenarios/numpy_startup.yaml", a.numpy,
                                                                        reports),
        "marginal_runs_per_second_dlpack_race_fork": lambda: marginal("scenarios/dlpack_race.yaml", a.numpy, reports),
    }
    units = {"bare_interpreter_start_wall": "s", "warm_make_toolchain_wall": "s", "make_run_cpu_before_first_run": "CPU s",
             "runs_per_second_numpy_startup_fork": "runs/s", "runs_per_second_dlpack_race_fork": "runs/s",
             "marginal_runs_per_second_numpy_startup_fork": "runs/s", "marginal_runs_per_second_dlpack_race_fork": "runs/s"}
    idle = os.getloadavg()[0]   # before anything of this benchmark ran
    if a.only:
        measures = {k: measures[k] for k in a.only.split(",")}
    raw = {k: [] for k in measures}
    load = {k: [] for k in measures}
    for _ in range(a.rounds):
        for k, f in measures.items():
            load[k].append(os.getloadavg()[0])
            raw[k].append(f())
    new = not os.path.exists(TSV)
    with open(TSV, "a") as out:
        if new:
            out.write("date\tmeasure\trounds\tmedian\tworst\tunit\tload_1min_before\tload_1min_max\tcores\tnumpy\traw\n")
        for k, vals in raw.items():
            worse = min if "runs_per_second" in k else max
            row = [time.strftime("%Y-%m-%d"), k, str(len(vals)), f"{statistics.median(vals):.3f}",
                   f"{worse(vals):.3f}", units[k], f"{idle:.2f}", f"{max(load[k]):.2f}", str(os.cpu_count()), a.numpy,
                   " ".join(f"{v:.3f}" for v in vals)]
            out.write("\t".join(row) + "\n")
            print("\t".join(row[:10]))


if __name__ == "__main__":
    main()
