"""Keep a hunt's results beside bench/HUNT.md: its hunt.json, summary.md and reproducers copied
into bench/hunt/NAME/ (the machine's directories replaced by $HUNT and $CHECKOUT), and one row a
signature appended to bench/hunt.tsv.

Usage: python3 bench/hunt.py HUNT_DIR NAME 'COMMAND THAT RAN IT'
       python3 bench/hunt.py precision NAME...
       python3 bench/hunt.py replay NAME [RUNS]
       python3 bench/hunt.py coverage OUT.svg NAME...

`precision` reads bench/hunt/NAME/hunt.json and the hand triage beside it (triage.json: each
counted signature's verdict) and appends one row a hunt to bench/hunt_precision.tsv: the counted
signatures (a hunt of schema 1 counted everything not on its cases' own data; schema 2 sets the
by-design ones apart), those the triage calls the library's bugs, the precision (bugs over
counted), and the library bugs of the earlier TSan hunts of its release (bench/hunt_required.json) this one
counts, shows only by design, or lost.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
COLUMNS = ["name", "module", "numpy", "seed", "budget_s", "seconds", "cases_run", "calls_learned", "id", "kind",
           "known", "known_now", "own", "cases", "rate", "signature", "command"]


def clean(text, hunt):
    return text.replace(hunt, "$HUNT").replace(ROOT, "$CHECKOUT").replace(os.path.expanduser("~"), "$HOME")


def known_now(e):
    """The catalog as it is now, by the harness's rule (scntool known): entries added after the
    hunt ran (from the triage) name what it found."""
    if e["own"]:
        return ""
    tool = subprocess.run(["bash", "toolchain/scntool.sh"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    out = subprocess.run([tool, "known", "--catalog", "known/catalog.json", e["kind"], e["signature"], *e["also"]],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["known"] or ""


def main(hunt, name, command):
    hunt = os.path.abspath(hunt)
    with open(os.path.join(hunt, "hunt.json")) as f:
        corpus = (json.load(f).get("coverage") or {}).get("corpus_dir")
    dest = os.path.join(BENCH, "hunt", name)
    os.makedirs(os.path.join(dest, "new"), exist_ok=True)
    for f in ("hunt.json", "summary.md", "coverage.svg", "coverage-time.svg"):
        if not os.path.exists(os.path.join(hunt, f)):
            continue
        with open(os.path.join(hunt, f)) as src, open(os.path.join(dest, f), "w") as out:
            text = src.read()
            out.write(clean(text.replace(corpus, "$CORPUS") if corpus else text, hunt))
    for f in sorted(os.listdir(os.path.join(hunt, "new"))) if os.path.isdir(os.path.join(hunt, "new")) else []:
        shutil.copyfile(os.path.join(hunt, "new", f), os.path.join(dest, "new", f))
    with open(os.path.join(hunt, "hunt.json")) as f:
        doc = json.load(f)
    path = os.path.join(BENCH, "hunt.tsv")
    new_file = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        if new_file:
            w.writerow(COLUMNS)
        for e in doc["signatures"]:
            w.writerow([name, doc["module"], doc["versions"]["numpy"], doc["seed"], doc["budget"], doc["seconds"],
                        doc["cases_run"], doc["learned"]["calls"], e["id"], e["kind"], e["known"] or "", known_now(e),
                        int(e["own"]), len(set(e["cases"])), e.get("rate") or "", e["signature"], command])
    print(f"{len(doc['signatures'])} rows into {path}; files into {dest}")


def precision(names):
    tool = subprocess.run(["bash", "toolchain/scntool.sh"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    with open(os.path.join(BENCH, "hunt_required.json")) as f:
        required = json.load(f)["bugs"]
    path = os.path.join(BENCH, "hunt_precision.tsv")
    cols = ["name", "numpy", "sanitizer", "schema", "cases_run", "counted", "library_bugs", "cpython", "by_design_counted",
            "noise", "precision", "set_apart_by_design", "required", "required_counted", "required_by_design_only",
            "required_lost", "lost"]
    new_file = not os.path.exists(path)
    with open(path, "a", newline="") as out:
        w = csv.writer(out, delimiter="\t", lineterminator="\n")
        if new_file:
            w.writerow(cols)
        for name in names:
            d = os.path.join(BENCH, "hunt", name)
            with open(os.path.join(d, "hunt.json")) as f:
                doc = json.load(f)
            with open(os.path.join(d, "triage.json")) as f:
                verdicts = json.load(f)["signatures"]
            lib = [e for e in doc["signatures"] if not e["own"]]
            counted = [e for e in lib if not e.get("by_design") and not e.get("sanitizer_hang")]
            v = [verdicts[e["id"]]["verdict"] for e in counted]
            bugs = v.count("bug")
            # the required bugs: by what the signatures contain, as today's harness writes them
            names_of = {e["id"]: json.loads(subprocess.run([tool, "today", e["signature"], *e["also"]], capture_output=True,
                                                           text=True, check=True).stdout) for e in lib}
            # NumPy's required bugs are asked of NumPy's hunts only, not of another module's on that NumPy
            req = [b for b in required if doc["versions"]["numpy"] in b["numpy"] and doc["versions"]["sanitizer"] == "tsan"
                   and doc.get("module", "numpy") == "numpy"]
            got, design_only, lost = [], [], []
            for b in req:
                hit = lambda es: any(m in s for e in es for s in names_of[e["id"]] for m in b["match"])
                (got if hit(counted) else design_only if hit(lib) else lost).append(b["bug"])
            w.writerow([name, doc["versions"]["numpy"], doc["versions"]["sanitizer"], doc["schema"], doc["cases_run"], len(counted), bugs,
                        v.count("cpython"), v.count("by-design"), v.count("noise"),
                        f"{bugs / len(counted):.3f}" if counted else "", len(lib) - len(counted), len(req), len(got),
                        len(design_only), len(lost), "; ".join(lost + [f"{x} (by design only)" for x in design_only])])
            print(f"{name}: {bugs} of {len(counted)} counted signatures are library bugs; "
                  f"required {len(got)}/{len(req)} counted, lost: {lost or 'none'}, by design only: {design_only or 'none'}")


def replay(name, runs=40):
    """Each known issue a hunt counted, its case as found (not shrunk), RUNS runs forked from a
    server that imported NumPy and RUNS fresh processes, on the hunt's NumPy (the same
    scenario but for `process:`): one row each way to bench/hunt_fork.tsv, the runs that showed
    the signature and those that showed the issue by any of its catalogued pairs, and the seconds."""
    sys.path.insert(0, ROOT)
    from ftsan import harness
    from ftsan import hunt as h
    with open(os.path.join(BENCH, "hunt", name, "hunt.json")) as f:
        doc = json.load(f)
    os.environ["NUMPY"] = doc["versions"]["numpy"]
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ftsan-replay-{name}")
    x = h.Hunt(doc["module"], doc["seed"], 1e9, out, 1)
    x.toolchain()
    path = os.path.join(BENCH, "hunt_fork.tsv")
    new_file = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        if new_file:
            w.writerow(["hunt", "numpy", "id", "known", "process", "runs", "done", "signature_hit", "issue_hit",
                        "seconds", "load1", "signature"])
        for e in doc["signatures"]:
            if e["own"] or not e["known"] or e.get("by_design") or e.get("sanitizer_hang"):
                continue
            case = e["example_case"]
            cases = os.path.join(out, f"{e['id']}.json")
            os.makedirs(out, exist_ok=True)
            with open(cases, "w") as c:
                json.dump({"cases": {"0": case}}, c)
            sigs = {e["signature"], *e["also"]}
            for process in ("fork", "fresh"):
                roles = "".join(f"  - name: {role}\n    threads: {n}\n    body: |\n{h.block(x.calls_text(case['roles'][role]), 6)}"
                                for role, n in h.MODES[case["mode"]] if case["roles"].get(role))
                scn = os.path.join(out, f"{e['id']}-{process}.yaml")
                with open(scn, "w") as c:
                    c.write(f"name: replay-{e['id']}-{process}\nthreads: {sum(n for r, n in h.MODES[case['mode']] if case['roles'].get(r))}\n"
                            f"iterations: {x.iterations}\nruns: {runs}\nbarrier: each\nprocess: {process}\ntimeout: 120\n"
                            "setup: |\n" + h.block(f"import sys\nsys.path.insert(0, {ROOT + '/harness/python'!r})\n"
                                                   "import ftsan_hunt\n" + case["imports"], 2)
                            + "prepare: |\n" + h.block(f"globals().update(ftsan_hunt.case_objects({cases!r}, 0))", 2)
                            + f"roles:\n{roles}")
                load = os.getloadavg()[0]
                r = harness.run(scn, os.path.join(out, "runs"), RUNS=runs, GROUP="none",
                                CATALOG=os.path.join(ROOT, "known", "catalog.json"))
                if not r.ok:
                    raise SystemExit(f"{e['id']} {process}: the run failed to run:\n{r.stderr[-2000:]}")
                found = r.report["findings"] + r.report.get("scenario_data_races", [])
                sig = {n for f in found if sigs & {f["signature"], *f["also_seen_as"]} for n in f["runs"]}
                issue = {n for f in found if f.get("known") == e["known"] for n in f["runs"]}
                row = [name, doc["versions"]["numpy"], e["id"], e["known"], process, runs, r.report["runs"]["done"],
                       len(sig), len(issue), round(r.seconds, 1), round(load, 2), e["signature"]]
                w.writerow(row)
                f.flush()
                print("\t".join(map(str, row[:11])), flush=True)


def coverage(out, names):
    """The edges-over-cases curves of hunts (bench/hunt/NAME/hunt.json, COVERAGE=1) in one SVG
    (OUT) and over time in another (OUT with -time before .svg), and one line each: edges, cases,
    corpus and where its new edges came from."""
    sys.path.insert(0, ROOT)
    from ftsan import hunt as h
    series, timed = {}, {}
    for name in names:
        with open(os.path.join(BENCH, "hunt", name, "hunt.json")) as f:
            doc = json.load(f)
        cov = doc["coverage"]
        label = f"{name} ({'guided' if cov['guided'] else 'random'})"
        series[label] = [(c, e) for c, _, e in cov["curve"]]
        timed[label] = [(t, e) for _, t, e in cov["curve"]]
        print(f"{name}: {cov['edges']} edges after {doc['cases_run']} cases; corpus {cov['corpus']} "
              f"(new edges from {cov['new_by']}; cases by {cov['cases_by']})")
    with open(out, "w") as f:
        f.write(h.svg_plot(series, "cases run", "edges covered"))
    with open(out[: -len(".svg")] + "-time.svg", "w") as f:
        f.write(h.svg_plot(timed, "seconds", "edges covered"))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "precision":
        precision(sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "coverage":
        coverage(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "replay":
        replay(sys.argv[2], *map(int, sys.argv[3:]))
    elif len(sys.argv) == 4:
        main(*sys.argv[1:])
    else:
        sys.exit(__doc__)
