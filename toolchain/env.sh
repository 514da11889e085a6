# Python environments on top of a CPython build: a venv holding NumPy (built from its sdist with
# the sanitizer, or a wheel for SAN=none) and, in a copy of it, the extra packages a scenario
# pins. Sourced by toolchain.sh.

# Free-threaded extensions need Cython 3.1 or later (the freethreading_compatible directive);
# NumPy asked for less before 2.3. A floor added to every resolution, never a pin.
ENV_FT_FLOOR="Cython>=3.1"

# env__check_numpy VERSION: a NumPy release this toolchain can build.
env__check_numpy() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 1 ]; }; then
    tc_usage_die "NumPy $1 does not support free-threaded CPython (2.1.0 was the first release to support it)"
  fi
}

# env__build_requires SOURCE [EXTRA...]: the build requirements of an sdist or source tree,
# one pin a line: its pyproject.toml's [build-system] requires (and EXTRA), plus ninja
# (meson-python asks for it when the machine has none; the build always brings its own) and the
# free-threading floor, resolved by pip once for the CPython that runs the build
# (TC_BUILD_PREFIX). The pins are kept, keyed by the requirements and the Python version: the
# same requirements build with the same pins ever after.
env__build_requires() {
  local src=$1 reqs=() tag f bare
  shift
  if [ -d "$src" ]; then
    mapfile -t reqs < <(python3 "$TC_DIR/pypi.py" requires "$src")
  else
    # An sdist never changes: read once (a second a time), kept beside it.
    if [ ! -f "$src.requires" ]; then
      python3 "$TC_DIR/pypi.py" requires "$src" >"$src.requires.tmp" ||
        tc_usage_die "cannot read the build requirements of $src"
      mv "$src.requires.tmp" "$src.requires"
    fi
    mapfile -t reqs <"$src.requires"
  fi
  [ ${#reqs[@]} -gt 0 ] || tc_usage_die "cannot read the build requirements of $src"
  reqs+=("$@" ninja "$ENV_FT_FLOOR")
  tag=$(tc__sanenv "$TC_BUILD_PREFIX/bin/python3" -c 'import sys; print("%d.%d%s" % (*sys.version_info[:2], sys.abiflags))')
  f="$TC_CACHE/src/build-requires/$tag-$(tc_hash "${reqs[@]}").txt"
  if [ ! -s "$f" ]; then
    mkdir -p "$(dirname "$f")"
    bare=$(env_make "$TC_BUILD_PREFIX" "$TC_BUILD_SAN" "" "")
    tc_step "resolve the build requirements for Python $tag: ${reqs[*]}" "$(tc_logdir)/build-requires.log" \
      python3 "$TC_DIR/pypi.py" resolve "$bare/bin/python" "$f" "${reqs[@]}"
  fi
  cat "$f"
}

# env__py_version PREFIX: the CPython version of a prefix (from its build record, else asked).
env__py_version() {
  sed -n 's/^version=//p' "$1/share/$TC_PROJECT/build-info" 2>/dev/null | grep . ||
    tc__sanenv "$1/bin/python3" -c 'import platform; print(platform.python_version())'
}

# env__numpy_setup_args SAN SOURCE PREFIX: NumPy's meson options. Options that cut build time
# without changing what the code does between threads: no runtime CPU dispatch (one code path
# per kernel), optimised with debug info, line numbers and C assertions. One exception, found
# by detection, not by version: NumPy's sources that assert PyMutex_IsLocked(), public only
# from CPython 3.14 on (private in 3.13's pycore_lock.h), do not compile against 3.13 with
# assertions on (NumPy 2.5.5: "call to undeclared function 'PyMutex_IsLocked'"; its wheels are
# built without assertions, so nobody upstream sees it); those build without assertions there.
env__numpy_setup_args() {
  local san=$1 src=$2 prefix=$3 ver n
  printf '%s\n' -Dbuildtype=debugoptimized -Dcpu-dispatch=none -Dblas=openblas -Dlapack=openblas
  case $san in
    tsan) echo -Db_sanitize=thread ;;
    asan) echo -Db_sanitize=address ;;
  esac
  if [ "${COVERAGE:-0}" = 1 ]; then
    printf '%s\n' "-Dc_args=$TC_COVERAGE_FLAGS" "-Dcpp_args=$TC_COVERAGE_FLAGS"
  fi
  ver=$(env__py_version "$prefix")
  case $ver in
    3.13.*)
      if [ -d "$src" ]; then
        n=$(grep -rl PyMutex_IsLocked "$src/numpy/_core/src" 2>/dev/null | wc -l)
      else
        # An sdist never changes: scanned once, the count kept beside it (every `make run` asks).
        if [ ! -s "$src.pymutex_islocked" ]; then
          { tar -xzOf "$src" --wildcards '*/numpy/_core/src/*' 2>/dev/null | grep -c PyMutex_IsLocked || true; } \
            >"$src.pymutex_islocked.tmp"
          mv "$src.pymutex_islocked.tmp" "$src.pymutex_islocked"
        fi
        n=$(cat "$src.pymutex_islocked")
      fi
      [ "${n:-0}" -eq 0 ] || echo -Db_ndebug=true
      ;;
  esac
}

# env__venv PYTHON DIR: a venv with pip, made by the sanitized interpreter itself.
env__venv() {
  tc__sanenv "$1" -m venv "$2"
}

# env__pip_fast ENV ARGS...: pip install ARGS into ENV, a venv of the sanitized interpreter,
# run by the uninstrumented one (TC_BUILD_PREFIX) straight from the pip wheel CPython bundles
# (ten times faster than pip under TSan: 5 s against 50 for NumPy's wheel). Both are the same
# CPython version and ABI, so `--prefix ENV` is ENV's own site-packages; scripts get ENV's
# interpreter in their #! line.
env__pip_fast() {
  local env=$1 whl f; shift
  whl=$(ls "$TC_BUILD_PREFIX"/lib/python3*/ensurepip/_bundled/pip-*.whl | head -n 1)
  tc__sanenv "$TC_BUILD_PREFIX/bin/python3" "$whl/pip" install --disable-pip-version-check --no-warn-script-location \
    --prefix "$env" "$@"
  for f in "$env"/bin/*; do
    [ -f "$f" ] && [ ! -L "$f" ] && head -c 2 "$f" | grep -q '^#!' &&
      sed -i "1s|^#!.*$TC_BUILD_PREFIX/bin/python3.*$|#!$env/bin/python|" "$f"
  done
  return 0
}

# env__venv_fast PYTHON DIR: env__venv, with pip installed by env__pip_fast when there is an
# uninstrumented interpreter to run it (a venv with pip made under TSan takes a minute).
env__venv_fast() {
  local whl
  if [ "$TC_BUILD_PREFIX/bin/python3" = "$1" ]; then
    env__venv "$1" "$2"
    return
  fi
  whl=$(ls "$TC_BUILD_PREFIX"/lib/python3*/ensurepip/_bundled/pip-*.whl | head -n 1)
  tc__sanenv "$1" -m venv --without-pip "$2"
  env__pip_fast "$2" --no-index --no-deps "$whl"
}

# env__relocate TMP FINAL: a venv was made at TMP and is about to be renamed FINAL. Its
# interpreter finds its home through pyvenv.cfg, but the scripts pip wrote into bin/ (cython,
# meson, ninja: run by the build) carry TMP in their #! line.
env__relocate() {
  local tmp=$1 final=$2 f
  for f in "$tmp"/bin/* "$tmp"/pyvenv.cfg; do
    [ -f "$f" ] && [ ! -L "$f" ] && grep -Iq -- "$tmp" "$f" && sed -i "s|$tmp|$final|g" "$f"
  done
  return 0
}

# env__buildenv PREFIX PINS: a venv with NumPy's build requirements, shared by NumPy versions
# needing the same pins (one a line), made by PREFIX's interpreter (TC_BUILD_PREFIX: the
# uninstrumented build of the same CPython, which runs meson, Cython and NumPy's generators
# several times faster than a sanitized one). Prints its directory.
env__buildenv() {
  local prefix=$1 pins=$2 d tmp log
  d="$prefix.envs/build-$(tc_hash "$pins")"
  if [ ! -x "$d/bin/python" ]; then
    tc_lock "$(basename "$prefix")-build"
    if [ ! -x "$d/bin/python" ]; then
      log="$(tc_logdir)/$(basename "$prefix")-buildenv.log"
      tmp=$(tc_tmpdir "$d")
      tc_step "venv for NumPy's build requirements" "$log" env__venv "$prefix/bin/python3" "$tmp"
      # shellcheck disable=SC2086
      tc_step "install $(tr '\n' ' ' <<<"$pins")" "$log" tc__sanenv "$tmp/bin/python" -m pip install --disable-pip-version-check $pins
      printf '%s\n' "$pins" >"$tmp/build-requires.txt"
      env__relocate "$tmp" "$d"
      tc_publish "$tmp" "$d"
    fi
  fi
  printf '%s\n' "$d"
}

# env__sdist NAME VERSION: the sdist from the package index, downloaded once. Prints its path.
env__sdist() {
  local name=$1 ver=$2 d="$TC_CACHE/src/pypi"
  if [ ! -f "$d/$name-$ver.tar.gz" ]; then
    tc_step "download the $name $ver sdist" "$(tc_logdir)/download.log" \
      python3 "$TC_DIR/pypi.py" sdist "$name" "$ver" "$d"
  fi
  printf '%s\n' "$d/$name-$ver.tar.gz"
}

# env__so_digest ENV: digest of NumPy's core extension, to prove later installs left it alone.
env__so_digest() {
  # No NumPy in the environment: an empty digest, not a failure.
  { find "$1"/lib/python*/site-packages/numpy -name '_multiarray_umath*.so' -exec sha256sum {} + 2>/dev/null || true; } | cut -c1-64
}

# env__numpy_wheel PREFIX VERSION: whether NumPy VERSION has a wheel for this interpreter
# (SAN=none installs it; NumPy publishes no 3.13t wheels from 2.5 on, which are then built
# from the sdist without a sanitizer). An environment made from the wheel already answers.
env__numpy_wheel() {
  local tag
  [ -d "$1.envs/numpy-$2-wheel" ] && return 0
  tag=$(tc__sanenv "$1/bin/python3" -c 'import sys; print("cp%d%d%s" % (*sys.version_info[:2], sys.abiflags))')
  python3 "$TC_DIR/pypi.py" has-wheel numpy "$2" "$tag" "$(uname -m)"
}

# env__numpy ENV_TMP PREFIX SAN NUMPY LOG: install NumPy into the venv being made. NUMPY is a
# release (a wheel for SAN=none, else its sdist built with the sanitizer) or a source tree
# (built with the sanitizer in ENV_SRC_BUILD, the meson build directory kept between builds so
# that a changed file recompiles alone).
env__numpy() {
  local env=$1 prefix=$2 san=$3 numpy=$4 log=$5 src bdir what benv args=() a incr t0=$SECONDS
  if [[ $numpy != /* ]] && [ "$san" = none ] && env__numpy_wheel "$prefix" "$numpy"; then
    tc_step "install the NumPy $numpy wheel" "$log" tc__sanenv "$env/bin/python" -m pip install \
      --disable-pip-version-check --only-binary numpy "numpy==$numpy"
    return
  fi
  if [[ $numpy == /* ]]; then
    src=$numpy bdir=$ENV_SRC_BUILD/meson what="NumPy from $numpy"
    incr=0; [ -d "$bdir" ] && incr=1
  else
    src=$(env__sdist numpy "$numpy") bdir=$env/.build what="NumPy $numpy from its sdist"
  fi
  benv=$(env__buildenv "$TC_BUILD_PREFIX" "$(env__build_requires "$src")")
  for a in $(env__numpy_setup_args "$san" "$src" "$prefix"); do args+=("-Csetup-args=$a"); done
  [[ " ${args[*]} " != *" -Csetup-args=-Db_ndebug=true "* ]] ||
    tc_say "NumPy's sources assert PyMutex_IsLocked(), which CPython $(env__py_version "$prefix") does not declare: built without C assertions"
  if [ "$TC_BUILD_PREFIX" != "$prefix" ]; then
    # meson runs on the uninstrumented interpreter but introspects the sanitized one (headers,
    # sysconfig, the extension suffix): a native file read after meson-python's own overrides
    # its `python`. The two builds' headers differ in one configure probe (pthread scheduling).
    # Beside the build directory: meson reads it again whenever it reconfigures a kept one.
    printf "[binaries]\npython = '%s'\n" "$prefix/bin/python3" >"$bdir.native.ini"
    args+=("-Csetup-args=--native-file=$bdir.native.ini")
  fi
  # The build environment's bin/ first: meson looks up cython and ninja on PATH, and must find
  # the pinned ones, not whatever the machine has.
  tc_step "build $what ($san)" "$log" \
    tc__sanenv CC="$TC_CC" CXX="${TC_CC/clang/clang++}" PATH="$benv/bin:$PATH" "$benv/bin/python" -m pip wheel \
      --disable-pip-version-check --no-build-isolation --no-deps -w "$env/.wheel" --verbose \
      "-Cbuild-dir=$bdir" "${args[@]}" "$src"
  if [ "$TC_BUILD_PREFIX" != "$prefix" ]; then
    tc_step "install the NumPy wheel built with $san" "$log" env__pip_fast "$env" --no-deps --no-index "$env"/.wheel/numpy-*.whl
  else
    tc_step "install the NumPy wheel built with $san" "$log" tc__sanenv "$env/bin/python" -m pip install \
      --disable-pip-version-check --no-deps --no-index "$env"/.wheel/numpy-*.whl
  fi
  cp "$benv/build-requires.txt" "$env/numpy-build-requires.txt"
  # the generated C goes with the build directory: keep which .pyx line each C line comes from
  python3 "$TC_DIR/pyxlines.py" "$bdir" "$env/pyx-lines" || tc_say "no .pyx line map kept (Cython frames keep their C lines)"
  python3 - "$env/numpy-build.json" "$((SECONDS - t0))" "$TC_BUILD_PREFIX/bin/python3" "${args[@]}" <<'PY'
import json, sys
out, secs, by, *args = sys.argv[1:]
with open(out, "w") as fh:
    json.dump({"seconds": int(secs), "python_steps_on": by,
               "setup_args": [a.removeprefix("-Csetup-args=") for a in args]}, fh, indent=2)
PY
  rm -rf "$env/.build" "$env/.build.native.ini" "$env/.wheel"
  [[ $numpy != /* ]] || env__src_built "$env" "$((SECONDS - t0))" "$incr"
}

# env_make PREFIX SAN NUMPY PACKAGES: the environment for that NumPy (a release, a source tree's
# absolute path, or none) and those packages, made if missing. Prints its directory.
env_make() {
  local prefix=$1 san=$2 numpy=$3 pkgs=$4 name base sdist
  if [[ $numpy == /* ]]; then
    env__src_prepare "$prefix" "$san" "$numpy"
    name=$ENV_SRC_NAME
  elif [ -n "$numpy" ]; then
    env__check_numpy "$numpy"
    if [ "$san" = none ] && env__numpy_wheel "$prefix" "$numpy"; then
      name="numpy-$numpy-wheel"
    else
      # shellcheck disable=SC2046
      sdist=$(env__sdist numpy "$numpy")
      name="numpy-$numpy-$(tc_hash $(env__numpy_setup_args "$san" "$sdist" "$prefix") \
        "$(env__build_requires "$sdist")" "built by $(basename "$TC_BUILD_PREFIX")")"
    fi
  else
    name=bare
    [ "${COVERAGE:-0}" = 0 ] || name=bare-coverage  # its kernels are built with coverage
  fi
  base=$(env__make_one "$prefix" "$san" "$numpy" "$name" "")
  [[ $numpy == /* ]] && env__src_done "$prefix" "$numpy" "$base"
  if [ -n "$pkgs" ]; then
    # shellcheck disable=SC2086
    base=$(env__make_one "$prefix" "$san" "$numpy" \
      "$name+$(tc_hash $pkgs ${PACKAGES_FROM_SOURCE:+from-source $PACKAGES_FROM_SOURCE "$(env__source_cflags "$san")"})" \
      "$pkgs" "$base")
  fi
  printf '%s\n' "$base"
}

# env_sources ENV PREFIX SAN: ENV with the packages of ENV_SRC_PKGS built from their trees, one
# on top of the other. Prints the environment's directory.
env_sources() {
  local env=$1 item
  for item in "${ENV_SRC_PKGS[@]}"; do
    env=$(env__pkg "$env" "$2" "$3" "${item%%=*}" "${item#*=}")
  done
  printf '%s\n' "$env"
}

# A source tree's environments: one per content state (so going back to an earlier state
# reuses its build), sharing one meson build directory per tree and configuration. Their names:
# numpy-src-<tree>-<state>-<configuration>; the newest ENV_SRC_KEEP of a tree are kept.
ENV_SRC_KEEP=4

# env__src_prepare PREFIX SAN TREE: sets ENV_SRC_NAME, the environment's name for the tree as
# it is now, and ENV_SRC_BUILD, the tree's build directory: the meson build directory (meson/),
# the manifest of the tree it was last built from, the tree's state now (state.json). Holds the
# tree's lock for the rest of the calling shell.
env__src_prepare() {
  local prefix=$1 san=$2 tree=$3 cfg state tid
  [ -f "$tree/pyproject.toml" ] && [ -d "$tree/numpy" ] ||
    tc_usage_die "NUMPY_SRC '$tree' is not a NumPy source tree (no pyproject.toml and numpy/ at its top)"
  tid=$(tc_hash "$tree")
  tc_lock "numpy-src-$tid"
  # shellcheck disable=SC2046
  cfg=$(tc_hash $(env__numpy_setup_args "$san" "$tree" "$prefix") "$(env__build_requires "$tree")" \
    "built by $(basename "$TC_BUILD_PREFIX")")
  ENV_SRC_BUILD="$prefix.envs/numpy-src-$tid-$cfg.build"
  mkdir -p "$ENV_SRC_BUILD"
  python3 "$TC_DIR/srctree.py" state "$tree" "$ENV_SRC_BUILD/manifest" "$ENV_SRC_BUILD/manifest.new" \
    >"$ENV_SRC_BUILD/state.json" || tc_die "cannot read the state of $tree"
  state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$ENV_SRC_BUILD/state.json")
  ENV_SRC_NAME="numpy-src-$tid-$state-$cfg"
}

# env__src_built ENV SECONDS INCREMENTAL: after a build from the tree: the build directory now
# holds this state, and the environment says which tree, commit and state it was built from.
env__src_built() {
  local env=$1 secs=$2 incr=$3
  mv "$ENV_SRC_BUILD/manifest.new" "$ENV_SRC_BUILD/manifest"
  python3 - "$ENV_SRC_BUILD/state.json" "$env/numpy-source.json" "$secs" "$incr" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
state.pop("changed", None)
state.update(build_seconds=int(sys.argv[3]), incremental=sys.argv[4] == "1")
with open(sys.argv[2], "w") as fh:
    json.dump(state, fh, indent=2, sort_keys=True)
PY
}

# env__src_done PREFIX TREE ENV: the tree's environments but ENV and the newest ones removed.
env__src_done() {
  local prefix=$1 tree=$2 env=$3 old
  rm -f "$ENV_SRC_BUILD/manifest.new"
  touch "$env"   # the newest by use, not by build
  while read -r old; do
    [ "$old" = "$env" ] || rm -rf "$old"
  done < <(ls -dt "$prefix.envs/numpy-src-$(tc_hash "$tree")-"* 2>/dev/null | grep -v '\.build$\|\.tmp\.' |
           tail -n +$((ENV_SRC_KEEP + 1)))
}

# PACKAGES_FROM_SOURCE (names among PACKAGES, a scenario's requires.from_source): built from
# their sdists with the toolchain's compiler and the sanitizer, so that their C code is
# instrumented and symbolized. Setuptools and meson builds read CC, CFLAGS and LDFLAGS.
# env__source_build_env SAN PREFIX: that environment, one NAME=VALUE a line.
# env__source_args BUILD_CONSTRAINTS: pip's options for them. Their isolated build environments
# get a NumPy no newer than the environment's (--build-constraint "numpy<=V"): an extension built
# against an older NumPy runs on a newer one, not the other way round, and NumPy publishes no
# 3.13t wheels from 2.5 on, which pip would otherwise build from source just to compile against.
# Everything else, there and in the environment, comes as wheels (--only-binary=:all:): the
# newest SciPy has no 3.13t wheel either, and pip would try to build it, Fortran and all.
env__source_args() {
  local n
  [ -n "${PACKAGES_FROM_SOURCE:-}" ] || return 0
  printf -- '--only-binary=:all:\n'
  for n in $PACKAGES_FROM_SOURCE; do printf -- '--no-binary=%s\n' "$n"; done
  printf -- '--build-constraint=%s\n' "$1"
}

# env__source_cflags SAN: their compiler flags. -O2 explicitly: statsmodels 0.14.6 declares
# C99 `inline` helpers without an external definition (_complex_shim.h: sm_clog...), which
# link only where the compiler inlined them ("undefined symbol: sm_clog" at import otherwise).
env__source_cflags() {
  case $1 in
    tsan) echo "-O2 -g -fno-omit-frame-pointer -fsanitize=thread" ;;
    asan) echo "-O2 -g -fno-omit-frame-pointer -fsanitize=address" ;;
    *) echo "-O2 -g -fno-omit-frame-pointer" ;;
  esac
}

env__source_build_env() {
  local flags
  [ -n "${PACKAGES_FROM_SOURCE:-}" ] || return 0
  flags=$(env__source_cflags "$1")
  # pip keeps the wheels it builds, keyed by the sdist alone: one cache per interpreter build
  # and flags, so a wheel built with other flags never lands in this environment.
  printf '%s\n' "CC=$TC_CC" "CXX=${TC_CC/clang/clang++}" "CFLAGS=$flags" "CXXFLAGS=$flags" "LDFLAGS=$flags" \
    "PIP_CACHE_DIR=$2.envs/pip-cache-$(tc_hash "$flags")"
}

# env__make_one PREFIX SAN NUMPY NAME PKGS [FROM]: one cached environment; with FROM, a copy
# of that environment with PKGS installed into it, NumPy pinned so pip cannot swap it.
env__make_one() {
  local prefix=$1 san=$2 numpy=$3 name=$4 pkgs=$5 from=${6:-} d tmp log t0=$SECONDS digest srcenv=()
  d="$prefix.envs/$name"
  # An environment is published whole, in one rename (tc_publish): one that exists is complete.
  if [ -f "$d/pyvenv.cfg" ]; then
    tc_say "environment: reusing $d"
    printf '%s\n' "$d"; return 0
  fi
  tc_lock "$(basename "$prefix")-$name"
  if [ -f "$d/pyvenv.cfg" ]; then printf '%s\n' "$d"; return 0; fi
  log="$(tc_logdir)/$(basename "$prefix")-$name.log"
  : >"$log"
  tmp=$(tc_tmpdir "$d")
  if [ -n "$from" ]; then
    rmdir "$tmp" && cp -a "$from" "$tmp" && rm -f "$tmp/toolchain.json"
    digest=$(env__so_digest "$tmp")
    # NumPy stays the one the base environment holds (a release, or what a tree built): its
    # installed metadata says which.
    { sed -n 's/^Version: /numpy==/p' "$from"/lib/python*/site-packages/numpy-*.dist-info/METADATA 2>/dev/null || true; } |
      head -n 1 >"$tmp/constraints.txt"
    sed 's/==/<=/; s/+.*//' "$tmp/constraints.txt" >"$tmp/build-constraints.txt"
    mapfile -t srcenv < <(env__source_build_env "$san" "$prefix")
    # shellcheck disable=SC2086
    tc_step "install $pkgs${PACKAGES_FROM_SOURCE:+ ($PACKAGES_FROM_SOURCE from source, $san)}" "$log" \
      tc__sanenv "${srcenv[@]}" "$tmp/bin/python" -m pip install \
      --disable-pip-version-check -c "$tmp/constraints.txt" $(env__source_args "$tmp/build-constraints.txt") $pkgs
    [ "$(env__so_digest "$tmp")" = "$digest" ] ||
      tc_die "installing '$pkgs' replaced the NumPy of this toolchain; pin packages that accept numpy==$numpy (log: $log)"
    printf '%s\n' $pkgs >"$tmp/packages.txt"
    # shellcheck disable=SC2086
    [ -z "${PACKAGES_FROM_SOURCE:-}" ] || printf '%s\n' $PACKAGES_FROM_SOURCE >"$tmp/packages-from-source.txt"
  else
    if [ -n "$numpy" ]; then
      tc_step "venv with pip" "$log" env__venv_fast "$prefix/bin/python3" "$tmp"
      env__numpy "$tmp" "$prefix" "$san" "$numpy" "$log"
    else
      tc_step "venv with pip" "$log" env__venv "$prefix/bin/python3" "$tmp"
    fi
  fi
  env__relocate "$tmp" "$d"
  tc_publish "$tmp" "$d"
  tc_say "environment $name ready in $((SECONDS - t0))s"
  printf '%s\n' "$d"
}

# SRC: source trees of packages other than NumPy (NumPy's own is NUMPY_SRC), as name=dir,
# toolchain.sh's ENV_SRC_PKGS. Each is built with the toolchain's compiler and sanitizer
# (env__source_cflags, as PACKAGES_FROM_SOURCE are) into a copy of the environment below it, one
# environment per content state of the tree and per environment below, so an edit rebuilds one
# package and going back to an earlier state reuses its build. A build is incremental: meson-python
# and scikit-build-core keep their build directory beside the environments, a setuptools build
# keeps its own (build/ in the tree) and recompiles the extensions whose sources changed.
ENV_SRC_PKGS=()

# env__pkg_parts TREE: what of the tree the sanitizer cannot see, one "part: what that hides" a
# line. Fortran (gfortran) and Rust (rustc) code is built without instrumentation, so its races
# are not reported; OpenMP's runtime (libgomp) is not built with TSan, whose reports between
# OpenMP's threads are then false.
env__pkg_parts() {
  # not what a build never compiles: its own outputs, examples, tests, benchmarks, docs
  local tree=$1 src=(-path "$tree/build" -prune -o -path "$tree/.git" -prune -o -path '*/examples' -prune -o
                     -path '*/tests' -prune -o -path '*/benchmarks' -prune -o -path '*/doc' -prune -o)
  find "$tree" "${src[@]}" -type f \( -name '*.f' -o -name '*.F' -o -name '*.f90' -o -name '*.F90' -o -name '*.f77' \) \
    -print -quit | grep -q . &&
    echo "Fortran: built by gfortran without the sanitizer; races and memory errors in it are not reported"
  find "$tree" "${src[@]}" -name Cargo.toml -print -quit | grep -q . &&
    echo "Rust: built by rustc without the sanitizer; races and memory errors in it are not reported"
  # OpenMP as the build asks for it (meson's dependency, CMake's find_package, the flag), not a
  # word in a vendored library's build file
  find "$tree" "${src[@]}" -path '*/subprojects' -prune -o -type f \( -name meson.build -o -name setup.py \
    -o -name CMakeLists.txt \) -print0 |
    xargs -0 -r grep -lisE -e "dependency\(['\"]openmp" -e 'fopenmp' -e 'find_package\(OpenMP' | grep -q . &&
    echo "OpenMP: libgomp is not built with the sanitizer; races TSan reports between OpenMP's own threads are false, and the package's OpenMP option (if it has one) turns it off"
  return 0
}

# env__pkg_version ENV NAME: the version of an installed distribution (its METADATA), or nothing.
env__pkg_version() {
  local f
  for f in "$1"/lib/python*/site-packages/*.dist-info/METADATA; do
    [ -f "$f" ] || continue
    if [ "$(sed -n 's/^Name: //p' "$f" | head -n 1 | tr 'A-Z_.' 'a-z--')" = "$(tr 'A-Z_.' 'a-z--' <<<"$2")" ]; then
      sed -n 's/^Version: //p' "$f" | head -n 1
      return 0
    fi
  done
}

# env__pkg FROM PREFIX SAN NAME TREE: the environment FROM with the package NAME built from TREE.
# Prints its directory.
env__pkg() {
  local from=$1 prefix=$2 san=$3 pkg=$4 tree=$5 tid cfg bdir state name d tmp log flags backend nv
  local extra=() args=() benv incr=0 t0=$SECONDS whl digest
  [ -f "$tree/pyproject.toml" ] || [ -f "$tree/setup.py" ] ||
    tc_usage_die "SRC: '$tree' ($pkg) is not a Python package's source tree (no pyproject.toml or setup.py at its top)"
  tid=$(tc_hash "$tree")
  tc_lock "src-$pkg-$tid"
  backend=$(python3 "$TC_DIR/pypi.py" backend "$tree") || tc_usage_die "SRC: cannot read the build system of $tree"
  flags=$(env__source_cflags "$san")
  [ "${COVERAGE:-0}" = 0 ] || flags="$flags $TC_COVERAGE_FLAGS"
  # Built against the environment's NumPy or an older one, never a newer: an extension built
  # against an older NumPy runs on a newer one, not the other way round.
  # NumPy as a wheel only (the option goes to pip with the requirements): the build needs its
  # headers, and pip would otherwise build an older NumPy from its sdist just to read its metadata.
  nv=$(env__pkg_version "$from" numpy)
  [ -z "$nv" ] || extra=("numpy<=${nv%%+*}" --only-binary=numpy)
  # shellcheck disable=SC2046
  cfg=$(tc_hash "$flags" "$backend" "$(env__build_requires "$tree" "${extra[@]}")" "built by $(basename "$TC_BUILD_PREFIX")")
  bdir="$prefix.envs/src-$pkg-$tid-$cfg.build"
  mkdir -p "$bdir"
  python3 "$TC_DIR/srctree.py" state "$tree" "$bdir/manifest" "$bdir/manifest.new" >"$bdir/state.json" ||
    tc_die "cannot read the state of $tree"
  state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$bdir/state.json")
  name="src-$pkg-$tid-$state-$cfg-$(tc_hash "$(basename "$from")")"
  d="$prefix.envs/$name"
  if [ -f "$d/pyvenv.cfg" ]; then
    tc_say "environment: reusing $d ($pkg from $tree)"
    rm -f "$bdir/manifest.new"
    touch "$d"
    printf '%s\n' "$d"; return 0
  fi
  log="$(tc_logdir)/$(basename "$prefix")-src-$pkg.log"
  : >"$log"
  benv=$(env__buildenv "$TC_BUILD_PREFIX" "$(env__build_requires "$tree" "${extra[@]}")")
  tmp=$(tc_tmpdir "$d")
  rmdir "$tmp" && cp -a "$from" "$tmp" && rm -f "$tmp/toolchain.json" "$tmp/selfcheck.ok"
  case $backend in
    mesonpy)
      [ -d "$bdir/build" ] && incr=1
      # meson introspects the environment's interpreter (its NumPy, its headers), as for NumPy
      printf "[binaries]\npython = '%s'\n" "$tmp/bin/python" >"$bdir/native.ini"
      args=("-Cbuild-dir=$bdir/build" "-Csetup-args=--native-file=$bdir/native.ini") ;;
    scikit_build_core.build)
      [ -d "$bdir/build" ] && incr=1
      args=("-Cbuild-dir=$bdir/build") ;;
    *)
      # setuptools and the rest build in the tree (build/), recompiling what changed
      [ -d "$tree/build" ] && incr=1 ;;
  esac
  tc_step "build $pkg from $tree ($san, $backend$([ $incr = 1 ] && echo ", incremental"))" "$log" \
    tc__sanenv CC="$TC_CC" CXX="${TC_CC/clang/clang++}" CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="$flags" \
      PATH="$benv/bin:$PATH" "$benv/bin/python" -m pip wheel --disable-pip-version-check --no-build-isolation \
      --no-deps -w "$tmp/.wheel" --verbose "${args[@]}" "$tree"
  whl=$(ls "$tmp"/.wheel/*.whl | head -n 1)
  digest=$(env__so_digest "$tmp")
  tc_step "install the $pkg wheel built with $san" "$log" \
    env__pip_fast "$tmp" --no-deps --no-index --force-reinstall "$whl"
  # and what it needs at run time (pandas: python-dateutil, tzdata), as wheels, by the
  # environment's own pip, which sees its NumPy installed and leaves it alone
  tc_step "install what $pkg needs at run time" "$log" \
    tc__sanenv "$tmp/bin/python" -m pip install --disable-pip-version-check --only-binary=:all: "$whl"
  [ "$(env__so_digest "$tmp")" = "$digest" ] ||
    tc_die "installing what $pkg needs replaced the NumPy of this toolchain (log: $log)"
  rm -rf "$tmp/.wheel"
  # which .pyx line each line of Cython's generated C comes from, beside NumPy's
  python3 "$TC_DIR/pyxlines.py" "$([ -d "$bdir/build" ] && echo "$bdir/build" || echo "$tree")" "$tmp/pyx-lines" ||
    tc_say "$pkg: no .pyx line map kept (Cython frames keep their C lines)"
  mv "$bdir/manifest.new" "$bdir/manifest"
  env__pkg_parts "$tree" >"$bdir/parts.txt"
  while read -r part; do tc_say "$pkg: not instrumented: $part"; done <"$bdir/parts.txt"
  python3 - "$bdir/state.json" "$tmp/sources.json" "$pkg" "$(env__pkg_version "$tmp" "$pkg")" "$backend" \
    "$((SECONDS - t0))" "$incr" "$bdir/parts.txt" <<'PY'
import json, os, sys
state_f, out, pkg, version, backend, secs, incr, parts = sys.argv[1:]
rec = json.load(open(state_f))
rec.pop("changed", None)
rec.update(name=pkg, version=version or None, build_system=backend, build_seconds=int(secs),
           incremental=incr == "1", not_instrumented=[l.strip() for l in open(parts) if l.strip()])
old = json.load(open(out)) if os.path.exists(out) else []
with open(out, "w") as fh:
    json.dump([r for r in old if r["name"] != pkg] + [rec], fh, indent=2, sort_keys=True)
PY
  env__relocate "$tmp" "$d"
  tc_publish "$tmp" "$d"
  tc_say "environment $name ready in $((SECONDS - t0))s"
  # the tree's environments but the newest ENV_SRC_KEEP
  ls -dt "$prefix.envs/src-$pkg-$tid-"* 2>/dev/null | grep -v '\.build$\|\.tmp\.' | tail -n +$((ENV_SRC_KEEP + 1)) |
    while read -r old; do rm -rf "$old"; done
  printf '%s\n' "$d"
}
