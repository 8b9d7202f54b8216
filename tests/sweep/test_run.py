"""Sweeps end to end on small networks: the totals are `mapper network`'s, failures are rows,
the store is reused (also by a changed spec), damaged rows are recomputed, the Pareto flags are
a brute-force dominance check, Dask gives the same tables."""
from __future__ import annotations

import csv
import io
import json
import itertools
import math
import sqlite3

import pytest

from mapper import api
from mapper.cli import main
from mapper.network.run import run_network
from mapper.sweep import load_sweep, run
from mapper.sweep.tasks import make_tasks
from mapper.sweep.tables import mark_pareto

from ..network.helpers import QUICK
from .helpers import SEARCH, write_spec

DESIGNS = "[{template: eyeriss_like, grid: {pe_rows: [8, 12], glb_kb: [64, 128]}}]"


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_each_total_is_mapper_networks(tmp_path):
    spec = write_spec(tmp_path, DESIGNS, batch="[1, 2]")
    result = run(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert [r["status"] for r in result.rows] == ["ok"] * 8 and not result.failed_designs
    for row in result.rows:
        params = {"pe_rows": row["pe_rows"], "glb_kb": row["glb_kb"], "batch": row["batch"]}
        s = run_network("eyeriss_like", tmp_path / "net.yaml", overrides=params,
                        algorithm="hybrid", search_size=QUICK, seed=0, objective="edp",
                        cache_dir=None).summary()
        assert row["energy_per_inference_pJ"] == s["energy_per_inference_pJ"]
        assert row["cycles"] == s["cycles"] and row["latency_s"] == s["latency_s"]
        assert row["dram_bytes_per_inference"] == s["dram_bytes_per_inference"]
        assert row["utilization"] == s["utilization"] and row["power_W"] == s["power_W"]
        assert row["pes"] == row["pe_rows"] * 14 == s["metrics"]["pes"]
        assert row["onchip_storage_bytes"] == s["metrics"]["onchip_storage_bytes"]
        dram = list(s["energy_by_level"].values())[-1]
        assert math.isclose(row["dram_energy_per_inference_pJ"], dram / row["batch"])
        # utilization = active PEs x utilization of the active PEs (Sze et al., eq. 3)
        assert math.isclose(row["active_pe_fraction"] * row["active_pe_utilization"],
                            row["utilization"])
    # the layers are stored, one row per network layer, for each of the 8 runs
    db = sqlite3.connect(tmp_path / "out" / "sweep.db")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 8
    assert db.execute("SELECT COUNT(*) FROM layers").fetchone()[0] == 8 * 3
    # searched: 4 designs x 2 batch sizes x 2 distinct layers (fc_512_1000 twice), one row each
    assert result.layers_searched == 16 and result.layers_reused == 0
    assert db.execute("SELECT COUNT(*) FROM layer_results").fetchone()[0] == 16
    # the CSV is the same table
    table = rows_of((tmp_path / "out" / "results.csv").read_text())
    assert [r["design"] for r in table] == [r["design"] for r in result.rows]
    assert [float(r["energy_pJ"]) for r in table] == [r["energy_pJ"] for r in result.rows]
    assert {r["pareto"] for r in table} <= {"true", "false"}
    pareto = rows_of((tmp_path / "out" / "pareto.csv").read_text())
    assert [r["design"] + r["batch"] for r in pareto] == \
        [r["design"] + r["batch"] for r in table if r["pareto"] == "true"]


def test_a_design_that_cannot_run_is_a_row_and_the_sweep_goes_on(tmp_path, capsys):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {glb_kb: [0, 64]}}]")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--cache-dir",
                 str(tmp_path / "cache")]) == 1
    err = capsys.readouterr().err
    assert "1 of 2 designs failed" in err
    table = rows_of((out / "results.csv").read_text())
    assert [(r["glb_kb"], r["status"]) for r in table] == [("0", "failed"), ("64", "ok")]
    assert "shared_glb" in table[0]["reason"] and "glb_kb = 0" in table[0]["reason"]
    assert table[0]["pareto"] == "false" and table[1]["pareto"] == "true"


def test_a_changed_spec_reuses_what_still_applies(tmp_path):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]")
    first = run(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert (first.reused, first.ran) == (0, 2)
    again = run(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert (again.reused, again.ran) == (2, 0) and again.rows == first.rows
    # one more batch size and one more pe_rows value: only the new runs are run
    spec.write_text(spec.read_text().replace("batch: [1]", "batch: [1, 2]")
                    .replace("pe_rows: [8, 12]", "pe_rows: [8, 12, 4]"))
    changed = run(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert (changed.reused, changed.ran) == (2, 6 - 2)
    assert [r for r in changed.rows if r["batch"] == 1 and r["pe_rows"] != 4] == first.rows
    # a changed search setting, objective or layer changes every key
    keys = {t.key for t in make_tasks(load_sweep(spec))}
    assert len(keys) == 6
    text = spec.read_text()
    for old, new in (("seed: 0", "seed: 1"), ("objective: edp", "objective: energy"),
                     ("conv1x1_64_128_28_s2", "conv1x1_128_256_14_s2")):
        spec.write_text(text.replace(old, new))
        (tmp_path / "net.yaml").write_text((tmp_path / "net.yaml").read_text()
                                           .replace(old, new))
        assert not keys & {t.key for t in make_tasks(load_sweep(spec))}, new


def test_a_damaged_row_is_reported_and_recomputed(tmp_path, capsys):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]")
    out = tmp_path / "out"
    first = run(spec, out, cache_dir=tmp_path / "cache")
    db = sqlite3.connect(out / "sweep.db")
    with db:
        db.execute("UPDATE runs SET total = '{not json' WHERE design LIKE '%pe_rows=12%'")
    db.close()
    assert main(["sweep", str(spec), "-o", str(out), "--cache-dir",
                 str(tmp_path / "cache")]) == 0
    err = capsys.readouterr().err
    assert "sweep.db: the stored run" in err and "cannot be read" in err
    again = run(spec, out, cache_dir=tmp_path / "cache")
    assert (again.reused, again.ran) == (2, 0) and again.rows == first.rows


def test_pareto_flags_are_a_brute_force_dominance_check():
    rows = [{"network": "n", "batch": 1, "energy_tables": None, "status": "ok",
             "energy_per_inference_pJ": e, "latency_s": t, "onchip_storage_bytes": c,
             "area_mm2": 1.0}
            for e, t, c in itertools.product([1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [2.0, 1.0])]
    rows[4]["status"] = "failed"             # never on the front, dominates nothing
    rows.append({**rows[0], "batch": 2})     # another group: on its own front
    mark_pareto(rows)
    axes = ("energy_per_inference_pJ", "latency_s", "onchip_storage_bytes", "area_mm2")
    for r in rows:
        peers = [q for q in rows if q["batch"] == r["batch"] and q["status"] == "ok"]
        expect = r["status"] == "ok" and not any(
            all(q[a] <= r[a] for a in axes) and any(q[a] < r[a] for a in axes) for q in peers)
        assert r["pareto"] == expect
    # by hand: (1, 1, 1) dominates every other point of batch 1; alone in batch 2
    assert [(r["energy_per_inference_pJ"], r["latency_s"], r["onchip_storage_bytes"])
            for r in rows if r["pareto"]] == [(1.0, 1.0, 1.0), (1.0, 3.0, 2.0)]
    # a run without a number on an axis (no storage reported) is never on the front and
    # dominates nothing: on the other axes the first row beats both others (area 0.1 < 0.5 < 1)
    # (latency_s without a clock falls back to cycles: tests/sweep/test_pareto_axes.py)
    rows = [{**rows[0], "onchip_storage_bytes": None, "area_mm2": 0.1}, {**rows[0]},
            {**rows[0], "area_mm2": 0.5}]
    mark_pareto(rows)
    assert [r["pareto"] for r in rows] == [False, False, True]


def test_the_api_and_the_dataframe(tmp_path):
    pytest.importorskip("pandas")
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]")
    result = api.sweep(spec, None, cache_dir=None)
    df = result.dataframe()
    assert list(df.columns) == result.columns and len(df) == 1
    assert df["pe_rows"].tolist() == [8] and df["status"].tolist() == ["ok"]


def test_dask_cluster_gives_the_same_tables(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    spec = write_spec(tmp_path, DESIGNS)
    local = run(spec, tmp_path / "local", cache_dir=None, jobs=2)
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        remote = run(spec, tmp_path / "dask", cache_dir=None, scheduler=cluster.scheduler_address)
    assert remote.ran == 4 and remote.rows == local.rows
    assert (tmp_path / "dask" / "results.csv").read_text() == \
        (tmp_path / "local" / "results.csv").read_text()


def test_energy_tables_are_an_axis(tmp_path):
    """Each design runs once per label; a table that prices a MAC at 100 pJ (and wins by its
    accuracy) changes the MAC energy of that label's rows only, by hand: 100 pJ x MACs."""
    tables = tmp_path / "costly_mac"
    tables.mkdir()
    (tables / "mac.yaml").write_text(
        "name: costly_mac\nsource: test\naccuracy: 99\ntechnology: 32nm\n"
        "entries:\n  - {class: intmac, action: compute, energy: 100.0, source: test}\n")
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]",
                      extra=f"  energy_tables: {{builtin: [], costly: [{tables}]}}\n",
                      layers=("fc_512_1000",))
    result = run(spec, None, cache_dir=None)
    builtin, costly = result.rows
    assert (builtin["energy_tables"], costly["energy_tables"]) == ("builtin", "costly")
    mac_pJ = dict(kv.split("=") for kv in costly["energy_by_level_pJ"].split(";"))["mac"]
    mac_leak = dict(kv.split("=") for kv in costly["leak_energy_by_level_pJ"].split(";"))["mac"]
    # a level's energy is its dynamic energy plus its leakage
    assert math.isclose(float(mac_pJ) - float(mac_leak), 100.0 * costly["macs"], rel_tol=1e-5)
    assert costly["energy_pJ"] > builtin["energy_pJ"] and builtin["pareto"] and costly["pareto"]


def test_a_layer_of_several_networks_is_searched_once_per_design(tmp_path):
    from ..network.helpers import write_network
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]")
    write_network(tmp_path / "other.yaml", ["conv1x1_64_128_28_s2", "conv3x3_64_64_56"],
                  name="other")
    spec.write_text(spec.read_text().replace("networks: [net.yaml]",
                                             "networks: [net.yaml, other.yaml]"))
    result = run(spec, tmp_path / "out", cache_dir=None)
    assert [r["status"] for r in result.rows] == ["ok"] * 4
    # per design: fc_512_1000, conv1x1_64_128_28_s2 (in both networks), conv3x3_64_64_56
    assert result.layers_searched == 2 * 3 and result.ran == 4
    # and the shared layer (l1 of net, l0 of other) has the same figures in both networks
    db = sqlite3.connect(tmp_path / "out" / "sweep.db")
    found = {}
    for design, network, record in db.execute(
            "SELECT runs.design, runs.network, layers.record FROM layers JOIN runs "
            "ON layers.key = runs.key WHERE (runs.network = 'net' AND layers.layer = 'l1') "
            "OR (runs.network = 'other' AND layers.layer = 'l0')"):
        rec = json.loads(record)
        found.setdefault(design, {})[network] = (rec["energy_pJ"], rec["cycles"], rec["macs"])
    assert len(found) == 2
    for by_network in found.values():
        assert by_network["net"] == by_network["other"]


def test_a_damaged_layer_row_or_cache_entry_is_named_and_searched_again(tmp_path, capsys):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]")
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = run(spec, out, cache_dir=cache)
    db = sqlite3.connect(out / "sweep.db")
    (fc,), (conv,) = db.execute("SELECT key FROM layer_results ORDER BY layer")
    with db:
        db.execute("DELETE FROM runs")          # the totals must be assembled again
        db.execute("UPDATE layer_results SET entry = '{broken' WHERE key = ?", (fc,))
        entry = json.loads(db.execute("SELECT entry FROM layer_results WHERE key = ?",
                                      (conv,)).fetchone()[0])
        entry["mapping"] = [{"target": "nowhere", "type": "temporal"}]
        db.execute("UPDATE layer_results SET entry = ? WHERE key = ?",
                   (json.dumps(entry), conv))
    db.close()
    assert main(["sweep", str(spec), "-o", str(out), "--cache-dir", str(tmp_path / "c2")]) == 0
    err = capsys.readouterr().err
    assert f"warning: {out / 'sweep.db'}: the stored layer {fc[:12]}: cannot be read (" in err
    assert f"warning: {out / 'sweep.db'}: the stored layer {conv[:12]}: the mapping does " \
           f"not read back" in err
    again = run(spec, out, cache_dir=cache)
    assert again.rows == first.rows and (again.layers_searched, again.ran) == (0, 0)
    # a cache entry that cannot be read: named, searched again, then stored in both
    (path,) = [p for p in cache.glob("*/*.yaml") if p.stem == fc]
    path.write_text("mapping: [unreadable")
    fresh = run(spec, tmp_path / "out2", cache_dir=cache)
    assert [str(d) for d in fresh.damaged] == [
        f"layer cache: {path}: cannot be read (while parsing a flow sequence)"]
    assert fresh.layers_searched == 1 and fresh.layers_reused == 1 and fresh.rows == first.rows


def test_neighbour_optima_prune_and_leave_the_tables_as_they_were(tmp_path):
    """optimal: the second design's layers start from the first's optima (one parameter
    apart); every layer is still proven optimal and the tables are those without them. (How
    much they save is measured by benchmarks/sweep.py: the branch and bound's visit order
    depends on its incumbent, so a tighter start does not always mean fewer evaluations.)"""
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]")
    spec.write_text(spec.read_text().replace(f"search: {SEARCH}",
                                             "search: {algorithm: optimal, search_size: 300}"))
    for neighbours in (True, False):
        out = tmp_path / f"out-{neighbours}"
        if neighbours:
            with_ = run(spec, out, cache_dir=None)
            assert with_.layers_with_incumbents == 2        # the pe_rows=12 design's layers
        else:                                               # the command's switch
            assert main(["sweep", str(spec), "-o", str(out), "--no-cache",
                         "--no-neighbour-incumbents"]) == 0
        db = sqlite3.connect(out / "sweep.db")
        entries = [json.loads(e) for (e,) in db.execute(
            "SELECT entry FROM layer_results WHERE design LIKE '%pe_rows=12%'")]
        assert len(entries) == 2 and all(e["search"]["proven_optimal"] for e in entries)
    assert [r["status"] for r in with_.rows] == ["ok"] * 2
    assert (tmp_path / "out-True" / "results.csv").read_text() == \
        (tmp_path / "out-False" / "results.csv").read_text()
