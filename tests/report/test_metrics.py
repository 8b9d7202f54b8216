"""The metric set of one layer (mapper.report.metrics), worked out by hand on a small case."""
from __future__ import annotations

import dataclasses
import math

from energy import ReferenceTables
from mapper.model.evaluate import Model
from mapper.report.metrics import clock_of, format_metrics, layer_metrics

from ..model.builders import arch, conv1d, level, mapping

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "buf": {"read": 1.0, "write": 2.0, "leak": 0.25},
                          "mac": {"compute": 0.5}})


def small_case():
    """Outputs[p] += Weights[r] * Inputs[p+r], P=4, R=3 (12 MACs) on 4 MACs under one 64-word
    buffer under DRAM (1 word/cycle read and write, 8-bit words). The buffer runs P2 in time
    and P2 across the MACs (2 of the 4 PEs active); DRAM runs R3."""
    wl = conv1d(P=4, R=3)
    a = arch(level("DRAM", read_bandwidth=1, write_bandwidth=1), level("buf", depth=64),
             macs=4, mac_mesh=(4, 1))
    m = mapping(wl, dict(t={"P": 2}, s={"P": 2}), dict(t={"R": 3}))
    return a, Model(a, wl, TABLES).evaluate_mapping(m)


def test_hand_checked_metrics_of_a_small_layer():
    a, ev = small_case()
    m = layer_metrics(ev, a, 1e-9, batch=1)
    # DRAM reads Weights 3 + Inputs 6 = 9 words at 1 word/cycle: 9 cycles (compute: 12/2 = 6).
    assert m.cycles == 9 and m.macs == 12
    # Energy: MACs 12 x 0.5 = 6 pJ; DRAM (3 + 6) reads x 100 + 4 Outputs updates x 100 = 1300;
    # buf: Weights 3 reads x 1 + 3 fills x 2 = 9, Inputs 12 x 1 + 6 x 2 = 24, Outputs 8 reads
    # x 1 + 12 updates x 2 = 32, leakage 0.25 x 9 cycles = 2.25: 67.25. Total 1373.25 pJ.
    assert m.mac_energy_pJ == 6.0 and m.dram_energy_pJ == 1300.0
    assert m.energy_by_dataspace["buf"] == {"Weights": 9.0, "Inputs": 24.0, "Outputs": 32.0}
    assert m.leak_energy_pJ == 2.25 and m.energy_pJ == 1373.25
    assert m.data_movement_energy_pJ == 1373.25 - 6.0                     # eq. (7)
    assert m.energy_per_inference_pJ == 1373.25 and m.dram_energy_per_inference_pJ == 1300.0
    # Latency 9 x 1 ns; throughput 1 inference / 9 ns; 12 MACs / 9 cycles.
    assert math.isclose(m.latency_s, 9e-9) and math.isclose(m.inferences_per_s, 1 / 9e-9)
    assert math.isclose(m.macs_per_cycle, 12 / 9) and math.isclose(m.macs_per_s, 12 / 9e-9)
    # Power: 1373.25 pJ / 9 ns = 0.152583 W; leakage 2.25 pJ / 9 ns = 0.25 mW.
    assert math.isclose(m.power_W, 1373.25e-12 / 9e-9)
    assert math.isclose(m.leakage_power_W, 2.25e-12 / 9e-9)
    # Utilization (eq. 3): 2 of 4 PEs active = 0.5; active PEs busy 12 / (2 x 9) = 2/3;
    # product 1/3 = 12 / (4 x 9), the model's utilization.
    assert m.active_pes == 2 and m.active_pe_fraction == 0.5
    assert math.isclose(m.active_pe_utilization, 2 / 3)
    assert math.isclose(m.utilization, 1 / 3) and math.isclose(ev.utilization, 1 / 3)
    # DRAM bytes: 13 words x 1 byte; needed bandwidth 13 B / 9 ns = 1.444 GB/s; roof 1 + 1
    # words/cycle = 2 B/cycle. On-chip storage: 64 words x 1 byte.
    assert m.dram_bytes_per_inference == 13.0 and m.dram_bytes_by_dataspace == {
        "Weights": 3.0, "Inputs": 6.0, "Outputs": 4.0}
    assert math.isclose(m.dram_GB_per_s, 13 / 9e-9 / 1e9)
    assert math.isclose(m.dram_bytes_per_cycle, 13 / 9)
    assert m.dram_peak_bytes_per_cycle == 2.0 and m.onchip_storage_bytes == 64.0
    assert m.pes == 4 and m.area_mm2 is None and set(m.area_missing) == {"DRAM", "buf", "mac"}


def test_batch_divides_per_inference_and_multiplies_throughput():
    a, ev = small_case()
    one, two = layer_metrics(ev, a, 1e-9, 1), layer_metrics(ev, a, 1e-9, 2)
    assert two.energy_per_inference_pJ == one.energy_per_inference_pJ / 2
    assert two.dram_bytes_per_inference == one.dram_bytes_per_inference / 2
    assert math.isclose(two.inferences_per_s, 2 * one.inferences_per_s)
    assert two.latency_s == one.latency_s and two.power_W == one.power_W


def test_without_a_clock_latency_is_in_cycles_and_said_so():
    a, ev = small_case()
    m = layer_metrics(ev, a, None, 1)
    assert m.latency_s is m.inferences_per_s is m.power_W is m.dram_GB_per_s is None
    assert m.cycles == 9 and math.isclose(m.dram_bytes_per_cycle, 13 / 9)
    clock = clock_of(a)
    assert clock.cycle_s is None
    text = "\n".join(format_metrics(m, clock))
    assert "9 cycles (no clock" in text and "no GB/s" in text
    with_clock = "\n".join(format_metrics(layer_metrics(ev, a, 1e-9, 1),
                                          clock_of(dataclasses.replace(
                                              a, attributes={"clock_mhz": 1000}))))
    assert "1.444 GB/s" in with_clock and "0.333 = 0.500 active PEs (2 of 4)" in with_clock
