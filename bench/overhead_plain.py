"""The same work as bench/scenarios/overhead_driver.yaml, run the plain way in one thread of the
same interpreter: a Python loop calling a.sum(). Prints seconds per iteration.
With --exec, each iteration runs the body as the driver did before the body became a function
(exec of a compiled code object). With --thread, the timed loop runs in a threading.Thread, as
the driver's body runs in a thread other than the one that made `a`: the objects' reference
counts are then shared (atomic) ones, which is the same cost for the harness and for any
threaded test, so it is the like-for-like comparison."""
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
a = np.arange(64.0)


def inline_loop():
    for iteration in range(n):
        a.sum()


def exec_loop():
    code = compile("a.sum()", "<body>", "exec")
    g = {"a": a}
    for iteration in range(n):
        g["iteration"] = iteration
        exec(code, g)


loop = exec_loop if "--exec" in sys.argv else inline_loop
loop()  # warm-up: first calls fill NumPy's caches
if "--thread" in sys.argv:
    import threading

    times = []
    t = threading.Thread(target=lambda: (times.append(time.perf_counter()), loop(), times.append(time.perf_counter())))
    t.start()
    t.join()
    t0, t1 = times
else:
    t0 = time.perf_counter()
    loop()
    t1 = time.perf_counter()
print(f"{(t1 - t0) / n:.9f}")
