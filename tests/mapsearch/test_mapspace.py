"""The mapspace's level-by-level enumeration (with capacity and fan-out pruning) against two
independent references: the model's validity check over every factorization, and the CP-SAT
model of the tiling space (mapper.prune)."""
import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model
from mapper.prune import TilingModel
from tests.model.builders import arch, gemm, level

CASE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all_tilings(space):
    """Every factorization of every dimension (no pruning), as (temporal, spatial, on_y)."""
    where, tables = [], []
    for j, d in enumerate(space.dims):
        tables.append(space.factor_table(d))
        where += [(s.level, s.axis, j) for s in space.slots[d]]
    rows = [np.concatenate(c) for c in itertools.product(*tables)]
    return space.assemble(np.array(rows), where)


@st.composite
def small_spaces(draw):
    """(space, keep sets): a small GEMM on DRAM > glb > rf array, random sizes and rf keeps."""
    wl = gemm(M=draw(st.sampled_from([2, 4, 6])), N=draw(st.sampled_from([1, 2, 3])),
              K=draw(st.sampled_from([2, 4])))
    mesh = draw(st.sampled_from([(2, 1), (2, 2), (4, 1)]))
    n = mesh[0] * mesh[1]
    a = arch(level("DRAM"), level("glb", depth=draw(st.integers(2, 12))),
             level("rf", instances=n, mesh=mesh, depth=draw(st.integers(1, 6))), macs=n,
             mac_mesh=mesh)
    rf_keep = draw(st.sets(st.sampled_from(["A", "B", "Z"])))
    keep = (frozenset(rf_keep), frozenset(wl.ds_names), frozenset(wl.ds_names))
    return MapSpace(a, wl), keep


@CASE
@given(small_spaces())
def test_enumeration_equals_model_validity_and_cpsat(case):
    space, keep = case
    wl, a = space.workload, space.arch
    ours = sum(len(t) for t in space.tilings(keep))
    every = _all_tilings(space)
    # the model's validity does not depend on loop orders: evaluate each axis pattern once
    from mapper.mapsearch.batches import skeleton_for, support_groups
    valid = 0
    for rows in support_groups(space, every, temporal=False):
        sk = skeleton_for(space, every, rows, (wl.dims,) * 3, keep)
        res = Model(a, wl).evaluate(MappingBatch(sk, every.temporal[rows], every.spatial[rows]))
        valid += int(res.valid.sum())
    assert ours == valid
    assert ours == TilingModel(a, wl, keep=keep).count()


@CASE
@given(small_spaces())
def test_finish_equals_the_enumeration_of_the_outermost_level(case):
    """``MapSpace.finish`` (the outermost level's loops take the remainders, vectorized) gives
    the same whole tilings as expanding the outermost level like any other."""
    space, keep = case
    a = space.arch
    last = len(a.storage) - 1
    finished, expanded = set(), set()
    for done, rest in space.partial_tilings(keep, last - 1):
        finished |= set(map(tuple, space.finish(done, rest, keep)))
        expanded |= {tuple(r) for d, _ in space.expand(last, done, rest, keep) for r in d}
    assert finished == expanded
    assert len(finished) == sum(len(t) for t in space.tilings(keep))
