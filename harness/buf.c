/* Growable, bounded text buffer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void
buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

void
buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b, b->max);
}

static int
buf__reserve(struct buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->err)
        return b->err;
    if (extra > b->max || b->len > b->max - extra)
        return b->err = FT_ETOOBIG;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return b->err = FT_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
buf_append(struct buf *b, const char *s, size_t n)
{
    int rc = buf__reserve(b, n);

    if (rc != 0)
        return rc;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n, rc;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        va_end(again);
        return b->err = FT_EIO;
    }
    if ((rc = buf__reserve(b, (size_t)n)) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
buf_cstr(const struct buf *b)
{
    return b->data ? b->data : "";
}

char *
buf_steal(struct buf *b)
{
    char *s = b->data;

    buf_init(b, b->max);
    return s;
}

/* vsnprintf into a fixed array: what it returned (the length the text wanted). */
static int
buf__vfmt(char *out, size_t n, const char *fmt, va_list ap)
{
    int k = vsnprintf(out, n, fmt, ap);

    if (k < 0 && n)
        out[0] = '\0';
    return k;
}

int
buf_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = buf__vfmt(out, n, fmt, ap);
    va_end(ap);
    if (k >= 0 && (size_t)k < n)
        return 0;
    if (n)
        out[0] = '\0';
    return k < 0 ? FT_EIO : FT_ETOOBIG;
}

int
buf_fmt_cut(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = buf__vfmt(out, n, fmt, ap);
    va_end(ap);
    if (k < 0)
        return FT_EIO;
    if ((size_t)k < n)
        return 0;
    if (n > 4)
        memcpy(out + n - 4, "...", 4);
    return 1;
}
