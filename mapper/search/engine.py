"""The search: keep the best mapping of every batch the model evaluates.

Algorithms (all deterministic for a given seed):

* ``exhaustive``: every tiling that fits, every distinct loop order, every keep choice. When
  it finishes, its best mapping is proven optimal (nothing was skipped).
* ``random``: Timeloop-like sampling. Each batch is a random full loop order per level and
  random tilings; it stops at ``search_size`` evaluations, at the time limit, or after
  ``victory_condition`` consecutive valid mappings that did not improve.
* ``hybrid``: a fixed number of random evaluations, then hill climbing from the best
  mappings found: move one prime factor of a dimension between two of its slots, or move one
  loop of a level's order, while that improves the objective.

Only ``exhaustive`` can claim optimality; the others, a time limit or an interrupt return the
best mapping found so far marked as not proven.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..mapspace.space import MapSpace
from ..model.batch import MappingBatch
from ..model.evaluate import Model
from ..model.result import Evaluation
from .batches import exhaustive_batches, random_order, skeleton_for, support_groups
from .objective import Objective


@dataclass
class Progress:
    """What a progress bar shows; passed to the callback after every batch."""

    evaluated: int = 0
    valid: int = 0
    best: tuple[float, ...] | None = None
    elapsed_s: float = 0.0
    phase: str = ""


@dataclass
class SearchStats:
    algorithm: str
    evaluated: int
    valid: int
    space_size: dict
    proven_optimal: bool
    wall_s: float
    stopped_by: str                       # "finished", "time limit", "interrupted", ...

    def to_json(self) -> dict:
        return {"algorithm": self.algorithm, "evaluated": self.evaluated, "valid": self.valid,
                "space_size": self.space_size, "proven_optimal": self.proven_optimal,
                "wall_s": round(self.wall_s, 3), "stopped_by": self.stopped_by}


@dataclass
class SearchResult:
    best: Evaluation | None
    stats: SearchStats
    objective: Objective


@dataclass
class _Best:
    """The incumbent: its objective key and where it lives."""

    key: tuple[float, ...] | None = None
    batch: MappingBatch | None = None
    row: int = -1
    #: every incumbent so far, as one-mapping batches (the hill climbing starts from them)
    history: list[tuple[tuple[float, ...], MappingBatch, int]] = field(default_factory=list)


class Search:
    def __init__(self, model: Model, space: MapSpace, objective: Objective,
                 time_limit: float | None = None,
                 progress: Callable[[Progress], None] | None = None):
        self.model, self.space, self.objective = model, space, objective
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.callback = progress
        self.best = _Best()
        self.progress = Progress()
        self.start = time.monotonic()

    # ------------------------------------------------------------------ bookkeeping
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def consider(self, batch: MappingBatch) -> tuple[tuple[float, ...] | None, int, bool]:
        """Evaluate a batch: (best valid key, its row, whether it improved the incumbent)."""
        result = self.model.evaluate(batch)
        self.progress.evaluated += len(batch)
        valid = np.flatnonzero(result.valid)
        self.progress.valid += len(valid)
        key, row, improved = None, -1, False
        if len(valid):
            keys = self.objective.key(result)[valid]
            i = int(np.lexsort(keys.T[::-1])[0])
            key, row = tuple(float(x) for x in keys[i]), int(valid[i])
            if self.best.key is None or key < self.best.key:
                self.best.key, self.best.batch, self.best.row = key, batch, row
                self.best.history.append((key, batch.take([row]), 0))
                improved = True
        self.progress.best = self.best.key
        self.progress.elapsed_s = time.monotonic() - self.start
        if self.callback:
            self.callback(self.progress)
        return key, row, improved

    def evaluation(self) -> Evaluation | None:
        if self.best.batch is None:
            return None
        return self.model.evaluation(self.model.evaluate(self.best.batch.take([self.best.row])), 0)

    # ------------------------------------------------------------------ algorithms
    def exhaustive(self, share: tuple[int, int] = (0, 1)) -> str:
        """Every mapping; with ``share = (i, n)`` only the tiling chunks ``c`` with
        ``c % n == i`` (the workers of a parallel run split the space this way)."""
        self.progress.phase = "exhaustive"
        chunk = 0
        for keep in self.space.keep_choices:
            for tilings in self.space.tilings(keep, chunk=4096):
                chunk += 1
                if (chunk - 1) % share[1] != share[0]:
                    continue
                for batch in exhaustive_batches(self.space, tilings, keep):
                    self.consider(batch)
                    if self.out_of_time():
                        return "time limit"
        return "finished"

    def random(self, rng: np.random.Generator, search_size: int | None = None,
               victory_condition: int | None = None, batch_size: int = 2048) -> str:
        """Random batches until ``search_size`` evaluations, the victory condition or the
        time limit."""
        self.progress.phase = "random"
        stale = 0
        while True:
            if self.out_of_time():
                return "time limit"
            if search_size is not None and self.progress.evaluated >= search_size:
                return "search size"
            keep = self.space.keep_choices[rng.integers(len(self.space.keep_choices))]
            tilings = self.space.sample(batch_size, rng)
            orders = tuple(random_order(self.space, k, rng)
                           for k in range(len(self.space.arch.storage)))
            for rows in support_groups(self.space, tilings, temporal=False):
                sk = skeleton_for(self.space, tilings, rows, orders, keep)
                before = self.progress.valid
                _, _, improved = self.consider(MappingBatch(sk, tilings.temporal[rows],
                                                            tilings.spatial[rows]))
                stale = 0 if improved else stale + (self.progress.valid - before)
            if victory_condition is not None and stale >= victory_condition:
                return "victory condition"

    def hill_climb(self, starts: int = 4) -> str:
        """Improve the best few mappings found so far by local moves until none improves."""
        from .local import climb
        self.progress.phase = "local search"
        seeds = sorted(self.best.history, key=lambda h: h[0])[:starts]
        for key, batch, row in seeds:
            status = climb(self, batch.take([row]))
            if status != "converged":
                return status
        return "converged"
