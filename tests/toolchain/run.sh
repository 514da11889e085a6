#!/usr/bin/env bash
# Tests of the toolchain scripts, each in its own subshell with its own cache unless it needs
# the real one. Ends with the line "toolchain: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TC="$ROOT/toolchain"
. "$ROOT/tests/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A stand-in CPython source tree whose configure/make only copy a script: enough to drive the
# cache, lock and publish logic of cpy_build without a five-minute compile.
make_fake_source() {
  local d=$1
  mkdir -p "$d/Include"
  printf '#define PY_VERSION "3.13.99"\n' >"$d/Include/patchlevel.h"
  cat >"$d/configure" <<'SH'
#!/bin/sh
for a; do case $a in --prefix=*) prefix=${a#--prefix=} ;; esac; done
echo configured >>"$FAKE_COUNT"
printf 'all:\n\tsleep $${FAKE_SLEEP:-0}\ninstall:\n\tmkdir -p $(DESTDIR)%s/bin\n\tprintf "#!/bin/sh\\necho fake\\n" >$(DESTDIR)%s/bin/python3.13t\n\tchmod +x $(DESTDIR)%s/bin/python3.13t\n' \
  "$prefix" "$prefix" "$prefix" >Makefile
SH
  chmod +x "$d/configure"
}

fake_build() { # fake_build CACHE SRC: cpy_build in a subshell with its own cache
  FTSAN_CACHE=$1 bash -c '. "$0/lib.sh"; . "$0/cpython.sh"; cpy_build "$1" none' "$TC" "$2"
}

test_dsc_checksum_rejects_a_changed_file() {
  local src
  src=$(dirname "$(bash -c '. "$0/lib.sh"; . "$0/cpython.sh"; cpy_fetch_debian 3.13.15' "$TC")")
  mkdir -p "$WORK/dsc" && cp "$src"/*.dsc "$src"/*.debian.tar.* "$WORK/dsc/" && ln -s "$src"/*.orig.tar.* "$WORK/dsc/"
  bash -c '. "$0/lib.sh"; . "$0/cpython.sh"; cpy__verify_dsc "$1"' "$TC" "$WORK/dsc"
  printf 'x' >>"$WORK"/dsc/*.debian.tar.*
  ! bash -c '. "$0/lib.sh"; . "$0/cpython.sh"; cpy__verify_dsc "$1"' "$TC" "$WORK/dsc"
}

test_unserved_version_is_a_usage_error() {
  expect_exit 2 'not served as Debian source package python3.13 \(served: .*3\.13\.15' \
    bash -c '. "$0/lib.sh"; . "$0/cpython.sh"; cpy_fetch_debian 3.13.99' "$TC"
}

test_bad_values_are_usage_errors() {
  expect_exit 2 "SAN must be tsan, asan or none, got 'msan'" env SAN=msan bash "$TC/toolchain.sh"
  expect_exit 2 "NUMPY must be a release version such as 2.2.5, got 'latest'" env NUMPY=latest bash "$TC/toolchain.sh"
  expect_exit 2 "PY must be a full CPython version" env PY=3.13 bash "$TC/toolchain.sh"
  expect_exit 2 "PY_SRC '/nonexistent' does not exist" env PY_SRC=/nonexistent SAN=none bash "$TC/toolchain.sh"
}

test_gil_build_is_refused() {
  expect_exit 2 "is a GIL build" env PYTHON="$(command -v python3)" SAN=none bash "$TC/toolchain.sh"
}

test_interrupted_build_never_looks_finished() {
  local c="$WORK/c1" s="$WORK/s1" pid
  make_fake_source "$s"
  export FAKE_COUNT="$WORK/count1"
  FAKE_SLEEP=30 setsid bash -c "$(declare -f fake_build); TC=$TC; fake_build \"\$@\"" _ "$c" "$s" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do ls "$c"/cpython/*.tmp.*/build/Makefile >/dev/null 2>&1 && break; sleep 0.1; done
  kill -KILL -- "-$pid"                                         # the whole build, as a crash would
  wait "$pid" 2>/dev/null || true
  ls -d "$c"/cpython/*.tmp.* >/dev/null                       # the half-built tree is there ...
  [ -z "$(ls -d "$c"/cpython/cpython-* 2>/dev/null | grep -v '\.tmp\.')" ]   # ... and nothing looks finished
  out=$(fake_build "$c" "$s" 2>/dev/null)
  [ -x "$out/bin/python3" ]
  [ -z "$(ls -d "$c"/cpython/*.tmp.* 2>/dev/null)" ]          # a new build cleared the left-overs
}

test_concurrent_builds_wait_for_each_other() {
  local c="$WORK/c2" s="$WORK/s2" a b
  make_fake_source "$s"
  export FAKE_COUNT="$WORK/count2"
  FAKE_SLEEP=2 fake_build "$c" "$s" >"$WORK/a.out" 2>"$WORK/a.err" &
  a=$!
  sleep 0.5
  FAKE_SLEEP=2 fake_build "$c" "$s" >"$WORK/b.out" 2>"$WORK/b.err" &
  b=$!
  wait "$a" && wait "$b"
  [ "$(cat "$WORK/a.out")" = "$(cat "$WORK/b.out")" ]
  [ "$(wc -l <"$FAKE_COUNT")" -eq 1 ]                        # configured once, not twice
  grep -q 'waiting for another build' "$WORK/a.err" "$WORK/b.err"
}

test_cache_key_follows_the_source() {
  local c="$WORK/c3" s="$WORK/s3" first second
  make_fake_source "$s"
  export FAKE_COUNT="$WORK/count3"
  first=$(fake_build "$c" "$s" 2>/dev/null)
  [ "$(fake_build "$c" "$s" 2>/dev/null)" = "$first" ]
  echo '/* changed */' >>"$s/Include/patchlevel.h"
  second=$(fake_build "$c" "$s" 2>/dev/null)
  [ "$second" != "$first" ] && [ "$(wc -l <"$FAKE_COUNT")" -eq 2 ]
}

# The real thing: the toolchain `make run` uses, built or reused, and its self-check (which
# runs after every build, and always with SELFCHECK=1).
test_real_toolchain_and_selfcheck() {
  local out py
  out=$(make -s -C "$ROOT" toolchain PY=3.13.15 SAN=tsan NUMPY="${TEST_NUMPY:-2.2.5}" SELFCHECK=1 2>"$WORK/tc.err") ||
    { cat "$WORK/tc.err"; return 1; }
  py=$(tail -n 1 <<<"$out")
  [ "$(wc -l <<<"$out")" -eq 1 ] && [ -x "$py" ]
  grep -q 'self-check\] ok   tsan reported the planted bug' "$WORK/tc.err"
  grep -q 'self-check\] ok   GIL disabled at run time' "$WORK/tc.err"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["gil_disabled"] and d["sanitizer"]=="tsan" and d["numpy_version"]))' \
    "$(dirname "$(dirname "$py")")/toolchain.json"
  # A second call reuses everything.
  out=$(make -s -C "$ROOT" toolchain PY=3.13.15 SAN=tsan NUMPY="${TEST_NUMPY:-2.2.5}" 2>"$WORK/tc2.err")
  [ "$(tail -n 1 <<<"$out")" = "$py" ]
  grep -q 'CPython: reusing' "$WORK/tc2.err" && grep -q 'environment: reusing' "$WORK/tc2.err"
  ! grep -q 'build CPython' "$WORK/tc2.err"
  ! grep -q 'self-check' "$WORK/tc2.err"          # a reused toolchain passed it already
}

# Extra packages go beside the sanitizer-built NumPy, in a copy of its environment.
test_packages_installed_beside_numpy() {
  local py env
  py=$(make -s -C "$ROOT" toolchain SAN=tsan NUMPY=2.2.5 PACKAGES="threadpoolctl==3.5.0" 2>"$WORK/p.err" | tail -n 1) ||
    { tail -n 20 "$WORK/p.err"; return 1; }
  env=$(dirname "$(dirname "$py")")
  [[ $env == *numpy-2.2.5-*+* ]]                                   # its own environment
  grep -qx 'threadpoolctl==3.5.0' "$env/packages.txt"
  TSAN_OPTIONS=report_bugs=0 "$py" -c 'import threadpoolctl, numpy, sys; sys.exit(numpy.__version__ != "2.2.5")'
  # Still the sanitizer-built NumPy: its core module calls into the TSan runtime.
  # (The symbols go through a file: grep -q would close the pipe early, failing nm under pipefail.)
  nm -D "$env"/lib/python3.13t/site-packages/numpy/_core/_multiarray_umath*.so >"$WORK/nm.txt"
  grep -q __tsan_ "$WORK/nm.txt"
}

# pip must never swap the sanitizer-built NumPy for a wheel: a package set that needs another
# NumPy fails loudly, and the base environment is untouched.
test_packages_cannot_replace_numpy() {
  local base before
  base=$(dirname "$(dirname "$(make -s -C "$ROOT" toolchain SAN=tsan NUMPY=2.2.5 2>/dev/null | tail -n 1)")")
  before=$(sha256sum "$base"/lib/python3.13t/site-packages/numpy/_core/_multiarray_umath*.so)
  expect_exit 3 'install numpy==2.2.6 FAILED' env SAN=tsan NUMPY=2.2.5 PACKAGES=numpy==2.2.6 bash "$TC/toolchain.sh"
  [ "$(sha256sum "$base"/lib/python3.13t/site-packages/numpy/_core/_multiarray_umath*.so)" = "$before" ]
  # Nothing was published for that package set (a failed build's temporary tree may stay).
  local published
  published=$(ls -d "$base"+* 2>/dev/null | grep -v '\.tmp\.' || true)
  ! grep -q "$(printf 'numpy==2.2.6\n' | sha256sum | cut -c1-12)" <<<"$published"
}

run_tests toolchain
