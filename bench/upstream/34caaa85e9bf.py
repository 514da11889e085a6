# numexpr.set_num_threads() tears numexpr's pool down and starts a new one without a lock: four
# threads set the number of threads at once (two values), then evaluate. Run it under a
# free-threaded CPython built with ThreadSanitizer, with numexpr built with it:
#   PYTHON_GIL=0 python3.13t 34caaa85e9bf.py
import threading

import numpy as np
import numexpr

a = np.arange(1 << 16, dtype=np.float64)

N_THREADS, ITERATIONS = 4, 8
barrier = threading.Barrier(N_THREADS)


def worker(tid):
    for iteration in range(ITERATIONS):
        barrier.wait()
        numexpr.set_num_threads(2 + (tid + iteration) % 2)
        numexpr.evaluate("a * 2 + 1", local_dict={"a": a})


threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
