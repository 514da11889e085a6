# CPython: fetch the source (Debian source package, a tarball or a directory), build it
# free-threaded with a sanitizer into the cache, or vet an interpreter the user brings.
# Sourced by toolchain.sh; functions print their result on stdout, messages on stderr.

CPY_DEBIAN_MIRROR="${FTSAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# cpy__apt TOOL ARGS...: apt-get or apt-cache with a private setup: deb-src lines for trixie and sid, its own lists and cache, so the
# system's apt configuration is neither read nor changed.
cpy__apt() {
  local d="$TC_CACHE/apt"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  if [ ! -s "$d/sources.list" ]; then
    local kr=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb-src [signed-by=%s] %s %s main\n' "$kr" "$CPY_DEBIAN_MIRROR" trixie \
      "$kr" "$CPY_DEBIAN_MIRROR" sid >"$d/sources.list.tmp"
    mv "$d/sources.list.tmp" "$d/sources.list"
  fi
  local tool=$1; shift
  "$tool" -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
    -o APT::Sandbox::User=root "$@"
}

# cpy_fetch_debian 3.13.15: download python3.13's source package for that upstream version,
# check the upstream tarball against the SHA-256 in the .dsc, print the tarball's path.
cpy_fetch_debian() {
  local ver=$1 mm src dir log debver
  mm=$(printf '%s' "$ver" | cut -d. -f1,2)
  src="python$mm"
  dir="$TC_CACHE/src/$src-$ver"
  log="$(tc_logdir)/fetch-$src-$ver.log"
  if [ ! -f "$dir/.verified" ]; then
    tc_step "apt-get update (private deb-src list: trixie, sid)" "$log" cpy__apt apt-get update
    debver=$(cpy__apt apt-cache showsrc "$src" 2>>"$log" | sed -n 's/^Version: //p' |
      grep -E "^([0-9]+:)?${ver//./\\.}-" | sort -V | tail -n 1)
    if [ -z "$debver" ]; then
      local have
      have=$(cpy__apt apt-cache showsrc "$src" 2>/dev/null | sed -n 's/^Version: //p' | sed 's/-[^-]*$//' | sort -uV | tr '\n' ' ')
      tc_usage_die "CPython $ver is not served as Debian source package $src (served: ${have:-none}); give PY_SRC=<tarball or directory> or PYTHON=<interpreter>"
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    tc_step "download $src=$debver source" "$log" \
      tc_in_dir "$dir" cpy__apt apt-get source --download-only "$src=$debver"
    cpy__verify_dsc "$dir" || tc_die "checksum of the $src $ver tarball does not match its .dsc (see $dir)"
    touch "$dir/.verified"
  fi
  ls "$dir"/*.orig.tar.* | head -n 1
}

# The .dsc lists "Checksums-Sha256:" then " <sha256> <size> <file>" lines; every file must match.
cpy__verify_dsc() {
  local dir=$1 dsc n=0 sum size file
  dsc=$(ls "$dir"/*.dsc) || return 1
  while read -r sum size file; do
    [ -f "$dir/$file" ] || return 1
    [ "$(sha256sum "$dir/$file" | cut -d' ' -f1)" = "$sum" ] || { tc_say "sha256 mismatch: $file"; return 1; }
    n=$((n + 1))
  done < <(awk '/^Checksums-Sha256:/{on=1; next} /^[^ ]/{on=0} on && NF==3' "$dsc")
  [ $n -gt 0 ]
}

# cpy__memo FILE WHAT CMD...: CMD's output for a tarball, which never changes: computed once and
# kept in the cache, keyed by the file's path, size and modification time (reading the version
# out of CPython's .tar.xz decompresses all of it: 1.5 s, twice a `make toolchain`).
cpy__memo() {
  local file=$1 what=$2 key f; shift 2
  key=$(stat -L -c '%s %Y' "$file") || return 1
  f="$TC_CACHE/src/memo/$what-$(tc_hash "$(realpath "$file")" "$key")"
  if [ ! -s "$f" ]; then
    mkdir -p "$(dirname "$f")"
    "$@" >"$f.tmp.$$" && [ -s "$f.tmp.$$" ] || { rm -f "$f.tmp.$$"; return 1; }
    mv "$f.tmp.$$" "$f"
  fi
  cat "$f"
}

# cpy_source_id PATH: a stable identity for a tarball (its sha256) or a directory (digest of
# every file's path, size and mtime: cheap, and changes whenever a file does).
cpy_source_id() {
  if [ -d "$1" ]; then
    (cd "$1" && find . -path ./.git -prune -o -type f -printf '%p %s %T@\n' | LC_ALL=C sort | sha256sum | cut -c1-12)
  else
    cpy__memo "$1" id cpy__tar_id "$1"
  fi
}
cpy__tar_id() { sha256sum "$1" | cut -c1-12; }

# cpy_source_version SRC: PY_VERSION from Include/patchlevel.h of a directory or a tarball.
cpy_source_version() {
  if [ -d "$1" ]; then
    cpy__patchlevel <"$1/Include/patchlevel.h"
  else
    cpy__memo "$1" version cpy__tar_version "$1" || true
  fi
}
cpy__tar_version() { tar -xOf "$1" --wildcards '*/Include/patchlevel.h' 2>/dev/null | cpy__patchlevel; }
cpy__patchlevel() { sed -n 's/^#define PY_VERSION[[:space:]]*"\(.*\)".*/\1/p'; }

cpy__configure_args() {
  local san=$1 pydebug=$2
  # Docstrings stay: packages read them at import (statsmodels parses its Cython extensions'
  # docstrings: "inner_iter,outer_iter were not found in the docstring" without them).
  printf '%s\n' --disable-gil --disable-test-modules --with-ensurepip=no
  [ "$pydebug" = 1 ] && echo --with-pydebug
  case $san in
    tsan) echo --with-thread-sanitizer ;;
    asan) echo --with-address-sanitizer ;;
  esac
}

# cpy_build SRC SAN PYDEBUG: SRC is a tarball or a directory; PYDEBUG 1 for a debug build.
# Prints the install prefix.
cpy_build() {
  local src=$1 san=$2 pydebug=${3:-0} id ver key final tmp log srcdir t0 flavour=$2
  ver=$(cpy_source_version "$src")
  [ -n "$ver" ] || tc_usage_die "$src does not look like a CPython source tree or tarball (no Include/patchlevel.h)"
  case $ver in
    3.1[3-9]*|3.[2-9][0-9]*|[4-9].*) ;;
    *) tc_usage_die "CPython $ver is too old: free-threading needs 3.13 or later" ;;
  esac
  id=$(cpy_source_id "$src")
  [ "$pydebug" = 1 ] && flavour="$san-pydebug"
  # shellcheck disable=SC2046
  key="cpython-$ver-$flavour-$id-clang$(tc_cc_version)-$(tc_hash $(cpy__configure_args "$san" "$pydebug") "$TC_CC")"
  final="$TC_CACHE/cpython/$key"
  if [ -x "$final/bin/python3" ]; then
    tc_say "CPython: reusing $final"
    printf '%s\n' "$final"; return 0
  fi
  tc_lock "$key"
  if [ -x "$final/bin/python3" ]; then printf '%s\n' "$final"; return 0; fi
  tmp=$(tc_tmpdir "$final")
  log="$(tc_logdir)/$key.log"
  : >"$log"
  t0=$SECONDS
  if [ -d "$src" ]; then
    srcdir=$src
  else
    tc_step "unpack $(basename "$src")" "$log" tar -xf "$src" -C "$tmp"
    srcdir=$(find "$tmp" -mindepth 2 -maxdepth 2 -name configure -printf '%h\n' | head -n 1)
  fi
  mkdir -p "$tmp/build"
  # shellcheck disable=SC2046
  tc_step "configure CPython $ver ($flavour, $TC_CC)" "$log" tc_in_dir "$tmp/build" \
    env CC="$TC_CC" CXX="${TC_CC/clang/clang++}" "$srcdir/configure" --prefix="$final" $(cpy__configure_args "$san" "$pydebug")
  tc_step "build CPython $ver ($flavour)" "$log" tc__sanenv make -C "$tmp/build" -j"$(nproc)"
  tc_step "install CPython $ver ($flavour)" "$log" tc__sanenv make -C "$tmp/build" install DESTDIR="$tmp/root" COMPILEALL_OPTS=-j0
  mv "$tmp/root$final" "$tmp/prefix"
  # CPython's own TSan suppressions for exactly this source travel with the build.
  mkdir -p "$tmp/prefix/share/$TC_PROJECT"
  [ -d "$srcdir/Tools/tsan" ] && cp -r "$srcdir/Tools/tsan" "$tmp/prefix/share/$TC_PROJECT/tsan"
  printf 'version=%s\nsource=%s\nsource_id=%s\nsanitizer=%s\ncc=%s %s\nbuild_seconds=%s\n' \
    "$ver" "$src" "$id" "$san" "$TC_CC" "$(tc_cc_version)" "$((SECONDS - t0))" >"$tmp/prefix/share/$TC_PROJECT/build-info"
  # python3.13t, or python3.13td for a debug build.
  local exe
  for exe in "python$(printf %s "$ver" | cut -d. -f1,2)t" "python$(printf %s "$ver" | cut -d. -f1,2)td"; do
    [ -x "$tmp/prefix/bin/$exe" ] && ln -sf "$exe" "$tmp/prefix/bin/python3"
  done
  rm -rf "$tmp/build" "$tmp/root"
  tc_publish "$tmp/prefix" "$final"
  rmdir "$tmp" 2>/dev/null || rm -rf "$tmp"
  tc_say "CPython $ver ($flavour) built in $((SECONDS - t0))s: $final"
  printf '%s\n' "$final"
}

# cpy_adopt PYTHON SAN: use an interpreter the user brings. It must be free-threaded and built
# with the sanitizer asked for. Prints a cache directory standing in for its prefix: its
# bin/python3 links to the interpreter, and environments are made beside it.
cpy_adopt() {
  local py=$1 san=$2 facts gil cfg ver final
  command -v "$py" >/dev/null 2>&1 || tc_usage_die "PYTHON '$py' is not an executable"
  py=$(realpath "$(command -v "$py")")
  facts=$(tc__sanenv "$py" -c 'import sys, sysconfig as s
print(s.get_config_var("Py_GIL_DISABLED") or 0)
print(sys.version.split()[0])
print(" ".join(str(s.get_config_var(k) or "") for k in ("CONFIG_ARGS", "PY_CFLAGS")))') ||
    tc_usage_die "PYTHON '$py' does not run"
  gil=$(sed -n 1p <<<"$facts"); ver=$(sed -n 2p <<<"$facts"); cfg=$(sed -n 3p <<<"$facts")
  [ "$gil" = 1 ] || tc_usage_die "PYTHON '$py' ($ver) is a GIL build; free-threading needs one configured with --disable-gil (python3.13t)"
  case $san in
    tsan) grep -q -- '-fsanitize=thread' <<<"$cfg" || tc_usage_die "PYTHON '$py' is not built with ThreadSanitizer (SAN=tsan)" ;;
    asan) grep -q -- '-fsanitize=address' <<<"$cfg" || tc_usage_die "PYTHON '$py' is not built with AddressSanitizer (SAN=asan)" ;;
  esac
  final="$TC_CACHE/cpython/adopted-$ver-$san-$(tc_hash "$py" "$(stat -c %Y "$py")")"
  mkdir -p "$final/bin"
  ln -sfn "$py" "$final/bin/python3"
  tc_say "CPython: using $py ($ver, free-threaded)"
  printf '%s\n' "$final"
}
