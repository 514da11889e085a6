/* A growable text buffer with a hard maximum: the only way the harness builds text. */
#ifndef FT_BUF_H
#define FT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;  /* NUL-terminated once anything was appended; owned */
    size_t len;
    size_t cap;
    size_t max;  /* appends that would pass this fail with FT_ETOOBIG */
};

/* buf_init: an empty buffer that may grow to max bytes. Never fails. */
void buf_init(struct buf *b, size_t max);
/* buf_free: releases the data; the buffer is empty and reusable after. */
void buf_free(struct buf *b);
/* buf_append / buf_printf: 0, FT_ENOMEM or FT_ETOOBIG (then nothing is appended). */
int buf_append(struct buf *b, const char *s, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_cstr: the text, "" when empty; borrowed, valid until the next append. */
const char *buf_cstr(const struct buf *b);
/* buf_steal: the text, now owned by the caller; the buffer is empty after. NULL when empty. */
char *buf_steal(struct buf *b);

#endif
