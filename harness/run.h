/* Supervision of child processes: one fresh process per run, a few at a time, each in its own
 * process group, with a timeout; on a hang its stacks are saved before the group is killed.
 * Everything observed lands in the run's evidence directory; nothing is interpreted here. */
#ifndef FT_RUN_H
#define FT_RUN_H

#include <sys/types.h>

struct run_plan {
    char *const *argv;  /* child command line; "{dir}" and "{run}" and "{seed}" are filled in */
    char *const *envp;  /* child environment; "{dir}" is filled in */
    const char *evidence; /* the evidence directory; run-NNNN/ subdirectories are made in it */
    long runs;          /* 0: as many as the fork server's setup offers (pytest mode's plan) */
    long jobs;
    long budget;        /* seconds: no run starts after them (the first always does); 0: none */
    long timeout;       /* seconds per run */
    unsigned long seed; /* run i gets seed + i */
    const char *gdb;    /* gdb for hang stacks, or NULL to skip */
    char *const *server_argv; /* the fork server's command line ({dir}: its evidence directory, under
                                 evidence/), or NULL: every run is a fresh process */
};

/* The fork server's control socket in the server. */
#define RUN_CONTROL_FD 3

/* How the runs got their processes. */
struct run_mode {
    long forked, spawned; /* runs forked from the server; runs spawned fresh */
    int servers;          /* fork servers started (more than one: it died and was started again) */
    char why[512];        /* why runs were spawned although the plan asked for fork, or "" */
    long budget_left;     /* runs not started because the budget was spent */
};

/* What the supervisor saw of one run; also written as status.json in its directory. */
struct run_result {
    int run;
    pid_t pid;
    int exited;       /* 1: exit_code is valid */
    int exit_code;
    int signal;       /* terminating signal, 0 if none */
    int timed_out;
    int interrupted;  /* killed because the harness was interrupted: neither a hang nor a crash */
    double seconds;
    long maxrss_kb;   /* from wait4 */
    long peak_threads; /* sampled from /proc */
    long peak_vm_kb;   /* VmPeak, sampled from /proc */
};

/* Called after each run ends, in the supervisor, in the order runs end. */
typedef void (*run_done_fn)(const struct run_result *r, const char *dir, void *arg);

/* run_all: run every run of the plan (plan->runs 0: as many as the fork server offers, then set);
 * *results gets an array of plan->runs entries, results[i] for run i (the caller frees it); how
 * they got their processes into *mode. Past the budget no run starts (mode->budget_left counts
 * them). 0 when every run was started (or left by the budget) and reaped, whatever they did;
 * FT_ESPAWN/FT_EIO/FT_ENOMEM otherwise (logged). On SIGINT/SIGTERM the running groups are killed,
 * reaped and recorded, and run_all returns 1. */
int run_all(struct run_plan *plan, struct run_result **results, run_done_fn done, void *arg, struct run_mode *mode);

/* run_capture: run argv (searched in PATH) with input on its stdin, its stdout into *out,
 * killed after timeout seconds. 0, or FT_ESPAWN / FT_EIO (logged) / FT_ETOOBIG. */
struct buf;
int run_capture(char *const *argv, const char *input, size_t len, struct buf *out, int timeout);

/* run_dir: the evidence directory of run i into out. 0, or FT_ETOOBIG when it does not fit. */
int run_dir(const struct run_plan *plan, int i, char *out, size_t n);

#endif
