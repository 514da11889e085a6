/* Evidence text -> parsed reports: TSan and ASan logs, glibc malloc aborts, fatal signals and
 * faulthandler stacks, hangs, Python exceptions and process events. Parsers take text, never
 * paths, so tests and fuzzers feed them directly; nothing here decides what is the same bug. */
#ifndef FT_SAN_H
#define FT_SAN_H

#include <stddef.h>

#include "buf.h"
#include "kinds.h"

/* One stack frame, native or Python. Strings owned by the frame; NULL when not known. */
struct san_frame {
    char *function;
    char *file;
    int line;
    char *module;          /* binary basename or path, for native frames */
    unsigned long offset;  /* within module; 0 when not given */
};

/* Frames are innermost first, whatever order the evidence printed them in. */
struct san_stack {
    char *label;           /* the line above the stack: "Write of size 8 at ... by thread T2:" */
    struct san_frame *frames;
    size_t n;
};

struct san_report {
    enum san_kind kind;
    char *title;           /* the sanitizer's own words, e.g. "data race", "free(): invalid size" */
    struct san_stack *stacks;
    size_t n_stacks;
    char *raw;             /* the report's text as found */
    char *pystack;         /* Python traceback at the time of the report, when known */
    char *detail;          /* kind-specific: exception message, process command, limit breached */
    char *location;        /* TSan's "Location is global 'x' of size 8 at 0x..." line, when given */
    char *test;            /* the test the threads ran (pytest mode's _ftsan.set_test), when known */
    unsigned event;        /* process reports: the class of the event (an enum scn_event bit), else 0 */
    int pid;
};

/* A data buffer the scenario's threads share by its own design (events.jsonl "shared"). */
struct san_shared {
    unsigned long lo, hi; /* [lo, hi) */
    char *name;           /* the setup name that holds it: "a", "pool[2]" */
};

struct san_reports {
    struct san_report *v;
    size_t n;
    struct san_shared *shared;
    size_t n_shared;
    /* "Suppressions used:" counts from TSan's exit summary, by rule. */
    char **supp_rules;
    long *supp_counts;
    size_t n_supp;
    /* Extension modules that would have re-enabled the GIL (events.jsonl "gil"). */
    char **gil_modules;
    size_t n_gil;
    /* pytest mode: each test run, "outcome\tnodeid\treason" (events.jsonl "test"). */
    char **tests;
    size_t n_tests;
};

void san_reports_init(struct san_reports *r);
void san_reports_free(struct san_reports *r);
/* san_report_free: one report's contents (not the struct). san_report_copy: a deep copy into
 * *dst (free it with san_report_free); 0 or FT_ENOMEM. */
void san_report_free(struct san_report *r);
void san_stack_free(struct san_stack *s);
int san_report_copy(struct san_report *dst, const struct san_report *src);

/* Parsers: append what they recognise in text to *out. 0, or FT_ENOMEM. Text they do not
 * recognise is skipped, never an error: logs are written by programs that are crashing.
 * text[len] must be '\0' (evd_read_file's buffers are): the line matchers use the C string
 * functions, which stop there. */
int san_parse_tsan(const char *text, size_t len, struct san_reports *out);
int san_parse_asan(const char *text, size_t len, struct san_reports *out);
/* stderr of a run: glibc malloc aborts ("free(): invalid size") and UBSan runtime errors. */
int san_parse_stderr(const char *text, size_t len, struct san_reports *out);
/* faulthandler.txt: "Fatal Python error: ..." and the current thread's Python stack. */
int san_parse_faulthandler(const char *text, size_t len, int timed_out, struct san_reports *out);
/* gdb.txt ("thread apply all bt") of a hung run: attached to the hang report. */
int san_parse_gdb(const char *text, size_t len, struct san_stack **threads, size_t *n);
/* events.jsonl: exceptions (title and stack from the root cause: the first traceback printed,
 * e.g. the worker's inside joblib's BrokenProcessPool), process events, GIL notes. */
int san_parse_events(const char *text, size_t len, struct san_reports *out);
/* pystack.txt: the "=== ftsan report N pid P ..." sections of pid, attached in order to the
 * reports out->v[first..] that came from that pid's sanitizer log; a heading that ends
 * " | test NODEID" names the report's test. */
int san_attach_pystacks(const char *text, size_t len, int pid, struct san_reports *out, size_t first);

/* san_mark_shared: data races among out->v[from..] on a buffer of out->shared become
 * scenario-data-race reports, their detail naming the buffer ("the data of `a`, which the
 * scenario's threads share"):
 * threads writing the elements of an array they share race by the scenario's design, and a
 * maintainer must see them apart from races on the library's own state. The access TSan names
 * first decides. 0 or FT_ENOMEM. */
int san_mark_shared(struct san_reports *out, size_t from);

/* san_merge_crash: among out->v[from..], a glibc abort message and faulthandler's fatal error
 * are one crash: the first keeps its title and takes the other's Python stacks. */
void san_merge_crash(struct san_reports *out, size_t from);
/* san_add_hang: a hang report with no stacks (a run stuck too hard to dump them). */
int san_add_hang(struct san_reports *out);
/* san_add_signal: a run that died by signal sig is a fatal-signal report ("killed by signal
 * KILL") unless a report among out->v[from..] already tells how it ended (a crash, a fatal
 * error, a hang): no handler that would have said so ran (a SIGKILL, a handler gone). 0 or
 * FT_ENOMEM. */
int san_add_signal(struct san_reports *out, size_t from, int sig);

/* san_attach_native: gdb's thread stacks (san_parse_gdb) appended to a hang report's stacks,
 * labelled "native Thread N (...)"; the stacks are moved out of threads (each left empty), so the
 * caller frees every threads[i] with san_stack_free and the array with free(), whatever the
 * result. 0 or FT_ENOMEM. */
int san_attach_native(struct san_report *r, struct san_stack *threads, size_t n);

/* san_add_resource: a resource limit breached (title names the limit, detail the figures). */
int san_add_resource(struct san_reports *out, const char *title, const char *detail);

/* san_parse_frame: one frame line of a TSan or ASan stack ("    #0 ..."); 0 or FT_ENOTFOUND. */
int san_parse_frame(const char *line, struct san_frame *f);
void san_frame_free(struct san_frame *f);

#endif
