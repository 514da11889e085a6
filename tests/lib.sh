# The shell test runner shared by tests/toolchain and tests/e2e: every function named test_*
# runs in its own subshell with errexit, output shown only on failure. Sourced.
# Environment: TEST_FILTER (regex of test names), TEST_TRACE=1 (set -x in tests).
pass=0 fail=0 failed=()

run_test() {
  local name=$1 out rc
  out=$( ( set -e; [ -z "${TEST_TRACE:-}" ] || set -x; "$name" ) 2>&1 ); rc=$?
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1)); printf 'PASS %s\n' "$name"
  else
    fail=$((fail + 1)); failed+=("$name"); printf 'FAIL %s\n%s\n' "$name" "$(printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /')"
  fi
}

expect_exit() { # expect_exit CODE PATTERN CMD...: CMD exits CODE and its output matches PATTERN
  local want=$1 pat=$2 out rc=0; shift 2
  out=$("$@" 2>&1) || rc=$?
  [ $rc -eq "$want" ] || { printf 'exit %s, wanted %s: %s\n%s\n' "$rc" "$want" "$*" "$out"; return 1; }
  grep -qE -- "$pat" <<<"$out" || { printf 'output lacks /%s/:\n%s\n' "$pat" "$out"; return 1; }
}

# run_tests SUITE: every test_* function, then the closing line "SUITE: N passed, N failed".
run_tests() {
  local t
  for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -E -- "${TEST_FILTER:-.}"); do
    run_test "$t"
  done
  [ $fail -eq 0 ] || printf 'failed: %s\n' "${failed[*]}"
  printf '%s: %d passed, %d failed\n' "$1" "$pass" "$fail"
  [ $fail -eq 0 ]
}
