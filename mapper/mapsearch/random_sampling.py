"""``random``: Timeloop-like sampling. Each batch is a random full loop order per level, a
random keep choice and random tilings; it stops at ``search_size`` evaluations, at the time
limit, or after ``victory_condition`` consecutive valid mappings that did not improve."""
from __future__ import annotations

import numpy as np

from ..model.batch import MappingBatch
from .algorithm import Budget, Share
from .batches import random_order, skeleton_for, support_groups
from .state import SearchState
from .stopping import StopReason

#: mappings sampled per batch
BATCH = 2048


class RandomSampling:
    name = "random"
    proves_optimality = False

    def run(self, state: SearchState, share: Share = Share(),
            rng: np.random.Generator | None = None, budget: Budget = Budget()) -> StopReason:
        """Random batches until the budget or the time is spent. Workers differ by their
        random streams, not by shares."""
        rng = rng if rng is not None else np.random.default_rng(0)
        space = state.space
        state.progress.phase = "random"
        stale = 0
        while True:
            if state.out_of_time():
                return StopReason.TIME_LIMIT
            if budget.search_size is not None and state.progress.evaluated >= budget.search_size:
                return StopReason.SEARCH_SIZE
            keep = space.keep_choices[rng.integers(len(space.keep_choices))]
            tilings = space.sample(BATCH, rng)
            orders = tuple(random_order(space, k, rng) for k in range(len(space.arch.storage)))
            for rows in support_groups(space, tilings, temporal=False):
                sk = skeleton_for(space, tilings, rows, orders, keep)
                before = state.progress.valid
                _, _, improved = state.consider(MappingBatch(sk, tilings.temporal[rows],
                                                             tilings.spatial[rows]))
                stale = 0 if improved else stale + (state.progress.valid - before)
            if budget.victory_condition is not None and stale >= budget.victory_condition:
                return StopReason.VICTORY_CONDITION
