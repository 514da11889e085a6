/* Shared inside the sig module only. */
#ifndef FT_SIG_INTERNAL_H
#define FT_SIG_INTERNAL_H

#include "sig.h"

/* sig__finding_free: one finding's contents (not the struct). */
void sig__finding_free(struct sig_finding *x);

/* sig__add_strs: the strings of add not yet in *list appended (copied); with counts, each
 * string's count grows by its addc. 0 or FT_ENOMEM. */
int sig__add_strs(char ***list, size_t *n, char *const *add, size_t nadd, long **counts, const long *addc);

/* sig__frame_str: "function (file)" of f, "?" for NULL: how signatures name a frame. */
void sig__frame_str(const struct san_frame *f, char *out, size_t n);

#endif
