"""The state of a local source tree (NUMPY_SRC, SRC), for caching and incremental builds.

  srctree.py state TREE LAST_MANIFEST NEW_MANIFEST

Prints JSON: {"tree", "commit", "dirty", "state", "changed"}. The state is a digest of every
file's path and content: the files git would track (tracked and untracked, .gitignore
respected) and the submodules' commits in a git checkout, every file but .git, bytecode and
what a build in the tree writes (build/, *.egg-info, .o, .so) otherwise. Two trees with equal
content have equal states, whatever their timestamps.

NEW_MANIFEST gets one "sha256 path" line a file. Files whose content differs from
LAST_MANIFEST (the tree as last built) are listed in "changed" and have their modification
time set to now when it is not newer than the manifest: ninja decides what to rebuild from
timestamps, and a file restored by tar or cp -p carries an old one."""
import hashlib
import json
import os
import subprocess
import sys
import time


def git(tree, *args):
    r = subprocess.run(["git", "-C", tree, *args], capture_output=True, check=False)
    return r.stdout if r.returncode == 0 else None


def files(tree):
    out = git(tree, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if out is not None and git(tree, "rev-parse", "--show-toplevel") is not None:
        names = [n.decode() for n in out.split(b"\0") if n]
        return sorted(n for n in names if os.path.isfile(os.path.join(tree, n)))
    names = []
    for root, dirs, fs in os.walk(tree):
        # what a build writes into a tree without git: setuptools' build/ and egg-info, compiled
        # objects and extensions (a build in the tree must not change the tree's state)
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".eggs") and not d.endswith(".egg-info")
                   and not (root == tree and d == "build")]
        rel = os.path.relpath(root, tree)
        names += [os.path.normpath(os.path.join(rel, f)) for f in fs if not f.endswith((".pyc", ".pyo", ".o", ".so"))]
    return sorted(names)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path):
    m = {}
    if path and os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                sha, _, name = line.rstrip("\n").partition(" ")
                m[name] = sha
    return m, (os.path.getmtime(path) if path and os.path.exists(path) else None)


def main():
    if len(sys.argv) != 5 or sys.argv[1] != "state":
        sys.exit(__doc__)
    tree, last, new = os.path.realpath(sys.argv[2]), sys.argv[3], sys.argv[4]
    if not os.path.isdir(tree):
        sys.exit(f"srctree: {tree} is not a directory")
    old, built_at = read_manifest(last)
    cur = {n: digest(os.path.join(tree, n)) for n in files(tree)}
    changed = sorted(n for n in cur if old and old.get(n) != cur[n])
    now = time.time()
    for n in changed:
        p = os.path.join(tree, n)
        if built_at is None or os.path.getmtime(p) <= built_at:
            os.utime(p, (now, now))
    tmp = new + ".tmp"
    with open(tmp, "w") as fh:
        fh.writelines(f"{cur[n]} {n}\n" for n in sorted(cur))
    os.replace(tmp, new)
    commit = git(tree, "rev-parse", "HEAD")
    # Submodules (NumPy's vendored meson, highway, pocketfft...) by their checked-out commits
    # and a '+' where one differs from what the superproject records.
    subs = (git(tree, "submodule", "status", "--recursive") or b"") if commit is not None else b""
    listing = "".join(f"{cur[n]} {n}\n" for n in sorted(cur)).encode() + subs
    state = hashlib.sha256(listing).hexdigest()[:12]
    dirty = None
    if commit is not None:
        status = git(tree, "status", "--porcelain", "--untracked-files=normal")
        dirty = bool(status and status.strip())
    json.dump({"tree": tree, "commit": commit.decode().strip() if commit else None, "dirty": dirty,
               "state": state, "changed": changed if old else None}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
