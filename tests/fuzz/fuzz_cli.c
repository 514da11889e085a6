/* libFuzzer target for the harness's command line (cli_parse, the command and option tables):
 * the input is argv after the program's name, arguments separated by NULs. What must hold, or
 * the target aborts:
 * - a refusal is FT_EUSAGE with a message; nothing else fails;
 * - an accepted command line has a command, and unless it asks for the help (--help anywhere:
 *   nothing runs), the arguments its command needs (a scenario, a toolchain, an evidence
 *   directory), numbers in their ranges, --process fork or fresh, and every string either a
 *   default or one of the arguments;
 * - parsing is a function of argv: the same arguments parse to the same options again.
 * The pipelines are never run: the stand-ins of the command table abort.
 *
 * FUZZ_SEEDS=DIR writes the seed corpus instead, from the help the tables make (each command
 * with each option that applies to it, and a value), and DIR/../cli.dict, then exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "drv.h"
#include "err.h"
#include "fuzz_seeds.h"

#define FUZZ_MAX_ARGS 64

static int
fuzz_never(const struct cli_opts *o)
{
    (void)o;
    abort();
}

int drv_run(const struct cli_opts *o) { return fuzz_never(o); }
int drv_child(const struct cli_opts *o) { return fuzz_never(o); }
int drv_serve(const struct cli_opts *o) { return fuzz_never(o); }
int drv_list(const struct cli_opts *o) { return fuzz_never(o); }
int drv_keys(const struct cli_opts *o) { return fuzz_never(o); }

/* A string option: a default, or one of the arguments (cli_parse borrows them). */
static void
fuzz_borrowed(const char *s, const char *dflt, char **argv, int argc, const char *name)
{
    if (s == NULL || (dflt && s == dflt))
        return;
    for (int i = 1; i < argc; i++)
        if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
            return;
    if (dflt == NULL || strcmp(s, dflt) != 0)
        fuzz_die("fuzz_cli: an option's string is neither a default nor an argument:", name);
}

static void
fuzz_check(const struct cli_opts *o, char **argv, int argc)
{
    const long nums[] = {o->threads, o->iterations, o->runs, o->jobs, o->timeout, o->run, o->seed};

    if (o->cmd == CLI_NONE)
        fuzz_die("fuzz_cli: accepted without a command", NULL);
    if (o->cmd == CLI_HELP)
        return; /* --help anywhere: the help, whatever came before it, and nothing runs */
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (nums[i] < 0 || nums[i] > 100000000)
            fuzz_die("fuzz_cli: a number out of its range", NULL);
    if ((o->cmd == CLI_RUN || o->cmd == CLI_CHILD || o->cmd == CLI_SERVER) &&
        (o->scenario == NULL || o->toolchain == NULL))
        fuzz_die("fuzz_cli: a run accepted without its scenario or toolchain", NULL);
    if ((o->cmd == CLI_CHILD || o->cmd == CLI_SERVER) && o->dir == NULL)
        fuzz_die("fuzz_cli: a child accepted without its evidence directory", NULL);
    if (o->process && strcmp(o->process, "fork") != 0 && strcmp(o->process, "fresh") != 0)
        fuzz_die("fuzz_cli: --process accepted as", o->process);
    if (o->seed && !o->seed_set)
        fuzz_die("fuzz_cli: a seed without seed_set", NULL);
    fuzz_borrowed(o->toolchain, NULL, argv, argc, "toolchain");
    fuzz_borrowed(o->reports, "reports", argv, argc, "reports");
    fuzz_borrowed(o->scenarios, "scenarios", argv, argc, "scenarios");
    fuzz_borrowed(o->run_id, NULL, argv, argc, "run-id");
    fuzz_borrowed(o->dir, NULL, argv, argc, "dir");
    fuzz_borrowed(o->scenario, NULL, argv, argc, "scenario");
    fuzz_borrowed(o->catalog, "known/catalog.json", argv, argc, "catalog");
    fuzz_borrowed(o->suppressions, "suppressions", argv, argc, "suppressions");
    fuzz_borrowed(o->process, NULL, argv, argc, "process");
}

/* The seeds: for every command of the help, every option of the help with a value, alone and all
 * together; whether an option applies to the command is for the parser to say. */
static void
fuzz_write_seeds(const char *dir)
{
    struct buf help;
    char cmds[16][32], opts[64][32], path[4096];
    size_t nc = 0, no = 0;
    const char *line;
    FILE *f, *dict;
    int section = 0;

    buf_init(&help, 1 << 16);
    if (cli_help(&help) != 0)
        fuzz_die("fuzz_cli: no help", NULL);
    for (line = buf_cstr(&help); line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "Commands:", 9) == 0 || strncmp(line, "Options:", 8) == 0)
            section = line[0] == 'C' ? 1 : 2;
        else if (section == 1 && nc < 16 && sscanf(line, "  %31s", cmds[nc]) == 1)
            nc++;
        else if (section == 2 && no < 64 && sscanf(line, "  --%31s", opts[no]) == 1)
            no++;
    }
    buf_free(&help);
    snprintf(path, sizeof(path), "%s/../cli.dict", dir);
    if ((dict = fopen(path, "we")) == NULL)
        fuzz_die("fuzz_cli: cannot write", path);
    for (size_t c = 0; c < nc; c++) {
        fprintf(dict, "\"%s\"\n", cmds[c]);
        for (size_t k = 0; k <= no; k++) {
            snprintf(path, sizeof(path), "%s/seed-%s-%s", dir, cmds[c], k < no ? opts[k] : "all");
            if ((f = fopen(path, "we")) == NULL)
                fuzz_die("fuzz_cli: cannot write", path);
            fprintf(f, "%s%c--toolchain%ctc.json%c--dir%cevidence/run-0001", cmds[c], 0, 0, 0, 0);
            for (size_t i = k < no ? k : 0; i < (k < no ? k + 1 : no); i++)
                fprintf(f, "%c--%s%c%s", 0, opts[i], 0, strcmp(opts[i], "process") == 0 ? "fresh" : "8");
            fprintf(f, "%cdlpack_race", 0);
            fclose(f);
        }
    }
    for (size_t k = 0; k < no; k++)
        fprintf(dict, "\"--%s\"\n\"--%s=\"\n", opts[k], opts[k]);
    fclose(dict);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_seeds_mode(fuzz_write_seeds);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *argv[FUZZ_MAX_ARGS + 2], *p;
    struct cli_opts o, again;
    struct buf err;
    int argc = 1, rc;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    argv[0] = "harness";
    for (p = text; p <= text + size && argc <= FUZZ_MAX_ARGS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    buf_init(&err, 1 << 16);
    rc = cli_parse(argc, argv, &o, &err);
    if (rc == 0) {
        fuzz_check(&o, argv, argc);
        if (cli_parse(argc, argv, &again, &err) != 0 || memcmp(&o, &again, sizeof(o)) != 0)
            fuzz_die("fuzz_cli: the same arguments parsed to other options", NULL);
    } else if (rc != FT_EUSAGE) {
        fuzz_die("fuzz_cli: refused with an error that is not a usage error:", ft_strerror(rc));
    } else if (err.len == 0) {
        fuzz_die("fuzz_cli: refused without a message", NULL);
    }
    buf_free(&err);
    free(text);
    return 0;
}
