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


@CASE
@given(st.sampled_from([2, 4, 6]), st.sampled_from([1, 2, 3]), st.sampled_from([2, 4]),
       st.integers(2, 12), st.integers(1, 6), st.sampled_from([(2, 1), (2, 2), (4, 1)]),
       st.sets(st.sampled_from(["A", "B", "Z"])))
def test_enumeration_equals_model_validity_and_cpsat(M, N, K, glb_depth, rf_depth, mesh, rf_keep):
    wl = gemm(M=M, N=N, K=K)
    n = mesh[0] * mesh[1]
    a = arch(level("DRAM"), level("glb", depth=glb_depth),
             level("rf", instances=n, mesh=mesh, depth=rf_depth), macs=n, mac_mesh=mesh)
    space = MapSpace(a, wl)
    keep = (frozenset(rf_keep), frozenset(wl.ds_names), frozenset(wl.ds_names))
    ours = sum(len(t) for t in space.tilings(keep))
    every = _all_tilings(space)
    # the model's validity does not depend on loop orders: evaluate each axis pattern once
    from mapper.search.batches import skeleton_for, support_groups
    valid = 0
    for rows in support_groups(space, every, temporal=False):
        sk = skeleton_for(space, every, rows, (wl.dims,) * 3, keep)
        res = Model(a, wl).evaluate(MappingBatch(sk, every.temporal[rows], every.spatial[rows]))
        valid += int(res.valid.sum())
    assert ours == valid
    assert ours == TilingModel(a, wl, keep=keep).count()


@CASE
@given(st.sampled_from([2, 4, 6]), st.sampled_from([1, 2, 3]), st.sampled_from([2, 4]),
       st.integers(2, 12), st.integers(1, 6), st.sampled_from([(2, 1), (2, 2), (4, 1)]),
       st.sets(st.sampled_from(["A", "B", "Z"])))
def test_finish_equals_the_enumeration_of_the_outermost_level(M, N, K, glb_depth, rf_depth,
                                                              mesh, rf_keep):
    """``MapSpace.finish`` (the outermost level's loops take the remainders, vectorized) gives
    the same whole tilings as expanding the outermost level like any other."""
    wl = gemm(M=M, N=N, K=K)
    n = mesh[0] * mesh[1]
    a = arch(level("DRAM"), level("glb", depth=glb_depth),
             level("rf", instances=n, mesh=mesh, depth=rf_depth), macs=n, mac_mesh=mesh)
    space = MapSpace(a, wl)
    keep = (frozenset(rf_keep), frozenset(wl.ds_names), frozenset(wl.ds_names))
    last = len(a.storage) - 1
    finished, expanded = set(), set()
    for done, rest in space.partial_tilings(keep, last - 1):
        finished |= set(map(tuple, space.finish(done, rest, keep)))
        expanded |= {tuple(r) for d, _ in space.expand(last, done, rest, keep) for r in d}
    assert finished == expanded
    assert len(finished) == sum(len(t) for t in space.tilings(keep))
