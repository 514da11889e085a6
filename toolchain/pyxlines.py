"""Which .pyx line each statement of Cython's generated C comes from, kept after a build.

  pyxlines.py BUILD_DIR OUT_DIR

Cython writes the source line above every statement it generates (`/* "numpy/random/
bit_generator.pyx":606`); a sanitizer's frame names the generated C file and line. The build
directory, and so the generated C, is deleted once the wheel is built: for every generated file
under BUILD_DIR (*.pyx.c in NumPy's builds, *.c in pandas' and PyWavelets') this writes
OUT_DIR/<its name>.tsv, replacing an earlier build's, the .pyx path on its first line ("# path") and then
one "C line<TAB>.pyx line" line where the .pyx line changes, in C line order. The harness names a
frame in `bit_generator.pyx.c` line N by the last entry at or before N. Two generated files of one
name in one build keep the first one's."""
import os
import re
import sys

COMMENT = re.compile(rb'^\s*/\* "([^"]+\.pyx)":(\d+)\s*$')


def scan(path):
    src, rows, last = None, [], None
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            m = COMMENT.match(line)
            if not m:
                continue
            src = src or m.group(1).decode()
            pyx = int(m.group(2))
            if pyx != last:
                rows.append((n, pyx))
                last = pyx
    return src, rows


def main(build, out):
    os.makedirs(out, exist_ok=True)
    written = set()
    for root, _, names in os.walk(build):
        for name in sorted(names):
            target = os.path.join(out, name + ".tsv")
            if not name.endswith(".c") or target in written:
                continue
            src, rows = scan(os.path.join(root, name))
            if src is None:   # not Cython's
                continue
            written.add(target)
            with open(target + ".tmp", "w") as f:
                f.write(f"# {src}\n" + "".join(f"{c}\t{p}\n" for c, p in rows))
            os.replace(target + ".tmp", target)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.splitlines()[2].strip())
    sys.exit(main(sys.argv[1], sys.argv[2]))
