"""Architecture readers: Timeloop v0.3 and v0.4, our levels format, checked against Timeloop."""
import re
from pathlib import Path

import pytest
import yaml

from mapper.spec import (Arch, Notes, Where, load_yaml, read_arch, read_mapping,
                         read_workload)
from mapper.spec.loader import parse_yaml

DATA = Path(__file__).parents[1] / "data" / "spec"
EYERISS = ("v03", "v04", "own")


def read(name: str, notes: Notes | None = None) -> Arch:
    path = DATA / name
    return read_arch(load_yaml(path), Where(str(path), "", notes))


def read_text(text: str, notes: Notes | None = None) -> Arch:
    return read_arch(parse_yaml(text, "t.yaml"), Where("t.yaml", "", notes))


def timeloop_levels(stats: str) -> list[dict]:
    """Level name, instances, mesh, size, word bits and block size per 'Level k' block."""
    out = []
    for block in re.split(r"\nLevel \d+\n-+\n", stats.split("\nNetworks\n")[0])[1:]:
        level = {"name": re.search(r"=== (\S+) ===", block)[1]}
        inst = re.search(r"Instances\s+: (\d+) \((\d+)\*(\d+)\)", block)
        level["instances"], level["mesh"] = int(inst[1]), (int(inst[2]), int(inst[3]))
        for key, label in (("size", "Size"), ("word_bits", "Word bits"),
                           ("block_size", "Block size"), ("read_bw", "Read bandwidth")):
            m = re.search(rf"\n\s+{label}\s+: (\S+)", block)
            level[key] = None if m is None or m[1] == "-" else float(m[1])
        out.append(level)
    return out


def timeloop_fanouts(stats: str) -> dict[tuple[str, str], int]:
    """Mapped fan-out of each network 'outer <==> inner' (the same for every data space)."""
    nets = stats.split("\nNetworks\n")[1]
    return {(m[1], m[2]): int(m[3]) for m in re.finditer(
        r"\n(\S+) <==> (\S+)\n.*?Fanout\s+: (\d+)", nets, re.S)}


# --- eyeriss_like read via v0.3 against Timeloop's own stats --------------------------------

def test_v03_eyeriss_matches_timeloop_stats():
    arch = read("eyeriss_like.v03.yaml")
    stats = (DATA / "eyeriss_like__resnet18_conv3x3_7.stats.txt").read_text()
    mac, *storage = timeloop_levels(stats)
    assert (arch.compute.name, arch.compute.instances) == (mac["name"], mac["instances"])
    assert (arch.compute.mesh_x, arch.compute.mesh_y) == mac["mesh"] == (14, 12)
    assert [s["name"] for s in storage] == list(arch.level_names)   # innermost first
    for level, ref in zip(arch.storage, storage):
        assert level.instances == ref["instances"], level.name
        assert (level.mesh_x, level.mesh_y) == ref["mesh"], level.name
        assert level.word_bits == ref["word_bits"] and level.block_size == ref["block_size"]
        assert level.capacity_words == ref["size"], level.name    # None for DRAM ('-')
        assert level.read_bandwidth == ref["read_bw"], level.name


def test_v03_eyeriss_fanouts_by_hand_and_against_the_mapped_fanouts():
    arch = read("eyeriss_like.v03.yaml")
    physical = {name: arch.fanout(k) for k, name in enumerate(arch.level_names)}
    assert physical == {"psum_spad": (1, 1), "weights_spad": (1, 1), "ifmap_spad": (1, 1),
                        "inter_PE_spatial": (1, 12), "inter_PE_column_spatial": (14, 1),
                        "shared_glb": (1, 1), "DRAM": (1, 1)}
    stats = (DATA / "eyeriss_like__resnet18_conv3x3_7.stats.txt").read_text()
    mapped = timeloop_fanouts(stats)
    # Timeloop's network k joins storage level k with its child: the mapped fan-out fits
    # in the physical one (this mapping uses all 14 columns and 8 of the 12 rows).
    for k, name in enumerate(arch.level_names):
        child = arch.compute.name if k == 0 else arch.level_names[k - 1]
        x, y = physical[name]
        assert mapped[(name, child)] <= x * y
    assert mapped[("inter_PE_column_spatial", "inter_PE_spatial")] == 14
    assert mapped[("inter_PE_spatial", "ifmap_spad")] == 8
    assert [lv.is_dummy for lv in arch.storage] == [False] * 3 + [True] * 2 + [False] * 2
    assert arch.storage[-1].depth is None and arch.storage[1].capacity_words == 384


# --- the same architecture in three formats -------------------------------------------------

@pytest.mark.parametrize("form", ["v04", "own"])
def test_eyeriss_reads_equal_in_every_format(form):
    ref = read("eyeriss_like.v03.yaml")
    arch = read(f"eyeriss_like.{form}.yaml")
    assert arch == ref                              # name, every level, the compute level
    assert arch.level_names == ref.level_names
    assert [arch.fanout(k) for k in range(7)] == [ref.fanout(k) for k in range(7)]
    assert arch.compute.attributes["multiplier_width"] == 8
    assert arch.storage[-2].attributes["technology"] == "32nm"     # inherited


def test_mapping_reads_the_same_on_every_format():
    """Timeloop's map.yaml targets the same levels whichever format the arch came from."""
    workload = read_workload(load_yaml(DATA / "resnet18_conv3x3_7.einsum.yaml"),
                             Where("w.yaml"))
    value = load_yaml(DATA / "eyeriss_like__resnet18_conv3x3_7.map.yaml")
    mappings = {form: read_mapping(value, Where("map.yaml"), read(f"eyeriss_like.{form}.yaml"),
                                   workload) for form in EYERISS}
    assert mappings["v04"] == mappings["v03"] == mappings["own"]


def test_v04_collects_inline_constraints_and_notes_parallel():
    notes = Notes()
    arch = read("eyeriss_like.v04.yaml", notes)
    by_level = {name: block for name, block, _ in arch.constraints}
    assert list(by_level) == ["DRAM", "shared_glb", "inter_PE_column_spatial",
                              "inter_PE_spatial", "ifmap_spad", "weights_spad", "psum_spad"]
    assert by_level["inter_PE_spatial"] == {"spatial": {
        "permutation": ["N", "P", "Q", "R", "S", "C", "M"],
        "factors": ["N=1", "P=1", "Q=1", "R=1"], "split": 0}}
    assert by_level["psum_spad"]["dataspace"] == {"keep": ["Outputs"],
                                                  "bypass": ["Weights", "Inputs"]}
    where = dict((n, w) for n, _, w in arch.constraints)["psum_spad"]
    assert where.path == "architecture.nodes[5].nodes[2].constraints"
    assert where.file.endswith("eyeriss_like.v04.yaml")
    assert any("!Parallel" in why for why in notes.ignored.values())


def test_own_format_collects_constraints():
    arch = read("eyeriss_like.own.yaml")
    assert [(n, w.path) for n, _, w in arch.constraints] == [("shared_glb",
                                                             "arch.levels[1].constraints")]


# --- v0.4 semantics in small cases ---------------------------------------------------------

V04_SIMPLE_WS = """
architecture:
  version: 0.4
  nodes:
  - !Container {name: system, attributes: {technology: 45nm}}
  - !Component {name: DRAM, class: DRAM, attributes: {type: LPDDR4, width: 64, datawidth: 16}}
  - !Component
    name: shared_glb
    class: smartbuffer_SRAM
    attributes: {depth: 16384, width: 64, datawidth: 16, read_bandwidth: 16, write_bandwidth: 16}
  - !Container {name: PE, spatial: {meshX: 16, meshY: 16}}
  - !Component {name: pe_spad, class: smartbuffer_SRAM,
                attributes: {depth: 192, width: 16, datawidth: 16}}
  - !Hierarchical
    nodes:
    - !Component {name: weight_reg, class: storage, subclass: aladdin_register,
                  attributes: {depth: 1, width: 16, datawidth: 16}}
    - !Component {name: input_activation_reg, class: storage, subclass: aladdin_register,
                  attributes: {depth: 1, width: 16, datawidth: 16}}
    - !Component {name: output_activation_reg, class: storage, subclass: aladdin_register,
                  attributes: {depth: 1, width: 16, datawidth: 16}}
  - !Component {name: mac, class: intmac, attributes: {multiplier_width: 8, adder_width: 16}}
"""


def test_v04_simple_weight_stationary_equals_its_v03_tree():
    assert read_text(V04_SIMPLE_WS) == read("simple_weight_stationary.v03.yaml")


def test_v04_component_fanout_puts_a_dummy_above_it_and_multiplies_below():
    arch = read_text("""
architecture:
  nodes:
  - !Component {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 8}}
  - !Component {name: buf, class: SRAM, spatial: {meshX: 4},
                attributes: {depth: 64, width: 8, datawidth: 8},
                constraints: {spatial: {split: 1}, dataspace: {keep: [A]}}}
  - !Container {name: row, spatial: {meshY: 2}}
  - !Component {name: reg, class: regfile, attributes: {depth: 1, width: 8, datawidth: 8}}
  - !Component {name: mac, class: intmac}
""")
    assert list(reversed(arch.level_names)) == ["DRAM", "inter_buf_spatial", "buf",
                                                 "inter_row_spatial", "reg"]
    meshes = {lv.name: (lv.mesh_x, lv.mesh_y) for lv in arch.storage}
    assert meshes == {"DRAM": (1, 1), "inter_buf_spatial": (1, 1), "buf": (4, 1),
                      "inter_row_spatial": (4, 1), "reg": (4, 2)}
    assert (arch.compute.instances, arch.name) == (8, "top_level")
    assert [(n, b) for n, b, _ in arch.constraints] == [
        ("inter_buf_spatial", {"spatial": {"split": 1}}), ("buf", {"dataspace": {"keep": ["A"]}})]


def test_v04_skips_disabled_nothing_and_networks_and_notes_them():
    notes = Notes()
    arch = read_text("""
architecture:
  nodes:
  - !Component {name: DRAM, class: DRAM, attributes: {width: 8, datawidth: 8}}
  - !Component {name: old, class: SRAM, enabled: false, attributes: {depth: 1, datawidth: 8}}
  - !Nothing {}
  - !Component {name: noc, class: XY_NoC, attributes: {datawidth: 8}}
  - !Component {name: mac, class: intmac, required_actions: [compute], area_share: 2}
""", notes)
    assert arch.level_names == ("DRAM",)
    noted = {path: why for (_, path), why in notes.ignored.items()}
    assert "disabled" in noted["architecture.nodes[1]"]
    assert "networks are not modelled" in noted["architecture.nodes[3]"]
    assert {"architecture.nodes[4].required_actions",
            "architecture.nodes[4].area_share"} <= set(noted)


def test_v04_container_attributes_are_inherited_and_mesh_attributes_replaced():
    notes = Notes()
    arch = read_text("""
architecture:
  nodes:
  - !Container {name: chip, attributes: {technology: 7nm, datawidth: 8}}
  - !Component {name: DRAM, class: DRAM, attributes: {width: 64}}
  - !Container {name: pe, spatial: {meshX: "2 * lanes"}, attributes: {lanes: 3}}
  - !Component {name: rf, class: regfile, attributes: {depth: 4, datawidth: 16, meshX: 99}}
  - !Component {name: mac, class: intmac}
""", notes)
    dram, rf = arch.storage[-1], arch.storage[0]
    assert (dram.word_bits, dram.block_size, rf.word_bits) == (8, 8, 16)
    assert rf.attributes["technology"] == "7nm" and (rf.mesh_x, rf.instances) == (6, 6)
    assert arch.name == "chip_top_level" and arch.attributes == {"technology": "7nm",
                                                                 "datawidth": 8}
    assert ("t.yaml", "architecture.nodes[3].attributes.meshX") in notes.ignored


# --- our own format -----------------------------------------------------------------------

def test_own_format_sizes_fanouts_and_variables():
    arch = read_text("""
arch:
  name: systolic
  variables: {kib: 64, side: 16}
  levels:
    - {name: DRAM, class: DRAM, width: 128, word_bits: 16}
    - {name: buf, class: SRAM, depth: "kib * 1024 * 8 / 128", block_size: 8, word_bits: 16,
       bandwidth: {shared: 32}, multiple_buffering: 2, fanout: [side, side]}
    - {name: reg, class: regfile, depth: 2, word_bits: 16, fanout: 2}
  compute: {name: mac, class: fpmac}
""")
    reg, buf, dram = arch.storage
    assert (dram.depth, dram.block_size, dram.capacity_words) == (None, 8, None)
    assert (buf.depth, buf.width, buf.capacity_words, buf.effective_capacity) == \
        (4096, 128, 32768, 16384)
    assert buf.shared_bandwidth == 32.0 and buf.read_bandwidth is None
    assert (reg.width, reg.block_size, reg.instances, reg.mesh_x) == (16, 1, 256, 16)
    assert (arch.compute.mesh_x, arch.compute.mesh_y, arch.compute.instances) == (32, 16, 512)
    assert arch.fanout(0) == (2, 1) and arch.fanout(1) == (16, 16)


def test_dispatch_unwraps_and_reads_every_form():
    for form, key in (("v03", "architecture"), ("v04", "architecture"), ("own", "arch")):
        value = load_yaml(DATA / f"eyeriss_like.{form}.yaml")[key]
        assert read_arch({key: value}, Where("x.yaml")) == read_arch(value, Where("x.yaml", key))


def test_arch_yaml_files_are_plain_yaml_apart_from_v04_tags():
    # Our own format needs no tags: safe_load reads it as is.
    assert yaml.safe_load((DATA / "eyeriss_like.own.yaml").read_text())["arch"]["levels"]
