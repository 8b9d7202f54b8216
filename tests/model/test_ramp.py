"""The ramp rule (``mapper/model/ramp.py``): hand-checked ramps of one mapping, the batch
form agrees with the per-level report, and on a bounding evaluation the ramped cycles are at
most those of every loop order and every completion the bound stands for."""
import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from energy import ReferenceTables
from mapper.model import MappingBatch, Model, Skeleton
from mapper.model.bound import Bound
from mapper.model.ramp import LevelRamp
from tests.model.builders import arch, conv1d as conv1d_pr, level, mapping
from tests.model.test_bound import (DIMS, conv1d, parked_partial_tiling, random_tilings,
                                    small_workloads, temporal_completions)

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "glb": {"read": 6.0, "write": 7.0}, "l1": {"read": 2.0, "write": 2.5},
                          "rf": {"read": 1.0, "write": 1.2}, "mac": {"compute": 0.5}})
#: DRAM > glb (single-buffered, 2 words/cycle in, 3 out) > l1 (3 in, shared 2; fan-out 2
#: in X to the rfs) > rf (1 word/cycle in and out). Innermost first: rf 0, l1 1, glb 2, DRAM 3.
ARCH = arch(level("DRAM"), level("glb", write_bandwidth=2.0, read_bandwidth=3.0),
            level("l1", write_bandwidth=3.0, shared_bandwidth=2.0),
            level("rf", instances=2, mesh=(2, 1), write_bandwidth=1.0, read_bandwidth=1.0),
            macs=2)


def ramped(result) -> np.ndarray:
    return result.cycles + result.ramp_cycles


def test_ramps_of_one_mapping_by_hand():
    """Outputs[p] += Weights[r] * Inputs[p + r], P = 8, R = 3, on DRAM > glb (depth 64,
    4 words/cycle in, 2 out) > rf (depth 16, double-buffered) > MAC. Mapping: rf P=2 R=3,
    glb P=2, DRAM P=2; every level keeps everything.

    glb tile: P = 4, R = 3: Weights 3 + Inputs 4 + 3 - 1 = 6 (read only: 9 words) and
    Outputs 4: ramp-up ceil(9 / 4) = 3, ramp-down ceil(4 / 2) = 2. rf: multiple-buffered,
    hidden. DRAM: the outermost. Ramps 5 cycles; 48 MACs on one MAC, nothing throttles:
    cycles 24 (the temporal product 2*3 * 2 * 2), ramped 29.
    """
    a = arch(level("DRAM"), level("glb", depth=64, write_bandwidth=4.0, read_bandwidth=2.0),
             level("rf", depth=16, multiple_buffering=2.0))
    wl = conv1d_pr(P=8, R=3)
    m = mapping(wl, dict(t={"P": 2, "R": 3}), dict(t={"P": 2}), dict(t={"P": 2}))
    model = Model(a, wl, TABLES)
    result = model.evaluate(MappingBatch.of([m]))
    assert result.cycles[0] == 24 and result.ramp_cycles[0] == 5
    assert model.ramp.levels(model.evaluation(result, 0).tiles) == (
        LevelRamp("glb", 9, 3, 4, 2),)


def test_a_bypassed_or_unbounded_level_adds_nothing():
    """The same mapping with the glb keeping only Outputs: no fill, drain ceil(4 / 2) = 2;
    and with no bandwidth at the glb, no ramp at all."""
    wl = conv1d_pr(P=8, R=3)
    m = mapping(wl, dict(t={"P": 2, "R": 3}), dict(t={"P": 2}, keep={"Outputs"}),
                dict(t={"P": 2}))
    limited = arch(level("DRAM"), level("glb", depth=64, write_bandwidth=4.0,
                                        read_bandwidth=2.0), level("rf", depth=16,
                                                                   multiple_buffering=2.0))
    free = arch(level("DRAM"), level("glb", depth=64), level("rf", depth=16,
                                                             multiple_buffering=2.0))
    assert Model(limited, wl, TABLES).evaluate(MappingBatch.of([m])).ramp_cycles[0] == 2
    assert Model(free, wl, TABLES).evaluate(MappingBatch.of([m])).ramp_cycles[0] == 0


keeps = st.tuples(*(st.sets(st.sampled_from(["Weights", "Inputs", "Outputs"]))
                    for _ in range(3)))
workloads = st.builds(conv1d, R=st.sampled_from([1, 2, 3]), P=st.sampled_from([2, 4, 6]),
                      C=st.sampled_from([1, 2]), M=st.sampled_from([1, 2, 4]),
                      stride=st.sampled_from([1, 2]))


@settings(max_examples=10, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16))
def test_batch_ramps_equal_the_per_level_report(wl, keep, seed):
    """``BatchResult.ramp_cycles`` (the search's metric) and ``RampRule.levels`` of each
    evaluation (Eyexam's report) are the one rule: equal on every mapping."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 16)
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    result = model.evaluate(MappingBatch(sk, temporal, spatial))
    for i in range(len(result)):
        report = model.ramp.levels(model.evaluation(result, i).tiles)
        assert [r.level for r in report] == ["rf", "l1", "glb"]
        assert sum(r.cycles for r in report) == result.ramp_cycles[i]


@settings(max_examples=10, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16))
def test_ramps_do_not_depend_on_the_loop_orders(wl, keep, seed):
    """With every order open (``Bound()``) the tiles are exact: the bound's ramps equal
    those of each order, and its ramped cycles are at most every order's."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 12)
    bound = model.evaluate(MappingBatch(Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4,
                                                 (len(DIMS),) * 4, keep), temporal, spatial),
                           Bound())
    rng = np.random.default_rng(seed)
    perms = list(itertools.permutations(DIMS))
    for _ in range(4):
        orders = tuple(perms[j] for j in rng.integers(len(perms), size=4))
        real = model.evaluate(MappingBatch(Skeleton(DIMS, orders, (DIMS,) * 4,
                                                    (len(DIMS),) * 4, keep), temporal, spatial))
        assert (bound.ramp_cycles == real.ramp_cycles).all()
        assert (ramped(bound) <= ramped(real)).all()


def least_ramped_completion(model, keep, temporal_fixed, spatial, through, rest) -> int:
    """The least cycles + ramps over every split of ``rest`` (D,) among the temporal loops of
    the levels above ``through`` and every distinct loop order of those levels."""
    return min(ramped(r).min() for _, _, r in temporal_completions(
        model, keep, temporal_fixed, spatial, through, rest))


@settings(max_examples=12, deadline=None)
@given(wl=small_workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([-1, 0, 1]))
def test_parked_bound_of_ramped_cycles_is_below_every_completion(wl, keep, seed, through):
    """``Bound(fixed_through=k)``: the open levels' tiles hold only the fixed part (the
    parked form), every completion's contain them, and the ramps only grow with the tiles:
    the bound's cycles + ramps are at most those of every completion in every order."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    for _ in range(2):
        temporal, spatial, rest, parked = parked_partial_tiling(wl, rng, through)
        sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
        bound = model.evaluate(MappingBatch(sk, parked[None], spatial[None]),
                               Bound(fixed_through=through))
        assert ramped(bound)[0] <= least_ramped_completion(model, keep, temporal, spatial,
                                                          through, rest)
