"""check_mapping: semantic judgement of a mapping against its constraints."""
from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.spec.constraints import (Constraints, LoopOrder, check_mapping, order_allows,
                                     spatial_axes)
from mapper.spec.timeloop_constraints import read_constraints

from .refs import CASES, RESNET_CASE, load


def _with_level(mapping, k, **changes):
    levels = list(mapping.levels)
    levels[k] = dataclasses.replace(levels[k], **changes)
    return dataclasses.replace(mapping, levels=tuple(levels))


@pytest.mark.parametrize("d", CASES, ids=lambda p: p.name)
def test_every_reference_mapping_satisfies_its_arch_constraints(d):
    ref = load(d)
    constraints = read_constraints(ref.inputs, ref.arch, ref.workload)
    assert check_mapping(ref.mapping, ref.arch, ref.workload, constraints) == []


@pytest.fixture(scope="module")
def eyeriss():
    ref = load(next(d for d in CASES if d.name == RESNET_CASE))
    return ref, read_constraints(ref.inputs, ref.arch, ref.workload)


def test_the_eyeriss_pair_timeloop_compares_textually(eyeriss):
    """Constraint NCPRSQM split 999 vs. the mapper's own QMCRSNP split 2 (Q7, M2 on X)."""
    ref, constraints = eyeriss
    k = ref.arch.level_index("inter_PE_column_spatial")
    lc, lm = constraints.levels[k], ref.mapping.levels[k]
    assert (lc.spatial.order.text, lc.spatial.split) == ("NCPRSQM", 999)
    assert ("".join(lm.spatial_order), lm.split) == ("QMCRSNP", 2)
    x, y = spatial_axes(lm, ref.workload.dims)
    assert (x, y) == (["Q", "M"], [])
    assert order_allows(lc.spatial.order, lc.spatial.split, 7, x, y)


def test_violations_name_level_constraint_origin_and_mapping(eyeriss):
    ref, constraints = eyeriss
    arch, wl, m = ref.arch, ref.workload, ref.mapping
    col = arch.level_index("inter_PE_column_spatial")
    cases = {
        # M inside Q on X: the constraint pins Q (position 5) inside M (position 6)
        "order": _with_level(m, col, spatial_order=tuple("MQCRSNP")),
        # Q on X, M on Y: split 999 puts every position on X
        "axis": _with_level(m, col, split=1),
        # shared_glb must bypass Weights
        "keep": _with_level(m, arch.level_index("shared_glb"),
                            keep=frozenset({"Inputs", "Outputs", "Weights"})),
        # psum_spad: C=1 in its temporal nest (C2 outside M4 also breaks its permutation)
        "factor": _with_level(m, arch.level_index("psum_spad"), temporal=(2, 4, 1, 1, 1, 1, 1)),
    }
    found = {name: check_mapping(mm, arch, wl, constraints) for name, mm in cases.items()}
    assert [len(v) for v in found.values()] == [1, 1, 1, 2], found
    order = found["order"][0]
    assert order.level == "inter_PE_column_spatial"
    assert order.constraint == "spatial permutation NCPRSQM split 999"
    assert order.found.startswith("spatial X loops M Q, Y loops none")
    assert order.where.file.endswith("archs/eyeriss_like.yaml")
    assert order.where.path == "architecture_constraints.targets[3].permutation"
    assert str(found["axis"][0]).endswith("the mapping has spatial X loops Q, Y loops M "
                                          "(innermost first, factor > 1)")
    assert str(found["keep"][0]) == (
        f"{found['keep'][0].where.file}: architecture_constraints.targets[1].bypass[0]: "
        "shared_glb: bypass Weights; the mapping has Weights kept")
    factor, order = found["factor"]
    assert (factor.level, factor.constraint, factor.found) == \
        ("psum_spad", "temporal factor C=1", "temporal C2")
    assert (order.constraint, order.found) == \
        ("temporal permutation NCPQRSM", "temporal loops M C (innermost first, factor > 1)")


def test_pinned_innermost_loop_must_stay_innermost():
    """DRAM's constraint `N` (gemm: N=512) puts a non-unit N loop inside every other loop."""
    ref = load(next(d for d in CASES if "gemm" in d.name))
    constraints = read_constraints(ref.inputs, ref.arch, ref.workload)
    dram = ref.arch.level_index("DRAM")
    assert ref.mapping.levels[dram].temporal[ref.workload.dims.index("N")] == 4
    moved = _with_level(ref.mapping, dram, temporal_order=tuple("CNMRSPQ"))
    (v,) = check_mapping(moved, ref.arch, ref.workload, constraints)
    assert (v.level, v.constraint) == ("DRAM", "temporal permutation N")
    assert v.found == "temporal loops C N M (innermost first, factor > 1)"


def test_min_utilization(eyeriss):
    ref, constraints = eyeriss          # 112 of 168 MACs busy
    for lo, broken in ((0.6, False), (0.7, True)):
        c = dataclasses.replace(constraints, min_utilization=lo)
        assert bool(check_mapping(ref.mapping, ref.arch, ref.workload, c)) == broken


def test_no_constraints_allow_everything(eyeriss):
    ref, _ = eyeriss
    assert check_mapping(ref.mapping, ref.arch, ref.workload, Constraints.none(ref.arch)) == []


# --- the order rule, against brute force over every full order the constraint allows ------

def _brute(inner, outer, split, dims, x, y):
    n, nonunit = len(dims), set(x) | set(y)
    free = [d for d in dims if d not in inner and d not in outer]
    for middle in itertools.permutations(free):
        full = (*inner, *middle, *outer)
        for s in (range(n + 1) if split is None else (min(split, n),)):
            if ([d for d in full[:s] if d in nonunit] == list(x)
                    and [d for d in full[s:] if d in nonunit] == list(y)):
                return True
    return False


@st.composite
def order_cases(draw):
    dims = tuple("ABCDE"[: draw(st.integers(1, 5))])
    n = len(dims)
    pinned = draw(st.permutations(dims))
    a = draw(st.integers(0, n))
    b = draw(st.integers(0, n - a))
    inner, outer = tuple(pinned[:a]), tuple(pinned[a:a + b])
    split = draw(st.none() | st.integers(0, n + 2))
    if draw(st.booleans()):   # often a mapping the constraint could have produced
        free = [d for d in dims if d not in inner + outer]
        full = (*inner, *draw(st.permutations(free)), *outer)
    else:
        full = tuple(draw(st.permutations(dims)))
    s = draw(st.integers(0, n)) if split is None or draw(st.booleans()) else min(split, n)
    nonunit = draw(st.sets(st.sampled_from(dims)))
    x = [d for d in full[:s] if d in nonunit]
    y = [d for d in full[s:] if d in nonunit]
    return dims, inner, outer, split, x, y


@settings(max_examples=400, deadline=None)
@given(order_cases())
def test_order_rule_equals_brute_force(case):
    dims, inner, outer, split, x, y = case
    order = LoopOrder(inner, outer) if inner or outer else None
    assert order_allows(order, split, len(dims), x, y) == _brute(inner, outer, split, dims, x, y)


def test_order_rule_examples():
    o = LoopOrder(("A",))                                   # A innermost, B C D free
    assert order_allows(o, 2, 4, ["A", "B"], ["C", "D"])
    assert not order_allows(o, 2, 4, ["A", "B", "C"], [])   # only 2 X positions
    assert not order_allows(o, 2, 4, ["B"], ["A"])          # A sits at X position 0
    assert order_allows(o, None, 4, ["B"], [])              # unit A: anything goes
    assert not order_allows(o, None, 4, ["B", "A"], [])     # A must be inside B
    tail = LoopOrder(("A",), ("D",))                        # ... and D outermost
    assert order_allows(tail, 4, 4, ["A", "C", "D"], [])
    assert not order_allows(tail, 4, 4, ["D", "C"], [])
    assert not order_allows(tail, 3, 4, ["D"], [])          # D at position 3 is on Y
