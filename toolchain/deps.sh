#!/usr/bin/env bash
# Installs the Debian packages the toolchain and the harness need, only those missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# One line per package: why we need it follows the name.
PKGS=(
  clang-19            # compiler for CPython, NumPy, kernels and the harness
  libclang-rt-19-dev  # TSan/ASan/UBSan/libFuzzer runtimes
  llvm-19             # llvm-symbolizer
  lld-19              # faster links of sanitized objects
  libyaml-dev         # scenario parser
  libjansson-dev      # JSON reports
  libcmocka-dev       # C unit tests
  gdb                 # native stacks of hung runs
  pkg-config
  make
  xz-utils
  dpkg-dev            # dpkg-source to unpack Debian source packages
  # CPython build dependencies for the modules scenarios use
  libssl-dev libffi-dev zlib1g-dev libbz2-dev liblzma-dev libsqlite3-dev
  libreadline-dev libncurses-dev uuid-dev libgdbm-dev
  # NumPy's BLAS for sanitized builds
  libopenblas-dev
)

# `deps.sh test`: what only the tests need besides.
TEST_PKGS=(
  chromium            # renders the matrix page headless
  patch               # applies the numpy#28881 fix in the NUMPY_SRC fix-loop test
)
[ "${1:-}" = test ] && PKGS+=("${TEST_PKGS[@]}")
# The tests are pytest's, run by the system Python; they read YAML with PyYAML and validate the
# workflow with check-jsonschema (its GitHub schema ships inside the package).
if [ "${1:-}" = test ] && ! python3 -c 'import pytest, yaml, check_jsonschema' 2>/dev/null; then
  tc_step "pip install pytest PyYAML check-jsonschema" "$(tc_logdir)/pip-test.log" \
    python3 -m pip install pytest PyYAML check-jsonschema
fi

# One query for all of them (a query a package took 0.2 s of every `make toolchain`).
declare -A have=()
while read -r p status; do
  [ "$status" = "install ok installed" ] && have[$p]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null || true)
missing=()
for p in "${PKGS[@]}"; do
  [ -n "${have[$p]:-}" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

tc_say "installing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || tc_die "need root to install: ${missing[*]} (run: apt-get install ${missing[*]})"
else
  SUDO=
fi
log="$(tc_logdir)/apt-install.log"
tc_step "apt-get update" "$log" $SUDO apt-get update
tc_step "apt-get install (${#missing[@]} packages)" "$log" \
  env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
