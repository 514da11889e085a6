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
    int err;     /* the first failed append's error; sticky: every later append fails with it, so a
                    text built in many steps is checked once, before it is used */
};

/* buf_init: an empty buffer that may grow to max bytes. Never fails. */
void buf_init(struct buf *b, size_t max);
/* buf_free: releases the data; the buffer is empty and reusable after. */
void buf_free(struct buf *b);
/* buf_append / buf_printf: 0, FT_ENOMEM or FT_ETOOBIG (then nothing is appended, and b->err
 * keeps the error until buf_free). */
int buf_append(struct buf *b, const char *s, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* buf_cstr: the text, "" when empty; borrowed, valid until the next append. */
const char *buf_cstr(const struct buf *b);
/* buf_steal: the text, now owned by the caller; the buffer is empty after. NULL when empty. */
char *buf_steal(struct buf *b);

/* buf_fmt: snprintf into a fixed array that says when it would cut: 0, or FT_ETOOBIG (out is
 * then "") or FT_EIO. For paths and names; longer texts go in a struct buf. */
int buf_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* buf_fmt_cut: the same for display text (a title, a message) that may be cut to fit: it then
 * ends in "..." so the cut shows, and 1 is returned; 0 when it fit. */
int buf_fmt_cut(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
