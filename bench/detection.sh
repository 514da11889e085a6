#!/usr/bin/env bash
# Detection benchmark: for a lazy-initialisation race, one invocation of (a) the harness (one
# fresh run of the scenario), (b) the scenario as a plain program (threading + Barrier, written
# by `scntool program`) under the same TSan interpreter, (c) the same body as a test under
# pytest-run-parallel. Each invocation is a fresh process; an invocation detects the bug when the
# TSan report names the function. (b) and (c) run with PYTHON_GIL=0, as the harness keeps the GIL
# off too: an extension without Py_mod_gil would otherwise serialise the threads. Appends per-invocation detection probability, mean seconds
# per invocation and the median time to first detection to bench/detection.tsv.
# Usage: bench/detection.sh SCENARIO FUNCTION NUMPY INVOCATIONS   (NUMPY empty: no NumPy)
# e.g.   bench/detection.sh dlpack_race from_dlpack 2.2.5 20
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scn=$1 fn=$2 numpy=$3 n=${4:-20}
path=$scn; [[ $path == *.yaml ]] || path=scenarios/$scn.yaml
name=$(basename "$path" .yaml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkgs="pytest==8.3.5 pytest-run-parallel==0.4.4"
py=$(NUMPY=$numpy PACKAGES="$pkgs" bash toolchain/toolchain.sh 2>/dev/null | tail -n 1)
tool=$(bash toolchain/scntool.sh)
threads=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"])' < <("$tool" json "$path"))
kernels=()
while read -r kind src; do
  [ -n "$kind" ] && kernels+=("$(bash toolchain/kernel.sh "$(dirname "$(dirname "$py")")/toolchain.json" "$kind" "$(dirname "$path")/$src")")
done < <("$tool" build "$path")
export PYTHONPATH=$(IFS=:; echo "${kernels[*]:-}")

# (b) the plain program; (c) a pytest file: setup at module level, the body as one test that
# pytest-run-parallel runs on `threads` threads at once (tid from a per-thread counter).
"$tool" program "$path" >"$work/plain.py"
python3 - "$tool" "$path" "$work/test_body.py" <<'PY'
import json, subprocess, sys
tool, path, out = sys.argv[1:]
s = json.loads(subprocess.run([tool, "json", path], capture_output=True, text=True, check=True).stdout)
body = "".join("        " + l + "\n" for l in s["body"].splitlines())
open(out, "w").write(f"""import itertools, threading
seed, run = 0, 0
{s['setup'] or ''}
_ids, _local = itertools.count(), threading.local()
def test_body():
    tid = getattr(_local, "tid", None)
    if tid is None:
        tid = _local.tid = next(_ids) % {s['threads']}
    for iteration in range({s['iterations']}):
{body}""")
PY

detect() { # detect METHOD I: one invocation; prints "seconds hit"
  local m=$1 i=$2 t0 t1 hit=0 log="$work/$1-$2.log"
  t0=$(date +%s.%N)
  case $m in
    harness) env NUMPY="$numpy" PACKAGES="$pkgs" SCENARIO="$path" RUNS=1 FTSAN_REPORTS="$work/r$i" \
               bash toolchain/run.sh >"$log" 2>&1 || true
             grep -qs "$fn" "$work/r$i/latest/summary.md" && hit=1 ;;
    plain)   PYTHON_GIL=0 TSAN_OPTIONS="halt_on_error=0" "$py" "$work/plain.py" >"$log" 2>&1 || true
             grep -q "#[0-9]* $fn " "$log" && hit=1 ;;
    pytest)  (cd "$work" && PYTHON_GIL=0 TSAN_OPTIONS="halt_on_error=0" "$py" -m pytest -q -p no:cacheprovider \
               --parallel-threads="$threads" test_body.py >"$log" 2>&1) || true
             grep -q "#[0-9]* $fn " "$log" && hit=1 ;;
  esac
  t1=$(date +%s.%N)
  printf '%s %s\n' "$(awk "BEGIN {print $t1 - $t0}")" "$hit"
}

[ -f bench/detection.tsv ] ||
  printf 'date\tscenario\tnumpy\tmethod\tinvocations\tdetected\tp_per_invocation\tmean_s_per_invocation\tmedian_s_to_first_detection\n' >bench/detection.tsv
for m in harness plain pytest; do
  for i in $(seq "$n"); do detect "$m" "$i"; done >"$work/$m.txt"
  python3 - "$work/$m.txt" "$name" "${numpy:-none}" "$m" <<'PY' | tee -a bench/detection.tsv
import datetime, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
secs, hits = [float(r[0]) for r in rows], [int(r[1]) for r in rows]
# Time to first detection: consecutive invocations until one detects, as a user reruns.
waits, acc = [], 0.0
for s, h in zip(secs, hits):
    acc += s
    if h:
        waits.append(acc)
        acc = 0.0
med = f"{statistics.median(waits):.1f}" if waits else f">{sum(secs):.0f} (never)"
print("\t".join([datetime.date.today().isoformat(), sys.argv[2], sys.argv[3], sys.argv[4], str(len(rows)),
                 str(sum(hits)), f"{sum(hits) / len(rows):.2f}", f"{statistics.mean(secs):.1f}", med]))
PY
done
