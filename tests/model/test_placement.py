"""Mappings of different loop orders in one model batch (``MappingBatch.placement``): a
level's order is a supersequence and each mapping's loops sit at the occurrences its own
order gives them. Every figure must equal the evaluation of each mapping in its own order."""
import dataclasses
import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from mapper.mapspace.orders import embedding, supersequence
from mapper.model import MappingBatch, Model, Skeleton
from tests.model.test_bound import ARCH, DIMS, TABLES, random_tilings, workloads

#: rf keeps Weights, l1 Outputs, glb everything (DRAM: every data space)
KEEP = (frozenset({"Weights"}), frozenset({"Outputs"}), frozenset({"Inputs", "Outputs", "Weights"}))


@settings(max_examples=10, deadline=None)
@given(wl=workloads, seed=st.integers(0, 2 ** 16), level=st.sampled_from([1, 2, 3]),
       picks=st.lists(st.integers(0, 23), min_size=2, max_size=6, unique=True))
def test_a_supersequence_batch_equals_each_order_alone(wl, seed, level, picks):
    model = Model(ARCH, wl, TABLES)
    keep = KEEP + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 12)
    perms = [list(itertools.permutations(DIMS))[i] for i in picks]
    sup = supersequence(perms)
    orders = [DIMS] * 4
    alone, placement = [], []
    for perm in perms:
        orders[level] = perm
        alone.append(model.evaluate(MappingBatch(
            Skeleton(DIMS, tuple(orders), (DIMS,) * 4, (4,) * 4, keep), temporal, spatial)))
        place = np.zeros(temporal.shape, np.int64)
        for d, nth in embedding(perm, sup).items():
            place[:, level, DIMS.index(d)] = nth
        placement.append(place)
    orders[level] = sup
    n = len(perms)
    batch = MappingBatch(Skeleton(DIMS, tuple(orders), (DIMS,) * 4, (4,) * 4, keep),
                         np.concatenate([temporal] * n), np.concatenate([spatial] * n),
                         np.concatenate(placement))
    together = model.evaluate(batch)
    B = len(temporal)
    for i, r in enumerate(alone):
        part = slice(i * B, (i + 1) * B)
        assert (together.cycles[part] == r.cycles).all()
        assert (together.energy[part] == r.energy).all()
        assert (together.valid[part] == r.valid).all()
        for name, c in r.counts.items():
            t = together.counts[name]
            for field in ("fills", "reads", "updates", "tile"):
                assert (getattr(t, field)[:, part] == getattr(c, field)).all(), (name, field)
        assert batch.orders_of(i * B)[level] == perms[i]
        assert batch.mapping(i * B).levels[level].temporal_order == perms[i]
        # what the search hands the incumbent instead of evaluating each order again
        rows = np.arange(i * B, (i + 1) * B)[::2]
        taken = together.take(rows, r.batch.take(np.arange(B)[::2]))
        assert taken.batch.skeleton == r.batch.skeleton and len(taken) == len(rows)
        for f in dataclasses.fields(r):
            mine = getattr(r, f.name)
            if isinstance(mine, np.ndarray) and f.name != "reported":
                assert (getattr(taken, f.name) == mine[..., ::2]).all(), f.name
        for name, c in r.counts.items():
            for f in dataclasses.fields(c):
                assert (getattr(taken.counts[name], f.name) ==
                        getattr(c, f.name)[..., ::2]).all(), (name, f.name)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.permutations("ABCDE").map(tuple), min_size=1, max_size=8))
def test_every_order_is_embedded_in_the_supersequence(orders):
    sup = supersequence(orders)
    where = {}
    for pos, d in enumerate(sup):
        where.setdefault(d, []).append(pos)
    for order in orders:
        at = {d: where[d][nth] for d, nth in embedding(order, sup).items()}
        assert tuple(sorted(order, key=at.get)) == order


def test_two_orders_merge_along_their_longest_common_subsequence():
    # ABCD and ACBD share ABD (or ACD): the shortest supersequence has 5 loops
    assert len(supersequence([tuple("ABCD"), tuple("ACBD")])) == 5
    assert supersequence([tuple("ABC")]) == tuple("ABC")


@settings(max_examples=10, deadline=None)
@given(wl=workloads, seed=st.integers(0, 2 ** 16),
       picks=st.lists(st.integers(0, 23), min_size=2, max_size=6, unique=True),
       constrained=st.booleans())
def test_a_bound_with_the_outer_order_per_mapping_equals_each_order_alone(wl, seed, picks,
                                                                          constrained):
    """``Bound(exact_from=3)`` on a batch whose DRAM order is a supersequence: the bound of
    each mapping is the one its own DRAM order gives (glb order open, under a permutation
    constraint or not)."""
    from mapper.model.bound import Bound
    from mapper.spec.constraints import LoopOrder
    model = Model(ARCH, wl, TABLES)
    keep = KEEP + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 12)
    perms = [list(itertools.permutations(DIMS))[i] for i in picks]
    sup = supersequence(perms)
    orders = (None, None, LoopOrder(("P",)) if constrained else None, None)
    bound = Bound(exact_from=3, orders=orders)
    alone, placement = [], []
    for perm in perms:
        sk = Skeleton(DIMS, (DIMS, DIMS, DIMS, perm), (DIMS,) * 4, (4,) * 4, keep)
        alone.append(model.evaluate(MappingBatch(sk, temporal, spatial), bound))
        place = np.zeros(temporal.shape, np.int64)
        for d, nth in embedding(perm, sup).items():
            place[:, 3, DIMS.index(d)] = nth
        placement.append(place)
    n = len(perms)
    sk = Skeleton(DIMS, (DIMS, DIMS, DIMS, sup), (DIMS,) * 4, (4,) * 4, keep)
    together = model.evaluate(MappingBatch(sk, np.concatenate([temporal] * n),
                                           np.concatenate([spatial] * n),
                                           np.concatenate(placement)), bound)
    B = len(temporal)
    for i, r in enumerate(alone):
        part = slice(i * B, (i + 1) * B)
        assert (together.cycles[part] == r.cycles).all()
        assert (together.energy[part] == r.energy).all()
        for name, c in r.counts.items():
            assert (together.counts[name].fills[:, part] == c.fills).all(), name
