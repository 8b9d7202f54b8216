"""Interpolation and technology scaling: exact at table points, monotone between and beyond."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from energy.scaling import NODES_NM, OutOfRange, area_scale, energy_scale, interp_axis
from energy.table_estimator import Row, TableEstimator

xs_st = st.lists(st.floats(1, 1e6), min_size=1, max_size=6, unique=True).map(sorted)
pos = st.floats(1e-3, 1e4)


@st.composite
def increasing_table(draw):
    xs = draw(xs_st)
    steps = draw(st.lists(st.floats(0, 1e3), min_size=len(xs), max_size=len(xs)))
    ys, y = [], draw(pos)
    for s in steps:
        y += s
        ys.append(y)
    return xs, ys


@given(increasing_table(), st.sampled_from(["log", "linear"]))
def test_exact_at_table_points(table, mode):
    xs, ys = table
    for x, y in zip(xs, ys):
        assert interp_axis(x, xs, ys, mode) == (y, "exact")


@given(increasing_table(), st.floats(1, 1e6), st.floats(1, 1e6), st.sampled_from(["log", "linear"]),
       st.floats(0, 3))
def test_monotone_inside_and_beyond(table, a, b, mode, exponent):
    xs, ys = table
    lo, hi = sorted((a, b))
    ylo, _ = interp_axis(lo, xs, ys, mode, exponent)
    yhi, _ = interp_axis(hi, xs, ys, mode, exponent)
    assert ylo <= yhi * (1 + 1e-12)


@given(increasing_table(), st.floats(1, 1e6))
def test_no_exponent_no_extrapolation(table, x):
    xs, ys = table
    assume(x < xs[0] or x > xs[-1])
    with pytest.raises(OutOfRange, match="outside"):
        interp_axis(x, xs, ys)


@given(st.floats(5, 200), st.floats(5, 200), st.floats(5, 200), st.floats(0.5, 1.3))
def test_energy_scaling_monotone_in_node_and_identity(n0, a, b, v):
    lo, hi = sorted((a, b))
    assert energy_scale(n0, n0, v)[0] == 1.0
    assert energy_scale(n0, lo, v)[0] <= energy_scale(n0, hi, v)[0] * (1 + 1e-12)
    assert area_scale(n0, lo)[0] <= area_scale(n0, hi)[0] * (1 + 1e-12)


@given(st.sampled_from(NODES_NM), st.sampled_from(NODES_NM), st.floats(0.5, 1.3))
def test_scaling_round_trip(a, b, v):
    f, _ = energy_scale(a, b, v)
    g, _ = energy_scale(b, a, v)
    assert f * g == pytest.approx(1.0)


def test_scaling_outside_fitted_nodes_is_flagged():
    assert energy_scale(45, 5, 0.8)[1] and not energy_scale(45, 7, 0.8)[1]
    with pytest.raises(OutOfRange, match="supply 2 V"):
        energy_scale(45, 32, 2.0)


def _grid_table(caps, widths, energy):
    rows = [Row("SRAM", frozenset({"read"}), ((("capacity_bytes",), c), (("width",), w)),
                energy(c, w), None, None, f"t: {i}")
            for i, (c, w) in enumerate((c, w) for c in caps for w in widths)]
    return TableEstimator("t", "t.yaml", 50, rows, technology=45,
                          interpolate={"capacity_bytes": "log", "width": "log"},
                          extrapolate={"capacity_bytes": 0.5, "width": 1.0})


@settings(max_examples=60)
@given(st.lists(st.floats(64, 1e7), min_size=1, max_size=4, unique=True),
       st.lists(st.floats(8, 512), min_size=1, max_size=3, unique=True),
       st.floats(64, 1e7), st.floats(64, 1e7), st.floats(8, 512))
def test_table_lookup_exact_and_monotone_in_capacity(caps, widths, q1, q2, w):
    t = _grid_table(caps, widths, lambda c, w: 0.01 * c ** 0.5 * w / 64)
    for c in caps:
        for wd in widths:
            a = {"capacity_bytes": c, "width": wd, "technology": 45.0}
            assert t.estimate("SRAM", "read", a).value == 0.01 * c ** 0.5 * wd / 64
    lo, hi = sorted((q1, q2))
    e = [t.estimate("SRAM", "read", {"capacity_bytes": q, "width": w, "technology": 45.0}).value
         for q in (lo, hi)]
    assert e[0] <= e[1] * (1 + 1e-9)
