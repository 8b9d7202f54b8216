"""The axes of a sweep's Pareto front: latency in cycles when a design has no clock (for every
design of the sweep, never seconds against cycles), throughput and utilization maximised, and
the axes used named in sweep.json, on the command line, the page and the figure."""
from __future__ import annotations

import csv
import itertools
import json

import pytest

from mapper import api
from mapper.cli import main
from mapper.sweep.tables import PARETO_AXES, mark_pareto

from ..network.helpers import no_clock_template
from .helpers import write_spec

CYCLE_AXES = ("energy_per_inference_pJ", "cycles", "onchip_storage_bytes", "area_mm2")


def row(energy, cycles, latency_s=None, storage=1000, area=1.0, batch=1, **extra) -> dict:
    return {"network": "n", "batch": batch, "energy_tables": None, "status": "ok",
            "energy_per_inference_pJ": energy, "cycles": cycles, "latency_s": latency_s,
            "inferences_per_s": None if latency_s is None else batch / latency_s,
            "onchip_storage_bytes": storage, "area_mm2": area, **extra}


def brute_force(rows, axes, sign=None) -> list[bool]:
    """The definition, pair by pair within each (network, batch) group: no ok run is no worse
    on every axis and better on one (``sign`` -1: the axis is maximised)."""
    sign = sign or {}

    def v(r, a):
        return r[a] * sign.get(a, 1)

    def ok(r):
        return r["status"] == "ok" and all(isinstance(r.get(a), (int, float)) for a in axes)
    return [ok(r) and not any(
        ok(q) and q["batch"] == r["batch"] and all(v(q, a) <= v(r, a) for a in axes)
        and any(v(q, a) < v(r, a) for a in axes) for q in rows) for r in rows]


def test_without_a_clock_the_front_is_over_cycles_by_hand():
    # no design has a clock (latency_s empty): before, no design was on the front
    # a: 10 pJ, 100 cycles; b trades energy for cycles (12 pJ, 80 cycles): both on the front;
    # c = a with 120 cycles and 12 pJ: dominated by a; d = a with twice the storage: by a
    rows = [row(10, 100), row(12, 80), row(12, 120), row(10, 100, storage=2000)]
    used = mark_pareto(rows)
    assert used.asked == PARETO_AXES and used.used == CYCLE_AXES
    assert [r["pareto"] for r in rows] == [True, True, False, False]
    assert used.notes == ("4 of 4 runs have no clock: the Pareto front is over cycles in "
                          "place of latency_s, for every run (a clocked design's cycles leave "
                          "its clock rate out)",)


def test_without_a_clock_the_flags_are_a_brute_force_dominance_check_over_cycles():
    rows = [row(e, c, storage=s) for e, c, s in
            itertools.product([1.0, 2.0, 3.0], [300, 100, 200], [2048, 1024])]
    rows[4]["status"] = "failed"             # never on the front, dominates nothing
    rows.append({**rows[0], "batch": 2})     # another group: on its own front
    used = mark_pareto(rows)
    assert used.used == CYCLE_AXES
    assert [r["pareto"] for r in rows] == brute_force(rows, CYCLE_AXES)
    # by hand: (1 pJ, 100 cycles, 1 KiB) dominates every other point of batch 1
    assert [(r["energy_per_inference_pJ"], r["cycles"], r["onchip_storage_bytes"])
            for r in rows if r["pareto"]] == [(1.0, 100, 1024), (1.0, 300, 2048)]


def test_designs_with_and_without_a_clock_are_compared_on_cycles():
    # x at 1 GHz: 100 cycles = 100 ns; y at 200 MHz: 50 cycles = 250 ns; same energy. In
    # seconds x beats y, in cycles y beats x. z has no clock: 80 cycles, less energy.
    x, y = row(10, 100, latency_s=100e-9), row(10, 50, latency_s=250e-9)
    z = row(9, 80)
    rows = [x, y, z]
    used = mark_pareto(rows, ("energy_per_inference_pJ", "latency_s"))
    # one unit for all: cycles, so y (50, 10) dominates x (100, 10); z (80, 9) is on the front
    # for its energy. Mixing units would compare z's 80 cycles with x's 1e-7 s.
    assert used.used == ("energy_per_inference_pJ", "cycles")
    assert [r["pareto"] for r in rows] == [False, True, True]
    assert [r["pareto"] for r in rows] == brute_force(rows, used.used)
    assert used.notes[0].startswith("1 of 3 runs have no clock: the Pareto front is over "
                                    "cycles in place of latency_s, for every run")
    # every design clocked: seconds, and x dominates y
    rows = [dict(x), dict(y)]
    used = mark_pareto(rows, ("energy_per_inference_pJ", "latency_s"))
    assert used.used == ("energy_per_inference_pJ", "latency_s") and not used.notes
    assert [r["pareto"] for r in rows] == [True, False]


def test_throughput_and_utilization_are_maximised():
    # with a clock, more inferences/s is better: a (1 pJ, 1 inference/s) and b (2 pJ, 4/s)
    # both on the front; c (2 pJ, 2/s) is dominated by b. Minimised, b and c would lose to a.
    rows = [row(1, 1000, latency_s=1.0), row(2, 250, latency_s=0.25),
            row(2, 500, latency_s=0.5)]
    used = mark_pareto(rows, ("energy_per_inference_pJ", "inferences_per_s"))
    assert used.used == ("energy_per_inference_pJ", "inferences_per_s")
    assert [r["pareto"] for r in rows] == [True, True, False]
    assert [r["pareto"] for r in rows] == brute_force(rows, used.used,
                                                      {"inferences_per_s": -1})
    # without a clock, throughput falls back to cycles (batch / cycles, batch fixed within a
    # group: the fewest cycles are the most throughput), latency_s with it, once
    bare = [row(1, 1000), row(2, 250), row(2, 500)]
    used = mark_pareto(bare, ("energy_per_inference_pJ", "latency_s", "inferences_per_s"))
    assert used.used == ("energy_per_inference_pJ", "cycles")
    assert [r["pareto"] for r in bare] == [True, True, False]
    assert "cycles in place of latency_s, inferences_per_s" in used.notes[0]
    # utilization: 0.8 beats 0.5 at the same energy
    rows = [row(1, 100, utilization=0.5), row(1, 100, utilization=0.8)]
    mark_pareto(rows, ("energy_per_inference_pJ", "utilization"))
    assert [r["pareto"] for r in rows] == [False, True]


def test_an_axis_without_a_cycle_counterpart_is_empty_and_said_so():
    # power needs a clock and has no counterpart in cycles: no design on the front, a note
    rows = [row(1, 100), row(2, 50)]
    used = mark_pareto(rows, ("energy_per_inference_pJ", "power_W"))
    assert used.used == ("energy_per_inference_pJ", "power_W")
    assert [r["pareto"] for r in rows] == [False, False]
    assert used.notes == ("2 of 2 runs have no power_W (no clock): never on the Pareto front",)


def test_a_sweep_with_and_without_clocks_names_the_axes_it_used(tmp_path, capsys):
    """End to end: two designs with a clock, two without; the front over cycles for all of
    them, named in sweep.json, on stdout, on the page and on the figure's axis."""
    noclock = no_clock_template(tmp_path)
    spec = write_spec(tmp_path, f"[{{template: eyeriss_like, grid: {{pe_rows: [4, 8]}}}}, "
                                f"{{template: {noclock}, grid: {{pe_rows: [4, 8]}}}}]",
                      layers=("fc_512_1000",))
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--no-cache"]) == 0
    std = capsys.readouterr()
    settings = json.loads((out / "sweep.json").read_text())
    assert settings["pareto_axes"] == list(CYCLE_AXES)
    assert settings["pareto_axes_asked"] == list(PARETO_AXES)
    assert settings["pareto_notes"][0].startswith("2 of 4 runs have no clock")
    assert "note: 2 of 4 runs have no clock" in std.err
    assert f"Pareto front over {', '.join(CYCLE_AXES)} (" in std.out
    with open(out / "results.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["latency_s"] == "" for r in table] == [False, False, True, True]
    for r in table:
        r.update({a: float(r[a]) for a in CYCLE_AXES}, batch=int(r["batch"]))
    assert [r["pareto"] == "true" for r in table] == brute_force(table, CYCLE_AXES)
    assert any(r["pareto"] == "true" for r in table)
    page = (out / "index.html").read_text()
    assert f"over {', '.join(CYCLE_AXES)} (all minimised); 2 of 4 runs have no clock" in page
    pytest.importorskip("matplotlib")
    back = api.load_result(out)
    assert back.sweep_pareto_notes == settings["pareto_notes"]
    fig = api.energy_latency_figure(back)
    assert fig.axes[0].get_xlabel() == "latency (cycles: 2 of 4 designs have no clock)"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1].startswith(f"Pareto over {', '.join(CYCLE_AXES)}\n")
