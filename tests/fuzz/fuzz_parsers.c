/* libFuzzer targets for the scenario loader and every evidence parser. One source, one binary
 * per parser: -DFUZZ_TARGET_<name> picks it (the Makefile's FUZZ_PARSERS). Each target feeds
 * the raw input to the parser as text, as the harness does with a file it read, and frees what
 * came back, so ASan and UBSan see every path and LeakSanitizer every leak. */
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
#if defined(FUZZ_TARGET_scn)
    {
        struct scn_scenario s;
        struct buf err;

        buf_init(&err, 4096);
        if (scn_parse(text, size, "fuzz.yaml", &s, &err) == 0)
            scn_free(&s);
        buf_free(&err);
    }
#elif defined(FUZZ_TARGET_tsan)
    fuzz_reports(text, size, san_parse_tsan);
#elif defined(FUZZ_TARGET_asan)
    fuzz_reports(text, size, san_parse_asan);
#elif defined(FUZZ_TARGET_stderr)
    fuzz_reports(text, size, san_parse_stderr);
#elif defined(FUZZ_TARGET_faulthandler)
    fuzz_reports(text, size, fuzz_faulthandler);
#elif defined(FUZZ_TARGET_gdb)
    fuzz_reports(text, size, fuzz_gdb);
#elif defined(FUZZ_TARGET_events)
    fuzz_reports(text, size, fuzz_events);
#elif defined(FUZZ_TARGET_pystacks)
    fuzz_reports(text, size, fuzz_pystacks);
#else
#error "FUZZ_TARGET_<name>: which parser (the Makefile's FUZZ_PARSERS)"
#endif
    free(text);
    return 0;
}
