"""What a library promises is safe to share between threads, and what it leaves to the caller
(known/contracts.json, one entry a module): the hunt judges each generated case by it.

A case breaks the contract when one of its threads runs a call that the entry's `caller` rules
name: a setter of an attribute ("calls": "setters", `a.shape = a.shape`) or any write ("calls":
"writes": what the learner saw the call change, the receiver of an in-place method, the first
argument of an in-place function) of an object whose type the rule lists. Every thread of a
case shares every object of it, so such a call is always on an object other threads use. A race
seen only in cases that break the contract is the caller's by the library's own documentation:
reported apart, never counted as the library's."""
import ast
import fnmatch
import os
import re

from . import Error
from .harness import ROOT, load_json

PATH = os.path.join(ROOT, "known", "contracts.json")
SETTER = re.compile(r"(\w+)\.(\w+) = \1\.\2")   # a learned attribute setter: x.attr = x.attr


class Contract:
    def __init__(self, module, entry, path):
        where = f"{path}: {module}"
        if not isinstance(entry, dict) or not isinstance(entry.get("caller", []), list):
            raise Error(f"{where}: an entry is an object with a list 'caller'", 2)
        self.module, self.summary, self.docs = module, entry.get("summary", ""), entry.get("docs", [])
        # seed objects the hunt's learner adds to its pool (name -> expression): what the
        # package's documentation says its users share, which the learner would not build itself
        self.seeds = entry.get("seeds", {})
        if not isinstance(self.seeds, dict) or not all(isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                                                       for k, v in self.seeds.items()):
            raise Error(f"{where}: key 'seeds' is an object of names -> Python expressions", 2)
        self.rules = []
        for i, r in enumerate(entry.get("caller", [])):
            at = f"{where}: caller[{i}]"
            if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not isinstance(r.get("what"), str):
                raise Error(f"{at}: a rule has a string 'id' and 'what'", 2)
            if r.get("calls") not in ("setters", "writes"):
                raise Error(f"{at}: key 'calls' is 'setters' or 'writes', got {r.get('calls')!r}", 2)
            if not isinstance(r.get("types"), list) or not all(isinstance(t, str) for t in r["types"]):
                raise Error(f"{at}: key 'types' is a list of type names ('numpy.ndarray', 'numpy.random.*')", 2)
            self.rules.append(r)

    @classmethod
    def load(cls, module, path=PATH):
        """The module's entry (its top-level package's), or an empty contract: every race counts.
        An entry's "extends" names other entries whose caller rules hold too (a pandas case
        shares the pool's NumPy arrays, whose writes NumPy's contract leaves to the caller)."""
        doc = load_json(path, "the contracts", 2)
        if not isinstance(doc, dict):
            raise Error(f"{path}: an object of module names", 2)
        top = module.split(".")[0]
        c = cls(top, doc.get(top, {}), path)
        extends = doc.get(top, {}).get("extends", []) if isinstance(doc.get(top), dict) else []
        if not isinstance(extends, list) or not all(isinstance(e, str) and e in doc for e in extends):
            raise Error(f"{path}: {top}: key 'extends' is a list of the file's other entries", 2)
        for e in extends:
            c.rules += cls(e, doc[e], path).rules
        return c

    @staticmethod
    def _typed(name, types, objects):
        t = objects.get(name, {}).get("type") or ""
        return any(fnmatch.fnmatchcase(t, p) for p in types)

    def judge_call(self, call, objects):
        """The first caller rule a learned call breaks, as {"rule", "call", "object"}, or None.
        objects: the learning's objects (name -> {"type", ...})."""
        if call.get("role") != "mutator":
            return None
        m = SETTER.fullmatch(call["code"])
        for r in self.rules:
            if r["calls"] == "setters":
                names = [m.group(1)] if m else []
            else:
                names = [] if m else call.get("mutates", [])
            hit = next((n for n in names if self._typed(n, r["types"], objects)), None)
            if hit:
                return {"rule": r["id"], "call": call["code"], "object": hit}
        return None

    def judge_case(self, codes, calls, objects):
        """What of a case's calls (their code) breaks the contract: a list of judge_call's answers."""
        out = []
        for code in codes:
            got = self.judge_call(calls[code], objects) if code in calls else None
            if got:
                out.append(got)
        return out

    def caller_frames(self, *signatures):
        """Whether a signature names a frame the contract lists as the library doing the caller's
        write (its rules' "frames": array_shape_set, array_setflags, ...)."""
        frames = [f for r in self.rules for f in r.get("frames", [])]
        return any(f in s for s in signatures for f in frames)

    def rule(self, rid):
        return next((r for r in self.rules if r["id"] == rid), None)

    def static_rules(self, node, shared):
        """The caller rules one statement or call of a role's code breaks on a shared name: an
        attribute of the rule's "attributes" set, an item assigned, an in-place operator, a method
        of its "methods", a function of its "functions" given the name first, out= naming it."""
        hits = []
        for r in self.rules:
            if r["calls"] == "setters" and isinstance(node, ast.Assign):
                hits += [r["id"] for t in node.targets if isinstance(t, ast.Attribute) and _name(t.value) in shared
                         and t.attr in r.get("attributes", [])]
            elif r["calls"] == "writes" and isinstance(node, ast.Assign):
                hits += [r["id"] for t in node.targets if isinstance(t, ast.Subscript) and _name(t.value) in shared]
            elif r["calls"] == "writes" and isinstance(node, ast.AugAssign):
                target = node.target.value if isinstance(node.target, ast.Subscript) else node.target
                hits += [r["id"]] if _name(target) in shared else []
            elif r["calls"] == "writes" and isinstance(node, ast.Call):
                f = node.func
                called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if (isinstance(f, ast.Attribute) and _name(f.value) in shared and called in r.get("methods", [])) or \
                        (called in r.get("functions", []) and node.args and _name(node.args[0]) in shared) or \
                        any(k.arg == "out" and _name(k.value) in shared for k in node.keywords):
                    hits.append(r["id"])
        return list(dict.fromkeys(hits))


def _name(node):
    return node.id if isinstance(node, ast.Name) else None


def _shared_names(setup_tree):
    """The names a scenario's setup binds at its top level: what its threads share."""
    names = set()
    for node in setup_tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def judge_scenario(scn, path=PATH):
    """What of a scenario's roles (or its body) breaks the contract of a module its setup imports,
    judged by their code: [{"module", "rule", "what", "role", "line", "code"}]. scn: `scntool
    json`'s object of the scenario."""
    try:
        setup = ast.parse(scn.get("setup") or "")
    except SyntaxError:
        return []
    modules = sorted({a.name.split(".")[0] for n in ast.walk(setup) if isinstance(n, ast.Import) for a in n.names} |
                     {n.module.split(".")[0] for n in ast.walk(setup) if isinstance(n, ast.ImportFrom) and n.module})
    shared = _shared_names(setup)
    bodies = [(r["name"], r["body"]) for r in scn.get("roles") or []] or [("body", scn.get("body") or "")]
    out = []
    for module in modules:
        c = Contract.load(module, path)
        for role, body in bodies if c.rules else []:
            try:
                code = ast.parse(body)
            except SyntaxError:
                continue
            lines = body.splitlines()
            for node in ast.walk(code):
                for rid in c.static_rules(node, shared):
                    out.append({"module": c.module, "rule": rid, "what": c.rule(rid)["what"], "role": role,
                                "line": node.lineno, "code": lines[node.lineno - 1].strip()})
    return out

