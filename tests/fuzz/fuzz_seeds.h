/* What the fuzz targets with a source of their own share: FUZZ_SEEDS=DIR makes the target write
 * its seed corpus into DIR (and its dictionary beside it) and exit, instead of fuzzing; and a
 * broken property ends the run the way libFuzzer records a crash. */
#ifndef FUZZ_SEEDS_H
#define FUZZ_SEEDS_H

#include <stdio.h>
#include <stdlib.h>

static void
fuzz_die(const char *what, const char *detail)
{
    fprintf(stderr, "%s %s\n", what, detail ? detail : "");
    abort();
}

/* From LLVMFuzzerInitialize: write the seeds and exit when FUZZ_SEEDS is set. */
static void
fuzz_seeds_mode(void (*write_seeds)(const char *dir))
{
    const char *dir = getenv("FUZZ_SEEDS");

    if (dir) {
        write_seeds(dir);
        exit(0);
    }
}

#endif
