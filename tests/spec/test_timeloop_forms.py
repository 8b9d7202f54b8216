"""The smaller forms of the public exercises that used to stop them at the door, each on the
exercise that has it (and a hand-made case where that is clearer)."""
import pytest

from mapper import api
from tests.exercises import TUTORIAL, needs_exercises

TL = TUTORIAL / "timeloop"


def files(folder: str, *patterns: str):
    out = []
    for p in patterns:
        found = sorted((TL / folder).glob(p))
        assert found, p
        out += found
    return out


@needs_exercises
def test_dram_without_a_type_is_accelergys_lpddr4():
    """03-model-conv1d+oc-3level's MainMemory names no DRAM type; Accelergy prices it as
    LPDDR4 (the reference ERT: 2048 pJ for 256 bits), and the run says so."""
    spec = api.load(files("03-model-conv1d+oc-3level", "arch/*.yaml",
                          "map/conv1d+oc-3level.map.yaml", "prob/*.yaml"))
    ref = (TL / "03-model-conv1d+oc-3level" / "ref-output" / "no-bypass"
           / "timeloop-model.ERT.yaml").read_text()
    assert "energy: 2048.0" in ref
    assert spec.tables.energy("MainMemory", "read") == 2048.0
    assert any("MainMemory: a DRAM without a type is LPDDR4" in w
               for w in spec.energy_warnings)


def assert_counts_equal_reference(ev, stats_txt, skip: tuple[str, ...] = ()):
    """Every per-instance count and capacity of every level (but ``skip``) and data space,
    and the cycles, equal Timeloop's."""
    from tests.timeloop_stats import parse
    ref, ours = parse(stats_txt), ev.to_json()
    assert ours["cycles"] == ref["cycles"]
    compared = 0
    for name, level in ref["levels"].items():
        if name in skip:
            continue
        for ds, fields in level["dataspaces"].items():
            mine = ours["levels"][name]["dataspaces"].get(ds, {})
            for field, value in fields.items():
                if field == "energy_pJ":
                    continue
                assert mine.get(field, 0) == value, (name, ds, field)
                compared += 1
    assert compared > 10


@needs_exercises
@pytest.mark.parametrize("mapping, ref", [("cp-ws", "cp"), ("kp-ws", "kp")])
def test_a_mapping_targeting_a_container_means_its_fan_out(mapping, ref):
    """04-model-conv1d+oc-3levelspatial: ``target: PE`` (a !Container with meshX 16) is the
    dummy level timeloopfe makes for its fan-out, inter_PE_spatial, which keeps nothing.

    The reference ran with the fan-out above GlobalBuffer (its processed input lists
    ``inter_PE_spatial`` before ``GlobalBuffer[1..16]``), although the arch file places the PE
    container below it, as the exercise's README describes (one GlobalBuffer feeding 16
    RegisterFiles). The arch is read as written: one GlobalBuffer here, and every figure of
    the other levels equals the reference's."""
    folder = "04-model-conv1d+oc-3levelspatial"
    out = TL / folder / "ref-output" / ref
    spec = api.load(files(folder, "arch/*.yaml", f"map/conv1d+oc+ic-3levelspatial-{mapping}"
                          ".map.yaml", "prob/*.yaml"), ert=out / "timeloop-model.ERT.yaml")
    assert spec.arch.level_named("PE") == "inter_PE_spatial"
    ev = api.evaluate(spec)
    assert ev.valid and not api.check(spec)
    assert ev.levels["GlobalBuffer"].instances == 1
    assert "GlobalBuffer[1..16]" in (out / "parsed-processed-input.yaml").read_text()
    assert_counts_equal_reference(ev, out / "timeloop-model.stats.txt", skip=("GlobalBuffer",))


@needs_exercises
def test_type_dataspace_in_a_mapping_is_a_keep_bypass_directive():
    folder = "03-model-conv1d+oc-3level"
    out = TL / folder / "ref-output" / "bypass"
    spec = api.load(files(folder, "arch/*.yaml", "map/conv1d+oc-3level-bypass.map.yaml",
                          "prob/*.yaml"), ert=out / "timeloop-model.ERT.yaml")
    ev = api.evaluate(spec)
    assert ev.valid
    assert_counts_equal_reference(ev, out / "timeloop-model.stats.txt")


V03 = """architecture:
  version: 0.3
  subtree:
  - name: chip
    attributes: {technology: 45nm}
    local:
    - {name: DRAM, class: DRAM, attributes: {type: LPDDR4, width: 64, datawidth: 16}}
    subtree:
    - name: PE[0..3]
      local:
      - {name: MAC, class: intmac, attributes: {datawidth: 16}}
      - {name: buffer, class: regfile, attributes: {width: 16, depth: 24}}
"""


def test_compute_listed_first_in_a_local_list_and_storage_without_a_datawidth(tmp_path):
    """Accelergy's exercises list the MAC before the buffer; Timeloop finds the compute unit
    by its class. A storage level without datawidth has Timeloop's default word, 16 bits."""
    (tmp_path / "arch.yaml").write_text(V03)
    spec = api.load([tmp_path / "arch.yaml"], need_mapping=False, need_workload=False)
    assert spec.arch.compute.name == "MAC" and spec.arch.compute.instances == 4
    buffer = spec.arch.storage[spec.arch.level_index("buffer")]
    assert buffer.instances == 4 and buffer.word_bits == 16 and buffer.block_size == 1
    assert any("datawidth (not given: 16 bits, Timeloop's default word size)" in line
               for line in spec.notes.lines())


@needs_exercises
def test_accelergy_exercise_01_as_mapper_energy():
    """accelergy/01_primitive_architecture_ERT: an Accelergy v0.3 arch (the MAC listed before
    the buffer, voltage: 1V, no datawidth on the SRAM), as `accelergy input/` reads it, with
    every YAML file of input/."""
    inp = TUTORIAL / "accelergy" / "01_primitive_architecture_ERT" / "input"
    spec = api.load(sorted(inp.glob("*.yaml")), need_mapping=False, need_workload=False)
    assert spec.arch.compute.name == "MAC" and [lv.name for lv in spec.arch.storage] == \
        ["buffer", "GLB"]
    assert spec.energy_report.get("GLB", "read").value > 0


def test_accelergy_action_counts_are_read_and_noted(tmp_path):
    """`accelergy input/` reads every file of the folder, action_counts.yaml too."""
    (tmp_path / "arch.yaml").write_text(V03)
    (tmp_path / "action_counts.yaml").write_text(
        "action_counts:\n  version: 0.3\n  local:\n  - name: chip.DRAM\n"
        "    action_counts: [{name: read, counts: 10}]\n")
    spec = api.load([tmp_path / "arch.yaml", tmp_path / "action_counts.yaml"],
                    need_mapping=False, need_workload=False)
    assert any("action_counts (Accelergy's action counts" in line
               for line in spec.notes.lines())


@pytest.mark.parametrize("text", ["KM", "K M", "K, M", "KM N", "K MN"])
def test_spaces_and_commas_inside_a_mapping_permutation(text):
    from mapper.spec.errors import Where
    from mapper.spec.timeloop_mapping import parse_permutation
    assert parse_permutation(text, Where("m.yaml", "p"), ("M", "K", "N")) == ("K", "M", "N")


@needs_exercises
def test_a_misspelled_coefficient_of_the_layer_shapes_is_pointed_out():
    """layer_shapes/alexnet/0.yaml writes HStride: 4 for the coefficient Hstride: Timeloop
    ignores the unknown key (the stride stays 1); here it is an error that says so."""
    from mapper.spec import SpecError
    designs = TUTORIAL.parents[1] / "example_designs"
    with pytest.raises(SpecError) as info:
        api.load([designs / "example_designs" / "top.yaml.jinja2"], need_mapping=False,
                 overrides={"architecture": "simple_weight_stationary",
                            "problem": str(designs / "layer_shapes" / "alexnet" / "0.yaml")})
    e = info.value
    assert e.file.endswith("alexnet/0.yaml") and e.path == "problem.instance.HStride"
    assert "did you mean 'Hstride'" in e.message and "Timeloop would ignore" in e.message
