"""`make bisect SCENARIO=x RANGE=A..B` (`python3 -m ftsan bisect --scenario x --numpy A..B`): the first
released NumPy version in A..B where a scenario's finding appears, or where it is gone.

The releases come from the package index (sdists, no pre-releases). Each probe is a `make run`
of the scenario on that version (built with the scenario's verification sanitizer). From the
end of the range that differs, the search gallops (1, 2, 4, ... releases ahead) until the state
changes, then halves the interval. Races are flaky, so the clean release at the boundary (the
boundary itself for "fixed in", the release before it for "appears in") is run again with three
times as many runs before it is believed, and the result says how sure it is:
the chance that a version called clean still had the bug, given the rate seen where it was found."""
import argparse
import os
import re
import sys

from . import Error, harness, judge, store


def releases(lo, hi):
    index = harness.pypi()
    key = index.version_key
    return [v for v in index.releases("numpy") if key(lo) <= key(v) <= key(hi)]


class Bisect:
    def __init__(self, scenario, san, runs):
        self.scn = harness.scenario_path(scenario)
        plan = harness.scntool_lines("plan", self.scn)
        self.san = san or (plan[0][0] if plan else "tsan")
        self.runs = runs
        self.seen = {}      # version -> (hits, runs)
        self.ids = set()    # the scenario's bug as the probes' reports named it

    def probe(self, version, runs):
        r = harness.run(self.scn, os.path.join(harness.REPORTS, "bisect", os.path.basename(self.scn)[:-5], version),
                        RECORD="bisect", SAN=self.san, NUMPY=version, RUNS=runs)
        if not r.ok:
            raise r.error(f"bisect: NumPy {version}")
        # The scenario's bug, as the harness marked it (any finding when the scenario does not
        # describe its bug).
        done = r.report["runs"]["done"]
        hits = max((x["runs_hit"] for x in judge.hits(r.report)), default=0)
        self.ids |= {x["id"] for x in judge.hits(r.report)}
        h, n = self.seen.get(version, (0, 0))
        self.seen[version] = (h + hits, n + done)
        print(f"[bisect] NumPy {version}: {'found' if hits else 'clean'} in {hits} of {done} runs", flush=True)
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
            raise Error(f"bisect: fewer than two NumPy releases in {lo}..{hi}", 2)
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
        text = (f"{os.path.basename(self.scn)[:-5]}: {verb} NumPy {vs[i]} (previous release {vs[i - 1]}); "
                f"found in {h} of {n} runs where present, {clean_v} clean in {clean_runs} runs: "
                f"confidence {100 * (1 - miss):.4g} % that {clean_v} does not have it")
        print(f"bisect: {text}")
        self.note(text)
        return 0

    def note(self, text):
        """The result on the findings the probes recorded (the store has every probe's run)."""
        try:
            with store.Store() as s:
                for fid in sorted({s.resolve(x) for x in self.ids}):
                    s.note(fid, "bisect", text)
        except Error as e:
            print(f"ftsan bisect: error: the result is not in the findings store: {e}", file=sys.stderr)


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m ftsan bisect")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--numpy", required=True, help="A..B, release versions")
    ap.add_argument("--san", help="sanitizer (default: the scenario's verify.san)")
    ap.add_argument("--runs", type=int, default=10, help="fresh runs per probe (default 10)")
    a = ap.parse_args(argv)
    lo, sep, hi = a.numpy.partition("..")
    if not sep or not re.fullmatch(r"\d+\.\d+\.\d+", lo) or not re.fullmatch(r"\d+\.\d+\.\d+", hi):
        raise Error(f"bisect: --numpy must be A..B with release versions, got {a.numpy!r}", 2)
    return Bisect(a.scenario, a.san, a.runs).main(lo, hi)
