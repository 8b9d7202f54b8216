"""The 2-D Pareto front of a sweep's energy-vs-latency figure, as the step line it is drawn as.

Both axes are minimised. A point is on the front when no other point is at least as good on
both axes and better on one (the dominance rule of ``mapper sweep``'s ``pareto`` column,
:func:`mapper.sweep.tables.dominated`, taken over two axes only). The sweep flags its front
over every ``--pareto`` axis (energy, latency, on-chip storage and area by default), so a
flagged design may well be dominated in energy and latency alone; this front is the one a 2-D
plot can show.
"""
from __future__ import annotations

import math
from typing import Sequence


def front_2d(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points (both coordinates minimised), in order of the
    first coordinate; identical points are all on the front (neither dominates the other).
    Points with a coordinate that is not finite are never on it. O(n log n): sorted by
    (x, y), a point is on the front when its y is below every y before it, or it repeats the
    last point kept."""
    order = sorted((i for i, p in enumerate(points) if all(map(math.isfinite, p))),
                   key=lambda i: points[i])
    kept: list[int] = []
    for i in order:
        if not kept or points[i][1] < points[kept[-1]][1] or points[i] == points[kept[-1]]:
            kept.append(i)
    return kept


def staircase(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The vertices (x, y) of the front's step line: the distinct front points in order of x;
    drawn with ``drawstyle="steps-post"`` the line is the boundary of the region the front
    dominates (at latency x the least energy any design reaches by then)."""
    front = sorted({tuple(points[i]) for i in front_2d(points)})
    return [p[0] for p in front], [p[1] for p in front]
