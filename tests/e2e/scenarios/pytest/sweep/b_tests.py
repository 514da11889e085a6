"""The swept directory's second module: two fast tests and four slow ones, of which the sweep
samples one in two."""
import pytest


def test_b1():
    assert "ab".upper() == "AB"


def test_b2():
    assert [1, 2][::-1] == [2, 1]


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_slow(n):
    assert n > 0
