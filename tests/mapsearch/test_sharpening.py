"""Sharpening (``BranchAndBound._sharpened``) against the model itself: every column of a
sharpened key stays at most its own metric over every loop order, for single and
lexicographic objectives (each column is raised to the least over the candidate innermost
loops of a level, never more)."""
import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from mapper.mapsearch import parse_objective
from mapper.mapsearch.branch_and_bound import BranchAndBound, StageWork
from mapper.mapsearch.state import SearchState
from mapper.mapspace import MapSpace
from mapper.mapspace.space import Tilings
from mapper.model import MappingBatch, Model, Skeleton
from tests.model.test_bound import ARCH, DIMS, TABLES, keeps, random_tilings, workloads


def sharpening(model: Model, objective: str) -> BranchAndBound:
    """A branch and bound set up as ``run`` sets it, without an incumbent."""
    space = MapSpace(model.arch, model.workload)
    bnb = BranchAndBound()
    bnb.state = SearchState(model, space, parse_objective(objective))
    bnb.model, bnb.space, bnb.objective = model, space, bnb.state.objective
    bnb.orders = tuple(lc.temporal.order for lc in space.constraints.levels)
    bnb.work = StageWork(len(space.arch.storage))
    return bnb


@settings(max_examples=8, deadline=None)
@given(wl=workloads, keep=keeps, seed=st.integers(0, 2 ** 16),
       objective=st.sampled_from(["edp", "energy", "delay,energy", "energy,delay"]))
def test_sharpened_keys_are_below_every_loop_order(wl, keep, seed, objective):
    """Whole tilings: the sharpened key, column by column, against the least of each metric
    over every order of the glb and DRAM (rf and l1 in one order: a bound of every order is
    a bound of these). Taking the largest over the candidates instead of the least fails."""
    model = Model(ARCH, wl, TABLES)
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    temporal, spatial = random_tilings(wl, np.random.default_rng(seed), 24)
    bnb = sharpening(model, objective)
    tilings = Tilings(temporal, spatial, np.zeros(temporal.shape, dtype=bool))
    plain = bnb._bound_keys(tilings, keep, valid=True)
    sharp = bnb._sharpened(tilings, plain.copy(), keep)
    least = np.full(plain.shape, np.inf)
    perms = list(itertools.permutations(DIMS))
    for glb, dram in itertools.product(perms, perms):
        sk = Skeleton(DIMS, (DIMS, DIMS, glb, dram), (DIMS,) * 4, (len(DIMS),) * 4, keep)
        result = model.evaluate(MappingBatch(sk, temporal, spatial))
        key = bnb.objective.key(result)
        key[~result.valid] = np.inf
        np.minimum(least, key, out=least)
    assert (plain <= sharp).all()
    assert (sharp <= least * (1 + 1e-12)).all()
