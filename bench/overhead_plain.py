"""The same work as bench/scenarios/overhead_driver.yaml, run the plain way in one thread of the
same interpreter: a Python loop calling a.sum(). Prints seconds per iteration.
With --exec, each iteration runs the body as the driver does (exec of a compiled code object),
which isolates what the driver's loop itself costs."""
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
t0 = time.perf_counter()
loop()
t1 = time.perf_counter()
print(f"{(t1 - t0) / n:.9f}")
