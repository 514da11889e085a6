/* libFuzzer targets for the scenario loader and every evidence parser. One source, one binary
 * per parser: FUZZ_TARGET is the parser's place in the Makefile's FUZZ_TARGETS, from 1. Each target feeds the raw input to
 * the parser as text, as the harness does with a file it read, and frees what came back, so
 * ASan and UBSan see every path and LeakSanitizer every leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "san.h"
#include "scn.h"
#include "sig.h"

static int
fuzz_reports(const char *text, size_t len, int (*parse)(const char *, size_t, struct san_reports *))
{
    struct san_reports r;
    char sig[1024], comp[128];

    san_reports_init(&r);
    parse(text, len, &r);
    /* Signing what was parsed exercises the frame rules on every frame the fuzzer invents. */
    for (size_t i = 0; i < r.n; i++)
        sig_signature(&r.v[i], sig, sizeof(sig), comp, sizeof(comp));
    san_merge_crash(&r, 0);
    san_reports_free(&r);
    return 0;
}

static int
fuzz_faulthandler(const char *text, size_t len, struct san_reports *r)
{
    return san_parse_faulthandler(text, len, len & 1, r);
}

static int
fuzz_gdb(const char *text, size_t len, struct san_reports *r)
{
    struct san_stack *threads;
    size_t n;
    int rc = san_parse_gdb(text, len, &threads, &n);

    (void)r;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t k = 0; k < threads[i].n; k++)
            san_frame_free(&threads[i].frames[k]);
        free(threads[i].frames);
        free(threads[i].label);
    }
    if (rc == 0)
        free(threads);
    return rc;
}

/* events.jsonl, with the data races of a TSan log parsed from the same input marked against the
 * shared buffers its "shared" lines give. */
static int
fuzz_events(const char *text, size_t len, struct san_reports *r)
{
    san_parse_tsan(text, len, r);
    san_parse_events(text, len, r);
    return san_mark_shared(r, 0);
}

/* pystack.txt sections attached to the reports of a TSan log parsed from the same input. */
static int
fuzz_pystacks(const char *text, size_t len, struct san_reports *r)
{
    san_parse_tsan(text, len, r);
    return san_attach_pystacks(text, len, (int)(len % 7), r, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact copy with the NUL at text[size] the parsers' contract asks for (san.h): ASan sees
     * any read past it. */
    char *text = malloc(size + 1);

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
#if FUZZ_TARGET == 1
    {
        struct scn_scenario s;
        struct buf err;

        buf_init(&err, 4096);
        if (scn_parse(text, size, "fuzz.yaml", &s, &err) == 0)
            scn_free(&s);
        buf_free(&err);
    }
#elif FUZZ_TARGET == 2
    fuzz_reports(text, size, san_parse_tsan);
#elif FUZZ_TARGET == 3
    fuzz_reports(text, size, san_parse_asan);
#elif FUZZ_TARGET == 4
    fuzz_reports(text, size, san_parse_stderr);
#elif FUZZ_TARGET == 5
    fuzz_reports(text, size, fuzz_faulthandler);
#elif FUZZ_TARGET == 6
    fuzz_reports(text, size, fuzz_gdb);
#elif FUZZ_TARGET == 7
    fuzz_reports(text, size, fuzz_events);
#elif FUZZ_TARGET == 8
    fuzz_reports(text, size, fuzz_pystacks);
#endif
    free(text);
    return 0;
}
