"""A test module whose test aborts the process, run by pytest_abort.yaml: the Python stack of a
fatal signal must reach the finding in pytest mode as in a scenario's body. One thread aborts:
faulthandler writes one dump at a time, and a second thread aborting during the first dump
would end the process before the stacks are written."""
import os
import threading
import time

_first = threading.Lock()


def test_aborts():
    if _first.acquire(blocking=False):
        os.abort()
    time.sleep(2)
