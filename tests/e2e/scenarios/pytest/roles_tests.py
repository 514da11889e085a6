"""Two tests of one module that are each thread-safe alone and race only against each other:
test_put writes the kernel's cell under its lock, test_get reads it without. Run as roles
(pytest.roles: pairs), one test's threads against the other's on the same fixture, they race.
Not collected by the project's own pytest run (no test_ prefix)."""
import pytest

import locked_cell


@pytest.fixture
def value():
    return 7


def test_put(value):
    locked_cell.put(value)


def test_get(value):
    assert locked_cell.get() in (0, value)
