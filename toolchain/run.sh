#!/usr/bin/env bash
# `make run`: check the scenario, get its toolchain (with the packages it requires), build the
# harness and its compiled kernels, then run it. Exit status is the harness's: 0 clean,
# 1 findings, 2 usage or scenario error, 3 infrastructure failure.
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$TC_DIR")
. "$TC_DIR/lib.sh"

scn=${SCENARIO:-}
if [ -n "${PYTEST:-}" ]; then
  # PYTEST=<test file, directory or node id>: a scenario of those tests, written under the
  # reports (a file of the checkout, or a path inside an installed package).
  [ -z "$scn" ] || tc_usage_die "give SCENARIO or PYTEST, not both"
  per=${PYTEST_PER:-module}
  [[ $per == module || $per == test ]] || tc_usage_die "PYTEST_PER must be module or test, got '$per'"
  scn=$(python3 - "$PYTEST" "$per" "${FTSAN_REPORTS:-reports}/pytest" <<'PY'
import json, os, re, sys
spec, per, out = sys.argv[1:]
name = "pytest-" + re.sub(r"[^A-Za-z0-9_-]+", "_", os.path.basename(spec.split("::")[0]).removesuffix(".py"))[:60]
q = json.dumps  # a JSON string is a YAML scalar
text = (f"# Written by make run PYTEST={spec}: every test called by all threads at once.\n"
        f"name: {name}\nsummary: {q('pytest ' + spec + ' on native threads')}\n"
        "requires: {packages: {pytest: \"*\", pytest-run-parallel: \"==0.10.0\"}}\n"
        f"threads: 4\niterations: 1\nruns: 1\ntimeout: 600\npytest: {{tests: [{q(spec)}], per: {per}}}\n")
os.makedirs(out, exist_ok=True)
path = os.path.join(out, name + ".yaml")
with open(path + ".tmp", "w") as f:
    f.write(text)
os.replace(path + ".tmp", path)
print(path)
PY
)
fi
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
# Each requirement once: a caller that passes an environment's packages (the minimizer) names
# the scenario's again, and a doubled word would be another environment's key.
PACKAGES="$(printf '%s\n' ${PACKAGES:-} $("$scntool" packages "$scn") | awk 'NF && !seen[$0]++' | tr '\n' ' ' | sed 's/ *$//')"
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
# pytest mode: the plugin (harness/python) on the runs' sys.path, and a run per test module (or
# test) unless RUNS says otherwise, counted by the plugin in the toolchain's interpreter.
pytest=$("$scntool" json "$scn" | python3 -c 'import json,sys; p=json.load(sys.stdin).get("pytest"); print(p and " ".join([p["per"]] + p["tests"]) or "")')
if [ -n "$pytest" ]; then
  kernels+=("$ROOT/harness/python")
  if [ -z "${RUNS:-}" ]; then
    read -r per tests <<<"$pytest"
    # shellcheck disable=SC2086 # the tests are words
    # With the scenario's kernels importable: collecting a test module imports it.
    n=$(TSAN_OPTIONS=report_bugs=0 PYTHONPATH="$(IFS=:; printf '%s' "${kernels[*]}")" "$python" -m ftsan_pytest count --per "$per" $tests) ||
      tc_usage_die "cannot find the tests of $(basename "$scn") ($tests)"
    args+=(--runs "$n")
  fi
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
