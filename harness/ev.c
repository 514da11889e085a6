/* events.jsonl writer shared by the child's threads and hooks. */
#include "ev.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

static int ev__fd = -1;
static pthread_mutex_t ev__lock = PTHREAD_MUTEX_INITIALIZER;

int
ev_open(const char *path)
{
    ev__fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (ev__fd < 0) {
        log_err(errno, "cannot open %s", path);
        return FT_EIO;
    }
    return 0;
}

int
ev_fd(void)
{
    return ev__fd;
}

void
ev_write(json_t *obj)
{
    char *line;
    size_t len;

    if (obj == NULL)
        return;
    line = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (line == NULL || ev__fd < 0) {
        free(line);
        return;
    }
    len = strlen(line);
    line[len] = '\n'; /* replaces the NUL: written with its length, never as a C string */
    pthread_mutex_lock(&ev__lock);
    /* O_APPEND plus one write per line: a line is never split by another writer. */
    if (write(ev__fd, line, len + 1) < 0)
        log_err(errno, "cannot write an event");
    pthread_mutex_unlock(&ev__lock);
    free(line);
}

void
ev_close(void)
{
    if (ev__fd >= 0)
        close(ev__fd);
    ev__fd = -1;
}
