"""Interpolation along a table axis and technology-node scaling.

Interpolation is piecewise linear in log(x)-log(y) by default ("log" mode): memory energy grows
as a power of capacity and width (Horowitz's 8 KB -> 1 MB SRAM points lie on a line of slope
0.47 in log-log), so a power law between neighbouring points is the natural reading. It is exact
at table points (the stored number is returned, not exp(log(y))) and monotone between two
points. Outside a table's range the table's declared exponent extends the edge point
(``y = y_edge * (x / x_edge) ** exponent``); without one there is no answer.

Technology scaling follows A. Stillmaker and B. Baas, "Scaling equations for the accurate
prediction of CMOS device performance from 180 nm to 7 nm", Integration 58 (2017) 74-81,
doi:10.1016/j.vlsi.2017.02.002: energy at node n and supply V is proportional to
``a_n V^2 + b_n V + c_n`` (the paper's fitted polynomials; the coefficients below are those
tabulated from the paper in Accelergy's library plug-in, ``scaling.py``), and area scales by the
paper's per-node area factors. Between the fitted nodes the factor is interpolated linearly in
log(node)-log(factor); outside 7-130 nm it is extrapolated along the edge segment and flagged.
"""
from __future__ import annotations

import bisect
import math
from typing import Sequence

#: Stillmaker & Baas (2017) nodes (nm) and energy polynomials (a, b, c): E ~ aV^2 + bV + c.
NODES_NM = (130.0, 90.0, 65.0, 45.0, 32.0, 20.0, 16.0, 14.0, 10.0, 7.0)
ENERGY_POLY = (
    (7.171, -6.709, 2.904), (4.762, -4.781, 2.092), (3.755, -4.398, 1.975),
    (1.103, -0.362, 0.2767), (0.9559, -0.7823, 0.471), (0.373, -0.1582, 0.04104),
    (0.2958, -0.1241, 0.03024), (0.2363, -0.09675, 0.02239), (0.2068, -0.09311, 0.02375),
    (0.1776, -0.09097, 0.02447),
)
#: Area at each node relative to 45 nm (Stillmaker & Baas 2017, the 45 nm row).
AREA_VS_45NM = (6.4, 2.8, 1.5, 1.0, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059)
#: Supply voltage range over which the polynomials are used (they are fits, not physics).
VOLTAGE_RANGE = (0.5, 1.3)
#: Supply assumed when neither the table nor the component states one (Accelergy's default).
DEFAULT_VOLTAGE = 0.8


class OutOfRange(ValueError):
    """A query outside an axis's range with no declared exponent to extend it."""


def interp_axis(x: float, xs: Sequence[float], ys: Sequence[float], mode: str = "log",
                exponent: float | None = None, axis: str = "x") -> tuple[float, str]:
    """``(y, how)`` at ``x`` from sorted distinct ``xs``; ``how`` is exact, interpolated or
    extrapolated.

    ``mode`` "log": linear in log x - log y (linear in y over log x where an end point is 0);
    "linear": linear in x - y. Exact at table points; monotone where ``ys`` is.
    """
    i = bisect.bisect_left(xs, x)
    if i < len(xs) and xs[i] == x:
        return ys[i], "exact"
    if 0 < i < len(xs):
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        if mode == "linear":
            t = (x - x0) / (x1 - x0)
            return y0 + t * (y1 - y0), "interpolated"
        t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
        if y0 > 0 and y1 > 0:
            y = math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))
            return min(max(y, min(y0, y1)), max(y0, y1)), "interpolated"
        return y0 + t * (y1 - y0), "interpolated"
    if exponent is None:
        span = f"{xs[0]:g}" if len(xs) == 1 else f"{xs[0]:g}..{xs[-1]:g}"
        raise OutOfRange(f"{axis}={x:g} is outside the table's {axis} {span} and the table "
                         f"declares no extrapolation exponent for {axis}")
    edge = 0 if i == 0 else len(xs) - 1
    return ys[edge] * (x / xs[edge]) ** exponent, "extrapolated"


def _node_factor(values: Sequence[float], node: float) -> tuple[float, bool]:
    """Per-node factor interpolated in log-log; ``extrapolated`` outside 7-130 nm."""
    xs = [math.log(n) for n in reversed(NODES_NM)]  # increasing
    ys = [math.log(v) for v in reversed(values)]
    lx = math.log(node)
    i = min(max(bisect.bisect_left(xs, lx), 1), len(xs) - 1)
    t = (lx - xs[i - 1]) / (xs[i] - xs[i - 1])
    return math.exp(ys[i - 1] + t * (ys[i] - ys[i - 1])), not (xs[0] <= lx <= xs[-1])


def _energy_at(node: float, voltage: float) -> tuple[float, bool]:
    lo, hi = VOLTAGE_RANGE
    if not lo <= voltage <= hi:
        raise OutOfRange(f"supply {voltage:g} V is outside the {lo:g}-{hi:g} V range of the "
                         f"Stillmaker-Baas energy fits")
    return _node_factor([a * voltage**2 + b * voltage + c for a, b, c in ENERGY_POLY], node)


def energy_scale(from_nm: float, to_nm: float, from_v: float = DEFAULT_VOLTAGE,
                 to_v: float | None = None) -> tuple[float, bool]:
    """Energy factor from (node, V) to (node, V); ``to_v`` defaults to ``from_v``."""
    to_v = from_v if to_v is None else to_v
    if from_nm == to_nm and from_v == to_v:
        return 1.0, False
    f0, x0 = _energy_at(from_nm, from_v)
    f1, x1 = _energy_at(to_nm, to_v)
    return f1 / f0, x0 or x1


def area_scale(from_nm: float, to_nm: float) -> tuple[float, bool]:
    """Area factor from one node to another (Stillmaker & Baas area factors)."""
    if from_nm == to_nm:
        return 1.0, False
    a0, x0 = _node_factor(AREA_VS_45NM, from_nm)
    a1, x1 = _node_factor(AREA_VS_45NM, to_nm)
    return a1 / a0, x0 or x1
