"""The one dominance rule (:func:`mapper.report.pareto.non_dominated`) against a brute force
written from its definition, over any number of axes and in blocks of any size; the sweep's
energy-vs-latency figure: the 2-D Pareto front as a step line whose vertices are the points no
other point dominates, and the sweep's multi-axis Pareto designs marked apart."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from mapper.report import pareto
from mapper.report.pareto import front_2d, non_dominated, staircase


def dominated(a, b) -> bool:
    """The definition, pair by pair: ``b`` no worse than ``a`` on every axis (all minimised)
    and better on one."""
    return all(y <= x for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b))


def finite(p) -> bool:
    return all(math.isfinite(x) for x in p)


def brute_force_flags(points) -> list[bool]:
    """On the front: finite, and no finite point dominates it (every pair checked)."""
    return [finite(p) and not any(finite(q) and dominated(p, q) for q in points)
            for p in points]


def brute_force(points) -> list[tuple[float, float]]:
    """The distinct front points, in order of x."""
    return sorted({p for p, on in zip(points, brute_force_flags(points)) if on})


def test_a_small_front_by_hand():
    # (latency, energy): (1, 4) is fastest; (3, 3) and (5, 2) trade latency for energy;
    # (2, 5) is dominated by (1, 4); (3, 6) by (3, 3) (same latency, more energy); (6, 2) by
    # (5, 2) (same energy, slower); (3, 3) twice: neither copy dominates the other
    pts = [(2, 5), (1, 4), (3, 3), (3, 6), (5, 2), (6, 2), (3, 3)]
    assert front_2d(pts) == [1, 2, 6, 4]          # in order of (x, y), then index
    assert staircase(pts) == ([1, 3, 5], [4, 3, 2])
    assert staircase(pts) == tuple(map(list, zip(*brute_force(pts))))


def test_three_axes_by_hand():
    # (energy, latency, storage): a trades storage for energy and latency against b and c;
    # d = b but more storage; e = a exactly (a copy); f has no latency (NaN): it would beat
    # every point on the other two axes, yet is never on the front and dominates nothing
    nan = float("nan")
    pts = [(1, 1, 9), (2, 2, 1), (2, 1, 5), (2, 2, 2), (1, 1, 9), (0, nan, 0)]
    assert non_dominated(pts).tolist() == [True, True, True, False, True, False]
    assert non_dominated(pts).tolist() == brute_force_flags(pts)


def test_a_point_that_is_not_finite_is_never_on_the_front():
    assert front_2d([(1.0, float("nan")), (2.0, 3.0), (float("inf"), 1.0)]) == [1]
    assert staircase([]) == ([], [])
    assert non_dominated([]).tolist() == []


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=25))
def test_the_step_line_is_the_brute_force_front(pts):
    """Small integer grids, so ties in one coordinate and repeated points are common."""
    xs, ys = staircase(pts)
    assert list(zip(xs, ys)) == brute_force(pts)
    assert front_2d(pts) == sorted((i for i, on in enumerate(brute_force_flags(pts)) if on),
                                   key=lambda i: (pts[i], i))


@given(st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(
    st.one_of(st.integers(0, 3).map(float), st.just(float("nan")), st.just(float("inf"))),
    min_size=k, max_size=k), max_size=30)), st.integers(1, 40))
def test_any_number_of_axes_in_blocks_of_any_size_is_the_brute_force(pts, cells):
    """Ties, copies and points that are not finite are common on these grids; ``cells``
    splits the pairwise comparison into blocks of a few candidates (one at the least)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pareto, "BLOCK_CELLS", cells)
        assert non_dominated(pts).tolist() == brute_force_flags([tuple(p) for p in pts])


# -- the figure ------------------------------------------------------------------------------

pytest.importorskip("matplotlib")

from mapper.report.figures import energy_latency_figure           # noqa: E402
from mapper.report.results import sweep_result                    # noqa: E402

#: (latency s, energy pJ per inference, the sweep's multi-axis pareto flag): d1 is flagged
#: (small on-chip storage, say) but dominated in 2-D by d2; d3 is on the 2-D front but not
#: flagged; d4 is dominated by d2 and d3
DESIGNS = [(2e-3, 5e8, True), (1e-3, 4e8, True), (3e-3, 3e8, False), (3e-3, 4.5e8, False),
           (4e-3, 1e8, True)]


def sweep_rows(network="net", scale=1.0):
    base = {"template": "t", "energy_tables": "", "network": network, "batch": 1,
            "status": "ok", "reason": ""}
    return [{**base, "design": f"d{i + 1}", "latency_s": t, "cycles": int(t * 1e9),
             "energy_per_inference_pJ": e * scale, "onchip_storage_bytes": 1000 * (i + 1),
             "pareto": flag} for i, (t, e, flag) in enumerate(DESIGNS)]


def test_the_figure_draws_each_groups_2d_front_and_rings_the_multi_axis_designs():
    rows = sweep_rows() + sweep_rows("other", scale=0.5)
    fig = energy_latency_figure(sweep_result(Path("."), rows, list(rows[0])))
    ax = fig.axes[0]
    fronts = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(fronts) == {"2-D Pareto front of energy and latency: net, batch 1",
                           "2-D Pareto front of energy and latency: other, batch 1"}
    for network, scale in (("net", 1.0), ("other", 0.5)):
        line = fronts[f"2-D Pareto front of energy and latency: {network}, batch 1"]
        assert line.get_drawstyle() == "steps-post"
        # energies in uJ (the axis' unit: the largest, 5e8 pJ, is 500 uJ); the front by hand:
        # d2 (1 ms, 400 uJ), d3 (3 ms, 300 uJ), d5 (4 ms, 100 uJ), times the group's scale
        expected = brute_force([(t, e * scale / 1e6) for t, e, _ in DESIGNS])
        assert expected == [(1e-3, 400 * scale), (3e-3, 300 * scale), (4e-3, 100 * scale)]
        assert list(line.get_xdata()) == pytest.approx([x for x, _ in expected])
        assert list(line.get_ydata()) == pytest.approx([y for _, y in expected])
    rings = [c for c in ax.collections if c.get_label().startswith("Pareto over ")]
    assert len(rings) == 1
    flagged = sorted((r["latency_s"], r["energy_per_inference_pJ"] / 1e6) for r in rows
                     if r["pareto"])
    ringed = sorted(map(tuple, rings[0].get_offsets().tolist()))
    assert len(ringed) == len(flagged) == 6
    assert [v for p in ringed for v in p] == pytest.approx([v for p in flagged for v in p])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "design (colour: cost)"
    # a sweep that did not record its axes (no sweep.json): said so
    assert legend[-1] == ("Pareto over the sweep's --pareto axes (not recorded)\n"
                          "(pareto column; may be dominated in energy and latency alone)")


@pytest.mark.parametrize("axes, caveat", [
    (["energy_per_inference_pJ", "latency_s", "onchip_storage_bytes"], True),
    (["latency_s", "energy_per_inference_pJ"], False),     # the figure's own two axes
    (["energy_per_inference_pJ", "cycles"], True)])         # not the figure's time axis
def test_the_legend_names_the_sweeps_pareto_axes(axes, caveat):
    rows = sweep_rows()
    fig = energy_latency_figure(sweep_result(Path("."), rows, list(rows[0]), pareto_axes=axes))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1] == (f"Pareto over {', '.join(axes)}\n(pareto column"
                          + ("; may be dominated in energy and latency alone)" if caveat
                             else ")"))


def test_one_group_is_labelled_without_its_name():
    rows = sweep_rows()
    fig = energy_latency_figure(sweep_result(Path("."), rows, list(rows[0])))
    assert [ln.get_label() for ln in fig.axes[0].get_lines()] == [
        "2-D Pareto front of energy and latency"]
