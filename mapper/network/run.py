"""Whole-network runs: search every distinct layer of a network once, count it as often as it
occurs, and add the layers up (Sze et al.: judge a design on whole networks, batch stated).

    >>> from mapper.network.run import run_network
    >>> result = run_network("eyeriss_like", "resnet18", objective="edp", jobs=2)
    >>> result.summary()["energy_pJ"], result.summary()["latency_s"]

Each layer is searched by the one search pipeline (:func:`mapper.mapsearch.pipeline.search`).
Layers run in parallel over worker processes (``jobs``), each layer's search on one worker;
each layer's best mapping is cached on disk (:mod:`mapper.network.cache`) and re-evaluated
when read, so a re-run, or a sweep that meets the same layer, does not search it again.
Layers are summed as if run one after another, each with the whole batch; a layer that
cannot be mapped is kept in the result (``status``) and the totals say they are incomplete.

Ctrl-C or SIGTERM stops the run: the layers being searched keep their best mapping so far
(not cached), the layers not started yet are ``not searched``, and
``NetworkResult.stopped_by`` says why.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..inputs.energy_tables import warning_lines
from ..inputs.load import load
from ..inputs.settings import search_settings
from ..inputs.templates import Overrides
from ..model import Evaluation, Model
from ..mapsearch import Progress
from ..mapsearch.objective import Objective
from ..mapsearch.pipeline import Feasibility, SearchInputs, SearchOutcome
from ..mapsearch.pipeline import search as search_pipeline
from ..mapsearch.settings import SearchSettings
from ..mapsearch.stopping import StopFlag, StopReason, stop_on_signals
from ..mapsearch.workers import Context, LocalContext, Task, WorkerPool
from ..report.metrics import clock_of
from ..spec.arch import Arch
from ..spec.errors import SpecError, UnknownParameter, Where
from .cache import LayerCache, default_cache_dir, layer_key
from .library import DistinctLayer, Network, load_network, network_path
from .run_inputs import (mapping_file_names, network_parameters, split_overrides,
                         subset)

#: ``cache_dir`` default: the per-user cache (:func:`default_cache_dir`)
DEFAULT_CACHE = "default"
MAPPED, INFEASIBLE, NOT_FOUND = "mapped", "infeasible", "no valid mapping found"
#: the run was stopped (Ctrl-C, SIGTERM) before this layer was searched
NOT_SEARCHED = "not searched"


@dataclass
class LayerResult:
    """The outcome for one distinct layer (it stands for ``layer.count`` occurrences)."""

    layer: DistinctLayer
    key: str
    status: str = MAPPED
    evaluation: Evaluation | None = None
    search: dict | None = None            # SearchStats.to_json() + objective + cached
    reasons: tuple[str, ...] = ()         # why no mapping fits (CP-SAT's minimal conflict)
    cached: bool = False
    file_name: str = ""                   # mappings/<file_name>.yaml

    @property
    def name(self) -> str:
        return self.layer.name


@dataclass(frozen=True)
class NetworkProgress:
    """What a progress line shows: after each layer, and during a layer's search (with
    several jobs, of whichever layer reported last)."""

    done: int
    total: int
    layer: str
    status: str                  # "cached", "searching", or the finished layer's status
    elapsed_s: float
    search: Progress | None = None
    best_edp: float | None = None


@dataclass
class NetworkResult:
    network: Network
    arch: Arch
    layers: list[LayerResult]                     # one per distinct layer, first occurrence order
    objective: Objective
    settings: SearchSettings
    cycle_s: float | None                         # seconds per cycle, None if no clock is known
    clock_source: str
    energy_source: str
    cache: dict = field(default_factory=dict)     # dir, hits, misses
    wall_s: float = 0.0
    note: str = ""                                # e.g. only some layers were run
    #: ignored input keys (``note: ...``) and energy estimator warnings, for the caller to show
    warnings: tuple[str, ...] = ()
    #: set when a signal stopped the run (Ctrl-C: interrupted, SIGTERM: terminated)
    stopped_by: StopReason | None = None

    @property
    def complete(self) -> bool:
        return all(r.status == MAPPED for r in self.layers)

    def result_of(self, layer_name: str) -> LayerResult:
        """The result of the distinct layer that a network layer (by name) belongs to."""
        for r in self.layers:
            if any(entry.name == layer_name for entry in r.layer.layers):
                return r
        raise KeyError(layer_name)

    def summary(self) -> dict:
        """The ``network.json`` record (see :mod:`mapper.network.report`)."""
        from .report import network_summary
        return network_summary(self)


# -- one layer's search (a task: in this process or in a worker) --------------------------

def search_layer(inputs: SearchInputs, settings: SearchSettings, *,
                 context: Context) -> SearchOutcome:
    """The pipeline's search of one layer, on one job (the layers are the parallelism); its
    progress goes to ``context.report``."""
    def progress(p) -> None:
        if isinstance(p, Progress) and context.due():
            context.report(p)
    return search_pipeline(inputs, replace(settings, jobs=1), progress, stop=context.stop)


# -- the run ----------------------------------------------------------------------------------

def layer_entry(name: str, inputs: SearchInputs, outcome: SearchOutcome) -> dict | None:
    """What is stored of a finished search of one layer: its status, the search's record and
    the mapping as Timeloop's YAML (never numbers: a reader re-evaluates it); None for a search
    stopped early (its best so far is no answer)."""
    if outcome.stopped_early:
        return None
    entry = {"layer": name, "arch": inputs.arch.name,
             "objective": outcome.objective.describe(), "search": outcome.to_json()}
    if outcome.feasibility == Feasibility.INFEASIBLE:
        return {**entry, "status": INFEASIBLE, "reasons": list(outcome.reasons)}
    if outcome.best is None:
        return {**entry, "status": NOT_FOUND}
    from ..spec.timeloop_writer import mapping_to_timeloop
    return {**entry, "status": MAPPED,
            "mapping": mapping_to_timeloop(outcome.best.mapping, inputs.arch, inputs.workload)}


class UnusableEntry(ValueError):
    """A stored layer result (a cache entry, a sweep's store row) that cannot be used here: its
    mapping does not read back, breaks the constraints or is not valid. Searched again."""

    def __init__(self, where: str, why: str):
        super().__init__(f"{where}: {why}")
        self.where, self.why = where, why


@dataclass
class NetworkPlan:
    """A whole-network run before any search (:func:`plan_network`): the inputs loaded, each
    distinct layer with its constraints and its key (:func:`~mapper.network.cache.layer_key`).
    :func:`run_network` searches the layers itself; a sweep hands them to its own workers and
    turns what they return into :class:`LayerResult` with :meth:`from_entry`."""

    spec: Any                                     # mapper.inputs.load.Spec
    network: Network
    settings: SearchSettings
    cache: LayerCache
    cycle_s: float | None
    clock_source: str
    note: str
    start: float
    distinct: list[DistinctLayer]
    names: list[str]                              # mappings/<name>.yaml per distinct layer
    constraints: list
    keys: list[str]

    def inputs(self, i: int, incumbents: tuple = ()) -> SearchInputs:
        """The pipeline's inputs of distinct layer ``i`` (``incumbents``: see
        :class:`~mapper.mapsearch.pipeline.SearchInputs`)."""
        return SearchInputs(self.spec.arch, self.distinct[i].workload, self.constraints[i],
                            self.spec.tables, tuple(incumbents))

    def entry(self, i: int, outcome: SearchOutcome) -> dict | None:
        """What is stored of a finished search of layer ``i`` (:func:`layer_entry`)."""
        return layer_entry(self.distinct[i].name, self.inputs(i), outcome)

    def finish(self, i: int, outcome: SearchOutcome) -> LayerResult:
        """The result of a search of layer ``i`` just run; a mapping found is cached."""
        d, key = self.distinct[i], self.keys[i]
        if outcome.feasibility == Feasibility.INFEASIBLE:
            return LayerResult(d, key, INFEASIBLE, reasons=outcome.reasons,
                               file_name=self.names[i])
        search = {**outcome.to_json(), "cached": False}
        if outcome.best is None:
            return LayerResult(d, key, NOT_SEARCHED if outcome.stopped_early else NOT_FOUND,
                               search=search, file_name=self.names[i])
        entry = self.entry(i, outcome)
        if entry is not None:                 # a best so far is not the search's answer
            self.cache.put(key, {k: v for k, v in entry.items() if k != "status"})
        return LayerResult(d, key, MAPPED, outcome.best, search, file_name=self.names[i])

    def from_entry(self, i: int, entry: dict, where: str, cached: bool = True) -> LayerResult:
        """Layer ``i``'s result from a stored entry (:meth:`entry`, or a cache entry), its
        mapping read back, checked and re-evaluated now; :class:`UnusableEntry` (naming
        ``where``) if it cannot be used."""
        from ..spec.constraints import check_mapping
        from ..spec.timeloop_mapping import read_mapping
        d, key = self.distinct[i], self.keys[i]
        search = dict(entry.get("search") or {})
        search.update(objective=self.settings.objective.describe(), cached=cached)
        status = entry.get("status", MAPPED)
        if status in (INFEASIBLE, NOT_FOUND):
            return LayerResult(d, key, status, search=search,
                               reasons=tuple(entry.get("reasons") or ()),
                               file_name=self.names[i])
        if status != MAPPED or "mapping" not in entry:
            raise UnusableEntry(where, f"no mapping and no known status ({status!r})")
        try:
            mapping = read_mapping(entry["mapping"], Where(where, "mapping"), self.spec.arch,
                                   d.workload)
            broken = check_mapping(mapping, self.spec.arch, d.workload, self.constraints[i])
            ev = None if broken else Model(self.spec.arch, d.workload,
                                           self.spec.tables).evaluate_mapping(mapping)
        except (SpecError, ValueError, KeyError, TypeError) as e:
            raise UnusableEntry(where, f"the mapping does not read back: {e}") from None
        if broken:
            raise UnusableEntry(where, f"the mapping breaks the constraints: "
                                f"{'; '.join(map(str, broken))}")
        if not ev.valid:
            raise UnusableEntry(where, f"the mapping is not valid: "
                                f"{'; '.join(ev.violations)}")
        return LayerResult(d, key, MAPPED, ev, search, cached=cached, file_name=self.names[i])

    def from_cache(self, i: int) -> LayerResult | None:
        """Layer ``i`` from the per-layer cache (a hit), or None (a miss); an entry that cannot
        be used is noted in ``cache.damaged`` and is a miss."""
        entry = self.cache.get(self.keys[i])
        if entry is None:
            return None
        try:
            return self.from_entry(i, entry, str(self.cache.path(self.keys[i])))
        except UnusableEntry as e:
            self.cache.damaged.append(str(e))
            return None

    def result(self, layers: list[LayerResult], stopped: StopReason | None) -> NetworkResult:
        spec = self.spec
        return NetworkResult(self.network, spec.arch, layers, self.settings.objective,
                             self.settings, self.cycle_s, self.clock_source, spec.energy_source,
                             {"dir": str(self.cache.dir) if self.cache.dir else None,
                              "hits": self.cache.hits, "misses": self.cache.misses},
                             time.monotonic() - self.start, self.note,
                             tuple(f"note: {line}" for line in spec.notes.lines())
                             + tuple(warning_lines(spec.energy_warnings))
                             + tuple(f"warning: layer cache: {why}; searched again"
                                     for why in self.cache.damaged),
                             stopped if stopped is not None and stopped.early else None)


def load_arch_and_network(arch: str | Path | Sequence[str | Path],
                          network: str | Path | Network, *,
                          overrides: Overrides | dict[str, Any] | None = None,
                          energy_tables: Sequence[str | Path] = (),
                          ert: str | Path | None = None, art: str | Path | None = None
                          ) -> tuple[Any, Network]:
    """The arch inputs (a ``Spec`` without a workload) and the network, as
    :func:`run_network` takes them: ``overrides`` set the template's parameters and the
    network's (``batch``, ``seq``) alike; problems among the arch inputs are an error."""
    paths = [arch] if isinstance(arch, (str, Path)) else list(arch)
    overrides = Overrides.of(overrides)
    if isinstance(network, Network):
        arch_over = overrides
    else:
        path = network_path(network)
        net_over, arch_over = split_overrides(overrides, network_parameters(path))
        network = load_network(path, net_over)
    try:
        spec = load(paths, ert=ert, art=art, need_mapping=False, need_workload=False,
                    energy_tables=energy_tables, overrides=arch_over)
    except UnknownParameter as e:
        raise SpecError(f"{e.message}; the network's parameters are: "
                        f"{', '.join(network.parameters)}", e.file, e.path) from None
    given = spec.inputs.get("problem", "workload", "layers")
    if given is not None:
        given[1].fail("the network gives the layers: leave problems out of the arch inputs")
    return spec, network


def layer_constraints(spec, d: DistinctLayer):
    """The constraints of the arch inputs applied to one distinct layer of a network."""
    from ..spec.timeloop_constraints import read_constraints
    try:
        return read_constraints(spec.inputs, spec.arch, d.workload)
    except SpecError as e:
        raise SpecError(f"layer {d.name!r} ({d.layers[0].source}): {e.message}",
                        e.file, e.path) from None


def plan_network(arch: str | Path | Sequence[str | Path], network: str | Path | Network, *,
                 overrides: Overrides | dict[str, Any] | None = None,
                 objective: str | Objective | None = None, algorithm: str | None = None,
                 jobs: int | None = None, time_limit: float | None = None,
                 search_size: int | None = None, victory_condition: int | None = None,
                 seed: int | None = None, energy_tables: Sequence[str | Path] = (),
                 ert: str | Path | None = None, art: str | Path | None = None,
                 cache_dir: str | Path | None = DEFAULT_CACHE,
                 only: int | Sequence[str] | None = None) -> NetworkPlan:
    """The inputs of :func:`run_network` loaded and checked, nothing searched (the arguments
    are :func:`run_network`'s)."""
    start = time.monotonic()
    spec, network = load_arch_and_network(arch, network, overrides=overrides,
                                          energy_tables=energy_tables, ert=ert, art=art)
    settings = search_settings(spec, objective=objective, algorithm=algorithm, jobs=jobs,
                               time_limit=time_limit, search_size=search_size,
                               victory_condition=victory_condition, seed=seed)
    note = ""
    if only is not None:
        total = len(network.distinct())
        network = subset(network, only)
        note = f"only {len(network.distinct())} of the network's {total} distinct layers"
    cache = LayerCache(default_cache_dir() if cache_dir == DEFAULT_CACHE else cache_dir)
    arch_file = spec.inputs.files.get("architecture", spec.inputs.files.get("arch"))
    clock = clock_of(spec.arch, arch_file)
    distinct = network.distinct()
    constraints = [layer_constraints(spec, d) for d in distinct]
    keys = [layer_key(spec.arch, spec.tables, d.workload, c, settings.objective,
                      {"algorithm": settings.algorithm, "search_size": settings.search_size,
                       "victory_condition": settings.victory_condition,
                       "seed": settings.seed, "time_limit": settings.time_limit})
            for d, c in zip(distinct, constraints)]
    return NetworkPlan(spec, network, settings, cache, clock.cycle_s, clock.source, note, start,
                       distinct, mapping_file_names(distinct), constraints, keys)


def run_network(arch: str | Path | Sequence[str | Path], network: str | Path | Network, *,
                overrides: Overrides | dict[str, Any] | None = None,
                objective: str | Objective | None = None, algorithm: str | None = None,
                jobs: int | None = None, time_limit: float | None = None,
                search_size: int | None = None, victory_condition: int | None = None,
                seed: int | None = None, energy_tables: Sequence[str | Path] = (),
                ert: str | Path | None = None, art: str | Path | None = None,
                cache_dir: str | Path | None = DEFAULT_CACHE,
                only: int | Sequence[str] | None = None,
                progress: Callable[[NetworkProgress], None] | None = None,
                stop: StopFlag | None = None) -> NetworkResult:
    """Search every distinct layer of ``network`` on ``arch`` and collect the results.

    ``arch``: a template name or arch file, or a list of files (arch, constraints, Timeloop's
    ``mapper:`` settings, ERT/ART), merged as ``mapper search`` merges them; its settings are
    the defaults of the arguments given here. ``network``: a network file, a bundled network's
    name or a :class:`Network`. ``overrides`` set template parameters and the network's
    parameters (``batch``, ``seq``) alike. ``time_limit`` is per layer. ``cache_dir=None``
    turns the cache off. ``only``: the first N distinct layers, or the named layers.
    ``stop``: the caller's stop flag; without one, SIGINT and SIGTERM stop the run while it
    searches (the layers searched so far are kept, see :attr:`NetworkResult.stopped_by`).
    """
    plan = plan_network(arch, network, overrides=overrides, objective=objective,
                        algorithm=algorithm, jobs=jobs, time_limit=time_limit,
                        search_size=search_size, victory_condition=victory_condition,
                        seed=seed, energy_tables=energy_tables, ert=ert, art=art,
                        cache_dir=cache_dir, only=only)
    own = stop is None
    stop = StopFlag() if own else stop
    runner = _Runner(plan, progress, stop)
    with stop_on_signals(stop) if own else nullcontext():
        layers = runner.run()
    return plan.result(layers, stop.reason())


class _Runner:
    """Cache look-ups first, then the searches of the misses (inline or over workers)."""

    def __init__(self, plan: NetworkPlan, progress, stop: StopFlag):
        self.plan, self.progress, self.stop = plan, progress, stop
        self.settings = plan.settings
        self.done = 0

    def run(self) -> list[LayerResult]:
        plan = self.plan
        results: list[LayerResult | None] = [None] * len(plan.distinct)
        todo = []
        for i, d in enumerate(plan.distinct):
            hit = plan.from_cache(i)
            if hit is not None:
                results[i] = hit
                plan.cache.hits += 1
                self.report(d.name, "cached", hit)
            else:
                plan.cache.misses += 1
                todo.append(i)
        for i, outcome in self.searches(todo):
            results[i] = plan.finish(i, outcome)
            self.report(plan.distinct[i].name, results[i].status, results[i])
        for i in todo:                            # stopped before these were searched
            if results[i] is None:
                results[i] = LayerResult(plan.distinct[i], plan.keys[i], NOT_SEARCHED,
                                         file_name=plan.names[i])
        return results

    def searches(self, todo: list[int]):
        """(index, SearchOutcome) as the searches finish; after a stop, only those that
        returned (the ones not started, or killed, are missing)."""
        plan, s = self.plan, self.settings
        if s.jobs == 1 or len(todo) <= 1:
            for i in todo:
                if self.stop.reason() is not None:
                    return
                name = plan.distinct[i].name
                context = LocalContext(self.stop, lambda p, name=name: self.searching(name, p))
                yield i, search_layer(plan.inputs(i), s, context=context)
            return
        with WorkerPool(min(s.jobs, len(todo)), self.stop) as pool:
            try:
                for n, outcome in pool.results(
                        [Task(search_layer, (plan.inputs(i), s)) for i in todo],
                        on_report=lambda n, p: self.searching(plan.distinct[todo[n]].name, p)):
                    yield todo[n], outcome
            except KeyboardInterrupt:         # a second Ctrl-C: stop now with what is done
                self.stop.request(StopReason.INTERRUPTED)
                pool.close(now=True)

    def searching(self, name: str, p: Progress) -> None:
        if self.progress:
            self.progress(NetworkProgress(self.done, len(self.plan.distinct), name, "searching",
                                          self.elapsed(), p))

    def elapsed(self) -> float:
        return time.monotonic() - self.plan.start

    def report(self, name: str, status: str, result: LayerResult) -> None:
        self.done += 1
        if self.progress:
            ev = result.evaluation
            self.progress(NetworkProgress(self.done, len(self.plan.distinct), name, status,
                                          self.elapsed(), None, ev.edp if ev else None))
