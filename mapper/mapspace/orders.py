"""Loop orders: the distinct temporal permutations of one level for one tiling.

Only loops with a factor above 1 exist in the nest (TIMELOOP_SEMANTICS §1), so two
permutations that differ only in where the unit loops sit are the same mapping: the orders
worth enumerating are the permutations of a level's *non-unit* dimensions that the level's
permutation constraint allows (judged semantically, as the constraint checker does). Each is
completed into a full permutation with the unit dimensions appended in the workload's order.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

from ..spec.constraints import LoopOrder, order_allows


@lru_cache(maxsize=4096)
def level_orders(nonunit: tuple[str, ...], dims: tuple[str, ...],
                 constraint: LoopOrder | None) -> tuple[tuple[str, ...], ...]:
    """Full permutations (innermost first) of a level, one per distinct order of the
    ``nonunit`` dimensions the constraint allows."""
    rest = tuple(d for d in dims if d not in nonunit)
    out = []
    for perm in itertools.permutations(nonunit):
        if constraint is None or order_allows(constraint, len(dims), len(dims), perm):
            out.append(perm + rest)
    return tuple(out)


def spatial_order(x_dims: tuple[str, ...], y_dims: tuple[str, ...], dims: tuple[str, ...],
                  constraint: LoopOrder | None = None) -> tuple[tuple[str, ...], int]:
    """A spatial permutation and split putting ``x_dims`` on X and ``y_dims`` on Y. The order
    within an axis changes no count of the model (only the axis of each loop does); it follows
    the permutation constraint, so that the written mapping satisfies it."""
    def rank(d: str) -> tuple[int, int]:
        if constraint and d in constraint.inner:
            return 0, constraint.inner.index(d)
        if constraint and d in constraint.outer:
            return 2, constraint.outer.index(d)
        return 1, dims.index(d)
    x, y = tuple(sorted(x_dims, key=rank)), tuple(sorted(y_dims, key=rank))
    rest = tuple(d for d in dims if d not in x and d not in y)
    return x + y + rest, len(x)
