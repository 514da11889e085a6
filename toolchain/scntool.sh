#!/usr/bin/env bash
# Builds (when stale) the interpreter-free scenario checker and prints its path.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/lib.sh"
out="$ROOT/build/host/scntool"
srcs=("$ROOT/harness/tools/scntool.c" "$ROOT/harness/scn.c" "$ROOT/harness/buf.c" "$ROOT/harness/log.c" "$ROOT/harness/ver.c" "$ROOT/harness/prog.c"
      "$ROOT/harness/evd.c" "$ROOT/harness/san.c" "$ROOT/harness/san_log.c" "$ROOT/harness/san_text.c"
      "$ROOT/harness/san_events.c" "$ROOT/harness/sig.c" "$ROOT/harness/sym.c" "$ROOT/harness/run.c")
stale=0
[ -x "$out" ] || stale=1
for f in "${srcs[@]}" "$ROOT"/harness/*.h; do [ "$f" -nt "$out" ] && stale=1; done
if [ $stale = 1 ]; then
  bash "$ROOT/toolchain/deps.sh"
  mkdir -p "$(dirname "$out")"
  "$TC_CC" -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -I"$ROOT/harness" -o "$out.tmp" "${srcs[@]}" -lyaml -ljansson ||
    tc_die "cannot build $out"
  mv "$out.tmp" "$out"
fi
printf '%s\n' "$out"
