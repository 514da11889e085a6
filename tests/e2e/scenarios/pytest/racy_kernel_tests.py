"""A test module of the kind a package keeps, run by pytest_kernel.yaml on native threads. Its
name does not start with test_, so the project's own pytest run does not collect it."""
import pytest

import racy_gil


def test_lookup():
    # The kernel fills its table on first use without a lock: a data race when threads call at once.
    assert racy_gil.lookup(3) == 1.5


def test_fails_alone():
    # Fails on one thread as on many: reported as failing alone, not as a finding.
    assert racy_gil.lookup(1) == 99


@pytest.mark.thread_unsafe(reason="checks a global the test itself sets")
def test_marked_thread_unsafe():
    assert racy_gil.lookup(2) == 1.0


def test_skipped():
    pytest.skip("not on this platform")
