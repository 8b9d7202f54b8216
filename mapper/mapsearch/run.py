"""Run a search, in this process or over worker processes, and merge the workers' best mappings.

Workers are independent: each runs the same algorithm with its own random stream
(``SeedSequence(seed).spawn``) or, for ``exhaustive`` and ``optimal``, its own share of the
space, so the result depends only on the seed and the number of jobs; for ``exhaustive`` and
``optimal`` it does not depend on the number of jobs either (ties are broken in canonical
order, see :func:`mapper.mapsearch.incumbent.canonical`). ``optimal`` runs in two rounds: a hybrid
search whose best key every worker of the branch and bound must beat (or, instead, a valid
mapping the caller knows: ``incumbent``), then the branch and bound. The workers run in a
:class:`~mapper.mapsearch.workers.WorkerPool`: a stop request (a
signal, the time limit) makes every worker return its best so far, and none outlives the run.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..mapspace.orders import level_orders
from ..mapspace.space import MapSpace
from ..model.batch import MappingBatch
from ..model.evaluate import Model
from ..spec.mapping import Axis
from .algorithm import Algorithm, Budget, Share
from .branch_and_bound import BranchAndBound
from .exhaustive import Exhaustive
from .hybrid import Hybrid
from .incumbent import canonical
from .objective import Objective
from .random_sampling import RandomSampling
from .result import SearchResult, SearchStats
from .state import Progress, SearchState
from .stopping import StopFlag, StopReason, interrupted_after
from .validity import valid_mask, verified_best
from .workers import Context, LocalContext, Task, WorkerPool

#: the algorithms by name (``--algorithm``)
ALGORITHM: dict[str, Algorithm] = {a.name: a for a in (Exhaustive(), BranchAndBound(),
                                                      RandomSampling(), Hybrid())}
ALGORITHMS = tuple(ALGORITHM)
#: random samples of the hybrid round that seeds ``optimal`` (its incumbent only prunes, and
#: the branch and bound visits its best-bounded tilings early and improves on it itself:
#: with 40,000 instead of 200,000, 3 of 4 template cases proved sooner, one 15% later); split
#: between the workers, so that more jobs do not spend longer on the seed
OPTIMAL_SEED_SAMPLES = 40_000


def worker_pool(jobs: int, stop: StopFlag) -> WorkerPool:
    """A pool of ``jobs`` workers for :func:`run_search`, each importing the search's modules
    as it starts."""
    return WorkerPool(jobs, stop, preload=(__name__,))


def space_size(space: MapSpace) -> dict:
    """Exact sizes before pruning (Timeloop's subspaces): tilings, loop orders (distinct
    orders of the levels' temporal dimensions, an upper bound once unit loops collapse), keep
    choices, and their product."""
    orders = 1
    for k in range(len(space.arch.storage)):
        free = tuple(d for d in space.dims if any(s.level == k and s.axis == Axis.TEMPORAL and s.hi > 1
                                                   for s in space.slots[d]))
        orders *= len(level_orders(free, space.dims, space.constraints.levels[k].temporal.order))
    sizes = space.size()
    return {"tilings": sizes["tilings"], "loop_orders": orders,
            "keep_choices": sizes["keep_choices"],
            "total": sizes["tilings"] * orders * sizes["keep_choices"]}


@dataclass(frozen=True)
class WorkerTask:
    """What one worker searches."""

    algorithm: str
    seed: np.random.SeedSequence
    share: Share
    time_limit: float | None
    budget: Budget = Budget()
    #: a key to beat (optimal: the best of the hybrid round); it prunes, it is not a result
    bound: tuple[float, ...] | None = None
    #: the file through which the workers of one optimal search share their best keys
    shared: Path | None = None


@dataclass(frozen=True)
class WorkerResult:
    """A worker's best mapping and counters: its result, or a progress report while it runs
    (``stopped_by`` None). A report is also what is left of a worker that is killed."""

    progress: Progress
    mapping: MappingBatch | None                 # the best mapping, a batch of one
    stopped_by: StopReason | None

    @property
    def key(self) -> tuple[float, ...] | None:
        return self.progress.best


def search_share(model: Model, space: MapSpace, objective: Objective, task: WorkerTask, *,
                 context: Context) -> WorkerResult:
    """One worker's search (in a worker process or in this one)."""
    state = SearchState(model, space, objective, task.time_limit, stop=context.stop)
    state.shared, state.bound = task.shared, task.bound

    def snapshot(stopped_by: StopReason | None) -> WorkerResult:
        return WorkerResult(replace(state.progress), state.best.one(), stopped_by)

    def report(_: Progress) -> None:
        if context.due():
            context.report(snapshot(None))

    state.callback = report
    rng = np.random.default_rng(task.seed)
    try:
        with interrupted_after(context.stop, context.interrupt_signal):
            returned = ALGORITHM[task.algorithm].run(state, task.share, rng, task.budget)
        stopped = state.stop_reason(returned)
    except KeyboardInterrupt:       # a second Ctrl-C, or no return in time after a stop
        context.stop.request(StopReason.INTERRUPTED)
        stopped = context.stop.reason()
    return snapshot(stopped)


class _Merged:
    """The workers' latest results (or reports) of a run: the progress of the whole search
    and its best mapping."""

    def __init__(self, start: float, progress: Callable[[Progress], None] | None):
        self.start, self.callback = start, progress
        self.latest: dict[tuple[str, int], WorkerResult] = {}     # (round, worker) -> result
        self.phase = ""

    def update(self, round_: str, worker: int, result: WorkerResult) -> None:
        self.latest[round_, worker] = result
        self.phase = result.progress.phase
        if self.callback is not None:
            self.callback(self.progress())

    def progress(self) -> Progress:
        rs = list(self.latest.values())
        keys = [r.key for r in rs if r.key is not None]
        return Progress(sum(r.progress.evaluated for r in rs), sum(r.progress.valid for r in rs),
                        min(keys) if keys else None, time.monotonic() - self.start, self.phase,
                        sum(r.progress.pruned for r in rs))

    def best(self, prefer: str) -> tuple[tuple[float, ...], MappingBatch] | None:
        """The best mapping of all results: the smallest key; of equal keys one of round
        ``prefer`` (optimal: the branch and bound's, not its seed's), then the first in
        canonical order."""
        found = [(r.key, rnd != prefer, canonical(r.mapping, 0), r.mapping)
                 for (rnd, _), r in self.latest.items() if r.mapping is not None]
        if not found:
            return None
        key, _, _, mapping = min(found, key=lambda f: f[:3])
        return key, mapping


def best_valid(model: Model, constraints, objective: Objective, mappings
               ) -> tuple[tuple[float, ...], MappingBatch] | None:
    """The objective key and batch of one of the best of ``mappings`` that pass the search's
    validity (:func:`valid_mask`); None if none does. Mappings of another skeleton than the
    model's (a level or dimension more or less) do not count."""
    best = None
    for m in mappings:
        try:
            one = MappingBatch.of([m])
            result = model.evaluate(one)
        except (ValueError, KeyError, IndexError):
            continue
        if valid_mask(one, result, constraints, model.arch)[0]:
            key = tuple(float(x) for x in objective.key(result)[0])
            if best is None or key < best[0]:
                best = key, one
    return best


def run_search(model: Model, space: MapSpace, objective: Objective, algorithm: str = "hybrid",
               jobs: int = 1, time_limit: float | None = None, seed: int = 0,
               search_size: int | None = None, victory_condition: int | None = None,
               progress: Callable[[Progress], None] | None = None,
               stop: StopFlag | None = None, size: dict | None = None,
               incumbent: tuple[tuple[float, ...], MappingBatch] | None = None,
               pool: WorkerPool | None = None) -> SearchResult:
    """Search with ``jobs`` workers (1: in this process). ``stop``: a flag that, once set (by
    a signal handler, see :func:`mapper.mapsearch.stopping.stop_on_signals`), makes the search
    return its best mapping so far; ``progress`` gets the progress of the whole search a few
    times a second. ``size``: :func:`space_size` of the space, if known already.
    ``incumbent``: (key, batch of one) of a valid mapping known beforehand (:func:`best_valid`);
    ``optimal`` then skips its hybrid seed round (whose only use is a key to prune with) and
    prunes with it from the start; it is the answer only if the branch and bound meets nothing
    as good (ties go to the branch and bound's mapping, so a finished search returns what it
    would without it). Measured by ``benchmarks/sweep.py``: 8 designs x 2 ResNet-18 layers,
    every layer proven, a third of the evaluations. ``pool``: the caller's pool of ``jobs``
    workers (:func:`worker_pool`, started early so that they boot while the caller checks
    and builds the space; it stays the caller's to close); else one is started here."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
    start = time.monotonic()
    stop = stop if stop is not None else StopFlag()
    seeds = np.random.SeedSequence(seed).spawn(jobs)
    deadline = None if time_limit is None else start + time_limit
    merged = _Merged(start, progress)
    reasons: list[StopReason] = []
    if incumbent is not None and algorithm == "optimal":
        merged.latest["incumbent", 0] = WorkerResult(Progress(best=incumbent[0]), incumbent[1],
                                                     StopReason.FINISHED)

    def round_(pool: WorkerPool | None, name: str, algo: str, bound=None, shared=None,
               samples: int | None = search_size) -> None:
        if stop.reason() is not None:             # stopped before it began
            reasons.append(stop.reason())
            return
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        tasks = [WorkerTask(algo, seeds[i], Share(i, jobs), left,
                            Budget(samples, victory_condition), bound, shared)
                 for i in range(jobs)]
        if pool is None:
            context = LocalContext(stop, lambda r: merged.update(name, 0, r))
            result = search_share(model, space, objective, tasks[0], context=context)
            merged.update(name, 0, result)
            reasons.append(result.stopped_by)
            return
        done = set()
        try:
            for i, result in pool.results(
                    [Task(search_share, (model, space, objective, t)) for t in tasks],
                    on_report=lambda i, r: merged.update(name, i, r), deadline=deadline):
                merged.update(name, i, result)
                reasons.append(result.stopped_by)
                done.add(i)
        except KeyboardInterrupt:         # a second Ctrl-C: the reports are what is left
            stop.request(StopReason.INTERRUPTED)
            pool.close(now=True)
        if len(done) < jobs:              # workers killed after a stop or past the time limit
            reasons.append(stop.reason() or StopReason.TIME_LIMIT)

    def rounds(pool: WorkerPool | None) -> None:
        if algorithm != "optimal":
            round_(pool, "search", algorithm)
            return
        # Every worker of the branch and bound must beat the hybrid search's best key; the
        # workers share every improvement through a file (each prunes with the best of all).
        if incumbent is None:             # else the incumbent is the key to beat
            round_(pool, "seed", "hybrid",
                   samples=search_size or -(-OPTIMAL_SEED_SAMPLES // jobs))
        if stop.reason() is not None or (deadline is not None and time.monotonic() >= deadline):
            reasons.append(stop.reason() or StopReason.TIME_LIMIT)
            return
        reasons.clear()                   # the hybrid round's ends say nothing of the result
        seeded = merged.best("seed")       # of the seed round and the incumbent
        with tempfile.TemporaryDirectory(prefix="mapper-optimal-") as tmp:
            shared = Path(tmp) / "best.json" if jobs > 1 else None
            round_(pool, "optimal", "optimal", seeded[0] if seeded else None, shared)

    if jobs == 1 or stop.reason() is not None:
        rounds(None)
    elif pool is not None:
        rounds(pool)
    else:
        with worker_pool(jobs, stop) as pool:
            rounds(pool)
    stopped = StopReason.overall(reasons)
    found = merged.best("optimal" if algorithm == "optimal" else "search")
    best = None if found is None else verified_best(model, space.constraints, found[1])
    total = merged.progress()
    proven = ALGORITHM[algorithm].proves_optimality and stopped == StopReason.FINISHED
    stats = SearchStats(algorithm, total.evaluated, total.valid, size or space_size(space),
                        proven, time.monotonic() - start, stopped, total.pruned)
    return SearchResult(best, stats, objective)

