#!/usr/bin/env bash
# `make run`: check the scenario, get its toolchain (with the packages it requires), build the
# harness and its compiled kernels, then run it. Exit status is the harness's: 0 clean,
# 1 findings, 2 usage or scenario error, 3 infrastructure failure.
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$TC_DIR")
. "$TC_DIR/lib.sh"

scn=${SCENARIO:-}
names() { (cd "$ROOT/scenarios" && ls *.yaml 2>/dev/null | sed 's/\.yaml$//' | tr '\n' ' '); }
[ -n "$scn" ] || tc_usage_die "which scenario? make run SCENARIO=<name or path to a .yaml> (names: $(names))"
if [[ $scn != */* && $scn != *.yaml ]]; then
  [ -f "$ROOT/scenarios/$scn.yaml" ] || tc_usage_die "no scenario '$scn' in scenarios/ (names: $(names))"
  scn="$ROOT/scenarios/$scn.yaml"
fi
[ -f "$scn" ] || tc_usage_die "SCENARIO '$scn' does not exist"
# From here on the working directory is the checkout, and a scenario inside it is named
# relative to it: that name appears in tracebacks and reports.
scn=$(realpath "$scn")
cd "$ROOT"
scn=$(realpath --relative-base="$ROOT" "$scn")

# Command-line values are checked before anything is built.
args=()
for v in THREADS ITERATIONS RUNS JOBS TIMEOUT; do
  val=${!v:-}
  [ -z "$val" ] && continue
  [[ $val =~ ^[1-9][0-9]*$ ]] || tc_usage_die "$v must be a positive integer, got '$val'"
  args+=("--$(tr 'A-Z' 'a-z' <<<"$v")" "$val")
done
if [ -n "${PROCESS:-}" ]; then
  [[ $PROCESS == fork || $PROCESS == fresh ]] || tc_usage_die "PROCESS must be fork or fresh, got '$PROCESS'"
  args+=(--process "$PROCESS")
fi
if [ -n "${SEED:-}" ]; then
  [[ $SEED =~ ^[0-9]+$ ]] || tc_usage_die "SEED must be a non-negative integer, got '$SEED'"
  args+=(--seed "$SEED")
fi

scntool=$(bash "$TC_DIR/scntool.sh")
"$scntool" check "$scn"   # a bad scenario stops here, exit 2, before any build
san=${SAN:-tsan}
grep -qw "$san" <<<"$("$scntool" sanitizers "$scn")" ||
  tc_usage_die "scenario $(basename "$scn") is not meant for SAN=$san (its sanitizers: $("$scntool" sanitizers "$scn"))"
PACKAGES="$(printf '%s ' ${PACKAGES:-} $("$scntool" packages "$scn") | sed 's/ *$//')"
PACKAGES_FROM_SOURCE="$("$scntool" sources "$scn" | tr '\n' ' ' | sed 's/ *$//')"
export PACKAGES PACKAGES_FROM_SOURCE

python=$(bash "$TC_DIR/toolchain.sh" | tail -n 1)
json="$(dirname "$(dirname "$python")")/toolchain.json"
harness=$(bash "$TC_DIR/harness.sh" "$json")
kernels=() preload=()
while read -r kind src; do
  [ -n "$kind" ] || continue
  dir=$(bash "$TC_DIR/kernel.sh" "$json" "$kind" "$(dirname "$scn")/$src")
  if [ "$kind" = preload ]; then
    src=$(basename "$src"); preload+=("$dir/${src%.*}.so")
  else
    kernels+=("$dir")
  fi
done < <("$scntool" build "$scn")
if [ ${#preload[@]} -gt 0 ]; then
  # The harness puts these in LD_PRELOAD of the runs only, not of itself.
  FTSAN_PRELOAD=$(IFS=:; printf '%s' "${preload[*]}")
  export FTSAN_PRELOAD
fi
if [ ${#kernels[@]} -gt 0 ]; then
  FTSAN_KERNELS=$(IFS=:; printf '%s' "${kernels[*]}")
  # The harness puts FTSAN_KERNELS on sys.path; PYTHONPATH carries them into the ordinary
  # Python processes a scenario starts (multiprocessing, joblib's workers).
  PYTHONPATH="$FTSAN_KERNELS${PYTHONPATH:+:$PYTHONPATH}"
  export FTSAN_KERNELS PYTHONPATH
fi

pre=()
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["setarch"] else 1)' "$json" &&
  pre=(setarch "$(uname -m)" -R)
rc=0
"${pre[@]}" "$harness" run --toolchain "$json" --reports "${FTSAN_REPORTS:-reports}" "${args[@]}" "$scn" || rc=$?
# MINIMIZE=1: the findings' reproducers, the first finding first (see ftsan/minimize.py).
if [ "${MINIMIZE:-0}" = 1 ] && [ $rc -eq 1 ]; then
  python3 -m ftsan minimize ${BUDGET:+--budget "$BUDGET"} "$(readlink -f "${FTSAN_REPORTS:-reports}/latest")" || true
fi
exit $rc
