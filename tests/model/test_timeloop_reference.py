"""Agreement with Timeloop v3.0.3 on its own outputs (tests/data/timeloop, see its README):
every count per level and data space, utilized capacities and instances, partition sizes and
cycles equal Timeloop's exactly; energies within 0.1%. v3.0.3 does not model leakage, so our
dynamic energy (the total less the ERT's leak x cycles) is what compares with it
(tests/model/test_leakage.py compares the leakage with the 2024 Timeloop's)."""
import dataclasses
from pathlib import Path

import pytest
import yaml

from mapper import api
from tests.timeloop_stats import parse

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
CASES = sorted(p for p in (DATA / "cases").iterdir() if p.is_dir()) + \
    sorted(p for p in (DATA / "probes").iterdir() if p.is_dir())
COUNTS = ["reads_per_instance", "fills_per_instance", "updates_per_instance",
          "temporal_reductions_per_instance", "utilized_capacity", "utilized_instances",
          "partition_size"]


def inputs_of(case: Path) -> list[Path]:
    if (case / "case.yaml").exists():
        c = yaml.safe_load((case / "case.yaml").read_text())
        return [DATA / "archs" / f"{c['arch']}.yaml", DATA / "problems" / f"{c['problem']}.yaml",
                case / "map.yaml"]
    return [case / "arch.yaml", case / "problem.yaml", case / "map.yaml"]


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def pair(request):
    ev = api.evaluate(api.load(inputs_of(request.param)))
    return ev.to_json(), parse(request.param / "timeloop.stats.txt")


def test_counts_and_capacities_equal_timeloop(pair):
    ours, theirs = pair
    for level, lv in theirs["levels"].items():
        ol = ours["levels"][level]
        assert set(ol["dataspaces"]) == set(lv["dataspaces"]), level
        for ds, fields in lv["dataspaces"].items():
            for f in COUNTS:
                assert ol["dataspaces"][ds][f] == fields[f], (level, ds, f)


def test_cycles_utilization_and_computes_equal_timeloop(pair):
    ours, theirs = pair
    assert ours["cycles"] == theirs["cycles"]
    assert round(ours["utilization"], 2) == theirs["utilization"]
    mac = next(lv for lv in theirs["levels"].values() if "computes" in lv)
    assert ours["computes"] == mac["computes"]


def test_energy_within_a_thousandth(pair):
    ours, theirs = pair
    for level, lv in theirs["levels"].items():
        if "computes" in lv:
            dynamic = ours["levels"][level]["energy_pJ"] - ours["levels"][level]["leak_energy_pJ"]
            assert dynamic == pytest.approx(lv["energy_pJ"], rel=1e-3)
        for ds, fields in lv["dataspaces"].items():
            assert ours["levels"][level]["dataspaces"][ds]["energy_pJ"] == \
                pytest.approx(fields["energy_pJ"], rel=1e-3, abs=0.01)
    total = sum(lv.get("energy_pJ", 0) for lv in theirs["levels"].values()) + sum(
        f["energy_pJ"] for lv in theirs["levels"].values() for f in lv["dataspaces"].values())
    dynamic = ours["energy_pJ"] - ours["leak_energy_pJ"]
    assert dynamic == pytest.approx(total, rel=1e-3)
    assert dynamic == pytest.approx(theirs["energy_pJ"], rel=1e-3)


def test_link_transfers_at_a_pe_array_agree_with_timeloop():
    """The case of TIMELOOP_SEMANTICS §4 by hand. eyeriss_like, resnet18_conv3x3_56:
    inter_PE_spatial fans S3 x M2 out on Y (children s + 3m in a column), the glb's innermost
    loop is Q56; the ifmap_spad tile (C2 x W3 x H1 = 6 words) does not overlap itself one
    row on, so each delta is a whole tile. At a Q carry (weight 55 x 4 x 2 x 32 x 4 = 56320)
    PE s takes row q+1+s from PE s+1, which held it the visit before: s = 0, 1 of each M
    group are linked (4 of 6), the parent sends G' = 1 distinct row instead of G = 3.
    D = 6 x 57344 = 344064; A = 3 D - 2 x 6 x 56320 = 356352; W = 6 D - 4 x 6 x 56320;
    ifmap fills = W / 6 + LT / 84 = 118784 + 16091.4 (Timeloop divides the link transfers
    by every ifmap_spad instance, 6 x 14); glb reads = A x 14 (P14 below, no links there)."""
    ev = api.evaluate(api.load(inputs_of(DATA / "probes" / "L_link_transfers")))
    ifmap = ev.levels["ifmap_spad"].dataspaces["Inputs"]
    assert (ifmap.fills_per_instance, ifmap.reads_per_instance) == (
        118784 + 16091, 1376256 + 16091)
    assert ev.levels["shared_glb"].dataspaces["Inputs"].reads_per_instance == 356352 * 14


def test_map_txt_equals_timeloop(tmp_path):
    from mapper.cli import main
    case = DATA / "cases" / "eyeriss_like__strided_conv3x3_28__random_2"
    assert main(["model", *map(str, inputs_of(case)), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "map.txt").read_text() == (case / "timeloop.map.txt").read_text()


def _probe_variant(tmp_path: Path, edit) -> list[Path]:
    """Probe A (simple_weight_stationary; weight_reg and output_activation_reg keep nothing)
    with its arch text edited, next to Timeloop's output for the original."""
    src = DATA / "probes" / "A_inner_bypass"
    (tmp_path / "arch.yaml").write_text(edit((src / "arch.yaml").read_text()))
    return [tmp_path / "arch.yaml", src / "problem.yaml", src / "map.yaml"]


def _agrees(files: list[Path]) -> None:
    ours = api.evaluate(api.load(files)).to_json()
    theirs = parse(DATA / "probes" / "A_inner_bypass" / "timeloop.stats.txt")
    assert ours["cycles"] == theirs["cycles"]
    for level, lv in theirs["levels"].items():
        for ds, fields in lv["dataspaces"].items():
            mine = ours["levels"][level]["dataspaces"][ds]
            assert [mine[f] for f in COUNTS] == [fields[f] for f in COUNTS], (level, ds)
            assert mine["energy_pJ"] == pytest.approx(fields["energy_pJ"], rel=1e-3, abs=0.01)


def test_depth_0_is_a_level_that_holds_nothing(tmp_path):
    """Timeloop reads ``depth: 0`` as a size of 0 words (BufferLevel::ParseSpecs): a level
    that keeps nothing, as weight_reg does in probe A, and every figure stays Timeloop's;
    a mapping that keeps something there does not fit."""
    def depth0(text):
        at = text.index("- name: weight_reg[1..256]")
        return text[:at] + text[at:].replace("depth: 1", "depth: 0", 1)
    files = _probe_variant(tmp_path, depth0)
    _agrees(files)
    spec = api.load(files)
    m = spec.mapping
    k = spec.arch.level_names.index("weight_reg")
    keeps = dataclasses.replace(m, levels=tuple(
        dataclasses.replace(lv, keep=frozenset({"Weights"})) if i == k else lv
        for i, lv in enumerate(m.levels)))
    ev = api.evaluate(dataclasses.replace(spec, mapping=keeps))
    assert not ev.valid
    assert any("weight_reg" in v and "holds 0" in v for v in ev.violations), ev.violations


def test_an_ert_with_only_access_charges_it_for_reads_fills_and_updates(tmp_path):
    """An older Accelergy ERT names one ``access`` action. Timeloop, finding no read or write
    entry, charges reads, fills and updates the largest energy the component's ERT has
    (per cluster): DRAM ``access: 512`` prices them as probe A's read/write/update 512 did."""
    def access_only(text):
        a = text.index("  - name: system_top_level.DRAM[1..1]\n")
        b = text.index("  - name: system_top_level.", a + 10)
        return text[:a] + ("  - name: system_top_level.DRAM[1..1]\n    actions:\n"
                           "    - name: access\n      energy: 512.0\n") + text[b:]
    _agrees(_probe_variant(tmp_path, access_only))
