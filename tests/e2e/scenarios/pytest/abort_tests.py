"""A test module whose test aborts the process, run by pytest_abort.yaml: the Python stack of a
fatal signal must reach the finding in pytest mode as in a scenario's body."""
import os


def test_aborts():
    os.abort()
