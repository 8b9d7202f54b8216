"""Divisors and prime factorizations of dimension bounds: the one implementation, used by the
mapspace (the factors a loop may take), the CP-SAT model of the tiling space, the search and
the model's capacity floor (so it sits under every layer).

A factor of a bound is a vector of prime exponents: writing every loop factor as ``prod p^a``
makes "the factors of a dimension multiply to its bound" a set of linear sums (one per prime),
which is what a CP-SAT model handles best.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache


def factorize(n: int) -> dict[int, int]:
    """``{prime: exponent}`` of ``n >= 1`` (empty for 1), primes ascending."""
    if n < 1:
        raise ValueError(f"cannot factorize {n}")
    out: dict[int, int] = {}
    p = 2
    while p * p <= n:
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
        p += 1 if p == 2 else 2
    if n > 1:
        out[n] = out.get(n, 0) + 1
    return out


def exponent_table(primes: dict[int, int]) -> list[tuple[int, ...]]:
    """Every divisor of ``prod p^e`` as ``(a_1, ..., a_m, value)``: the rows of a table
    constraint linking prime exponents to the factor they make."""
    rows = []
    for exps in itertools.product(*(range(e + 1) for e in primes.values())):
        rows.append((*exps, math.prod(p ** a for p, a in zip(primes, exps))))
    return rows


@lru_cache(maxsize=None)
def divisors(n: int) -> tuple[int, ...]:
    """Every divisor of ``n >= 1``, ascending."""
    if n < 1:
        raise ValueError(f"no divisors of {n}")
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def exponents(value: int, primes: tuple[int, ...]) -> tuple[int, ...]:
    """Exponents of ``value`` over ``primes`` (ValueError if another prime divides it)."""
    out = []
    for p in primes:
        a = 0
        while value % p == 0:
            value //= p
            a += 1
        out.append(a)
    if value != 1:
        raise ValueError(f"a factor has a prime outside {primes}")
    return tuple(out)
