"""Reading Timeloop's constraint forms into typed Constraints, with errors that point."""
from __future__ import annotations

import pytest
import yaml

from mapper.spec.constraints import check_mapping
from mapper.spec.errors import Notes, SpecError, Where
from mapper.spec.loader import load_yaml
from mapper.spec.readers import read_arch
from mapper.spec.timeloop_constraints import (build_constraints, parse_factor_bounds,
                                              parse_order, read_constraints)

from .refs import CASES, RESNET_CASE, load


@pytest.fixture(scope="module")
def eyeriss():
    return load(next(d for d in CASES if d.name == RESNET_CASE))


def read(ref, text: str, notes: Notes | None = None):
    """Constraints from extra YAML (merged with the case's own files) as `c.yaml`."""
    extra = yaml.safe_load(text)
    blocks = [(v, Where("c.yaml", k, notes)) for k, v in extra.items()]
    return build_constraints(blocks, ref.arch, ref.workload)


def test_eyeriss_architecture_constraints(eyeriss):
    c = read_constraints(eyeriss.inputs, eyeriss.arch, eyeriss.workload)
    assert [lc.level for lc in c.levels] == list(eyeriss.arch.level_names)
    col = c.level("inter_PE_column_spatial").spatial
    assert (col.order.inner, col.split) == (tuple("NCPRSQM"), 999)
    assert {b.dim: (b.lo, b.hi) for b in col.factors} == {d: (1, 1) for d in "NCPRS"}
    assert col.factor_range("M", 512) == (1, 512)
    glb = c.level("shared_glb")
    assert (glb.keep, glb.bypass) == ({"Inputs", "Outputs"}, {"Weights"})
    assert c.level("DRAM").temporal.order.inner == ("N",)
    assert c.level("DRAM").temporal.order.where.path == \
        "architecture_constraints.targets[0].permutation"
    assert c.min_utilization is None


@pytest.mark.parametrize("text, expected", [
    ("N=1,C=1,P=1", {"N": (1, 1), "C": (1, 1), "P": (1, 1)}),
    ("C1 M4", {"C": (1, 1), "M": (4, 4)}),
    (["R=3", "C<=4", "M >= 2"], {"R": (3, 3), "C": (1, 4), "M": (2, 512)}),
    ({"C": 2}, {"C": (2, 2)}),
    ("R=0 M=1024", {"R": (3, 3), "M": (512, 512)}),   # 0: the full bound; above it: the bound
    ("C>=2, C<=8", {"C": (2, 8)}),
])
def test_factor_forms(eyeriss, text, expected):
    bounds = parse_factor_bounds(text, Where("c.yaml", "f"), eyeriss.workload)
    got = {}
    for b in bounds:
        lo, hi = got.get(b.dim, (1, eyeriss.workload.bounds[b.dim]))
        got[b.dim] = (max(lo, b.lo), min(hi, b.hi))
    assert got == expected


@pytest.mark.parametrize("text, message", [
    ("Z=1", "unknown dimension 'Z' in factors; dimensions are C, M, R, S, N, P, Q"),
    ("C=1 C=2", "dimension C is bounded twice"),
    ("C<=0", "a factor bound must be at least 1"),
    ("C:4", "malformed factor 'C:4'"),
])
def test_factor_errors(eyeriss, text, message):
    with pytest.raises(SpecError, match=message) as e:
        parse_factor_bounds(text, Where("c.yaml", "targets[0].factors"), eyeriss.workload)
    assert str(e.value).startswith("c.yaml: targets[0].factors")


@pytest.mark.parametrize("text, inner, outer", [
    ("NCPRSQM", tuple("NCPRSQM"), ()),
    (["N", "C"], ("N", "C"), ()),
    ("N, C", ("N", "C"), ()),
    ("NC_QM", ("N", "C"), ("Q", "M")),
    (["_", "M"], (), ("M",)),
    ("N ... M", ("N",), ("M",)),
])
def test_permutation_forms(eyeriss, text, inner, outer):
    o = parse_order(text, Where("c.yaml", "p"), eyeriss.workload.dims)
    assert (o.inner, o.outer) == (inner, outer)


@pytest.mark.parametrize("text, message", [
    ("NCN", "a dimension appears twice"), ("NX", "unknown dimension 'X'"),
    ("N_C_M", "at most one '_'"),
])
def test_permutation_errors(eyeriss, text, message):
    with pytest.raises(SpecError, match=message):
        parse_order(text, Where("c.yaml", "p"), eyeriss.workload.dims)


def test_mapspace_constraints_and_notes(eyeriss):
    notes = Notes()
    c = read(eyeriss, """
mapspace_constraints:
  version: 0.4
  targets:
  - {target: shared_glb, type: temporal, factors: [M<=4], permutation: [P, S],
     no_reuse: [Inputs]}
  - {target: 0, type: utilization, min: 0.5}
  - {target: DRAM, type: max_overbooked_proportion, proportion: 0.1}
""", notes)
    glb = c.level("shared_glb").temporal
    assert glb.factor_range("M", 512) == (1, 4)
    assert glb.order.inner == ("P", "S")
    assert c.min_utilization == 0.5
    ignored = "\n".join(notes.lines())
    assert "no_reuse (reuse suppression is not modelled)" in ignored
    assert "proportion (overbooking is not modelled)" in ignored


def test_old_mapspace_constraints_list(eyeriss):
    c = read(eyeriss, """
mapspace:
  constraints:
  - {target: weights_spad, type: datatype, keep: [Weights]}
""")
    assert c.level("weights_spad").keep == {"Weights"}


def test_named_libconfig_constraint_list(eyeriss):
    inputs = type(eyeriss.inputs)()
    inputs.add({"mapspace": {"constraints": "mine",
                             "constraints_mine": [{"target": "DRAM", "type": "temporal",
                                                   "permutation": "MC"}]}}, "m.yaml")
    c = read_constraints(inputs, eyeriss.arch, eyeriss.workload)
    assert c.level("DRAM").temporal.order.inner == ("M", "C")


def test_v04_inline_blocks(eyeriss):
    """timeloopfe's `constraints:` under an arch node, as the arch reader hands them over."""
    inline = [
        ("inter_PE_column_spatial",
         {"spatial": {"permutation": ["N", "C", "P", "R", "S", "Q", "M"],
                      "factors": ["N=1", "C=1", "P=1", "R=1", "S=1"], "split": 7}},
         Where("arch.yaml", "architecture.nodes[4].constraints")),
        ("shared_glb", {"dataspace": {"keep": ["Inputs", "Outputs"], "bypass": ["Weights"]}},
         Where("arch.yaml", "architecture.nodes[3].constraints")),
    ]
    c = build_constraints([], eyeriss.arch, eyeriss.workload, inline)
    col = c.level("inter_PE_column_spatial").spatial
    assert (col.order.text, col.split) == ("NCPRSQM", 7)
    assert col.split_where.path == "architecture.nodes[4].constraints.spatial.split"
    assert c.level("shared_glb").bypass == {"Weights"}


def test_v04_top_level_constraints_with_dataspace_type(eyeriss):
    c = read(eyeriss, """
constraints:
  targets:
  - {target: psum_spad, type: dataspace, keep: [Outputs], bypass: [Inputs, Weights]}
  - {target: inter_PE_spatial, type: spatial, default_max_factor: 4, factors: [M=8]}
""")
    assert c.level("psum_spad").keep == {"Outputs"}
    sp = c.level("inter_PE_spatial").spatial
    assert sp.factor_range("M", 512) == (8, 8)
    assert sp.factor_range("C", 512) == (1, 4)


@pytest.mark.parametrize("text, message", [
    ("{targets: [{target: glb, type: temporal}]}",
     "^c.yaml: mapspace_constraints.targets\\[0\\].target: no storage level named 'glb'; "
     "levels are DRAM, shared_glb, inter_PE_column_spatial"),
    ("{targets: [{target: DRAM, type: temporal, permutaton: N}]}",
     "unknown key 'permutaton' \\(did you mean 'permutation'\\?\\)"),
    ("{targets: [{target: DRAM, type: spatial, factors: C=1}]}",
     "a spatial constraint on 'DRAM', which has no spatial fan-out"),
    ("{targets: [{target: DRAM, type: sptial}]}", "unknown constraint type 'sptial'"),
    ("{targets: [{target: 9, type: temporal}]}", "storage level 9 does not exist"),
    ("{targets: [{target: DRAM, type: utilization, min: 2}]}", "a fraction between 0 and 1"),
    ("{targets: [{target: psum_spad, type: temporal, factors: M=3}]}",
     "no temporal factor of M at 'psum_spad' satisfies M=3 .* and divides the bound M=512"),
    ("{targets: [{target: shared_glb, type: bypass, keep: [Weights]}]}",
     "'shared_glb' must keep Weights, but .*eyeriss_like.yaml: "
     "architecture_constraints.targets\\[1\\].bypass\\[0\\] says it must bypass it"),
    ("{targets: [{target: DRAM, type: temporal, permutation: M}]}",
     "temporal permutation 'M' of 'DRAM' contradicts 'N' given at .*eyeriss_like.yaml"),
])
def test_errors_point_at_the_field(eyeriss, text, message):
    blocks = [(eyeriss.inputs.values["architecture_constraints"],
               Where(eyeriss.inputs.files["architecture_constraints"], "architecture_constraints")),
              (yaml.safe_load(text), Where("c.yaml", "mapspace_constraints"))]
    with pytest.raises(SpecError, match=message):
        build_constraints(blocks, eyeriss.arch, eyeriss.workload)


def test_dummy_levels_keep_nothing_and_have_unit_temporal_factors(eyeriss):
    """timeloopfe's rule, for archs (e.g. v0.4) that do not spell it out as eyeriss' v0.3 does."""
    c = build_constraints([], eyeriss.arch, eyeriss.workload, inline=[])
    for name in ("inter_PE_column_spatial", "inter_PE_spatial"):
        lc = c.level(name)
        assert lc.bypass == set(eyeriss.workload.ds_names) and not lc.keep
        assert all(lc.temporal.factor_range(d, 99) == (1, 1) for d in eyeriss.workload.dims)
        assert lc.temporal.factors[0].where.path == f"dummy level {name}"
    assert c.level("shared_glb").dataspaces == ()


def test_v04_arch_inline_constraints_equal_the_v03_ones(eyeriss):
    """The v0.4 eyeriss (timeloopfe form, read by the v0.4 arch reader) constrains the same."""
    path = CASES[0].parents[2] / "spec" / "eyeriss_like.v04.yaml"
    arch04 = read_arch(load_yaml(path), Where(str(path), ""))
    wl, dims = eyeriss.workload, eyeriss.workload.dims
    c04 = build_constraints([], arch04, wl)
    c03 = read_constraints(eyeriss.inputs, eyeriss.arch, wl)
    for a, b in zip(c03.levels, c04.levels):
        assert (a.level, a.keep, a.bypass) == (b.level, b.keep, b.bypass)
        for kind in ("temporal", "spatial"):
            na, nb = getattr(a, kind), getattr(b, kind)
            assert [na.factor_range(d, wl.bounds[d]) for d in dims] == \
                [nb.factor_range(d, wl.bounds[d]) for d in dims]
            if not eyeriss.arch.storage[eyeriss.arch.level_index(a.level)].is_dummy:
                assert (na.order is None) == (nb.order is None)
                assert na.order is None or na.order.inner == nb.order.inner
            assert (na.split is None) == (nb.split is None)
            assert na.split is None or min(na.split, 7) == min(nb.split, 7)
    for d in CASES:
        if d.name.startswith("eyeriss_like"):
            ref = load(d)
            assert check_mapping(ref.mapping, arch04, ref.workload,
                                 build_constraints([], arch04, ref.workload)) == []
