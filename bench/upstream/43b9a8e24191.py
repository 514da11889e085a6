# BitGenerator.ctypes fills its cached interface without the lock: four threads read .ctypes of
# the same fresh bit generator at once, for 8 generators. Run it under a free-threaded CPython
# built with ThreadSanitizer, with NumPy built with it:  PYTHON_GIL=0 python3.13t 43b9a8e24191.py
import threading

seed, run = 0, 0
import numpy as np
gens = [np.random.PCG64(seed) for seed in range(64)]  # up to ITERATIONS=64 fresh ones

N_THREADS, ITERATIONS = 4, 8
barrier = threading.Barrier(N_THREADS)


def worker(tid):
    for iteration in range(ITERATIONS):
        barrier.wait()
        gens[iteration % len(gens)].ctypes


threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
