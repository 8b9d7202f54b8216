"""breakdown.csv: energy per inference by (level, data space) of every run, read from the same
per-layer results as the run's total: its rows sum to the run's energy_per_inference_pJ, and
per level and data space they are the stored layer records' energies x repeat / batch."""
from __future__ import annotations

import csv
import io
import json
import math
import sqlite3

import pytest

from mapper import api
from mapper.sweep import run
from mapper.sweep.tables import LEAKAGE, MAC, breakdown_columns

from .helpers import write_spec


def table(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Two designs, batch 2, a network of fc_512_1000 twice and one 1x1 convolution."""
    tmp = tmp_path_factory.mktemp("breakdown")
    spec = write_spec(tmp, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]",
                      batch="[2]")
    return run(spec, tmp / "out", cache_dir=None), tmp / "out"


def test_the_rows_of_a_run_sum_to_its_energy_per_inference(swept):
    result, out = swept
    results = table((out / "results.csv").read_text())
    rows = table((out / "breakdown.csv").read_text())
    assert list(rows[0]) == breakdown_columns(["pe_rows"]) == [
        "design", "template", "pe_rows", "energy_tables", "network", "batch", "level",
        "data_space", "energy_per_inference_pJ"]
    assert [r["status"] for r in results] == ["ok", "ok"]
    for run_row in results:
        mine = [r for r in rows if r["design"] == run_row["design"]]
        assert {(r["pe_rows"], r["network"], r["batch"], r["template"]) for r in mine} == \
            {(run_row["pe_rows"], "net", "2", "eyeriss_like")}
        # each (level, data space) once; the sum is the run's energy per inference
        assert len({(r["level"], r["data_space"]) for r in mine}) == len(mine)
        assert math.isclose(sum(float(r["energy_per_inference_pJ"]) for r in mine),
                            float(run_row["energy_per_inference_pJ"]), rel_tol=1e-12)


def test_per_level_and_data_space_they_are_the_layers_energies(swept):
    """By hand from the stored layer records (one occurrence of a layer over the batch of 2):
    a (level, data space) of a run is sum over its 3 layers of the record's energy there x
    repeat (1 each; fc_512_1000 counts twice) / 2; the MAC row is the compute level's energy
    less its leakage."""
    result, out = swept
    db = sqlite3.connect(out / "sweep.db")
    for run_row in result.rows:
        records = [json.loads(r) for (r,) in db.execute(
            "SELECT layers.record FROM layers JOIN runs ON layers.key = runs.key "
            "WHERE runs.design = ? ORDER BY position", (run_row["design"],))]
        assert [(r["name"], r["repeat"]) for r in records] == [("l0", 1), ("l1", 1), ("l2", 1)]
        assert records[0]["energy_pJ"] == records[2]["energy_pJ"]       # the same layer
        mine = {(b["level"], b["data_space"]): b["energy_per_inference_pJ"]
                for b in result.breakdown if b["design"] == run_row["design"]}
        levels = list(records[0]["energy_by_level"])
        assert levels[0] == "mac" and levels[-1] == "DRAM"       # the compute level first
        assert list(dict.fromkeys(level for level, _ in mine)) == levels
        for level in levels:
            by_ds = records[0]["energy_by_dataspace"].get(level)
            leak = sum(r["leak_energy_by_level"][level] for r in records) / 2
            assert math.isclose(mine.get((level, LEAKAGE), 0.0), leak, rel_tol=1e-12)
            total = sum(r["energy_by_level"][level] for r in records) / 2
            assert math.isclose(sum(v for (lv, _), v in mine.items() if lv == level), total,
                                rel_tol=1e-12)
            if by_ds is None:                                   # the compute level
                assert math.isclose(mine[level, MAC], total - leak, rel_tol=1e-12)
                continue
            for ds in by_ds:
                assert math.isclose(mine[level, ds], sum(
                    r["energy_by_dataspace"][level][ds] for r in records) / 2, rel_tol=1e-12)
        # Weights bypass the global buffer (the template's keep/bypass), so it has no row
        assert ("shared_glb", "Weights") not in mine and ("DRAM", "Weights") in mine
    # the MACs cost the same per MAC on both designs (the same MAC, other PE counts)
    per_mac = [b["energy_per_inference_pJ"] * 2 / r["macs"] for r in result.rows
               for b in result.breakdown if b["design"] == r["design"] and b["data_space"] == MAC]
    assert len(per_mac) == 2 and math.isclose(per_mac[0], per_mac[1], rel_tol=1e-12)


def test_the_api_the_page_and_the_figure(swept):
    pytest.importorskip("pandas")
    result, out = swept
    df = result.breakdown_dataframe()
    assert list(df.columns) == result.breakdown_columns and len(df) == len(result.breakdown)
    assert (out / "breakdown.csv").read_text() == result.breakdown_csv()
    assert '<a href="breakdown.csv">breakdown.csv</a>' in (out / "index.html").read_text()
    # mapper report reads breakdown.csv back; the figure's stacked bars are the runs' totals
    back = api.load_result(out)
    assert len(back.sweep_breakdown) == len(result.breakdown) and not back.notes
    fig = api.sweep_energy_breakdown_figure(back)
    ax = fig.axes[0]
    assert "and data space" in ax.get_title()
    heights = [0.0, 0.0]
    for bar in ax.patches:
        heights[round(bar.get_x() + bar.get_width() / 2)] += bar.get_height()
    unit = ax.get_ylabel().split("(")[1].rstrip(")")
    scale = {"pJ": 1, "nJ": 1e3, "uJ": 1e6, "mJ": 1e9, "J": 1e12}[unit]
    for h, r in zip(heights, result.rows):
        assert math.isclose(h * scale, r["energy_per_inference_pJ"], rel_tol=1e-9)
    # each level in one colour, its data spaces as different hatches
    dram = {(bar.get_hatch() or "") for bar in ax.patches
            if bar.get_facecolor() == ax.patches[-1].get_facecolor() and bar.get_height()}
    assert len(dram) == 3                                   # Weights, Inputs, Outputs
