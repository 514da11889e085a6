"""Tests that race on their own data, on purpose, as NumPy's test_nonzero does: the threads a
test is called on write its fixture's buffer, and a test's own threads write the buffer it
hands them. Those races are the tests' doing, set apart from the library's. The kernel writes
the buffer it was given by attach() with no lock in between (taking a buffer from an object may
lock it). The buffers are large (1 MiB), so that the threads' fills overlap in time: calls that
do not overlap are ordered by the threads' reference counting on shared objects, and TSan sees no
race between them. Not collected by the project's own pytest run (no test_ prefix)."""
import ctypes
import threading

import pytest

import shared_fill


@pytest.fixture
def buf():
    b = (ctypes.c_ubyte * (1 << 20))()
    shared_fill.attach(b)
    return b


def test_fills_fixture(buf):
    shared_fill.fill_attached(1)


@pytest.mark.thread_unsafe(reason="attaches its own buffer: one caller at a time")
def test_own_threads():
    data = (ctypes.c_ubyte * (1 << 20))()
    shared_fill.attach(data)
    start = threading.Barrier(4)

    def fill(value):
        start.wait()
        for _ in range(20):
            shared_fill.fill_attached(value)
        assert len(data) == 1 << 20

    threads = [threading.Thread(target=fill, args=(v,)) for v in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
