"""Loop-order classes (``mapspace/orders.py``): orders of a level with the same reuse
signature give the same model results, so the optimal search visits one order per class.

Brute force against the model: every permutation of one level's non-unit loops, the other
levels' orders fixed at random; within a class every count, the energy and the cycles must
be equal. The workloads are the hard ones for the argument: sliding windows with strides and
dilations in two ranks, a dimension that only some data spaces project on, unit dimensions
next to sliding ones (a 1x1 window), and bypass.
"""
import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from mapper.mapspace.orders import ReuseRoles, order_classes
from mapper.model import MappingBatch, Model, Skeleton
from mapper.spec.workload import DataSpace, Workload
from tests.model.test_bound import ARCH, TABLES

DIMS = ("R", "S", "P", "Q", "C", "M")


def conv2d(R, S, P, Q, C, M, stride, dilation) -> Workload:
    """Outputs[m, p, q] += Weights[m, c, r, s] * Inputs[c, stride p + dilation r, q + s]."""
    return Workload("conv2d", DIMS, {"R": R, "S": S, "P": P, "Q": Q, "C": C, "M": M}, (
        DataSpace("Weights", ((("M", 1),), (("C", 1),), (("R", 1),), (("S", 1),))),
        DataSpace("Inputs", ((("C", 1),), (("P", stride), ("R", dilation)),
                             (("Q", 1), ("S", 1)))),
        DataSpace("Outputs", ((("M", 1),), (("P", 1),), (("Q", 1),)), read_write=True)))


workloads = st.builds(conv2d, R=st.sampled_from([1, 2, 3]), S=st.sampled_from([1, 2]),
                      P=st.sampled_from([2, 4, 6]), Q=st.sampled_from([1, 2, 3]),
                      C=st.sampled_from([1, 2]), M=st.sampled_from([1, 2]),
                      stride=st.sampled_from([1, 2]), dilation=st.sampled_from([1, 2]))
keeps = st.tuples(*(st.sets(st.sampled_from(["Weights", "Inputs", "Outputs"]))
                    for _ in range(3)))


def random_tiling(wl: Workload, rng: np.random.Generator, level: int):
    """(temporal, spatial) (1, 4, D): each dimension split over rf T, l1 X (fan-out 2, one
    dimension at most), l1 T, glb T and DRAM T; most of it at ``level``, so that the level
    has several loops (the case that tells orders apart)."""
    temporal = np.ones((1, 4, len(DIMS)), np.int64)
    spatial = np.ones((1, 4, len(DIMS)), np.int64)
    fanned = False
    for j, d in enumerate(DIMS):
        rest = wl.bounds[d]
        divisors = [x for x in range(1, rest + 1) if rest % x == 0]
        f = int(rng.choice(divisors))                          # rf: the window's tile
        temporal[0, 0, j], rest = f, rest // f
        if not fanned and rest % 2 == 0 and rng.random() < 0.3:
            spatial[0, 1, j], rest, fanned = 2, rest // 2, True
        others = [k for k in (1, 2, 3) if k != level]
        for k in others:
            if rng.random() < 0.25:
                f = int(rng.choice([x for x in range(1, rest + 1) if rest % x == 0]))
                temporal[0, k, j], rest = f, rest // f
        temporal[0, level, j] = rest
    return temporal, spatial


def results(model, temporal, spatial, keep, orders) -> tuple:
    sk = Skeleton(DIMS, orders, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    r = model.evaluate(MappingBatch(sk, temporal, spatial))
    counts = tuple((n, c.fills.tolist(), c.reads.tolist(), c.updates.tolist())
                   for n, c in sorted(r.counts.items()))
    return counts, float(r.energy[0]), int(r.cycles[0])


def one_result_per_class(model, temporal, spatial, keep, others, level, loops, roles) -> int:
    """Evaluate every order of ``loops`` at ``level`` (the other levels' ``others``); assert
    that orders with one signature give one result; return the number of classes met."""
    seen: dict[tuple, tuple] = {}
    for perm in itertools.permutations(loops):
        orders = list(others)
        orders[level] = perm + tuple(d for d in DIMS if d not in perm)
        got = results(model, temporal, spatial, keep, tuple(orders))
        sig = roles.signature(perm)
        assert seen.setdefault(sig, got) == got, (perm, sig)
    return len(seen)


@settings(max_examples=40, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16), level=st.sampled_from([1, 2, 3]))
def test_orders_of_one_class_give_equal_counts(wl, keep, seed, level):
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    temporal, spatial = random_tiling(wl, rng, level)
    others = [tuple(DIMS[i] for i in rng.permutation(len(DIMS))) for _ in range(4)]
    loops = tuple(d for j, d in enumerate(DIMS) if temporal[0, level, j] > 1)
    below = [i for i, ds in enumerate(wl.ds_names) if any(ds in keep[j] for j in range(level))]
    roles = ReuseRoles.of(wl).only(below)
    classes = one_result_per_class(model, temporal, spatial, keep, others, level, loops, roles)
    assert len(order_classes(loops, DIMS, None, roles)) == classes


def test_classes_merge_irrelevant_runs_and_orders_behind_an_exclusive_loop():
    """Hand-checked: a 1x1 convolution (the windows are unit, so P and Q move the Inputs
    alone) seen by every data space: per data space only the loops before its first
    exclusive loop count, and a run of irrelevant loops counts as a set."""
    wl = conv2d(R=1, S=1, P=4, Q=4, C=2, M=2, stride=1, dilation=1)
    roles = ReuseRoles.of(wl)
    assert roles.exclusive == (frozenset("MC"), frozenset("CPQ"), frozenset("MPQ"))
    # Weights: run {P, Q} then C; Inputs: P exclusive at once; Outputs: P exclusive at once
    assert roles.signature(("P", "Q", "C", "M")) == roles.signature(("Q", "P", "C", "M"))
    assert roles.signature(("P", "Q", "C", "M")) == roles.signature(("Q", "P", "M", "C"))
    assert roles.signature(("P", "C", "Q", "M")) != roles.signature(("Q", "P", "C", "M"))
    # 24 orders of C, M, P, Q: the classes are the Weights prefix ({}, {P}, {Q}, {P, Q}) x
    # the Outputs prefix ({}, {C}), less the pairs no order realises.
    classes = order_classes(("C", "M", "P", "Q"), DIMS, None, roles)
    assert len(classes) == 5
    # each class is represented by its first member in canonical order
    assert classes[0][:4] == ("C", "M", "P", "Q")


def test_a_level_that_no_level_below_keeps_anything_for_has_one_class():
    wl = conv2d(R=3, S=2, P=4, Q=2, C=2, M=2, stride=1, dilation=1)
    roles = ReuseRoles.of(wl).only([])
    assert len(order_classes(("R", "S", "P", "Q", "C"), DIMS, None, roles)) == 1


@settings(max_examples=30, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16), level=st.sampled_from([0, 1, 2, 3]))
def test_with_a_fan_out_from_level_0_every_data_space_tells_every_levels_orders_apart(
        wl, keep, seed, level):
    """Level 0 fans out to the MACs: which carries leave a MAC's word in place (so that it
    may come over a link) is seen over every temporal loop, so the classes of any level
    (level 0's included) are those of every data space, whatever the levels keep
    (``MapSpace.order_classes``)."""
    from mapper.mapspace.space import MapSpace
    from tests.model.builders import arch, level as storage
    arch0 = arch(storage("DRAM"), storage("glb"), storage("l1"), storage("rf"), macs=2)
    model = Model(arch0, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    temporal, spatial = random_tiling(wl, rng, max(level, 1))
    if level == 0:                                 # level 1's loops become level 0's
        temporal[0, 0] *= temporal[0, 1]
        temporal[0, 1] = 1
    spatial[0, 0], spatial[0, 1] = spatial[0, 1], 1          # the fan-out to the MACs
    others = [tuple(DIMS[i] for i in rng.permutation(len(DIMS))) for _ in range(4)]
    loops = tuple(d for j, d in enumerate(DIMS) if temporal[0, level, j] > 1)
    roles = ReuseRoles.of(wl)
    seen = one_result_per_class(model, temporal, spatial, keep, others, level, loops, roles)
    classes = MapSpace(arch0, wl).order_classes(level, loops, keep)
    assert len(classes) == seen
