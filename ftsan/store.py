"""The findings store: every run's findings and clean runs in one SQLite file, so that a finding
has a history (first and last seen, the versions it shows on and those it does not, the runs
that merged it with another) instead of a report directory each night that forgets the rest.

The file: FTSAN_DB, else findings.db in the cache (FTSAN_CACHE, else $XDG_CACHE_HOME/ftsan). One
file (a rollback journal, not WAL), so that a CI artifact carries all of it. Every write is one
transaction begun IMMEDIATE: concurrent writers (JOBS, several make invocations) wait for each
other, up to FTSAN_DB_WAIT seconds (default 120), and lose nothing.

A finding's identity is what does not move between runs: for a race, each pair of frames that
raced (every signature its group was seen as, the pair as a set) and the global it raced on, by
name; the known issue; other kinds by their signatures. Not a single frame, nor a heap block's
allocation site: the first local nightly chained a shape setter's many by-design races (every
pair with array_shape_set_internal on one side) into one finding through them. A run's group joins the
finding it shares a key with; a group that shares keys with two findings shows they are one bug,
and merges them: the older keeps its id, the other's id becomes an alias, and a note says which
run showed it. Every group id ever seen is an alias of its finding, so any report's id finds it.

The schema is versioned (PRAGMA user_version) and migrated forward step by step (MIGRATIONS);
a store of a newer schema, or a file that is not a store, is an Error that names the file."""
import contextlib
import hashlib
import json
import os
import re
import sqlite3
import time

from . import Error

# Step k (1-based) takes a store from schema k-1 to k. Never edit a step that has shipped: add
# one. 1: findings, their keys and aliases, runs and sightings. 2: notes (merges, bisections,
# upstream reports) on a finding.
MIGRATIONS = [
    """
    CREATE TABLE findings(
        id TEXT PRIMARY KEY,          -- the first group id the store saw for it
        kind TEXT NOT NULL,
        component TEXT,
        signature TEXT NOT NULL,      -- the latest sighting's
        title TEXT,
        known TEXT,
        known_url TEXT,
        first_seen TEXT NOT NULL,     -- UTC, ISO 8601: the run's time
        last_seen TEXT NOT NULL);
    CREATE TABLE keys(key TEXT PRIMARY KEY, finding TEXT NOT NULL REFERENCES findings(id));
    CREATE TABLE aliases(alias TEXT PRIMARY KEY, finding TEXT NOT NULL REFERENCES findings(id));
    CREATE TABLE runs(
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,     -- the report's directory name and report.json's digest
        at TEXT NOT NULL,
        origin TEXT NOT NULL,         -- run, verify, matrix, bisect, hunt, pytest, import
        scenario TEXT NOT NULL,
        scenario_path TEXT,
        python TEXT, sanitizer TEXT, pydebug INTEGER, numpy TEXT,
        versions TEXT NOT NULL,       -- report.json's versions and the toolchain's packages, JSON
        runs_done INTEGER, runs_planned INTEGER,
        by_design INTEGER NOT NULL,   -- the scenario's roles do what the library leaves to the caller
        report TEXT NOT NULL);        -- the report's directory, as recorded
    CREATE INDEX runs_scenario ON runs(scenario, at);
    CREATE TABLE sightings(
        run INTEGER NOT NULL REFERENCES runs(id),
        finding TEXT NOT NULL REFERENCES findings(id),
        group_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        keys TEXT NOT NULL,           -- JSON: the identity keys of this group (merging stores replays them)
        runs_hit INTEGER, occurrences INTEGER,
        hit TEXT,                     -- JSON: the runs it showed in, 1-based (a hunt batch's cases)
        by_design INTEGER NOT NULL DEFAULT 0,   -- judged the caller's by the run's maker (a hunt's cases)
        tests TEXT,                   -- JSON: pytest node ids
        PRIMARY KEY(run, group_id));
    CREATE INDEX sightings_finding ON sightings(finding);
    """,
    """
    CREATE TABLE notes(
        finding TEXT NOT NULL REFERENCES findings(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,           -- merge, bisect, upstream
        text TEXT NOT NULL,
        UNIQUE(finding, kind, text));
    """,
]
SCHEMA = len(MIGRATIONS)
ORIGINS = ("run", "verify", "matrix", "bisect", "hunt", "pytest", "import")


def default_path():
    if os.environ.get("FTSAN_DB"):
        return os.path.abspath(os.environ["FTSAN_DB"])
    cache = os.environ.get("FTSAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ftsan")
    return os.path.join(cache, "findings.db")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def identity(f):
    """The keys a finding of report.json is known by across runs (see the module's doc)."""
    sigs = [f["signature"], *(f.get("also_seen_as") or [])]
    keys = set()
    if f["kind"] == "data-race":
        for s in sigs:
            a, _, b = s.removeprefix("data-race: ").partition(" <> ")
            keys.add("frames:" + " <> ".join(sorted({a, b})))
        keys |= {f"memory:{m}" for m in f.get("memory") or [] if m.startswith("global ")}
    else:
        keys |= {f"signature:{s}" for s in sigs}
    if f.get("known"):
        keys.add(f"known:{f['kind']}:{f['known']}")
    return sorted(keys)


def run_time(report_dir):
    """When a run was made: its directory's stamp (<YYYYmmddTHHMMSSZ>-<name>, which copies and
    artifacts keep), else report.json's modification time."""
    m = re.match(r"(\d{8}T\d{6}Z)", os.path.basename(os.path.normpath(report_dir)))
    if m:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(m.group(1), "%Y%m%dT%H%M%SZ"))
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(os.path.join(report_dir, "report.json"))))


class Store:
    """One open store. Use as a context manager, or close()."""

    def __init__(self, path=None, create=True):
        self.path = path or default_path()
        if not create and not os.path.exists(self.path):
            raise Error(f"no findings store at {self.path} (a run records one; FTSAN_DB names another)", 2)
        if os.path.isdir(self.path):
            raise Error(f"findings store {self.path}: a directory, not a file", 2)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        wait = float(os.environ.get("FTSAN_DB_WAIT") or 120)
        try:
            self.db = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as e:
            raise self.error(e) from None

    def error(self, e):
        """A store error as the user reads it: the file, and what is wrong with it."""
        text = str(e)
        # SQLite's own code (Python 3.11 and later), else its message
        code = getattr(e, "sqlite_errorname", None) or text
        if "BUSY" in code or "LOCKED" in code or "locked" in code:
            return Error(f"findings store {self.path} is locked: another writer held it longer than "
                         f"FTSAN_DB_WAIT ({os.environ.get('FTSAN_DB_WAIT') or 120} s)", 3)
        if any(x in code for x in ("NOTADB", "CORRUPT", "not a database", "malformed")):
            return Error(f"findings store {self.path} is not a findings store or is damaged ({text}); "
                         "move it aside and a new one is made", 2)
        return Error(f"findings store {self.path}: {text}", 3)

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _migrate(self):
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA:
            raise Error(f"findings store {self.path} has schema {version}, newer than this ftsan's {SCHEMA}: "
                        "use a newer ftsan, or another FTSAN_DB", 2)
        if version == SCHEMA:
            self.db.execute("PRAGMA schema_version").fetchone()   # reads the header: a damaged file fails here
            return
        with self.write():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]   # another writer may have done it
            for k in range(version, SCHEMA):
                for stmt in MIGRATIONS[k].split(";"):
                    if stmt.strip():
                        self.db.execute(stmt)
            self.db.execute(f"PRAGMA user_version = {SCHEMA}")

    @contextlib.contextmanager
    def write(self):
        """A write transaction (BEGIN IMMEDIATE: writers queue here, never midway)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------------

    def record(self, report_dir, origin, by_design=()):
        """A run's report directory into the store: the run, and a sighting of each finding (a
        clean run has none). by_design: group ids its maker judged the caller's (a hunt judges
        each case's calls; a scenario's roles are judged for the whole run, in report.json).
        Recording the same report again changes nothing (returns None); else the findings' ids
        in the store, by group id."""
        report_dir = os.path.realpath(report_dir)
        try:
            with open(os.path.join(report_dir, "report.json"), "rb") as f:
                raw = f.read()
            report = json.loads(raw)
        except (OSError, ValueError) as e:
            raise Error(f"{report_dir}: no report.json to record ({e})", 2) from None
        try:
            with open(os.path.join(report_dir, "run.json")) as f:
                packages = json.load(f).get("toolchain", {}).get("packages") or []
        except (OSError, ValueError):
            packages = []
        uid = hashlib.sha256(os.path.basename(report_dir).encode() + b"\0" + raw).hexdigest()[:24]
        v = report.get("versions") or {}
        run = {"uid": uid, "at": run_time(report_dir), "origin": origin,
               "scenario": report["scenario"]["name"], "scenario_path": report["scenario"].get("path"),
               "python": v.get("python"), "sanitizer": v.get("sanitizer"), "pydebug": int(bool(v.get("pydebug"))),
               "numpy": v.get("numpy"), "versions": json.dumps(dict(v, packages=packages), sort_keys=True),
               "runs_done": report["runs"]["done"], "runs_planned": report["runs"]["planned"],
               "by_design": int(bool(report.get("by_design"))), "report": report_dir}
        groups = [{"group_id": f["id"], "kind": f["kind"], "component": f.get("component"),
                   "signature": f["signature"], "title": f.get("title"), "known": f.get("known"),
                   "known_url": f.get("known_url"), "keys": identity(f), "runs_hit": f.get("runs_hit"),
                   "occurrences": f.get("occurrences"), "hit": sorted(f.get("runs") or []), "tests": f.get("tests") or [],
                   "by_design": f["id"] in by_design}
                  for f in report.get("findings") or []]
        return self.add_run(run, groups)

    def add_run(self, run, groups):
        try:
            with self.write():
                if self.db.execute("SELECT 1 FROM runs WHERE uid = ?", (run["uid"],)).fetchone():
                    return None
                cols = list(run)
                rid = self.db.execute(f"INSERT INTO runs({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                      [run[c] for c in cols]).lastrowid
                return {g["group_id"]: self._sight(rid, run, g) for g in groups}
        except sqlite3.Error as e:
            raise self.error(e) from None

    def _sight(self, rid, run, g):
        q = self.db.execute
        found = {r[0] for k in g["keys"] for r in q("SELECT finding FROM keys WHERE key = ?", (k,))}
        found |= {r[0] for r in q("SELECT finding FROM aliases WHERE alias = ?", (g["group_id"],))}
        if found:
            rows = q(f"SELECT id, first_seen FROM findings WHERE id IN ({','.join('?' * len(found))})",
                     sorted(found)).fetchall()
            fid = min(rows, key=lambda r: (r["first_seen"], r["id"]))["id"]
            for other in sorted(found - {fid}):
                self._merge(other, fid, f"run {run['uid']} ({run['scenario']}, {run['at']}) showed {other} and "
                                        f"{fid} to be one bug: its group {g['group_id']} ({g['signature']}) has keys of both")
            q("UPDATE findings SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?",
              (run["at"], run["at"], fid))
            # The newest sighting names it; a known issue, once matched, stays.
            q("UPDATE findings SET signature = ?, title = ?, component = ?, known = coalesce(?, known), "
              "known_url = coalesce(?, known_url) WHERE id = ? AND last_seen = ?",
              (g["signature"], g["title"], g["component"], g["known"], g["known_url"], fid, run["at"]))
        else:
            fid = g["group_id"]
            q("INSERT INTO findings(id, kind, component, signature, title, known, known_url, first_seen, last_seen) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (fid, g["kind"], g["component"], g["signature"], g["title"],
                                                     g["known"], g["known_url"], run["at"], run["at"]))
        q("INSERT OR IGNORE INTO aliases(alias, finding) VALUES (?, ?)", (g["group_id"], fid))
        for k in g["keys"]:
            q("INSERT OR IGNORE INTO keys(key, finding) VALUES (?, ?)", (k, fid))
        q("INSERT OR REPLACE INTO sightings(run, finding, group_id, signature, keys, runs_hit, occurrences, hit, tests, "
          "by_design) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          (rid, fid, g["group_id"], g["signature"], json.dumps(g["keys"]), g["runs_hit"], g["occurrences"],
           json.dumps(g["hit"]), json.dumps(g["tests"]), int(bool(g.get("by_design")))))
        return fid

    def _merge(self, old, into, why):
        q = self.db.execute
        q("UPDATE findings SET first_seen = min(first_seen, (SELECT first_seen FROM findings WHERE id = ?)), "
          "last_seen = max(last_seen, (SELECT last_seen FROM findings WHERE id = ?)), "
          "known = coalesce(known, (SELECT known FROM findings WHERE id = ?)), "
          "known_url = coalesce(known_url, (SELECT known_url FROM findings WHERE id = ?)) WHERE id = ?",
          (old, old, old, old, into))
        for table, col in (("keys", "finding"), ("aliases", "finding"), ("sightings", "finding"), ("notes", "finding")):
            q(f"UPDATE OR IGNORE {table} SET {col} = ? WHERE {col} = ?", (into, old))
            q(f"DELETE FROM {table} WHERE {col} = ?", (old,))
        q("INSERT OR IGNORE INTO aliases(alias, finding) VALUES (?, ?)", (old, into))
        q("DELETE FROM findings WHERE id = ?", (old,))
        q("INSERT OR IGNORE INTO notes(finding, at, kind, text) VALUES (?, ?, 'merge', ?)", (into, now(), why))

    def note(self, finding, kind, text):
        """A note on a finding (given by any of its ids): a bisection's result, an upstream report."""
        fid = self.resolve(finding)
        try:
            with self.write():
                self.db.execute("INSERT OR IGNORE INTO notes(finding, at, kind, text) VALUES (?, ?, ?, ?)",
                                (fid, now(), kind, text))
        except sqlite3.Error as e:
            raise self.error(e) from None
        return fid

    def merge_from(self, path):
        """Another store's runs (a shard's) into this one, in the order they were made, each
        group joined by its keys as if recorded here; runs this store has are skipped. Returns
        the number of runs added."""
        with Store(path, create=False) as other:
            added = 0
            try:
                runs = other.db.execute("SELECT * FROM runs ORDER BY at, id").fetchall()
                for r in runs:
                    run = {k: r[k] for k in r.keys() if k != "id"}
                    groups = []
                    for s in other.db.execute("SELECT s.*, f.kind, f.component, f.title, f.known, f.known_url "
                                              "FROM sightings s JOIN findings f ON f.id = s.finding WHERE s.run = ?",
                                              (r["id"],)):
                        groups.append({"group_id": s["group_id"], "kind": s["kind"], "component": s["component"],
                                       "signature": s["signature"], "title": s["title"], "known": s["known"],
                                       "known_url": s["known_url"], "keys": json.loads(s["keys"]),
                                       "runs_hit": s["runs_hit"], "occurrences": s["occurrences"],
                                       "hit": json.loads(s["hit"] or "[]"), "tests": json.loads(s["tests"] or "[]"),
                                       "by_design": bool(s["by_design"])})
                    added += self.add_run(run, groups) is not None
                notes = other.db.execute("SELECT * FROM notes").fetchall()   # opened means migrated
            except sqlite3.Error as e:
                raise other.error(e) from None
        for n in notes:
            self.note(n["finding"], n["kind"], n["text"])
        return added

    # -- reading ------------------------------------------------------------------------------

    def resolve(self, any_id):
        """The finding an id names: its own id or any alias (a group id of any report)."""
        try:
            r = self.db.execute("SELECT finding FROM aliases WHERE alias = ?", (any_id,)).fetchone()
        except sqlite3.Error as e:
            raise self.error(e) from None
        if r is None:
            raise Error(f"no finding {any_id} in {self.path}", 2)
        return r[0]

    def findings(self):
        """Every finding with its history: a list of dicts (see history())."""
        try:
            return [self._history(dict(r)) for r in self.db.execute("SELECT * FROM findings ORDER BY first_seen DESC, id")]
        except sqlite3.Error as e:
            raise self.error(e) from None

    def finding(self, any_id):
        fid = self.resolve(any_id)
        try:
            return self._history(dict(self.db.execute("SELECT * FROM findings WHERE id = ?", (fid,)).fetchone()))
        except sqlite3.Error as e:
            raise self.error(e) from None

    def _history(self, f):
        """A finding with what the runs say of it. history: one entry per run of a scenario it was
        seen in, oldest first, hit or clean (a run of that scenario, on that sanitizer, without
        it); seen and clean: the versions of each; status: open when the latest run on the newest
        NumPy tried saw it, fixed when it did not (a matrix runs old releases every night: one
        that still has the bug does not make it open again); fixed_in: the oldest NumPy newer
        than every one it was seen on with a clean run; came_back: the time of a sighting after a
        clean run of its scenario on that NumPy or an older one, if any."""
        q = self.db.execute
        fid = f["id"]
        hits = {r["run"]: dict(r) for r in q("SELECT * FROM sightings WHERE finding = ?", (fid,))}
        # A hunt's batches are generated anew each hunt: one that did not see it says nothing.
        runs = [dict(r) for r in q(
            "SELECT * FROM runs WHERE (scenario, sanitizer) IN (SELECT r.scenario, r.sanitizer FROM sightings s "
            "JOIN runs r ON r.id = s.run WHERE s.finding = ?) AND (origin != 'hunt' OR id IN "
            "(SELECT run FROM sightings WHERE finding = ?)) ORDER BY at, id", (fid, fid))]
        history = []
        for r in runs:
            s = hits.get(r["id"])
            history.append({"at": r["at"], "origin": r["origin"], "scenario": r["scenario"], "numpy": r["numpy"],
                            "versions": version_label(r), "hit": s is not None,
                            "runs_hit": s["runs_hit"] if s else 0, "runs_done": r["runs_done"],
                            "group_id": s["group_id"] if s else None, "report": r["report"],
                            "by_design": bool(r["by_design"] or (s and s["by_design"])),
                            "tests": json.loads(s["tests"] or "[]") if s else [],
                            "hit_runs": json.loads(s["hit"] or "[]") if s else []})
        seen = list(dict.fromkeys(h["versions"] for h in history if h["hit"]))
        clean = list(dict.fromkeys(h["versions"] for h in history if not h["hit"] and h["versions"] not in seen))
        came_back = None
        for i, h in enumerate(history):
            if h["hit"] and any(not e["hit"] and e["scenario"] == h["scenario"] and
                                version_key(e["numpy"]) <= version_key(h["numpy"]) for e in history[:i]):
                came_back = h["at"]
        latest = max(reversed(history), key=lambda h: version_key(h["numpy"]), default=None)   # the latest of the newest
        reports = [h for h in history if h["hit"]]
        newest_seen = max((version_key(h["numpy"]) for h in reports), default=())
        fixed_in = min((h["numpy"] for h in history if not h["hit"] and version_key(h["numpy"]) > newest_seen),
                       key=version_key, default=None)
        f.update(
            aliases=[r[0] for r in q("SELECT alias FROM aliases WHERE finding = ? AND alias != ? ORDER BY alias", (fid, fid))],
            notes=[dict(r) for r in q("SELECT at, kind, text FROM notes WHERE finding = ? ORDER BY at", (fid,))],
            history=history, seen=seen, clean=clean, came_back=came_back, fixed_in=fixed_in,
            status="open" if latest is None or latest["hit"] else "fixed",
            # the message, where the title says more than the signature and the kind
            message=f["title"] if f["title"] not in (None, f["signature"]) and f["title"].replace(" ", "-") != f["kind"]
            else None,
            by_design=all(h["by_design"] for h in reports) if reports else False,
            scenarios=list(dict.fromkeys(h["scenario"] for h in reports)),
            tests=sorted({t for h in reports for t in h["tests"]}),
            report=reports[-1]["report"] if reports else None,
            report_group=reports[-1]["group_id"] if reports else None,
            runs_hit=sum(h["runs_hit"] or 0 for h in reports), runs=sum(h["runs_done"] or 0 for h in history))
        return f

    def runs(self):
        try:
            return [dict(r) for r in self.db.execute("SELECT * FROM runs ORDER BY at, id")]
        except sqlite3.Error as e:
            raise self.error(e) from None


def version_key(v):
    """A NumPy version's order ("2.10.0" after "2.9.1"); none first."""
    return tuple(int(x) if x.isdigit() else 0 for x in re.findall(r"\d+", v or ""))


def version_label(run):
    """The versions of a run in a few words: "py3.13.15 tsan numpy 2.2.5", a source tree by its
    name and state, the pins."""
    v = json.loads(run["versions"])
    words = [f"py{run['python']}" + ("-pydebug" if run["pydebug"] else ""), run["sanitizer"] or "?"]
    src = v.get("numpy_source")
    if src:
        words.append(f"numpy {run['numpy']} (tree {(src.get('commit') or src.get('state') or '?')[:12]})"
                     if isinstance(src, dict) else f"numpy {run['numpy']} (tree)")
    elif run["numpy"]:
        words.append(f"numpy {run['numpy']}")
    for s in v.get("sources") or []:
        if isinstance(s, dict):
            words.append(f"{s.get('name', '?')} {s.get('version', '')} (tree {(s.get('commit') or s.get('state') or '?')[:12]})".replace("  ", " "))
    words += [p for p in v.get("packages") or [] if isinstance(p, str)]
    return " ".join(words)
