# Shared helpers for the toolchain scripts: messages, timed steps with logs, cache paths, locks.
# Sourced, never run. Every message goes to stderr so stdout carries only results.

# A failure inside $(...) must stop the script, as it would outside.
shopt -s inherit_errexit

TC_PROJECT=ftsan
TC_CACHE="${FTSAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/$TC_PROJECT}"
TC_CC="${CC_FTSAN:-clang-19}"
# The edges a run reached, written by the sanitizer runtime (coverage=1): COVERAGE=1's flags.
TC_COVERAGE_FLAGS="-fsanitize-coverage=trace-pc-guard"

tc_say() { printf '[toolchain] %s\n' "$*" >&2; }
tc_die() { printf '[toolchain] error: %s\n' "$*" >&2; exit 3; }
tc_usage_die() { printf '[toolchain] error: %s\n' "$*" >&2; exit 2; }

tc_logdir() {
  local d="$TC_CACHE/logs"
  mkdir -p "$d"
  printf '%s\n' "$d"
}

# tc_step DESCRIPTION LOGFILE CMD...: run CMD with all output appended to LOGFILE, say how long it
# took; on failure show the last lines of the log and its path, then exit 3.
tc_step() {
  local what=$1 log=$2; shift 2
  local t0=$SECONDS rc=0
  tc_say "$what ..."
  printf '\n=== %s: %s\n=== %s\n' "$(date -u +%FT%TZ)" "$what" "$*" >>"$log"
  "$@" >>"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tc_say "$what FAILED (exit $rc) after $((SECONDS - t0))s; last lines of $log:"
    tail -n 25 "$log" | sed 's/^/    /' >&2
    exit 3
  fi
  tc_say "$what done in $((SECONDS - t0))s"
}

# tc_lock NAME: hold an exclusive lock for the rest of the calling shell; a second invocation
# waits (and says so) instead of building the same thing twice.
tc_lock() {
  local f="$TC_CACHE/locks/$1.lock"
  mkdir -p "$TC_CACHE/locks"
  exec {TC_LOCK_FD}>"$f"
  if ! flock -n "$TC_LOCK_FD"; then
    tc_say "waiting for another build holding $f"
    flock "$TC_LOCK_FD"
  fi
}

# tc_tmpdir FINAL: a fresh build directory beside FINAL, so the closing rename stays on one
# file system and is atomic. Left-overs of interrupted builds are removed first.
tc_tmpdir() {
  local final=$1
  mkdir -p "$(dirname "$final")"
  rm -rf "$final".tmp.*
  mktemp -d "$final.tmp.XXXXXX"
}

# tc_publish TMP FINAL: make a finished build visible in one rename.
tc_publish() {
  mv -T "$1" "$2"
}

# tc_hash STRING...: a short stable digest used in cache keys.
tc_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# tc_cc_version: the compiler's version, asked once per script (20 ms a question: a
# `make toolchain` asked four times); scripts that ask it more than once set TC_CC_VERSION first.
tc_cc_version() {
  if [ -n "${TC_CC_VERSION:-}" ]; then printf '%s\n' "$TC_CC_VERSION"; return; fi
  "$TC_CC" -dumpversion 2>/dev/null || echo unknown
}

# Sanitized interpreters run during builds (CPython's own build steps, pip, meson). Their races
# are not ours to report there, and a report must not fail the build; ASLR is reduced where
# the TSan runtime cannot map its shadow memory (see tc_tsan_probe).
# Leading NAME=VALUE arguments are passed on as environment, as with env(1).
tc__sanenv() {
  local pre=() vars=()
  while [[ ${1:-} == [A-Za-z_]*=* ]]; do vars+=("$1"); shift; done
  [ "${TC_SETARCH:-0}" = 1 ] && pre=(setarch "$(uname -m)" -R)
  env TSAN_OPTIONS="report_bugs=0 exitcode=0" ASAN_OPTIONS="detect_leaks=0 exitcode=0" \
    "${vars[@]}" "${pre[@]}" "$@"
}

# tc_tsan_probe: decide whether TSan binaries need `setarch -R`. Kernels with large
# vm.mmap_rnd_bits make the runtime die with "FATAL: ThreadSanitizer: unexpected memory
# mapping"; build a tiny TSan program and look for exactly that message. The answer is kept,
# keyed by what decides it (the compiler, the kernel and its randomisation bits): a probe is a
# compile and a run, a tenth of a second of every `make toolchain`.
tc_tsan_probe() {
  local d out memo
  memo="$TC_CACHE/probe/tsan-setarch-$(tc_hash "$TC_CC" "$(tc_cc_version)" "$(uname -r -m)" \
    "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null)")"
  if [ -s "$memo" ]; then
    TC_SETARCH=$(cat "$memo")
    export TC_SETARCH
    return 0
  fi
  d=$(mktemp -d)
  printf 'int main(void){return 0;}\n' >"$d/p.c"
  if ! "$TC_CC" -fsanitize=thread -o "$d/p" "$d/p.c" 2>"$d/cc.err"; then
    rm -rf "$d"; tc_die "$TC_CC cannot link a TSan program (is libclang-rt-19-dev installed?)"
  fi
  out=$("$d/p" 2>&1) || true
  TC_SETARCH=0
  if grep -q 'unexpected memory mapping' <<<"$out"; then
    if setarch "$(uname -m)" -R "$d/p" >/dev/null 2>&1; then
      TC_SETARCH=1
      tc_say "TSan needs reduced ASLR on this kernel: running sanitized programs under 'setarch -R'"
    else
      rm -rf "$d"
      tc_die "TSan cannot map its shadow memory and 'setarch -R' does not help; run: sysctl vm.mmap_rnd_bits=28"
    fi
  fi
  rm -rf "$d"
  mkdir -p "$(dirname "$memo")"
  printf '%s\n' "$TC_SETARCH" >"$memo.tmp.$$" && mv "$memo.tmp.$$" "$memo"
  export TC_SETARCH
}

# tc_in_dir DIR CMD...: run CMD (a function too) in DIR without changing the caller's directory.
tc_in_dir() { (cd "$1" && shift && "$@"); }
