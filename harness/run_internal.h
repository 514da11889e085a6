/* Shared inside the run module only: the slots of running runs, starting a process, and the
 * fork server's side in the supervisor (run_server.c). */
#ifndef FT_RUN_INTERNAL_H
#define FT_RUN_INTERNAL_H

#include <sys/types.h>

#include "run.h"

struct run__slot {
    int active;
    int i;
    pid_t pid;
    double start;
    long peak_threads;
    long peak_vm_kb;
    int hang_stage; /* 0 running, 1 asked for stacks (SIGTERM), 2 killed */
    int interrupted; /* killed because the harness was interrupted, not for its timeout */
    double stage_at;
};

/* The fork server as the supervisor sees it. */
struct run__server {
    pid_t pid;  /* -1: none */
    int ctl;    /* the supervisor's end of the control socket, -1: none */
    int ready;  /* it takes requests */
    int starts; /* how many servers were started (restarts: starts - 1) */
    long offered; /* the runs its setup says the scenario makes ("ready N": pytest mode's plan), or 0 */
};

double run__now(void);
/* run__stopping: SIGINT or SIGTERM arrived: start nothing more, stop waiting. */
int run__stopping(void);
void run__slot_start(struct run__slot *s, int i, pid_t pid);

/* run__exec: argv_t/envp_t with {dir}, {run}, {seed} filled in, spawned in its own process group,
 * stdin from /dev/null, stdout and stderr into dir (made when missing), ctl (>= 0) as
 * RUN_CONTROL_FD. 0, or FT_ESPAWN / FT_EIO / FT_ETOOBIG / FT_ENOMEM (logged). */
int run__exec(char *const *argv_t, char *const *envp_t, const char *dir, int i, unsigned long seed, int ctl, pid_t *pid);

/* run__server_start: a fork server for the plan, waited for until it says it is ready or why it
 * cannot serve (then mode->why says it, and every run is spawned). */
void run__server_start(const struct run_plan *plan, struct run__server *srv, struct run_mode *mode);
/* run__server_fork: run i forked by the server (started again once when it died); 0 with *pid,
 * or -1 when the run must be spawned instead (mode->why says why from then on). */
int run__server_fork(const struct run_plan *plan, struct run__server *srv, int i, unsigned long seed, const char *dir,
                     pid_t *pid, struct run_mode *mode);
/* run__server_sweep: reaps processes orphaned to the supervisor (it is their subreaper) that are
 * neither a slot's run nor the server. */
void run__server_sweep(struct run__server *srv, const struct run__slot *slots, long n);
void run__server_stop(struct run__server *srv);

#endif
