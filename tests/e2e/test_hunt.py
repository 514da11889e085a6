"""The hunt (issue 6/6): races on the data a scenario itself shares set apart from the library's,
the learner, and a short hunt on the TSan NumPy 2.2.5 toolchain `make test` already builds."""
import json
import os
import re
import signal
import subprocess
import sys
import time

from conftest import ROOT, SCN, scntool, toolchain


def test_races_on_the_scenarios_own_data_are_shown_apart_never_counted(harness):
    """Threads filling one shared bytearray through a kernel that also counts its calls in a
    static: the race on the bytearray's data is the scenario's (shown, not a finding), the
    counter's is the library's (a finding). Without the counter the run is clean."""
    r = harness(f"{SCN}/shared_buffer.yaml")
    assert r.rc == 1, r
    (own,) = r.report["scenario_data_races"]
    assert own["kind"] == "scenario-data-race" and own["runs_hit"] >= 1, own
    assert own["memory"] == ["the data of `shared`, which the scenario's threads share"], own
    counter = [f for f in r.findings() if f["memory"] == ["global 'calls'"]]
    assert len(counter) == 1 and counter[0]["kind"] == "data-race", r.findings()
    assert all(f["kind"] != "scenario-data-race" for f in r.findings())
    with open(f"{r.dir}/summary.md") as f:
        assert "Races on the scenario's own data (not findings" in f.read()
    (summary,) = [e for e in r.events() if e["kind"] == "summary"]
    shared = {e["name"]: e["size"] for e in r.events() if e["kind"] == "shared"}
    assert shared == {"shared": 4096, "pool[0]": 16, "pool[1]": 16}, shared

    r = harness(f"{SCN}/shared_buffer_only.yaml")
    assert r.rc == 0 and r.findings() == [], r
    assert [f["memory"] for f in r.report["scenario_data_races"]] == [
        ["the data of `shared`, which the scenario's threads share"]], r.report["scenario_data_races"]


def learn(python, module, seed, out, *args):
    env = dict(os.environ, PYTHON_GIL="0", TSAN_OPTIONS="report_bugs=0",
               PYTHONPATH=os.path.join(ROOT, "harness", "python") + ":" + os.path.join(ROOT, "tests", "e2e", "hunt"))
    p = subprocess.run([python, "-m", "ftsan_hunt", "learn", module, "--seed", str(seed), "--out", out,
                        "--journal", out + ".journal", *args], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


def test_learner_is_deterministic(tmp_path):
    """The same seed learns the same calls (tests/e2e/hunt/toymod.py, no NumPy)."""
    python = toolchain()
    a = learn(python, "toymod", 5, str(tmp_path / "a.json"))
    b = learn(python, "toymod", 5, str(tmp_path / "b.json"))
    assert a["calls"] == b["calls"] and len(a["calls"]) > 0


def test_a_module_is_learned_on_its_own_objects(tmp_path):
    """A module other than NumPy (tests/e2e/hunt/toymod.py) is learned on the objects its own
    calls return, with the pool's values as arguments only: a model from make(n), the model in
    the state fit leaves it in (its predict works there, not on the unfitted one), a callable
    object called, a list of the module's objects given to its function, and a call that kills
    the interpreter recorded and skipped while the rest of its object is learned."""
    d = learn(toolchain(), "toymod", 0, str(tmp_path / "t.json"))
    objects, codes = d["objects"], [c["code"] for c in d["calls"]]
    model = [n for n, o in objects.items() if o["type"] == "toymod.Model" and "state" not in o]
    fitted = [n for n, o in objects.items() if o.get("state") == "after fit"]
    scaler = [n for n, o in objects.items() if o["type"] == "toymod.Scaler"]
    assert model and fitted and scaler, objects
    # the pool is arguments only: none of its objects is a receiver
    assert not any(c.startswith(("ls.", "tx.", "ll.")) for c in codes), codes
    fits = [c for c in d["calls"] if c["code"].startswith(f"{model[0]}.fit(")]
    assert fits and all(c["role"] == "mutator" and c["mutates"] == [model[0]] for c in fits), fits
    assert any(c.startswith(f"{fitted[0]}.predict(") for c in codes), codes
    assert not any(c.startswith(f"{model[0]}.predict(") for c in codes), codes
    assert any(c.startswith(f"{scaler[0]}(") for c in codes), codes
    assert any(c.startswith("toymod.combine(") and f"{model[0]}s" in c for c in codes), codes
    (crash,) = [c for c in d["crashes"] if ".explode(" in (c["call"] or "")]
    assert crash["unit"] in model + fitted, crash
    assert any(c.startswith(f"{crash['unit']}.explode(") for c in codes), codes   # learned again without it


def hunt(out, *args, **env):
    e = dict(os.environ, NUMPY="2.2.5", **env)
    return subprocess.Popen([sys.executable, "-m", "ftsan", "hunt", "numpy", "--out", out, *args], cwd=ROOT, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_short_numpy_hunt_runs_generated_cases_and_keeps_everything_on_interrupt(tmp_path):
    """A hunt on NumPy 2.2.5 (TSan): the API is learned, cases run in fresh processes through the
    harness, the same seed generates the same cases, and SIGINT after the first batches leaves
    hunt.json with all of it."""
    out = str(tmp_path / "hunt")
    p = hunt(out, "--seed", "7", "--batch", "4", "--budget", "900", "--limit", "120")
    deadline = time.monotonic() + 800
    doc = None
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(5)
        try:
            with open(os.path.join(out, "hunt.json")) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        if len(doc["batches"]) >= 2:
            break
    p.send_signal(signal.SIGINT)
    log = p.communicate(timeout=120)[0]
    with open(os.path.join(out, "hunt.json")) as f:
        doc = json.load(f)
    assert doc["stopped"] == "SIGINT", log[-3000:]
    assert doc["learned"]["calls"] > 150 and doc["learned"]["mutators"] > 10, doc["learned"]
    ran = [b for b in doc["batches"] if "error" not in b]
    assert len(ran) >= 2 and {b["mode"] for b in ran} == {"mixed", "readers"}, doc["batches"]
    assert doc["cases_run"] >= 8 and all(b["runs_failed"] == 0 for b in ran), doc["batches"]
    assert "calls learned" in log and "cases run" in log, log[-2000:]
    # Every signature names the cases that showed it, and none counted is on the cases' own data.
    for e in doc["signatures"]:
        assert e["cases"] and (e["kind"] == "scenario-data-race") == e["own"], e
    # The same seed, the same cases: the second batch file is generated again identically.
    with open(os.path.join(out, "batches", "batch-0001.json")) as f:
        first = json.load(f)
    sys.path.insert(0, ROOT)
    from ftsan import hunt as h
    again = h.Hunt("numpy", 7, 1, str(tmp_path / "again"), 4)
    again.learned = json.load(open(os.path.join(out, "learned.json")))
    assert {k: again.case(int(k), "readers") for k in first["cases"]} == first["cases"]


def test_a_signature_is_matched_against_the_catalog_as_it_is_now():
    """`scntool known`: the harness's own rule, for findings made before the catalog knew them
    (the hunt relabels its signatures with it at the end)."""
    def known(*args):
        p = subprocess.run([scntool(), "known", "--catalog", "known/catalog.json", *args], cwd=ROOT,
                           capture_output=True, text=True, check=True)
        return json.loads(p.stdout)["known"]

    flags = "data-race: _UpdateContiguousFlags (flagsobject.c) <> _UpdateContiguousFlags (flagsobject.c)"
    assert known("data-race", flags) == "numpy#30540"
    assert known("hang", flags) is None                       # the kind is part of the rule
    assert known("data-race", "data-race: a (a.c) <> b (b.c)") is None
    # one of the signatures it absorbed is enough
    assert known("data-race", "data-race: a (a.c) <> b (b.c)", "data-race: from_dlpack (dlpack.c) <> x (x.c)") == "numpy#28881"


def test_the_buffers_a_scenario_shares_are_recorded_whole(harness):
    """NumPy arrays of every layout the hunt's pool has: each one's whole data, in bytes (a
    unicode array's typestr counts characters, not bytes), strided and reversed views by their
    extent, items of a tuple, nothing for an empty array."""
    r = harness(f"{SCN}/shared_numpy.yaml", NUMPY="2.2.5")
    assert r.rc == 0, r
    sizes = {e["name"]: e["size"] for e in r.events() if e["kind"] == "shared"}
    assert sizes == {"f8": 512, "us": 256, "sv": 63 * 16 + 8, "back": 63 * 16 + 8, "mt": 384, "dt": 480,
                     "rec": 96, "ob": 128, "pair[0]": 64, "pair[1]": 128}, sizes
    addr = {e["name"]: e["addr"] for e in r.events() if e["kind"] == "shared"}
    assert addr["pair[0]"] == addr["f8"]  # a view of f8 starts where f8 does
    assert r.report["by_design"] is None  # its threads only read


def test_make_run_says_when_the_roles_break_the_librarys_contract(harness, findings_store):
    """A role setting a shared array's shape, assigning its items and writing a ufunc's output into
    another shared array: report.json's by_design names each line and rule (known/contracts.json),
    summary.md and every finding's report.md say the findings are the caller's races."""
    r = harness(f"{SCN}/shape_setter.yaml", NUMPY="2.2.5")
    assert r.rc in (0, 1), r
    words = r.report["by_design"]
    for line in ("line 1: `a.shape = (8, 8)` (array-metadata)", "line 2: `a.shape = (64,)` (array-metadata)",
                 "line 3: `a[0] = 1.0` (array-data)", "line 4: `np.add(a, 1, out=out)` (array-data)"):
        assert line in words, words
    assert "role `reader`" not in words and "thread_safety.html" in words, words
    with open(os.path.join(r.dir, "summary.md")) as f:
        assert "**By design**: the roles do what numpy's thread-safety contract leaves to the caller" in f.read()
    for x in r.findings():
        with open(os.path.join(r.dir, "findings", x["id"], "report.md")) as f:
            assert "**By design, not a library bug**" in f.read()
    # The findings store lists them apart, never counted.
    out = subprocess.run([sys.executable, "-m", "ftsan", "findings", "list", "--json"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["findings"] == [] and {f["id"] for f in doc["by_design"]} == {x["id"] for x in r.findings()}, doc


def test_a_by_design_signature_that_shows_without_the_breaking_calls_is_counted(tmp_path):
    """The hunt's judgement is by case, so a library race seen only in a case that also broke the
    contract (np.random.seed from two threads, beside be.put on a shared array: the first 2.2.1
    hunt's RandomState._reset_gauss) would be set apart. Its case runs again without the breaking
    calls: a signature that still shows is counted; one that does not stays by design."""
    sys.path.insert(0, ROOT)
    from ftsan import hunt as h
    case = {"mode": "mixed", "focus": "be", "imports": "import numpy as np\n",
            "objects": [["be", "np.arange(64, dtype='>f8')"], ["tp", "(2, 3)"], ["mf", "np.ones(2)"]],
            "roles": {"mutator": ["be.put(tp, mf)", "np.random.seed(tp)"], "reader": ["np.logical_xor.outer(tp, tp)"]},
            "breaks": [{"rule": "array-data", "call": "be.put(tp, mf)", "object": "be"}]}
    for shows, counted in ((3, True), (0, False)):
        x = h.Hunt("numpy", 1, 600, str(tmp_path / str(shows)))
        ran = []
        x.hits = lambda e, c, runs, deadline, record="none": ran.append(c) or (shows, runs)
        x.write = lambda: None
        e = {"id": "16c90ba38c2b", "signature": "data-race: RandomState._reset_gauss (mtrand.pyx) <> "
             "RandomState._reset_gauss (mtrand.pyx)", "also": [], "by_design": True, "breaks": ["array-data"],
             "own": False, "example_case": json.loads(json.dumps(case))}
        x.without_breaks(e)
        (c,) = ran
        assert c["roles"]["mutator"] == ["np.random.seed(tp)"] and c["breaks"] == [], c
        assert x.counted(e) is counted and e["without_breaks"]["dropped"] == ["be.put(tp, mf)"], e


def kernel_hunt(tmp_path, process, calls, batch=4):
    """A hunt of the racy_gil kernel (its lookup fills a table on first use) with a learning given,
    not learned: the toolchain and the kernel built as the hunt builds them."""
    sys.path.insert(0, ROOT)
    from ftsan import hunt as h
    x = h.Hunt("racy_gil", 1, 900, str(tmp_path / process), batch, process=process,
               kernel=os.path.join(ROOT, "tests", "e2e", "scenarios", "kernels", "racy_gil.c"))
    x.toolchain()
    x.learned = {"imports": "import racy_gil\n", "version": None, "tried": len(calls), "crashes": [],
                 "objects": {"n2": {"expr": "2", "kind": "scalar", "type": "builtins.int"}},
                 "calls": [{"code": c, "objects": ["n2"], "role": "reader", "target": c.split("(")[0], "mutates": []}
                           for c in calls]}
    return x


def test_a_forked_case_still_makes_the_first_call_in_its_process(tmp_path, monkeypatch, findings_store):
    """Cases run forked from a server that imported the module once; each case's calls are still
    the first in its own process, so the kernel's lazily filled table is raced in every case (in
    16 of 16 fork and fresh runs alike, with the calls inline in the role bodies)."""
    monkeypatch.setenv("NUMPY", "")   # the bare toolchain: the kernel needs no NumPy
    x = kernel_hunt(tmp_path, "fork", ["racy_gil.lookup(n2)"])
    x.run_batch(0)
    (b,) = x.batches
    assert "error" not in b and b["mode"] == "readers" and b["runs_done"] == 4, b
    with open(os.path.join(x.out, b["report"], "report.json")) as f:
        report = json.load(f)
    assert report["process"]["forked"] == 4 and report["process"]["spawned"] == 0, report["process"]
    (e,) = [e for e in x.sigs.values() if "lookup" in e["signature"]]
    assert sorted(set(e["cases"])) == [0, 1, 2, 3] and x.counted(e), e
    # The batch is in the findings store, its cases by run; counted, as in the hunt.
    from ftsan import harness, store
    with store.Store() as s:
        (f,) = [f for f in s.findings() if "lookup" in f["signature"]]
        assert [(h["origin"], h["hit_runs"], h["by_design"]) for h in f["history"]] == [("hunt", [1, 2, 3, 4], False)], f
    # A batch whose every case breaks the library's contract: the same finding, by design.
    r = harness.Run(exit=1, seconds=0, stderr="", dir=os.path.join(x.out, b["report"]), report=report)
    cases = {str(k): {"breaks": [{"rule": "array-data"}]} for k in range(4)}
    monkeypatch.setenv("FTSAN_DB", str(tmp_path / "design.db"))
    x.record(r, 0, cases)
    with store.Store() as s:
        (f,) = [f for f in s.findings() if "lookup" in f["signature"]]
        assert f["by_design"] and f["history"][0]["by_design"], f


def test_a_keyword_argument_is_learned_and_replayed(tmp_path):
    """The learner reads np.repeat's signature and keeps a call with axis= (numpy#28197 needs
    np.repeat(x, 2, axis=0)); a case that draws it builds its objects in a run's process and the
    call runs there as learned."""
    python = toolchain(numpy="2.2.5")
    got = learn(python, "numpy", 1, str(tmp_path / "l.json"), "--only", "np.repeat,np.sort")
    kw = [c for c in got["calls"] if "axis=" in c["code"]]
    assert {c["target"] for c in kw} == {"np.repeat", "np.sort"} and got["complete"], got["calls"]
    # np.sort returns a copy: a reader, never a writer of its argument (the contract's judgement)
    assert all(c["role"] == "reader" for c in got["calls"] if c["target"] == "np.sort"), got["calls"]
    sys.path.insert(0, ROOT)
    from ftsan import hunt as h
    x = h.Hunt("numpy", 1, 600, str(tmp_path / "hunt"), 4)
    x.learned = got
    call = next(c["code"] for c in kw if c["target"] == "np.repeat")
    k = next(k for k in range(400) if call in x.case(k, "readers")["roles"]["reader"])
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": {str(k): x.case(k, "readers")}}))
    env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=os.path.join(ROOT, "harness", "python"),
               TSAN_OPTIONS="report_bugs=0")
    p = subprocess.run([python, "-c", f"import ftsan_hunt; ns = ftsan_hunt.case_objects({str(path)!r}, {k}); "
                        f"print(eval({call!r}, ns).shape)"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip().startswith("("), (call, p.stderr[-2000:])


def test_a_learning_goes_on_where_it_stopped(tmp_path):
    """Each unit learned is kept as it ends (--units): a learning of more callables takes the
    units an earlier one finished from their records, tries only the new ones, and learns what
    a learning from scratch learns."""
    python = toolchain()
    units = str(tmp_path / "units.jsonl")
    first = learn(python, "json", 3, str(tmp_path / "a.json"), "--only", "json.dumps,json.loads", "--units", units)
    assert first["units"] == {"done": 2, "planned": 2}, first["units"]
    both = learn(python, "json", 3, str(tmp_path / "b.json"), "--only", "json.dumps,json.loads,json.JSONEncoder",
                 "--units", units)
    fresh = learn(python, "json", 3, str(tmp_path / "c.json"), "--only", "json.dumps,json.loads,json.JSONEncoder")
    assert both["calls"] == fresh["calls"] and both["objects"] == fresh["objects"], both["calls"]
    with open(str(tmp_path / "b.json") + ".journal") as f:
        tried = [line.split("\t", 1)[1] for line in f if line.startswith("try\t")]
    # json.dumps and json.loads again only given the module's own objects (a JSONEncoder, new in
    # this learning): the second round's units, which the first learning had nothing to try with
    again = [t for t in tried if t.startswith(("json.dumps(", "json.loads("))]
    assert tried and all(re.search(r"\bo\d+s?\b", t) for t in again), again[:20]
    assert both["units"]["done"] == fresh["units"]["done"] and len(open(units).readlines()) == both["units"]["done"]


def test_a_case_that_reaches_new_edges_is_kept_and_replayed_by_the_next_hunt(tmp_path, monkeypatch):
    """With COVERAGE=1 the kernel is built with -fsanitize-coverage and every case's run writes the
    edges it reached. The first case of lookup(n2) reaches new edges and joins the corpus; the
    same calls again reach nothing new. The next hunt of the same toolchain replays the corpus
    first; its own lookup(ls) takes lookup's error path, new edges, and joins its corpus too."""
    monkeypatch.setenv("COVERAGE", "1")
    monkeypatch.setenv("NUMPY", "")
    corpus = str(tmp_path / "corpus")
    first = kernel_hunt(tmp_path / "a", "fork", ["racy_gil.lookup(n2)"])
    first.corpus_cache = corpus
    assert first.tc["coverage"] == "-fsanitize-coverage=trace-pc-guard" and first.guided, first.tc["coverage"]
    first.run_batch(0)
    assert list(first.corpus) == ["0"] and first.corpus["0"]["how"] == "draw", first.corpus
    edges = len(first.coverage)
    assert edges > 0 and [e for _, _, e in first.curve] == [edges] * 4, first.curve
    assert os.path.exists(os.path.join(first.out, "corpus", "0.json")) and len(os.listdir(corpus)) == 1

    second = kernel_hunt(tmp_path / "b", "fork", ["racy_gil.lookup(ls)"])
    second.corpus_cache = corpus
    second.learned["objects"]["ls"] = {"expr": "[1.0, 2.0]", "kind": "other", "type": "builtins.list"}
    for c in second.learned["calls"]:
        c["objects"] = ["ls"]
    assert second.replay_corpus() == 1 and second.made["replay"] == 1
    (replay,) = second.batches
    assert replay["replay"] and "error" not in replay, replay
    with open(os.path.join(second.out, "batches", "batch-0000.json")) as f:
        (case,) = json.load(f)["cases"].values()
    assert case["roles"] == {"reader": ["racy_gil.lookup(n2)"]}, case
    assert len(second.coverage) == edges and second.corpus["0"]["how"] == "replay", second.corpus
    second.run_batch(1)
    assert second.corpus["4"]["how"] == "draw" and len(second.coverage) > edges, second.corpus
    assert "lookup(ls)" in json.dumps(second.corpus["4"]["case"]["roles"]) and len(os.listdir(corpus)) == 2


def test_two_learnings_of_one_units_file_learn_once(tmp_path):
    """Two hunts of the same learning at once (the same interpreter, module and seed share one
    units file): one learner learns, the other waits for it and takes every unit it finished."""
    python = toolchain()
    env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=os.path.join(ROOT, "harness", "python"),
               TSAN_OPTIONS="report_bugs=0")
    units = str(tmp_path / "units.jsonl")
    procs = [subprocess.Popen([python, "-m", "ftsan_hunt", "learn", "json", "--seed", "3", "--out",
                               str(tmp_path / f"{i}.json"), "--journal", str(tmp_path / f"{i}.journal"),
                               "--units", units], env=env) for i in range(2)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    tries = []
    for i in range(2):
        with open(tmp_path / f"{i}.journal") as f:
            tries.append(sum(1 for line in f if line.startswith("try\t")))
    got = [json.loads((tmp_path / f"{i}.json").read_text()) for i in range(2)]
    assert sorted(t > 0 for t in tries) == [False, True] and got[0]["calls"] == got[1]["calls"], tries
