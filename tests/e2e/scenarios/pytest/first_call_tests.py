"""A test module whose second test is the first to call the racy kernel on threads: the first
test fills its table on one thread (thread-unsafe by its mark). In one process for the module
the second test only reads a full table; as the first user in its own process, it races on the
table's first fill. Its name does not start with test_, so the project's own pytest run does not
collect it."""
import pytest

import racy_gil


@pytest.mark.thread_unsafe(reason="fills the kernel's table on one thread before the other tests")
def test_fills_table():
    assert racy_gil.lookup(0) == 0.0


def test_reads_table():
    assert racy_gil.lookup(3) == 1.5
