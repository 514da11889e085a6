"""Download one sdist from the package index, by name and exact version, checked against the
index's sha256, without building anything.

`pip download --no-binary` cannot do this: it prepares the sdist's metadata, which for a
meson-python project means building it (and its build requirements) from source first.

Usage: fetch_sdist.py NAME VERSION DEST_DIR; prints the file's path.
The index is pip's (PIP_INDEX_URL, `pip config`), else PyPI; PEP 691 JSON or PEP 503 HTML."""
import hashlib
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
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


def main():
    name, version, dest = sys.argv[1:4]
    norm = re.sub(r"[-_.]+", "-", name).lower()
    page = f"{index_url()}/{norm}/"
    files = list_files(page)
    want = {f"{n}-{version}.tar.gz" for n in (name, norm, norm.replace("-", "_"))}
    found = [f for f in files if f["filename"] in want]
    if not found:
        sys.exit(f"fetch_sdist: no sdist of {name} {version} on {page}")
    f = found[0]
    sha = f["hashes"].get("sha256")
    if not sha:
        sys.exit(f"fetch_sdist: {page} gives no sha256 for {f['filename']}")
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
            sys.exit(f"fetch_sdist: sha256 mismatch for {f['filename']}: got {h.hexdigest()}, index says {sha}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(final)


if __name__ == "__main__":
    main()
