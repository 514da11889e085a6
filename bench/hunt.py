"""Keep a hunt's results beside bench/HUNT.md: its hunt.json, summary.md and reproducers copied
into bench/hunt/NAME/ (the machine's directories replaced by $HUNT and $CHECKOUT), and one row a
signature appended to bench/hunt.tsv.

Usage: python3 bench/hunt.py HUNT_DIR NAME 'COMMAND THAT RAN IT'
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


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
