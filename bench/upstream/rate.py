"""The rate of a standalone reproducer, measured the way the minimizer measures repro.py: RUNS
fresh processes of `python3.13t PROGRAM` under the toolchain's interpreter (NUMPY, SAN, ... from
the environment, as make passes them), the GIL off, each run's sanitizer logs signed as the
harness signs runs (scntool sign); a run counts when one of its signatures contains MATCH. A run
that exits with neither 0 nor TSan's report status (66), or hangs past 300 s, is an error, never a miss.
Prints one JSON row and appends it to bench/upstream/rates.tsv.

Usage: NUMPY=2.5.5 [SRC=pywavelets=DIR] python3 bench/upstream/rate.py PROGRAM MATCH [RUNS]"""
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from ftsan import harness, toolchain  # noqa: E402

REPORTED = 66      # TSan's exit status when it reported something (its exitcode option's default)


def main(program, match, runs=20):
    tc = toolchain.resolve(os.environ.get("PACKAGES", "").split())   # SRC= too, from the environment
    hits, errors, t0 = 0, 0, time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(runs):
            logs = os.path.join(scratch, f"run-{i}")
            os.makedirs(logs)
            with open(os.path.join(logs, "stderr"), "w") as err:
                try:
                    r = subprocess.run(tc.argv([tc.python, os.path.abspath(program)]), cwd=logs,
                                       env=tc.process_env(logs), stdout=subprocess.DEVNULL, stderr=err, timeout=300)
                except subprocess.TimeoutExpired:   # a hang: neither a hit nor a miss
                    errors += 1
                    continue
            if r.returncode not in (0, REPORTED):
                errors += 1
                continue
            signed = json.loads(harness.scntool("sign", *glob.glob(os.path.join(logs, "*"))))
            hits += any(match in f["signature"] for f in signed["findings"])
    row = {"date": time.strftime("%Y-%m-%d"), "program": os.path.relpath(os.path.abspath(program), ROOT),
           "numpy": tc.numpy_version, "python": tc.version, "sanitizer": tc.sanitizer, "runs": runs, "hits": hits, "errors": errors,
           "match": match, "seconds": round(time.monotonic() - t0, 1),
           "load": os.getloadavg()[0],
           # packages built from source trees (SRC=): name and version
           "packages": " ".join(f"{x['name']}=={x['version']}" for x in tc.sources)}
    path = os.path.join(ROOT, "bench", "upstream", "rates.tsv")
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row), delimiter="\t", lineterminator="\n")
        if new:
            w.writeheader()
        w.writerow(row)
    print(json.dumps(row))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 20)
