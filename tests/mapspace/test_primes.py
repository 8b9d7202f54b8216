"""mapper.primes, the one implementation of divisors and prime factorizations."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.primes import divisors, exponent_table, exponents, factorize

bounds = st.integers(min_value=1, max_value=5000)


@given(bounds)
def test_divisors_are_every_divisor_ascending(n):
    assert divisors(n) == tuple(d for d in range(1, n + 1) if n % d == 0)


@given(bounds)
def test_factorize_gives_primes_whose_powers_multiply_to_n(n):
    f = factorize(n)
    assert math.prod(p ** e for p, e in f.items()) == n
    assert list(f) == sorted(f) and all(e >= 1 for e in f.values())
    assert all(divisors(p) == (1, p) for p in f)


@given(bounds)
def test_the_exponent_table_has_one_row_per_divisor(n):
    primes = factorize(n)
    rows = exponent_table(primes)
    assert sorted(row[-1] for row in rows) == list(divisors(n))
    for row in rows:
        assert exponents(row[-1], tuple(primes)) == row[:-1]


def test_bad_input():
    with pytest.raises(ValueError):
        divisors(0)
    with pytest.raises(ValueError):
        factorize(0)
    with pytest.raises(ValueError):
        exponents(6, (2,))
    assert factorize(1) == {} and divisors(1) == (1,) and exponent_table({}) == [(1,)]
