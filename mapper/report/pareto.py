"""Pareto dominance: the one rule behind ``mapper sweep``'s ``pareto`` column (over any number
of axes, :func:`mapper.sweep.tables.mark_pareto`) and the 2-D front of its energy-vs-latency
figure (:func:`front_2d`, :func:`staircase`).

Every axis is minimised. A point ``b`` dominates ``a`` when b is no worse than a on every axis
and better on one; a point is on the front when no point dominates it. Identical points do not
dominate each other, so every copy is on the front. A point with a coordinate that is not
finite (NaN: a failed run, or a metric the run lacks) is never on the front and dominates
nothing. The sweep's front is taken over every ``--pareto`` axis, so a design it flags may
well be dominated in energy and latency alone; the 2-D front is the same rule over those two
axes only, the front a 2-D plot can show.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

#: pairs compared per block of :func:`non_dominated` (candidates x points): a few MB of
#: booleans per array, whatever the number of points
BLOCK_CELLS = 1 << 22


def non_dominated(points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Whether each point (a row of ``points``, shape (n, axes)) is on the Pareto front.

    Every pair is compared (O(n^2 x axes)) with numpy broadcasting, a block of candidates
    against all points at a time, axis by axis, so that memory stays bounded
    (:data:`BLOCK_CELLS`): 5,000 designs on four axes take about half a second, and the rule
    reads as its definition (a sort-based front is faster only in two dimensions)."""
    p = np.asarray(points, dtype=float)
    n = len(p)
    if n == 0:
        return np.zeros(0, dtype=bool)
    p = p.reshape(n, -1)
    on = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(np.isfinite(p).all(axis=1))
    q = p[rows]                           # the finite points: candidates and dominators
    step = max(1, BLOCK_CELLS // max(1, len(q)))
    for start in range(0, len(q), step):
        a = q[start:start + step]
        no_worse = np.ones((len(a), len(q)), dtype=bool)     # [candidate, other point]
        better = np.zeros((len(a), len(q)), dtype=bool)
        for axis in range(q.shape[1]):
            no_worse &= q[None, :, axis] <= a[:, None, axis]
            better |= q[None, :, axis] < a[:, None, axis]
        on[rows[start:start + step]] = ~(no_worse & better).any(axis=1)
    return on


def axes_text(axes: Sequence[str] | None) -> str:
    """The axes of a front by their column names, as the page and the figure's legend name
    them; None (a sweep that did not record its axes) says so."""
    if axes is None:
        return "the sweep's --pareto axes (not recorded)"
    return ", ".join(axes)


def front_2d(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points (both coordinates minimised) on the front of
    :func:`non_dominated`, in order of (first, second) coordinate."""
    on = np.flatnonzero(non_dominated(points)).tolist()
    return sorted(on, key=lambda i: (tuple(points[i]), i))


def staircase(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The vertices (x, y) of the front's step line: the distinct front points in order of x;
    drawn with ``drawstyle="steps-post"`` the line is the boundary of the region the front
    dominates (at latency x the least energy any design reaches by then)."""
    front = sorted({tuple(points[i]) for i in front_2d(points)})
    return [p[0] for p in front], [p[1] for p in front]
