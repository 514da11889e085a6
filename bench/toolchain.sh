#!/usr/bin/env bash
# Cold and warm `make toolchain` figures for one sanitizer: build time of CPython and of NumPy,
# the warm call, and disk used. Builds into a fresh cache (BENCH_CACHE, default a new temporary
# directory) so nothing is reused; appends one row to bench/toolchain.tsv.
# Usage: bench/toolchain.sh SAN [NUMPY] [PY]      e.g. bench/toolchain.sh tsan 2.2.5 3.13.15
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
san=$1 numpy=${2:-2.2.5} py=${3:-3.13.15}
cache=${BENCH_CACHE:-$(mktemp -d /var/tmp/ftsan-bench.XXXXXX)}
out=$(mktemp)
t0=$(date +%s.%N)
FTSAN_CACHE=$cache make -s -C "$ROOT" toolchain PY="$py" SAN="$san" NUMPY="$numpy" 2>"$out" >/dev/null
t1=$(date +%s.%N)
FTSAN_CACHE=$cache make -s -C "$ROOT" toolchain PY="$py" SAN="$san" NUMPY="$numpy" 2>/dev/null >/dev/null
t2=$(date +%s.%N)
step() { sed -n "s/^\[toolchain\] $1 done in \([0-9]*\)s$/\1/p" "$out" | awk '{s+=$1} END {print s+0}'; }
cpy=$(( $(step 'configure CPython.*') + $(step 'build CPython.*') + $(step 'install CPython.*') ))
np=$(( $(step 'build NumPy.*') + $(step 'install the NumPy.*') + $(step 'install .*meson-python.*') +
       $(step "venv for NumPy's build requirements") + $(step 'resolve the build requirements.*') ))
disk_cpy=$(du -sm "$cache"/cpython/cpython-"$py"-"$san"-* | grep -v '\.envs' | awk '{s+=$1} END {print s}')
disk_env=$(du -sm "$cache"/cpython/cpython-"$py"-"$san"-*.envs/numpy-"$numpy"-* | awk '{s+=$1} END {print s}')
[ -f "$ROOT/bench/toolchain.tsv" ] ||
  printf 'date\tsan\tpython\tnumpy\tcold_cpython_s\tcold_numpy_s\tcold_total_s\twarm_s\tdisk_cpython_mb\tdisk_numpy_env_mb\n' >"$ROOT/bench/toolchain.tsv"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.1f\t%s\t%s\n' "$(date -u +%F)" "$san" "$py" "$numpy" "$cpy" "$np" \
  "$(awk "BEGIN {print $t1 - $t0}")" "$(awk "BEGIN {print $t2 - $t1}")" "$disk_cpy" "$disk_env" | tee -a "$ROOT/bench/toolchain.tsv"
[ -n "${BENCH_CACHE:-}" ] || rm -rf "$cache"
rm -f "$out"
