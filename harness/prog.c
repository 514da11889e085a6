/* A scenario as a standalone Python program: plain threading with a Barrier, the way a
 * maintainer runs a reproducer, with no harness. */
#include "prog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* A role's worker function: its name, a word of letters, digits, _ and -, as an identifier. */
static void
prog__fn_name(char *out, size_t n, const char *role)
{
    snprintf(out, n, "%s", role);
    for (char *p = out; *p; p++)
        *p = *p == '-' ? '_' : *p;
}

/* def <fn>(tid): the iteration loop around one body, indented as a function's. */
static int
prog__worker(struct buf *b, const struct scn_scenario *s, const char *fn, const char *body)
{
    int rc = buf_printf(b, "def %s(tid):\n    for iteration in range(ITERATIONS):\n", fn);

    rc = rc ? rc : buf_puts(b, s->barrier == SCN_BARRIER_EACH ? "        barrier.wait()\n"
                                                           : "        if iteration == 0:\n            barrier.wait()\n");
    for (const char *p = body; rc == 0 && p && *p;) {
        size_t n = strcspn(p, "\n");

        rc = buf_printf(b, "        %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    return rc ? rc : buf_puts(b, "\n\n");
}

/* s as the i-th item of a Python list: ", " before all but the first, then a string literal. */
static int
prog__pystr(struct buf *b, size_t i, const char *s)
{
    int rc = buf_puts(b, i ? ", \"" : "\"");

    for (; rc == 0 && *s; s++)
        rc = *s == '"' || *s == '\\' ? buf_printf(b, "\\%c", *s) : *s == '\n' ? buf_puts(b, "\\n") : buf_printf(b, "%c", *s);
    return rc ? rc : buf_puts(b, "\"");
}

/* pytest mode's program, after its TESTS list: pytest alone, with a plugin that calls the test on
 * THREADS threads meeting at a threading.Barrier before every call, as the run did; a pair's
 * second test on half of them, on the first's fixtures. Node ids are found as the run found
 * them: relative to here, or inside an installed package (pytest's rootdir then). */
static const char prog__pytest_body[] =
    "\n\n\ndef where(nodeid):\n"
    "    path, sep, rest = nodeid.partition(\"::\")\n"
    "    for base in [\"\", *sys.path]:\n"
    "        if os.path.exists(os.path.join(base, path)):\n"
    "            return base or os.getcwd()\n"
    "    sys.exit(f\"{path} is neither here nor inside an installed package\")\n"
    "\n\n"
    "class OnThreads:\n"
    "    @pytest.hookimpl(tryfirst=True)\n"
    "    def pytest_collection_modifyitems(self, items):\n"
    "        self.items = {i.nodeid: i for i in items}\n"
    "        if PAIR:\n"
    "            items[:] = [i for i in items if i.nodeid == TESTS[0]]\n"
    "\n"
    "    @pytest.hookimpl(tryfirst=True)\n"
    "    def pytest_pyfunc_call(self, pyfuncitem):\n"
    "        calls = [(pyfuncitem.obj, {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames})]\n"
    "        for nodeid in TESTS[1:] if PAIR else []:\n"
    "            other, fn = self.items[nodeid], self.items[nodeid].obj\n"
    "            cs = getattr(other, \"callspec\", None)\n"
    "            if getattr(pyfuncitem, \"instance\", None) is not None and getattr(fn, \"__self__\", None) is not None:\n"
    "                fn = fn.__func__.__get__(pyfuncitem.instance)\n"
    "            calls.append((fn, {a: cs.params[a] if cs and a in cs.params else pyfuncitem._request.getfixturevalue(a)\n"
    "                               for a in other._fixtureinfo.argnames}))\n"
    "        barrier, failed = threading.Barrier(THREADS), []\n"
    "\n"
    "        def worker(fn, kwargs):\n"
    "            for _ in range(ITERATIONS):\n"
    "                barrier.wait()\n"
    "                try:\n"
    "                    fn(**kwargs)\n"
    "                except BaseException as e:\n"
    "                    failed.append(e)\n"
    "\n"
    "        threads = [threading.Thread(target=worker, args=calls[t * len(calls) // THREADS]) for t in range(THREADS)]\n"
    "        for t in threads:\n"
    "            t.start()\n"
    "        for t in threads:\n"
    "            t.join()\n"
    "        if failed:\n"
    "            raise failed[0]\n"
    "        return True\n"
    "\n\n"
    "sys.exit(pytest.main([\"-p\", \"no:cacheprovider\", \"--rootdir\", where(TESTS[0]), *ARGS,\n"
    "                      *[os.path.join(where(t), t) for t in TESTS]], plugins=[OnThreads()]))\n";

/* pytest mode: the test (a node id; a pair of tests run as roles, "A <> B"; or every test of the
 * scenario when NULL) called as the run called it, needing pytest alone; its header gives the
 * same test as pytest-run-parallel runs it, the tool maintainers already have, and says that
 * pytest-run-parallel runs a pair's two tests one after the other, so nobody takes a clean run
 * of that for a fix. */
static int
prog__pytest(struct buf *b, const struct scn_scenario *s, const char *test)
{
    const char *pair = test ? strstr(test, " <> ") : NULL;
    char *first = pair ? strndup(test, (size_t)(pair - test)) : NULL;
    int rc = pair && first == NULL ? FT_ENOMEM : 0;

    rc = rc ? rc : buf_printf(b, "# %s by %ld threads at once, %ld times each, meeting at a barrier\n# before every "
                                 "call, as ftsan's pytest mode called %s. It needs pytest alone. The same with\n"
                                 "# pytest-run-parallel 0.10.0:\n#   python -m pytest -p no:cacheprovider "
                                 "--parallel-threads=%ld --iterations=%ld",
                              pair ? "Two tests called (each on half the threads, on the same fixtures)" : "The test called",
                              s->threads, s->iterations, pair ? "them" : "it", s->threads, s->iterations);
    for (size_t i = 0; rc == 0 && i < s->pytest->n_args; i++)
        rc = buf_printf(b, " '%s'", s->pytest->args[i]);
    for (size_t i = 0; rc == 0 && i < (pair ? 2 : test ? 1 : s->pytest->n_tests); i++)
        rc = buf_printf(b, " '%s'", pair ? (i ? pair + 4 : first) : test ? test : s->pytest->tests[i]);
    if (rc == 0 && pair)
        rc = buf_puts(b, "\n# (it runs the two tests one after the other, each on all threads: it may not show the race)");
    rc = rc ? rc : buf_puts(b, "\nimport os\nimport sys\nimport threading\n\nimport pytest\n\nTESTS = [");
    for (size_t i = 0; rc == 0 && i < (pair ? 2 : test ? 1 : s->pytest->n_tests); i++)
        rc = prog__pystr(b, i, pair ? (i ? pair + 4 : first) : test ? test : s->pytest->tests[i]);
    rc = rc ? rc : buf_printf(b, "]\nPAIR = %s  # the first test's threads and the second's at once\n"
                                 "THREADS, ITERATIONS = %ld, %ld\nARGS = [", pair ? "True" : "False", s->threads,
                              s->iterations);
    for (size_t i = 0; rc == 0 && i < s->pytest->n_args; i++)
        rc = prog__pystr(b, i, s->pytest->args[i]);
    rc = rc ? rc : buf_printf(b, "]%s", prog__pytest_body);
    free(first);
    return rc;
}

int
prog_python(struct buf *b, const struct scn_scenario *s, const char *test)
{
    int rc;

    if (s->pytest)
        return prog__pytest(b, s, test);
    rc = buf_printf(b, "import threading\n\nseed, run = 0, 0\n");
    if (rc == 0 && s->setup.text)
        rc = buf_printf(b, "%s%s", s->setup.text, s->setup.text[strlen(s->setup.text) - 1] == '\n' ? "" : "\n");
    if (rc == 0 && s->prepare.text)
        rc = buf_printf(b, "%s%s", s->prepare.text, s->prepare.text[strlen(s->prepare.text) - 1] == '\n' ? "" : "\n");
    rc = rc ? rc : buf_printf(b, "\nN_THREADS, ITERATIONS = %ld, %ld\nbarrier = threading.Barrier(N_THREADS)\n\n\n",
                              s->threads, s->iterations);
    if (s->n_roles == 0) {
        rc = rc ? rc : prog__worker(b, s, "worker", s->body.text);
        rc = rc ? rc : buf_puts(b, "threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]\n");
    } else {
        long tid = 0;

        for (size_t i = 0; rc == 0 && i < s->n_roles; i++) {
            char fn[64];

            prog__fn_name(fn, sizeof(fn), s->roles[i].name);
            rc = prog__worker(b, s, fn, s->roles[i].body.text);
        }
        rc = rc ? rc : buf_puts(b, "threads = [\n");
        for (size_t i = 0; rc == 0 && i < s->n_roles; i++, tid += s->roles[i - 1].threads) {
            char fn[64];

            prog__fn_name(fn, sizeof(fn), s->roles[i].name);
            rc = buf_printf(b, "    *[threading.Thread(target=%s, args=(t,), name=\"%s\") for t in range(%ld, %ld)],\n", fn,
                            s->roles[i].name, tid, tid + s->roles[i].threads);
        }
        rc = rc ? rc : buf_puts(b, "]\n");
    }
    rc = rc ? rc : buf_puts(b, "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n");
    if (rc == 0 && s->teardown.text)
        rc = buf_puts(b, s->teardown.text);
    return rc;
}
