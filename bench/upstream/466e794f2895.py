# numexpr.evaluate() writes the global gs.force_serial without a lock (interpreter.cpp: set to 1
# for an evaluation too small for the pool, back to 0 by run_interpreter): four threads evaluate
# one small expression at once. Run it under a free-threaded CPython built with ThreadSanitizer,
# with numexpr built with it:  PYTHON_GIL=0 python3.13t 466e794f2895.py
import threading

import numpy as np
import numexpr

f8 = np.arange(64, dtype=np.float64)
b1 = np.arange(64) % 3 == 0

N_THREADS, ITERATIONS = 4, 8
barrier = threading.Barrier(N_THREADS)


def worker(tid):
    for iteration in range(ITERATIONS):
        barrier.wait()
        numexpr.evaluate("where(b1, f8, 0)", local_dict={"b1": b1, "f8": f8})


threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
