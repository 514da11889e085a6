/* Symbolization of frames a sanitizer left unsymbolized ("<null> <null> (libfoo.so+0x1234)"),
 * with llvm-symbolizer, after the fact. */
#ifndef FT_SYM_H
#define FT_SYM_H

#include "san.h"

/* sym_resolve: fill function/file/line of every frame of out that has a module and an offset but
 * no function. Modules named by basename (TSan prints only that) are looked for under the
 * directories of search (NULL-terminated). symbolizer NULL: nothing is done. Returns how many
 * frames were symbolized, or a negative FT_E code. */
int sym_resolve(struct san_reports *out, const char *symbolizer, const char *const *search);

#endif
