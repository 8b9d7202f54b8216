"""The CP-SAT tiling space equals brute force over every factor assignment (small spaces)."""
from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.prune import TilingModel
from mapper.spec.constraints import (Constraints, DataSpaceRule, FactorBound, LevelConstraints,
                                     LoopOrder, NestConstraints)
from mapper.spec.errors import Where
from mapper.spec.workload import DataSpace, Workload

from ..model.builders import arch, conv1d, gemm, level
from .brute import brute_force, rows


def strided(P: int, R: int, C: int, stride: int) -> Workload:
    """Outputs[p] += Weights[c, r] * Inputs[c, stride*p + r]: a rank with a halo and stride."""
    return Workload("strided", ("C", "R", "P"), {"C": C, "R": R, "P": P}, (
        DataSpace("Weights", ((("C", 1),), (("R", 1),))),
        DataSpace("Inputs", ((("C", 1),), (("P", stride), ("R", 1)))),
        DataSpace("Outputs", ((("P", 1),),), read_write=True)))


def small_arch(pe_depth: int, glb_depth: int, buffering: float = 1.0, mesh=(2, 2)):
    """DRAM -> glb -> fan-out mesh -> pe -> mac."""
    n = mesh[0] * mesh[1]
    return arch(level("DRAM"), level("glb", depth=glb_depth, multiple_buffering=buffering),
                level("pe", instances=n, mesh=mesh, depth=pe_depth), macs=n, mac_mesh=mesh)


WORKLOADS = [conv1d(4, 3), conv1d(6, 2), gemm(4, 2, 2), gemm(4, 4, 2), gemm(2, 2, 3),
             strided(3, 2, 2, 2), strided(2, 3, 1, 3), strided(4, 2, 2, 1)]


def space_equal(a, w, c, keep=None) -> int:
    tm = TilingModel(a, w, c, keep)
    expected = brute_force(a, w, c, keep)
    found = tm.enumerate_tilings()
    assert rows(found) == expected
    assert len(found) == len(expected) == tm.count()
    assert tm.feasible() == bool(expected)
    return len(expected)


def keep_all(a, w):
    return [frozenset(w.ds_names)] * len(a.storage)


def test_unconstrained_space_is_every_fitting_factorization():
    a, w = small_arch(pe_depth=3, glb_depth=12), conv1d(4, 3)
    n = space_equal(a, w, Constraints.none(a), keep_all(a, w))
    assert 0 < n < len(brute_force(small_arch(100, 100), w, Constraints.none(a)))
    # keep=None with no keep rules: inner levels keep nothing, so nothing is too big
    assert space_equal(a, w, Constraints.none(a)) == len(
        brute_force(small_arch(100, 100), w, Constraints.none(a)))


def test_multiple_buffering_halves_the_room():
    w = strided(3, 2, 2, 2)
    one, two = small_arch(4, 16), small_arch(4, 32, 2.0)
    n1 = space_equal(one, w, Constraints.none(one), keep_all(one, w))
    n2 = space_equal(two, w, Constraints.none(two), keep_all(two, w))
    assert n1 == n2 > 0


@st.composite
def factor_bounds(draw, w: Workload, spatial: bool):
    out = []
    for d in draw(st.lists(st.sampled_from(w.dims), max_size=1 + spatial, unique=True)):
        bound = w.bounds[d]
        v = draw(st.integers(1, bound))
        op = draw(st.sampled_from(["=", "<=", ">="]))
        lo, hi = {"=": (v, v), "<=": (1, v), ">=": (v, bound)}[op]
        out.append(FactorBound(d, lo, hi, f"{d}{op}{v}", Where("c.yaml", f"{d}")))
    return tuple(out)


@st.composite
def problems(draw):
    w = draw(st.sampled_from(WORKLOADS))
    mesh = draw(st.sampled_from([(2, 2), (4, 1), (1, 3), (3, 2)]))
    a = small_arch(draw(st.integers(1, 8)), draw(st.integers(2, 40)),
                   draw(st.sampled_from([1.0, 2.0])), mesh)
    levels = []
    for k, lv in enumerate(a.storage):
        spatial = a.fanout(k) != (1, 1)
        order, split = None, None
        if spatial and draw(st.booleans()):
            pinned = draw(st.permutations(w.dims))[: draw(st.integers(0, len(w.dims)))]
            cut = draw(st.integers(0, len(pinned)))
            order = LoopOrder(tuple(pinned[:cut]), tuple(pinned[cut:]), "order", Where("c", "o"))
            split = draw(st.sampled_from([None, 0, 1, 2, 999]))
        rules = tuple(DataSpaceRule(n, draw(st.booleans()), Where("c", n))
                      for n in draw(st.lists(st.sampled_from(w.ds_names), max_size=2,
                                             unique=True)))
        levels.append(LevelConstraints(
            lv.name, NestConstraints(draw(factor_bounds(w, False))),
            NestConstraints(draw(factor_bounds(w, True)) if spatial else (), order, split),
            rules))
    util = draw(st.sampled_from([None, None, 0.25, 0.5, 1.0]))
    c = Constraints(tuple(levels), util)
    keep = None
    if draw(st.booleans()):
        keep = [frozenset(draw(st.lists(st.sampled_from(w.ds_names), unique=True)))
                for _ in a.storage]
    return a, w, c, keep


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_cpsat_space_equals_brute_force(problem):
    space_equal(*problem)


def test_spatial_permutation_and_split_pin_axes():
    """NPQ-style pinning: R pinned to Y by split 0, P free; one axis per dimension."""
    a, w = small_arch(100, 100, mesh=(2, 2)), conv1d(4, 2)
    base = Constraints.none(a)
    glb = a.level_index("glb")
    levels = list(base.levels)
    levels[glb] = dataclasses.replace(levels[glb], spatial=NestConstraints(
        order=LoopOrder(("R",), (), "R", Where("c.yaml", "targets[0].permutation")), split=0))
    c = dataclasses.replace(base, levels=tuple(levels))
    assert space_equal(a, w, c) > 0
    found = TilingModel(a, w, c).enumerate_tilings()
    j = w.dims.index("R")
    assert (found.spatial_x[:, glb, j] == 1).all() and (found.spatial_y[:, glb, j] == 2).any()
    assert ((found.spatial_x == 1) | (found.spatial_y == 1)).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_slot_domains_are_the_values_valid_tilings_use(problem):
    tm = TilingModel(*problem)
    found = tm.enumerate_tilings()
    arrays = {"T": found.temporal, "X": found.spatial_x, "Y": found.spatial_y}
    w = problem[1]
    for (k, slot, d), values in tm.slot_domains().items():
        assert values == tuple(sorted(set(arrays[slot][:, k, w.dims.index(d)].tolist())))
