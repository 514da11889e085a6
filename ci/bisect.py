"""`make bisect SCENARIO=x RANGE=A..B` (`harness bisect --scenario x --numpy A..B`): the first
released NumPy version in A..B where a scenario's finding appears, or where it is gone.

The releases come from the package index (sdists, no pre-releases). Each probe is a `make run`
of the scenario on that version (built with the scenario's verification sanitizer). From the
end of the range that differs, the search gallops (1, 2, 4, ... releases ahead) until the state
changes, then halves the interval. Races are flaky, so the clean release at the boundary (the
boundary itself for "fixed in", the release before it for "appears in") is run again with three
times as many runs before it is believed, and the result says how sure it is:
the chance that a version called clean still had the bug, given the rate seen where it was found."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "ci"))
from verify import REPORTS, bug_keys, is_bug, lines, pypi, scntool  # noqa: E402  (the same expectation logic make verify uses)


def releases(lo, hi):
    index = pypi()
    key = index.version_key
    return [v for v in index.releases("numpy") if key(lo) <= key(v) <= key(hi)]


class Bisect:
    def __init__(self, scenario, san, runs):
        self.scn = scenario if scenario.endswith(".yaml") else f"scenarios/{scenario}.yaml"
        self.tool = scntool()
        plan = lines(self.tool, "plan", self.scn)
        self.san = san or (plan[0][0] if plan else "tsan")
        self.runs = runs
        self.keys = bug_keys(self.tool, self.scn)
        self.seen = {}      # version -> (hits, runs)

    def probe(self, version, runs):
        env = dict(os.environ, SCENARIO=self.scn, SAN=self.san, NUMPY=version, RUNS=str(runs),
                   FTSAN_REPORTS=os.path.join(REPORTS, "bisect", os.path.basename(self.scn)[:-5], version))
        r = subprocess.run(["bash", "toolchain/run.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        rep = os.path.join(env["FTSAN_REPORTS"], "latest", "report.json")
        if r.returncode not in (0, 1) or not os.path.exists(rep):
            sys.stderr.write(r.stderr[-2000:])
            sys.exit(f"bisect: NumPy {version} could not be run")
        with open(rep) as f:
            rep = json.load(f)
        hits = max((x["runs_hit"] for x in rep["findings"]
                    if not self.keys or is_bug(x, self.keys)),
                   default=0)
        h, n = self.seen.get(version, (0, 0))
        self.seen[version] = (h + hits, n + rep["runs"]["done"])
        print(f"[bisect] NumPy {version}: {'found' if hits else 'clean'} in {hits} of {rep['runs']['done']} runs", flush=True)
        return hits > 0

    def found(self, v):
        return self.probe(v, self.runs) if v not in self.seen else self.seen[v][0] > 0

    def boundary(self, vs, want):
        """The first index whose state is `want`, vs[0] having the other state, vs[-1] this one."""
        lo, step = 0, 1
        while lo + step < len(vs) - 1 and self.found(vs[lo + step]) != want:
            lo, step = lo + step, step * 2
        hi = min(lo + step, len(vs) - 1)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.found(vs[mid]) == want:
                hi = mid
            else:
                lo = mid
        return hi

    def main(self, lo, hi):
        vs = releases(lo, hi)
        if len(vs) < 2:
            sys.exit(f"bisect: fewer than two NumPy releases in {lo}..{hi}")
        print(f"[bisect] {len(vs)} releases: {', '.join(vs)}", flush=True)
        first, last = self.found(vs[0]), self.found(vs[-1])
        if first == last:
            print(f"bisect: {'found' if first else 'clean'} at both ends of {lo}..{hi}: no boundary in this range")
            return 0
        want = last
        retested = set()
        while True:
            i = self.boundary(vs, want)
            # The clean side of the boundary: the boundary itself when the bug was fixed there,
            # the release before it when the bug appeared there. A clean verdict is believed only
            # after three times as many runs; if the bug shows then, the boundary moves.
            c = i if not want else i - 1
            if vs[c] in retested or not self.probe(vs[c], 3 * self.runs):
                break
            retested.add(vs[c])
            if c in (0, len(vs) - 1):
                print(f"bisect: found at both ends of {lo}..{hi} once {vs[c]} was run again: no boundary in this range")
                return 0
        found_at = [v for v in vs if self.seen.get(v, (0, 0))[0] > 0]
        h = sum(self.seen[v][0] for v in found_at)
        n = sum(self.seen[v][1] for v in found_at)
        rate = h / (n + 2) if n else 0   # pessimistic, as if the next two runs had missed
        clean_v = vs[i] if not want else vs[i - 1]
        clean_runs = self.seen.get(clean_v, (0, 0))[1]
        miss = (1 - rate) ** clean_runs if rate < 1 else 0.0
        verb = "appears in" if want else "fixed in"
        print(f"bisect: {os.path.basename(self.scn)[:-5]}: {verb} NumPy {vs[i]} (previous release {vs[i - 1]}); "
              f"found in {h} of {n} runs where present, {clean_v} clean in {clean_runs} runs: "
              f"confidence {100 * (1 - miss):.4g} % that {clean_v} does not have it")
        return 0


def main():
    import argparse
    ap = argparse.ArgumentParser(prog="harness bisect")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--numpy", required=True, help="A..B, release versions")
    ap.add_argument("--san", help="sanitizer (default: the scenario's verify.san)")
    ap.add_argument("--runs", type=int, default=10, help="fresh runs per probe (default 10)")
    a = ap.parse_args()
    lo, sep, hi = a.numpy.partition("..")
    if not sep or not re.fullmatch(r"\d+\.\d+\.\d+", lo) or not re.fullmatch(r"\d+\.\d+\.\d+", hi):
        sys.exit(f"bisect: --numpy must be A..B with release versions, got {a.numpy!r}")
    return Bisect(a.scenario, a.san, a.runs).main(lo, hi)


if __name__ == "__main__":
    sys.exit(main())
