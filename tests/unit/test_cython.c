/* Cython's generated C named as its authors wrote it (cython.c): the names are those of the
 * hunt's reports on NumPy 2.2.1 and 2.5.5 (bench/hunt/), the line map is the one the NumPy 2.5.5
 * build kept (toolchain/pyxlines.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cython.h"

static const char *
renamed(const char *function, const char *file)
{
    static char out[512];

    return cython_name(function, file, out, sizeof(out)) ? out : NULL;
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(renamed("__pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__",
                                "bit_generator.pyx.c"), "BitGenerator.ctypes.__get__");
    assert_string_equal(renamed("__pyx_pf_5numpy_6random_13bit_generator_12SeedSequence_6spawn", "bit_generator.pyx.c"),
                        "SeedSequence.spawn");
    assert_string_equal(renamed("__pyx_pf_5numpy_6random_13bit_generator_12SeedSequence_18n_children_spawned___get__",
                                "bit_generator.pyx.c"), "SeedSequence.n_children_spawned.__get__");
    assert_string_equal(renamed("__pyx_pf_5numpy_6random_8_mt19937_7MT19937_5state_2__set__", "_mt19937.pyx.c"),
                        "MT19937.state.__set__");
    assert_string_equal(renamed("__pyx_pf_5numpy_6random_8_mt19937_7MT19937_5state___get__", "_mt19937.pyx.c"),
                        "MT19937.state.__get__");
    assert_string_equal(renamed("__pyx_f_5numpy_6random_6_pcg64_9PCG64DXSM__reset_state_variables", "_pcg64.pyx.c"),
                        "PCG64DXSM._reset_state_variables");
    assert_string_equal(renamed("__pyx_f_5numpy_6random_6mtrand_11RandomState__reset_gauss", "mtrand.pyx.c"),
                        "RandomState._reset_gauss");
    assert_string_equal(renamed("__pyx_f_5numpy_6random_7_common_prepare_ctypes", "_common.pyx.c"), "prepare_ctypes");
    assert_string_equal(renamed("__pyx_f_5numpy_6random_7_common_cont_broadcast_2", "_common.pyx.c"),
                        "cont_broadcast_2");
    /* the property's getter slot of the same report */
    assert_string_equal(renamed("__pyx_getprop_5numpy_6random_13bit_generator_12BitGenerator_ctypes",
                                "bit_generator.pyx.c"), "BitGenerator.ctypes.__get__");
    /* Cython's own helpers, and names in files that are not Cython's, stay as they are */
    assert_null(renamed("__Pyx_PyObject_FastCallDict", "_common.pyx.c"));
    assert_null(renamed("__pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__", "getset.c"));
    assert_null(renamed("__pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__", NULL));
    assert_null(renamed("__pyx_pf_5numpy_6random_99", "bit_generator.pyx.c"));
    /* Cython's own file name, as PyWavelets' and pandas' builds keep it (names of the pywt hunt) */
    assert_string_equal(renamed("__pyx_pf_4pywt_11_extensions_5_pywt_7Wavelet_10orthogonal_2__set__", "_pywt.c"),
                        "Wavelet.orthogonal.__set__");
    assert_string_equal(renamed("__pyx_pf_4pywt_11_extensions_5_pywt_7Wavelet_12wavefun", "_pywt.c"),
                        "Wavelet.wavefun");
    /* a .c file is Cython's only for a name whose module path ends in its stem */
    assert_null(renamed("__pyx_pf_4pywt_11_extensions_5_pywt_7Wavelet_12wavefun", "_dwt.c"));
    assert_null(renamed("__Pyx_CreateCodeObjectForTraceback", "_dwt.c"));
}

static void
test_signatures(void **state)
{
    char out[1024];

    (void)state;
    cython_signature("data-race: __pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__ "
                     "(bit_generator.pyx.c) <> __Pyx_PyObject_FastCallDict (_common.pyx.c)", out, sizeof(out));
    assert_string_equal(out, "data-race: BitGenerator.ctypes.__get__ (bit_generator.pyx) <> "
                             "__Pyx_PyObject_FastCallDict (_common.pyx.c)");
    cython_signature("data-race: pcg64_get_state (pcg64.c) <> pcg64_set_state (pcg64.c)", out, sizeof(out));
    assert_string_equal(out, "data-race: pcg64_get_state (pcg64.c) <> pcg64_set_state (pcg64.c)");
    cython_signature("data-race: x (a.pyx.c", out, sizeof(out));   /* cut short: unchanged */
    assert_string_equal(out, "data-race: x (a.pyx.c");
    cython_signature("data-race: __pyx_f_5numpy_6random_6mtrand_11RandomState__reset_gauss (mtrand.pyx.c) <> "
                     "__pyx_f_5numpy_6random_6mtrand_11RandomState__reset_gauss (mtrand.pyx.c)", out, 40);
    assert_int_equal(strlen(out), 39); /* truncated, terminated */
    cython_signature("data-race: __pyx_pf_4pywt_11_extensions_5_pywt_7Wavelet_10orthogonal_2__set__ (_pywt.c) <> "
                     "__pyx_pf_4pywt_11_extensions_5_pywt_7Wavelet_10orthogonal___get__ (_pywt.c)", out, sizeof(out));
    assert_string_equal(out, "data-race: Wavelet.orthogonal.__set__ (_pywt.pyx) <> Wavelet.orthogonal.__get__ (_pywt.pyx)");
    cython_signature("data-race: __Pyx_CreateCodeObjectForTraceback (_dwt.c) <> array_setflags (methods.c)", out,
                     sizeof(out));
    assert_string_equal(out, "data-race: __Pyx_CreateCodeObjectForTraceback (_dwt.c) <> array_setflags (methods.c)");
}

static void
test_frames_move_to_their_pyx_line(void **state)
{
    struct san_frame frames[2] = {
        {.function = strdup("__pyx_pf_5numpy_6random_13bit_generator_12BitGenerator_6ctypes___get__"),
         .file = strdup("numpy/random/bit_generator.cpython-313t-x86_64-linux-gnu.so.p/numpy/random/bit_generator.pyx.c"),
         .line = 14700},
        {.function = strdup("__Pyx_PyObject_FastCallDict"), .file = strdup("_common.pyx.c"), .line = 900},
    };
    struct san_stack stack = {.frames = frames, .n = 2};
    struct san_report r = {.stacks = &stack, .n_stacks = 1};
    struct san_reports out = {.v = &r, .n = 1};

    (void)state;
    assert_int_equal(cython_frames(&out, "tests/fixtures/pyx_lines"), 1);
    assert_string_equal(frames[0].function, "BitGenerator.ctypes.__get__");
    assert_string_equal(frames[0].file, "numpy/random/bit_generator.pyx");
    assert_int_equal(frames[0].line, 702); /* self._ctypes = prepare_ctypes(&self._bitgen) */
    assert_string_equal(frames[1].function, "__Pyx_PyObject_FastCallDict");
    /* the property's getter slot: its name, no line (Cython writes it after the functions) */
    free(frames[0].function);
    free(frames[0].file);
    frames[0].function = strdup("__pyx_getprop_5numpy_6random_13bit_generator_12BitGenerator_ctypes");
    frames[0].file = strdup("bit_generator.pyx.c");
    frames[0].line = 16699;
    assert_int_equal(cython_frames(&out, "tests/fixtures/pyx_lines"), 1);
    assert_string_equal(frames[0].function, "BitGenerator.ctypes.__get__");
    assert_int_equal(frames[0].line, 0);
    /* without a map: the same name and the .pyx's base name (signatures do not change), no line */
    free(frames[0].function);
    free(frames[0].file);
    frames[0].function = strdup("__pyx_pf_5numpy_6random_13bit_generator_12SeedSequence_6spawn");
    frames[0].file = strdup("bit_generator.pyx.c");
    frames[0].line = 14700;
    assert_int_equal(cython_frames(&out, NULL), 1);
    assert_string_equal(frames[0].function, "SeedSequence.spawn");
    assert_string_equal(frames[0].file, "bit_generator.pyx");
    assert_int_equal(frames[0].line, 0);
    for (int i = 0; i < 2; i++) {
        free(frames[i].function);
        free(frames[i].file);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_frames_move_to_their_pyx_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
