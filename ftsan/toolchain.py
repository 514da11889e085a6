"""The toolchain of a run: a free-threaded CPython built with one sanitizer, and an environment
on it holding NumPy and a scenario's packages, built or found by the leaf builder
(toolchain/toolchain.sh) and described in the environment's toolchain.json.

This module is the one home of:
- getting a toolchain: resolve() calls the builder with the variables that choose it, then
  describes what it printed; the harness and a scenario's kernels are built through it too
  (Toolchain.harness_binary, Toolchain.kernels), with every value on the builder's command line;
- toolchain.json: its fields and their types (FIELDS), its writer (describe, the interpreter
  answering for itself) and its reader (Toolchain.load), which checks every field's type and
  names the file and the key of a bad one. The harness reads the same file (harness/tc.c);
- the environment of a sanitized process the tools start themselves (Toolchain.process_env):
  named variables of the caller's, the scenario's env, and the sanitizer options the harness
  gives its own runs (`scntool sanopts`, from harness/plan.c).

The builders are leaves: they get named variables (harness.environ) and print a path; they call
nothing above them."""
import json
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass, fields

from . import Error, harness
from .harness import ROOT, atomic_write

# The description's file name, in the environment's directory.
DESCRIPTION = "toolchain.json"
# The version of toolchain.json's layout: a file of another (or none) is written anew.
SCHEMA = 5

# Written by the interpreter itself (describe); prints what it knows of itself as JSON.
INTERPRETER_FACTS = r"""
import json, os, site, sys, sysconfig
v = sysconfig.get_config_var
try:
    import numpy
    numpy_version, numpy_dir = numpy.__version__, os.path.dirname(numpy.__file__)
except ImportError:
    numpy_version = numpy_dir = None
json.dump({
    "python": os.path.join(sys.prefix, "bin", "python"),
    "base_executable": os.path.realpath(sys._base_executable),
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "version": sys.version.split()[0],
    "abiflags": sys.abiflags,
    "stdlib": sysconfig.get_path("stdlib"),
    "platstdlib": sysconfig.get_path("platstdlib"),
    "site_packages": site.getsitepackages(),
    "include": sysconfig.get_path("include"),
    "libpython_static": os.path.join(v("LIBPL"), v("LIBRARY")),
    "link_libs": " ".join(x for x in (v("LIBS"), v("SYSLIBS"), v("MODLIBS")) if x),
    "config_args": v("CONFIG_ARGS"),
    "gil_disabled": bool(v("Py_GIL_DISABLED")),
    "numpy_version": numpy_version,
    "numpy_dir": numpy_dir,
    "pydebug": hasattr(sys, "gettotalrefcount"),
}, sys.stdout)
"""

SANITIZER_FLAGS = {"tsan": "-fsanitize=thread", "asan": "-fsanitize=address", "none": ""}
# A sanitized process asked a question, not run for its reports: none at all (ours win), its
# exit status its own (TSan would make it 66 for a report it did not print), and its forked
# children free to start threads (TSan kills a child of a threaded parent that does: the hunt's
# learner forks a child a unit, and numexpr's pool starts its threads again in it).
QUIET = {"TSAN_OPTIONS": "report_bugs=0:exitcode=0:die_after_fork=0", "ASAN_OPTIONS": "detect_leaks=0"}


@dataclass(frozen=True)
class Toolchain:
    """toolchain.json. The harness reads python, version, sanitizer, numpy_version,
    tsan_suppressions, cc, pydebug, numpy_source, gil_disabled, prefix, base_prefix, symbolizer
    pyx_lines, coverage and sources (harness/tc.c, plan.c) and copies the whole into run.json."""
    schema: int
    python: str                  # the environment's interpreter: sys.executable of the runs
    base_executable: str
    prefix: str                  # the environment
    base_prefix: str             # the CPython build
    version: str                 # CPython's
    abiflags: str
    stdlib: str
    platstdlib: str
    site_packages: list
    include: str
    libpython_static: str
    link_libs: str
    config_args: str
    gil_disabled: bool
    pydebug: bool                # configured --with-pydebug
    sanitizer: str               # tsan, asan or none
    sanitizer_flags: str
    cc: str
    setarch: bool                # sanitized programs run under `setarch -R` (the TSan probe)
    symbolizer: str | None
    pyx_lines: str | None        # the .pyx line maps of NumPy's Cython code (toolchain/pyxlines.py), if kept
    coverage: str | None         # COVERAGE=1: the flags NumPy and kernels were built with besides the sanitizer's
    tsan_suppressions: str | None    # CPython's own, for exactly this source
    numpy_version: str | None
    numpy_dir: str | None
    numpy_build_requires: list | None    # NumPy's build requirements as resolved (absent for a wheel)
    numpy_build: dict | None     # how NumPy was built: meson options, the interpreter of its Python steps, the time
    numpy_source: dict | None    # NUMPY_SRC: the tree, its commit and dirtiness, its state, the build's time
    sources: list                # SRC: per package, numpy_source's fields and its name, version, build
                                 # system and the parts not instrumented (toolchain/env.sh, env__pkg)
    packages: list               # installed beside NumPy
    packages_from_source: list   # those of them built from their sdists with the sanitizer

    @classmethod
    def from_dict(cls, d, where):
        """A Toolchain from toolchain.json's object (or run.json's copy of it); a missing key or
        a value of the wrong type is an Error naming where and the key."""
        if not isinstance(d, dict):
            raise Error(f"{where}: not a JSON object", 3)
        values = {}
        for f in fields(cls):
            if f.name not in d:
                raise Error(f"{where}: no key '{f.name}' (a toolchain description older than this checkout: "
                            "make toolchain writes it anew)", 3)
            v, types = d[f.name], _types(f.type)
            if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
                raise Error(f"{where}: key '{f.name}' is {type(v).__name__} {v!r}, not "
                            f"{' or '.join(t.__name__ for t in types)}", 3)
            values[f.name] = v
        return cls(**values)

    @classmethod
    def load(cls, path):
        """toolchain.json at path, checked."""
        return cls.from_dict(harness.load_json(path, "the toolchain description", 3), path)

    @classmethod
    def of(cls, env_dir):
        """The description of the environment env_dir (a run.json's toolchain prefix)."""
        return cls.load(os.path.join(env_dir, DESCRIPTION))

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def json_path(self):
        return os.path.join(self.prefix, DESCRIPTION)

    def argv(self, argv):
        """argv as a sanitized program of this toolchain runs (sanitized_argv)."""
        return sanitized_argv(argv, self.setarch)

    # -- the environment of a sanitized process ---------------------------------------------------
    def process_env(self, logs=None, env=None, kernels=(), preload=(), quiet=False, suppressions=None):
        """The environment of a sanitized process the tools start themselves (a program, the
        toolchain's interpreter answering a question): the caller's named variables for runs
        (harness.environ), env (a scenario's), the GIL off, kernels on PYTHONPATH, preload in
        LD_PRELOAD, and the sanitizer options the harness gives its runs, evidence into logs
        (`scntool sanopts`: the user's options first), with CPython's suppressions or the file
        suppressions. quiet: no reports at all, for an answer."""
        out = dict(harness.environ("system", "run"), **(env or {}), PYTHON_GIL="0")
        if quiet:
            out.update(QUIET)
        else:
            args = (["--dir", logs] if logs else []) + \
                (["--suppressions", suppressions or self.tsan_suppressions]
                 if suppressions or self.tsan_suppressions else []) + \
                (["--symbolizer", self.symbolizer] if self.symbolizer else [])
            for line in harness.scntool("sanopts", *args, doing="assembling the sanitizer options").splitlines():
                k, _, v = line.partition("=")
                out[k] = v
        if kernels:
            out["PYTHONPATH"] = ":".join(list(kernels) + ([out["PYTHONPATH"]] if out.get("PYTHONPATH") else []))
        if preload:
            out["LD_PRELOAD"] = ":".join(list(preload) + ([out["LD_PRELOAD"]] if out.get("LD_PRELOAD") else []))
        return out

    # -- what is built on it ------------------------------------------------------------------------
    def harness_binary(self):
        """The harness for this CPython build and sanitizer, built when stale (toolchain/harness.sh)."""
        name = f"{os.path.basename(self.base_prefix)}-{self.sanitizer}"
        return builder(["bash", "toolchain/harness.sh", name, self.cc, self.sanitizer_flags, self.include,
                        self.libpython_static, self.link_libs], self.builder_env(), "the harness's build")

    def kernels(self, scenario):
        """A scenario's compiled kernels (build:), built when their source changed
        (toolchain/kernel.sh): (directories for sys.path, libraries for LD_PRELOAD)."""
        kernels, preload = [], []
        for line in harness.scntool("build", scenario).splitlines():
            kind, _, src = line.partition(" ")
            if not kind:
                continue
            d = self.kernel(kind, os.path.join(os.path.dirname(scenario), src))
            if kind == "preload":
                preload.append(os.path.join(d, os.path.splitext(os.path.basename(src))[0] + ".so"))
            else:
                kernels.append(d)
        return kernels, preload

    def kernel(self, kind, src):
        """One compiled kernel (c, cython, pythran, preload) of the source file src: its directory."""
        flags = " ".join(f for f in (self.sanitizer_flags, self.coverage) if f)
        return builder(["bash", "toolchain/kernel.sh", kind, src, self.python, self.sanitizer, flags,
                        self.cc], self.builder_env(), f"the {kind} kernel {os.path.basename(src)}")

    def builder_env(self):
        return dict(harness.environ("system", "build"), TC_SETARCH="1" if self.setarch else "0")


def sanitized_argv(argv, setarch):
    """argv as a sanitized program runs: under `setarch -R` where the builder's probe said TSan
    needs it."""
    return (["setarch", os.uname().machine, "-R"] if setarch else []) + list(argv)


def _types(t):
    """The Python types a field's annotation allows (str | None -> (str, NoneType))."""
    args = getattr(t, "__args__", None)
    return tuple(type(None) if a is type(None) else a for a in args) if args else (t,)


def builder(argv, env, what):
    """A leaf builder's printed path (its last line; its earlier lines are returned by
    builder_lines); its progress goes to the user's stderr. A failure ends the command with the
    builder's status (2: a bad value, 3: a build that failed)."""
    return builder_lines(argv, env, what)[-1]


def builder_lines(argv, env, what):
    r = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Error(f"{what} failed ({harness.ended(r.returncode, shell=True)})", 2 if r.returncode == 2 else 3)
    lines = r.stdout.strip().splitlines()
    if not lines:
        raise Error(f"{what} printed no path", 3)
    return lines


def resolve(packages=(), from_source=(), variables=None):
    """The toolchain the variables choose (make's: PY, SAN, NUMPY, ...; by default this
    process's), with packages installed beside NumPy and from_source of them built with the
    sanitizer: built or reused by toolchain/toolchain.sh, described when its description is
    missing or stale."""
    env = harness.environ("system", "build", base=variables)
    # a package a source tree gives (SRC) is not installed from the index beneath it
    trees = source_names(env.get("SRC", ""))
    packages = [p for p in packages if _dist_name(p) not in trees]
    from_source = [p for p in from_source if _dist_name(p) not in trees]
    env.update(PACKAGES=" ".join(packages), PACKAGES_FROM_SOURCE=" ".join(from_source))
    lines = builder_lines(["bash", "toolchain/toolchain.sh"], env, "the toolchain")
    facts = dict(line.split("=", 1) for line in lines[:-1] if "=" in line)
    return describe(lines[-1], facts)


def _dist_name(requirement):
    """A requirement's distribution name, normalized (PEP 503): 'Foo_Bar>=1' -> 'foo-bar'."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() if m else requirement


def source_names(src):
    """The packages SRC builds from source trees ("pandas=../pandas ../numexpr"), normalized; a
    bare directory is named by its pyproject.toml. The builder checks the rest (toolchain.sh)."""
    names = set()
    for item in src.split():
        name, eq, tree = item.partition("=")
        if not eq:
            try:
                with open(os.path.join(item, "pyproject.toml"), "rb") as f:
                    name = tomllib.load(f)["project"]["name"]
            except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
                continue
        names.add(_dist_name(name))
    return names


def describe(python, facts):
    """toolchain.json of the environment whose interpreter is python, written when missing or
    made by another layout or other builder facts (facts: toolchain.sh's sanitizer, cc, setarch,
    symbolizer); the interpreter answers for itself, the environment's files say how NumPy and
    the packages were installed. Written atomically: two runs describing at once both succeed."""
    env_dir = os.path.dirname(os.path.dirname(python))
    path = os.path.join(env_dir, DESCRIPTION)
    san = facts.get("sanitizer", "")
    if san not in SANITIZER_FLAGS:
        raise Error(f"the toolchain's builder gave no sanitizer (printed: {facts})", 3)
    want = {"schema": SCHEMA, "sanitizer": san, "cc": facts.get("cc", ""), "setarch": facts.get("setarch") == "1",
            "symbolizer": facts.get("symbolizer") or None, "coverage": facts.get("coverage") or None,
            "pyx_lines": os.path.join(env_dir, "pyx-lines") if os.path.isdir(os.path.join(env_dir, "pyx-lines")) else None}
    try:
        with open(path) as f:
            old = json.load(f)
        if all(old.get(k) == v for k, v in want.items()):
            return Toolchain.from_dict(old, path)
    except (OSError, ValueError):
        pass
    argv = [python, "-c", INTERPRETER_FACTS]
    quiet = dict(harness.environ("system"), **QUIET)
    r = subprocess.run(sanitized_argv(argv, want["setarch"]), capture_output=True, text=True, env=quiet)
    if r.returncode != 0:
        raise harness.tool_error("the toolchain's interpreter", argv, r.returncode, r.stderr,
                                 "describing itself for toolchain.json")
    d = json.loads(r.stdout)
    supp = os.path.join(d["base_prefix"], "share", "ftsan", "tsan", "suppressions_free_threading.txt")

    def env_file(name, read):
        p = os.path.join(env_dir, name)
        if not os.path.exists(p):
            return None
        with open(p) as fh:
            return read(fh)

    d.update(want, sanitizer_flags=SANITIZER_FLAGS[san], tsan_suppressions=supp if os.path.exists(supp) else None,
             numpy_build_requires=env_file("numpy-build-requires.txt", lambda fh: fh.read().split()),
             numpy_build=env_file("numpy-build.json", json.load),
             numpy_source=env_file("numpy-source.json", json.load),
             sources=env_file("sources.json", json.load) or [],
             packages=env_file("packages.txt", lambda fh: fh.read().split()) or [],
             packages_from_source=env_file("packages-from-source.txt", lambda fh: fh.read().split()) or [])
    tc = Toolchain.from_dict(d, f"the description of {env_dir}")
    atomic_write(path, json.dumps(tc.to_dict(), indent=2, sort_keys=True) + "\n")
    return tc


def main(argv):
    """`make toolchain` (`python3 -m ftsan toolchain [--json]`): the toolchain the variables
    choose, built or reused; prints the interpreter's path (with --json, toolchain.json's)."""
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m ftsan toolchain", description=main.__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print toolchain.json's path instead of the interpreter's")
    a = ap.parse_args(argv)
    tc = resolve(os.environ.get("PACKAGES", "").split(), os.environ.get("PACKAGES_FROM_SOURCE", "").split())
    print(tc.json_path if a.json else tc.python)
    return 0
