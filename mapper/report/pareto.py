"""Pareto dominance: the one rule behind ``mapper sweep``'s ``pareto`` column (over any number
of axes, :func:`mapper.sweep.tables.mark_pareto`) and the 2-D front of its energy-vs-latency
figure (:func:`front_2d`, :func:`staircase`); which axes a sweep's front is over
(:func:`axes_in_use`: latency in cycles when a design has no clock).

:func:`non_dominated` minimises every axis; a column where more is better (throughput,
utilization: :data:`MAXIMISED`) enters it negated (:func:`sense`). A point ``b`` dominates
``a`` when b is no worse than a on every axis and better on one; a point is on the front when
no point dominates it. Identical points do not dominate each other, so every copy is on the
front. A point with a coordinate that is not finite (NaN: a failed run, or a metric the run
lacks) is never on the front and dominates nothing. The sweep's front is taken over every
``--pareto`` axis, so a design it flags may well be dominated in energy and latency alone;
the 2-D front is the same rule over those two axes only, the front a 2-D plot can show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

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


#: the sweep table's columns where more is better: a front maximises them
MAXIMISED = frozenset({"inferences_per_s", "macs_per_s", "utilization", "active_pe_fraction",
                       "active_pe_utilization"})

#: the columns in seconds, and the one each becomes on a design without a clock: its latency
#: in cycles (``latency_s`` = ``cycles`` x seconds per cycle, one batch). Throughput too: within
#: a front's group (one network, one batch size) inferences per cycle = batch / cycles and MACs
#: per cycle = MACs / cycles, so the most throughput is the fewest cycles
IN_CYCLES = {"latency_s": "cycles", "inferences_per_s": "cycles", "macs_per_s": "cycles"}


def sense(axis: str) -> float:
    """The factor that makes ``axis`` minimised: -1 for :data:`MAXIMISED` columns, else 1."""
    return -1.0 if axis in MAXIMISED else 1.0


@dataclass(frozen=True)
class ParetoAxes:
    """The axes a sweep's front is over: as asked (``--pareto``, or the default), as used (a
    column in seconds replaced by ``cycles`` when a design has no clock, :func:`axes_in_use`),
    and sentences saying why they differ or which runs have no value on an axis used."""
    asked: tuple[str, ...]
    used: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def clocked(rows: Iterable[dict]) -> bool:
    """Whether every run with a latency in cycles (every run that is ok) has one in seconds:
    the condition for comparing designs on ``latency_s`` rather than on ``cycles``."""
    return all(_is_number(r.get("latency_s")) for r in rows if _is_number(r.get("cycles")))


def axes_in_use(asked: Sequence[str], rows: list[dict]) -> ParetoAxes:
    """The axes of a sweep's front over ``rows`` (its table) for the ``asked`` ones.

    When any run lacks a clock (no ``latency_s``), every column in seconds (:data:`IN_CYCLES`)
    becomes ``cycles`` for every run of the sweep, clock or not: designs are never compared on
    seconds against cycles, and one unit holds for every group and the figure. A clocked
    design then counts its cycles, its clock rate left out (the note says so). A run with
    cycles but no value on an axis used (``power_W`` without a clock) is never on the front
    (:func:`non_dominated`); a note says how many."""
    asked = tuple(asked)
    measured = [r for r in rows if _is_number(r.get("cycles"))]
    notes = []
    used = asked
    if not clocked(measured):
        used = tuple(dict.fromkeys(IN_CYCLES.get(a, a) for a in asked))
        swapped = [a for a in asked if a in IN_CYCLES]
        if swapped:
            bare = sum(not _is_number(r.get("latency_s")) for r in measured)
            notes.append(f"{bare} of {len(measured)} runs have no clock: the Pareto front is "
                         f"over cycles in place of {', '.join(swapped)}, for every run (a "
                         f"clocked design's cycles leave its clock rate out)")
    for axis in used:
        lacking = sum(not _is_number(r.get(axis)) for r in measured)
        if lacking:
            notes.append(f"{lacking} of {len(measured)} runs have no {axis}"
                         + (" (no clock)" if axis in ("power_W", "leakage_power_W") else "")
                         + ": never on the Pareto front")
    return ParetoAxes(asked, used, tuple(notes))


def axes_text(axes: Sequence[str] | None) -> str:
    """The axes of a front by their column names, a maximised one marked so, as the page and
    the figure's legend name them; None (a sweep that did not record its axes) says so."""
    if axes is None:
        return "the sweep's --pareto axes (not recorded)"
    return ", ".join(f"{a} (maximised)" if a in MAXIMISED else a for a in axes)


def directions_text(axes: Sequence[str] | None) -> str:
    """"all minimised", or "the others minimised" beside :func:`axes_text`'s marks."""
    return ("the others minimised" if axes is not None and MAXIMISED & set(axes)
            else "all minimised")


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
