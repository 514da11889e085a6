"""`make matrix [SHARD=i/n] [MATRIX=ci/matrix.yaml]` and `make matrix-merge`: the nightly grid.

Each cell of the matrix is one `python3 -m ftsan run` (the toolchain built or reused). A run
writes reports/matrix/<stamp>/cells/<cell>/ and cells.json; `merge` joins the cells.json of
several shards (reports/matrix/*/cells.json, or the directories given) into one grid. Either way
the grid is written as index.md and index.html next to cells.json, with a comparison against the
previous grid (reports/matrix/latest): new, fixed, still present.

Every entry also runs on NumPy `latest` (the newest release on the index, resolved once per
matrix run; `latest: false` in an entry opts out). Each cell is judged against its scenario's
`expect:` (ftsan.judge): expected finding, expected clean, unexpected finding (a
regression, or a finding nobody knows), unexpected clean (a fix, or a detection lost), no
expectation. Exit 0 when every cell ran and none is news, 1 when a cell is news, 3 when a cell
could not be run."""
import argparse
import html
import json
import os
import time

import yaml  # PyYAML, from the machine image; the matrix is plain data

from . import Error, harness, store
from .page import write as write_findings_page
from .judge import NEWS, judge

OUT = os.path.join(harness.REPORTS, "matrix")


def cells(matrix, latest=None):
    """The cells of a matrix, sorted by name; `latest` in a NumPy list (added to every entry
    unless it says latest: false) stands for the newest release, given as latest."""
    out = []
    for e in matrix["cells"]:
        versions = list(e["numpy"]) + (["latest"] if e.get("latest", True) and "latest" not in e["numpy"] else [])
        for py in e.get("python", matrix.get("python", ["3.13.15"])):
            if py.partition("-")[2] not in ("", "pydebug"):
                raise Error(f"matrix: python '{py}': a CPython version, optionally with -pydebug (3.13.15-pydebug)", 2)
            for np_ in versions:
                for pins in e.get("packages", [""]):
                    name = f"{os.path.basename(e['scenario']).removesuffix('.yaml')}--{e['san']}--py{py}--numpy{np_}" + (f"--{pins.replace('==', '')}" if pins else "")
                    out.append({"name": name, "scenario": e["scenario"], "san": e["san"], "python": py,
                                "numpy": np_, "packages": pins,
                                "numpy_version": latest if np_ == "latest" else np_})
    return sorted(out, key=lambda c: c["name"])


def shard(cs, spec):
    if not spec:
        return cs
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise Error(f"SHARD must be i/n with 1 <= i <= n, got {spec}", 2)
    return [c for k, c in enumerate(cs) if k % n == i - 1]


def judge_cell(res):
    """The cell's expectation, from the scenario tool, and its judgement."""
    outcome = harness.expectation(harness.scenario_path(res["scenario"]), res["san"], res["numpy_version"], res["packages"])
    j, _, news = judge(outcome, res["findings"])
    res["expected"], res["judgement"] = outcome, j
    res["news"] = [f["id"] for f in news]
    return res


def cell_vars(c):
    """The make variables of the cell's run. A python axis value is a CPython version, with
    "-pydebug" for its --with-pydebug build."""
    py, _, flavour = c["python"].partition("-")
    return dict(SAN=c["san"], PY=py, PYDEBUG="1" if flavour == "pydebug" else "0", NUMPY=c["numpy_version"],
                PACKAGES=c["packages"], RUNS=os.environ.get("MATRIX_RUNS", ""))


def run_cell(c, dest):
    r = harness.run(c["scenario"], dest, RECORD="matrix", **cell_vars(c))
    res = dict(c, seconds=round(r.seconds, 1), exit=r.exit, findings=[])
    if not r.ok:
        res.update(state="error", judgement="error", error=r.stderr[-2000:])
        return res
    report = r.report
    res["report"] = os.path.relpath(r.dir, OUT)
    res["runs"] = report["runs"]["done"]
    res["numpy_version"] = report["versions"]["numpy"]
    res["findings"] = [{"id": x["id"], "kind": x["kind"], "signature": x["signature"], "known": x["known"],
                        "scenario_bug": x["scenario_bug"], "runs_hit": x["runs_hit"],
                        "tests": x.get("tests", [])} for x in report["findings"]]
    res["state"] = "finding" if report["findings"] else "clean"
    return judge_cell(res)


def columns(results):
    return sorted({(r["python"], r["numpy"], r["packages"]) for r in results})


def rows(results):
    return sorted({(r["scenario"], r["san"]) for r in results})


def label(col, results=()):
    py, np_, pins = col
    if np_ == "latest":  # the release it stood for, as the cells' reports say
        got = sorted({r["numpy_version"] for r in results if r["numpy"] == "latest" and r["state"] != "error"})
        np_ = f"latest ({', '.join(got)})" if got else "latest"
    return f"py {py} / numpy {np_}" + (f" / {pins}" if pins else "")


def compare(results, previous):
    """Findings by (cell, id): new, fixed, still present."""
    now = {(r["name"], f["id"]): f for r in results for f in r["findings"]}
    ran = {r["name"] for r in results}
    before = {(r["name"], f["id"]): f for r in previous for f in r["findings"] if r["name"] in ran}
    return ({k: now[k] for k in now if k not in before}, {k: before[k] for k in before if k not in now},
            {k: now[k] for k in now if k in before})


def cell_text(r):
    if r is None:
        return "-"
    if r["state"] == "error":
        return f"error ({harness.ended(r['exit'])})"
    text = r["judgement"]
    if r["findings"]:
        text += ": " + ", ".join(f["id"] + (f" ({f['known']})" if f["known"] else " (new)" if f["id"] in r["news"] else "")
                                 for f in r["findings"])
    return text


def css(r):
    return r["judgement"].replace(" ", "-")


def news(results):
    return [r for r in results if r.get("judgement") in NEWS]


def findings_page():
    """The findings page (ftsan/page.py) from the store the cells recorded into, beside the
    grids; None when there is no store."""
    try:
        with store.Store(create=False) as s:
            out = os.path.join(harness.REPORTS, "findings", "index.html")
            write_findings_page(s, out)
            return out
    except Error as e:
        print(f"matrix: no findings page: {e}", flush=True)
        return None


def write(dirpath, results, previous, findings=None):
    by = {(r["scenario"], r["san"], r["python"], r["numpy"], r["packages"]): r for r in results}
    cols, rws = columns(results), rows(results)
    new, fixed, still = compare(results, previous)
    counts = ", ".join(f"{sum(r['judgement'] == j for r in results)} {j}" for j in
                       ("expected finding", "expected clean", "unexpected finding", "unexpected clean",
                        "no expectation", "error"))
    md = ["# Matrix", "", f"{len(results)} cells: {counts}.", "",
          f"News: {len(news(results))} cells" + (": " + ", ".join(f"{r['name']} ({r['judgement']})" for r in news(results))
                                                   if news(results) else "."), "",
          "| scenario | " + " | ".join(label(c, results) for c in cols) + " |", "|---|" + "---|" * len(cols)]
    for s, san in rws:
        md.append(f"| {s} ({san}) | " + " | ".join(cell_text(by.get((s, san) + c)) for c in cols) + " |")
    md += ["", f"Compared with the previous matrix: {len(new)} new, {len(fixed)} fixed, {len(still)} still present.", ""]
    for title, d in (("New", new), ("Fixed", fixed), ("Still present", still)):
        for (cell, fid), f in sorted(d.items()):
            tests = f.get("tests") or []
            md.append(f"- {title}: `{fid}` in {cell}: {f['signature']}" + (f" (tests: {', '.join(tests)})" if tests else ""))
    harness.atomic_write(os.path.join(dirpath, "index.md"), "\n".join(md) + "\n")
    page = ["<!doctype html><html><head><meta charset='utf-8'><title>ftsan matrix</title><style>",
            "body{font-family:sans-serif;margin:2em} table{border-collapse:collapse} td,th{border:1px solid #999;"
            "padding:.3em .6em} td.expected-clean{background:#dfd} td.expected-finding{background:#fec}"
            " td.unexpected-finding,td.unexpected-clean{background:#f88;font-weight:bold} td.no-expectation{background:#eee}"
            " td.error{background:#bbb}</style>",
            "</head><body><h1>Matrix</h1>", f"<p>{len(results)} cells: {html.escape(counts)}. "
            f"<strong>News: {len(news(results))} cells.</strong> Compared with the previous matrix: {len(new)} new, "
            f"{len(fixed)} fixed, {len(still)} still present.</p>"]
    if findings:
        page.append(f"<p><a href='{html.escape(os.path.relpath(findings, dirpath))}'>Findings over time</a>: every "
                    "finding of the store, with its history across nights and versions.</p>")
    page.append("<table id='grid'><tr><th>scenario</th>")
    page += [f"<th>{html.escape(label(c, results))}</th>" for c in cols] + ["</tr>"]
    for s, san in rws:
        page.append(f"<tr><th>{html.escape(s)} ({san})</th>")
        for c in cols:
            r = by.get((s, san) + c)
            if r is None:
                page.append("<td>-</td>")
                continue
            text = html.escape(cell_text(r))
            # The page sits in reports/matrix/<grid>/; cell reports are relative to reports/matrix/.
            link = f"<a href='../{html.escape(r['report'])}/summary.md'>{text}</a>" if r.get("report") else text
            # pytest mode: the tests each finding was seen in.
            tests = sorted({t for f in r["findings"] for t in f.get("tests") or []})
            if tests:
                link += "<br><small>" + "<br>".join(html.escape(t) for t in tests) + "</small>"
            page.append(f"<td class='{css(r)}'>{link}</td>")
        page.append("</tr>")
    page.append("</table></body></html>")
    harness.atomic_write(os.path.join(dirpath, "index.html"), "\n".join(page) + "\n")
    harness.atomic_write(os.path.join(dirpath, "cells.json"), json.dumps(results, indent=2) + "\n")


def previous_results(exclude):
    """The last whole grid (a full run or a merge): what tonight's cells are compared with."""
    latest = os.path.join(OUT, "latest-full")
    p = os.path.join(latest, "cells.json")
    if os.path.exists(p) and os.path.realpath(latest) != os.path.realpath(exclude):
        with open(p) as f:
            return json.load(f)
    return []


def publish(dirpath, whole):
    names = ["latest", "latest-full"] if whole else ["latest"]
    for name in names:
        link = os.path.join(OUT, f".{name}.tmp")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.basename(dirpath), link)
        os.replace(link, os.path.join(OUT, name))


def newest_shards():
    """The newest directory of every shard spec (…-shard-1of4, …-shard-2of4, …); files beside
    them (the nightly's findings-shard-N.db) are not shards."""
    best = {}
    for d in sorted(os.listdir(OUT)):
        if "-shard-" in d and os.path.isdir(os.path.join(OUT, d)):
            best[d.split("-shard-", 1)[1]] = os.path.join(OUT, d)
    return list(best.values())


def main(argv):
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    merge = bool(argv) and argv[0] == "merge"
    # The grid and the shard come from make's variables (MATRIX, SHARD); `merge` takes shard
    # directories. Anything else is refused before a cell runs.
    ap = argparse.ArgumentParser(prog="python3 -m ftsan matrix" + (" merge" if merge else ""),
                                 description=__doc__.splitlines()[0])
    if merge:
        ap.add_argument("dirs", nargs="*", help="shard directories (default: the newest shards of one grid)")
    a = ap.parse_args(argv[1:] if merge else argv)
    if merge:
        srcs = a.dirs or newest_shards()
        results = []
        for d in srcs:
            try:
                with open(os.path.join(d, "cells.json")) as f:
                    results += json.load(f)
            except (OSError, ValueError) as e:
                raise Error(f"matrix merge: {d} is not a shard of the matrix (its cells.json: {e})", 2) from None
        dirpath = os.path.join(OUT, stamp + "-merged")
    else:
        with open(os.path.join(harness.ROOT, os.environ.get("MATRIX") or "ci/matrix.yaml")) as f:
            matrix = yaml.safe_load(f)
        latest = os.environ.get("MATRIX_LATEST") or harness.newest_numpy()
        todo = cells(matrix, latest)
        if os.environ.get("MATRIX_NUMPY"):   # e.g. "latest": only those columns
            keep = os.environ["MATRIX_NUMPY"].split(",")
            todo = [c for c in todo if c["numpy"] in keep or c["numpy_version"] in keep]
        todo = shard(todo, os.environ.get("SHARD"))
        spec = os.environ.get("SHARD")
        dirpath = os.path.join(OUT, stamp + (f"-shard-{spec.replace('/', 'of')}" if spec else ""))
        os.makedirs(dirpath, exist_ok=True)
        results = []
        for k, c in enumerate(todo, 1):
            r = run_cell(c, os.path.join(dirpath, "cells", c["name"]))
            results.append(r)
            print(f"[matrix] {k}/{len(todo)} {c['name']}: {cell_text(r)} ({r['seconds']} s)", flush=True)
    os.makedirs(dirpath, exist_ok=True)
    write(dirpath, results, previous_results(dirpath), findings_page())
    publish(dirpath, whole="-shard-" not in os.path.basename(dirpath))
    print(open(os.path.join(dirpath, "index.md")).read())
    return 3 if any(r["state"] == "error" for r in results) else 1 if news(results) else 0
