"""`make findings` (`python3 -m ftsan findings VERB`): the findings store (ftsan/store.py) read and
kept: what every run, verify, matrix cell, bisection and hunt batch found, over time.

  list   [--since DATE] [--package P] [--kind K] [--known|--unknown] [--open|--fixed] [--json]
         one line a finding, new ones first; findings by design (the caller's, by a library's
         contract) apart at the end, never counted
  show   ID [--json]: one finding (any id a report gave it): history, versions seen and clean,
         report, reproducer, known issue, notes (merges, bisections)
  merge  STORE...: other stores (the nightly's shards) into this one
  import REPORT_DIR... [--origin O]: reports made before they were recorded (a run whose store
         could not be written says so, and keeps its report)
  page   [--out FILE]: the static page (default reports/findings/index.html)

The store is FTSAN_DB, else findings.db in the cache. Exit 0; 2 for bad input (an id the store
does not know, a file that is not a store); 3 when the store cannot be read or written."""
import argparse
import json
import os
import re
import sys

from . import harness
from .store import ORIGINS, Store


def select(fs, a):
    """The findings the filters keep (see list)."""
    out = []
    for f in fs:
        if a.since and f["first_seen"] < a.since:
            continue
        if a.package and f["component"] != a.package and not any(a.package in h["versions"].split() for h in f["history"] if h["hit"]):
            continue
        if a.kind and f["kind"] != a.kind:
            continue
        if a.known is not None and bool(f["known"]) != a.known:
            continue
        if a.status and f["status"] != a.status:
            continue
        out.append(f)
    return out


def one_line(f):
    known = f["known"] or "unknown"
    back = f" came back {f['came_back'][:10]}" if f["came_back"] else ""
    return (f"{f['id']}  {f['status']:5}{back}  {f['first_seen'][:10]}..{f['last_seen'][:10]}  {f['kind']:13} "
            f"{(f['component'] or '-'):8} {known:16} {f['runs_hit']}/{f['runs']} runs  {f['signature']}")


def cmd_list(store, a):
    fs = select(store.findings(), a)
    counted = [f for f in fs if not f["by_design"]]
    apart = [f for f in fs if f["by_design"]]
    if a.json:
        print(json.dumps({"store": store.path, "findings": counted, "by_design": apart}, indent=1, sort_keys=True))
        return 0
    print(f"# {len(counted)} findings in {store.path}" + (f", and {len(apart)} by design below" if apart else ""))
    for f in counted:
        print(one_line(f))
    if apart:
        print("\n# by design: a library's contract leaves these to the caller; not counted")
        for f in apart:
            print(one_line(f))
    return 0


def cmd_show(store, a):
    f = store.finding(a.id)
    if a.json:
        print(json.dumps(f, indent=1, sort_keys=True))
        return 0
    print(f"{f['id']}: {f['signature']}" + (f"\n  {f['message']}" if f["message"] else ""))
    if f["aliases"]:
        print(f"  also known as: {', '.join(f['aliases'])}")
    print(f"  kind {f['kind']}, component {f['component'] or '-'}, {f['status']}"
          + (f", came back {f['came_back']}" if f["came_back"] else "") + (", by design (not counted)" if f["by_design"] else ""))
    print(f"  known issue: {f['known'] or 'none'}" + (f" {f['known_url']}" if f["known_url"] else ""))
    print(f"  first seen {f['first_seen']}, last seen {f['last_seen']}; in {f['runs_hit']} of {f['runs']} runs")
    print(f"  seen on: {'; '.join(f['seen']) or '-'}")
    print(f"  clean on: {'; '.join(f['clean']) or '-'}" + (f" (fixed in numpy {f['fixed_in']})" if f["fixed_in"] else ""))
    if f["tests"]:
        print(f"  tests: {', '.join(f['tests'])}")
    if f["report"]:
        d = os.path.join(f["report"], "findings", f["report_group"])
        print(f"  report: {os.path.join(d, 'report.md')}")
        for name in ("repro.py", "repro.yaml"):
            if os.path.exists(os.path.join(d, name)):
                print(f"  reproducer: {os.path.join(d, name)}")
    for n in f["notes"]:
        print(f"  {n['kind']} ({n['at']}): {n['text']}")
    print("  history:")
    for h in f["history"]:
        # a hunt's batch runs a case a run: the runs (cases) it showed in
        cases = f" (runs {', '.join(map(str, h['hit_runs']))})" if h["origin"] == "hunt" and h["hit_runs"] else ""
        print(f"    {h['at']}  {'HIT  ' if h['hit'] else 'clean'} {h['runs_hit']}/{h['runs_done']}  "
              f"{h['origin']:7} {h['scenario']}{cases}  {h['versions']}")
    return 0


def cmd_merge(store, a):
    for path in a.stores:
        if os.path.realpath(path) == os.path.realpath(store.path):
            continue
        n = store.merge_from(os.path.abspath(path))
        print(f"findings: {n} runs from {path}")
    return 0


def cmd_import(store, a):
    for d in a.reports:
        ids = store.record(d, a.origin)
        print(f"findings: {d}: " + ("already recorded" if ids is None else f"{len(ids)} findings"))
    return 0


def cmd_page(store, a):
    from . import page
    out = a.out or os.path.join(harness.REPORTS, "findings", "index.html")
    page.write(store, out)
    print(out)
    return 0


def date(v):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?", v):
        raise argparse.ArgumentTypeError(f"--since takes a date, 2026-12-01 (UTC), got '{v}'")
    return v


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m ftsan findings", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog="\n".join(__doc__.splitlines()[2:]))
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", help="the store (default: FTSAN_DB, else findings.db in the cache)")
    sub = ap.add_subparsers(dest="verb")
    ls = sub.add_parser("list", parents=[db])
    ls.add_argument("--since", type=date, help="first seen on or after (UTC date)")
    ls.add_argument("--package", help="component, or a package the runs that saw it had (numpy, cpython, ...)")
    ls.add_argument("--kind", help="data-race, heap-use-after-free, signal, abort, hang, exception, ...")
    g = ls.add_mutually_exclusive_group()
    g.add_argument("--known", dest="known", action="store_const", const=True)
    g.add_argument("--unknown", dest="known", action="store_const", const=False)
    g = ls.add_mutually_exclusive_group()
    g.add_argument("--open", dest="status", action="store_const", const="open")
    g.add_argument("--fixed", dest="status", action="store_const", const="fixed")
    ls.add_argument("--json", action="store_true")
    sh = sub.add_parser("show", parents=[db])
    sh.add_argument("id")
    sh.add_argument("--json", action="store_true")
    mg = sub.add_parser("merge", parents=[db])
    mg.add_argument("stores", nargs="+")
    im = sub.add_parser("import", parents=[db])
    im.add_argument("reports", nargs="+")
    im.add_argument("--origin", choices=ORIGINS, default="import")
    pg = sub.add_parser("page", parents=[db])
    pg.add_argument("--out")
    # No verb is list (its options may come alone: `findings --since 2026-12-01`).
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["list", *argv]
    a = ap.parse_args(argv)
    verb = a.verb
    # Reading needs a store that exists; the writing verbs make one.
    with Store(a.db and os.path.abspath(a.db), create=verb in ("merge", "import")) as store:
        return {"list": cmd_list, "show": cmd_show, "merge": cmd_merge, "import": cmd_import, "page": cmd_page}[verb](store, a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
