"""`make verify [SCENARIO=name] [VERSIONS=latest,2.5.5]`: runs every scenario on the versions its
`verify:` lists (or on VERSIONS instead, with its sanitizer and pins; latest is the newest release) and
checks each outcome against its `expect:` entries: a buggy version must show the finding, a fixed
version must not. Prints the table (scenario x version: found or clean, runs hit, time) and
writes it to reports/verify/<time>.md and reports/verify/latest.md. Exit 0 when every run came
out as expected, 1 when one did not, 2 for a bad scenario, 3 when a run could not be made.

Version ranges are evaluated by the scenario tool (build/host/scntool), the same code the harness
uses; this script only runs things and compares."""
import importlib.util
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where reports go: FTSAN_REPORTS, as for `make run`, else the checkout's reports/.
REPORTS = os.path.abspath(os.environ.get("FTSAN_REPORTS") or os.path.join(ROOT, "reports"))


def scntool():
    return subprocess.run(["bash", "toolchain/scntool.sh"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def lines(*args):
    r = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        sys.exit(2)
    return [l.split() for l in r.stdout.splitlines() if l.strip()]


def run_one(scn, san, numpy, pins, reports):
    env = dict(os.environ, SCENARIO=scn, SAN=san, NUMPY=numpy, PACKAGES="" if pins == "-" else pins,
               FTSAN_REPORTS=reports)
    t0 = time.monotonic()
    r = subprocess.run(["bash", "toolchain/run.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    secs = time.monotonic() - t0
    report = os.path.join(reports, "latest", "report.json")
    if r.returncode not in (0, 1) or not os.path.exists(report):
        sys.stderr.write(r.stderr[-3000:])
        return None, secs, r.returncode
    with open(report) as f:
        return json.load(f), secs, r.returncode


def bug_keys(tool, scn):
    """What the scenario's bug looks like: (kind, match) of each `found` expectation of its plan."""
    keys = set()
    for san, numpy, pins in lines(tool, "plan", scn):
        e = lines(tool, "expect", scn, san, numpy, pins)[0]
        if e[0] == "found":
            keys.add((e[1], e[2]))
    return keys


def is_bug(finding, keys):
    """The one rule for "this finding is the scenario's bug": its kind, and the match string in
    its signature ("-": any)."""
    return any(finding["kind"] == k and (m == "-" or m in finding["signature"]) for k, m in keys)


# Judgements of one run against its expectation. The last two are news.
EXPECTED_FINDING, EXPECTED_CLEAN, NO_EXPECTATION = "expected finding", "expected clean", "no expectation"
UNEXPECTED_FINDING, UNEXPECTED_CLEAN = "unexpected finding", "unexpected clean"
NEWS = (UNEXPECTED_FINDING, UNEXPECTED_CLEAN)


def judge(outcome, keys, findings):
    """(judgement, hits, news): hits are the findings that are the scenario's bug; news the
    findings that are neither the bug nor an issue the catalog knows. outcome is the matching
    expectation's (found, clean, or none).

    A run that expects the bug and shows it is an expected finding; one that expects it and does
    not, an unexpected clean (a fix, or a detection lost). A run that expects to be clean is an
    expected clean only with no finding at all: the bug back is a regression, and a known issue
    there means the expectation no longer holds (openblas_memory_single on NumPy 2.5.5, built
    against Debian's OpenBLAS for lack of a wheel, exceeds its memory limit with one thread).
    Whatever the expectation, a finding nobody knows is an unexpected finding."""
    hits = [f for f in findings if is_bug(f, keys)]
    news = [f for f in findings if f not in hits and not f.get("known")]
    if outcome == "found":
        j = EXPECTED_FINDING if hits else UNEXPECTED_CLEAN
    elif outcome == "clean":
        j = UNEXPECTED_FINDING if findings else EXPECTED_CLEAN
    else:
        j = NO_EXPECTATION
    if news and j != UNEXPECTED_CLEAN:
        j = UNEXPECTED_FINDING
    return j, hits, news


def verdict(expect, keys, report):
    """make verify's verdict: the bug found where expected and absent where fixed. Other findings
    are listed beside it ("+N other") but do not decide it."""
    hits = [f for f in report["findings"] if is_bug(f, keys)]
    result = "found" if hits else "clean"
    if expect[0] == "none":
        return result, hits, "no expectation"
    return result, hits, "ok" if result == expect[0] else "WRONG"


def pypi():
    """toolchain/pypi.py: the package index as the toolchain reads it."""
    spec = importlib.util.spec_from_file_location("pypi", os.path.join(ROOT, "toolchain", "pypi.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def newest_numpy():
    return pypi().releases("numpy")[-1]


def plan_of(tool, scn, versions):
    """The runs of a scenario: its verify: plan, or with VERSIONS its sanitizer and pins on those
    NumPy versions instead ("latest": the newest release)."""
    plan = lines(tool, "plan", scn)
    if not versions or not plan:
        return plan
    seen, out = set(), []
    for san, _, pins in plan:
        for v in versions:
            if (san, v, pins) not in seen:
                seen.add((san, v, pins))
                out.append([san, v, pins])
    return out


def main():
    tool = scntool()
    versions = [v for v in os.environ.get("VERSIONS", "").split(",") if v]
    versions = [newest_numpy() if v == "latest" else v for v in versions]
    only = os.environ.get("SCENARIO")
    names = [only] if only else sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "scenarios")) if f.endswith(".yaml"))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    reports = os.path.join(REPORTS, "verify", stamp)
    os.makedirs(reports, exist_ok=True)
    rows, status = [], 0
    for name in names:
        scn = name if name.endswith(".yaml") else f"scenarios/{name}.yaml"
        plan = plan_of(tool, scn, versions)
        if not plan:
            continue
        keys = bug_keys(tool, scn)
        for san, numpy, pins in plan:
            expect = lines(tool, "expect", scn, san, numpy, pins)[0]
            report, secs, rc = run_one(scn, san, numpy, pins, os.path.join(reports, os.path.basename(scn)[:-5]))
            if report is None:
                rows.append((name, san, numpy, pins, expect[0], "error (exit %d)" % rc, "-", "%.0f s" % secs, "ERROR"))
                status = max(status, 3)
                continue
            result, hits, v = verdict(expect, keys, report)
            runs = report["runs"]["done"]
            hit = max((f["runs_hit"] for f in hits), default=0)
            others = len(report["findings"]) - len(hits)
            rows.append((name, san, numpy, pins, expect[0], result + (f" (+{others} other)" if others else ""),
                         f"{hit}/{runs}", "%.0f s" % secs, v))
            if v == "WRONG":
                status = max(status, 1)
            print(" | ".join(rows[-1]), flush=True)
    head = ("scenario", "san", "numpy", "pins", "expected", "result", "runs hit", "time", "verdict")
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(table) + "\n"
    for path in (os.path.join(REPORTS, "verify", stamp + ".md"),
                 os.path.join(REPORTS, "verify", "latest.md")):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
