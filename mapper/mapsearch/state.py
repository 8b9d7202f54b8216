"""What every search algorithm works on: the model and mapspace, the incumbent (the best valid
mapping met so far), the counters a progress line shows, and the conditions to stop.

Ties: of mappings with equal objective keys the search keeps the first in canonical order
(:mod:`mapper.mapsearch.incumbent`), whatever the order in which they were met, so the proven
algorithms return the same mapping for any number of workers.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..mapspace.space import MapSpace
from ..model.batch import MappingBatch
from ..model.evaluate import Model
from ..model.result import BatchResult, Evaluation
from .batches import canonical_form
from .incumbent import Best, Incumbent, canonical, factor_rows
from .objective import Objective
from .stopping import StopFlag, StopReason
from .validity import valid_mask

#: seconds between two reads of the key the workers of one search share
SHARED_READ_S = 0.05


class OutOfTime(Exception):
    """Raised deep inside an algorithm (the branch and bound's walk) when the time limit has
    passed or a stop was requested; the algorithm returns ``StopReason.TIME_LIMIT``."""


@dataclass
class Progress:
    """What a progress line shows: counters, the best objective key so far, the phase."""

    evaluated: int = 0
    valid: int = 0
    best: tuple[float, ...] | None = None
    elapsed_s: float = 0.0
    phase: str = ""
    #: tilings (partial or complete) the bound discarded without evaluating their orders
    pruned: int = 0


class SearchState:
    """One search's incumbent and counters over ``model`` and ``space``.

    ``bound``: a key to beat that is not a mapping of this search (optimal: the best of the
    hybrid round); it prunes, but the result is always a mapping this search met.
    ``shared``: a file through which parallel workers of one search share the best key found
    by any of them (every worker prunes with it); None: not shared."""

    def __init__(self, model: Model, space: MapSpace, objective: Objective,
                 time_limit: float | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 stop: StopFlag | None = None):
        self.model, self.space, self.objective = model, space, objective
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.callback = progress
        #: set from outside (a signal, the parent process): stop at the next check
        self.stop = stop
        self.best = Best()
        self.progress = Progress()
        self.start = time.monotonic()
        self.bound: tuple[float, ...] | None = None
        self.shared: Path | None = None
        self._shared_key: tuple[float, ...] | None = None
        self._shared_read = 0.0

    def out_of_time(self) -> bool:
        """Whether to stop now: the time limit has passed or a stop was requested (the
        algorithms then return "time limit"; :meth:`stop_reason` says which)."""
        return ((self.deadline is not None and time.monotonic() > self.deadline)
                or (self.stop is not None and self.stop.reason() is not None))

    def stop_reason(self, returned: StopReason) -> StopReason:
        """The reason to report for what an algorithm returned: a requested stop (a signal)
        shows through the "time limit" the algorithms return for every early stop."""
        reason = StopReason(returned)
        requested = None if self.stop is None else self.stop.reason()
        if reason == StopReason.TIME_LIMIT and requested is not None:
            return requested
        return reason

    def consider(self, batch: MappingBatch, result: BatchResult | None = None
                 ) -> tuple[tuple[float, ...] | None, int, bool]:
        """Evaluate a batch: (best valid key, its row, whether it improved the incumbent's
        key). Of rows with equal keys the first in canonical order counts; an equal key
        first in canonical order replaces the incumbent without counting as improving.
        ``result``: the model's result of this batch where the caller has it already (the
        same figures written in another batch: ``BatchResult.take``)."""
        if result is None:
            result = self.model.evaluate(batch)
        self.progress.evaluated += len(batch)
        valid = np.flatnonzero(valid_mask(batch, result, self.space.constraints, self.model.arch))
        self.progress.valid += len(valid)
        key, row, improved = None, -1, False
        if len(valid):
            keys = self.objective.key(result)[valid]
            i = int(np.lexsort(keys.T[::-1])[0])
            tied = np.flatnonzero((keys == keys[i]).all(axis=1))
            if len(tied) > 1:
                f = factor_rows(batch, valid[tied])
                i = int(tied[np.lexsort(f.T[::-1])[0]])
            key, row = tuple(float(x) for x in keys[i]), int(valid[i])
            best = self.best.current
            if best is None or best.beaten_by(key, lambda: canonical(batch, row)):
                improved = best is None or key < best.key
                one = canonical_form(self.space, batch, row)
                self.best.current = Incumbent(key, one, 0, canonical(one, 0))
                if improved:
                    self.best.history.append((key, batch.take([row]), 0))
                    self._publish()
        self.progress.best = self.best.key
        self.show()
        return key, row, improved

    def evaluation(self) -> Evaluation | None:
        """The incumbent, evaluated per level and data space."""
        one = self.best.one()
        return None if one is None else self.model.evaluation(self.model.evaluate(one), 0)

    def show(self) -> None:
        """Hand the progress to the callback (a progress line, a worker's report)."""
        if self.callback:
            self.progress.elapsed_s = time.monotonic() - self.start
            self.callback(self.progress)

    def may_improve(self, keys: np.ndarray) -> np.ndarray:
        """Which lower bounds leave room to beat the incumbent (the best key of this worker
        or, when shared, of any worker): lexicographically at most its key. Each column of
        a bound is a lower bound of its own metric, so a mapping whose bound is above the
        incumbent's key in the first column where they differ is above it too (with a
        lexicographic objective such as Timeloop's ``[delay, energy]``, a tiling that can
        only tie the incumbent's delay is pruned by its energy). Equal is kept: of mappings
        with equal keys the search returns the first in canonical order, so it must meet
        all of them whatever the incumbent was when it got there (the result must not
        depend on timing or on the workers)."""
        best = self.incumbent_key()
        if best is None:
            return np.isfinite(keys[:, 0])
        below = np.zeros(len(keys), dtype=bool)
        equal = np.ones(len(keys), dtype=bool)
        for column, value in zip(keys.T, best):
            below |= equal & (column < value)
            equal &= column == value
        return below | equal

    def incumbent_key(self) -> tuple[float, ...] | None:
        """The key to beat: this search's best, its seed bound, or (shared) any worker's."""
        if self.shared is not None and time.monotonic() - self._shared_read > SHARED_READ_S:
            self._shared_read = time.monotonic()
            try:
                self._shared_key = tuple(json.loads(self.shared.read_text()))
            except (OSError, ValueError):
                pass
        keys = [k for k in (self.best.key, self.bound, self._shared_key) if k is not None]
        return min(keys) if keys else None

    def _publish(self) -> None:
        """Write this worker's best key to the shared file if it beats what is there."""
        if self.shared is None:
            return
        best = self.incumbent_key()
        if best is not None and self.best.key is not None and self.best.key <= best:
            tmp = self.shared.with_name(f"{self.shared.name}.{os.getpid()}")
            tmp.write_text(json.dumps(list(self.best.key)))
            os.replace(tmp, self.shared)
