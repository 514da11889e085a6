"""Keep a hunt's results beside bench/HUNT.md: its hunt.json, summary.md and reproducers copied
into bench/hunt/NAME/ (the machine's directories replaced by $HUNT and $CHECKOUT), and one row a
signature appended to bench/hunt.tsv.

Usage: python3 bench/hunt.py HUNT_DIR NAME 'COMMAND THAT RAN IT'
       python3 bench/hunt.py precision NAME...

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
    dest = os.path.join(BENCH, "hunt", name)
    os.makedirs(os.path.join(dest, "new"), exist_ok=True)
    for f in ("hunt.json", "summary.md"):
        with open(os.path.join(hunt, f)) as src, open(os.path.join(dest, f), "w") as out:
            out.write(clean(src.read(), hunt))
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
            req = [b for b in required if doc["versions"]["numpy"] in b["numpy"] and doc["versions"]["sanitizer"] == "tsan"]
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


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "precision":
        precision(sys.argv[2:])
    elif len(sys.argv) == 4:
        main(*sys.argv[1:])
    else:
        sys.exit(__doc__)
