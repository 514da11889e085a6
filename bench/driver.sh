#!/usr/bin/env bash
# Driver figures on the TSan toolchain with NumPy: fresh-process runs per second, and the
# driver's per-iteration overhead against a plain Python loop doing the same work in the same
# interpreter. Appends rows to bench/driver.tsv.
# Usage: bench/driver.sh [NUMPY]   (default 2.2.5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
numpy=${1:-2.2.5}
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
py=$(make -s toolchain SAN=tsan NUMPY="$numpy" 2>/dev/null | tail -n 1)
[ -f bench/driver.tsv ] || printf 'date\tmeasure\tvalue\tunit\tdetail\n' >bench/driver.tsv

# Throughput: 40 runs, JOBS = cores, as the scenario says (process: fork, the default).
t0=$(date +%s.%N)
FTSAN_REPORTS=$reports NUMPY=$numpy python3 -m ftsan run bench/scenarios/numpy_startup.yaml >/dev/null 2>&1 || true
t1=$(date +%s.%N)
runs=$(ls -d "$reports"/latest/evidence/run-* | wc -l)
rate=$(awk "BEGIN {printf \"%.2f\", $runs / ($t1 - $t0)}")
printf '%s\truns_per_second\t%s\truns/s\t%s runs of bench/scenarios/numpy_startup.yaml, %s cores, NumPy %s, TSan\n' \
  "$(date -u +%F)" "$rate" "$runs" "$(nproc)" "$numpy" | tee -a bench/driver.tsv

# Overhead: the driver's body loop (1 thread, 20000 iterations) against bench/overhead_plain.py,
# ROUNDS rounds taken in turn (this machine's timings vary by 2x from one process to the next),
# medians compared: the plain loop on the main thread, and in a thread as the driver's body runs.
rounds=${ROUNDS:-7}
drv_all=() inline_all=() thread_all=()
for r in $(seq "$rounds"); do
  FTSAN_REPORTS=$reports NUMPY=$numpy python3 -m ftsan run bench/scenarios/overhead_driver.yaml >/dev/null 2>&1 || true
  drv_all+=("$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["kind"] == "summary": print("%.9f" % (d["body_seconds"] / d["body_completed"]))' "$reports"/latest/evidence/run-0001/events.jsonl)")
  inline_all+=("$(TSAN_OPTIONS="report_bugs=0" "$py" bench/overhead_plain.py 20000 2>/dev/null)")
  thread_all+=("$(TSAN_OPTIONS="report_bugs=0" "$py" bench/overhead_plain.py 20000 --thread 2>/dev/null)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
drv=$(median "${drv_all[@]}")
for mode in inline thread; do
  if [ $mode = inline ]; then plain=$(median "${inline_all[@]}"); all="${inline_all[*]}"; else plain=$(median "${thread_all[@]}"); all="${thread_all[*]}"; fi
  pct=$(awk "BEGIN {printf \"%.1f\", ($drv - $plain) / $plain * 100}")
  printf '%s\tper_iteration_overhead_vs_%s_loop\t%s\t%%\tmedians of %s rounds: driver %s s/iter vs plain %s loop %s s/iter (a.sum() on 64 doubles, 1 thread, TSan, NumPy %s); driver rounds: %s; plain rounds: %s\n' \
    "$(date -u +%F)" "$mode" "$pct" "$rounds" "$drv" "$mode" "$plain" "$numpy" "${drv_all[*]}" "$all" | tee -a bench/driver.tsv
done
