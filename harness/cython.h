/* Cython's generated C, named the way its authors wrote it: a frame in
 * __pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__ at bit_generator.pyx.c
 * line 14694 is BitGenerator.ctypes.__get__ at numpy/random/bit_generator.pyx line 606.
 *
 * The .pyx line comes from the map the NumPy build keeps (toolchain/pyxlines.py: one
 * <name>.pyx.c.tsv a generated file, "# numpy/random/bit_generator.pyx" then "C line<TAB>.pyx
 * line" where the .pyx line changes); without it the line is 0 (unknown) and the file is the
 * .pyx's base name. Signatures use the base name alone, so they are the same with or without a
 * map. */
#ifndef FT_CYTHON_H
#define FT_CYTHON_H

#include <stddef.h>

#include "san.h"

/* cython_name: function (a Cython C name) as "Class.method", "Class.prop.__get__" or
 * "function" into out, given the generated file it is in (its base name tells the module).
 * 1 when it is one of Cython's names (__pyx_pf_, __pyx_pw_, __pyx_f_, __pyx_getprop_,
 * __pyx_setprop_) and was renamed, else 0
 * and out untouched. */
int cython_name(const char *function, const char *file, char *out, size_t n);

/* cython_signature: a signature or frame string ("data-race: A (a.pyx.c) <> B (b.c)") with every
 * Cython frame renamed as cython_name does and its file "(a.pyx)": how signatures written before
 * the renaming are compared with today's. Always NUL-terminates out (truncating). */
void cython_signature(const char *sig, char *out, size_t n);

/* cython_frames: every frame of out in a *.pyx.c file renamed, moved to its .pyx file and line
 * (from the maps in pyx_dir, which may be NULL). Returns how many frames, or FT_ENOMEM. */
int cython_frames(struct san_reports *out, const char *pyx_dir);

#endif
