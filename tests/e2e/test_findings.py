"""The findings store over time (ftsan/store.py), `python3 -m ftsan findings` and the page, on
real runs: a history with a clean run and a return, one bug under two names, concurrent writers,
shards merged, an older schema migrated, a damaged or locked store, and the page as headless
Chromium shows it. Every assertion reads the store's JSON (findings list/show --json) or the
browser's DOM."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT, SCN, front_door, load_json, sh

sys.path.insert(0, ROOT)
from ftsan import store  # noqa: E402


def run(scenario, reports, **variables):
    argv, env = front_door(scenario, reports, **variables)
    p = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    latest = os.path.join(reports, "latest")
    return p, os.path.realpath(latest) if os.path.exists(latest) else None


def findings(*args, db=None):
    """findings list/show as JSON, from the store FTSAN_DB names (or db)."""
    p = sh(["python3", "-m", "ftsan", "findings", *args, "--json"], env={"FTSAN_DB": db} if db else {})
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def dlpack_report(tmp_path_factory):
    """A real report with a finding (numpy#28881 on NumPy 2.2.5), made once for the module."""
    reports = str(tmp_path_factory.mktemp("dlpack"))
    p, d = run("dlpack_race", reports, NUMPY="2.2.5", RUNS=4)
    assert p.returncode == 1 and d, p.stdout + p.stderr
    return d


def copies(report_dir, dest, n, first=0):
    """n copies of a report directory under dest, each another run (its own time stamp)."""
    out = []
    for k in range(first, first + n):
        d = os.path.join(dest, f"20261201T{k // 3600:02d}{k // 60 % 60:02d}{k % 60:02d}Z-dlpack_race")
        shutil.copytree(report_dir, d, symlinks=True)
        out.append(d)
    return out


def test_a_finding_has_a_history_of_runs(reports, findings_store):
    """Found, clean (one thread cannot race), found again: recorded by the runs themselves, the
    finding is open, fixed, then open again and said to have come back; its id from any report
    finds it."""
    p, first = run("dlpack_race", reports, NUMPY="2.2.5", RUNS=4)
    assert p.returncode == 1, p.stdout + p.stderr
    gid = load_json(os.path.join(first, "report.json"))["findings"][0]["id"]
    (f,) = findings("list")["findings"]
    assert (f["id"], f["known"], f["status"], f["seen"]) == (gid, "numpy#28881", "open", ["py3.13.15 tsan numpy 2.2.5"])
    p, _ = run("dlpack_race", reports, NUMPY="2.2.5", RUNS=2, THREADS=1)
    assert p.returncode == 0, p.stdout + p.stderr
    assert [x["id"] for x in findings("list", "--fixed")["findings"]] == [gid]
    assert findings("list", "--open")["findings"] == []
    p, _ = run("dlpack_race", reports, NUMPY="2.2.5", RUNS=4)
    assert p.returncode == 1, p.stdout + p.stderr
    f = findings("show", gid)
    assert [h["hit"] for h in f["history"]] == [True, False, True], f["history"]
    assert [h["origin"] for h in f["history"]] == ["run"] * 3
    assert f["history"][0]["hit_runs"] == sorted(load_json(os.path.join(first, "report.json"))["findings"][0]["runs"])
    assert f["status"] == "open" and f["came_back"] == f["history"][2]["at"]
    assert f["runs_hit"] == 8 and f["runs"] == 10
    assert os.path.isfile(os.path.join(f["report"], "findings", f["report_group"], "report.md"))
    # filters: by package and kind, known, since
    assert [x["id"] for x in findings("list", "--package", "numpy", "--kind", "data-race", "--known")["findings"]] == [gid]
    assert findings("list", "--unknown")["findings"] == []
    assert findings("list", "--since", "2999-01-01")["findings"] == []


def _groups(report, **changes):
    """The groups add_run takes, from a real report's finding with some fields changed."""
    f = dict(report["findings"][0], **changes)
    return [{"group_id": f["id"], "kind": f["kind"], "component": f["component"], "signature": f["signature"],
             "title": f["title"], "known": f["known"], "known_url": f["known_url"], "keys": store.identity(f),
             "runs_hit": f["runs_hit"], "occurrences": f["occurrences"], "hit": f["runs"], "tests": []}]


def _run(uid, at):
    return {"uid": uid, "at": at, "origin": "run", "scenario": "s", "scenario_path": "s.yaml", "python": "3.13.15",
            "sanitizer": "tsan", "pydebug": 0, "numpy": "2.2.5", "versions": "{}", "runs_done": 1,
            "runs_planned": 1, "by_design": 0, "report": "/nonexistent"}


def test_two_names_of_one_bug_become_one_finding(dlpack_report, findings_store):
    """Two groups with no key in common are two findings; a later group with keys of both (it was
    seen as both racing pairs) shows they are one bug: the older keeps its id, the other's is an
    alias, a note names the run that showed it, and every sighting stays. One frame in common is
    not enough, nor a heap block's allocation site."""
    report = load_json(os.path.join(dlpack_report, "report.json"))
    a = "data-race: first_frame (a.c) <> first_frame (a.c)"
    b = "data-race: second_frame (b.c) <> second_frame (b.c)"
    with store.Store(findings_store) as s:
        s.add_run(_run("u1", "2026-12-01T00:00:00Z"), _groups(report, id="aaaaaaaaaaaa", signature=a, also_seen_as=[],
                                                             memory=["global 'a'"], known=None))
        s.add_run(_run("u2", "2026-12-02T00:00:00Z"), _groups(report, id="bbbbbbbbbbbb", signature=b, also_seen_as=[],
                                                             memory=["global 'b'"], known=None))
        assert sorted(f["id"] for f in s.findings()) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
        ids = s.add_run(_run("u3", "2026-12-03T00:00:00Z"), _groups(report, id="cccccccccccc", signature=b,
                                                                   also_seen_as=[a], memory=[], known=None))
        assert ids == {"cccccccccccc": "aaaaaaaaaaaa"}
        (f,) = s.findings()
        assert f["id"] == "aaaaaaaaaaaa" and f["aliases"] == ["bbbbbbbbbbbb", "cccccccccccc"]
        assert [n["kind"] for n in f["notes"]] == ["merge"] and "run u3" in f["notes"][0]["text"]
        assert [h["at"][:10] for h in f["history"] if h["hit"]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
        assert s.resolve("bbbbbbbbbbbb") == "aaaaaaaaaaaa"
        # The same memory raced on is the same bug, whatever frames raced this time.
        s.add_run(_run("u4", "2026-12-04T00:00:00Z"), _groups(report, id="dddddddddddd", signature="data-race: x (x.c) <> y (y.c)",
                                                             also_seen_as=[], memory=["global 'b'"], known=None))
        assert [f["id"] for f in s.findings()] == ["aaaaaaaaaaaa"]
        # A pair that shares one frame with a finding, and a heap block's allocation site: a finding of its own.
        s.add_run(_run("u5", "2026-12-05T00:00:00Z"), _groups(report, id="eeeeeeeeeeee", signature="data-race: x (x.c) <> z (z.c)",
                                                             also_seen_as=[], memory=["heap block from f (f.c)"], known=None))
        s.add_run(_run("u6", "2026-12-06T00:00:00Z"), _groups(report, id="ffffffffffff", signature="data-race: w (w.c) <> w (w.c)",
                                                             also_seen_as=[], memory=["heap block from f (f.c)"], known=None))
        assert sorted(f["id"] for f in s.findings()) == ["aaaaaaaaaaaa", "eeeeeeeeeeee", "ffffffffffff"]
        # Recording a run twice changes nothing.
        assert s.add_run(_run("u4", "2026-12-04T00:00:00Z"), []) is None


def test_writers_at_once_lose_nothing(dlpack_report, tmp_path, findings_store):
    """Six processes record eight reports each into one store at the same time: 48 runs, 48
    sightings of one finding, every writer done."""
    dirs = copies(dlpack_report, str(tmp_path / "copies"), 48)
    procs = [subprocess.Popen([sys.executable, "-m", "ftsan", "findings", "import", *dirs[k::6]], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(6)]
    outs = [p.communicate() + (p.returncode,) for p in procs]
    assert all(rc == 0 for _, _, rc in outs), outs
    (f,) = findings("list")["findings"]
    assert len(f["history"]) == 48 and all(h["hit"] for h in f["history"])
    assert f["runs_hit"] == 48 * load_json(os.path.join(dlpack_report, "report.json"))["findings"][0]["runs_hit"]


def test_shards_merge_into_one_store(dlpack_report, tmp_path, findings_store):
    """Two shards' stores, one run in both, merged into a third (twice: the second adds nothing)."""
    dirs = copies(dlpack_report, str(tmp_path / "copies"), 5)
    for name, part in (("one", dirs[:3]), ("two", dirs[2:])):
        p = sh(["python3", "-m", "ftsan", "findings", "import", *part], env={"FTSAN_DB": str(tmp_path / f"{name}.db")})
        assert p.returncode == 0, p.stderr
    for n in (5, 0):
        p = sh(["python3", "-m", "ftsan", "findings", "merge", str(tmp_path / "one.db"), str(tmp_path / "two.db")])
        assert p.returncode == 0, p.stderr
        assert sum(int(re.match(r"findings: (\d+) runs", x).group(1)) for x in p.stdout.splitlines()) == n, p.stdout
    (f,) = findings("list")["findings"]
    assert len(f["history"]) == 5


def test_a_store_of_an_older_schema_is_migrated(dlpack_report, findings_store, monkeypatch):
    """A store written at schema 1 (before notes) opens: its runs are there and it takes notes."""
    monkeypatch.setattr(store, "SCHEMA", 1)
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS[:1])
    with store.Store(findings_store) as s:
        (gid,) = s.record(dlpack_report, "run")
    monkeypatch.undo()
    monkeypatch.setenv("FTSAN_DB", findings_store)
    assert sqlite3.connect(findings_store).execute("PRAGMA user_version").fetchone()[0] == 1
    p = sh(["python3", "-m", "ftsan", "findings", "show", gid, "--json"])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["notes"] == []
    assert sqlite3.connect(findings_store).execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA
    with store.Store(findings_store) as s:
        s.note(gid, "bisect", "fixed in NumPy 2.2.6")
        assert [n["text"] for n in s.finding(gid)["notes"]] == ["fixed in NumPy 2.2.6"]


def test_a_damaged_locked_or_newer_store_is_an_error_and_the_run_keeps_its_report(reports, findings_store, tmp_path):
    """A file that is not a store: `findings` exits 2 naming it; a run keeps its exit status and
    its report, says it was not recorded and how to record it, and the report then imports. A
    store another writer holds: exit 3, locked. A newer schema: exit 2."""
    with open(findings_store, "wb") as f:
        f.write(b"not a database, " * 512)
    p = sh(["python3", "-m", "ftsan", "findings", "list"])
    assert p.returncode == 2 and findings_store in p.stderr and "not a findings store" in p.stderr, p.stderr
    r, d = run(os.path.join(SCN, "raises_markup.yaml"), reports)
    assert r.returncode == 1 and d and os.path.isfile(os.path.join(d, "report.json")), r.stdout + r.stderr
    assert "not recorded" in r.stderr and findings_store in r.stderr and "findings import" in r.stderr, r.stderr
    good = str(tmp_path / "good.db")
    p = sh(["python3", "-m", "ftsan", "findings", "import", d], env={"FTSAN_DB": good})
    assert p.returncode == 0, p.stderr
    assert [f["kind"] for f in findings("list", db=good)["findings"]] == ["exception"]

    holder = sqlite3.connect(good, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        p = sh(["python3", "-m", "ftsan", "findings", "list"], env={"FTSAN_DB": good, "FTSAN_DB_WAIT": "1"})
        assert p.returncode == 3 and good in p.stderr and "locked" in p.stderr, p.stderr
    finally:
        holder.execute("ROLLBACK")
    holder.execute(f"PRAGMA user_version = {store.SCHEMA + 1}")
    holder.close()
    p = sh(["python3", "-m", "ftsan", "findings", "list"], env={"FTSAN_DB": good})
    assert p.returncode == 2 and good in p.stderr and "newer" in p.stderr, p.stderr


def dom(url):
    """The page as headless Chromium leaves it after its script ran."""
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "</html>" in p.stdout, p.stderr[-2000:]
    return p.stdout


def test_the_page_shows_markup_as_text_and_filters(dlpack_report, reports, findings_store, tmp_path):
    """A run whose exception message is an <img onerror> and a race, on the page: Chromium shows
    the message as text and makes no image; the fragment #kind=exception hides the race, and a
    sort by runs hit puts the race (four runs) first; the report links lead to files."""
    r, d = run(os.path.join(SCN, "raises_markup.yaml"), reports)
    assert r.returncode == 1, r.stdout + r.stderr
    p = sh(["python3", "-m", "ftsan", "findings", "import", dlpack_report])
    assert p.returncode == 0, p.stderr
    out = str(tmp_path / "page" / "index.html")
    p = sh(["python3", "-m", "ftsan", "findings", "page", "--out", out])
    assert p.returncode == 0, p.stderr
    page = dom(f"file://{out}")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script") == 1
    rows = re.findall(r"<tr class=\"[^\"]*\" data-id=\"(\w+)\"[^>]*?( hidden=\"\")?>", page)
    assert len(rows) == 2 and not any(h for _, h in rows), rows
    hrefs = re.findall(r"href=\"([^\"]*report\.md)\"", page)
    assert len(hrefs) == 2 and all(os.path.isfile(os.path.join(os.path.dirname(out), h)) for h in hrefs), hrefs
    race = load_json(os.path.join(dlpack_report, "report.json"))["findings"][0]["id"]
    page = dom(f"file://{out}#kind=exception")
    shown = {i: not h for i, h in re.findall(r"<tr class=\"[^\"]*\" data-id=\"(\w+)\"[^>]*?( hidden=\"\")?>", page)}
    assert shown[race] is False and list(shown.values()).count(True) == 1, shown
    page = dom(f"file://{out}#sort=hits&desc=1")
    order = re.findall(r"<tr class=\"[^\"]*\" data-id=\"(\w+)\"", page)
    assert order[0] == race, order
