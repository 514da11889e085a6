# Python environments on top of a CPython build: a venv holding NumPy (built from its sdist with
# the sanitizer, or a wheel for SAN=none) and, in a copy of it, the extra packages a scenario
# pins. Sourced by toolchain.sh.

# NumPy release -> the build requirements it builds with on a free-threaded interpreter.
# Cython gained free-threading support in 3.1; every NumPy that supports 3.13t builds with it.
env__build_pins() {
  case $1 in
    2.1.*|2.2.*|2.3.*|2.4.*) echo "meson-python==0.18.0 meson==1.8.2 ninja==1.11.1.4 Cython==3.1.2 pip==25.1.1" ;;
    *) tc_usage_die "NumPy $1 is not supported on free-threaded CPython (2.1.0 was the first release to support it)" ;;
  esac
}

# Options that cut build time without changing what the code does between threads: no
# runtime CPU dispatch (one code path per kernel), optimised with debug info and line numbers.
env__numpy_setup_args() {
  local san=$1
  printf '%s\n' -Dbuildtype=debugoptimized -Dcpu-dispatch=none -Dblas=openblas -Dlapack=openblas
  case $san in
    tsan) echo -Db_sanitize=thread ;;
    asan) echo -Db_sanitize=address ;;
  esac
}

# env__venv PYTHON DIR: a venv with pip, made by the sanitized interpreter itself.
env__venv() {
  tc__sanenv "$1" -m venv "$2"
}

# env__relocate TMP FINAL: a venv was made at TMP and is about to be renamed FINAL. Its
# interpreter finds its home through pyvenv.cfg, but the scripts pip wrote into bin/ (cython,
# meson, ninja: run by the build) carry TMP in their #! line, as toolchain.json does.
env__relocate() {
  local tmp=$1 final=$2 f
  for f in "$tmp"/bin/* "$tmp"/pyvenv.cfg "$tmp"/toolchain.json; do
    [ -f "$f" ] && [ ! -L "$f" ] && grep -Iq -- "$tmp" "$f" && sed -i "s|$tmp|$final|g" "$f"
  done
  return 0
}

# env__buildenv PREFIX PINS: a venv with NumPy's build requirements, shared by NumPy versions
# needing the same pins. Prints its directory.
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
      tc_step "install $pins" "$log" tc__sanenv "$tmp/bin/python" -m pip install --disable-pip-version-check $pins
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
      python3 "$TC_DIR/fetch_sdist.py" "$name" "$ver" "$d"
  fi
  printf '%s\n' "$d/$name-$ver.tar.gz"
}

# env__so_digest ENV: digest of NumPy's core extension, to prove later installs left it alone.
env__so_digest() {
  # No NumPy in the environment: an empty digest, not a failure.
  { find "$1"/lib/python*/site-packages/numpy -name '_multiarray_umath*.so' -exec sha256sum {} + 2>/dev/null || true; } | cut -c1-64
}

# env__numpy ENV_TMP PREFIX SAN VERSION LOG: install NumPy into the venv being made.
env__numpy() {
  local env=$1 prefix=$2 san=$3 ver=$4 log=$5 sdist benv args=() a
  if [ "$san" = none ]; then
    tc_step "install the NumPy $ver wheel" "$log" tc__sanenv "$env/bin/python" -m pip install \
      --disable-pip-version-check --only-binary numpy "numpy==$ver"
    return
  fi
  sdist=$(env__sdist numpy "$ver")
  benv=$(env__buildenv "$prefix" "$(env__build_pins "$ver")")
  for a in $(env__numpy_setup_args "$san"); do args+=("-Csetup-args=$a"); done
  # The build environment's bin/ first: meson looks up cython and ninja on PATH, and must find
  # the pinned ones, not whatever the machine has.
  tc_step "build NumPy $ver from its sdist ($san)" "$log" \
    tc__sanenv CC="$TC_CC" CXX="${TC_CC/clang/clang++}" PATH="$benv/bin:$PATH" "$benv/bin/python" -m pip wheel \
      --disable-pip-version-check --no-build-isolation --no-deps -w "$env/.wheel" \
      "-Cbuild-dir=$env/.build" "${args[@]}" "$sdist"
  tc_step "install the NumPy $ver wheel built with $san" "$log" tc__sanenv "$env/bin/python" -m pip install \
    --disable-pip-version-check --no-deps --no-index "$env"/.wheel/numpy-*.whl
  rm -rf "$env/.build" "$env/.wheel"
}

# env__describe ENV SAN: toolchain.json, everything the harness needs to embed this
# interpreter, link against it and run scenarios in it; written by the interpreter itself.
env__describe() {
  local env=$1 san=$2
  local sym
  sym=$(command -v "llvm-symbolizer-$(tc_cc_version | cut -d. -f1)" || command -v llvm-symbolizer || true)
  [ -z "$sym" ] || sym=$(realpath "$sym")
  tc__sanenv "$env/bin/python" - "$san" "$TC_CC" "${TC_SETARCH:-0}" "$sym" <<'PY' >"$env/toolchain.json.tmp"
import json, os, site, sys, sysconfig
san, cc, setarch, symbolizer = sys.argv[1:5]
v = sysconfig.get_config_var
prefix = sys.base_prefix
share = os.path.join(prefix, "share", "ftsan")
supp = os.path.join(share, "tsan", "suppressions_free_threading.txt")
try:
    import numpy
    numpy_version, numpy_dir = numpy.__version__, os.path.dirname(numpy.__file__)
except ImportError:
    numpy_version = numpy_dir = None
info = {
    "python": os.path.join(sys.prefix, "bin", "python"),
    "base_executable": os.path.realpath(sys._base_executable),
    "prefix": sys.prefix,
    "base_prefix": prefix,
    "version": sys.version.split()[0],
    "abiflags": sys.abiflags,
    "stdlib": sysconfig.get_path("stdlib"),
    "platstdlib": sysconfig.get_path("platstdlib"),
    "site_packages": site.getsitepackages(),
    "include": sysconfig.get_path("include"),
    "libpython_static": os.path.join(v("LIBPL"), v("LIBRARY")),
    "link_libs": " ".join(x for x in (v("LIBS"), v("SYSLIBS"), v("MODLIBS")) if x),
    "config_args": v("CONFIG_ARGS"),
    "gil_disabled": bool(v("Py_GIL_DISABLED")),
    "sanitizer": san,
    "sanitizer_flags": {"tsan": "-fsanitize=thread", "asan": "-fsanitize=address", "none": ""}[san],
    "cc": cc,
    "setarch": setarch == "1",
    "symbolizer": symbolizer or None,
    "tsan_suppressions": supp if os.path.exists(supp) else None,
    "numpy_version": numpy_version,
    "numpy_dir": numpy_dir,
}
json.dump(info, sys.stdout, indent=2, sort_keys=True)
print()
PY
  mv "$env/toolchain.json.tmp" "$env/toolchain.json"
}

# env_make PREFIX SAN NUMPY PACKAGES: the environment for that NumPy (or none) and those
# packages, made if missing. Prints its directory.
env_make() {
  local prefix=$1 san=$2 numpy=$3 pkgs=$4 name base
  if [ -n "$numpy" ]; then
    # shellcheck disable=SC2046
    name="numpy-$numpy-$(tc_hash $(env__numpy_setup_args "$san") "$(env__build_pins "$numpy")")"
  else
    name=bare
  fi
  base=$(env__make_one "$prefix" "$san" "$numpy" "$name" "")
  if [ -n "$pkgs" ]; then
    env__make_one "$prefix" "$san" "$numpy" "$name+$(tc_hash $pkgs)" "$pkgs" "$base"
  else
    printf '%s\n' "$base"
  fi
}

# env__make_one PREFIX SAN NUMPY NAME PKGS [FROM]: one cached environment; with FROM, a copy
# of that environment with PKGS installed into it, NumPy pinned so pip cannot swap it.
env__make_one() {
  local prefix=$1 san=$2 numpy=$3 name=$4 pkgs=$5 from=${6:-} d tmp log t0=$SECONDS digest
  d="$prefix.envs/$name"
  if [ -f "$d/toolchain.json" ]; then
    tc_say "environment: reusing $d"
    printf '%s\n' "$d"; return 0
  fi
  tc_lock "$(basename "$prefix")-$name"
  if [ -f "$d/toolchain.json" ]; then printf '%s\n' "$d"; return 0; fi
  log="$(tc_logdir)/$(basename "$prefix")-$name.log"
  : >"$log"
  tmp=$(tc_tmpdir "$d")
  if [ -n "$from" ]; then
    rmdir "$tmp" && cp -a "$from" "$tmp" && rm -f "$tmp/toolchain.json"
    digest=$(env__so_digest "$tmp")
    [ -n "$numpy" ] && printf 'numpy==%s\n' "$numpy" >"$tmp/constraints.txt" || : >"$tmp/constraints.txt"
    # shellcheck disable=SC2086
    tc_step "install $pkgs" "$log" tc__sanenv "$tmp/bin/python" -m pip install \
      --disable-pip-version-check -c "$tmp/constraints.txt" $pkgs
    [ "$(env__so_digest "$tmp")" = "$digest" ] ||
      tc_die "installing '$pkgs' replaced the NumPy of this toolchain; pin packages that accept numpy==$numpy (log: $log)"
    printf '%s\n' $pkgs >"$tmp/packages.txt"
  else
    tc_step "venv with pip" "$log" env__venv "$prefix/bin/python3" "$tmp"
    [ -n "$numpy" ] && env__numpy "$tmp" "$prefix" "$san" "$numpy" "$log"
  fi
  env__describe "$tmp" "$san"
  env__relocate "$tmp" "$d"
  tc_publish "$tmp" "$d"
  tc_say "environment $name ready in $((SECONDS - t0))s"
  printf '%s\n' "$d"
}
