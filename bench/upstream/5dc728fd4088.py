# After a fork, numexpr's first evaluation in the child starts the pool again
# (NumExpr_run: gs.pid != getpid() -> numexpr_set_nthreads), without a lock: four threads of a
# forked child evaluate at once. Run it under a free-threaded CPython built with
# ThreadSanitizer, with numexpr built with it:  PYTHON_GIL=0 python3.13t 5dc728fd4088.py
import os
import threading

import numpy as np
import numexpr

a = np.arange(1 << 16, dtype=np.float64)
numexpr.evaluate("a * 2 + 1")          # the parent's pool, started

N_THREADS = 4


def child():
    barrier = threading.Barrier(N_THREADS)

    def worker(tid):
        barrier.wait()
        numexpr.evaluate("a * 2 + 1", local_dict={"a": a})

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


pid = os.fork()
if pid == 0:
    child()
    os._exit(0)
_, status = os.waitpid(pid, 0)
