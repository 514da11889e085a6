#!/usr/bin/env bash
# Builds (incrementally) the harness binary for one CPython build and sanitizer and prints its
# path. NumPy and packages do not change the binary: one build per NAME.
# Usage: harness.sh NAME CC SANFLAGS INCLUDE LIBPYTHON_STATIC LINK_LIBS
#   (the values of the toolchain's description, toolchain.json)
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$TC_DIR")
. "$TC_DIR/lib.sh"
[ $# -eq 6 ] || tc_usage_die "usage: harness.sh NAME CC SANFLAGS INCLUDE LIBPYTHON_STATIC LINK_LIBS"
name=$1 cc=$2 sanflags=$3 include=$4 libpy=$5 libs=$6
[[ $name =~ ^[A-Za-z0-9._+-]+$ ]] || tc_usage_die "harness.sh: NAME '$name' is not a directory name"
[ -f "$libpy" ] || tc_die "no static libpython at $libpy (run make toolchain)"
build="$ROOT/build/$name"
mkdir -p "$build"
# Two `make run` at once must not link the same binary at once.
tc_lock "harness-$name"
printf 'CC := %s\nSANFLAGS := %s\nPYINC := %s\nLIBPY := %s\nPYLIBS := %s\n' "$cc" "$sanflags" "$include" "$libpy" "$libs" \
  >"$build/config.mk.tmp"
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
