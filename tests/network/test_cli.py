"""`mapper network`: outputs and their schema, the README's ResNet-18 run, and bad input."""
from __future__ import annotations

import csv
import dataclasses
import json
import math

import pytest

from mapper.cli import main
from mapper.report.metrics import LayerMetrics

from .helpers import QUICK, no_clock_template, write_network

TOP_KEYS = {"network", "network_file", "arch", "batch", "parameters", "objective", "algorithm",
            "search_settings", "clock", "technology", "energy_source", "complete", "unmapped", "note",
            "macs", "mapped_macs", "energy_pJ", "leak_energy_pJ", "cycles", "latency_s", "inferences_per_s",
            "energy_per_inference_pJ", "edp_J_cycles", "utilization",
            "dram_bytes_per_inference", "power_W", "energy_by_level", "energy_by_dataspace",
            "leak_energy_by_level", "dram_bytes_by_dataspace", "metrics", "distinct_layers", "cache", "wall_s",
            "layers"}
METRIC_KEYS = {"throughput_inferences_per_s", "throughput_macs_per_s", "peak_macs_per_s",
               "latency_s", "latency_cycles", "energy_per_inference_pJ", "pJ_per_mac",
               "power_W", "leakage_power_W", "utilization", "offchip_bytes_per_inference",
               "onchip_storage_bytes", "pes", "area_mm2", "area_missing",
               "macs_per_cycle", "mac_energy_pJ", "data_movement_energy_pJ", "dram_level",
               "dram_energy_per_inference_pJ", "active_pe_fraction", "active_pe_utilization",
               "dram_bytes_per_cycle", "dram_GB_per_s", "dram_peak_bytes_per_cycle"}
LAYER_KEYS = {"name", "repeat", "searched_as", "status", "source", "inputs", "macs", "cycles",
              "latency_s", "energy_pJ", "leak_energy_pJ", "energy_per_inference_pJ", "pJ_per_mac",
              "edp_J_cycles", "utilization", "dram_bytes_per_inference",
              "dram_bytes_by_dataspace", "energy_by_level", "energy_by_dataspace",
              "leak_energy_by_level", "mapping", "map",
              "search"} | {f.name for f in dataclasses.fields(LayerMetrics)}


def run(capsys, *args):
    code = main(["network", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def resnet18(tmp_path_factory):
    """The README's run (quick search setting): ResNet-18 on eyeriss_like, 2 jobs."""
    out = tmp_path_factory.mktemp("resnet18")
    import io
    import contextlib
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        code = main(["network", "eyeriss_like", "resnet18", "--search-size", str(QUICK),
                     "--jobs", "2", "--cache-dir", str(out / "cache"), "-o", str(out)])
    return code, o.getvalue(), e.getvalue(), out


def test_resnet18_on_eyeriss_like_writes_json_csv_txt_and_mappings(resnet18):
    code, out, err, outdir = resnet18
    assert code == 0, err
    s = json.loads((outdir / "network.json").read_text())
    assert set(s) == TOP_KEYS and set(s["metrics"]) == METRIC_KEYS
    assert s["network"] == "resnet18" and s["arch"] == "eyeriss_like" and s["batch"] == 1
    assert s["complete"] and s["unmapped"] == [] and s["distinct_layers"] == 12
    assert abs(s["macs"] / 1e9 - 1.81) < 0.01
    assert s["clock"]["cycle_s"] == 1e-9 and "global_cycle_seconds" in s["clock"]["source"]
    assert len(s["layers"]) == 16 and all(set(r) == LAYER_KEYS for r in s["layers"])
    assert sum(r["repeat"] for r in s["layers"]) == 21     # 17 3x3/7x7, 3 downsample, fc
    assert (outdir / "network.txt").read_text() in out
    assert "metrics (Sze et al.)" in out and "inferences/s" in out
    assert "[layers 12/12]" in err


def test_csv_has_a_row_per_layer_and_a_total(resnet18):
    *_, outdir = resnet18
    rows = list(csv.DictReader((outdir / "network.csv").open()))
    s = json.loads((outdir / "network.json").read_text())
    assert [r["layer"] for r in rows] == [r["name"] for r in s["layers"]] + ["TOTAL"]
    total = rows[-1]
    assert int(total["cycles"]) == s["cycles"] == sum(int(r["cycles"]) * int(r["repeat"])
                                                      for r in rows[:-1])
    assert math.isclose(float(total["energy_pJ"]),
                        sum(float(r["energy_pJ"]) * int(r["repeat"]) for r in rows[:-1]))


def test_mapping_files_evaluate_to_the_reported_numbers(resnet18, capsys):
    """Each mappings/<layer>.yaml holds its problem and mapping: `mapper model` agrees."""
    *_, outdir = resnet18
    s = json.loads((outdir / "network.json").read_text())
    for rec in s["layers"][:3]:
        code = main(["model", "eyeriss_like", str(outdir / rec["mapping"]),
                     "-o", str(outdir / "check")])
        capsys.readouterr()
        stats = json.loads((outdir / "check" / "stats.json").read_text())
        assert code == 0 and stats["cycles"] == rec["cycles"]
        assert math.isclose(stats["energy_pJ"], rec["energy_pJ"])


def test_rerun_hits_the_cache(resnet18, capsys, tmp_path):
    *_, outdir = resnet18
    code, out, err = run(capsys, "eyeriss_like", "resnet18", "--search-size", QUICK,
                         "--cache-dir", outdir / "cache", "-o", tmp_path)
    assert code == 0 and "12 of 12 distinct layers from the cache" in out
    again = json.loads((tmp_path / "network.json").read_text())
    first = json.loads((outdir / "network.json").read_text())
    assert again["energy_pJ"] == first["energy_pJ"] and again["cycles"] == first["cycles"]
    assert all(r["search"]["cached"] for r in again["layers"])


def test_missing_layer_is_a_clear_error(tmp_path, capsys):
    net = write_network(tmp_path / "net.yaml", ["conv3x3_64_64_56", "conv3x3_64_64_57"])
    code, out, err = run(capsys, "eyeriss_like", net, "-o", tmp_path / "out")
    assert code == 2 and "Traceback" not in err
    assert f"{net}: network.layers[1].layer: no layer 'conv3x3_64_64_57'" in err
    assert "did you mean 'conv3x3_64_64_56'" in err


def test_unknown_parameter_names_both_parameter_sets(capsys, tmp_path):
    code, out, err = run(capsys, "eyeriss_like", "resnet18", "--set", "pe_rowz=4",
                         "-o", tmp_path)
    assert code == 2 and "unknown parameter 'pe_rowz' (--set pe_rowz=4)" in err
    assert "did you mean 'pe_rows'" in err and "the network's parameters are: batch" in err


def test_unknown_network_and_missing_arguments(capsys, tmp_path):
    code, _, err = run(capsys, "eyeriss_like", "resnet19", "-o", tmp_path)
    assert code == 2 and "did you mean 'resnet18'" in err
    code, _, err = run(capsys, "eyeriss_like", "-o", tmp_path)
    assert code == 2 and "expected ARCH and NETWORK" in err


def test_a_later_network_run_removes_the_earlier_networks_mappings(tmp_path, capsys):
    big = write_network(tmp_path / "big.yaml", ["conv3x3_512_512_7", "fc_512_1000"], "big")
    small = write_network(tmp_path / "small.yaml", ["fc_512_1000"], "small")
    out = tmp_path / "out"
    for net in (big, small):
        code, _, err = run(capsys, "eyeriss_like", net, "--search-size", QUICK, "--no-cache",
                           "-o", out)
        assert code == 0, err
    assert sorted(p.name for p in (out / "mappings").iterdir()) == ["l0.yaml"]
    assert "removed from" in err and "mappings/l1.yaml" in err
    assert json.loads((out / "network.json").read_text())["network"] == "small"


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--batch", "0"], ["--batch", "two"]])
def test_bad_jobs_and_batch_are_usage_errors(capsys, tmp_path, option):
    """argparse rejects them (the command has no checks of its own for these)."""
    with pytest.raises(SystemExit) as exit_:
        main(["network", "eyeriss_like", "resnet18", *option, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert f"argument {option[0]}: expected an integer >= 1" in err
    assert not any(tmp_path.iterdir())


def test_infeasible_layer_is_reported_with_the_explanation(tmp_path, capsys):
    """A weights spad of 4 words with a whole filter row forced into it: the 7x7 conv cannot
    fit (the 3x3 conv can); the run goes on, reports it, and exits 1."""
    cons = tmp_path / "cons.yaml"
    cons.write_text("architecture_constraints:\n  targets:\n"
                    "    - {target: weights_spad, type: temporal, factors: R=0}\n")
    net = write_network(tmp_path / "net.yaml", ["conv7x7_3_64_112_s2", "conv3x3_64_64_56"])
    code, out, err = run(capsys, "eyeriss_like", cons, net, "--set", "weights_spad_depth=2",
                         "--search-size", QUICK, "--no-cache", "-o", tmp_path / "out")
    assert code == 1 and "Traceback" not in err
    assert "error: layer 'l0' (" in err and "no mapping fits on eyeriss_like" in err
    assert "needs at least 7 words with R=7, but the level holds 4" in err
    assert f"{cons}: architecture_constraints.targets[0].factors" in err
    assert "INCOMPLETE" in out
    s = json.loads((tmp_path / "out" / "network.json").read_text())
    assert not s["complete"] and s["unmapped"] == ["l0"]
    l0, l1 = s["layers"]
    assert l0["status"] == "infeasible" and "mapping" not in l0 and l0["reasons"]
    assert l1["status"] == "mapped" and s["cycles"] == l1["cycles"]
    assert [p.name for p in (tmp_path / "out" / "mappings").iterdir()] == ["l1.yaml"]


def test_report_draws_the_dram_bandwidth_on_its_roofline(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    net = write_network(tmp_path / "net.yaml", ["fc_512_1000"])
    out = tmp_path / "out"
    assert main(["network", "eyeriss_like", str(net), "--search-size", str(QUICK),
                 "--no-cache", "--report", "--dram-bandwidth", "25.6", "-o", str(out)]) == 0
    html = (out / "report.html").read_text()
    # eyeriss_like's clock is 1 GHz: 25.6 GB/s x 1e9 B/GB x 1e-9 s/cycle = 25.6 B/cycle
    assert ("draws 25.6 B/cycle from --dram-bandwidth 25.6 GB/s at 1000 MHz; not in the "
            "model&#39;s cycles") in html


@pytest.mark.parametrize("extra, words", [
    ([], "only the report's roofline draws it: give --report too"),
    (["--report"], "needs a clock")])
def test_a_dram_bandwidth_it_cannot_draw_is_rejected_before_the_search(
        tmp_path, capsys, monkeypatch, extra, words):
    if extra:
        pytest.importorskip("matplotlib")
    monkeypatch.setattr("mapper.network.run.run_network",
                        lambda *a, **k: pytest.fail("searched before rejecting the option"))
    net = write_network(tmp_path / "net.yaml", ["fc_512_1000"])
    out = tmp_path / "out"
    assert main(["network", str(no_clock_template(tmp_path)), str(net), "--dram-bandwidth",
                 "25.6", *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "--dram-bandwidth 25.6" in err and "Traceback" not in err
    assert not out.exists()
