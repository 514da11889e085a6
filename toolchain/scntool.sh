#!/usr/bin/env bash
# Builds (when stale) the interpreter-free scenario tool and prints its path; the Makefile's
# build/host/scntool rule knows its sources.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/lib.sh"
out="$ROOT/build/host/scntool"
if ! make -s -q -C "$ROOT" --no-print-directory build/host/scntool SCNTOOL_CC="$TC_CC" 2>/dev/null; then
  bash "$ROOT/toolchain/deps.sh"
  make -s -C "$ROOT" --no-print-directory build/host/scntool SCNTOOL_CC="$TC_CC" >&2 || tc_die "cannot build $out"
fi
printf '%s\n' "$out"
