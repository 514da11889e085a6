#!/usr/bin/env bash
# The old entry point of `make run`, kept for scripts that call it with make's variables in the
# environment (SCENARIO, PYTEST, PYTEST_PER, THREADS, ITERATIONS, RUNS, JOBS, TIMEOUT, PROCESS,
# SEED, MINIMIZE, BUDGET): the front door, python3 -m ftsan run, with them as its arguments. The
# toolchain's variables (PY, SAN, NUMPY, ...) stay in the environment, where the builders read
# them. Exit status: the front door's, which is the harness's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
args=()
[ -z "${SCENARIO:-}" ] || args+=("$SCENARIO")
[ -z "${PYTEST:-}" ] || args+=(--pytest "$PYTEST")
[ -z "${PYTEST_PER:-}" ] || args+=(--pytest-per "$PYTEST_PER")
for v in THREADS ITERATIONS RUNS JOBS TIMEOUT PROCESS SEED BUDGET; do
  [ -z "${!v:-}" ] || args+=("--$(tr 'A-Z' 'a-z' <<<"$v")" "${!v}")
done
[ "${MINIMIZE:-0}" != 1 ] || args+=(--minimize)
# The package from the checkout, whatever the working directory (a scenario path is the
# caller's), without putting the checkout on the runs' PYTHONPATH.
exec python3 -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); from ftsan.__main__ import main; sys.exit(main(sys.argv[1:]))' \
  "$ROOT" run "${args[@]}"
