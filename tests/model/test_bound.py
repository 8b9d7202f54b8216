"""The lower bounds of the optimal search (``mapper/model/bound.py``) against the model itself.

Every bound must be at most what the model gives for every loop order (and, for partial
tilings, every completion) it stands for: per level and data space for the fills, and for the
energy and the cycles. Workloads have sliding windows with strides (the hard case: shifts that
can coincide), an output channel that Inputs do not project on, and fan-outs.
"""
import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from energy import ReferenceTables
from mapper.mapspace.factors import factorizations
from mapper.model import MappingBatch, Model, Skeleton
from mapper.model.bound import Bound, LoopsAbove, innermost_candidates
from mapper.spec.constraints import LoopOrder, order_allows
from mapper.spec.workload import DataSpace, Workload
from tests.model.builders import arch, level

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "glb": {"read": 6.0, "write": 7.0}, "l1": {"read": 2.0, "write": 2.5},
                          "rf": {"read": 1.0, "write": 1.2}, "mac": {"compute": 0.5}})
#: DRAM > glb > l1 (fan-out 2 in X to the rfs) > rf; innermost first: rf 0, l1 1, glb 2, DRAM 3
ARCH = arch(level("DRAM"), level("glb", read_bandwidth=2.0), level("l1"),
            level("rf", instances=2, mesh=(2, 1)), macs=2)
DIMS = ("R", "P", "C", "M")


def conv1d(R: int, P: int, C: int, M: int, stride: int) -> Workload:
    """Outputs[m, p] += Weights[m, c, r] * Inputs[c, stride*p + r]."""
    return Workload("conv", DIMS, {"R": R, "P": P, "C": C, "M": M}, (
        DataSpace("Weights", ((("M", 1),), (("C", 1),), (("R", 1),))),
        DataSpace("Inputs", ((("C", 1),), (("R", 1), ("P", stride)))),
        DataSpace("Outputs", ((("M", 1),), (("P", 1),)), read_write=True)))


def random_tilings(wl: Workload, rng: np.random.Generator, n: int):
    """(temporal, spatial) (n, 4, D): every dimension over rf T, l1 X (fan-out), l1 T,
    glb T, DRAM T."""
    temporal = np.ones((n, 4, len(DIMS)), np.int64)
    spatial = np.ones((n, 4, len(DIMS)), np.int64)
    for j, d in enumerate(DIMS):
        table = factorizations(wl.bounds[d], [(1, 99)] * 5)
        rows = table[rng.integers(len(table), size=n)]
        temporal[:, 0, j], spatial[:, 1, j], temporal[:, 1, j] = rows[:, 0], rows[:, 1], rows[:, 2]
        temporal[:, 2, j], temporal[:, 3, j] = rows[:, 3], rows[:, 4]
    return temporal, spatial


def minima_over_orders(model, temporal, spatial, keep, inner_orders, dram_orders=None):
    """Per mapping the minimum over every (glb, DRAM) order of the fills (per data space,
    (K, B)), the energy and the cycles; rf and l1 orders fixed."""
    perms = list(itertools.permutations(DIMS))
    best = None
    for glb, dram in itertools.product(perms, dram_orders or perms):
        sk = Skeleton(DIMS, inner_orders + (glb, dram), (DIMS,) * 4, (len(DIMS),) * 4, keep)
        r = model.evaluate(MappingBatch(sk, temporal, spatial))
        now = ({n: c.fills for n, c in r.counts.items()}, r.energy, r.cycles)
        if best is None:
            best = now
        else:
            best = ({n: np.minimum(best[0][n], now[0][n]) for n in now[0]},
                    np.minimum(best[1], now[1]), np.minimum(best[2], now[2]))
    return best


workloads = st.builds(conv1d, R=st.sampled_from([1, 2, 3]), P=st.sampled_from([2, 3, 4, 6]),
                      C=st.sampled_from([1, 2, 4]), M=st.sampled_from([1, 2, 4]),
                      stride=st.sampled_from([1, 2]))
keeps = st.tuples(*(st.sets(st.sampled_from(["Weights", "Inputs", "Outputs"]))
                    for _ in range(3)))


@settings(max_examples=12, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       orders=st.tuples(st.permutations(DIMS).map(tuple), st.permutations(DIMS).map(tuple)))
def test_bound_is_below_every_loop_order(wl, keep, seed, orders):
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 24)
    fills, energy, cycles = minima_over_orders(model, temporal, spatial, keep, tuple(orders))
    sk = Skeleton(DIMS, tuple(orders) + (DIMS, DIMS), (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, temporal, spatial), Bound())
    for name, counts in bound.counts.items():
        assert (counts.fills <= fills[name]).all(), name
    assert (bound.energy <= energy * (1 + 1e-12)).all()
    assert (bound.cycles <= cycles).all()


@settings(max_examples=8, deadline=None)
@given(wl=workloads, seed=st.integers(0, 2 ** 16), dram=st.permutations(DIMS).map(tuple))
def test_bound_with_the_outer_order_fixed_is_below_every_inner_order(wl, seed, dram):
    """``Bound(exact_from=3)``: the DRAM order is the batch's; the glb order is open."""
    model = Model(ARCH, wl, TABLES)
    keep = (frozenset({"Outputs"}), frozenset({"Weights"}), frozenset({"Inputs", "Outputs"}),
            frozenset(wl.ds_names))
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 24)
    fills, energy, cycles = minima_over_orders(model, temporal, spatial, keep, (DIMS, DIMS),
                                               [tuple(dram)])
    sk = Skeleton(DIMS, (DIMS, DIMS, DIMS, tuple(dram)), (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, temporal, spatial), Bound(exact_from=3))
    for name, counts in bound.counts.items():
        assert (counts.fills <= fills[name]).all(), name
        assert (counts.fills[2:] == fills[name][2:]).all()       # glb and DRAM: exact
    assert (bound.energy <= energy * (1 + 1e-12)).all()


@settings(max_examples=6, deadline=None)
@given(wl=workloads, seed=st.integers(0, 2 ** 16))
def test_partial_tiling_bound_is_below_every_completion(wl, seed):
    """``Bound(fixed_through=1)``: rf and l1 (with the fan-out) fixed, the rest of each
    dimension parked at DRAM; every split between glb and DRAM and every order costs more."""
    model = Model(ARCH, wl, TABLES)
    keep = (frozenset({"Weights", "Inputs"}), frozenset({"Outputs"}),
            frozenset({"Inputs", "Outputs", "Weights"}), frozenset(wl.ds_names))
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 6)
    parked = temporal.copy()
    parked[:, 3] *= parked[:, 2]
    parked[:, 2] = 1
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, parked, spatial), Bound(fixed_through=1))
    for i in range(len(temporal)):
        # every split of the parked factors between glb and DRAM
        splits = [factorizations(int(parked[i, 3, j]), [(1, 99)] * 2) for j in range(len(DIMS))]
        rows = np.array([np.concatenate(c) for c in itertools.product(*splits)])
        t = np.repeat(temporal[i:i + 1], len(rows), axis=0)
        t[:, 2], t[:, 3] = rows[:, 0::2], rows[:, 1::2]
        s = np.repeat(spatial[i:i + 1], len(rows), axis=0)
        _, energy, cycles = minima_over_orders(model, t, s, keep, (DIMS, DIMS))
        assert bound.energy[i] <= energy.min() * (1 + 1e-12)
        assert bound.cycles[i] <= cycles.min()



def parked_partial_tiling(wl: Workload, rng: np.random.Generator, through: int,
                          fanout_at: int = 1):
    """A random partial tiling fixed through level ``through``, every spatial factor fixed
    (the fan-out of level ``fanout_at``, l1's by default: 2 in X, or none): (temporal (4, D)
    of the fixed levels, spatial (4, D), the remaining bound per dimension, the parked form
    with that remainder at DRAM)."""
    bounds = np.array([wl.bounds[d] for d in DIMS])
    spatial = np.ones((4, len(DIMS)), np.int64)
    j = rng.integers(len(DIMS))
    if bounds[j] % 2 == 0 and rng.random() < 0.8:
        spatial[fanout_at, j] = 2
    rest = bounds // spatial.prod(axis=0)
    temporal = np.ones((4, len(DIMS)), np.int64)
    for k in range(through + 1):
        for jj in range(len(DIMS)):
            f = rng.choice([x for x in range(1, rest[jj] + 1) if rest[jj] % x == 0])
            temporal[k, jj] = f
            rest[jj] //= f
    parked = temporal.copy()
    parked[3] = rest
    return temporal, spatial, rest, parked


def temporal_completions(model, keep, temporal_fixed, spatial, through, rest):
    """Every split of ``rest`` (D,) among the temporal loops of the levels above ``through``
    and every distinct loop order of those levels, evaluated: (the open levels' orders,
    their results) per pattern of non-unit loops. The temporal factors of levels through
    ``through`` (``temporal_fixed`` (4, D)) and every spatial factor (``spatial`` (4, D))
    as given."""
    from mapper.mapspace.orders import level_orders
    open_levels = list(range(through + 1, 4))
    n = len(open_levels)
    per_dim = [factorizations(int(rest[j]), [(1, 99)] * n) for j in range(len(DIMS))]
    rows = np.array([np.concatenate(c) for c in itertools.product(*per_dim)])
    B = len(rows)
    t = np.repeat(temporal_fixed[None], B, axis=0)
    for i, k in enumerate(open_levels):
        t[:, k] = rows[:, i::n]
    s = np.repeat(spatial[None], B, axis=0)
    pattern = (t[:, open_levels] > 1).reshape(B, -1)
    for p in np.unique(pattern, axis=0):
        g = np.flatnonzero((pattern == p).all(axis=1))
        nonunit = [tuple(d for j, d in enumerate(DIMS) if t[g[0], k, j] > 1) for k in open_levels]
        for orders in itertools.product(*(level_orders(x, DIMS, None) for x in nonunit)):
            sk = Skeleton(DIMS, (DIMS,) * (4 - n) + orders, (DIMS,) * 4, (len(DIMS),) * 4, keep)
            yield orders, nonunit, model.evaluate(MappingBatch(sk, t[g], s[g]))


def minimum_over_temporal_completions(model, keep, temporal_fixed, spatial, through, rest):
    """The least energy and cycles over :func:`temporal_completions`."""
    energy, cycles = np.inf, np.inf
    for _, _, r in temporal_completions(model, keep, temporal_fixed, spatial, through, rest):
        energy = min(energy, r.energy.min())
        cycles = min(cycles, r.cycles.min())
    return energy, cycles


small_workloads = st.builds(conv1d, R=st.sampled_from([1, 2, 3]), P=st.sampled_from([2, 4]),
                            C=st.sampled_from([1, 2]), M=st.sampled_from([1, 2, 4]),
                            stride=st.sampled_from([1, 2]))


@settings(max_examples=12, deadline=None)
@given(wl=small_workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([-1, 0, 1]))
def test_parked_bound_with_every_spatial_factor_fixed_is_below_every_completion(
        wl, keep, seed, through):
    """``Bound(fixed_through=k)`` with every spatial factor fixed, those above k included
    (the optimal search fixes the spatial factors first): the temporal factors of the levels
    above k are parked at DRAM; every split of them among those levels, in every order, costs
    at least the bound. k = -1: only the spatial factors are fixed."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    for _ in range(2):
        temporal, spatial, rest, parked = parked_partial_tiling(wl, rng, through)
        sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
        bound = model.evaluate(MappingBatch(sk, parked[None], spatial[None]),
                               Bound(fixed_through=through))
        energy, cycles = minimum_over_temporal_completions(model, keep, temporal, spatial,
                                                           through, rest)
        assert bound.energy[0] <= energy * (1 + 1e-12)
        assert bound.cycles[0] <= cycles


@settings(max_examples=12, deadline=None)
@given(wl=small_workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([0, 1]))
def test_parked_bound_with_the_innermost_open_loop_given_is_below_those_completions(
        wl, keep, seed, through):
    """``Bound(fixed_through=k, innermost=(3, d))``: d is the innermost of the open loops
    (parked at DRAM, the outermost level), wherever a completion puts them. For every d, the
    bound is at most the energy and cycles of every split of the parked factors among the
    open levels and every order whose innermost open non-unit loop is d (brute force)."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    temporal, spatial, rest, parked = parked_partial_tiling(wl, rng, through)
    energy = {d: np.inf for d in DIMS}
    cycles = {d: np.inf for d in DIMS}
    for orders, nonunit, r in temporal_completions(model, keep, temporal, spatial, through,
                                                   rest):
        first = next((next(d for d in o if d in x) for o, x in zip(orders, nonunit) if x),
                     None)
        if first is not None:
            energy[first] = min(energy[first], r.energy.min())
            cycles[first] = min(cycles[first], r.cycles.min())
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    for d in DIMS:
        if energy[d] == np.inf:
            continue
        bound = model.evaluate(MappingBatch(sk, parked[None], spatial[None]),
                               Bound(fixed_through=through, innermost=(3, d)))
        assert bound.energy[0] <= energy[d] * (1 + 1e-12), d
        assert bound.cycles[0] <= cycles[d], d


def lower_bound_per_dimension(db, k, tile, ranks, temporal, spatial):
    """The delta-sum bound of ``DeltaBound.lower_bound`` written plainly, one candidate
    innermost loop at a time (the reference the vectorized form is checked against)."""
    above = temporal[k + 1:]
    B = tile.shape[0]
    if above.shape[0] == 0 or not db.valid:
        return tile.copy()
    nonunit = above > 1
    level_any = nonunit.any(axis=1)
    has = level_any.any(axis=0)
    if not has.any():
        return tile.copy()
    N = above.reshape(-1, B).prod(axis=0)
    L1 = np.argmax(level_any, axis=0)
    columns = np.arange(B)
    extent = np.prod(temporal[: k + 1] * spatial[: k + 1], axis=0)
    step = extent * np.cumprod(spatial[k + 1:], axis=0)[L1, :, columns].T
    first = nonunit[L1, :, columns].T
    movable = nonunit.any(axis=0)
    cancels = db.multi[:, None] & ((db.touches[:, :, None] & movable[None]).sum(axis=1) >= 2)
    best = np.full(B, np.iinfo(np.int64).max)
    for da in range(db.A.shape[1]):
        Ra = set(db.ranks_of[da].tolist())
        overlap = np.ones(B, dtype=np.int64)
        for r, row in enumerate(ranks):
            overlap *= np.maximum(row - db.A[r, da] * step[da], 0) if r in Ra else row
        for b in range(B):
            if not (has[b] and first[da, b]):
                continue
            # the compatible loops: every rank they move outside Ra can cancel
            compatible = [all(r in Ra or cancels[r, b] for r in range(len(db.A))
                              if db.touches[r, d]) for d in range(db.A.shape[1])]
            members, prefix = 1, True
            for lvl in range(above.shape[0]):
                if not prefix:
                    break
                for d in range(db.A.shape[1]):
                    if nonunit[lvl, d, b] and compatible[d] and \
                            all(db.touches[r, d] for r in Ra):
                        members *= int(above[lvl, d, b])
                prefix = all(compatible[d] for d in range(db.A.shape[1]) if nonunit[lvl, d, b])
            full = int(tile[b]) * int(N[b])
            value = full - int(overlap[b]) * (int(N[b]) - int(N[b]) // members)
            best[b] = min(best[b], value)
    return np.where(has, best, tile)


@settings(max_examples=30, deadline=None)
@given(wl=workloads, seed=st.integers(0, 2 ** 16), k=st.sampled_from([0, 1, 2]))
def test_lower_bound_equals_the_per_mapping_reference(wl, seed, k):
    from mapper.model.bound import DeltaBound
    from mapper.model.nest import product_rows, rank_extents
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 16)
    t, s = temporal.transpose(1, 2, 0), spatial.transpose(1, 2, 0)
    for ds in wl.data_spaces:
        A = ds.projection(DIMS)
        db = DeltaBound(A)
        box = np.prod(t[: k + 1] * s[: k + 1], axis=0)
        ranks = rank_extents(A, box)
        tile = product_rows(ranks)
        got = db.lower_bound(k, tile, list(ranks), LoopsAbove(t, s))
        want = lower_bound_per_dimension(db, k, tile, list(ranks), t, s)
        assert (got == want).all(), ds.name


#: the same hierarchy with small buffers, so that the capacity floor of an open level binds
ARCH_SMALL = arch(level("DRAM"), level("glb", depth=24), level("l1", depth=10),
                  level("rf", instances=2, mesh=(2, 1), depth=4), macs=2)
#: and with vector accesses of 2 and 4 words (the joint floor's rounding slack)
ARCH_SMALL_BLOCKS = arch(level("DRAM", block=4), level("glb", depth=12, block=2),
                         level("l1", depth=10), level("rf", instances=2, mesh=(2, 1), depth=4),
                         macs=2)


@settings(max_examples=30, deadline=None)
@given(wl=small_workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([-1, 0, 1]),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
def test_capacity_floor_is_below_every_completion_that_fits(wl, keep, seed, through, hierarchy):
    """``Bound(fixed_through=k)`` with the capacity floor of the open levels (FillFloor) and
    the joint floor of the data spaces they keep (floors.py): every completion that fits
    every buffer costs at least the bound, per data space and level in fills, and in energy
    and cycles."""
    bound_below_every_fitting_completion(hierarchy, wl, keep, seed, through)


#: keep sets where a level's joint floor binds: the glb keeps Inputs and Outputs while the
#: Weights pass it to l1 (as simba_like's global buffer), or the Inputs pass it (with stride
#: gaps: then they are left out), or the glb keeps everything
JOINT_KEEPS = [({"Outputs"}, {"Weights"}, {"Inputs", "Outputs"}),
               ({"Outputs"}, {"Weights", "Inputs"}, {"Inputs", "Outputs"}),
               ({"Outputs"}, {"Inputs"}, {"Weights", "Inputs", "Outputs"}),
               ({"Outputs"}, {"Inputs"}, {"Weights", "Outputs"}),
               # kept below l1's fan-out: multicast and links between the rf's
               ({"Weights", "Outputs"}, {"Outputs"}, {"Inputs", "Outputs"}),
               ({"Inputs", "Outputs"}, {"Outputs"}, {"Weights", "Outputs"}),
               # partial sums pass the glb between the l1 and DRAM (read and updated there)
               ({"Outputs"}, {"Weights", "Outputs"}, {"Weights", "Inputs"}),
               ({"Outputs"}, {"Inputs"}, {"Inputs"}),
               # the glb serves the rf's across l1's fan-out (its joint floor takes what it
               # serves where the rf's have distinct words)
               ({"Weights", "Inputs"}, {"Outputs"}, {"Weights", "Inputs", "Outputs"})]
#: layers whose tiles do not all fit the small buffers at once
tense_workloads = st.builds(conv1d, R=st.sampled_from([1, 3]), P=st.sampled_from([4, 8]),
                            C=st.sampled_from([2, 4]), M=st.sampled_from([2, 4]),
                            stride=st.sampled_from([1, 2]))


@settings(max_examples=30, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS), seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([0, 1]),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
def test_joint_floor_is_below_every_completion_that_fits(wl, keep, seed, through, hierarchy):
    """The joint floor of an open level (floors.py), where it binds: the data spaces the glb
    keeps and the Weights that pass it on their way from DRAM to l1 share the glb's tile;
    every completion that fits costs at least the raised energy bound."""
    bound_below_every_fitting_completion(hierarchy, wl, keep, seed, through)


@settings(max_examples=30, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS), seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([0, 1]),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
def test_joint_floor_is_below_the_weighted_words_of_every_completion(wl, keep, seed, through,
                                                                     hierarchy):
    """The joint floor itself: every completion that fits spends at least ``J`` pJ on the
    words new to the glb's tile, ``sum_i a_i x_i`` with ``x_i`` the glb's fills of a kept
    data space and DRAM's reads of a passing one (both before read-write data's first
    touches)."""
    joint_floor_below_the_weighted_words(hierarchy, wl, keep, seed, through, 2)


def joint_floor_below_the_weighted_words(hierarchy, wl, keep, seed, through, k, fanout_at=1,
                                         passing_at=None):
    """Open level k's joint floor ``J`` against ``sum_i a_i x_i`` of every completion that
    fits: ``x_i`` k's fills of a kept data space, and of a passing one its next keeper's
    reads per group of k's instances under that keeper (both before read-write data's first
    touches), and k's reads and updates of what it serves below. ``passing_at``: where the
    floors take passing data (default: the lowest open level)."""
    model, keep, (temporal, spatial, rest, parked), floors = open_level_floors(
        hierarchy, wl, keep, seed, through, fanout_at, passing_at)
    got = floors.joint_floor(k)
    if got is None or not np.isfinite(got[0][0]):
        return
    joint, (weights,), (served,) = got[0][0], got[1], got[2]
    level = floors.level_groups(k)
    ups = level.up_groups[level.inverse[0]]
    for r in completions(model, wl, keep, temporal, spatial, rest, through):
        words = 0.0
        for i, a in weights.items():
            ds = wl.data_spaces[i]
            c = r.counts[ds.name]
            if i in floors.passing[k]:
                p = floors.passing[k][i]
                x = (c.reads[p] + (c.partition[p] if ds.read_write else 0)) / ups[i]
            else:
                x = c.fills[k] + (c.partition[k] if ds.read_write else 0)
            words = words + a * x
        for i, (a_read, a_update) in served.items():
            ds = wl.data_spaces[i]
            c = r.counts[ds.name]
            reads = c.reads[k] + (c.partition[k] if ds.read_write else 0)
            words = words + a_read * reads + a_update * c.updates[k]
        assert (joint <= words[r.valid] * (1 + 1e-12)).all()


#: keep sets where data passes the lowest open level on its way from a fixed keeper below to
#: DRAM or the glb: what the parent serves that keeper includes the words that re-enter it
PASSING_KEEPS = [({"Outputs"}, {"Inputs"}, {"Inputs"}),
                 ({"Outputs"}, {"Weights"}, {"Outputs", "Inputs"}),
                 ({"Outputs"}, {"Weights", "Outputs"}, {"Weights", "Inputs"}),
                 ({"Outputs"}, {"Outputs"}, {"Weights", "Inputs"}),
                 ({"Outputs", "Weights"}, {"Outputs"}, {"Weights", "Inputs"}),
                 ({"Outputs", "Inputs"}, {"Weights"}, {"Weights", "Inputs"})]


@settings(max_examples=40, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(PASSING_KEEPS), seed=st.integers(0, 2 ** 16),
       through=st.sampled_from([0, 1]),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
# found by a search with the keeper's capacity left out of the served words (each fails
# then): partial sums passing l1, then the glb, on their way from the rf to DRAM
@example(wl=conv1d(R=3, P=4, C=4, M=4, stride=1), keep=PASSING_KEEPS[0], seed=32877,
         through=0, hierarchy=ARCH_SMALL_BLOCKS)
@example(wl=conv1d(R=3, P=4, C=2, M=4, stride=2), keep=PASSING_KEEPS[0], seed=31753,
         through=0, hierarchy=ARCH_SMALL_BLOCKS)
@example(wl=conv1d(R=1, P=4, C=4, M=2, stride=2), keep=PASSING_KEEPS[1], seed=55593,
         through=1, hierarchy=ARCH_SMALL)
def test_passing_data_re_entering_its_keeper_is_below_every_completion(wl, keep, seed, through,
                                                                      hierarchy):
    """Data passing the lowest open level from its fixed keeper below joins the level's joint
    floor with what the parent serves that keeper, the words new to the level's tile or
    those re-entering the keeper (``FillFloor.served_words``) if more: every completion that
    fits costs at least the raised bound."""
    bound_below_every_fitting_completion(hierarchy, wl, keep, seed, through)


#: l1 across the glb's fan-out (2 in X; one rf per l1): with l1 the lowest open level, the
#: next keeper above of its data lies across a fan-out
ARCH_FAN_ABOVE = arch(level("DRAM"), level("glb", depth=24), level("l1", instances=2,
                                                                   mesh=(2, 1), depth=10),
                      level("rf", instances=2, mesh=(2, 1), depth=4), macs=2)


@settings(max_examples=40, deadline=None)
@given(wl=tense_workloads, keep=st.one_of(st.sampled_from(JOINT_KEEPS + PASSING_KEEPS), keeps),
       seed=st.integers(0, 2 ** 16), through=st.sampled_from([0, 1]))
# found by a search with the glb's fan-out counted as distinct groups whatever it spreads
@example(wl=conv1d(R=3, P=4, C=4, M=2, stride=2), keep=({"Weights", "Inputs"}, {"Outputs"},
                                                        {"Inputs"}), seed=33529, through=0)
def test_joint_floor_across_a_fan_out_above_is_below_every_completion(wl, keep, seed,
                                                                      through):
    """The joint floor of l1 (the lowest open level with the rf fixed), whose next keepers
    above lie across the glb's fan-out: the parent's reads count once per group of l1's
    instances that take distinct words (``OpenLevelFloors._weights``); every completion that
    fits costs at least the raised bound."""
    bound_below_every_fitting_completion(ARCH_FAN_ABOVE, wl, keep, seed, through, fanout_at=2)


@settings(max_examples=30, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS + PASSING_KEEPS),
       seed=st.integers(0, 2 ** 16))
def test_joint_floor_across_a_fan_out_above_is_below_the_weighted_words(wl, keep, seed):
    """l1's joint floor itself (rf fixed, the glb's fan-out above l1): every completion that
    fits spends at least ``J`` on the words new to l1's tile, l1's fills of a kept data space
    and, of a passing one, its next keeper's reads per group of l1's instances."""
    joint_floor_below_the_weighted_words(ARCH_FAN_ABOVE, wl, keep, seed, 0, 1, fanout_at=2)


def test_parked_loops_may_land_below_a_fan_out():
    """The rf (fixed) keeps Inputs, l1 is open below the glb's fan-out over P: a completion
    may put a P loop at l1, inside that fan-out, where its step is 1, not the 2 of a loop
    above it. The parked form bounded the rf's fills as if every open loop were above the
    fan-out (18, where this completion fills 16; found by hypothesis on ARCH_FAN_ABOVE): the
    parked loops' step is now the one at the lowest open level that can hold them."""
    wl = conv1d(R=3, P=8, C=2, M=2, stride=1)
    keep = ({"Inputs"}, {"Inputs", "Weights"}, {"Weights"})
    bound_below_every_fitting_completion(ARCH_FAN_ABOVE, wl, keep, 18532, 0, fanout_at=2)


@settings(max_examples=40, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS + PASSING_KEEPS),
       seed=st.integers(0, 2 ** 16),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS, ARCH_FAN_ABOVE]))
def test_passing_data_at_the_highest_open_level_is_below_the_weighted_words(wl, keep, seed,
                                                                           hierarchy):
    """Data passing both open levels (l1 and the glb, the rf fixed) on its way to DRAM may
    join the glb's joint floor instead of l1's (``PassingAt.HIGHEST``): every completion that
    fits spends at least the glb's ``J`` on the words new to the glb's tile, DRAM's reads of
    the passing data per group among them."""
    from mapper.model.floors import PassingAt
    joint_floor_below_the_weighted_words(hierarchy, wl, keep, seed, 0, 2,
                                         2 if hierarchy is ARCH_FAN_ABOVE else 1,
                                         PassingAt.HIGHEST)


@settings(max_examples=40, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS + PASSING_KEEPS),
       seed=st.integers(0, 2 ** 16),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS, ARCH_FAN_ABOVE]))
def test_tile_bound_is_below_every_completion_with_that_tile(wl, keep, seed, hierarchy):
    """``Model.tile_bound`` of a partial tiling fixed through l1 (the glb and DRAM open): for
    each completion, its bound with the glb's joint floor taken at the completion's own glb
    tile is at most the completion's energy, in every order of the open levels, and at least
    the partial tiling's own bound (the floor at one tile is no less than the least over the
    tiles that fit)."""
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    fanout_at = 2 if hierarchy is ARCH_FAN_ABOVE else 1
    temporal, spatial, rest, parked = parked_partial_tiling(wl, np.random.default_rng(seed), 1,
                                                            fanout_at)
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    tile = model.tile_bound(MappingBatch(sk, parked[None], spatial[None]), Bound(fixed_through=1))
    for r in completions(model, wl, keep, temporal, spatial, rest, 1):
        extents = (r.batch.temporal[:, :3] * r.batch.spatial[:, :3]).prod(axis=1).T    # (D, n)
        energy = tile.energy(2, np.zeros(len(r), dtype=np.int64), extents)
        assert (energy >= tile.result.energy[0] * (1 - 1e-12)).all()
        assert (energy[r.valid] <= r.energy[r.valid] * (1 + 1e-12)).all()


def test_passing_data_is_counted_by_one_open_level_only():
    """Inputs kept by the rf (fixed) and DRAM pass both open levels, l1 and glb: when both
    joint floors counted DRAM's reads of them, the bound exceeded a completion that fits
    (hypothesis found it); one open level counts them now, the lowest or the highest."""
    wl = conv1d(R=3, P=4, C=2, M=2, stride=1)
    keep = ({"Inputs", "Outputs"}, {"Outputs"}, {"Outputs", "Weights"})
    bound_below_every_fitting_completion(ARCH_SMALL, wl, keep, 377, 0)


@settings(max_examples=25, deadline=None)
@given(wl=tense_workloads, keep=st.one_of(st.sampled_from(JOINT_KEEPS), keeps),
       seed=st.integers(0, 2 ** 16), through=st.sampled_from([0, 1]),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
def test_partial_innermost_excess_is_below_the_completions_with_that_loop(
        wl, keep, seed, through, hierarchy):
    """``Bound(fixed_through=k, innermost_excess=(1.., k, 3))`` with the capacity and joint
    floors: for the parked level (3: d innermost of the open loops) and each fixed level
    L >= 1 (d innermost at L), the bound's energy plus d's excess is at most the energy of
    every completion that fits, split among the open levels in every order, whose
    innermost loop there is d (the fixed levels in the order ``DIMS``)."""
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial, rest, parked = parked_partial_tiling(wl, np.random.default_rng(seed),
                                                            through)
    levels = (*range(1, through + 1), 3)
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, parked[None], spatial[None]),
                           Bound(fixed_through=through, innermost_excess=levels))
    excess = bound.innermost_excess[:, :, 0]                              # (n, D)
    for orders, nonunit, r in temporal_completions(model, keep, temporal, spatial, through,
                                                   rest):
        fit = r.valid
        for n, L in enumerate(levels):
            if L == 3:                         # the innermost of the open loops
                first = next((next(d for d in o if d in x) for o, x in zip(orders, nonunit)
                              if x), None)
                if first is None:
                    continue
                need = bound.energy[0] + excess[n, DIMS.index(first)]
                assert (need <= r.energy[fit] * (1 + 1e-12)).all(), (L, first)
            else:
                here = temporal[L] > 1
                if not here.any():
                    continue
                first = DIMS[int(np.argmax(here))]     # the fixed level's order is DIMS
                need = bound.energy[0] + excess[n, DIMS.index(first)]
                assert (need <= r.energy[fit] * (1 + 1e-12)).all(), (L, first)


@settings(max_examples=30, deadline=None)
@given(wl=tense_workloads, keep=st.sampled_from(JOINT_KEEPS), seed=st.integers(0, 2 ** 16),
       hierarchy=st.sampled_from([ARCH_SMALL, ARCH_SMALL_BLOCKS]))
def test_served_words_are_below_what_every_completion_serves(wl, keep, seed, hierarchy):
    served_words_below_every_completion(wl, keep, seed, hierarchy)


#: rf's that can hold a whole share of the glb's tile (words served once per visit or less)
ARCH_LARGE_RF = arch(level("DRAM"), level("glb", depth=24), level("l1", depth=10),
                     level("rf", instances=2, mesh=(2, 1), depth=16), macs=2)


@settings(max_examples=30, deadline=None)
@given(wl=tense_workloads, seed=st.integers(0, 2 ** 16))
def test_served_words_across_a_fan_out(wl, seed):
    """The same where the glb serves the rf's across l1's fan-out, with rf's large enough to
    keep words from one visit to the next: the fan-out's multicast (a dimension the data
    space does not project on) must leave the data space out."""
    served_words_below_every_completion(wl, JOINT_KEEPS[-1], seed, ARCH_LARGE_RF)


def served_words_below_every_completion(wl, keep, seed, hierarchy):
    """``FillFloor.served_words`` with the groups of ``floors.distinct_groups`` and the
    words c holds at most (its fixed tile's, within its capacity), for every data space with
    a keeper c below the glb (the lowest open level; l1 and the rf fixed) and no link to
    serve c's instances: every completion that fits serves c at least
    the words bounded for its own glb tile and DRAM trips, from the glb where it keeps the
    data space, else from DRAM through it, in reads (plus the partition, for read-write
    data) and in updates."""
    from mapper.model.bound import FillFloor, ServedChild
    from mapper.model.floors import distinct_groups
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial, rest, parked = parked_partial_tiling(wl, np.random.default_rng(seed), 1)
    children = {}
    for i, ds in enumerate(wl.data_spaces):
        below = [j for j in range(2) if ds.name in keep[j]]
        if not below:
            continue
        c = max(below)
        A = ds.projection(DIMS)
        groups, unlinked = distinct_groups(A, spatial[c + 1: 3].prod(axis=0)[:, None],
                                           np.array([wl.bounds[d] for d in DIMS]))
        if unlinked[0]:
            server = 2 if ds.name in keep[2] else 3
            # c holds at most its tile (fixed) when a visit begins, and no more than fits
            tile = (temporal[: c + 1] * spatial[: c + 1]).prod(axis=0)
            held = int(np.prod([1 + sum(abs(int(a)) * (int(e) - 1) for a, e in zip(row, tile))
                                for row in A]))        # the hull of each rank
            capacity = hierarchy.storage[c].effective_capacity
            children[i] = (server, ServedChild(int(groups[0]), held if capacity is None
                                               else min(held, capacity), 1.0))
    for r in completions(model, wl, keep, temporal, spatial, rest, 1):
        E = (r.batch.temporal[:, :3] * r.batch.spatial[:, :3]).prod(axis=1).T     # (D, n)
        sweeps = r.batch.temporal[:, 3].prod(axis=1)
        for i, (p, child) in children.items():
            ds = wl.data_spaces[i]
            c = r.counts[ds.name]
            words = FillFloor.served_words(ds.projection(DIMS), E, sweeps, child)
            reads = c.reads[p] + (c.partition[p] if ds.read_write else 0)
            assert (words[r.valid] <= reads[r.valid]).all(), ds.name
            if ds.read_write:
                assert (words[r.valid] <= c.updates[p][r.valid]).all(), ds.name


def open_level_floors(hierarchy, wl, keep, seed, through, fanout_at=1, passing_at=None):
    """A random partial tiling fixed through level ``through`` (:func:`parked_partial_tiling`)
    and the floors of its open levels: (model, keep sets, the tiling, OpenLevelFloors)."""
    from mapper.model.floors import OpenLevelFloors, PassingAt
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    tiling = parked_partial_tiling(wl, np.random.default_rng(seed), through, fanout_at)
    _, spatial, _, parked = tiling
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    energies = model.evaluate(MappingBatch(sk, parked[None], spatial[None])).energies
    floors = OpenLevelFloors(model.floors, keep, energies, parked[None].transpose(1, 2, 0),
                             spatial[None].transpose(1, 2, 0), through,
                             passing_at or PassingAt.LOWEST)
    return model, keep, tiling, floors


def completions(model, wl, keep, temporal, spatial, rest, through):
    """Every completion of a partial tiling (the ``rest`` of each dimension split among the
    levels above ``through``), every order of the open levels: one result per pattern of
    non-unit loops and orders."""
    from mapper.mapspace.orders import level_orders
    open_levels = list(range(through + 1, 4))
    n = len(open_levels)
    per_dim = [factorizations(int(rest[jj]), [(1, 99)] * n) for jj in range(len(DIMS))]
    rows = np.array([np.concatenate(c) for c in itertools.product(*per_dim)])
    t = np.repeat(temporal[None], len(rows), axis=0)
    for i, k in enumerate(open_levels):
        t[:, k] = rows[:, i::n]
    s = np.repeat(spatial[None], len(rows), axis=0)
    pattern = (t[:, open_levels] > 1).reshape(len(t), -1)
    for p in np.unique(pattern, axis=0):
        g = np.flatnonzero((pattern == p).all(axis=1))
        nonunit = [tuple(d for jj, d in enumerate(DIMS) if t[g[0], k, jj] > 1)
                   for k in open_levels]
        for orders in itertools.product(*(level_orders(x, DIMS, None) for x in nonunit)):
            sk = Skeleton(DIMS, (DIMS,) * (4 - n) + orders, (DIMS,) * 4, (len(DIMS),) * 4, keep)
            yield model.evaluate(MappingBatch(sk, t[g], s[g]))


def bound_below_every_fitting_completion(hierarchy, wl, keep, seed, through, fanout_at=1):
    """Every completion of a random partial tiling fixed through level ``through`` that fits
    every buffer has at least the bound's fills, energy and cycles."""
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial, rest, parked = parked_partial_tiling(wl, np.random.default_rng(seed),
                                                            through, fanout_at)
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, parked[None], spatial[None]),
                           Bound(fixed_through=through))
    for r in completions(model, wl, keep, temporal, spatial, rest, through):
        fit = r.valid
        for name, c in r.counts.items():
            assert (bound.counts[name].fills[:, 0][:, None] <= c.fills[:, fit]).all(), name
        assert (bound.energy[0] <= r.energy[fit] * (1 + 1e-12)).all()
        assert (bound.cycles[0] <= r.cycles[fit]).all()


#: the same levels, with the fan-out from the rf to the MACs (level 0 spatial): which carries
#: leave a MAC's word in place (links from a neighbour) is seen over every temporal loop
ARCH_L0 = arch(level("DRAM"), level("glb", read_bandwidth=2.0), level("l1"), level("rf"), macs=2)


def level0_fanout_tilings(wl: Workload, rng: np.random.Generator, n: int):
    """(temporal, spatial) (n, 4, D): every dimension over rf X (the fan-out to the MACs),
    rf T, l1 T, glb T, DRAM T."""
    temporal, spatial = random_tilings(wl, rng, n)
    spatial[:, 0], spatial[:, 1] = spatial[:, 1], 1
    return temporal, spatial


@settings(max_examples=10, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16))
def test_bound_with_a_fan_out_from_level_0_is_below_every_loop_order(wl, keep, seed):
    """Every order of every level (level 0's too) against ``Bound()`` (all open) and
    ``Bound(exact_from=1)`` (only level 0's order open): reads, fills, updates, energy and
    cycles of the bound are at most the model's."""
    model = Model(ARCH_L0, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    rng = np.random.default_rng(seed)
    temporal, spatial = level0_fanout_tilings(wl, rng, 16)
    perms = list(itertools.permutations(DIMS))
    outer = [tuple(perms[i] for i in rng.integers(len(perms), size=3)) for _ in range(4)]
    for rest in outer:
        fixed = Skeleton(DIMS, (DIMS,) + rest, (DIMS,) * 4, (len(DIMS),) * 4, keep)
        bounds = [model.evaluate(MappingBatch(fixed, temporal, spatial), Bound()),
                  model.evaluate(MappingBatch(fixed, temporal, spatial), Bound(exact_from=1))]
        for inner in perms:
            sk = Skeleton(DIMS, (inner,) + rest, (DIMS,) * 4, (len(DIMS),) * 4, keep)
            r = model.evaluate(MappingBatch(sk, temporal, spatial))
            for b in bounds:
                for name, c in b.counts.items():
                    got = r.counts[name]
                    for field in ("reads", "fills", "updates"):
                        assert (getattr(c, field) <= getattr(got, field)).all(), (name, field)
                assert (b.energy <= r.energy * (1 + 1e-12)).all()
                assert (b.cycles <= r.cycles).all()


def loop_orders(draw_perm, inner: int, outer: int) -> LoopOrder:
    return LoopOrder(tuple(draw_perm[:inner]), tuple(draw_perm[len(draw_perm) - outer:]))


order_constraints = st.one_of(st.none(), st.builds(
    loop_orders, st.permutations(DIMS).map(tuple), st.integers(0, 3), st.integers(0, 1)))


def allowed(order: LoopOrder | None, perm: tuple[str, ...], nonunit: np.ndarray) -> np.ndarray:
    """(B,) whether each mapping's non-unit loops (``nonunit`` (B, D)) in ``perm`` satisfy
    the permutation constraint (what the search's validity check asks)."""
    return np.array([order_allows(order, len(DIMS), len(DIMS),
                                  [d for d in perm if row[DIMS.index(d)]]) for row in nonunit])


def innermost_is(perm: tuple[str, ...], dim: str, nonunit: np.ndarray) -> np.ndarray:
    """(B,) whether ``dim`` is the innermost non-unit loop of ``perm``."""
    return np.array([next((d for d in perm if row[DIMS.index(d)]), None) == dim
                     for row in nonunit])


@settings(max_examples=15, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16), glb=order_constraints,
       dram=order_constraints, pin=st.one_of(st.none(), st.tuples(st.sampled_from([2, 3]),
                                                                   st.sampled_from(DIMS))))
def test_bound_under_permutation_constraints_is_below_every_allowed_order(wl, keep, seed, glb,
                                                                          dram, pin):
    """``Bound(orders=..., innermost=(L, d))`` (glb and DRAM orders open; rf and l1 fixed):
    at most the model's figures for every (glb, DRAM) order the constraints allow whose
    innermost non-unit loop at level L is d. Brute force over all 24 x 24 orders."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 16)
    constraints = (None, None, glb, dram)
    B = len(temporal)
    fills = {n: np.full((4, B), np.iinfo(np.int64).max) for n in wl.ds_names}
    energy, cycles = np.full(B, np.inf), np.full(B, np.inf)
    perms = list(itertools.permutations(DIMS))
    for orders in itertools.product(perms, perms):
        ok = np.ones(B, dtype=bool)
        for at, order in zip((2, 3), orders):
            nonunit = temporal[:, at] > 1
            ok &= allowed(constraints[at], order, nonunit)
            if pin is not None and pin[0] == at:
                ok &= innermost_is(order, pin[1], nonunit)
        if not ok.any():
            continue
        sk = Skeleton(DIMS, (DIMS, DIMS) + orders, (DIMS,) * 4, (len(DIMS),) * 4, keep)
        r = model.evaluate(MappingBatch(sk, temporal, spatial))
        for n, c in r.counts.items():
            fills[n][:, ok] = np.minimum(fills[n][:, ok], c.fills[:, ok])
        energy[ok] = np.minimum(energy[ok], r.energy[ok])
        cycles[ok] = np.minimum(cycles[ok], r.cycles[ok])
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, temporal, spatial),
                           Bound(orders=constraints, innermost=pin))
    for name, counts in bound.counts.items():
        assert (counts.fills <= fills[name]).all(), name
    assert (bound.energy <= energy * (1 + 1e-12)).all()
    assert (bound.cycles <= cycles).all()


#: ARCH with vector accesses of 4 and 2 words at DRAM and glb (the excess's rounding slack)
ARCH_BLOCKS = arch(level("DRAM", block=4), level("glb", read_bandwidth=2.0, block=2),
                   level("l1"), level("rf", instances=2, mesh=(2, 1)), macs=2)


@settings(max_examples=15, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16), glb=order_constraints,
       dram=order_constraints, level_=st.sampled_from([1, 2, 3]),
       hierarchy=st.sampled_from([ARCH, ARCH_BLOCKS]))
def test_innermost_excess_is_below_every_order_with_that_innermost_loop(
        wl, keep, seed, glb, dram, level_, hierarchy):
    """``Bound(innermost_excess=(L,))`` on whole tilings: for each dimension d, the bound's
    energy plus d's excess is at most the energy of every allowed (glb, DRAM) order whose
    innermost non-unit loop at L is d (at l1, whose order is ``DIMS``: the rf's fills
    and l1's multicast reads), and the excess is infinite exactly where no allowed order
    has d there. Brute force over all 24 x 24 orders."""
    model = Model(hierarchy, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 16)
    constraints = (None, None, glb, dram)
    B = len(temporal)
    least = np.full((len(DIMS), B), np.inf)             # per innermost dimension at L
    perms = list(itertools.permutations(DIMS))
    for orders in itertools.product(perms, perms):
        ok = np.ones(B, dtype=bool)
        for at, order in zip((2, 3), orders):
            ok &= allowed(constraints[at], order, temporal[:, at] > 1)
        if not ok.any():
            continue
        sk = Skeleton(DIMS, (DIMS, DIMS) + orders, (DIMS,) * 4, (len(DIMS),) * 4, keep)
        r = model.evaluate(MappingBatch(sk, temporal, spatial))
        for j, d in enumerate(DIMS):
            order = DIMS if level_ == 1 else orders[level_ - 2]     # l1's order: DIMS
            mine = ok & innermost_is(order, d, temporal[:, level_] > 1)
            least[j, mine] = np.minimum(least[j, mine], r.energy[mine])
    sk = Skeleton(DIMS, (DIMS,) * 4, (DIMS,) * 4, (len(DIMS),) * 4, keep)
    bound = model.evaluate(MappingBatch(sk, temporal, spatial),
                           Bound(orders=constraints, innermost_excess=(level_,)))
    excess, = bound.innermost_excess
    some = (temporal[:, level_] > 1).any(axis=1)         # else no loop at L: no innermost
    got = bound.energy[None] + excess
    assert (got[:, some] <= least[:, some] * (1 + 1e-12)).all()
    if level_ >= 2:                        # every order of L met: the same candidates
        claimed = excess.any(axis=0)
        assert (np.isinf(excess[:, some & claimed]) == np.isinf(least[:, some & claimed])).all()


@pytest.mark.parametrize("block", [1, 8])
def test_innermost_excess_prices_the_dram_loops_a_hand_checked_tiling(block):
    """Outputs[m] += Weights[m, c] * Inputs[c], M=4, C=2; glb holds one word of each, DRAM
    loops M4 and C2. Weights enter glb 8 times in either order. The bound over every order
    lets each data space take its best innermost DRAM loop, C for Outputs (4 deltas) and M
    for Inputs (2 fills), which no order does at once; the excess of each loop is what the
    other data space loses, and here it is exact. With glb writes of 8 words a vector, the
    6 more Inputs words fit the one write there was: the excess gives back what rounding
    may take (each word's 7/8 pJ, less 7/8 of a write per data space and action)."""
    wl = Workload("mv", ("M", "C"), {"M": 4, "C": 2}, (
        DataSpace("Weights", ((("M", 1),), (("C", 1),))),
        DataSpace("Inputs", ((("C", 1),),)),
        DataSpace("Outputs", ((("M", 1),),), read_write=True)))
    hierarchy = arch(level("DRAM"), level("glb", block=block), macs=1)
    tables = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                              "glb": {"read": 6.0, "write": 7.0}, "mac": {"compute": 0.5}})
    model = Model(hierarchy, wl, tables)
    keep = (frozenset(wl.ds_names),) * 2
    temporal = np.array([[[1, 1], [4, 2]]])              # (B, K, D): glb 1x1, DRAM M4 C2
    spatial = np.ones_like(temporal)
    sk = Skeleton(("M", "C"), (("M", "C"),) * 2, (("M", "C"),) * 2, (2, 2), keep)
    bound = model.evaluate(MappingBatch(sk, temporal, spatial), Bound(innermost_excess=(1,)))
    # M innermost: Outputs[m] enter and leave at each (c, m), 8 deltas instead of 4: 4 more,
    # each a glb write (7), a DRAM read (100) and a DRAM update (100). C innermost:
    # Inputs[c] enter at each (m, c), 8 fills instead of 2: 6 more, each a glb write (7)
    # and a DRAM read (100)
    slack = 3 * 7 * (block - 1) / block                  # one glb write per data space
    assert bound.innermost_excess[0, :, 0].tolist() == [
        4 * (7 / block + 200) - slack, 6 * (7 / block + 100) - slack]
    for j, order in enumerate((("M", "C"), ("C", "M"))):
        real = model.evaluate(MappingBatch(
            Skeleton(("M", "C"), (("M", "C"), order), (("M", "C"),) * 2, (2, 2), keep),
            temporal, spatial))
        assert real.energy[0] >= bound.energy[0] + bound.innermost_excess[0, j, 0]
        if block == 1:
            assert real.energy[0] == bound.energy[0] + bound.innermost_excess[0, j, 0]


def test_innermost_candidates_follow_the_permutation_semantics():
    """Pinned inner loops come first in their order, then the free ones (any of them), then
    the pinned outer ones; unit loops are not in the nest."""
    dims = ("A", "B", "C", "D")
    nonunit = np.array([[1, 1, 0, 1],          # A, B, D non-unit
                        [0, 0, 1, 1],          # C, D
                        [0, 0, 0, 1],          # D only
                        [0, 0, 1, 0]], bool).T  # C only
    order = LoopOrder(("B", "A"), ("D",))      # B then A innermost, D outermost, C free
    got = innermost_candidates(order, nonunit, dims)
    assert got[:, 0].tolist() == [False, True, False, False]   # B: the first pinned inner
    assert got[:, 1].tolist() == [False, False, True, False]   # C: the only free one
    assert got[:, 2].tolist() == [False, False, False, True]   # D: only the outer one left
    assert got[:, 3].tolist() == [False, False, True, False]
    free = innermost_candidates(None, nonunit, dims)
    assert (free == nonunit).all()


def test_run_of_compatible_loops_follows_the_known_order():
    """``Above.run``: the loops that may extend a run of compatible loops outward. Level
    order B innermost, A and C free, D outermost (all non-unit). With C incompatible: B
    (innermost) and A (a free loop may go before C) are in; C is not; D is not (C is inside
    it in every allowed order). With B incompatible, nothing: every order starts with B."""
    from mapper.model.bound import Above, OrderFacts
    dims = ("A", "B", "C", "D")
    facts = OrderFacts((LoopOrder(("B",), ("D",)),), dims)
    before = facts.before(0)
    assert before[1, [0, 2, 3]].all() and not before[1, 1]      # B inside A, C, D
    assert before[0, 3] and before[2, 3]                         # A and C inside D
    assert not before[0, 2] and not before[2, 0]                 # A, C free: either way
    nonunit = np.ones((1, 4, 1), dtype=bool)
    starts = facts.candidates(0, nonunit[0])[None]               # B only
    assert starts[0, :, 0].tolist() == [False, True, False, False]
    above = Above(np.full((1, 4, 1), 2), nonunit, np.ones(1, bool), np.full(1, 16),
                  np.ones((4, 1), np.int64), starts[0], np.ones((4, 1), bool),
                  starts, before[None])
    run = above.run(np.array([[True], [True], [False], [True]]))
    assert run[0, :, 0].tolist() == [True, True, False, False]
    assert not above.run(np.array([[True], [False], [True], [True]])).any()
    # no known order: every compatible non-unit loop
    free = Above(above.factors, nonunit, above.has, above.trips, above.step, above.first,
                 above.movable)
    assert free.run(np.array([[True], [True], [False], [True]]))[0, :, 0].tolist() == \
        [True, True, False, True]


# -- links between the rfs (the l1 fan-out) -------------------------------------------------

def link_tilings(wl: Workload, rng: np.random.Generator, n: int):
    """(temporal, spatial) (n, 4, D) made for links between the rfs (TIMELOOP_SEMANTICS §4):
    R or P spread over l1's fan-out (factor 2 or 3), the other one in time above the rf
    (l1 or glb), often alone there; the other dimensions as :func:`random_tilings` puts them."""
    temporal, spatial = random_tilings(wl, rng, n)
    for b in range(n):
        across = rng.choice([d for d in ("R", "P") if wl.bounds[d] > 1] or ["P"])
        along = "P" if across == "R" else "R"
        j, i = DIMS.index(across), DIMS.index(along)
        f = rng.choice([x for x in (2, 3) if wl.bounds[across] % x == 0] or [1])
        spatial[b, :, :] = 1
        spatial[b, 1, j] = f
        rest = wl.bounds[across] // f
        temporal[b, :, j] = 1
        temporal[b, rng.integers(4), j] = rest
        temporal[b, :, i] = 1
        temporal[b, rng.choice([1, 2, 2, 0]), i] = wl.bounds[along]
    return temporal, spatial


class LinkRecorder:
    """Patches the model's link steps: per (projection, level) the columns whose children the
    model links (``spatial_links`` saving something) and ``links_possible``'s answer."""

    def __init__(self):
        import mapper.model.access as access
        self.access = access
        self.linked: dict[tuple[bytes, int], np.ndarray] = {}
        self.possible: dict[tuple[bytes, int], np.ndarray] = {}

    def __enter__(self):
        from unittest import mock
        real_links, real_possible = self.access.spatial_links, self.access.links_possible

        def spatial_links(nest, carries, shifts, k, A, *rest):
            got = real_links(nest, carries, shifts, k, A, *rest)
            if got is not None:
                self.linked[(A.tobytes(), k)] = (got.accesses > 0) | (got.transfers > 0)
            return got

        def links_possible(bound, k, *rest):
            got = real_possible(bound, k, *rest)
            self.possible[(bound.delta.A.tobytes(), k)] = \
                np.zeros(len(rest[0]), bool) if got is None else got.possible
            return got

        self.patches = [mock.patch.object(self.access, "spatial_links", spatial_links),
                        mock.patch.object(self.access, "links_possible", links_possible)]
        for p in self.patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self.patches:
            p.stop()

    def take(self, store) -> dict:
        out = dict(store)
        store.clear()
        return out


link_workloads = st.builds(conv1d, R=st.sampled_from([2, 3]), P=st.sampled_from([2, 3, 4, 6]),
                           C=st.sampled_from([1, 2]), M=st.sampled_from([1, 2]),
                           stride=st.sampled_from([1, 2]))


def rigid_fanout_tilings(wl: Workload, rng: np.random.Generator, n: int):
    """(temporal, spatial) (n, 4, D) whose fan-out moves no rank of Inputs but a rigid one:
    M (which Inputs do not project on: equal translations) or C (a rank of its own) across
    the rfs, the rest as :func:`random_tilings` puts it. Only a carry that leaves the rf's
    tile in place (``s_j = 0``: P and R loops above whose steps cancel) can then link."""
    temporal, spatial = random_tilings(wl, rng, n)
    spread = [d for d in ("M", "C") if wl.bounds[d] % 2 == 0]
    for b in range(n):
        spatial[b] = 1
        if not spread:
            continue
        j = DIMS.index(rng.choice(spread))
        temporal[b, :, j] = 1
        spatial[b, 1, j] = 2
        temporal[b, rng.integers(4), j] = wl.bounds[DIMS[j]] // 2
    return temporal, spatial


@settings(max_examples=10, deadline=None)
@given(wl=link_workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       dram=st.permutations(DIMS).map(tuple),
       tilings=st.sampled_from([link_tilings, rigid_fanout_tilings]), rf_keeps=st.booleans())
def test_links_only_where_the_bound_allows_them_and_the_bound_holds(wl, keep, seed, dram,
                                                                    tilings, rf_keeps):
    """Mappings made for links (R or P across the rfs, the other in time above; or M or C
    across them, where only a carry that leaves the tile in place can link): over every glb
    order and six l1 orders, the model links the rfs only in mappings ``links_possible``
    allows (``Bound(exact_from=3)``: l1 and glb open; ``innermost=(2, d)``: only the orders
    whose innermost glb loop is d), and the bound's reads, fills, energy and cycles are at
    most the model's. The rfs keep Inputs (the data space that slides across them), or
    bypass them (l1 then serves the MACs' demand, scaled by the links' ``F A / W``)."""
    model = Model(ARCH, wl, TABLES)
    rf = frozenset(keep[0]) | {"Inputs"} if rf_keeps else frozenset(keep[0]) - {"Inputs"}
    keep = (rf, *map(frozenset, keep[1:]), frozenset(wl.ds_names))
    rng = np.random.default_rng(seed)
    check_links_and_bound(model, keep, *tilings(wl, rng, 12), dram, rng)


def check_links_and_bound(model: Model, keep, temporal: np.ndarray, spatial: np.ndarray,
                          dram: tuple[str, ...], rng: np.random.Generator,
                          split: tuple[int, ...] = (len(DIMS),) * 4,
                          spatial_order: tuple[str, ...] = DIMS) -> None:
    """Over every glb order and six l1 orders of the tilings: the model links children of a
    fan-out only where ``links_possible`` allows (``Bound(exact_from=3)``: l1 and glb open;
    ``innermost=(2, d)``: the orders whose innermost glb loop is d), and the bound's reads,
    fills, energy and cycles are at most the model's."""
    B = len(temporal)
    perms = list(itertools.permutations(DIMS))
    pins = [None] + [(2, d) for d in DIMS]
    base = Skeleton(DIMS, (DIMS, DIMS, DIMS, dram), (spatial_order,) * 4, split, keep)
    with LinkRecorder() as rec:
        bounds, possible = {}, {}
        for pin in pins:
            bounds[pin] = model.evaluate(MappingBatch(base, temporal, spatial),
                                         Bound(exact_from=3, innermost=pin))
            possible[pin] = rec.take(rec.possible)
        assert not rec.take(rec.linked)                   # l1 and glb open: no exact links
        for l1, glb in itertools.product([perms[i] for i in rng.choice(24, 6, replace=False)],
                                         perms):
            sk = Skeleton(DIMS, (DIMS, l1, glb, dram), (spatial_order,) * 4, split, keep)
            r = model.evaluate(MappingBatch(sk, temporal, spatial))
            linked = rec.take(rec.linked)
            for pin in pins:
                applies = np.ones(B, bool) if pin is None else \
                    innermost_is(glb, pin[1], temporal[:, 2] > 1)
                for key, cols in linked.items():
                    allowed_ = possible[pin].get(key, np.zeros(B, bool))
                    assert not (cols & applies & ~allowed_).any(), (pin, key[1], l1, glb)
                b = bounds[pin]
                for name, c in b.counts.items():
                    for field in ("reads", "fills"):
                        got = getattr(r.counts[name], field)
                        assert (getattr(c, field)[:, applies] <= got[:, applies]).all(), \
                            (pin, name, field, l1, glb)
                assert (b.energy[applies] <= r.energy[applies] * (1 + 1e-12)).all(), pin
                assert (b.cycles[applies] <= r.cycles[applies]).all(), pin


#: ARCH with four rfs in a 2 x 2 mesh under l1
ARCH_2X2 = arch(level("DRAM"), level("glb", read_bandwidth=2.0), level("l1"),
                level("rf", instances=4, mesh=(2, 2)), macs=4)


@settings(max_examples=12, deadline=None)
@given(R=st.sampled_from([2, 3]), P=st.sampled_from([2, 4, 6]), stride=st.sampled_from([1, 2]),
       spread=st.sampled_from([("C", "M"), ("R", "P"), ("P", "M")]), keep=keeps,
       seed=st.integers(0, 2 ** 16), dram=st.permutations(DIMS).map(tuple),
       rf_keeps=st.booleans())
def test_links_across_a_fan_out_of_two_dimensions(R, P, stride, spread, keep, seed, dram,
                                                  rf_keeps):
    """Two dimensions spread by 2 on X and Y across four rfs. C and M: Inputs' translations
    differ in rank C alone (a rank of its own) and the rfs of one column share them (G = 2 <
    F = 4), so only a carry that leaves the tile in place can link, and only as often as
    ``zero_shift_visits`` allows; what l1 serves is otherwise ``G`` times the delta sum, and
    for rfs that bypass Inputs ``G`` times their demand (groups of one size: ``F A / W >=
    G``). R and P: both move Inputs' rank H, their translations collide (groups of sizes 1,
    2, 1), and then a bypassed rf's demand is not claimed ``G`` times. P and M: P's
    neighbours differ by its step. Checked against the model in every glb order and six l1
    orders (:func:`check_links_and_bound`)."""
    wl = conv1d(2 if "R" in spread else R, P, 2, 2, stride)
    model = Model(ARCH_2X2, wl, TABLES)
    rf = frozenset(keep[0]) | {"Inputs"} if rf_keeps else frozenset(keep[0]) - {"Inputs"}
    keep = (rf, *map(frozenset, keep[1:]), frozenset(wl.ds_names))
    rng = np.random.default_rng(seed)
    temporal, spatial = random_tilings(wl, rng, 12)
    spatial[:] = 1
    for d in spread:
        j = DIMS.index(d)
        temporal[:, :, j] = 1
        temporal[:, rng.integers(4), j] = wl.bounds[d] // 2
        spatial[:, 1, j] = 2
    order = tuple(sorted(DIMS, key=lambda d: (d == spread[1], d)))      # spread[1] on Y
    check_links_and_bound(model, keep, temporal, spatial, dram, rng,
                          split=(len(DIMS), len(DIMS) - 1, len(DIMS), len(DIMS)),
                          spatial_order=order)


def test_zero_shift_carries_by_hand():
    """conv1d R3 P4 C2 M2 with M2 across the rfs (l1's fan-out, k = 1): Inputs' rank H is
    ``stride p + r``. A carry of R (step 1) with a P loop of step 1 inside it shifts H by
    1 - 1 = 0 (TIMELOOP_SEMANTICS §3: a carry subtracts the steps of the moving loops inside
    it): P4 at l1 and R3 at the glb, or both at the glb (P inside R in some order). With P's
    step 2 (P2 in the rf) or stride 2 no carry cancels; a C loop inside every R and P loop
    (C2 at l1) moves rank C at every such carry. The bound of such visits: a carry of j
    weighs ``N_j - 1`` times the trip counts outside it."""
    from mapper.model.bound import DeltaBound, zero_shift_visits
    R, P, C, M = (DIMS.index(d) for d in "RPCM")

    def case(stride, placed, first="RPCM"):
        wl = conv1d(3, 4, 2, 2, stride)
        A = Model(ARCH, wl, TABLES).projections[wl.ds_names.index("Inputs")]
        temporal = np.ones((4, 4, 1), np.int64)
        spatial = np.ones((4, 4, 1), np.int64)
        spatial[1, M] = 2
        for at, d, f in placed:
            temporal[at, d] = f
        innermost = np.array([[d in first] for d in DIMS])
        return int(zero_shift_visits(DeltaBound(A), temporal, spatial, 1, innermost)[0])

    # R's carry, 1 - 1: (3 - 1) x C2 outside it
    assert case(1, [(1, P, 4), (2, R, 3), (3, C, 2)]) == 4
    # one level: R's carries with P innermost (4, as above) or P's with R innermost
    # ((4 - 1) x 2); the orders with the one or the other innermost
    assert case(1, [(2, P, 4), (2, R, 3), (3, C, 2)]) == 6
    assert case(1, [(2, P, 4), (2, R, 3), (3, C, 2)], first="P") == 4
    assert case(1, [(2, P, 4), (2, R, 3), (3, C, 2)], first="C") == 0
    assert not case(1, [(0, P, 2), (1, P, 2), (2, R, 3), (3, C, 2)])   # steps 1 and 2
    assert not case(2, [(1, P, 4), (2, R, 3), (3, C, 2)])          # 1 - 2 and 2 - 1
    assert not case(1, [(1, C, 2), (2, P, 4), (2, R, 3)])          # C moves at each carry


def test_links_possible_on_a_hand_checked_mapping():
    """conv1d R3 P4 C2 M2: R3 across the rfs (l1's fan-out), P4 C2 at the glb, M2 at DRAM;
    the rfs keep Inputs. Inputs' rank H = R + P is moved by the fan-out and by P's loop, so
    with P innermost at the glb a carry shifts the rf's one-word tile by one row, which the
    neighbour rf held: rf r takes it from rf r + 1 (the model links). With C innermost, every
    carry moves rank C, which only C's loop moves: no two rfs differ by that (no links), and
    the bound pinned to C says so. Weights (ranks M, C, R: each moved by one dimension alone)
    and Outputs (R spreads a dimension they do not project on: equal translations, but every
    carry moves rank M or P, rigid) can never link."""
    wl = conv1d(3, 4, 2, 2, 1)
    model = Model(ARCH, wl, TABLES)
    temporal = np.ones((1, 4, 4), np.int64)
    spatial = np.ones((1, 4, 4), np.int64)
    spatial[0, 1, DIMS.index("R")] = 3
    temporal[0, 2, DIMS.index("P")], temporal[0, 2, DIMS.index("C")] = 4, 2
    temporal[0, 3, DIMS.index("M")] = 2
    keep = (frozenset({"Inputs"}), frozenset(), frozenset(), frozenset(wl.ds_names))
    inputs = model.projections[wl.ds_names.index("Inputs")].tobytes()

    def run(glb, bound=None):
        sk = Skeleton(DIMS, (DIMS, DIMS, glb, DIMS), (DIMS,) * 4, (len(DIMS),) * 4, keep)
        with LinkRecorder() as rec:
            r = model.evaluate(MappingBatch(sk, temporal, spatial), bound)
        return r, rec.linked, rec.possible

    p_first, linked, _ = run(("P", "C", "R", "M"))
    assert list(linked) == [(inputs, 1)] and linked[(inputs, 1)].all()
    c_first, linked, _ = run(("C", "P", "R", "M"))
    assert not linked
    for pin, expect in ((None, True), ((2, "P"), True), ((2, "C"), False)):
        b, _, possible = run(("P", "C", "R", "M"), Bound(exact_from=3, innermost=pin))
        assert {k[1] for k, v in possible.items() if v.any()} == ({1} if expect else set())
        assert all(k == (inputs, 1) for k, v in possible.items() if v.any())
        r = p_first if pin != (2, "C") else c_first
        for name, c in b.counts.items():
            assert (c.reads <= r.counts[name].reads).all(), (pin, name)
            assert (c.fills <= r.counts[name].fills).all(), (pin, name)
    # By hand: the rf's tile is one word; 16 visits (P4 C2 M2), D = 16; G = 3 rfs.
    # C innermost: DRAM reads G D = 48 (l1 and glb bypass Inputs), rf fills 16, reads 16.
    # P innermost: the 12 P carries (3 x 2 x 2) link rfs 0, 1 (G' = 1): DRAM reads
    # 48 - 2 x 12 = 24; W = 3 x 16 - 24 = 24, rf fills W / 3 + LT / 3 = 8 + 8, reads 16 + 8.
    ins = lambda r: (r.counts["Inputs"].reads[[0, 3], 0].tolist(),      # noqa: E731
                     int(r.counts["Inputs"].fills[0, 0]))
    assert ins(c_first) == ([16, 48], 16)
    assert ins(p_first) == ([24, 24], 16)
    # The bound where P may be innermost: only C's loop moves a rigid rank (C): U = 2
    # unlinked visits, each a whole word (no overlap), X = 2: DRAM serves at least
    # D + (G - 1) X = 20, an rf is filled at least X + (D - X) // 3 = 6. Pinned to C: exact.
    b, _, _ = run(("P", "C", "R", "M"), Bound(exact_from=3))
    assert ins(b) == ([16, 20], 6)
    b, _, _ = run(("P", "C", "R", "M"), Bound(exact_from=3, innermost=(2, "C")))
    assert ins(b) == ([16, 48], 16)
    # M at the glb too: with P, M innermost only the first visit and C's carry are unlinked
    # and DRAM serves 48 - 2 x 14 = 20, the bound's D' + (G - 1) X = 16 + 2 x 2 (D' over the
    # orders that can link: M innermost leaves D = 8 but s_1 = 0, no links, 3 x 8 = 24)
    temporal[0, 3, DIMS.index("M")], temporal[0, 2, DIMS.index("M")] = 1, 2
    assert ins(run(("P", "M", "C", "R"))[0])[0][1] == 20
    assert ins(run(("M", "P", "C", "R"))[0])[0][1] == 24
    assert ins(run(("P", "M", "C", "R"), Bound(exact_from=3))[0])[0][1] == 20


def test_hull_touched_on_hand_checked_windows():
    """``2q + s``: touched whole with a kernel of 2 or 3, not with 1 (every other element);
    ``3q + s`` with S = 2 misses every third; a dimension in two ranks touches a diagonal."""
    from mapper.model.bound import hull_touched, no_stride_gaps
    window = np.array([[2, 1]])                     # one rank: 2q + s over (Q, S)
    assert hull_touched(window, np.array([4, 3]))
    assert hull_touched(window, np.array([4, 2]))
    assert not hull_touched(window, np.array([4, 1]))
    assert hull_touched(window, np.array([1, 1]))   # one element
    assert not hull_touched(np.array([[3, 1]]), np.array([4, 2]))
    assert not hull_touched(np.array([[1], [1]]), np.array([3]))      # A[i, i]
    assert not no_stride_gaps(np.array([[1], [1]]))
    assert not no_stride_gaps(window)
    assert no_stride_gaps(np.array([[1, 1], [0, 0]]))


@settings(max_examples=60, deadline=None)
@given(A=st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=2),
       extents=st.lists(st.integers(1, 4), min_size=3, max_size=3))
def test_hull_touched_equals_enumeration(A, extents):
    """Brute force: the touched elements of every rank (ranks of disjoint dimensions) against
    the hull's size."""
    from mapper.model.bound import hull_touched
    from mapper.model.nest import footprint
    A, extents = np.array(A), np.array(extents)
    touched = {tuple(A @ np.array(x)) for x in itertools.product(*(range(e) for e in extents))}
    hull = int(footprint(A, extents[:, None])[0])
    assert hull_touched(A, extents) == (len(touched) == hull)


@settings(max_examples=40, deadline=None)
@given(bounds=st.lists(st.integers(1, 72), min_size=1, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 16), as_float=st.booleans())
def test_least_over_multiples_equals_the_minimum_over_each_points_multiples(bounds, seed,
                                                                           as_float):
    """The capacity floor's upward closure (``FillFloor._closed``) against its definition:
    at each point of the divisor lattice, the least value over the points that are
    multiples of it in every dimension (and divide the bounds)."""
    from mapper.model.bound import least_over_multiples
    from mapper.primes import divisors
    lattice = [divisors(b) for b in bounds]
    points = list(itertools.product(*lattice))
    values = np.random.default_rng(seed).integers(0, 50, len(points))
    values = values.astype(np.float64) if as_float else values
    expected = [min(v for q, v in zip(points, values)
                    if all(y % x == 0 for x, y in zip(p, q))) for p in points]
    got = least_over_multiples(values, bounds)
    assert got.dtype == values.dtype and got.tolist() == expected
