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
from dataclasses import dataclass
from functools import lru_cache

from ..spec.constraints import LoopOrder, order_allows
from ..spec.workload import Workload


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


@lru_cache(maxsize=1 << 12)
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


@dataclass(frozen=True)
class ReuseRoles:
    """What each dimension is to each data space, for telling loop orders apart.

    * ``exclusive``: dimensions that move some rank of the data space alone (every other
      dimension of that rank has bound 1): one step, or the rewind of such a loop, moves the
      tile by at least its own extent, so nothing overlaps;
    * ``irrelevant``: dimensions that move no rank of the data space.

    The other dimensions move only ranks shared with another dimension (a sliding window).
    """

    exclusive: tuple[frozenset[str], ...]
    irrelevant: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, workload: Workload) -> "ReuseRoles":
        exclusive, irrelevant = [], []
        for ds in workload.data_spaces:
            moving = [{d for d, c in rank if c and workload.bounds[d] > 1} for rank in ds.ranks]
            exclusive.append(frozenset(next(iter(m)) for m in moving if len(m) == 1))
            irrelevant.append(frozenset(d for d in workload.dims if d not in ds.dims()))
        return cls(tuple(exclusive), tuple(irrelevant))

    def only(self, data_spaces: list[int]) -> "ReuseRoles":
        """The roles for the given data spaces alone (e.g. those some level below keeps: a
        level's order changes no count of a data space that no level below it keeps)."""
        return ReuseRoles(tuple(self.exclusive[i] for i in data_spaces),
                          tuple(self.irrelevant[i] for i in data_spaces))

    def signature(self, loops: tuple[str, ...]) -> tuple:
        """What the delta sums of every tile below see of a level's non-unit ``loops``
        (innermost first), per data space: the loops before its first exclusive one, with
        each run of irrelevant loops as a set (``docs/OPTIMAL_SEARCH.md``, loop-order classes).

        Eq. (1) in Timeloop's form (``model/access.py`` ``delta_sum``): a tile's delta sum
        depends on the order only through the innermost moving loop above it and the carries
        that shift the tile exactly as that loop does. A carry at or outside an exclusive
        loop shifts an exclusive rank by at least the tile's extent, so it never qualifies
        (and when the innermost loop is exclusive, nothing overlaps at all); the carries of a
        run of irrelevant loops shift alike, and their weights add up to a function of the
        run's product alone."""
        out = []
        for exclusive, irrelevant in zip(self.exclusive, self.irrelevant):
            sig: list = []
            run: list[str] = []
            for d in loops:
                if d in exclusive:
                    break
                if d in irrelevant:
                    run.append(d)
                    continue
                if run:
                    sig.append(frozenset(run))
                    run = []
                sig.append(d)
            if run:
                sig.append(frozenset(run))
            out.append(tuple(sig))
        return tuple(out)


@lru_cache(maxsize=4096)
def order_classes(nonunit: tuple[str, ...], dims: tuple[str, ...],
                  constraint: LoopOrder | None, roles: ReuseRoles) -> tuple[tuple[str, ...], ...]:
    """One full permutation per class of the level's orders (those of :func:`level_orders`)
    with equal :meth:`ReuseRoles.signature`: every order of a class gives the same delta sums,
    hence the same counts, energy and cycles. Each class is represented by its member that
    comes first in the canonical order of mappings (``search/incumbent.py``: the tuple of
    non-unit loops), so a search over the classes returns the mapping a search over every
    order would."""
    best: dict[tuple, tuple[str, ...]] = {}
    for perm in itertools.permutations(nonunit):
        if constraint is not None and not order_allows(constraint, len(dims), len(dims), perm):
            continue
        sig = roles.signature(perm)
        if sig not in best or perm < best[sig]:
            best[sig] = perm
    return tuple(complete_order(perm, dims, constraint) for perm in sorted(best.values()))


def supersequence(orders: list[tuple[str, ...]]) -> tuple[str, ...]:
    """A common supersequence of several loop orders: each order is a subsequence of it, so
    one model batch can hold them all (``MappingBatch.placement``). Built by merging the
    orders one at a time along a shortest common supersequence of two (dynamic
    programming): not the shortest of all, but short (the batch's nest grows with it).
    The order visit asks for the same few lists over and over (measured: 41,367 merges,
    3.7 s of a 40 s search on weight_stationary), so merges are cached."""
    out: tuple[str, ...] = ()
    for order in orders:
        out = _shortest_common_supersequence(out, tuple(order))
    return out


@lru_cache(maxsize=1 << 14)
def _shortest_common_supersequence(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n, m = len(a), len(b)
    # lcs[i][j]: the longest common subsequence of a[i:] and b[j:]
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            lcs[i][j] = lcs[i + 1][j + 1] + 1 if a[i] == b[j] else \
                max(lcs[i + 1][j], lcs[i][j + 1])
    out, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.append(a[i])
            i, j = i + 1, j + 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return tuple(out) + a[i:] + b[j:]


def embedding(order: tuple[str, ...], sup: tuple[str, ...]) -> dict[str, int]:
    """Per dimension of ``order``, which of its occurrences in ``sup`` (0: the first) takes
    it when ``order`` is matched into ``sup`` leftmost; ``sup`` must contain ``order``."""
    out, seen, at = {}, {}, 0
    for d in order:
        while sup[at] != d:
            seen[sup[at]] = seen.get(sup[at], -1) + 1
            at += 1
        out[d] = seen[d] = seen.get(d, -1) + 1
        at += 1
    return out
