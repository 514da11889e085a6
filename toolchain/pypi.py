"""The package index, as the toolchain needs it: sdists, releases, and build requirements.

  pypi.py sdist NAME VERSION DEST_DIR   download one sdist, checked against the index's sha256,
                                        without building anything; prints the file's path
  pypi.py latest NAME                   the newest final release that has an sdist
  pypi.py has-wheel NAME VERSION ABI MACHINE   exit 0 when a manylinux wheel for that ABI
                                        (cp313t) and machine (x86_64) is on the index
  pypi.py requires SOURCE               [build-system] requires of an sdist or a source tree
  pypi.py backend TREE                  the build backend of a source tree, by its module (mesonpy,
                                        scikit_build_core.build, setuptools.build_meta, ...)
  pypi.py resolve PYTHON OUT REQ...     pin REQ... (and what they need) for the interpreter
                                        PYTHON, as pip would install them today; writes OUT

`pip download --no-binary` cannot fetch an sdist: it prepares the sdist's metadata, which for a
meson-python project means building it (and its build requirements) from source first.
The index is pip's (PIP_INDEX_URL, `pip config`), else PyPI; PEP 691 JSON or PEP 503 HTML."""
import hashlib
import html.parser
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request


def index_url():
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        try:
            url = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                                 capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            url = ""
    return (url or "https://pypi.org/simple").rstrip("/")


class _Links(html.parser.HTMLParser):
    """PEP 503: <a href="URL#sha256=HEX">FILENAME</a>."""

    def __init__(self):
        super().__init__()
        self.files, self._href = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href:
            url, _, frag = self._href.partition("#")
            algo, _, digest = frag.partition("=")
            self.files.append({"filename": data.strip(), "url": url,
                               "hashes": {algo: digest} if digest else {}})
            self._href = None


def list_files(page):
    accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    with urllib.request.urlopen(urllib.request.Request(page, headers={"Accept": accept}), timeout=120) as r:
        body = r.read()
        if "json" in r.headers.get("Content-Type", ""):
            return json.loads(body)["files"]
    links = _Links()
    links.feed(body.decode("utf-8", "replace"))
    return links.files


def _page(name):
    norm = re.sub(r"[-_.]+", "-", name).lower()
    return norm, f"{index_url()}/{norm}/"


def releases(name):
    """Final releases (X.Y.Z) of NAME that have an sdist on the index, oldest first."""
    norm, page = _page(name)
    stems = {n.lower() for n in (name, norm, norm.replace("-", "_"))}
    vs = set()
    for f in list_files(page):
        m = re.fullmatch(r"(.+)-(\d+\.\d+\.\d+)\.tar\.gz", f["filename"])
        if m and m.group(1).lower() in stems:
            vs.add(m.group(2))
    return sorted(vs, key=version_key)


def version_key(v):
    return tuple(int(x) for x in v.split("."))


def sdist(name, version, dest):
    norm, page = _page(name)
    files = list_files(page)
    want = {f"{n}-{version}.tar.gz" for n in (name, norm, norm.replace("-", "_"))}
    found = [f for f in files if f["filename"] in want]
    if not found:
        sys.exit(f"pypi: no sdist of {name} {version} on {page}")
    f = found[0]
    sha = f["hashes"].get("sha256")
    if not sha:
        sys.exit(f"pypi: {page} gives no sha256 for {f['filename']}")
    os.makedirs(dest, exist_ok=True)
    final = os.path.join(dest, f["filename"])
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(urllib.parse.urljoin(page, f["url"]), timeout=300) as r:
            while chunk := r.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != sha:
            sys.exit(f"pypi: sha256 mismatch for {f['filename']}: got {h.hexdigest()}, index says {sha}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


def has_wheel(name, version, abi, machine):
    """Whether the index has a wheel of NAME VERSION for a CPython ABI tag such as cp313t on a
    glibc Linux machine (manylinux), e.g. NumPy publishes none for 3.13t from 2.5 on."""
    norm, page = _page(name)
    py = re.sub(r"[^0-9]", "", abi)
    pat = re.compile(rf"{re.escape(norm.replace('-', '_'))}-{re.escape(version)}-cp{py}-{re.escape(abi)}-"
                     rf"[^-]*manylinux[^-]*_{re.escape(machine)}\.whl", re.I)
    return any(pat.fullmatch(f["filename"]) for f in list_files(page))


# PEP 517's defaults for a tree without a [build-system] table (a setup.py alone).
LEGACY = {"requires": ["setuptools>=40.8.0"], "build-backend": "setuptools.build_meta:__legacy__"}


def build_system(source):
    """The [build-system] table of a source directory's pyproject.toml (PEP 517's defaults
    for a setup.py alone)."""
    path = os.path.join(source, "pyproject.toml")
    if not os.path.exists(path):
        if os.path.exists(os.path.join(source, "setup.py")):
            return dict(LEGACY)
        sys.exit(f"pypi: {source} has no pyproject.toml and no setup.py")
    with open(path, "rb") as fh:
        try:
            doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            sys.exit(f"pypi: {path}: {e}")
    table = doc.get("build-system")
    return dict(LEGACY, **table) if isinstance(table, dict) else dict(LEGACY)


def backend(source):
    """The build backend of a source directory, by its module: mesonpy, scikit_build_core.build,
    setuptools.build_meta, ..."""
    b = build_system(source).get("build-backend")
    if not isinstance(b, str):
        sys.exit(f"pypi: pyproject.toml of {source}: [build-system] build-backend is not a string")
    return b.partition(":")[0]


def requires(source):
    """[build-system] requires of pyproject.toml in an sdist (.tar.gz) or a source directory."""
    if os.path.isdir(source):
        reqs = build_system(source).get("requires")
        if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
            sys.exit(f"pypi: pyproject.toml of {source}: [build-system] requires is not a list of strings")
        return reqs
    with tarfile.open(source) as tar:  # read up to the member, not the whole archive
        top = next((m for m in tar if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")), None)
        if top is None:
            sys.exit(f"pypi: {source} has no pyproject.toml at its top")
        text = tar.extractfile(top).read()
    try:
        doc = tomllib.loads(text.decode("utf-8"))
    except tomllib.TOMLDecodeError as e:
        sys.exit(f"pypi: pyproject.toml of {source}: {e}")
    reqs = doc.get("build-system", {}).get("requires")
    if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
        sys.exit(f"pypi: pyproject.toml of {source}: [build-system] requires is not a list of strings")
    return reqs


def resolve(python, out, reqs):
    """Pins for REQS as pip resolves them today for PYTHON (its tags, its platform), from pip's
    installation report, written to OUT once: later builds read the file, never the index."""
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "report.json")
        subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--dry-run",
                        "--ignore-installed", "--report", report, *reqs], check=True)
        with open(report) as fh:
            items = json.load(fh)["install"]
    pins = sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in items)
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("".join(p + "\n" for p in pins))
    os.replace(tmp, out)
    return pins


def main():
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "sdist" and len(args) == 3:
        print(sdist(*args))
    elif cmd == "latest" and len(args) == 1:
        vs = releases(args[0])
        if not vs:
            sys.exit(f"pypi: no release of {args[0]} with an sdist on {_page(args[0])[1]}")
        print(vs[-1])
    elif cmd == "has-wheel" and len(args) == 4:
        sys.exit(0 if has_wheel(*args) else 1)
    elif cmd == "backend" and len(args) == 1:
        print(backend(args[0]))
    elif cmd == "requires" and len(args) == 1:
        print("\n".join(requires(args[0])))
    elif cmd == "resolve" and len(args) >= 3:
        print("\n".join(resolve(args[0], args[1], args[2:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
