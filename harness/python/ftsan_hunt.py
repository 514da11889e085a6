"""The hunt, inside the toolchain's interpreter: learn a module's API, and build the objects and
calls of one generated case in a run.

`python -m ftsan_hunt learn MODULE --seed S --out learned.json --journal J [--limit N]`, run
single-threaded by the toolchain's own interpreter (python3 -m ftsan hunt starts it), learns which
calls work: the module's public callables (and those of its public submodules), the methods and
attributes of the objects in the pool and of the objects the calls return, item assignment and
in-place operators, each tried with candidate arguments from a pool of objects (arrays of several
dtypes, shapes, orders and strides, views, scalars, dtypes, ufuncs, lists). A call is kept when it
returned without error, quickly and with a small result; it is a mutator when it changed one of
the objects it was given (or set an attribute, or a module's global state: set*, seed, or is one
of the in-place methods and functions that write whatever the data: sort, fill, put, ...), else a
reader. A call's "mutates" names the objects it wrote (what changed, the receiver of a setter or
of an in-place method, the first argument of an in-place function): the hunt judges a case by
them against the module's contract (known/contracts.json), which leaves some objects' mutation to
the caller. Each try gets fresh objects, so a mutator never spoils the next try, and each callable
(or receiver) is learned in a forked child, so a call that sets the module's global state to
garbage spoils nothing else, and one that kills the interpreter loses only its own callable: it
is recorded among the crashes, with the call the journal says was being tried.

case_objects(CASES, seed), called by the prepare step of the hunt's batch scenarios in each run's
own process, builds a case's objects into the namespace the threads share.
"""
import argparse
import fcntl
import inspect
import json
import os
import re
import random
import sys
import time
import types
import warnings

# Objects of the pool: name -> (expression, kind). The names are the globals of every scenario
# the hunt writes; arrays are what the threads share.
NUMPY_POOL = {
    "f8": ("np.arange(64, dtype=np.float64)", "array"),
    "i8": ("np.arange(64, dtype=np.int64)", "array"),
    "f4": ("np.linspace(0, 1, 64, dtype=np.float32)", "array"),
    "c16": ("np.arange(64) * (1 + 1j)", "array"),
    "b1": ("np.arange(64) % 3 == 0", "array"),
    "i1": ("(np.arange(64) % 100).astype(np.int8)", "array"),
    "u2": ("np.arange(64, dtype=np.uint16)", "array"),
    "m2": ("np.arange(48.0).reshape(6, 8)", "array"),
    "v6": ("np.arange(6.0) % 2", "array"),   # one value per row of m2: a target for fit(m2, v6)
    "mf": ("np.asfortranarray(np.arange(48.0).reshape(6, 8))", "array"),
    "mt": ("np.arange(48.0).reshape(6, 8).T", "array"),
    "sv": ("np.arange(128.0)[::2]", "array"),
    "be": ("np.arange(64, dtype='>f8')", "array"),
    "z0": ("np.array(2.5)", "array"),
    "us": ("np.array(['ab', 'cde', 'f', 'ghij'] * 4)", "array"),
    "ob": ("np.array([1, 'a', None, 2.5] * 4, dtype=object)", "array"),
    "rec": ("np.zeros(8, dtype=[('a', 'i4'), ('b', 'f8')])", "array"),
    "dt": ("np.arange('2020-01-01', '2020-03-01', dtype='datetime64[D]')", "array"),
    "ix": ("np.array([0, 3, 3, 5])", "array"),
    "sf": ("np.float64(1.5)", "scalar"),
    "si": ("np.int64(3)", "scalar"),
    "df": ("np.dtype('f8')", "other"),
    "di": ("np.dtype('i4')", "other"),
    "uf": ("np.add", "other"),
}
PLAIN_POOL = {
    "n2": ("2", "scalar"),
    "n0": ("0", "scalar"),
    "fl": ("0.5", "scalar"),
    "tp": ("(2, 3)", "other"),
    "ls": ("[1.0, 2.0, 3.0, 4.0]", "other"),
    "ll": ("[[1, 2], [3, 4]]", "other"),
    "tx": ("'f8'", "other"),
}

# Never tried: files, processes, printing, the network, interactive help, test runners, and
# names that only exist to be deprecated.
DENY = {
    "save", "savez", "savez_compressed", "savetxt", "load", "loadtxt", "genfromtxt", "fromfile", "tofile",
    "dump", "memmap", "open_memmap", "fromregex", "DataSource", "show_config", "show_runtime",
    "test", "info", "lookfor", "source", "who", "get_include", "printoptions", "recfromcsv", "recfromtxt",
    "ctypeslib", "f2py", "distutils", "testing", "typing", "tests", "conftest", "exceptions", "format",
    "byteswap_inplace", "setbufsize", "breakpoint", "input", "exit", "quit", "help", "print", "tofile",
    "ndpointer", "as_ctypes", "as_array", "load_library", "deprecate", "deprecate_with_doc", "disp",
    "safe_eval", "set_string_function", "add_newdoc", "add_docstring", "add_newdoc_ufunc", "byte_bounds",
    # pandas' (and the stack's) readers and writers of files, the clipboard and databases: a
    # string of the pool is a path to them ('f8' was written into a hunt's directory)
    "to_csv", "to_pickle", "to_json", "to_parquet", "to_excel", "to_hdf", "to_feather", "to_stata", "to_sql",
    "to_clipboard", "to_orc", "to_xml", "to_latex", "to_markdown", "to_html", "to_string", "read_csv", "read_pickle",
    "read_json", "read_parquet", "read_excel", "read_hdf", "read_feather", "read_stata", "read_sql", "read_clipboard",
    "read_table", "read_fwf", "read_orc", "read_xml", "read_html", "read_sas", "read_spss", "read_sql_query",
    "read_sql_table", "read_gbq", "ExcelWriter", "HDFStore", "plotting", "plot", "hist", "boxplot", "show_versions",
}
# Methods that write their array in place, whatever the data: a sort of the pool's already
# sorted arange changes nothing a comparison can see.
IN_PLACE = {"sort", "partition", "fill", "put", "itemset", "resize", "setflags", "setfield"}
# Functions that write the array they are given first (np.sort and np.resize return a copy).
IN_PLACE_FUNCTIONS = {"place", "putmask", "copyto", "put", "fill_diagonal", "put_along_axis", "shuffle"}
# Keyword arguments tried on a callable that takes them (its signature, or the numpydoc
# "Parameters" section of its docstring), added to an argument list that worked: pool names or
# literals. `out` is any of the pool's arrays: a call that writes it is a mutator of it.
KEYWORDS = {
    "axis": ("0", "1", "-1", "None"), "dtype": ("df", "di", "tx"), "order": ("'C'", "'F'", "'K'"),
    "keepdims": ("True",), "copy": ("False", "True"), "casting": ("'unsafe'", "'same_kind'"), "where": ("b1",),
    "kind": ("'stable'", "'mergesort'"), "side": ("'right'",), "ddof": ("1",), "decimals": ("2",),
    "ndmin": ("2",), "subok": ("True",), "sorter": ("ix",), "weights": ("f8",), "mode": ("'clip'", "'wrap'"),
    "fill_value": ("n0",), "k": ("1",), "endpoint": ("False",), "num": ("n2",), "out": ("f8", "m2", "i8", "b1"),
    "initial": ("n0",), "repeats": ("n2",), "shape": ("tp",), "like": ("f8",), "seed": ("n2",), "size": ("tp", "n2"),
}
KW_TRIES = 8             # keyword calls tried per callable
KW_KEEP = 2              # and kept
SUBMODULES = 16          # public submodules enumerated, in name order
TRIES = 16               # candidate argument lists per callable
KEEP = 3                 # working calls kept per callable
METHOD_TRIES = 8         # per method of a receiver
SLOW = 0.5               # seconds: a call slower than this alone is not kept
PARTIAL = 10             # seconds between writes of the learning so far
BIG = 1 << 20            # bytes: a larger result is not kept
DERIVED = 40             # objects of new types taken from what calls return
CRASH_RETRIES = 3        # times a unit is learned again, without the call that killed it


class _Skip(Exception):
    pass


def _numpy():
    try:
        import numpy
        return numpy
    except ImportError:
        return None


def _nbytes(obj):
    try:
        n = obj.nbytes if hasattr(obj, "__array_interface__") else 0
        return n if isinstance(n, int) else 0
    except Exception:
        return 0


def _alias(module):
    return "np" if module == "numpy" else module.replace(".", "_")


def _imports(module):
    lines = ["import operator", "import warnings"]
    if _numpy() is not None:
        lines.append("import numpy as np")
    if module != "numpy":
        lines.append(f"import {module} as {_alias(module)}")
    lines.append("warnings.simplefilter('ignore')")
    return "\n".join(lines) + "\n"


class Learner:
    def __init__(self, module, seed, journal, limit=None, only=None, units=None, out=None, seeds=None):
        self.module, self.seed, self.limit, self.only = module, seed, limit, only
        # units: a JSON line per unit learned (a callable, a receiver), appended as each ends, so a
        # learning stopped by a hunt's budget goes on where it stopped; out: the learning so far,
        # written every PARTIAL seconds ("complete": false) and at the end
        self.units_path, self.out = units, out
        self.done = {}         # label -> the unit's record, from an earlier learning
        self.unit_found = []   # every unit's found, merged, in order
        self.units_done, self.units_planned = 0, 0
        self.written = time.monotonic()
        if units:
            # one learner a units file at a time: a second hunt of the same learning waits, then
            # takes every unit the first finished instead of learning them again beside it
            self.lock = open(units + ".lock", "w")
            fcntl.flock(self.lock, fcntl.LOCK_EX)
        if units and os.path.exists(units):
            with open(units) as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:   # the line a stopped learner was writing
                        continue
                    self.done[rec["unit"]] = rec
        self.alias = _alias(module)
        self.pool = dict(PLAIN_POOL)
        if _numpy() is not None:
            self.pool.update(NUMPY_POOL)
        # the package's own seed objects (its contract's "seeds": what its documentation says may
        # be shared), learned as receivers like the pool's
        self.pool.update({n: (e, "seed") for n, e in (seeds or {}).items()})
        self.derived = {}      # name -> (expression, type name, the names the expression uses)
        self.lists = set()     # derived objects that are lists of another ([o1, o1]): arguments only
        self.skip = set()      # calls that killed a learning child: never tried again
        self.calls = []        # {"code", "objects", "role", "target"}
        self.found = []        # (code, type name, uses) of objects of new types, in a child
        self.crashes = []      # {"unit", "call", "status"}: a child that died
        self.tried = 0
        self.journal = open(journal, "a", buffering=1)
        self.base = {}
        exec(_imports(module), self.base)

    # -- one try ------------------------------------------------------------------------------
    def _objects(self, names):
        """Fresh objects for one try: the pool's and derived ones' expressions, evaluated anew."""
        ns = dict(self.base)
        for name in self.closure(names):
            ns[name] = eval(self.pool[name][0] if name in self.pool else self.derived[name][0], ns)
        return ns

    def closure(self, names):
        """names and the objects their expressions need, each after what it needs. A seed needs
        the pool's objects its text names: numexpr's 'f8 * i8 + 1' is evaluated in the caller's
        namespace, which must hold f8 and i8."""
        out = []
        for name in names:
            if name in self.derived:
                out += [d for d in self.closure(self.derived[name][2]) if d not in out]
            elif name in self.pool and self.pool[name][1] == "seed":
                out += [w for w in re.findall(r"[A-Za-z_]\w*", self.pool[name][0])
                        if w in self.pool and w != name and self.pool[w][1] != "seed" and w not in out]
            if name not in out:
                out.append(name)
        return out

    @staticmethod
    def _state(obj):
        """What a mutation would change: an array's bytes, shape, strides, type and flags; a
        list's or dict's repr."""
        try:
            if isinstance(obj, type):
                return None
            if hasattr(obj, "__array_interface__") and hasattr(obj, "tobytes"):
                data = obj.tobytes() if obj.dtype.kind != "O" else repr(obj.tolist())
                return (data, obj.shape, obj.strides, obj.dtype.str, bool(obj.flags.writeable))
            if isinstance(obj, (list, dict, bytearray)):
                return repr(obj)
            if isinstance(obj, (int, float, complex, str, bytes, bool, tuple, types.ModuleType)) or callable(obj) \
                    and not hasattr(obj, "__dict__"):
                return None
            # the module's own objects (a DataFrame, an estimator): their values, their public
            # attributes (a fitted estimator's coef_) and their text; never the private ones, where
            # a reader fills its caches (pandas' Index._cache) and writes nothing a caller sees
            parts = [repr(obj)[:4000]]
            if hasattr(obj, "__array__"):
                import numpy
                a = numpy.asarray(obj)
                parts.append((a.tobytes() if a.dtype.kind != "O" else repr(a.tolist()), a.shape, a.dtype.str))
            if hasattr(obj, "__dict__"):
                parts.append(sorted((k, repr(v)[:200]) for k, v in vars(obj).items() if not k.startswith("_")))
            return tuple(parts)
        except Exception:
            return "unreadable"

    def attempt(self, code, uses, statement=False):
        """Try code once on fresh objects. Returns (result, the names of the objects it changed)
        or raises _Skip."""
        if code in self.skip:
            raise _Skip()
        self.tried += 1
        self.journal.write(f"try\t{code}\n")
        try:
            ns = self._objects(uses)
        except Exception:
            raise _Skip() from None
        before = {n: self._state(ns[n]) for n in uses}
        self.last_ns = ns
        t0 = time.monotonic()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if statement:
                    exec(code, ns)
                    result = None
                else:
                    result = eval(code, ns)
        except BaseException as e:  # a call may raise anything, SystemExit included
            if isinstance(e, KeyboardInterrupt):
                raise
            raise _Skip() from None
        if time.monotonic() - t0 > SLOW or _nbytes(result) > BIG:
            raise _Skip()
        mutated = [n for n in uses if self._state(ns[n]) != before[n]]
        return result, mutated

    def keep(self, code, uses, role, target, result=None, mutates=()):
        self.calls.append({"code": code, "objects": self.closure(list(uses)), "role": role, "target": target,
                           "mutates": list(dict.fromkeys(mutates)) if role == "mutator" else []})
        self._derive(code, uses, result)

    def _derive(self, code, uses, result):
        """An object of a type not seen yet is a candidate derived object (the parent names it):
        its methods are learned too."""
        # Not iterators and generators: threads sharing one are misusing it by design.
        if result is None or isinstance(result, (int, float, complex, str, bytes, bool, list, tuple, dict,
                                                 types.ModuleType, type, BaseException)) or hasattr(result, "__next__"):
            return
        np = _numpy()
        if np is not None and isinstance(result, (np.ndarray, np.generic, np.dtype)):
            return
        t = type(result)
        self.found.append((code, f"{t.__module__}.{t.__qualname__}", list(uses)))

    def _merge(self, calls, found, tried, crash=None):
        self.calls += calls
        self.tried += tried
        self.unit_found += found
        for code, tname, uses in found:
            # one object a type, and one a state a call left an object of the module in (the
            # estimator fit returned: "T after fit")
            if len(self.derived) - len(self.lists) < DERIVED and all(d[1] != tname for d in self.derived.values()):
                name = f"o{len(self.derived) + 1}"
                self.derived[name] = (code, tname, uses)
                if " after " not in tname:   # and a list of two of it: pd.concat([o1, o1])
                    self.derived[name + "s"] = (f"[{name}, {name}]", "builtins.list", [name])
                    self.lists.add(name + "s")
        if crash:
            self.crashes.append(crash)

    def _fitted(self, call, name, attr, result, mutated, uses):
        """A method that changed its receiver, an object of the module, and returned it (an
        estimator's fit, a frame's set_index(inplace)): the object in that state is one more
        derived object, whose methods are learned in turn (a fitted estimator's predict)."""
        obj = self.last_ns.get(name)
        if name in mutated and result is obj and not isinstance(obj, (list, dict, bytearray)) \
                and not hasattr(obj, "__array_interface__"):
            t = type(obj)
            self.found.append((call, f"{t.__module__}.{t.__qualname__} after {attr}", list(uses)))

    def isolated(self, label, fn, *args):
        """fn(*args) in a forked child: a call that changes the module's global state (a random
        state set to garbage) cannot spoil the next ones, and one that kills the interpreter only
        loses its own unit, recorded as a crash with the call being tried. A unit an earlier
        learning finished is taken from its record."""
        if label in self.done:
            rec = self.done[label]
            self._merge(rec["calls"], rec["found"], rec["tried"], rec.get("crash"))
            self.units_done += 1
            return
        before = (len(self.calls), len(self.unit_found), self.tried, len(self.crashes))
        self._isolated(label, fn, *args)
        # a call that killed the child is recorded and skipped, and the unit learned again without
        # it, so one crash loses one call, not the rest of the unit (a compiled expression called
        # with the wrong arguments, then called right)
        for _ in range(CRASH_RETRIES):
            if len(self.crashes) == before[3] or not self.crashes[-1]["call"] or self.crashes[-1]["call"] in self.skip:
                break
            self.skip.add(self.crashes[-1]["call"])
            self._isolated(label, fn, *args)
        self.units_done += 1
        if self.units_path:
            rec = {"unit": label, "calls": self.calls[before[0]:], "found": self.unit_found[before[1]:],
                   "tried": self.tried - before[2], "crash": self.crashes[before[3]] if len(self.crashes) > before[3] else None}
            with open(self.units_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if self.out and time.monotonic() - self.written > PARTIAL:
            self.write(complete=False)

    def write(self, complete):
        tmp = f"{self.out}.tmp"
        with open(tmp, "w") as f:
            json.dump(dict(self.result(), complete=complete), f, indent=1)
        os.replace(tmp, self.out)
        self.written = time.monotonic()

    def _isolated(self, label, fn, *args):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            self.calls, self.found, self.tried = [], [], 0
            try:
                fn(*args)
                data = json.dumps([self.calls, self.found, self.tried]).encode()
            except BaseException:
                data = b"[[], [], 0]"
            with os.fdopen(w, "wb") as f:
                f.write(data)
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            data = f.read()
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and data:
            calls, found, tried = json.loads(data)
            return self._merge(calls, found, tried)
        self._merge([], [], 0, {"unit": label, "call": self._last_try(), "status": status})

    def _last_try(self):
        self.journal.flush()
        with open(self.journal.name) as f:
            lines = [line for line in f if line.startswith("try\t")]
        return lines[-1].split("\t", 1)[1].rstrip("\n") if lines else None

    # -- what to try -----------------------------------------------------------------------------
    def targets(self):
        """(code, object) of the module's public callables and one level of public submodules."""
        mod = sys.modules[self.module]
        out, subs = [], []
        for name in sorted(n for n in dir(mod) if not n.startswith("_") and n not in DENY):
            try:
                attr = getattr(mod, name)
            except Exception:
                continue
            if isinstance(attr, types.ModuleType):
                if attr.__name__.startswith(self.module + ".") and len(subs) < SUBMODULES:
                    subs.append((name, attr))
            elif callable(attr):
                out.append((f"{self.alias}.{name}", attr))
                if hasattr(attr, "nin") and hasattr(attr, "at"):  # a ufunc: its methods too
                    out += [(f"{self.alias}.{name}.{m}", getattr(attr, m)) for m in ("at", "reduce", "accumulate",
                                                                                   "outer")]
        for sname, sub in subs:
            for name in sorted(n for n in dir(sub) if not n.startswith("_") and n not in DENY):
                attr = getattr(sub, name, None)
                if callable(attr) and not isinstance(attr, types.ModuleType):
                    out.append((f"{self.alias}.{sname}.{name}", attr))
        return out

    @staticmethod
    def parameters(obj):
        """The names a callable takes by keyword: its signature's, else those of the numpydoc
        "Parameters" section of its docstring (ufuncs, many builtins)."""
        try:
            return [p.name for p in inspect.signature(obj).parameters.values()
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        except (TypeError, ValueError):
            pass
        doc = getattr(obj, "__doc__", None)
        if not isinstance(doc, str):
            return []
        m = re.search(r"^\s*Parameters\n\s*-{3,}\n(.*?)(?:^\s*\w[\w ]*\n\s*-{3,}\n|\Z)", doc, re.M | re.S)
        names = []
        for line in (m.group(1) if m else "").splitlines():
            head = re.match(r"^\s*(\w+(?:\s*,\s*\w+)*)\s*:", line)
            if head:
                names += [n.strip() for n in head.group(1).split(",")]
        return list(dict.fromkeys(names))

    def keyword_calls(self, code, obj, worked, receiver=None):
        """Calls of code with one keyword argument added to an argument list that worked (of a
        method: its receiver's name first among the objects it uses)."""
        rng = random.Random(f"{self.seed}:{code}:kw")
        params = [p for p in self.parameters(obj) if p in KEYWORDS]
        pairs = [(args, p, v) for args in worked for p in params for v in KEYWORDS[p]
                 if p != "out" or v not in args]
        rng.shuffle(pairs)
        kept = 0
        for args, p, v in pairs[:KW_TRIES]:
            if kept >= KW_KEEP:
                break
            uses = ([receiver] if receiver else []) + list(args) + [v for v in (v,) if v in self.pool]
            call = f"{code}({', '.join(args)}{', ' if args else ''}{p}={v})"
            try:
                result, mutated = self.attempt(call, list(dict.fromkeys(uses)))
            except _Skip:
                continue
            name = code.rsplit(".", 1)[-1] if code != receiver else "__call__"
            in_place = name in IN_PLACE if receiver else name in IN_PLACE_FUNCTIONS
            role = "mutator" if mutated or name.startswith(("set", "seed")) or in_place else "reader"
            written = ([receiver] if receiver else list(args[:1])) if in_place else []
            self.keep(call, list(dict.fromkeys(uses)), role, name if receiver else code, result, mutated + written)
            kept += 1

    def arglists(self, code, tries):
        """Candidate argument lists for one callable, the same for a given seed and code."""
        rng = random.Random(f"{self.seed}:{code}")
        names = sorted(self.pool)
        cands = [()] + [(n,) for n in names]
        rng.shuffle(cands)
        # the package's seeds alone first: an expression string for numexpr.evaluate, a Wavelet
        # for pywt's transforms, drawn out among thirty arrays otherwise
        seeds = [(n,) for n in names if self.pool[n][1] == "seed"]
        cands = seeds + [c for c in cands if c not in seeds]
        pairs = [(a, b) for a in names for b in names]
        triples = [tuple(rng.sample(names, 3)) for _ in range(tries)]
        out = cands[: tries // 2] + rng.sample(pairs, tries // 3) + triples[: tries - tries // 2 - tries // 3]
        return out[:tries]

    def derived_arglists(self, code, tries):
        """Argument lists that hold at least one of the module's own objects (the derived ones):
        a frame given to pd.concat, pd.merge or pd.isna; the same for a given seed and code."""
        rng = random.Random(f"{self.seed}:{code}:derived")
        ds, names = sorted(self.derived), sorted(self.pool)
        singles = [(d,) for d in ds]
        pairs = [(d, n) for d in ds for n in names + ds]
        rng.shuffle(singles)
        return singles + rng.sample(pairs, min(len(pairs), max(tries - len(singles), tries // 2)))

    def learn_callable(self, code, tries=TRIES, derived=False):
        kept, arities, worked = 0, {}, []
        for args in (self.derived_arglists(code, tries) if derived else self.arglists(code, tries)):
            if kept >= KEEP:
                break
            if arities.get(len(args), 0) >= 2:
                continue
            call = f"{code}({', '.join(args)})"
            try:
                result, mutated = self.attempt(call, args)
            except _Skip:
                continue
            name = code.rsplit(".", 1)[-1]
            in_place = name in IN_PLACE_FUNCTIONS
            role = "mutator" if mutated or name.startswith(("set", "seed")) or in_place else "reader"
            self.keep(call, args, role, code, result, mutated + list(args[:1] if in_place else []))
            kept += 1
            arities[len(args)] = arities.get(len(args), 0) + 1
            worked.append(args)
        if derived:
            return
        try:
            obj = eval(code, dict(self.base))
        except Exception:
            return
        self.keyword_calls(code, obj, worked)

    def learn_receiver(self, name):
        """Methods and attributes of one object: readers, setters (x.a = x.a), methods, and
        calls of the object itself when it is callable (a compiled expression, a fitted model)."""
        try:
            obj = self._objects([name])[name]
        except Exception:
            return
        if callable(obj) and not isinstance(obj, type):
            self.learn_method(name, None, obj)
        for attr in sorted(a for a in dir(type(obj)) if not a.startswith("_") and a not in DENY):
            code = f"{name}.{attr}"
            try:
                value = getattr(obj, attr)
            except Exception:
                continue
            if callable(value):
                self.learn_method(name, attr, value)
                continue
            try:
                self.attempt(code, [name])
                self.keep(code, [name], "reader", f"{type(obj).__name__}.{attr}")
                self.attempt(f"{code} = {code}", [name], statement=True)
                self.keep(f"{code} = {code}", [name], "mutator", f"{type(obj).__name__}.{attr} (set)", mutates=[name])
            except _Skip:
                continue

    def learn_method(self, name, attr, method=None):
        """Calls of one method of an object (attr None: of the object itself)."""
        code = f"{name}.{attr}" if attr else name
        kept, worked = 0, []
        for args in self.arglists(code, METHOD_TRIES):
            if kept >= KEEP - 1:
                break
            call = f"{code}({', '.join(args)})"
            try:
                result, mutated = self.attempt(call, (name,) + tuple(a for a in args if a != name))
            except _Skip:
                continue
            uses = [name] + [a for a in args if a != name]
            self.keep(call, uses, "mutator" if mutated or attr in IN_PLACE else "reader", attr or "__call__", result,
                      mutated + ([name] if attr in IN_PLACE else []))
            if attr:
                self._fitted(call, name, attr, result, mutated, uses)
            kept += 1
            worked.append(args)
        if method is not None:
            self.keyword_calls(code, method, worked, receiver=name)

    def learn_statements(self, name):
        """Item assignment and in-place operators on one array, and its text forms."""
        values = [v for v, (_, kind) in sorted(self.pool.items()) if kind == "scalar"][:3] + ["f8", "ix"]
        for value in values:
            for code in (f"{name}[0] = {value}", f"{name}[...] = {value}", f"{name}[::2] = {value}"):
                self._try_statement(code, [name, value])
            for op in ("iadd", "imul"):
                self._try_statement(f"operator.{op}({name}, {value})", [name, value])
        for fn in ("repr", "str"):
            try:
                self.attempt(f"{fn}({name})", [name])
                self.keep(f"{fn}({name})", [name], "reader", fn)
            except _Skip:
                pass

    def _try_statement(self, code, uses):
        uses = list(dict.fromkeys(uses))
        try:
            _, mutated = self.attempt(code, uses, statement=True)
        except _Skip:
            return
        if mutated:
            self.keep(code, uses, "mutator", code.split("(")[0] if code.startswith("operator.") else "setitem",
                      mutates=mutated)

    def run(self):
        targets = self.targets()
        # NumPy's hunt learns the pool's arrays as receivers; another module's hunt takes them as
        # arguments only and learns its own objects: its seeds and what its calls return
        kinds = ("array", "other", "seed") if self.module == "numpy" else ("seed",)
        receivers = [n for n, (_, kind) in sorted(self.pool.items()) if kind in kinds]
        if self.only:  # these callables, no receivers: a close look, for tests and for a bug's neighbours
            targets, receivers = [t for t in targets if t[0] in self.only], []
        if self.limit:  # a seeded sample: a quick look, for tests
            rng = random.Random(self.seed)
            targets = sorted(rng.sample(targets, min(self.limit, len(targets))), key=lambda t: t[0])
            receivers = sorted(rng.sample(receivers, min(max(1, self.limit // 20), len(receivers))))
        self.units_planned = len(targets) + sum(2 if self.pool[n][1] == "array" else 1 for n in receivers)
        for code, _ in targets:
            self.isolated(code, self.learn_callable, code)
        for name in receivers:
            self.isolated(name, self.learn_receiver, name)
            if self.pool[name][1] == "array":
                self.isolated(f"{name} statements", self.learn_statements, name)
        # the module's own objects the calls returned, and those their methods return in turn
        learned = set()
        while True:
            todo = [n for n in self.derived if n not in learned and n not in self.lists]
            if not todo:
                break
            self.units_planned += len(todo)
            for name in todo:
                learned.add(name)
                self.isolated(name, self.learn_receiver, name)
        # the module's callables again, given its own objects (a DataFrame to pd.concat): not for
        # NumPy, whose own objects are the pool's arrays
        if self.derived and self.module != "numpy":
            self.units_planned += len(targets)
            for code, _ in targets:
                self.isolated(f"{code} with derived", self.learn_callable, code, TRIES // 2, True)

    def _type_name(self, name):
        try:
            t = type(self._objects([name])[name])
        except Exception:
            return None
        return f"{t.__module__}.{t.__qualname__}"

    def result(self):
        objects = {n: {"expr": e, "kind": k, "type": self._type_name(n)} for n, (e, k) in self.pool.items()}
        for n, (e, tname, uses) in self.derived.items():
            objects[n] = {"expr": e, "kind": "derived", "type": tname.split(" after ")[0], "needs": self.closure([n])[:-1]}
            if " after " in tname:
                objects[n]["state"] = "after " + tname.split(" after ", 1)[1]
        mod = sys.modules[self.module]
        np = _numpy()
        return {"module": self.module, "version": getattr(mod, "__version__", None),
                "numpy": np.__version__ if np is not None else None, "python": sys.version.split()[0],
                "seed": self.seed, "imports": _imports(self.module), "objects": objects, "tried": self.tried,
                "limit": self.limit, "only": self.only, "calls": self.calls, "crashes": self.crashes,
                "units": {"done": self.units_done, "planned": self.units_planned}}


def learn(argv):
    p = argparse.ArgumentParser(prog="ftsan_hunt learn")
    p.add_argument("module")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--journal", required=True)
    p.add_argument("--limit", type=int, help="learn this many of the module's callables (a seeded sample)")
    p.add_argument("--only", help="learn only these callables (comma-separated, as called: np.repeat)")
    p.add_argument("--units", help="a JSON line per unit learned: an earlier learning's units are taken, not learned again")
    p.add_argument("--seeds", help="the package's seed objects, a JSON object of name -> expression")
    a = p.parse_args(argv)
    __import__(a.module)
    learner = Learner(a.module, a.seed, a.journal, a.limit, a.only and a.only.split(","), a.units, a.out,
                      json.loads(a.seeds) if a.seeds else None)
    learner.run()
    learner.write(complete=True)
    learner.journal.write("done\n")
    return 0


# -- in a run ----------------------------------------------------------------------------------
def case_objects(path, seed):
    """The objects of case `seed` of a cases file, built by its imports and expressions: what the
    threads of the run share. The case's calls are inline in the batch's role bodies."""
    with open(path) as f:
        case = json.load(f)["cases"][str(seed)]
    ns = {}
    exec(case["imports"], ns)
    for name, expr in case["objects"]:
        ns[name] = eval(expr, ns)
    return {k: v for k, v in ns.items() if k != "__builtins__"}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "learn":
        sys.exit("usage: python -m ftsan_hunt learn MODULE --seed S --out FILE --journal FILE")
    sys.exit(learn(sys.argv[2:]))
