"""Run a hunt's reproducers on another NumPy release: is the bug still there? One row each into
bench/hunt_recheck.tsv: the reproducer, the NumPy it ran on, fresh runs, runs that showed its
signature (the one in its header, or one the finding absorbed), and the kinds of the other
findings.

Usage: python3 bench/hunt_recheck.py NUMPY RUNS REPRODUCER.yaml...
"""
import csv
import json
import os
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))
from ftsan import harness  # noqa: E402


def signature_of(path):
    """The signature a reproducer was written for, from its hunt's hunt.json (next to new/)."""
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(path))), "hunt.json")) as f:
        doc = json.load(f)
    name = os.path.join("new", os.path.basename(path))
    for e in doc["signatures"]:
        if e.get("reproducer") == name:
            return e["signature"]
    raise SystemExit(f"{path}: not a reproducer its hunt.json names")


def main(numpy, runs, paths):
    out = os.path.join(BENCH, "hunt_recheck.tsv")
    new_file = not os.path.exists(out)
    with open(out, "a", newline="") as f, tempfile.TemporaryDirectory() as reports:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        if new_file:
            w.writerow(["reproducer", "numpy", "runs_done", "runs_hit", "signature", "other_findings", "command"])
        for path in paths:
            sig = signature_of(path)
            r = harness.run(os.path.abspath(path), reports, NUMPY=numpy, RUNS=runs)
            if not r.ok:
                raise r.error(path)
            hit = [x for x in r.report["findings"] if sig in (x["signature"], *x["also_seen_as"])]
            other = sorted({x["kind"] + (":" + x["known"] if x["known"] else "") for x in r.report["findings"]
                            if x not in hit})
            row = [os.path.relpath(path, BENCH), numpy, r.report["runs"]["done"] - r.report["runs"]["failed"],
                   max((x["runs_hit"] for x in hit), default=0), sig, " ".join(other),
                   f"python3 bench/hunt_recheck.py {numpy} {runs} {os.path.relpath(path, BENCH)}"]
            w.writerow(row)
            f.flush()
            print("\t".join(map(str, row[:4])))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
