/* Command-line parsing against the command and option tables, and dispatch. */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv.h"
#include "err.h"

enum cli__type { CLI__STR, CLI__POSINT, CLI__UINT };

struct cli__opt {
    const char *name;
    enum cli__type type;
    size_t offset;
    unsigned cmds; /* commands taking it: bits of 1 << enum cli_cmd */
    const char *arg;
    const char *help;
};

#define CLI__OFF(f) offsetof(struct cli_opts, f)
#define CLI__RUN (1u << CLI_RUN)
#define CLI__CHILD (1u << CLI_CHILD | 1u << CLI_SERVER)
#define CLI__LIST (1u << CLI_LIST)

/* Sorted by name for bsearch. */
static const struct cli__opt cli__opts[] = {
    {"budget", CLI__POSINT, CLI__OFF(budget), CLI__RUN, "SECONDS",
     "no run starts after this many seconds (the first always does); the others are reported as not started"},
    {"by-design", CLI__STR, CLI__OFF(by_design), CLI__RUN, "TEXT",
     "how the scenario's roles break a library's thread-safety contract (python3 -m ftsan run judges it)"},
    {"catalog", CLI__STR, CLI__OFF(catalog), CLI__RUN, "FILE", "known issues (default known/catalog.json)"},
    {"dir", CLI__STR, CLI__OFF(dir), CLI__CHILD, "DIR", "evidence directory of this run (child only)"},
    {"group", CLI__STR, CLI__OFF(group), CLI__RUN, "races|none",
     "races: data races sharing a frame or memory are one finding (default); none: one finding a signature"},
    {"iterations", CLI__POSINT, CLI__OFF(iterations), CLI__RUN | CLI__CHILD, "N", "body executions per thread (overrides the scenario)"},
    {"jobs", CLI__POSINT, CLI__OFF(jobs), CLI__RUN, "N", "runs at once (default: number of cores)"},
    {"process", CLI__STR, CLI__OFF(process), CLI__RUN, "fork|fresh", "how runs get their processes (overrides the scenario)"},
    {"reports", CLI__STR, CLI__OFF(reports), CLI__RUN, "DIR", "where reports/<run-id>/ goes (default reports)"},
    {"run", CLI__UINT, CLI__OFF(run), CLI__CHILD, "I", "index of this run (child only)"},
    {"run-id", CLI__STR, CLI__OFF(run_id), CLI__RUN, "ID", "name of the report directory (default: time and scenario)"},
    {"runs", CLI__POSINT, CLI__OFF(runs), CLI__RUN, "N", "fresh processes (overrides the scenario)"},
    {"scenarios", CLI__STR, CLI__OFF(scenarios), CLI__RUN | CLI__LIST, "DIR", "where scenario names are looked up (default scenarios)"},
    {"seed", CLI__UINT, CLI__OFF(seed), CLI__RUN | CLI__CHILD, "N", "seed of run 0; run i gets N+i, bound as `seed` (default 0)"},
    {"suppressions", CLI__STR, CLI__OFF(suppressions), CLI__RUN, "DIR", "suppression files, by sanitizer: DIR/tsan/*.supp (default suppressions)"},
    {"threads", CLI__POSINT, CLI__OFF(threads), CLI__RUN | CLI__CHILD, "N", "native threads (overrides the scenario)"},
    {"timeout", CLI__POSINT, CLI__OFF(timeout), CLI__RUN | CLI__CHILD, "SECONDS", "per run (overrides the scenario)"},
    {"toolchain", CLI__STR, CLI__OFF(toolchain), CLI__RUN | CLI__CHILD, "FILE", "toolchain.json of the interpreter to use (required)"},
};

/* What a command needs besides its options. */
enum { CLI__SCENARIO = 1, CLI__TOOLCHAIN = 2, CLI__DIR = 4 };

static int
cli__help_cmd(const struct cli_opts *o)
{
    struct buf b;
    int rc;

    (void)o;
    buf_init(&b, 1 << 16);
    rc = cli_help(&b) == 0 && fputs(buf_cstr(&b), stdout) >= 0 ? FT_EXIT_CLEAN : FT_EXIT_INFRA;
    buf_free(&b);
    return rc;
}

/* The commands. The tools that span many runs (verify, matrix, bisect, minimize) are Python,
 * started by make, never from here. */
static const struct {
    const char *name;
    enum cli_cmd cmd;
    int (*handler)(const struct cli_opts *o);
    unsigned needs;
    const char *help;
} cli__cmds[] = {
    {"run", CLI_RUN, drv_run, CLI__SCENARIO | CLI__TOOLCHAIN, "run SCENARIO (a name under --scenarios or a .yaml path)"},
    {"list", CLI_LIST, drv_list, 0, "list the scenarios with their summaries"},
    {"keys", CLI_KEYS, drv_keys, 0, "list the keys a scenario may have"},
    {"child", CLI_CHILD, drv_child, CLI__SCENARIO | CLI__TOOLCHAIN | CLI__DIR, "(internal) one run in this process"},
    {"server", CLI_SERVER, drv_serve, CLI__SCENARIO | CLI__TOOLCHAIN | CLI__DIR,
     "(internal) the fork server: setup once, then a forked process per run (control socket on fd 3)"},
    {"help", CLI_HELP, cli__help_cmd, 0, "this text"},
};

#define CLI__N(a) (sizeof(a) / sizeof((a)[0]))

static int
cli__cmp(const void *name, const void *opt)
{
    return strcmp(name, ((const struct cli__opt *)opt)->name);
}

static int
cli__value(const struct cli__opt *o, const char *v, struct cli_opts *opts, struct buf *err)
{
    char *end;
    long n;

    if (o->type == CLI__STR) {
        if (*v == '\0') {
            buf_printf(err, "--%s needs a value", o->name);
            return FT_EUSAGE;
        }
        *(const char **)((char *)opts + o->offset) = v;
        return 0;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < (o->type == CLI__POSINT ? 1 : 0) || n > 100000000) {
        buf_printf(err, "--%s must be a %s integer, got '%s'", o->name,
                   o->type == CLI__POSINT ? "positive" : "non-negative", v);
        return FT_EUSAGE;
    }
    *(long *)((char *)opts + o->offset) = n;
    if (o->offset == CLI__OFF(seed))
        opts->seed_set = 1;
    return 0;
}

static int
cli__option(char **argv, int argc, int *i, struct cli_opts *opts, struct buf *err)
{
    char name[64];
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '='), *v;
    const struct cli__opt *o;
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

    if (n >= sizeof(name)) {
        buf_printf(err, "unknown option '%s'", argv[*i]);
        return FT_EUSAGE;
    }
    memcpy(name, arg, n);
    name[n] = '\0';
    o = bsearch(name, cli__opts, sizeof(cli__opts) / sizeof(cli__opts[0]), sizeof(cli__opts[0]), cli__cmp);
    if (o == NULL) {
        buf_printf(err, "unknown option '--%s' (see harness --help)", name);
        return FT_EUSAGE;
    }
    if (!(o->cmds & (1u << opts->cmd))) {
        buf_printf(err, "--%s does not apply to this command", name);
        return FT_EUSAGE;
    }
    if (eq) {
        v = eq + 1;
    } else if (*i + 1 < argc) {
        v = argv[++*i];
    } else {
        buf_printf(err, "--%s needs a value (%s)", name, o->arg);
        return FT_EUSAGE;
    }
    return cli__value(o, v, opts, err);
}

static size_t
cli__find(enum cli_cmd cmd)
{
    size_t c = 0;

    while (c < CLI__N(cli__cmds) && cli__cmds[c].cmd != cmd)
        c++;
    return c;
}

/* What the parsed command still lacks, as a message; 0 or FT_EUSAGE. */
static int
cli__required(const struct cli_opts *opts, unsigned needs, struct buf *err)
{
    if ((needs & CLI__SCENARIO) && opts->scenario == NULL) {
        buf_puts(err, "which scenario? give a name or a .yaml path (harness list shows the names)");
        return FT_EUSAGE;
    }
    if ((needs & CLI__TOOLCHAIN) && opts->toolchain == NULL) {
        buf_puts(err, "--toolchain FILE is required (make run passes it; make toolchain builds one)");
        return FT_EUSAGE;
    }
    if ((needs & CLI__DIR) && opts->dir == NULL) {
        buf_puts(err, "child: --dir is required");
        return FT_EUSAGE;
    }
    return 0;
}

int
cli_parse(int argc, char **argv, struct cli_opts *opts, struct buf *err)
{
    size_t c;
    int i, rc;

    memset(opts, 0, sizeof(*opts));
    opts->reports = "reports";
    opts->scenarios = "scenarios";
    opts->suppressions = "suppressions";
    opts->catalog = "known/catalog.json";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        opts->cmd = CLI_HELP;
        return 0;
    }
    for (c = 0; c < CLI__N(cli__cmds) && strcmp(argv[1], cli__cmds[c].name) != 0; c++)
        ;
    if (c == CLI__N(cli__cmds)) {
        buf_printf(err, "unknown command '%s' (commands:", argv[1]);
        for (size_t k = 0; k < CLI__N(cli__cmds); k++)
            if (cli__cmds[k].cmd != CLI_CHILD && cli__cmds[k].cmd != CLI_SERVER)
                buf_printf(err, "%s %s", k ? "," : "", cli__cmds[k].name);
        buf_puts(err, "; see harness --help)");
        return FT_EUSAGE;
    }
    opts->cmd = cli__cmds[c].cmd;
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            opts->cmd = CLI_HELP;
            return 0;
        }
        if (strncmp(argv[i], "--", 2) == 0) {
            if ((rc = cli__option(argv, argc, &i, opts, err)) != 0)
                return rc;
        } else if (opts->scenario == NULL && (cli__cmds[c].needs & CLI__SCENARIO)) {
            opts->scenario = argv[i];
        } else {
            buf_printf(err, "unexpected argument '%s'", argv[i]);
            return FT_EUSAGE;
        }
    }
    if (opts->group && strcmp(opts->group, "races") != 0 && strcmp(opts->group, "none") != 0) {
        buf_printf(err, "--group must be races or none, got '%s'", opts->group);
        return FT_EUSAGE;
    }
    if (opts->process && strcmp(opts->process, "fork") != 0 && strcmp(opts->process, "fresh") != 0) {
        buf_printf(err, "--process must be fork or fresh, got '%s'", opts->process);
        return FT_EUSAGE;
    }
    return cli__required(opts, cli__cmds[c].needs, err);
}

int
cli_help(struct buf *out)
{
    buf_puts(out, "usage: harness COMMAND [OPTIONS] [SCENARIO]\n\nCommands:\n");
    for (size_t c = 0; c < CLI__N(cli__cmds); c++)
        buf_printf(out, "  %-8s %s\n", cli__cmds[c].name, cli__cmds[c].help);
    buf_puts(out, "\nOptions:\n");
    for (size_t i = 0; i < CLI__N(cli__opts); i++) {
        char left[64];

        snprintf(left, sizeof(left), "--%s %s", cli__opts[i].name, cli__opts[i].arg);
        buf_printf(out, "  %-24s %s\n", left, cli__opts[i].help);
    }
    buf_puts(out, "\nExit status: 0 clean, 1 findings, 2 usage or scenario error, 3 infrastructure failure.\n"
                  "verify, matrix, bisect and minimize are make targets (python3 -m ftsan, see the README).\n");
    return out->err;
}

int
cli_dispatch(const struct cli_opts *opts)
{
    size_t c = cli__find(opts->cmd);

    return c < CLI__N(cli__cmds) ? cli__cmds[c].handler(opts) : cli__help_cmd(opts);
}
