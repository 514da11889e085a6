/* Shared inside the san module only. */
#ifndef FT_SAN_INTERNAL_H
#define FT_SAN_INTERNAL_H

#include "san.h"

struct san_report *san__report_new(struct san_reports *out, enum san_kind kind, const char *title);
struct san_stack *san__stack_new(struct san_report *r, const char *label, size_t label_len);
int san__stack_push(struct san_stack *s, struct san_frame *f);
void san__stack_free(struct san_stack *s);
int san__parse_pyframe(const char *line, struct san_frame *f);
void san__stack_reverse(struct san_stack *s);
int san__pystack_to_stack(struct san_report *r, const char *label, const char *text);

/* Iterate the lines of a buffer: *line and *n get each line without its newline. */
struct san__lines {
    const char *p, *end;
};
int san__next_line(struct san__lines *it, const char **line, size_t *n);
/* san__each_line: fn on every line of text, stopping at the first non-zero return. */
int san__each_line(const char *text, size_t len, int (*fn)(const char *line, size_t n, struct san_reports *out),
                   struct san_reports *out);

#endif
