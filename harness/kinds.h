/* The kinds of finding: one table, read by the parsers (san), the signatures (sig), the reports
 * (rpt), the scenario's `expect: kind` (scn) and the catalog. Includes nothing: every floor may
 * read it. */
#ifndef FT_KINDS_H
#define FT_KINDS_H

/* X(name, slug): slug is the kind's name in reports and in scenario `expect: kind`. */
#define SAN_KIND_MAP(X)                        \
    X(DATA_RACE, "data-race")                  \
    X(SCENARIO_DATA, "scenario-data-race")     \
    X(HEAP_USE_AFTER_FREE, "heap-use-after-free") \
    X(DOUBLE_FREE, "double-free")              \
    X(HEAP_OVERFLOW, "heap-buffer-overflow")   \
    X(STACK_OVERFLOW, "stack-buffer-overflow") \
    X(GLOBAL_OVERFLOW, "global-buffer-overflow") \
    X(BAD_FREE, "bad-free")                    \
    X(THREAD_LEAK, "thread-leak")              \
    X(MUTEX_MISUSE, "mutex-misuse")            \
    X(LOCK_ORDER, "lock-order-inversion")      \
    X(SIGNAL_UNSAFE, "signal-unsafe-call")     \
    X(SIGNAL_ERRNO, "signal-errno")            \
    X(SEGV, "segv")                            \
    X(UBSAN, "undefined-behaviour")            \
    X(SANITIZER_OTHER, "sanitizer-report")     \
    X(MALLOC_ABORT, "malloc-abort")            \
    X(FATAL_SIGNAL, "fatal-signal")            \
    X(HANG, "hang")                            \
    X(EXCEPTION, "exception")                  \
    X(PROCESS, "process-event")                \
    X(RESOURCE, "resource")

enum san_kind {
#define SAN__KIND_ENUM(name, slug) SAN_##name,
    SAN_KIND_MAP(SAN__KIND_ENUM)
#undef SAN__KIND_ENUM
    SAN_KIND_COUNT
};

/* san_kind_slug: "data-race" ... */
const char *san_kind_slug(enum san_kind k);

#endif
