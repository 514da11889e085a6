# Self-check of a toolchain: free-threading on, sanitizer in the build, and a planted bug in an
# extension compiled with the same flags is reported. Sourced by toolchain.sh; also run by
# `make test` through selfcheck_main.

# selfcheck_run PYTHON SAN: exits 3 with the evidence when a check fails.
selfcheck_run() {
  local py=$1 san=$2 d inc flags out want rc=0 pre=()
  d=$(mktemp -d)
  inc=$(tc__sanenv "$py" -c 'import sysconfig; print(sysconfig.get_path("include"))')
  case $san in
    tsan) flags=-fsanitize=thread; want='WARNING: ThreadSanitizer: data race' ;;
    asan) flags=-fsanitize=address; want='ERROR: AddressSanitizer: heap-use-after-free' ;;
    *) flags=; want= ;;
  esac
  # shellcheck disable=SC2086
  "$TC_CC" -shared -fPIC -g -O1 $flags -I"$inc" -o "$d/ftsan_selfcheck$(tc__sanenv "$py" -c \
    'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')" \
    "$TC_DIR/selfcheck/ftsan_selfcheck.c" 2>"$d/cc.log" || {
    cat "$d/cc.log" >&2; rm -rf "$d"; tc_die "self-check: cannot compile the planted-bug extension"; }
  [ "${TC_SETARCH:-0}" = 1 ] && pre=(setarch "$(uname -m)" -R)
  out=$(env TSAN_OPTIONS="exitcode=0 halt_on_error=0" ASAN_OPTIONS="detect_leaks=0 halt_on_error=0 exitcode=0" \
    "${pre[@]}" "$py" "$TC_DIR/selfcheck/selfcheck.py" "$san" "$d" 2>&1) || rc=$?
  rm -rf "$d"
  printf '%s\n' "$out" | grep -E '^(ok|FAIL) ' | sed 's/^/[self-check] /' >&2
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | tail -n 20 >&2
    tc_die "self-check failed for $py"
  fi
  if [ -n "$want" ]; then
    # Here-strings, not pipes: grep -q stops reading at the first match, and under pipefail the
    # writer's SIGPIPE would fail the check whenever the output is long (several reports).
    if ! grep -qF -- "$want" <<<"$out" || ! grep -qE '(lazy_init|use_after_free) .*ftsan_selfcheck.c' <<<"$out"; then
      printf '%s\n' "$out" | tail -n 20 >&2
      tc_die "self-check: $san did not report the planted bug in ftsan_selfcheck.c"
    fi
    tc_say "[self-check] ok   $san reported the planted bug: $want in ftsan_selfcheck.c"
  fi
}
