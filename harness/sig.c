/* Frame noise, components, signatures, and findings counted across runs. */
#include "sig_internal.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "scn.h"

enum sig__match { SIG__EXACT, SIG__PREFIX, SIG__FILE };

/* Frames that are not what a bug is about. Sorted by pattern within each group; the reason is
 * shown where a report says why it skipped frames. */
static const struct {
    const char *pattern;
    enum sig__match how;
    const char *why;
} sig__noise[] = {
    /* The sanitizer runtimes and their interceptors (statically linked into the harness). */
    {"___interceptor_", SIG__PREFIX, "sanitizer interceptor"},
    {"__asan", SIG__PREFIX, "sanitizer runtime"},
    {"__interceptor_", SIG__PREFIX, "sanitizer interceptor"},
    {"__lsan", SIG__PREFIX, "sanitizer runtime"},
    {"__sanitizer", SIG__PREFIX, "sanitizer runtime"},
    {"__tsan", SIG__PREFIX, "sanitizer runtime"},
    {"__ubsan", SIG__PREFIX, "sanitizer runtime"},
    {"asan_thread_start", SIG__PREFIX, "sanitizer runtime"},
    {"asan_interceptors", SIG__FILE, "sanitizer interceptor"},    /* asan_interceptors.cpp.o */
    {"sanitizer_common", SIG__FILE, "sanitizer runtime"},
    {"sysdeps/", SIG__FILE, "libc"},                               /* gdb: glibc's sources */
    {"tsan_interceptors", SIG__FILE, "sanitizer interceptor"},    /* tsan_interceptors_posix.cpp.o */
    /* libc, and the libc calls the runtimes intercept: the caller is the interesting frame. */
    {"__GI_", SIG__PREFIX, "libc"},                                /* gdb's names of libc's own */
    {"__GI_abort", SIG__EXACT, "libc"},
    {"__GI_raise", SIG__EXACT, "libc"},
    {"__libc_message", SIG__EXACT, "libc"},
    {"__libc_start_call_main", SIG__EXACT, "libc"},
    {"__libc_start_main", SIG__EXACT, "libc"},
    {"__pthread_kill_implementation", SIG__EXACT, "libc"},
    {"_int_free", SIG__EXACT, "libc"},
    {"_int_malloc", SIG__EXACT, "libc"},
    {"_start", SIG__EXACT, "libc"},
    {"./nptl/", SIG__FILE, "libc"},                                /* gdb: glibc's sources */
    {"abort", SIG__EXACT, "libc"},
    {"bcmp", SIG__EXACT, "libc"},
    {"calloc", SIG__EXACT, "libc"},
    {"clone", SIG__EXACT, "libc"},
    {"clone3", SIG__EXACT, "libc"},
    {"free", SIG__EXACT, "libc"},
    {"malloc", SIG__EXACT, "libc"},
    {"malloc_printerr", SIG__EXACT, "libc"},
    {"memcmp", SIG__EXACT, "libc"},
    {"memcpy", SIG__EXACT, "libc"},
    {"memmove", SIG__EXACT, "libc"},
    {"memset", SIG__EXACT, "libc"},
    {"pthread_create", SIG__EXACT, "libc"},
    {"pthread_kill", SIG__EXACT, "libc"},
    {"pthread_mutex_lock", SIG__EXACT, "libc"},
    {"pthread_mutex_unlock", SIG__EXACT, "libc"},
    {"raise", SIG__EXACT, "libc"},
    {"realloc", SIG__EXACT, "libc"},
    {"start_thread", SIG__EXACT, "libc"},
    {"strcmp", SIG__EXACT, "libc"},
    {"strlen", SIG__EXACT, "libc"},
    /* CPython's call plumbing and inline helpers: present in every stack, never the bug. */
    {"PyEval_EvalCode", SIG__EXACT, "interpreter call plumbing"},
    {"PyObject_Call", SIG__EXACT, "interpreter call plumbing"},
    {"PyObject_Vectorcall", SIG__EXACT, "interpreter call plumbing"},
    {"PyObject_VectorcallMethod", SIG__EXACT, "interpreter call plumbing"},
    {"Py_DECREF", SIG__EXACT, "interpreter inline helper"},
    {"Py_INCREF", SIG__EXACT, "interpreter inline helper"},
    {"Py_SIZE", SIG__EXACT, "interpreter inline helper"},
    {"Py_TYPE", SIG__EXACT, "interpreter inline helper"},
    {"Py_XDECREF", SIG__EXACT, "interpreter inline helper"},
    {"Py_XINCREF", SIG__EXACT, "interpreter inline helper"},
    {"_PyEval_EvalFrame", SIG__EXACT, "interpreter call plumbing"},
    {"_PyEval_EvalFrameDefault", SIG__EXACT, "interpreter call plumbing"},
    {"_PyEval_Vector", SIG__EXACT, "interpreter call plumbing"},
    {"_PyFunction_Vectorcall", SIG__EXACT, "interpreter call plumbing"},
    {"_PyObject_Call", SIG__EXACT, "interpreter call plumbing"},
    {"_PyObject_MakeTpCall", SIG__EXACT, "interpreter call plumbing"},
    {"_PyObject_VectorcallTstate", SIG__EXACT, "interpreter call plumbing"},
    {"_Py_IsImmortal", SIG__EXACT, "interpreter inline helper"},
    {"_Py_IsOwnedByCurrentThread", SIG__EXACT, "interpreter inline helper"},
    {"_Py_NewRef", SIG__EXACT, "interpreter inline helper"},
    {"_Py_ThreadId", SIG__EXACT, "interpreter inline helper"},
    {"_Py_XNewRef", SIG__EXACT, "interpreter inline helper"},
    {"_Py_atomic_", SIG__PREFIX, "interpreter atomics"},
    {"builtin_exec", SIG__EXACT, "interpreter call plumbing"},
    {"builtin_exec_impl", SIG__EXACT, "interpreter call plumbing"},
    {"cfunction_call", SIG__EXACT, "interpreter call plumbing"},
    {"cfunction_vectorcall_", SIG__PREFIX, "interpreter call plumbing"},
    {"method_vectorcall_", SIG__PREFIX, "interpreter call plumbing"},
    {"slot_tp_call", SIG__EXACT, "interpreter call plumbing"},
    {"vectorcall_method", SIG__EXACT, "interpreter call plumbing"},
    {"vectorcall_unbound", SIG__EXACT, "interpreter call plumbing"},
    /* Inline helpers from CPython's and NumPy's headers (Py_SET_TYPE, PyTuple_GET_SIZE,
     * PyArray_DIM, ...): the caller is what did the access. */
    {"/include/numpy/", SIG__FILE, "NumPy inline helper"},
    {"/Include/", SIG__FILE, "interpreter inline helper"},         /* CPython's source tree */
    {"/include/python3", SIG__FILE, "interpreter inline helper"},  /* an installed CPython */
    /* The harness's own frames (worker loop, child main). */
    {"harness/", SIG__FILE, "the harness"},
};

int
sig_frame_is_noise(const struct san_frame *f, const char **why)
{
    for (size_t i = 0; i < sizeof(sig__noise) / sizeof(sig__noise[0]); i++) {
        const char *p = sig__noise[i].pattern;
        int hit = 0;

        if (sig__noise[i].how == SIG__FILE)
            hit = f->file && strstr(f->file, p) != NULL;
        else if (f->function)
            hit = sig__noise[i].how == SIG__EXACT ? strcmp(f->function, p) == 0 : strncmp(f->function, p, strlen(p)) == 0;
        if (hit) {
            if (why)
                *why = sig__noise[i].why;
            return 1;
        }
    }
    return 0;
}

static const char *
sig__base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;

    return s ? s + 1 : path;
}

/* Components by module or path, first match wins. */
const char *
sig_component(const struct san_frame *f, char *buf, size_t n)
{
    const char *mod = sig__base(f->module), *file = f->file ? f->file : "";
    const char *sp;

    if ((mod && strncmp(mod, "_multiarray_umath", 17) == 0) || strstr(file, "/numpy/"))
        return "numpy";
    if ((sp = strstr(file, "site-packages/")) != NULL) {
        snprintf(buf, n, "%.*s", (int)strcspn(sp + 14, "/"), sp + 14);
        return buf;
    }
    if (strstr(file, "harness/"))
        return "harness";
    /* A scenario's compiled kernel: scenarios/kernels/<name>.c */
    if ((sp = strstr(file, "/kernels/")) != NULL && !strstr(file, ".yaml")) {
        snprintf(buf, n, "%.*s", (int)strcspn(sp + 9, "."), sp + 9);
        return buf;
    }
    if (strstr(file, "/Python-3.") || strstr(file, "/lib/python3.") || (mod && strncmp(mod, "python3", 7) == 0) ||
        (mod && strncmp(mod, "libpython3", 10) == 0))
        return "cpython";
    if (mod && strncmp(mod, "libc.so", 7) == 0)
        return "libc";
    if (mod && strncmp(mod, "libopenblas", 11) == 0)
        return "openblas";
    if (mod && strstr(mod, ".so")) {
        snprintf(buf, n, "%.*s", (int)strcspn(mod, "."), mod);
        return buf;
    }
    if (strstr(file, ".yaml"))
        return "scenario";
    return "unknown";
}

/* The frame a report is about: the innermost meaningful frame outside the interpreter when the
 * stack passes through an extension (an extension that publishes an object unsafely makes
 * CPython's own code, comparing or filling that object, the place of the access), else the
 * innermost meaningful frame. */
static const struct san_frame *
sig__top(const struct san_stack *s)
{
    const struct san_frame *first = NULL;
    char comp[128];

    for (size_t i = 0; s && i < s->n; i++) {
        const struct san_frame *f = &s->frames[i];

        if (sig_frame_is_noise(f, NULL) || (!f->function && !f->file))
            continue;
        if (first == NULL)
            first = f;
        if (strcmp(sig_component(f, comp, sizeof(comp)), "cpython") != 0)
            return f;
    }
    return first;
}

/* A C++ name as a reader says it: no "(anonymous namespace)::", no template arguments, no
 * parameter lists, no return type: "__pythran_c::concordant_pairs::operator()". C names pass
 * through unchanged. */
static void
sig__short_function(const char *name, char *out, size_t n)
{
    char tmp[1024];
    size_t k = 0, i, start;
    int depth = 0;

    if (!strstr(name, "::") && !strchr(name, '(')) { /* C, or Python's "<module>" */
        snprintf(out, n, "%s", name);
        return;
    }
    for (i = 0; name[i] && k + 1 < sizeof(tmp); i++) {
        if (strncmp(name + i, "(anonymous namespace)::", 23) == 0) {
            i += 22;
            continue;
        }
        if (strncmp(name + i, "operator()", 10) == 0 && depth == 0) {
            if (k + 10 >= sizeof(tmp))
                break; /* a name this long is cut (found by fuzzing) */
            memcpy(tmp + k, "operator()", 10);
            k += 10;
            i += 9;
            continue;
        }
        if (name[i] == '<' || name[i] == '(')
            depth++;
        else if ((name[i] == '>' || name[i] == ')') && depth > 0)
            depth--;
        else if (depth == 0)
            tmp[k++] = name[i];
    }
    tmp[k] = '\0';
    while (k > 0 && tmp[k - 1] == ' ')
        tmp[--k] = '\0';
    if (k > 6 && strcmp(tmp + k - 6, " const") == 0)
        tmp[k -= 6] = '\0';
    for (start = k; start > 0 && tmp[start - 1] != ' '; start--)
        ;
    snprintf(out, n, "%s", tmp + start);
}

/* "function (file)", no line numbers, so it survives rebuilds. */
void
sig__frame_str(const struct san_frame *f, char *out, size_t n)
{
    char fn[512];

    if (f == NULL) {
        snprintf(out, n, "?");
        return;
    }
    sig__short_function(f->function ? f->function : "?", fn, sizeof(fn));
    snprintf(out, n, "%s (%s)", fn, f->file ? sig__base(f->file) : sig__base(f->module) ? sig__base(f->module) : "?");
}

/* The standard library, frozen importlib included; site-packages is not. */
static int
sig__is_stdlib(const char *file)
{
    return strncmp(file, "<frozen ", 8) == 0 || (strstr(file, "/lib/python3.") && !strstr(file, "site-packages/"));
}

/* The innermost Python frame outside the standard library: what a process event is about
 * (numpy's check_support_sve, not subprocess.Popen._execute_child). */
static const struct san_frame *
sig__top_python(const struct san_stack *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->frames[i].file && !sig__is_stdlib(s->frames[i].file))
            return &s->frames[i];
    return s && s->n ? &s->frames[0] : NULL;
}

static void
sig__top_n(const struct san_stack *s, int want, char *out, size_t n)
{
    char one[256];
    int got = 0;

    out[0] = '\0';
    for (size_t i = 0; s && i < s->n && got < want; i++) {
        if (sig_frame_is_noise(&s->frames[i], NULL) || (!s->frames[i].function && !s->frames[i].file))
            continue;
        sig__frame_str(&s->frames[i], one, sizeof(one));
        snprintf(out + strlen(out), n - strlen(out), "%s%s", got ? " < " : "", one);
        got++;
    }
}

/* Where a hung run was stuck: the innermost Python frame of the first thread that is not the
 * one answering the supervisor's request for stacks (faulthandler's "Current thread", which
 * only waits for the workers). gdb's native stacks are not looked at here: a run stuck too hard
 * for faulthandler has only those, and is signed by where it blocks alone. */
static const struct san_frame *
sig__hung_frame(const struct san_report *r)
{
    const struct san_frame *fallback = NULL;

    for (size_t i = 0; i < r->n_stacks; i++) {
        const struct san_stack *s = &r->stacks[i];

        if (s->n == 0 || (s->label && strncmp(s->label, "native ", 7) == 0))
            continue; /* gdb's stacks: sig__blocked_frame's */
        if (s->label && strncmp(s->label, "Current thread", 14) == 0) {
            fallback = &s->frames[0];
            continue;
        }
        return &s->frames[0];
    }
    return fallback;
}

/* Where a hung run's threads block in native code: the meaningful top frame most of the
 * worker threads' native stacks (gdb's, labelled "native ...") share; the main thread's when
 * no worker runs (stuck in setup). */
static const struct san_frame *
sig__blocked_frame(const struct san_report *r)
{
    const struct san_frame *best = NULL, *main_top = NULL;
    int best_n = 0;

    for (size_t i = 0; i < r->n_stacks; i++) {
        const struct san_stack *s = &r->stacks[i];
        const struct san_frame *top;
        int worker = 0, n = 0;

        if (!s->label || strncmp(s->label, "native ", 7) != 0 || (top = sig__top(s)) == NULL)
            continue;
        for (size_t k = 0; k < s->n && !worker; k++)
            worker = s->frames[k].function && strcmp(s->frames[k].function, "py__worker_main") == 0;
        if (!worker) {
            main_top = main_top ? main_top : top;
            continue;
        }
        for (size_t j = 0; j < r->n_stacks; j++) {
            const struct san_frame *o = r->stacks[j].label && strncmp(r->stacks[j].label, "native ", 7) == 0
                                            ? sig__top(&r->stacks[j]) : NULL;

            n += o && o->function && top->function && strcmp(o->function, top->function) == 0;
        }
        if (n > best_n) {
            best = top;
            best_n = n;
        }
    }
    return best ? best : main_top;
}

int
sig_signature(const struct san_report *r, char *out, size_t n, char *comp, size_t compn)
{
    const struct san_stack *s0 = r->n_stacks > 0 ? &r->stacks[0] : NULL;
    const struct san_frame *top = sig__top(s0);
    char a[256], b[256], frames[768], cbuf[128];
    size_t tlen = strcspn(r->title, ":");

    switch (r->kind) {
    case SAN_DATA_RACE:
    case SAN_SCENARIO_DATA:
        /* The unordered pair of the two accesses' top meaningful frames. */
        sig__frame_str(top, a, sizeof(a));
        sig__frame_str(sig__top(r->n_stacks > 1 ? &r->stacks[1] : NULL), b, sizeof(b));
        snprintf(out, n, "%s: %s <> %s", san_kind_slug(r->kind), strcmp(a, b) <= 0 ? a : b, strcmp(a, b) <= 0 ? b : a);
        break;
    case SAN_EXCEPTION:
        /* Type plus the innermost frame of the root cause, outside the standard library
         * (joblib's add_maybe_unlink_finalizer, not posixpath.basename it called). */
        top = sig__top_python(s0);
        sig__frame_str(top, a, sizeof(a));
        snprintf(out, n, "exception: %.*s at %s", (int)tlen, r->title, a);
        break;
    case SAN_PROCESS:
        top = sig__top_python(s0);
        sig__frame_str(top, a, sizeof(a));
        snprintf(out, n, "process-event: %s from %s", r->title, a);
        break;
    case SAN_HANG:
    case SAN_RESOURCE:
        snprintf(out, n, "%s: %s", san_kind_slug(r->kind), r->title);
        top = r->kind == SAN_HANG ? sig__hung_frame(r) : NULL;
        if (top) {
            sig__frame_str(top, a, sizeof(a));
            snprintf(out + strlen(out), n - strlen(out), " in %s", a);
        }
        if (r->kind == SAN_HANG && (top = sig__blocked_frame(r)) != NULL) {
            sig__frame_str(top, b, sizeof(b));
            snprintf(out + strlen(out), n - strlen(out), ", blocked in %s", b);
        }
        break;
    default:
        /* Crashes and other sanitizer reports: kind plus the top three meaningful frames. */
        sig__top_n(s0, 3, frames, sizeof(frames));
        if (r->kind == SAN_MALLOC_ABORT || r->kind == SAN_FATAL_SIGNAL || r->kind == SAN_SANITIZER_OTHER)
            snprintf(out, n, "%s: %s%s%s", san_kind_slug(r->kind), r->title, frames[0] ? " at " : "", frames);
        else
            snprintf(out, n, "%s: %s", san_kind_slug(r->kind), frames[0] ? frames : r->title);
    }
    if (comp) {
        if (r->kind == SAN_PROCESS || r->kind == SAN_EXCEPTION)
            top = sig__top_python(s0);
        snprintf(comp, compn, "%s", top ? sig_component(top, cbuf, sizeof(cbuf)) : "unknown");
    }
    return out[0] ? 0 : FT_ENOTFOUND;
}

void
sig_memory(const struct san_report *r, char *out, size_t n)
{
    const char *loc = r->location, *q, *e;
    char frames[768];

    out[0] = '\0';
    if (r->kind == SAN_SCENARIO_DATA && r->detail) { /* san_mark_shared's words */
        snprintf(out, n, "%s", r->detail);
        return;
    }
    if (loc == NULL)
        return;
    /* Location is global 'from_dlpack.call_kwnames' of size 8 at 0x7f.. (module+0x65) */
    if (strncmp(loc, "Location is global '", 20) == 0 && (q = loc + 20) && (e = strchr(q, '\'')) != NULL) {
        snprintf(out, n, "global '%.*s'", (int)(e - q), q);
        return;
    }
    /* Location is heap block of size 136 at 0x7b.. allocated by thread T1: <its stack> */
    if (strncmp(loc, "Location is heap block", 22) == 0)
        for (size_t i = 0; i < r->n_stacks; i++)
            if (r->stacks[i].label && strncmp(r->stacks[i].label, "Location is heap block", 22) == 0) {
                sig__top_n(&r->stacks[i], 3, frames, sizeof(frames));
                if (frames[0])
                    snprintf(out, n, "heap block from %s", frames);
                return;
            }
}

/* FNV-1a, 64 bits: stable across machines and runs. */
static uint64_t
sig__hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void
sig_findings_init(struct sig_findings *f)
{
    memset(f, 0, sizeof(*f));
}

static int
sig__counts(const struct san_report *r, const struct sig_policy *p)
{
    return r->kind != SAN_PROCESS || (p->forbid & r->event) != 0;
}

static int
sig__add_one(struct sig_findings *f, const struct san_report *r, int run)
{
    char sig[1024], comp[128];
    struct sig_finding *v, *x = NULL;

    if (sig_signature(r, sig, sizeof(sig), comp, sizeof(comp)) != 0)
        return 0;
    for (size_t i = 0; i < f->n && !x; i++)
        if (strcmp(f->v[i].signature, sig) == 0)
            x = &f->v[i];
    if (x == NULL) {
        if ((v = realloc(f->v, (f->n + 1) * sizeof(*v))) == NULL)
            return FT_ENOMEM;
        f->v = v;
        x = &f->v[f->n++];
        memset(x, 0, sizeof(*x));
        snprintf(x->id, sizeof(x->id), "%012llx", (unsigned long long)(sig__hash(sig) & 0xffffffffffffULL));
        x->kind = r->kind;
        x->last_run = -1;
        x->example_run = run;
        if ((x->signature = strdup(sig)) == NULL || (x->component = strdup(comp)) == NULL ||
            (x->title = strdup(r->title)) == NULL || san_report_copy(&x->example, r) != 0)
            return FT_ENOMEM;
    }
    x->occurrences++;
    if (r->kind == SAN_DATA_RACE || r->kind == SAN_SCENARIO_DATA) {
        char mem[1024], *one = mem;

        sig_memory(r, mem, sizeof(mem));
        if (mem[0] && sig__add_strs(&x->memory, &x->n_memory, &one, 1, NULL, NULL) != 0)
            return FT_ENOMEM;
        sig_roles(r, mem, sizeof(mem));
        if (mem[0] && sig__add_strs(&x->roles, &x->n_roles, &one, 1, NULL, NULL) != 0)
            return FT_ENOMEM;
    }
    if (r->test && sig__add_strs(&x->tests, &x->n_tests, &r->test, 1, NULL, NULL) != 0)
        return FT_ENOMEM;
    if (x->last_run != run) {
        int *v = realloc(x->runs, (size_t)(x->runs_hit + 1) * sizeof(*v));

        if (v == NULL)
            return FT_ENOMEM;
        x->runs = v;
        x->runs[x->runs_hit++] = run;
        x->last_run = run;
    }
    return 0;
}

int
sig__add_strs(char ***list, size_t *n, char *const *add, size_t nadd, long **counts, const long *addc)
{
    for (size_t i = 0; i < nadd; i++) {
        size_t k;

        for (k = 0; k < *n && strcmp((*list)[k], add[i]) != 0; k++)
            ;
        if (k == *n) {
            char **v = realloc(*list, (*n + 1) * sizeof(*v));

            if (v == NULL)
                return FT_ENOMEM;
            *list = v;
            if (counts) {
                long *c = realloc(*counts, (*n + 1) * sizeof(*c));

                if (c == NULL)
                    return FT_ENOMEM;
                *counts = c;
                c[k] = 0;
            }
            if ((v[k] = strdup(add[i])) == NULL)
                return FT_ENOMEM;
            (*n)++;
        }
        if (counts)
            (*counts)[k] += addc[i];
    }
    return 0;
}

int
sig_add_run(struct sig_findings *f, const struct san_reports *r, int run, const struct sig_policy *p)
{
    int rc = 0;

    for (size_t i = 0; i < r->n && rc == 0; i++)
        if (sig__counts(&r->v[i], p))
            rc = sig__add_one(f, &r->v[i], run);
    for (size_t i = 0; i < r->n_supp; i++)
        f->suppressed += r->supp_counts[i];
    if (rc == 0)
        rc = sig__add_strs(&f->supp_rules, &f->n_supp, r->supp_rules, r->n_supp, &f->supp_counts, r->supp_counts);
    if (rc == 0)
        rc = sig__add_strs(&f->gil_modules, &f->n_gil, r->gil_modules, r->n_gil, NULL, NULL);
    if (rc == 0)
        rc = sig__add_strs(&f->tests, &f->n_tests, r->tests, r->n_tests, NULL, NULL);
    return rc;
}

/* A list of n strings and the list. */
static void
sig__strs_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* One finding's contents (not the struct). */
void
sig__finding_free(struct sig_finding *x)
{
    free(x->signature);
    free(x->component);
    free(x->title);
    free(x->known);
    free(x->known_url);
    free(x->fixed_in);
    free(x->runs);
    sig__strs_free(x->also, x->n_also);
    sig__strs_free(x->memory, x->n_memory);
    sig__strs_free(x->roles, x->n_roles);
    sig__strs_free(x->tests, x->n_tests);
    san_report_free(&x->example);
}

void
sig_findings_free(struct sig_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        sig__finding_free(&f->v[i]);
    free(f->v);
    for (size_t i = 0; i < f->n_own; i++)
        sig__finding_free(&f->own[i]);
    free(f->own);
    sig__strs_free(f->supp_rules, f->n_supp);
    free(f->supp_counts);
    sig__strs_free(f->gil_modules, f->n_gil);
    sig__strs_free(f->tests, f->n_tests);
    sig_findings_init(f);
}
