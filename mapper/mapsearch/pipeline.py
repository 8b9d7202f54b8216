"""One search from validated inputs to its outcome: the CP-SAT feasibility check, the mapspace,
the search, the best mapping. The one entry point of ``mapper search``, ``mapper network``
(each layer), the benchmarks and :func:`mapper.api.search`::

    outcome = search(SearchInputs(arch, workload, constraints, tables), settings)
    outcome.feasibility, outcome.best, outcome.stats.stopped_by

Each step is a function of its own (:func:`check_feasibility`, then ``run_search``). Nothing
here prints: the caller's ``progress`` callback gets a :class:`SearchStarted` once the
mapspace is built, then :class:`~mapper.mapsearch.state.Progress` a few times a second.

Stopping: unless the caller passes its own :class:`StopFlag`, :func:`search` turns SIGINT
and SIGTERM into a stop request while it runs (on the main thread): the search then returns
its best mapping so far, ``stats.stopped_by`` saying why. A second Ctrl-C stops at once,
still with the best so far. During the feasibility check, which polls nothing, a Ctrl-C
ends the check and nothing is searched.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from energy import ReferenceTables

from ..mapspace.space import MapSpace
from ..model.evaluate import Model
from ..model.result import Evaluation
from ..spec.arch import Arch
from ..spec.constraints import Constraints
from ..spec.mapping import Mapping
from ..spec.workload import Workload
from .result import SearchStats
from .state import Progress
from .objective import Objective
from .run import best_valid, run_search, space_size, worker_pool
from .settings import SearchSettings
from .stopping import StopFlag, StopReason, stop_on_signals
from .workers import WorkerPool

#: seconds CP-SAT may take per solve of the feasibility check before it counts as undecided
FEASIBILITY_TIME_LIMIT_S = 30.0


class Feasibility(StrEnum):
    """What the CP-SAT check says about the tiling space."""

    FEASIBLE = "feasible"            # some tiling fits every constraint
    INFEASIBLE = "infeasible"        # none does: the reasons say which constraints conflict
    UNDECIDED = "not decided"        # CP-SAT hit its time limit; the search ran anyway
    NOT_CHECKED = "not checked"      # stopped (Ctrl-C) before the check ended


@dataclass(frozen=True)
class SearchInputs:
    """What one search needs: a layer on an architecture, its constraints, its energy and
    area tables (``Spec`` of :mod:`mapper.api` has these fields)."""

    arch: Arch
    workload: Workload
    constraints: Constraints | None
    tables: ReferenceTables
    #: known mappings (e.g. a neighbouring design's optimum of the same layer): ``optimal``
    #: starts from the best one that is valid here instead of its hybrid seed round (it
    #: prunes; ignored by other algorithms)
    incumbents: tuple[Mapping, ...] = ()

    @classmethod
    def of(cls, spec) -> "SearchInputs":
        """From any object with ``arch``, ``workload``, ``constraints``, ``tables``."""
        return cls(spec.arch, spec.workload, spec.constraints, spec.tables)


@dataclass(frozen=True)
class FeasibilityCheck:
    status: Feasibility
    #: CP-SAT's smallest set of conflicting constraints, in the user's words (infeasible)
    reasons: tuple[str, ...] = ()
    #: why the check did not decide (undecided)
    note: str = ""


@dataclass(frozen=True)
class SearchStarted:
    """Sent to the progress callback once, when the search begins."""

    space_size: dict
    settings: SearchSettings
    feasibility: FeasibilityCheck


@dataclass(frozen=True)
class SearchOutcome:
    """The result of :func:`search`."""

    feasibility: Feasibility
    #: why no mapping fits (infeasible): CP-SAT's smallest set of conflicting constraints
    reasons: tuple[str, ...]
    #: the best mapping found (None: infeasible, stopped before any, or none valid met)
    best: Evaluation | None
    #: the search's statistics (None when nothing was searched)
    stats: SearchStats | None
    objective: Objective
    settings: SearchSettings
    #: why it stopped: the search's own reason, or the signal that ended the check
    stopped_by: StopReason
    #: e.g. why the feasibility check did not decide
    note: str = ""

    @property
    def stopped_early(self) -> bool:
        """Stopped by a signal (Ctrl-C, SIGTERM): the best so far, not a finished search."""
        return self.stopped_by.early

    @property
    def proven_optimal(self) -> bool:
        return self.stats is not None and self.stats.proven_optimal

    def to_json(self) -> dict:
        """The ``search`` record of ``stats.json`` (and of ``network.json``'s layers)."""
        record = self.stats.to_json() if self.stats is not None else {
            "algorithm": self.settings.algorithm, "evaluated": 0, "valid": 0,
            "proven_optimal": False, "stopped_by": str(self.stopped_by)}
        record["objective"] = self.objective.describe()
        record["feasibility_check"] = str(self.feasibility)
        return record


Callback = Callable[[Progress | SearchStarted], None]


def check_feasibility(inputs: SearchInputs,
                      time_limit: float | None = FEASIBILITY_TIME_LIMIT_S) -> FeasibilityCheck:
    """Whether any tiling fits (CP-SAT), and if none does, why."""
    from ..prune import SolveTimeout, TilingModel
    try:
        reasons = TilingModel(inputs.arch, inputs.workload, inputs.constraints,
                              time_limit=time_limit).explain_infeasible()
    except SolveTimeout as e:
        return FeasibilityCheck(Feasibility.UNDECIDED, note=str(e))
    if reasons:
        return FeasibilityCheck(Feasibility.INFEASIBLE, tuple(reasons))
    return FeasibilityCheck(Feasibility.FEASIBLE)


def search(inputs: SearchInputs, settings: SearchSettings = SearchSettings(),
           progress: Callback | None = None, stop: StopFlag | None = None) -> SearchOutcome:
    """Check feasibility, build the mapspace, search it (``settings.jobs`` workers), return
    the best mapping with its statistics. ``stop``: the caller's flag (it then handles the
    signals itself); without one, SIGINT and SIGTERM stop this search while it runs."""
    own = stop is None
    stop = StopFlag() if own else stop
    with stop_on_signals(stop) if own else nullcontext():
        # the workers boot (start an interpreter, import the search) during the
        # feasibility check and the building of the space
        with worker_pool(settings.jobs, stop) if settings.jobs > 1 else nullcontext() as pool:
            return _search(inputs, settings, progress, stop, pool)


def _search(inputs: SearchInputs, settings: SearchSettings, progress: Callback | None,
            stop: StopFlag, pool: WorkerPool | None) -> SearchOutcome:
    def outcome(status: Feasibility, stopped: StopReason, reasons=(), best=None, stats=None,
                note="") -> SearchOutcome:
        return SearchOutcome(status, tuple(reasons), best, stats, settings.objective, settings,
                             stopped, note)

    try:
        with stop.raising():
            check = check_feasibility(inputs)
    except KeyboardInterrupt:
        return outcome(Feasibility.NOT_CHECKED, stop.reason() or StopReason.INTERRUPTED)
    if check.status == Feasibility.INFEASIBLE:
        return outcome(check.status, StopReason.FINISHED, check.reasons)
    space = MapSpace(inputs.arch, inputs.workload, inputs.constraints)
    size = space_size(space)
    if progress is not None:
        progress(SearchStarted(size, settings, check))
    model = Model(inputs.arch, inputs.workload, inputs.tables)
    start = (best_valid(model, space.constraints, settings.objective, inputs.incumbents)
             if settings.algorithm == "optimal" else None)
    result = run_search(model, space, settings.objective, settings.algorithm, settings.jobs,
                        settings.time_limit, settings.seed, settings.search_size,
                        settings.victory_condition, progress=progress, stop=stop, size=size,
                        incumbent=start, pool=pool)
    return outcome(check.status, result.stats.stopped_by, (), result.best, result.stats,
                   check.note)
