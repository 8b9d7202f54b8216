"""Loop orders: the distinct temporal permutations of one level for one tiling.

Only loops with a factor above 1 exist in the nest (TIMELOOP_SEMANTICS §1), so two
permutations that differ only in where the unit loops sit are the same mapping: the orders
worth enumerating are the permutations of a level's *non-unit* dimensions that the level's
permutation constraint allows (judged semantically, as the constraint checker does). Each is
completed into a full permutation the constraint allows as a whole (:func:`complete_order`), so
that a loop that becomes non-unit later (a hill-climbing move re-tiles without reordering)
still sits where the constraint lets it.
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
    out = []
    for perm in itertools.permutations(nonunit):
        if constraint is None or order_allows(constraint, len(dims), len(dims), perm):
            out.append(complete_order(perm, dims, constraint))
    return tuple(out)


def complete_order(loops: tuple[str, ...], dims: tuple[str, ...],
                   constraint: LoopOrder | None) -> tuple[str, ...]:
    """A full permutation (innermost first) with ``loops`` in their order, that the constraint
    allows as a whole (if it allows ``loops``): its pinned inner dimensions, the free ones
    (``loops`` first, then the others in the workload's order), its pinned outer ones. Every
    subsequence of such an order is allowed too. Without a constraint: ``loops`` then the other
    dimensions in the workload's order."""
    rest = tuple(d for d in dims if d not in loops)
    if constraint is None:
        return tuple(loops) + rest
    pinned = set(constraint.inner) | set(constraint.outer)
    inner = tuple(d for d in constraint.inner if d in dims)
    outer = tuple(d for d in constraint.outer if d in dims)
    free = tuple(d for d in (*loops, *rest) if d not in pinned)
    return inner + free + outer


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
