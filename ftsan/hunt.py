"""`make hunt MODULE=numpy` (`python3 -m ftsan hunt numpy`): find the races nobody wrote a
scenario for.

1. Learn. The toolchain's own interpreter runs harness/python/ftsan_hunt.py single-threaded: the
   module's public callables, the methods and attributes of the objects in a pool and of the
   objects the calls return, tried once each with candidate arguments from the pool; what
   returned without error is kept, as a mutator (it changed an object it was given, or set an
   attribute or the module's global state) or a reader (learned.json).
2. Generate. Case k (for a given SEED, always the same) picks a shared object and calls on it: in
   "mixed" cases two mutator threads against two reader threads, in "readers" cases four reader
   threads. A batch scenario runs one case per run, each run a fresh process (first calls matter:
   lazy initialisation races only there), so the budget is spread over many processes.
3. Sort. Every batch is an ordinary harness run: the same engine, evidence pipeline, catalog (as
   it was when the hunt started: a copy in the hunt's directory) and suppressions as every
   scenario. A finding's runs say which cases showed it. Races on the data of the arrays a case
   itself shares are the harness's scenario-data-race reports: counted apart, never as the
   library's. Each case is judged against the module's contract (known/contracts.json,
   ftsan/contract.py): a signature seen only in cases where a thread does what the library leaves
   to the caller (sets or writes a shared ndarray) is by design, reported in its own section with
   its kind (a use-after-free is still worth knowing), never counted.
4. Keep what is new. A counted finding that is not a known issue is shrunk to the fewest calls
   that still show its signature, its rate measured in fresh runs, and written as a scenario
   (new/<id>.yaml: references [], an expectation for this toolchain, the rate and the toolchain in
   its header), ready to copy into scenarios/. A hang's case then runs without a sanitizer (SAN=none,
   the same case): one that does not hang there is TSan's slowdown. By-design signatures are
   written last, shrunk only if the budget is left over.

Everything is written as it is found (hunt.json, summary.md, atomically after every batch): a
hunt stopped by its budget, SIGINT or SIGTERM keeps all it found. Exit status: 0 nothing new,
1 new signatures, 2 bad input, 3 the learner or the runs could not run.
"""
import argparse
import array
import glob
import hashlib
import html
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

from . import Error, contract, harness, store, toolchain
from .harness import ROOT, Budget, atomic_write, bounded

MODES = {"mixed": (("mutator", 2), ("reader", 2)), "readers": (("reader", 4),)}
BATCH = 48                 # cases (runs) per batch scenario: one fork server's import shared by all
ITERATIONS = 8
LEARN_SHARE = 0.4          # at most this share of the budget for learning (kept for the next hunt)
HUNT_SHARE = 0.7           # the batches stop here; the rest shrinks what is new
SHRINK_RUNS = 6            # fresh runs a shrunk candidate gets to show the signature
RATE_RUNS = 20             # fresh runs for a reproducer's published rate
HANG_RUNS = 4              # runs of a hang's case without a sanitizer
# With --process fork, every FRESH_EVERY-th batch still runs each case in a fresh process: a fork
# server must be single-threaded, so OpenBLAS starts no thread pool there, and a race whose
# heap reuse depends on that pool (numpy#28197's case: 27 of 40 fresh runs, 2 of 40 forked, 2
# of 40 fresh with OPENBLAS_NUM_THREADS=1) would otherwise all but vanish.
FRESH_EVERY = 4
MUTATE_SHARE = 0.5         # of a guided hunt's cases, once its corpus has one: mutants of corpus cases
SANCOV_MAGIC64 = 0xC0BFFFFFFFFFFF64   # a .sancov file of 64-bit offsets (the runtime's format)
HANG_TIMEOUT = 60          # seconds each: TSan's hang timeout is 120, for code 5 to 15 times slower


class Interrupted(Exception):
    pass


def _interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def yaml_str(s):
    """A YAML scalar: JSON's string syntax is YAML's double-quoted one."""
    return json.dumps(s)


def svg_plot(series, xlabel, ylabel, width=640, height=360):
    """Lines of (x, y) points as a small SVG: one polyline a series, its name in the legend."""
    pts = [p for s in series.values() for p in s]
    if not pts:
        return ""
    xmax, ymax = max(1, max(x for x, _ in pts)), max(1, max(y for _, y in pts))
    left, bottom, top, right = 70, 40, 20, 20
    w, h = width - left - right, height - top - bottom
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="black"/>',
           f'<text x="{left + w / 2}" y="{height - 8}" text-anchor="middle">{html.escape(xlabel)} (0 to {xmax})</text>',
           f'<text x="14" y="{top + h / 2}" transform="rotate(-90 14 {top + h / 2})" text-anchor="middle">'
           f'{html.escape(ylabel)} (0 to {ymax})</text>']
    for i, (name, s) in enumerate(series.items()):
        c = colours[i % len(colours)]
        line = " ".join(f"{left + x / xmax * w:.1f},{top + h - y / ymax * h:.1f}" for x, y in s)
        out += [f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{line}"/>',
                f'<text x="{left + 10}" y="{top + 16 + 16 * i}" fill="{c}">{html.escape(name)}: {s[-1][1] if s else 0}</text>']
    return "\n".join(out + ["</svg>"]) + "\n"


def block(code, indent):
    pad = " " * indent
    return "".join(f"{pad}{line}\n" if line.strip() else "\n" for line in code.rstrip("\n").split("\n"))


class Hunt:
    def __init__(self, module, seed, budget, out, batch=BATCH, iterations=ITERATIONS, limit=None, process="fork",
                 kernel=None, only=None, guide=True, corpus=None):
        self.module, self.seed, self.budget, self.out, self.limit = module, seed, budget, out, limit
        self.process, self.kernel = process, kernel   # kernel: a C module's source, built with the sanitizer
        self.kernel_dirs = []
        self.only = only        # learn only these callables (np.repeat,...)
        # Coverage (a toolchain built with COVERAGE=1): the edges reached so far, the cases that
        # reached new ones (the corpus, kept in corpus/ and in a directory shared by the hunts
        # of this toolchain and module), and the edges over cases and time
        self.guide, self.guided = guide, False
        self.corpus_cache = corpus
        self.coverage, self.corpus, self.curve = set(), {}, []
        self.made = {"mutant": 0, "draw": 0, "replay": 0}   # cases run, by how they were made
        self.leads = {}         # mode -> the learned targets in the seed's order (see case)
        self.batch, self.iterations = batch, iterations
        self.t0 = time.monotonic()
        self.deadline = self.t0 + budget
        self.learned = None
        self.by_object = None   # calls_by_object()
        self.sigs = {}          # signature -> entry (see absorb)
        self.alias = {}         # any signature seen in a finding -> its entry's signature
        self.batches = []       # per batch: mode, first case, runs done, failed, seconds, report dir
        self.cases_run = 0
        self.errors = []
        self.stopped = None
        self.contract = contract.Contract.load(module)
        self.calls_by_code = None
        os.makedirs(os.path.join(out, "batches"), exist_ok=True)
        # "known when found" is against the catalog as the hunt started, whatever is edited meanwhile
        self.catalog = os.path.join(out, "catalog.json")
        if not os.path.exists(self.catalog):
            shutil.copyfile(os.path.join(ROOT, "known", "catalog.json"), self.catalog)

    # -- the toolchain and the learner ---------------------------------------------------------
    def toolchain(self):
        self.toolchain_ = toolchain.resolve(os.environ.get("PACKAGES", "").split(),
                                            os.environ.get("PACKAGES_FROM_SOURCE", "").split())
        self.python = self.toolchain_.python
        self.tc = self.toolchain_.to_dict()
        if self.kernel:
            self.kernel_dirs = [self.toolchain_.kernel("c", self.kernel)]
        self.guided = bool(self.tc.get("coverage")) and self.guide
        if self.tc.get("coverage") and not self.corpus_cache:
            key = hashlib.sha256(repr((self.python, self.module, self.tc["coverage"], self.kernel and
                                       open(self.kernel, "rb").read())).encode()).hexdigest()
            self.corpus_cache = os.path.join(self.cache_dir(), f"corpus-{self.module}-{key[:16]}")

    def learned_cache(self):
        """Where a learning is kept between hunts: the same interpreter (and so the same module
        build), module, seed, limit and learner learn the same calls."""
        with open(os.path.join(ROOT, "harness", "python", "ftsan_hunt.py"), "rb") as f:
            key = hashlib.sha256(f.read() + repr((self.python, self.module, self.seed, self.limit, self.only,
                                                  sorted(self.contract.seeds.items()))).encode()
                                 + (open(self.kernel, "rb").read() if self.kernel else b"")).hexdigest()
        return os.path.join(self.cache_dir(), f"{self.module}-{key[:16]}.json")

    @staticmethod
    def cache_dir():
        base = os.environ.get("FTSAN_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                            os.path.expanduser("~/.cache"), "ftsan")
        return os.path.join(base, "hunt")

    def learn(self):
        """The learning: the cache's when complete, else learned on from the units an earlier
        hunt's learner finished (kept as each ends). Stopped by its share of the budget, the
        hunt goes on with what was learned so far and the next hunt learns on from there."""
        path, cache = os.path.join(self.out, "learned.json"), self.learned_cache()
        units = cache[: -len(".json")] + ".units.jsonl"
        if os.path.exists(cache):
            shutil.copyfile(cache, path)
        if os.path.exists(path):
            with open(path) as f:
                self.learned = json.load(f)
            if self.learned.get("complete", True):
                return
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        env = self.toolchain_.process_env(kernels=[os.path.join(ROOT, "harness", "python")] + self.kernel_dirs, quiet=True)
        t = time.monotonic()
        print(f"[hunt {self.module}] learning the API with {self.python} ...", file=sys.stderr, flush=True)
        argv = [self.python, "-m", "ftsan_hunt", "learn", self.module, "--seed", str(self.seed), "--out", path,
                "--journal", os.path.join(self.out, "learn-journal.txt"), "--units", units] + \
            (["--limit", str(self.limit)] if self.limit else []) + (["--only", ",".join(self.only)] if self.only else []) + \
            (["--seeds", json.dumps(self.contract.seeds)] if self.contract.seeds else [])
        try:
            r = bounded(argv, self.t0 + self.budget * LEARN_SHARE, cwd=self.out, env=env, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
        except Budget:
            partial = None
            if os.path.exists(path):
                with open(path) as f:
                    partial = json.load(f)
            done = 0
            if os.path.exists(units):
                with open(units) as f:
                    done = sum(1 for _ in f)
            if not partial or not partial["calls"]:
                raise Error(f"hunt: learning {self.module} took all of its {LEARN_SHARE:.0%} of the budget before it "
                            f"learned a call; {done} units learned are kept, the next hunt learns on from there",
                            3) from None
            self.learned = partial
            self.learned["seconds"] = round(time.monotonic() - t, 1)
            print(f"[hunt {self.module}] learning stopped at its {LEARN_SHARE:.0%} of the budget: "
                  f"{self.learned_words()}; the next hunt learns on from there", file=sys.stderr, flush=True)
            return
        if r.returncode != 0 or not os.path.exists(path):
            raise Error(f"hunt: the learner failed ({harness.ended(r.returncode)}):\n{r.stderr[-3000:]}",
                        2 if "ModuleNotFoundError" in r.stderr else 3)
        with open(path) as f:
            self.learned = json.load(f)
        self.learned["seconds"] = round(time.monotonic() - t, 1)
        atomic_write(cache, json.dumps(self.learned))

    def learned_words(self):
        u = self.learned.get("units") or {}
        of = f" ({u['done']} of {u['planned']} units of the API)" if u.get("planned") else ""
        return f"{len(self.learned['calls'])} calls learned{of}"

    # -- cases ---------------------------------------------------------------------------------
    def modes(self):
        """The modes the learning can make cases of: mixed needs an object with a mutator and a reader."""
        by = self.calls_by_object()
        return [m for m in MODES if any(r["reader"] and (m == "readers" or r["mutator"]) for r in by.values())]

    def lead(self, k, mode):
        """Case k's lead call: the learned targets (functions, methods, setters) in an order the
        seed shuffles once, taken in turn, so every target leads a case before any leads two (a
        target with one learned call, np.from_dlpack, is drawn as often as ndarray's methods)."""
        if mode not in self.leads:
            by = self.calls_by_object()
            ok = {n for n, r in by.items() if r["reader"] and (mode == "readers" or r["mutator"])}
            role = "reader" if mode == "readers" else None
            targets = sorted({c["target"] for c in self.learned["calls"]
                              if (role is None or c["role"] == role) and ok & set(c["objects"])})
            random.Random(f"{self.seed}:{mode}:leads").shuffle(targets)
            self.leads[mode] = targets
        targets = self.leads[mode]
        # the cases of this mode before k: batches alternate between the modes
        b, n = k // self.batch, len(self.modes())
        i = (b // n) * self.batch + k % self.batch
        return targets[i % len(targets)] if targets else None

    def case(self, k, mode):
        """Case k: a shared object and calls on it by role; the same for a given seed. Its lead
        target (see lead) picks one of its calls and the object the case shares; each role's
        other calls are drawn by target, then by call, among that object's."""
        rng = random.Random(f"{self.seed}:{k}:{mode}")
        by = self.calls_by_object()
        target = self.lead(k, mode)
        if target is None:
            raise Error(f"hunt: no learned call of {self.module} can make a {mode} case")
        lead = rng.choice([c for c in self.learned["calls"] if c["target"] == target and
                           (mode == "mixed" or c["role"] == "reader") and
                           any(by[n]["reader"] and (mode == "readers" or by[n]["mutator"]) for n in c["objects"])])
        focus = [n for n in lead["objects"] if by[n]["reader"] and (mode == "readers" or by[n]["mutator"])]
        x = rng.choice(focus)
        roles = {}
        for role, _ in MODES[mode]:
            pool = by[x][role]
            want = rng.randint(1, 2 if role == "mutator" else 3)
            picked = [lead] if lead["role"] == role else []
            targets = sorted({c["target"] for c in pool} - {c["target"] for c in picked})
            for t in rng.sample(targets, min(len(targets), want - len(picked))):
                picked.append(rng.choice([c for c in pool if c["target"] == t]))
            roles[role] = [c["code"] for c in picked]
        return self.make_case(mode, x, roles)

    def make_case(self, mode, x, roles):
        """A case of these calls by role on the shared object x: the objects they use, each after
        what it is made from, and the calls that break the module's contract."""
        kinds = self.learned["objects"]
        names = []
        for c in self.learned["calls"]:
            if any(c["code"] in codes for codes in roles.values()):
                names += [n for n in c["objects"] if n not in names]
        order = list(kinds)
        names.sort(key=lambda n: (kinds[n]["kind"] == "derived", order.index(n)))
        codes = [c for cs in roles.values() for c in cs]
        return {"mode": mode, "focus": x, "imports": self.learned["imports"],
                "objects": [[n, kinds[n]["expr"]] for n in names], "roles": roles,
                "breaks": self.contract.judge_case(codes, self.calls_by_code, kinds)}

    def mutant(self, k, mode):
        """Case k made from a corpus case of its mode (one that reached edges no earlier case had):
        a call swapped for another of its role on the shared object, a call added or dropped, a
        call's arguments changed (another learned call of the same target), or the calls moved
        to another shared object of the same type. None when the corpus has no case to mutate."""
        parents = sorted((n for n, c in self.corpus.items() if c["case"]["mode"] == mode and
                          c["case"].get("focus") in self.calls_by_object()), key=int)
        if not parents:
            return None
        rng = random.Random(f"{self.seed}:{k}:{mode}:mutate")
        n = rng.choices(parents, [1 + math.log1p(self.corpus[p]["new_edges"]) for p in parents])[0]
        parent = self.corpus[n]["case"]
        by, x = self.calls_by_object(), parent["focus"]
        roles = {r: list(cs) for r, cs in parent["roles"].items()}
        role = rng.choice(sorted(roles))
        op = rng.choice(["swap", "add", "drop", "argument", "share"])
        pool = by[x][role]
        if op == "swap" and roles[role] and pool:
            roles[role][rng.randrange(len(roles[role]))] = rng.choice(pool)["code"]
        elif op == "add" and pool and len(roles[role]) < 4:
            roles[role].insert(rng.randrange(len(roles[role]) + 1), rng.choice(pool)["code"])
        elif op == "drop" and len(roles[role]) > 1:
            roles[role].pop(rng.randrange(len(roles[role])))
        elif op == "argument" and roles[role]:
            i = rng.randrange(len(roles[role]))
            target = self.calls_by_code[roles[role][i]]["target"] if roles[role][i] in self.calls_by_code else None
            alike = [c["code"] for c in self.learned["calls"] if c["target"] == target and c["role"] == role]
            if alike:
                roles[role][i] = rng.choice(alike)
        else:  # share: the same targets on another object of x's type that has both roles
            op = "share"
            kinds = self.learned["objects"]
            others = sorted(y for y, r in by.items() if y != x and kinds[y].get("type") == kinds[x].get("type")
                            and r["reader"] and (mode == "readers" or r["mutator"]))
            if others:
                y = rng.choice(others)
                new = {}
                for r, cs in roles.items():
                    targets = [self.calls_by_code[c]["target"] for c in cs if c in self.calls_by_code]
                    new[r] = [rng.choice(m)["code"] for t in targets
                              for m in [[c for c in by[y][r] if c["target"] == t]] if m]
                if all(new.values()):
                    roles, x = new, y
        case = self.make_case(mode, x, roles)
        case["parent"], case["mutation"] = int(n), op
        return case

    def next_case(self, k, mode):
        """Case k: guided (the default with a coverage toolchain), a mutant of a corpus case for
        MUTATE_SHARE of the cases once the corpus has one; else a fresh draw (case)."""
        if self.guided and random.Random(f"{self.seed}:{k}:guide").random() < MUTATE_SHARE:
            case = self.mutant(k, mode)
            if case is not None:
                return case
        return self.case(k, mode)

    def calls_by_object(self):
        """The learned calls of each object, by role (made once: the learning does not change)."""
        if self.by_object is None:
            self.by_object, self.calls_by_code = {}, {}
            for c in self.learned["calls"]:
                self.calls_by_code.setdefault(c["code"], c)
                for name in c["objects"]:
                    self.by_object.setdefault(name, {"mutator": [], "reader": []})[c["role"]].append(c)
        return self.by_object

    def batch_process(self, b):
        return "fresh" if self.process == "fresh" or b % FRESH_EVERY == FRESH_EVERY - 1 else "fork"

    def batch_scenario(self, b, mode, first, cases=None):
        if not cases:
            cases = {str(first + i): self.next_case(first + i, mode) for i in range(self.batch)}
            for c in cases.values():
                self.made["mutant" if "parent" in c else "draw"] += 1
        base = os.path.join(self.out, "batches", f"batch-{b:04d}")
        atomic_write(base + ".json", json.dumps({"cases": cases}, indent=1))
        roles = "".join(f"  - name: {role}\n    threads: {n}\n    body: |\n{block(self.case_chain(cases, role), 6)}"
                        for role, n in MODES[mode])
        text = (f"# Written by the hunt ({self.module}, seed {self.seed}): run r is case {first} + r - 1 of\n"
                f"# {os.path.basename(base)}.json, each a process of its own ({self.batch_process(b)}).\n"
                f"name: hunt-{b:04d}\nsummary: {yaml_str(f'hunt {self.module}: cases {first}..{first + self.batch - 1} ({mode})')}\n"
                f"threads: {sum(n for _, n in MODES[mode])}\niterations: {self.iterations}\nruns: {self.batch}\n"
                f"barrier: each\nprocess: {self.batch_process(b)}\ntimeout: 120\n{self.build_key(os.path.dirname(base))}"
                # setup imports (once per server when forked); prepare builds the case's objects and
                # calls in the run's own process, so every call is still the first in its process
                "setup: |\n" + block(f"import sys\nsys.path.insert(0, {ROOT + '/harness/python'!r})\nimport ftsan_hunt\n"
                                     + self.learned["imports"], 2)
                + "prepare: |\n" + block(f"globals().update(ftsan_hunt.case_objects({base + '.json'!r}, seed))\ncase = seed", 2)
                + f"roles:\n{roles}")
        atomic_write(base + ".yaml", text)
        return base + ".yaml", cases

    @staticmethod
    def calls_text(codes):
        """A role's calls as statements: a call's exception is the scenario's noise (a reader racing
        a mutator that reshapes its array raises by design); sanitizer reports are what counts."""
        return "".join(f"try:\n    {code}\nexcept Exception:  # the scenario's noise, not the bug\n    pass\n"
                       for code in codes) or "pass\n"

    def case_chain(self, cases, role):
        """One role's body for a batch: each case's calls inline, chosen by the run's case. Inline,
        not through functions the threads share: the first call on a shared function or
        namespace takes a lock in the free-threaded interpreter, and that order hides races (the
        racy_gil kernel's first-call race: 22 of 32 runs through shared functions, 32 of 32
        inline)."""
        return "".join(f"{'if' if i == 0 else 'elif'} case == {k}:\n{block(self.calls_text(c['roles'].get(role, [])), 4)}"
                       for i, (k, c) in enumerate(cases.items()))

    def build_key(self, directory):
        """The kernel's build key of a scenario written in directory, with a copy of its source
        there (a scenario builds only what is below its own directory)."""
        if not self.kernel:
            return ""
        name = os.path.basename(self.kernel)
        os.makedirs(directory, exist_ok=True)
        shutil.copyfile(self.kernel, os.path.join(directory, name))
        return f"build: {{c: {yaml_str(name)}}}\n"

    # -- running and sorting -------------------------------------------------------------------
    def run_batch(self, b, replay=None):
        """Batch b: self.batch cases of the mode its turn gives, or replay: (mode, cases) given."""
        if replay:
            mode, given = replay
        else:
            modes = self.modes()
            if not modes:
                raise Error(f"hunt: no learned call of {self.module} can make a case")
            mode, given = modes[b % len(modes)], None
        first = b * self.batch
        path, cases = self.batch_scenario(b, mode, first, given and {str(first + i): c for i, c in enumerate(given)})
        # Recorded below, with the hunt's own judgement of each finding's cases.
        r = harness.run(path, os.path.join(self.out, "runs"), self.deadline, RECORD="none", SEED=first, RUNS=len(cases),
                        CATALOG=self.catalog, GROUP="none")
        entry = {"batch": b, "mode": mode, "first_case": first, "process": self.batch_process(b),
                 "seconds": round(r.seconds, 1), "exit": r.exit}
        if not r.ok:
            entry["error"] = r.stderr[-2000:]
            self.errors.append(entry)
            self.batches.append(entry)
            return
        entry.update(report=os.path.relpath(r.dir, self.out), runs_done=r.report["runs"]["done"],
                     runs_failed=r.report["runs"]["failed"])
        if replay:
            entry["replay"] = True
        self.batches.append(entry)
        self.cases_run += r.report["runs"]["done"] - r.report["runs"]["failed"]
        if self.tc.get("coverage"):
            self.absorb_coverage(r.dir, first, cases, b)
        for f in r.report["findings"]:
            self.absorb(f, False, first, cases, entry["report"])
        for f in r.report.get("scenario_data_races", []):
            self.absorb(f, True, first, cases, entry["report"])
        self.record(r, first, cases)

    @staticmethod
    def record(r, first, cases):
        """The batch into the findings store: a finding every case of which breaks the contract
        is the caller's there (by design, not counted), as in the hunt's own summary."""
        design = {f["id"] for f in r.report["findings"]
                  if all(cases[str(first + run - 1)]["breaks"] for run in f["runs"])}
        try:
            with store.Store() as s:
                s.record(r.dir, "hunt", by_design=design)
        except Error as e:
            print(f"hunt: error: batch not recorded: {e} (python3 -m ftsan findings import {r.dir} records it "
                  "without the hunt's judgement)", file=sys.stderr, flush=True)

    # -- coverage ----------------------------------------------------------------------------------
    @staticmethod
    def edges(run_dir):
        """The edges a run reached: (module, offset) of every PC in its .sancov files (the
        sanitizer runtime's: 8 bytes of magic, then 64-bit offsets into the module)."""
        out = set()
        for path in glob.glob(os.path.join(run_dir, "*" + harness.layout("sancov"))):
            module = os.path.basename(path)[: -len(harness.layout("sancov"))].rsplit(".", 1)[0]
            with open(path, "rb") as f:
                data = f.read()
            if len(data) < 8 or int.from_bytes(data[:8], "little") != SANCOV_MAGIC64:
                raise Error(f"hunt: {path} is not a 64-bit .sancov file", 3)
            pcs = array.array("Q")
            pcs.frombytes(data[8: 8 + (len(data) - 8) // 8 * 8])
            out.update((module, pc) for pc in pcs)
        return out

    def absorb_coverage(self, report_dir, first, cases, b):
        """Each case's edges: a case that reached edges no earlier case did joins the corpus."""
        evidence = os.path.join(report_dir, harness.layout("evidence"))
        for i, (k, case) in enumerate(cases.items()):
            run = os.path.join(evidence, harness.layout("run_dir") % (i + 1))
            got = self.edges(run)
            new = got - self.coverage
            if new:
                self.coverage |= new
                entry = {"case": case, "new_edges": len(new), "edges": len(got), "batch": b,
                         "how": "replay" if case.get("replay") is not None else "mutant" if "parent" in case else "draw"}
                self.corpus[k] = entry
                os.makedirs(os.path.join(self.out, "corpus"), exist_ok=True)
                atomic_write(os.path.join(self.out, "corpus", f"{k}.json"), json.dumps(entry, indent=1))
                if self.corpus_cache and entry["how"] != "replay":
                    os.makedirs(self.corpus_cache, exist_ok=True)
                    name = hashlib.sha256(json.dumps(case["roles"], sort_keys=True).encode()).hexdigest()[:16]
                    atomic_write(os.path.join(self.corpus_cache, f"{name}.json"), json.dumps(entry, indent=1))
            self.curve.append([self.cases_run - len(cases) + i + 1, round(time.monotonic() - self.t0, 1),
                               len(self.coverage)])

    def replay_corpus(self):
        """The corpus an earlier hunt of this toolchain and module kept, run first (its cases as
        they were, by mode), so this hunt starts from its coverage. Returns the batches run."""
        if not self.corpus_cache or not os.path.isdir(self.corpus_cache):
            return 0
        by_mode = {}
        for path in sorted(glob.glob(os.path.join(self.corpus_cache, "*.json"))):
            with open(path) as f:
                case = json.load(f)["case"]
            case["replay"] = os.path.basename(path)[: -len(".json")]
            by_mode.setdefault(case["mode"], []).append(case)
        b = 0
        for mode, cases in sorted(by_mode.items()):
            for i in range(0, len(cases), self.batch):
                self.run_batch(b, (mode, cases[i: i + self.batch]))
                self.made["replay"] += len(cases[i: i + self.batch])
                b += 1
                self.write()
                self.progress()
        return b

    def coverage_svg(self, over="cases"):
        """Edges over cases (or seconds): one polyline (bench/hunt.py draws hunts side by side)."""
        name = f"{self.module} ({'guided' if self.guided else 'random'})"
        return svg_plot({name: [(c if over == "cases" else t, e) for c, t, e in self.curve]},
                        "cases run" if over == "cases" else "seconds", "edges covered")

    def absorb(self, f, own, first, cases, report):
        sig = next((self.alias[s] for s in [f["signature"], *f["also_seen_as"]] if s in self.alias), f["signature"])
        e = self.sigs.setdefault(sig, {"id": f["id"], "kind": f["kind"], "signature": sig, "also": [],
                                       "known": f["known"], "own": own, "memory": [], "roles": [], "cases": [],
                                       "first_report": report, "first_finding": f["id"], "example_case": None})
        for s in [f["signature"], *f["also_seen_as"]]:
            self.alias[s] = sig
            if s != sig and s not in e["also"]:
                e["also"].append(s)
        e["known"] = e["known"] or f["known"]
        e["fixed_in"] = e.get("fixed_in") or f.get("fixed_in")
        e["memory"] += [m for m in f["memory"] if m not in e["memory"]]
        e["roles"] += [x for x in f["roles"] if x not in e["roles"]]
        for run in f["runs"]:
            k = first + run - 1
            case = cases[str(k)]
            e["cases"].append(k)
            if case["mode"] == "readers":
                e.setdefault("readers_cases", []).append(k)
            # by design: every case that showed it has a thread doing what the contract leaves
            # to the caller; one case without is enough to count it
            e["by_design"] = e.get("by_design", True) and bool(case["breaks"])
            e["breaks"] = sorted(set(e.get("breaks", [])) | {b["rule"] for b in case["breaks"]}) \
                if e["by_design"] else []
            # the example: a case that keeps the contract when there is one
            if e["example_case"] is None or (e["example_case"]["breaks"] and not case["breaks"]):
                e["example_case"] = case
                e["example_case_number"] = k
            if f.get("waits") and not e.get("waits"):
                e["waits"] = f["waits"]
            # a hang inside the sanitizer's report of a race is the toolchain's, not the library's
            # (every run of it: one run with the library's own wait is enough to count it)
            e["sanitizer_hang"] = e.get("sanitizer_hang", True) and bool((f.get("waits") or {}).get("sanitizer"))

    @staticmethod
    def counted(e):
        """The library's: not on the cases' own data, not by design, not a hang of the sanitizer's."""
        return not e["own"] and not e.get("by_design") and not e.get("sanitizer_hang")

    def counts(self):
        """Counted: the library's signatures, neither on the cases' own data nor by design."""
        lib = [e for e in self.sigs.values() if self.counted(e)]
        design = [e for e in self.sigs.values() if not e["own"] and e.get("by_design") and not e.get("sanitizer_hang")]
        return {"signatures": len(self.sigs), "library": len(lib), "new": sum(1 for e in lib if not e["known"]),
                "known": sum(1 for e in lib if e["known"]),
                "known_when_found": sum(1 for e in lib if e["known"] and not e.get("known_later")),
                "by_design": len(design), "sanitizer_hangs": sum(1 for e in self.sigs.values() if e.get("sanitizer_hang")),
                "scenario_data": sum(1 for e in self.sigs.values() if e["own"])}

    def progress(self):
        c = self.counts()
        print(f"[hunt {self.module}] {time.monotonic() - self.t0:.0f}s of {self.budget:.0f}s: "
              f"{self.learned_words()}, {self.cases_run} cases run in {len(self.batches)} batches, "
              + (f"{len(self.coverage)} edges ({len(self.corpus)} cases in the corpus), " if self.tc.get("coverage") else "")
              + f"{c['library']} counted signatures ({c['new']} new, {c['known']} known), "
              f"{c['by_design']} by design, {c['scenario_data']} on the cases' own data", file=sys.stderr, flush=True)

    # -- reproducers -----------------------------------------------------------------------------
    def repro_text(self, e, case, runs, directory, rate=None, sanitizers=None):
        """A scenario of one case, standalone: the calls inline, an expectation of this toolchain
        (none when it is meant for other sanitizers too); it is written in directory."""
        setup = case["imports"] + "".join(f"{n} = {expr}\n" for n, expr in case["objects"])
        roles = "".join(
            f"  - name: {role}\n    threads: {n}\n    body: |\n"
            + block(self.calls_text(case["roles"][role]), 6)
            for role, n in MODES[case["mode"]] if case["roles"].get(role))
        numpy = self.tc.get("numpy_version")
        where = f"CPython {self.tc['version']} ({self.tc['sanitizer']}), NumPy {numpy or 'none'}"
        head = (f"# Found by `make hunt MODULE={self.module} SEED={self.seed}` (case {e['example_case_number']}), "
                + (f"shrunk to these calls.\n# Rate: {rate} on {where}.\n" if rate else
                   f"on {where}; not shrunk, rate not measured.\n")
                + f"# Signature: {e['signature']}\n"
                + "".join(f"# By design ({self.contract.module}'s contract, {b['rule']}): {b['call']} writes the shared "
                          f"{b['object']}\n" for b in case.get("breaks", [])))
        expect = ""
        if numpy and not sanitizers:
            # the signature after its kind: "A (a.c) <> B (b.c)", what sig_matches looks for
            match = yaml_str(e["signature"].split(": ", 1)[-1])
            expect = (f"expect:\n  - {{numpy: \"=={numpy}\", san: {self.tc['sanitizer']}, outcome: found, kind: {e['kind']}, "
                      f"match: {match}}}\nverify: {{san: {self.tc['sanitizer']}, numpy: [\"{numpy}\"]}}\n")
        shared = ", ".join(n for n, _ in case["objects"])
        return (head + f"name: hunt-{e['id']}\nsummary: {yaml_str('threads sharing ' + shared + ': ' + e['signature'])}\n"
                "references: []\nrequires: {python: \">=3.13\"}\n"
                f"sanitizers: [{', '.join(sanitizers or [self.tc['sanitizer']])}]\nthreads: {sum(n for r, n in MODES[case['mode']] if case['roles'].get(r))}\n"
                f"iterations: {self.iterations}\nruns: {runs}\nbarrier: each\nprocess: fresh\ntimeout: 120\n{self.build_key(directory)}"
                f"setup: |\n{block(setup, 2)}roles:\n{roles}{expect}")

    def hits(self, e, case, runs, deadline, record="none"):
        """(runs that showed e, runs done) of case; record: what the run is to the findings store
        (a shrinking candidate is nothing; a case run again without its breaking calls is the
        hunt's, and counted there)."""
        path = os.path.join(self.out, "shrink", f"{e['id']}.yaml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, self.repro_text(e, case, runs, os.path.dirname(path)))
        r = harness.run(path, os.path.join(self.out, "shrink", "runs"), deadline, RECORD=record, RUNS=runs,
                        CATALOG=self.catalog, GROUP="none")
        if not r.ok:
            return None
        sigs = {e["signature"], *e["also"]}
        hit = [f for f in r.report["findings"] + r.report.get("scenario_data_races", [])
               if sigs & {f["signature"], *f["also_seen_as"]}]
        return (max(f["runs_hit"] for f in hit) if hit else 0), r.report["runs"]["done"] - r.report["runs"]["failed"]

    def shrink(self, e, deadline):
        """Drop one call at a time while the signature still shows; then measure its rate."""
        case = json.loads(json.dumps(e["example_case"]))
        e["shrink"] = []
        for role in list(case["roles"]):
            for code in list(case["roles"][role]):
                total = sum(len(v) for v in case["roles"].values())
                if total == 1:
                    break
                cand = json.loads(json.dumps(case))
                cand["roles"][role].remove(code)
                used = [n for n, _ in cand["objects"] if any(re.search(rf"\b{n}\b", c) for cs in cand["roles"].values()
                                                             for c in cs)]
                # objects the remaining calls name, and what derived ones are made from
                keep = set(used)
                for n in used:
                    keep |= set(self.learned["objects"][n].get("needs", []))
                cand["objects"] = [o for o in cand["objects"] if o[0] in keep]
                got = self.hits(e, cand, SHRINK_RUNS, deadline)
                e["shrink"].append({"dropped": code, "hits": got})
                if got and got[0] > 0:
                    case = cand
        got = self.hits(e, case, RATE_RUNS, deadline)
        rate = f"{got[0]}/{got[1]} fresh runs" if got else None
        e["rate"] = rate
        return case, rate

    def keep_new(self):
        """Every new signature as new/<id>.yaml: shrunk and its rate measured while the budget
        lasts, else as found; the counted ones first, then the hangs' runs without a sanitizer,
        then what is by design."""
        todo = self.new()
        for e in todo:
            if self.counted(e):
                self.keep_one(e)
        for e in self.sigs.values():
            if e["kind"] == "hang" and not e["own"]:
                self.hang_without_sanitizer(e)
        # a by-design signature whose frames are not the caller's writes may not need them: its
        # case again without the calls that break the contract; what still shows is counted
        design = [e for e in todo if not self.counted(e)]
        for e in sorted(design, key=lambda e: self.contract.caller_frames(e["signature"], *e["also"])):
            if e.get("by_design") and not e.get("sanitizer_hang") and not self.contract.caller_frames(e["signature"], *e["also"]):
                self.without_breaks(e)
            if self.counted(e):
                self.keep_one(e)
        for e in design:
            if not self.counted(e):
                self.keep_one(e)

    def without_breaks(self, e):
        """e's example case without the calls that break the contract (SHRINK_RUNS fresh runs):
        when its signature still shows, the caller's side was not what it needed, and it counts."""
        if time.monotonic() >= self.deadline or "without_breaks" in e:
            return
        case = json.loads(json.dumps(e["example_case"]))
        drop = {b["call"] for b in case["breaks"]}
        case["roles"] = {r: [c for c in cs if c not in drop] for r, cs in case["roles"].items()}
        case["breaks"] = []
        if not any(case["roles"].values()):
            return
        try:
            got = self.hits(e, case, SHRINK_RUNS, self.deadline, record="hunt")
        except Budget:
            self.stopped = self.stopped or "budget"
            return
        e["without_breaks"] = {"dropped": sorted(drop), "hits": got}
        if got and got[0] > 0:
            e.update(by_design=False, breaks=[], example_case=case)
        self.write()

    def keep_one(self, e):
        case, rate = e["example_case"], None
        try:
            if time.monotonic() < self.deadline:
                case, rate = self.shrink(e, self.deadline)
        except Budget:
            self.stopped = self.stopped or "budget"
        self.write_repro(e, case, rate)
        self.write()

    def hang_without_sanitizer(self, e):
        """A hang's example case, HANG_RUNS fresh runs of the same toolchain without a sanitizer
        (SAN=none): a hang that does not come back there is TSan's slowdown, not the library."""
        if time.monotonic() >= self.deadline or "without_sanitizer" in e:
            return
        path = os.path.join(self.out, "hangs", f"{e['id']}.yaml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, self.repro_text(e, e["example_case"], HANG_RUNS, os.path.dirname(path),
                                           sanitizers=sorted({self.tc["sanitizer"], "none"})))
        try:
            r = harness.run(path, os.path.join(self.out, "hangs", "runs"), self.deadline, RECORD="none", SAN="none",
                            RUNS=HANG_RUNS, TIMEOUT=HANG_TIMEOUT, CATALOG=self.catalog, GROUP="none")
        except Budget:
            self.stopped = self.stopped or "budget"
            return
        if not r.ok:
            e["without_sanitizer"] = {"error": r.stderr[-1000:]}
        else:
            hung = sorted({run for f in r.report["findings"] if f["kind"] == "hang" for run in f["runs"]})
            e["without_sanitizer"] = {"runs": r.report["runs"]["done"] - r.report["runs"]["failed"],
                                      "hung": len(hung), "timeout": HANG_TIMEOUT,
                                      "report": os.path.relpath(r.dir, self.out)}
        self.write()

    def write_repro(self, e, case, rate=None):
        e["reproducer"] = os.path.join("new", f"{e['id']}.yaml")
        os.makedirs(os.path.join(self.out, "new"), exist_ok=True)
        path = os.path.join(self.out, e["reproducer"])
        atomic_write(path, self.repro_text(e, case, RATE_RUNS, os.path.dirname(path), rate))
        harness.scntool("check", path)  # the harness's loader takes it, or the hunt has a bug

    def relabel(self):
        """Signatures the catalog did not know when their batch ran (the hunt's copy of it, as it
        was at the start), matched against known/catalog.json as it is now, by the harness's
        rule (`scntool known`): marked known_later, never counted as known when found."""
        catalog = os.path.join(ROOT, "known", "catalog.json")
        for e in self.sigs.values():
            if e["own"] or e["known"]:
                continue
            got = json.loads(harness.scntool("known", "--catalog", catalog, e["kind"], e["signature"], *e["also"]))
            if got["known"]:
                e["known"], e["known_later"], e["fixed_in"] = got["known"], True, got["fixed_in"]

    def new(self):
        """What is new, what may be a bug first: the counted ones, then the by-design ones, the
        most cases first (the shrinking budget goes in this order)."""
        return sorted((e for e in self.sigs.values() if not e["own"] and not e["known"]),
                      key=lambda e: (not self.counted(e), -len(set(e["cases"]))))

    # -- output --------------------------------------------------------------------------------
    def write(self):
        c = self.counts()
        doc = {"schema": "ftsan-hunt/2", "module": self.module, "seed": self.seed, "budget": self.budget,
               "seconds": round(time.monotonic() - self.t0, 1), "stopped": self.stopped,
               "versions": {"python": self.tc["version"], "sanitizer": self.tc["sanitizer"],
                            "numpy": self.tc.get("numpy_version"), "module": self.learned and self.learned["version"]},
               "contract": {"module": self.contract.module, "summary": self.contract.summary,
                            "docs": [d.get("url") for d in self.contract.docs],
                            "caller": [{"id": r["id"], "what": r["what"]} for r in self.contract.rules]},
               "learned": self.learned and {"calls": len(self.learned["calls"]), "tried": self.learned["tried"],
                                            "mutators": sum(c["role"] == "mutator" for c in self.learned["calls"]),
                                            "objects": len(self.learned["objects"]), "crashes": self.learned["crashes"],
                                            "seconds": self.learned.get("seconds"), "units": self.learned.get("units"),
                                            "complete": self.learned.get("complete", True)},
               "cases_run": self.cases_run, "batches": self.batches, "counts": c, "process": self.process,
               "coverage": self.tc.get("coverage") and {
                   "flags": self.tc["coverage"], "guided": self.guided, "edges": len(self.coverage),
                   "corpus": len(self.corpus), "corpus_dir": self.corpus_cache,
                   "new_by": {how: sum(1 for e in self.corpus.values() if e["how"] == how)
                              for how in ("replay", "draw", "mutant")},
                   "cases_by": self.made,
                   "curve": self.curve},
               "signatures": sorted(self.sigs.values(), key=lambda e: (e["own"], bool(e.get("by_design")),
                                                                       bool(e["known"]), -len(e["cases"])))}
        atomic_write(os.path.join(self.out, "hunt.json"), json.dumps(doc, indent=1))
        atomic_write(os.path.join(self.out, "summary.md"), self.summary(doc))
        if self.curve:
            atomic_write(os.path.join(self.out, "coverage.svg"), self.coverage_svg())
            atomic_write(os.path.join(self.out, "coverage-time.svg"), self.coverage_svg("seconds"))

    @staticmethod
    def _row(e):
        cases = set(e["cases"])
        readers = len(cases & set(e.get("readers_cases", [])))
        known = (e["known"] or "") + (f", fixed in {e['fixed_in']}" if e.get("fixed_in") else "") + \
            (" (catalogued after the hunt started)" if e.get("known_later") else "")
        return (f"| {e['id']} | `{e['signature']}` | {len(cases)} ({readers}) | {known} | "
                f"{e.get('reproducer', '')} {e.get('rate') or ''} |")

    def summary(self, doc):
        v, c = doc["versions"], doc["counts"]
        lines = [f"# hunt {self.module}: {c['new']} new, {c['known']} known ({c['by_design']} by design, not counted)",
                 "", f"CPython {v['python']} ({v['sanitizer']}), {self.module} {v['module']}; seed {self.seed}; "
                 f"{doc['seconds']:.0f} s of a {self.budget:.0f} s budget" + (f" (stopped: {self.stopped})" if self.stopped else ""),
                 "", f"Learned {doc['learned']['calls'] if doc['learned'] else 0} calls; ran {self.cases_run} cases "
                 f"in {len(self.batches)} batches ({len(self.errors)} batches could not run).", ""]
        cov = doc.get("coverage")
        if cov:
            by, made = cov["new_by"], cov["cases_by"]
            lines += [f"## Coverage: {cov['edges']} edges ({'guided' if cov['guided'] else 'random: no mutants'})", "",
                      f"The module's code built with `{cov['flags']}`; a case that reached edges no earlier case did "
                      f"joined the corpus ({cov['corpus']} cases: {by['replay']} of {made['replay']} replayed from earlier "
                      f"hunts, {by['draw']} of {made['draw']} fresh draws, {by['mutant']} of {made['mutant']} mutants of "
                      "corpus cases). Edges over cases: [coverage.svg](coverage.svg); over time: "
                      "[coverage-time.svg](coverage-time.svg).", ""]
        crashes = doc["learned"]["crashes"] if doc["learned"] else []
        if crashes:  # single-threaded: not a race, but a crash a maintainer wants to hear of
            lines += [f"Calls that killed the interpreter while it was learned, on one thread: {len(crashes)}", ""]
            lines += [f"- `{c['call']}` (learning {c['unit']}, wait status {c['status']})" for c in crashes] + [""]
        head = ["| id | signature | cases (readers-only) | known | reproducer |", "|---|---|---|---|---|"]
        for title, sel in (("New", lambda e: self.counted(e) and not e["known"]),
                           ("Known", lambda e: self.counted(e) and e["known"])):
            rows = [e for e in doc["signatures"] if sel(e)]
            lines += [f"## {title}: {len(rows)}", ""] + ((head + [self._row(e) for e in rows] + [""]) if rows else [])
        design = [e for e in doc["signatures"] if not e["own"] and e.get("by_design") and not e.get("sanitizer_hang")]
        lines += [f"## By design: {len(design)} (not counted)", "",
                  f"Seen only in cases where a thread does what {self.contract.module}'s contract leaves to the caller "
                  f"({self.contract.summary}; known/contracts.json). Memory errors among them are what such a "
                  "caller's race does to memory.", ""]
        if design:
            lines += ["| id | signature | cases | the caller's side | memory error | reproducer |", "|---|---|---|---|---|---|"]
            lines += [f"| {e['id']} | `{e['signature']}` | {len(set(e['cases']))} | {', '.join(e.get('breaks', []))} | "
                      f"{'yes' if e['kind'] not in ('data-race', 'hang') else ''} | {e.get('reproducer', '')} |"
                      for e in design] + [""]
        hangs = [e for e in doc["signatures"] if e["kind"] == "hang" and not e["own"]]
        if hangs:
            lines += [f"## Hangs: {len(hangs)}", "", "Why the threads waited (gdb's stacks), and the same case without a "
                      "sanitizer. A hang inside the sanitizer's report of a race is the toolchain's: not counted.", ""]
            for e in hangs:
                tag = " (the sanitizer's, not counted)" if e.get("sanitizer_hang") else \
                    " (by design)" if e.get("by_design") else ""
                lines.append(f"- {e['id']}{tag}: {self.hang_words(e)}")
            lines.append("")
        own = [e for e in doc["signatures"] if e["own"]]
        lines += [f"## On the cases' own shared data (not counted): {len(own)}", ""]
        if own:
            lines += ["| id | signature | cases |", "|---|---|---|"]
            lines += [f"| {e['id']} | `{e['signature']}` | {len(set(e['cases']))} |" for e in own] + [""]
        return "\n".join(lines) + "\n"

    @staticmethod
    def hang_words(e):
        """Why a hang's threads waited (the harness's wait graph) and whether it hangs without a
        sanitizer."""
        w = e.get("waits") or {}
        out = [w.get("summary") or "no native stacks of the workers"]
        ws = e.get("without_sanitizer")
        if ws and "error" in ws:
            out.append("the run without a sanitizer failed to run")
        elif ws:
            out.append(f"without a sanitizer: {ws['hung']} of {ws['runs']} runs hung ({ws['timeout']} s each)"
                       + ("; TSan's slowdown, not the library" if ws["hung"] == 0 and ws["runs"] else ""))
        else:
            out.append("not run without a sanitizer (budget)")
        return "; ".join(out)

    # -- the whole -----------------------------------------------------------------------------
    def main(self):
        old = {s: signal.signal(s, _interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.toolchain()
            # The budget is the hunt's: it starts once the toolchain is ready. A cold TSan NumPy
            # build takes minutes (the first local run of the nightly spent a 600 s budget on it
            # and learned nothing).
            self.t0 = time.monotonic()
            self.deadline = self.t0 + self.budget
            self.learn()
            self.write()
            b = self.replay_corpus() if self.tc.get("coverage") else 0
            while time.monotonic() < self.t0 + self.budget * HUNT_SHARE:
                try:
                    self.run_batch(b)
                except Budget:
                    self.stopped = "budget"
                    break
                b += 1
                self.write()
                self.progress()
                if len(self.errors) >= 3 and len(self.errors) == len(self.batches):
                    raise Error(f"hunt: no batch could run; the first said:\n{self.errors[0]['error']}")
            self.relabel()
            self.keep_new()
        except Interrupted as e:
            self.stopped = e.args[0]
            # what is new and not written yet, as found: no more runs once interrupted
            for x in self.new():
                if "reproducer" not in x:
                    self.write_repro(x, x["example_case"])
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            if self.learned is not None:
                self.write()
                print(f"[hunt {self.module}] report: {os.path.join(self.out, 'summary.md')}", file=sys.stderr)
        return 1 if any(self.counted(e) for e in self.new()) else 0


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m ftsan hunt", description=__doc__.splitlines()[0])
    ap.add_argument("module", help="the module to hunt in (numpy)")
    ap.add_argument("--seed", type=int, default=0, help="the same seed learns and generates the same cases")
    ap.add_argument("--budget", type=float, default=1800, help="seconds for the whole hunt (default 1800)")
    ap.add_argument("--out", help="the hunt's directory (default: reports/hunt-<time>-<module>)")
    ap.add_argument("--batch", type=int, default=BATCH, help=f"cases a batch (default {BATCH})")
    ap.add_argument("--limit", type=int, help="learn only this many of the module's callables (a seeded sample)")
    ap.add_argument("--process", choices=("fork", "fresh"), default="fork",
                    help="cases forked from a server that imported the module (default), or each a fresh process")
    ap.add_argument("--guide", choices=("on", "off"), default="on",
                    help="with a COVERAGE=1 toolchain, mutate the cases that reached new edges (default on); off: "
                         "fresh draws only, coverage still measured")
    ap.add_argument("--corpus", help="the corpus directory shared by hunts (default: in the cache, per toolchain and module)")
    ap.add_argument("--only", help="learn only these callables, comma-separated as called (np.repeat,np.from_dlpack)")
    ap.add_argument("--kernel", help="a C module's source (FILE.c) built with the toolchain's sanitizer, MODULE its name")
    a = ap.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", a.module):
        raise Error(f"hunt: MODULE must be an importable module name, got '{a.module}'", 2)
    if a.budget <= 0 or a.batch <= 0:
        raise Error("hunt: --budget and --batch must be positive", 2)
    out = os.path.abspath(a.out or os.path.join(harness.REPORTS, time.strftime("hunt-%Y%m%dT%H%M%SZ-", time.gmtime())
                                                + a.module))
    if a.kernel and not (a.kernel.endswith(".c") and os.path.isfile(a.kernel)):
        raise Error(f"hunt: --kernel must be a C source file, got '{a.kernel}'", 2)
    return Hunt(a.module, a.seed, a.budget, out, a.batch, limit=a.limit, process=a.process,
                kernel=a.kernel and os.path.abspath(a.kernel), only=a.only and a.only.split(","),
                guide=a.guide == "on", corpus=a.corpus and os.path.abspath(a.corpus)).main()
