/* Messages to stderr, and the error vocabulary's strings. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

const char *
ft_strerror(int code)
{
    switch (code) {
#define FT__ERR_CASE(name, value, msg) \
    case value:                        \
        return msg;
        FT_ERR_MAP(FT__ERR_CASE)
#undef FT__ERR_CASE
    }
    return "unknown error";
}

static void
log__line(const char *prefix, int errnum, const char *fmt, va_list ap)
{
    char msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (errnum != 0)
        fprintf(stderr, "harness: %s%s: %s\n", prefix, msg, strerror(errnum));
    else
        fprintf(stderr, "harness: %s%s\n", prefix, msg);
}

void
log_err(int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log__line("error: ", errnum, fmt, ap);
    va_end(ap);
}

void
log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log__line("", 0, fmt, ap);
    va_end(ap);
}
