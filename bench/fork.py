"""Fork server against fresh processes, side by side in one invocation (issue 4/6).

For each scenario and each way (PROCESS=fork, PROCESS=fresh) one `make run` (`python3 -m ftsan run`,
the way a user runs it) with RUNS and JOBS given, on the TSan toolchain with the given NumPy:

- runs per second: the runs done over the harness's own seconds (report.json "seconds": from the
  first run's start, the fork server's setup included, to the last run's end), and over the
  whole command's wall time (toolchain checks and the harness build check included);
- detection: in how many runs the scenario's bug showed (report.json: the findings the harness
  marked scenario_bug, runs_hit), and how the runs got their processes (report.json "process":
  a fork run whose runs were spawned after all is said, never counted as forked).

A run that did not run (exit other than 0 or 1, no report.json, or failed runs) is an error row.
Rows are appended to bench/fork.tsv with the command line.

Usage: bench/fork.py [--runs 40] [--jobs 2] [--numpy 2.2.5] SCENARIO[@NUMPY|@none] ...
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the ftsan package: make run's variables as its front door's command line
from ftsan.harness import run_command  # noqa: E402
TSV = os.path.join(ROOT, "bench", "fork.tsv")
HEAD = "date\tscenario\tnumpy\tprocess\truns\tjobs\tforked\tspawned\tbug_runs\truns_per_s_harness\truns_per_s_wall\tharness_s\twall_s\tstatus\tcommand\n"


def one(scenario, numpy, process, runs, jobs):
    with tempfile.TemporaryDirectory(prefix="ftsan-bench-fork-") as reports:
        env = dict(os.environ, SCENARIO=scenario, NUMPY=numpy, PROCESS=process, RUNS=str(runs), JOBS=str(jobs),
                   FTSAN_REPORTS=reports)
        t0 = time.monotonic()
        argv, env = run_command(env)
        r = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - t0
        path = os.path.join(reports, "latest", "report.json")
        if r.returncode not in (0, 1) or not os.path.exists(path):
            sys.stderr.write(r.stderr[-2000:])
            return dict(status=f"error (exit {r.returncode})", wall=wall)
        rep = json.load(open(path))
    done, failed = rep["runs"]["done"], rep["runs"]["failed"]
    bug = max((f["runs_hit"] for f in rep["findings"] if f["scenario_bug"]), default=0)
    return dict(status="ok" if not failed else f"error ({failed} runs failed)", done=done, bug=bug,
                forked=rep["process"]["forked"], spawned=rep["process"]["spawned"], harness=rep["seconds"], wall=wall)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--numpy", default="2.2.5")
    ap.add_argument("scenarios", nargs="+")
    a = ap.parse_args()
    cmd = "bench/fork.py " + " ".join(sys.argv[1:])
    if not os.path.exists(TSV):
        open(TSV, "w").write(HEAD)
    for spec in a.scenarios:
        scenario, _, numpy = spec.partition("@")
        numpy = "" if numpy == "none" else numpy or a.numpy
        for process in ("fork", "fresh"):
            x = one(scenario, numpy, process, a.runs, a.jobs)
            row = [time.strftime("%Y-%m-%d"), os.path.basename(scenario).removesuffix(".yaml"), numpy, process, str(a.runs),
                   str(a.jobs), str(x.get("forked", "")), str(x.get("spawned", "")),
                   f"{x['bug']}/{x['done']}" if "bug" in x else "",
                   f"{x['done'] / x['harness']:.2f}" if "harness" in x else "",
                   f"{x['done'] / x['wall']:.2f}" if "done" in x else "",
                   f"{x['harness']:.1f}" if "harness" in x else "", f"{x['wall']:.1f}", x["status"], cmd]
            with open(TSV, "a") as f:
                f.write("\t".join(row) + "\n")
            print("\t".join(row[:14]), flush=True)


if __name__ == "__main__":
    main()
