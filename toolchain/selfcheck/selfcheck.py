"""Self-check run by a toolchain's interpreter: free-threading is on, the sanitizer is in the
build, and it reports a bug planted in an extension built with the same flags.

Usage: python selfcheck.py SAN MODULE_DIR. Prints one line per check; the caller reads the
sanitizer's log and decides. Exit status 1 when a check that needs no sanitizer log fails."""
import sys
import sysconfig
import threading

san, module_dir = sys.argv[1], sys.argv[2]
failed = False


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    failed |= not ok


check(bool(sysconfig.get_config_var("Py_GIL_DISABLED")), "built free-threaded (Py_GIL_DISABLED)")
sys.path.insert(0, module_dir)
import ftsan_selfcheck  # noqa: E402  (the planted bug, built for this check)

check(sys._is_gil_enabled() is False, "GIL disabled at run time, with the extension imported")
flag = {"tsan": "-fsanitize=thread", "asan": "-fsanitize=address"}.get(san)
if flag:
    cflags = " ".join(str(sysconfig.get_config_var(k) or "") for k in ("CONFIG_ARGS", "PY_CFLAGS", "PY_LDFLAGS"))
    check(flag in cflags, f"{flag} in the interpreter's build configuration")

if san == "asan":
    ftsan_selfcheck.use_after_free()
else:
    # lazy_init(target) makes the callers meet in C first; a few rounds, in case a busy
    # machine still serialises one.
    n, rounds = 8, 3
    barrier = threading.Barrier(n)

    def worker():
        for r in range(rounds):
            ftsan_selfcheck.lazy_init(n * (r + 1))
            if barrier.wait() == 0:
                ftsan_selfcheck.reset()
            barrier.wait()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(True, f"{n} threads called the lazily-initialised global, {rounds} rounds")
sys.exit(1 if failed else 0)
