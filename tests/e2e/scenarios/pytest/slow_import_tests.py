"""A test module that takes longer to import than a run may last, as a large directory takes
longer to collect: the fork server's collection is not a run and must not be timed as one.
Not collected by the project's own pytest run (no test_ prefix)."""
import time

time.sleep(5)


def test_one():
    pass


def test_two():
    pass
