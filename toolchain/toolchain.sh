#!/usr/bin/env bash
# The toolchain's builder: a free-threaded CPython and NumPy built with one sanitizer,
# built on demand and cached. The last line on stdout is the interpreter's path; the lines
# before it (NAME=VALUE) say what else was decided: the sanitizer, the compiler, whether sanitized
# programs need `setarch -R`, the symbolizer: its caller writes them, with what the interpreter
# says of itself, into toolchain.json.
#
# Inputs (environment, as make passes them):
#   PY=3.13.15        CPython version, from Debian's python3.13 source package
#   PY_SRC=path       or a CPython source tarball or directory (3.13 or later)
#   PYTHON=path       or an existing free-threaded interpreter, used as it is
#   SAN=tsan|asan|none
#   NUMPY=2.2.5       NumPy version (sdist built with the sanitizer; a wheel for SAN=none), or
#                     latest: the newest release on the package index
#   NUMPY_SRC=dir     or a NumPy source tree (a git checkout, an unpacked sdist), built with the
#                     sanitizer and rebuilt incrementally when it changes
#   SRC="pandas=dir numexpr=dir"  source trees of any packages (meson-python, setuptools,
#                     scikit-build-core), built the same way on top of NumPy; numpy=dir is NUMPY_SRC;
#                     a bare dir is named by its pyproject.toml
#   PYDEBUG=1         CPython configured --with-pydebug (assertions, refcount checks)
#   PACKAGES="joblib==1.4.2 ..."  extra pinned packages installed beside NumPy
#   PACKAGES_FROM_SOURCE="statsmodels"  those of them built from their sdist with the sanitizer
#   SELFCHECK=auto    self-check after a build (default); 1 always; 0 never
#   COVERAGE=1        NumPy (and kernels) also built with -fsanitize-coverage=trace-pc-guard: the
#                     runs then write the edges they reached (the sanitizer runtime's .sancov)
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
. "$TC_DIR/lib.sh"
. "$TC_DIR/cpython.sh"
. "$TC_DIR/env.sh"
. "$TC_DIR/selfcheck.sh"

SAN=${SAN:-tsan}
PY=${PY:-3.13.15}
NUMPY=${NUMPY:-}
NUMPY_SRC=${NUMPY_SRC:-}
PACKAGES=${PACKAGES:-}
PYDEBUG=${PYDEBUG:-0}
COVERAGE=${COVERAGE:-0}
case $SAN in tsan|asan|none) ;; *) tc_usage_die "SAN must be tsan, asan or none, got '$SAN'" ;; esac
case $PY in [0-9]*.[0-9]*.[0-9]*) ;; *) tc_usage_die "PY must be a full CPython version such as 3.13.15, got '$PY'" ;; esac
case $PYDEBUG in 0|1) ;; *) tc_usage_die "PYDEBUG must be 0 or 1, got '$PYDEBUG'" ;; esac
case $COVERAGE in 0|1) ;; *) tc_usage_die "COVERAGE must be 0 or 1, got '$COVERAGE'" ;; esac
# The runtime that writes the edges is the sanitizer's: without one, nothing would.
[ "$COVERAGE" = 0 ] || [ "$SAN" != none ] || tc_usage_die "COVERAGE=1 needs a sanitizer (SAN=tsan or asan)"
export COVERAGE
[ -z "$NUMPY" ] || [ "$NUMPY" = latest ] || [[ $NUMPY =~ ^[0-9]+\.[0-9]+\.[0-9]+([a-z]+[0-9]+)?$ ]] ||
  tc_usage_die "NUMPY must be a release version such as 2.2.5, or latest, got '$NUMPY'"
if [ -n "$NUMPY_SRC" ]; then
  [ -d "$NUMPY_SRC" ] || tc_usage_die "NUMPY_SRC '$NUMPY_SRC' is not a directory"
  NUMPY_SRC=$(realpath "$NUMPY_SRC")
fi
for item in ${SRC:-}; do
  case $item in
    *=*) pkg=${item%%=*} dir=${item#*=} ;;
    *) pkg="" dir=$item ;;
  esac
  [ -d "$dir" ] || tc_usage_die "SRC: '$dir' is not a directory"
  dir=$(realpath "$dir")
  if [ -z "$pkg" ]; then
    pkg=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["name"])' \
      "$dir/pyproject.toml" 2>/dev/null) || tc_usage_die "SRC: cannot tell which package '$dir' is (no [project] name in its pyproject.toml): write it as name=$dir"
  fi
  [[ $pkg =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || tc_usage_die "SRC: '$pkg' is not a package name (in '$item')"
  pkg=$(tr 'A-Z_.' 'a-z--' <<<"$pkg")
  if [ "$pkg" = numpy ]; then
    [ -z "$NUMPY_SRC" ] || [ "$NUMPY_SRC" = "$dir" ] || tc_usage_die "SRC names NumPy's tree $dir and NUMPY_SRC another, $NUMPY_SRC"
    NUMPY_SRC=$dir
  else
    [[ " ${ENV_SRC_PKGS[*]} " != *" $pkg="* ]] || tc_usage_die "SRC names $pkg twice"
    ENV_SRC_PKGS+=("$pkg=$dir")
  fi
done

# A command failing where no step reports it still says where, instead of a silent exit.
trap 'tc_say "error: unexpected failure at ${BASH_SOURCE[0]}:$LINENO (exit $?)"' ERR
t_start=$SECONDS
"$TC_DIR/deps.sh"
TC_CC_VERSION=$(tc_cc_version)
[ "$SAN" = tsan ] && tc_tsan_probe

if [ "$NUMPY" = latest ]; then
  NUMPY=$(python3 "$TC_DIR/pypi.py" latest numpy) || tc_die "cannot find NumPy's newest release on the package index"
  tc_say "NUMPY=latest: NumPy $NUMPY, the newest release on the package index"
fi

# TC_BUILD_PREFIX runs the Python steps of builds (pip, meson, Cython, NumPy's generators): the
# uninstrumented build of the same CPython source, several times faster than a sanitized one;
# the sanitized interpreter itself where there is no source (PYTHON=) or no sanitizer.
if [ -n "${PYTHON:-}" ]; then
  [ "$PYDEBUG" = 0 ] || tc_usage_die "PYDEBUG=1 builds CPython; with PYTHON=, bring a --with-pydebug interpreter instead"
  prefix=$(cpy_adopt "$PYTHON" "$SAN")
  TC_BUILD_PREFIX=$prefix TC_BUILD_SAN=$SAN
else
  if [ -n "${PY_SRC:-}" ]; then
    [ -e "$PY_SRC" ] || tc_usage_die "PY_SRC '$PY_SRC' does not exist"
    src=$(realpath "$PY_SRC")
  else
    src=$(cpy_fetch_debian "$PY")
  fi
  prefix=$(cpy_build "$src" "$SAN" "$PYDEBUG")
  TC_BUILD_PREFIX=$prefix TC_BUILD_SAN=$SAN
  if [ "$SAN" != none ] && { [ -n "$NUMPY" ] || [ -n "$NUMPY_SRC" ] || [ ${#ENV_SRC_PKGS[@]} -gt 0 ]; }; then
    TC_BUILD_PREFIX=$(cpy_build "$src" none "$PYDEBUG") TC_BUILD_SAN=none
  fi
fi
export TC_BUILD_PREFIX TC_BUILD_SAN

env_dir=$(env_make "$prefix" "$SAN" "${NUMPY_SRC:-$NUMPY}" "$PACKAGES")
env_dir=$(env_sources "$env_dir" "$prefix" "$SAN")
python="$env_dir/bin/python"
# After a build, and whenever asked (make test): a reused toolchain passed it already.
if [ "${SELFCHECK:-auto}" = 1 ] || { [ "${SELFCHECK:-auto}" = auto ] && [ ! -f "$env_dir/selfcheck.ok" ]; }; then
  selfcheck_run "$python" "$SAN"
  date -u +%FT%TZ >"$env_dir/selfcheck.ok"
fi
tc_say "toolchain ready in $((SECONDS - t_start))s"
# What the builder decided, for toolchain.json (written by its caller), then the
# interpreter, last.
sym=$(command -v "llvm-symbolizer-$(tc_cc_version | cut -d. -f1)" || command -v llvm-symbolizer || true)
printf '%s\n' "sanitizer=$SAN" "cc=$TC_CC" "setarch=${TC_SETARCH:-0}" "symbolizer=${sym:+$(realpath "$sym")}" \
  "coverage=$([ "$COVERAGE" = 1 ] && echo "$TC_COVERAGE_FLAGS")" "$python"
