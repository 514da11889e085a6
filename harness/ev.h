/* The child's event log: events.jsonl in the run's evidence directory, one JSON object a line,
 * written whole with one write() so lines from many threads never interleave. */
#ifndef FT_EV_H
#define FT_EV_H

#include <jansson.h>

/* ev_open: open (create, append) the log. 0 or FT_EIO (logged). */
int ev_open(const char *path);
/* ev_write: append obj as one line; steals the reference to obj. Safe from any thread. */
void ev_write(json_t *obj);
/* ev_fd: the log's descriptor, for code that must not allocate (-1 when closed). */
int ev_fd(void);
void ev_close(void);

#endif
