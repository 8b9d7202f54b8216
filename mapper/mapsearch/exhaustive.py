"""``exhaustive``: every tiling that fits, every distinct loop order, every keep choice. When
it finishes, its best mapping is proven optimal (nothing was skipped)."""
from __future__ import annotations

import numpy as np

from .algorithm import Budget, Share
from .batches import exhaustive_batches
from .state import SearchState
from .stopping import StopReason

#: tilings enumerated per chunk; parallel workers take every ``count``-th chunk
CHUNK = 4096


class Exhaustive:
    name = "exhaustive"
    proves_optimality = True

    def run(self, state: SearchState, share: Share = Share(), rng: np.random.Generator | None = None,
            budget: Budget = Budget()) -> StopReason:
        """Every mapping of this share: the tiling chunks ``c`` with ``c % count == index``."""
        state.progress.phase = "exhaustive"
        space, chunk = state.space, 0
        for keep in space.keep_choices:
            for tilings in space.tilings(keep, chunk=CHUNK):
                chunk += 1
                if (chunk - 1) % share.count != share.index:
                    continue
                for batch in exhaustive_batches(space, tilings, keep):
                    state.consider(batch)
                    if state.out_of_time():
                        return StopReason.TIME_LIMIT
        return StopReason.FINISHED
