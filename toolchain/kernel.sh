#!/usr/bin/env bash
# Compiles one scenario kernel (build: {c|cython|pythran: path}) with the toolchain's compiler and
# sanitizer against its Python and NumPy, cached by content; prints the directory holding the
# module, to put on sys.path. build: {preload: path} makes a plain library for LD_PRELOAD.
# Usage: kernel.sh KIND SOURCE PYTHON SAN SANFLAGS CC
#   (the values of the toolchain's description, toolchain.json)
set -euo pipefail
TC_DIR=$(cd "$(dirname "$0")" && pwd)
. "$TC_DIR/lib.sh"
[ $# -eq 6 ] || tc_usage_die "usage: kernel.sh KIND SOURCE PYTHON SAN SANFLAGS CC"
kind=$1 src=$2 py=$3 san=$4 flags=$5 cc=$6
[ -f "$src" ] || tc_usage_die "build.$kind: no such kernel source $src"
[ -x "$py" ] || tc_die "no interpreter at $py (run make toolchain)"
TC_CC=$cc
env_dir=$(dirname "$(dirname "$py")")
pkgs=$(cat "$env_dir/packages.txt" 2>/dev/null || true)
key=$(tc_hash "$kind" "$(sha256sum "$src")" "$env_dir" "$flags" "$(tc_cc_version)" "$pkgs")
mod=$(basename "$src"); mod=${mod%.*}
final="$TC_CACHE/kernels/$mod-$key"
if [ -d "$final" ]; then printf '%s\n' "$final"; exit 0; fi
tc_lock "kernel-$mod-$key"
if [ -d "$final" ]; then printf '%s\n' "$final"; exit 0; fi
tmp=$(tc_tmpdir "$final")
log="$(tc_logdir)/kernel-$mod-$key.log"
: >"$log"
read -r ext inc npinc < <(tc__sanenv "$py" -c 'import sysconfig
try:
    import numpy; npinc = numpy.get_include()
except ImportError:
    npinc = "-"
print(sysconfig.get_config_var("EXT_SUFFIX"), sysconfig.get_path("include"), npinc)')
incs=(-I"$inc"); [ "$npinc" = - ] || incs+=(-I"$npinc")
cxx=${cc/clang/clang++}
# shellcheck disable=SC2086
case $kind in
  preload)
    # A plain shared library for LD_PRELOAD: no Python, no sanitizer (it runs before the
    # sanitizer runtime could be told about it).
    tc_step "compile preload library $mod" "$log" "$cc" -shared -fPIC -g -O1 -o "$tmp/$mod.so" "$src" -ldl ;;
  c)
    tc_step "compile kernel $mod (C, ${san})" "$log" "$cc" -shared -fPIC -g -O1 $flags "${incs[@]}" -o "$tmp/$mod$ext" "$src" ;;
  cython)
    cython=$(command -v "$env_dir/bin/cython" || ls "$(dirname "$env_dir")"/build-*/bin/cython 2>/dev/null | head -n 1 || true)
    [ -n "$cython" ] || tc_usage_die "build.cython: no Cython in the toolchain; add Cython to requires.packages"
    tc_step "cythonize kernel $mod" "$log" tc__sanenv "$cython" -3 -X freethreading_compatible=True -o "$tmp/$mod.c" "$src"
    tc_step "compile kernel $mod (Cython, ${san})" "$log" "$cc" -shared -fPIC -g -O1 $flags "${incs[@]}" -o "$tmp/$mod$ext" "$tmp/$mod.c" ;;
  pythran)
    [ -x "$env_dir/bin/pythran" ] || tc_usage_die "build.pythran: pythran is not installed in the toolchain; add it to requires.packages"
    cp "$src" "$tmp/$mod.py"
    # Translate first, so the C++ has a stable name in debug info and reports (Pythran would
    # compile a temporary file), then compile it with debug info kept: Pythran's default link
    # flags strip the module, which would leave sanitizer frames without names.
    tc_step "translate kernel $mod (Pythran)" "$log" tc_in_dir "$tmp" tc__sanenv "$env_dir/bin/pythran" -E -o "$mod.cpp" "$mod.py"
    tc_step "compile kernel $mod (Pythran, ${san})" "$log" tc_in_dir "$tmp" tc__sanenv CC="$cc" CXX="$cxx" \
      "$env_dir/bin/pythran" -g -O1 $flags --config "compiler.ldflags=$flags" -o "$mod$ext" "$mod.cpp" ;;
  *) tc_usage_die "build: unknown kind '$kind' (c, cython, pythran)" ;;
esac
tc_publish "$tmp" "$final"
printf '%s\n' "$final"
