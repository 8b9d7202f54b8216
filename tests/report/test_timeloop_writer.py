"""Mapping -> Timeloop mapping YAML: Timeloop's shape, and read back to an equal Mapping."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.spec.errors import Where
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.timeloop_arch import read_arch_v03
from mapper.spec.timeloop_mapping import read_mapping
from mapper.spec.timeloop_writer import dump_yaml, factor_string, mapping_to_timeloop
from mapper.spec.workload import DataSpace, Workload

from ..constraints.refs import CASES, PROBES, load


@pytest.mark.parametrize("d", CASES + PROBES, ids=lambda p: p.name)
def test_reference_mappings_come_out_as_timeloop_wrote_them(d):
    ref = load(d)
    directives = mapping_to_timeloop(ref.mapping, ref.arch, ref.workload)
    text = (d / "map.yaml").read_text()
    assert directives == yaml.safe_load(text)["mapping"]
    assert read_mapping(directives, Where("out", "mapping"), ref.arch, ref.workload) == ref.mapping
    if text.startswith("mapping:\n- "):      # written by PyYAML (the others by yaml-cpp)
        assert dump_yaml({"mapping": directives}) == text


# A small arch: DRAM -> buffer -(fan-out 4 x 2)-> per-PE scratchpad -> MAC (8 PEs).
SMALL_ARCH = yaml.safe_load("""
subtree:
- name: sys
  local:
  - {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 8}}
  - {name: buf, class: SRAM, attributes: {depth: 1024, width: 64, datawidth: 8}}
  subtree:
  - name: PE[0..7]
    local:
    - {name: spad, class: regfile, attributes: {depth: 16, width: 8, datawidth: 8, meshX: 4}}
    - {name: mac, class: intmac, attributes: {datawidth: 8, meshX: 4}}
""")
DIMS = ("C", "M", "P")
WORKLOAD = Workload("mv", DIMS, {"C": 12, "M": 8, "P": 6}, (
    DataSpace("Weights", ((("C", 1),), (("M", 1),))),
    DataSpace("Inputs", ((("C", 1),), (("P", 1),))),
    DataSpace("Outputs", ((("M", 1),), (("P", 1),)), read_write=True)))


def _divisor_chain(bound: int, parts: int, draw) -> list[int]:
    out, rest = [], bound
    for _ in range(parts - 1):
        f = draw(st.sampled_from([f for f in range(1, rest + 1) if rest % f == 0]))
        out.append(f)
        rest //= f
    return out + [rest]


@st.composite
def mappings(draw):
    arch = read_arch_v03(SMALL_ARCH, Where("small", "architecture"))
    spatial_at = [k for k in range(len(arch.storage)) if arch.fanout(k) != (1, 1)]
    slots = [(k, kind) for k in range(len(arch.storage))
             for kind in (("temporal", "spatial") if k in spatial_at else ("temporal",))]
    factors = {d: dict(zip(slots, _divisor_chain(WORKLOAD.bounds[d], len(slots), draw)))
               for d in DIMS}
    levels = []
    for k in range(len(arch.storage)):
        has_fanout = k in spatial_at
        levels.append(LevelMapping(
            temporal=tuple(factors[d][(k, "temporal")] for d in DIMS),
            temporal_order=tuple(draw(st.permutations(DIMS))),
            spatial=tuple(factors[d].get((k, "spatial"), 1) for d in DIMS),
            spatial_order=tuple(draw(st.permutations(DIMS))) if has_fanout else DIMS,
            split=draw(st.integers(0, len(DIMS))) if has_fanout else len(DIMS),
            keep=frozenset(draw(st.sets(st.sampled_from(WORKLOAD.ds_names))))))
    return arch, Mapping(DIMS, tuple(levels))


@settings(max_examples=150, deadline=None)
@given(mappings())
def test_round_trip_through_yaml_text(case):
    arch, mapping = case
    text = dump_yaml({"mapping": mapping_to_timeloop(mapping, arch, WORKLOAD)})
    again = read_mapping(yaml.safe_load(text), Where("text", ""), arch, WORKLOAD)
    assert again == mapping
    assert dump_yaml({"mapping": mapping_to_timeloop(again, arch, WORKLOAD)}) == text


def test_spatial_factors_without_fanout_are_refused():
    arch = read_arch_v03(SMALL_ARCH, Where("small", "architecture"))
    lm = LevelMapping((1, 1, 1), DIMS, (2, 1, 1), DIMS, 3, frozenset())
    bad = Mapping(DIMS, (lm,) * len(arch.storage))
    with pytest.raises(ValueError, match="no spatial fan-out"):
        mapping_to_timeloop(bad, arch, WORKLOAD)


def test_factor_string_keeps_digit_names_unambiguous():
    assert factor_string((1, 4), ("C", "M")) == "C1 M4"
    assert factor_string((4, 1), ("X2", "Y")) == "X2=4 Y=1"
