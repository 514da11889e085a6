#!/usr/bin/env bash
# Builds (incrementally) the harness binary for a toolchain and prints its path.
# Usage: harness.sh TOOLCHAIN_JSON
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$TC_DIR")
. "$TC_DIR/lib.sh"
json=$1
[ -f "$json" ] || tc_die "no toolchain description at $json (run make toolchain)"
# One build per CPython build and sanitizer: NumPy and packages do not change the binary.
key=$(python3 -c 'import json,os,sys; d=json.load(open(sys.argv[1])); print(os.path.basename(d["base_prefix"]) + "-" + d["sanitizer"])' "$json")
build="$ROOT/build/$key"
mkdir -p "$build"
# Two `make run` at once must not link the same binary at once.
tc_lock "harness-$key"
python3 - "$json" >"$build/config.mk.tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"CC := {d['cc']}")
print(f"SANFLAGS := {d['sanitizer_flags']}")
print(f"PYINC := {d['include']}")
print(f"LIBPY := {d['libpython_static']}")
print(f"PYLIBS := {d['link_libs']}")
PY
if ! cmp -s "$build/config.mk.tmp" "$build/config.mk" 2>/dev/null; then
  mv "$build/config.mk.tmp" "$build/config.mk"
else
  rm -f "$build/config.mk.tmp"
fi
log="$build/build.log"
if ! make -s -C "$ROOT" -f harness/harness.mk CONFIG="$build/config.mk" BUILD="$build" "$build/harness" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  tc_die "building the harness failed (log: $log)"
fi
printf '%s\n' "$build/harness"
