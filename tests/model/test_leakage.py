"""Leakage: energy = dynamic + ERT leak (pJ per cycle per instance) x utilized instances x
cycles, reported apart; against the 2024 Timeloop's reference output, which charges it."""
import re
from pathlib import Path

import pytest

from energy import ReferenceTables
from mapper import api
from mapper.model.evaluate import Model

from .builders import arch, gemm, level, mapping

CASE = Path(__file__).resolve().parents[1] / "data" / "timeloop" / "cases" / \
    "eyeriss_like__eyeriss_default_problem__reference"


def tables(leak_buf=0.0, leak_mac=0.0) -> ReferenceTables:
    t = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                         "buf": {"read": 1.0, "write": 2.0, "leak": leak_buf},
                         "mac": {"compute": 0.5, "leak": leak_mac}})
    return t


def test_hand_checked_leakage_on_a_small_gemm():
    # Z[m,n] += A[m,k] * B[k,n], M=N=K=4; 2 buffers x 2 MACs each (X fan-out 2 at DRAM,
    # 2 MACs under each buffer): 4 MACs used, 16 cycles.
    wl = gemm(4, 4, 4)
    a = arch(level("DRAM", mesh=(1, 1)), level("buf", instances=2, mesh=(2, 1), depth=1024),
             macs=4, mac_mesh=(4, 1))
    m = mapping(wl, dict(t={"K": 4, "N": 4}, s={"M": 2}), dict(s={"M": 2}))
    plain = Model(a, wl, tables()).evaluate_mapping(m)
    leaky = Model(a, wl, tables(leak_buf=0.01, leak_mac=0.002)).evaluate_mapping(m)
    assert plain.cycles == leaky.cycles == 16 and plain.leak_energy_pJ == 0
    assert leaky.levels["buf"].utilized_instances == 2
    assert leaky.compute.utilized_instances == 4
    # buf: 0.01 pJ x 2 instances x 16 cycles; mac: 0.002 pJ x 4 x 16
    assert leaky.levels["buf"].leak_energy_pJ == pytest.approx(0.32)
    assert leaky.compute.leak_energy_pJ == pytest.approx(0.128)
    assert leaky.leak_energy_pJ == pytest.approx(0.448)
    assert leaky.energy_pJ == pytest.approx(plain.energy_pJ + 0.448)
    assert leaky.dynamic_energy_pJ == pytest.approx(plain.energy_pJ)
    # the data spaces carry only dynamic energy; the level's total adds its leakage
    buf = leaky.levels["buf"]
    assert buf.energy_pJ == pytest.approx(sum(d.energy_pJ for d in buf.dataspaces.values())
                                          + 0.32)
    assert leaky.to_json()["leak_energy_pJ"] == pytest.approx(0.448)
    assert leaky.to_json()["levels"]["buf"]["leak_energy_pJ"] == pytest.approx(0.32)


def test_a_missing_leak_is_named_and_counted_as_zero():
    wl = gemm(2, 2, 2)
    a = arch(level("DRAM"), level("buf", depth=64))
    t = ReferenceTables({"DRAM": {"read": 1.0, "write": 1.0}, "buf": {"read": 1.0, "write": 1.0},
                         "mac": {"compute": 1.0}})
    ev = Model(a, wl, t).evaluate_mapping(mapping(wl, dict(t={"M": 2, "N": 2, "K": 2}), {}))
    assert ev.leak_energy_pJ == 0 and set(ev.leak_missing) == {"DRAM", "buf", "mac"}


def leakage_2024(path: Path) -> dict[str, float]:
    """``Leakage energy (total)`` per level of a 2024 Timeloop stats.txt."""
    out, level = {}, None
    for line in path.read_text().splitlines():
        m = re.match(r"=== (\S+) ===", line)
        if m:
            level = m.group(1)
        m = re.search(r"Leakage energy \(total\)\s*: ([0-9.]+) pJ", line)
        if m and level not in out:
            out[level] = float(m.group(1))
    return out


def test_leakage_equals_the_2024_timeloop_reference():
    """The exercises' eyeriss_like default problem, as the 2024 Timeloop + Accelergy printed it
    (timeloop2024.stats.txt): every storage level's leakage energy, and the total, which adds
    the compute level's leak that Timeloop does not charge."""
    case = CASE
    import yaml
    c = yaml.safe_load((case / "case.yaml").read_text())
    data = case.parents[1]
    ev = api.evaluate(api.load([data / "archs" / f"{c['arch']}.yaml",
                                data / "problems" / f"{c['problem']}.yaml", case / "map.yaml"]))
    theirs = leakage_2024(case / "timeloop2024.stats.txt")
    assert set(theirs) == {"psum_spad", "weights_spad", "ifmap_spad", "shared_glb", "DRAM"}
    for name, pj in theirs.items():
        assert ev.levels[name].leak_energy_pJ == pytest.approx(pj, rel=1e-3, abs=0.01), name
    # hand-checked: 0.000134 pJ x 126 utilized instances x 86016 cycles = 1452.29 pJ
    assert ev.levels["psum_spad"].leak_energy_pJ == pytest.approx(0.000134 * 126 * 86016)
    mac_leak = 0.002374 * 126 * 86016
    assert ev.compute.leak_energy_pJ == pytest.approx(mac_leak)
    total_2024 = 5469.65e-3 * ev.computes          # "Total = 5469.65" fJ/Compute
    assert ev.energy_pJ - mac_leak == pytest.approx(total_2024, rel=1e-3)
