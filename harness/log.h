/* Messages to stderr: one line each, prefixed, with errno text when given. */
#ifndef FT_LOG_H
#define FT_LOG_H

/* log_err: "harness: error: <message>[: <strerror(errnum)>]"; errnum 0 adds nothing. */
void log_err(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_info: "harness: <message>" */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
