"""A directory swept at a budget (pytest_sweep.yaml): its first test waits 3 s, a lower bound on
any machine, so a budget of 1 s is spent once it has run. Named *_tests.py: the scenario tells
pytest so, and the project's own pytest run does not collect it."""
import time


def test_waits():
    time.sleep(3)


def test_a2():
    assert sum(range(4)) == 6
