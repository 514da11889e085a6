"""`make verify [SCENARIO=name] [VERSIONS=latest,2.5.5]`: runs every scenario on the versions its
`verify:` lists (or on VERSIONS instead, with its sanitizer and pins; latest is the newest release) and
checks each outcome against its `expect:` entries: a buggy version must show the finding, a fixed
version must not. Prints the table (scenario x version: found or clean, runs hit, time) and
writes it to reports/verify/<time>.md and reports/verify/latest.md. Exit 0 when every run came
out as expected, 1 when one did not, 2 for a bad scenario, 3 when a run could not be made.

Version ranges are evaluated by the scenario tool, the same code the harness uses; this module
only runs things and compares."""
import argparse
import os
import time

from . import harness
from .judge import verdict


def plan_of(scn, versions):
    """The runs of a scenario: its verify: plan, or with VERSIONS its sanitizer and pins on those
    NumPy versions instead ("latest": the newest release)."""
    plan = harness.scntool_lines("plan", scn)
    if not versions or not plan:
        return plan
    seen, out = set(), []
    for san, _, pins in plan:
        for v in versions:
            if (san, v, pins) not in seen:
                seen.add((san, v, pins))
                out.append([san, v, pins])
    return out


def main(argv):
    # What to verify comes from make's variables (SCENARIO, VERSIONS); an argument is a mistake,
    # refused before anything runs.
    argparse.ArgumentParser(prog="python3 -m ftsan verify", description=__doc__.splitlines()[0]).parse_args(argv)
    versions = [v for v in os.environ.get("VERSIONS", "").split(",") if v]
    versions = [harness.newest_numpy() if v == "latest" else v for v in versions]
    only = os.environ.get("SCENARIO")
    names = [only] if only else sorted(f[:-5] for f in os.listdir(os.path.join(harness.ROOT, "scenarios"))
                                       if f.endswith(".yaml"))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = os.path.join(harness.REPORTS, "verify")
    os.makedirs(os.path.join(out, stamp), exist_ok=True)
    rows, status = [], 0
    for name in names:
        scn = harness.scenario_path(name)
        for san, numpy, pins in plan_of(scn, versions):
            expect = harness.expectation(scn, san, numpy, pins)
            r = harness.run(scn, os.path.join(out, stamp, os.path.basename(scn)[:-5]), RECORD="verify", SAN=san, NUMPY=numpy,
                            PACKAGES="" if pins == "-" else pins)
            if not r.ok:
                print(r.stderr[-3000:], flush=True)
                rows.append((name, san, numpy, pins, expect, f"error ({harness.ended(r.exit)})", "-", "%.0f s" % r.seconds, "ERROR"))
                status = max(status, 3)
                continue
            result, bug, v = verdict(expect, r.report)
            others = len(r.report["findings"]) - len(bug)
            rows.append((name, san, numpy, pins, expect, result + (f" (+{others} other)" if others else ""),
                         f"{max((f['runs_hit'] for f in bug), default=0)}/{r.report['runs']['done']}",
                         "%.0f s" % r.seconds, v))
            if v == "WRONG":
                status = max(status, 1)
            print(" | ".join(rows[-1]), flush=True)
    head = ("scenario", "san", "numpy", "pins", "expected", "result", "runs hit", "time", "verdict")
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(table) + "\n"
    for path in (os.path.join(out, stamp + ".md"), os.path.join(out, "latest.md")):
        harness.atomic_write(path, text)
    print(text)
    return status
