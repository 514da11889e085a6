"""What a library promises is safe to share between threads, and what it leaves to the caller
(known/contracts.json, one entry a module): the hunt judges each generated case by it.

A case breaks the contract when one of its threads runs a call that the entry's `caller` rules
name: a setter of an attribute ("calls": "setters", `a.shape = a.shape`) or any write ("calls":
"writes": what the learner saw the call change, the receiver of an in-place method, the first
argument of an in-place function) of an object whose type the rule lists. Every thread of a
case shares every object of it, so such a call is always on an object other threads use. A race
seen only in cases that break the contract is the caller's by the library's own documentation:
reported apart, never counted as the library's."""
import fnmatch
import json
import os
import re

from . import Error
from .harness import ROOT

PATH = os.path.join(ROOT, "known", "contracts.json")
SETTER = re.compile(r"(\w+)\.(\w+) = \1\.\2")   # a learned attribute setter: x.attr = x.attr


class Contract:
    def __init__(self, module, entry, path):
        where = f"{path}: {module}"
        if not isinstance(entry, dict) or not isinstance(entry.get("caller", []), list):
            raise Error(f"{where}: an entry is an object with a list 'caller'", 2)
        self.module, self.summary, self.docs = module, entry.get("summary", ""), entry.get("docs", [])
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
        """The module's entry (its top-level package's), or an empty contract: every race counts."""
        try:
            with open(path) as f:
                doc = json.load(f)
        except OSError as e:
            raise Error(f"{path}: {e.strerror}", 2) from None
        except ValueError as e:
            raise Error(f"{path}: not JSON: {e}", 2) from None
        if not isinstance(doc, dict):
            raise Error(f"{path}: an object of module names", 2)
        top = module.split(".")[0]
        return cls(top, doc.get(top, {}), path)

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

    def rule(self, rid):
        return next((r for r in self.rules if r["id"] == rid), None)
