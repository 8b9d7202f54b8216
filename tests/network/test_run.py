"""Whole-network runs through the Python API: every template with every bundled network, and
the totals are the sums over layers x repeats."""
from __future__ import annotations

import dataclasses
import math

import pytest

from mapper.network.run_inputs import mapping_file_names
from mapper.report.metrics import clock_of
from mapper.network.run import run_network
from mapper.network import load_network
from mapper.network.report import format_text
from mapper.inputs.templates import load_template, template_names

from .helpers import NETWORKS, QUICK, ROOT, network_names, small_params


def check_totals(s: dict) -> None:
    """Totals equal the sum over the layer records x repeat."""
    recs = [r for r in s["layers"] if r["status"] == "mapped"]
    assert s["cycles"] == sum(r["cycles"] * r["repeat"] for r in recs)
    assert s["mapped_macs"] == sum(r["macs"] * r["repeat"] for r in recs)
    assert math.isclose(s["energy_pJ"], sum(r["energy_pJ"] * r["repeat"] for r in recs))
    assert math.isclose(s["dram_bytes_per_inference"],
                        sum(r["dram_bytes_per_inference"] * r["repeat"] for r in recs))
    for level, e in s["energy_by_level"].items():
        assert math.isclose(e, sum(r["energy_by_level"][level] * r["repeat"] for r in recs))
    assert math.isclose(sum(s["energy_by_level"].values()), s["energy_pJ"])
    assert math.isclose(sum(s["leak_energy_by_level"].values()), s["leak_energy_pJ"])
    for level, spaces in s["energy_by_dataspace"].items():   # dynamic, then the leakage
        assert math.isclose(sum(spaces.values()) + s["leak_energy_by_level"][level],
                            s["energy_by_level"][level])
    if s["latency_s"] is not None:
        assert math.isclose(s["latency_s"], s["cycles"] * s["clock"]["cycle_s"])
        assert math.isclose(s["inferences_per_s"], s["batch"] / s["latency_s"])
        assert math.isclose(s["power_W"], s["energy_pJ"] * 1e-12 / s["latency_s"])
        assert math.isclose(s["metrics"]["leakage_power_W"],
                            s["leak_energy_pJ"] * 1e-12 / s["latency_s"])
    pes = s["metrics"]["pes"]
    assert math.isclose(s["utilization"], s["mapped_macs"] / (pes * s["cycles"]))


@pytest.mark.parametrize("network", network_names())
@pytest.mark.parametrize("template", template_names())
def test_every_template_runs_every_network(template, network):
    """Two distinct layers of each network (the first ones) on each template, end to end."""
    result = run_network(template, network, overrides=small_params(network),
                         search_size=QUICK, cache_dir=None, only=2)
    s = result.summary()
    assert s["complete"], [(r.name, r.status, r.reasons) for r in result.layers]
    assert s["distinct_layers"] == 2 and "only 2 of the network's" in s["note"]
    check_totals(s)
    assert s["energy_pJ"] > 0 and s["latency_s"] > 0
    assert 0 < s["utilization"] <= 1 and s["dram_bytes_per_inference"] > 0
    # area and power, leakage included, for every template (issue 12)
    m = s["metrics"]
    assert m["area_mm2"] > 0 and not m["area_missing"]
    assert 0 < m["leakage_power_W"] < m["power_W"]


def test_whole_network_counts_repeats_once_searched():
    """ResNet-50: 54 layer entries (with repeats), 24 distinct layers searched, all MACs."""
    result = run_network("eyeriss_like", NETWORKS / "resnet50.yaml", search_size=QUICK,
                         cache_dir=None, jobs=2)
    s = result.summary()
    net = load_network(NETWORKS / "resnet50.yaml")
    assert s["distinct_layers"] == len(net.distinct()) == len(result.layers) == 24
    assert len(s["layers"]) == len(net.layers) == 54
    assert [r["name"] for r in s["layers"]] == [layer.name for layer in net.layers]
    assert s["macs"] == s["mapped_macs"] == net.macs
    check_totals(s)
    for rec in s["layers"]:      # layers searched as another carry its numbers
        first = next(r for r in s["layers"] if r["name"] == rec["searched_as"])
        assert rec["energy_pJ"] == first["energy_pJ"] and rec["mapping"] == first["mapping"]


def test_batch_is_folded_into_the_layers_and_divided_out_per_inference():
    one = run_network("eyeriss_like", "alexnet", search_size=QUICK, cache_dir=None,
                      only=1).summary()
    four = run_network("eyeriss_like", "alexnet", overrides={"batch": 4}, search_size=QUICK,
                       cache_dir=None, only=1).summary()
    assert four["batch"] == 4 and four["macs"] == 4 * one["macs"]
    assert math.isclose(four["energy_per_inference_pJ"], four["energy_pJ"] / 4)
    assert math.isclose(four["dram_bytes_per_inference"],
                        four["layers"][0]["dram_bytes_per_inference"])
    # weights are fetched once for the batch: the traffic per inference does not grow
    assert four["dram_bytes_per_inference"] < 4 * one["dram_bytes_per_inference"]


def test_parallel_layers_give_the_serial_result():
    kw = dict(search_size=QUICK, cache_dir=None, only=4)
    serial = run_network("eyeriss_like", "resnet18", jobs=1, **kw).summary()
    parallel = run_network("eyeriss_like", "resnet18", jobs=2, **kw).summary()
    assert [r["energy_pJ"] for r in serial["layers"]] == \
        [r["energy_pJ"] for r in parallel["layers"]]
    assert serial["cycles"] == parallel["cycles"]


def test_named_layers_and_progress():
    seen = []
    result = run_network("eyeriss_like", "resnet18", search_size=QUICK, cache_dir=None,
                         only=["conv1", "fc"], progress=seen.append)
    assert [r.name for r in result.layers] == ["conv1", "fc"]
    done = [p for p in seen if p.status != "searching"]
    assert [(p.done, p.total, p.layer) for p in done] == [(1, 2, "conv1"), (2, 2, "fc")]
    assert any(p.status == "searching" and p.search.evaluated > 0 for p in seen)
    assert result.result_of("fc").evaluation.computes == 512 * 1000


def test_clock_from_the_arch_or_cycles_only():
    arch = load_template("eyeriss_like", {"clock_mhz": 200})
    seconds, source = (c := clock_of(arch, "eyeriss_like.yaml")).cycle_s, c.source
    assert math.isclose(seconds, 5e-9) and "global_cycle_seconds" in source
    assert "eyeriss_like.yaml" in source and "200 MHz" in source
    bare = dataclasses.replace(
        arch, attributes={},
        storage=tuple(dataclasses.replace(lv, attributes={}) for lv in arch.storage))
    seconds, source = (c := clock_of(bare, "x.yaml")).cycle_s, c.source
    assert seconds is None and "cycles only" in source
    text = dataclasses.replace(bare, attributes={"global_cycle_seconds": "1e-9"})
    assert clock_of(text, "x.yaml").cycle_s == 1e-9       # PyYAML reads 1e-9 as a string


def test_without_a_clock_the_report_is_in_cycles(tmp_path):
    arch = tmp_path / "noclock.yaml"
    arch.write_text((ROOT / "arch_templates" / "eyeriss_like.yaml").read_text().replace(
        ", global_cycle_seconds: 1 / (clock_mhz * 1e6)", ""))
    result = run_network(arch, "resnet18", search_size=QUICK, cache_dir=None, only=1)
    s = result.summary()
    assert s["clock"]["cycle_s"] is None and "cycles only" in s["clock"]["source"]
    assert s["latency_s"] is None and s["inferences_per_s"] is None and s["power_W"] is None
    assert s["layers"][0]["latency_s"] is None and s["cycles"] > 0
    text = format_text(s)
    assert "(no clock)" in text and "throughput       -" in text


def test_network_clock_is_the_runs_clock_before_the_run(tmp_path):
    """api.network_clock loads the arch inputs as the run does: the network's parameters
    (batch) go to the network, the template's (clock_mhz) to the arch."""
    from mapper import api
    assert api.network_clock("eyeriss_like", "resnet18").cycle_s == 1e-9      # 1000 MHz
    clock = api.network_clock("eyeriss_like", "resnet18",
                              overrides={"clock_mhz": 200, "batch": 4})
    assert clock.cycle_s == pytest.approx(1 / 200e6) and "200 MHz" in clock.source
    arch = tmp_path / "noclock.yaml"
    arch.write_text((ROOT / "arch_templates" / "eyeriss_like.yaml").read_text().replace(
        ", global_cycle_seconds: 1 / (clock_mhz * 1e6)", ""))
    assert api.network_clock(arch, "resnet18").cycle_s is None


def test_mapping_file_names_are_safe_and_unique():
    class D:
        def __init__(self, name):
            self.name = name
    names = mapping_file_names([D("a/b"), D("a b"), D("layer1.0.conv1..conv2"), D("..")])
    assert names == ["a_b", "a_b_2", "layer1.0.conv1..conv2", "layer"]
