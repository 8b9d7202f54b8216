"""Run a search, in one process or over joblib workers, and merge the workers' best mappings.

Workers are independent: each runs the same algorithm with its own random stream
(``SeedSequence(seed).spawn``) or, for ``exhaustive`` and ``optimal``, its own share of the
space, so the result depends only on the seed and the number of jobs. ``optimal`` runs in two
rounds: a hybrid search whose best mapping becomes every worker's incumbent, then the branch
and bound. joblib's Dask backend runs the
same workers on a cluster (``with joblib.parallel_config(backend="dask"): ...``).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..mapspace.orders import level_orders
from ..mapspace.space import MapSpace
from ..model.batch import MappingBatch
from ..model.evaluate import Model
from .engine import Progress, Search, SearchResult, SearchStats
from .objective import Objective
from .validity import verified_best

ALGORITHMS = ("exhaustive", "optimal", "random", "hybrid")
#: random evaluations of a hybrid search before the hill climbing (per worker)
HYBRID_SAMPLES = 200_000


def space_size(space: MapSpace) -> dict:
    """Exact sizes before pruning (Timeloop's subspaces): tilings, loop orders (distinct
    orders of the levels' temporal dimensions, an upper bound once unit loops collapse), keep
    choices, and their product."""
    orders = 1
    for k in range(len(space.arch.storage)):
        free = tuple(d for d in space.dims if any(s.level == k and s.axis == "T" and s.hi > 1
                                                   for s in space.slots[d]))
        orders *= len(level_orders(free, space.dims, space.constraints.levels[k].temporal.order))
    sizes = space.size()
    return {"tilings": sizes["tilings"], "loop_orders": orders,
            "keep_choices": sizes["keep_choices"],
            "total": sizes["tilings"] * orders * sizes["keep_choices"]}


def _worker(model: Model, space: MapSpace, objective: Objective, algorithm: str,
            seed: np.random.SeedSequence, share: tuple[int, int], time_limit: float | None,
            search_size: int | None, victory_condition: int | None,
            progress: Callable[[Progress], None] | None = None, incumbent=None, shared=None):
    search = Search(model, space, objective, time_limit, progress)
    search.shared = shared
    if incumbent is not None:
        search.best.key, search.best.batch, search.best.row = incumbent[0], incumbent[1], 0
    rng = np.random.default_rng(seed)
    try:
        if algorithm == "exhaustive":
            stopped = search.exhaustive(share)
        elif algorithm == "optimal":
            stopped = search.optimal(share)
        elif algorithm == "random":
            stopped = search.random(rng, search_size, victory_condition)
        else:
            # Hybrid: a fixed number of random evaluations (deterministic), then hill climbing
            # from the best mappings found; the time limit only cuts it short.
            search.random(rng, search_size or HYBRID_SAMPLES, victory_condition)
            stopped = search.hill_climb()
    except KeyboardInterrupt:
        stopped = "interrupted"
    best = search.best
    one = best.batch.take([best.row]) if best.batch is not None else None
    return (best.key, one, search.progress.evaluated, search.progress.valid, stopped,
            search.progress.pruned)


def run_search(model: Model, space: MapSpace, objective: Objective, algorithm: str = "hybrid",
               jobs: int = 1, time_limit: float | None = None, seed: int = 0,
               search_size: int | None = None, victory_condition: int | None = None,
               progress: Callable[[Progress], None] | None = None) -> SearchResult:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
    start = time.monotonic()
    seeds = np.random.SeedSequence(seed).spawn(jobs)
    deadline = None if time_limit is None else start + time_limit

    def round_(algo: str, incumbent=None, shared=None) -> list:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        args = [(model, space, objective, algo, seeds[i], (i, jobs), left, search_size,
                 victory_condition) for i in range(jobs)]
        if jobs == 1:
            return [_worker(*args[0], progress=progress, incumbent=incumbent)]
        from joblib import Parallel, delayed
        return Parallel(n_jobs=jobs)(delayed(_worker)(*a, incumbent=incumbent, shared=shared)
                                     for a in args)

    outs = []
    if algorithm == "optimal":
        # The incumbent of the branch and bound: a hybrid search's best mapping. The workers
        # share every improvement through a file (each prunes with the best of all).
        first = round_("hybrid")
        seeded = [o for o in first if o[0] is not None]
        incumbent = min(seeded, key=lambda o: o[0])[:2] if seeded else None
        with tempfile.TemporaryDirectory(prefix="mapper-optimal-") as tmp:
            shared = Path(tmp) / "best.json" if jobs > 1 else None
            outs = [o[:4] + ("",) + o[5:] for o in first] + round_("optimal", incumbent, shared)
    else:
        outs = round_(algorithm)
    found = [o for o in outs if o[0] is not None]
    evaluated = sum(o[2] for o in outs)
    valid = sum(o[3] for o in outs)
    reasons = {o[4] for o in outs} - {""}
    stopped = ", ".join(sorted(reasons))
    proven = algorithm in ("exhaustive", "optimal") and stopped == "finished"
    best = None
    if found:
        key, one, *_ = min(found, key=lambda o: o[0])
        best = verified_best(model, space.constraints, one)
    stats = SearchStats(algorithm, evaluated, valid, space_size(space), proven,
                        time.monotonic() - start, stopped, sum(o[5] for o in outs))
    return SearchResult(best, stats, objective)


def best_batch(result: SearchResult) -> MappingBatch | None:
    return None if result.best is None else MappingBatch.of([result.best.mapping])
