"""Running a sweep: every (design, energy tables, network, batch) run, with what the result
store already holds reused and everything new stored the moment it is known; then the tables.

    >>> from mapper.sweep import run
    >>> result = run("examples/sweep/sweep.yaml", "out/sweep", jobs=2)
    >>> result.rows[0]["energy_per_inference_pJ"], result.failed_designs
    >>> result.dataframe()          # with pandas installed
    >>> result.breakdown_dataframe()    # energy per inference by level and data space

Tasks run in this process (``jobs=1``), over joblib's worker processes (``jobs=N``) or, with
``scheduler="tcp://host:8786"``, on an existing Dask distributed cluster through joblib's dask
backend (``pip install 'dnn-mapper[dask]'``). The parallelism is over the distinct layers of
all designs (:class:`~mapper.sweep.tasks.LayerTask`): a layer is searched once per design
however many of its networks and batch sizes hold it, its entry stored the moment the search
returns (and put in the per-layer cache, :mod:`mapper.network.cache`, which is read too), and
a run's total is the network summary of its layers' entries, assembled and stored as soon as
its last layer is known (:meth:`mapper.network.run.NetworkPlan.result`).

With ``algorithm: optimal`` a layer's search starts from the optima of the same layer on the
neighbouring designs already searched (same template, one parameter different): each that is
valid on this design prunes the branch and bound from the start, in place of its hybrid
seed round (``SearchInputs.incumbents``); a finished search returns the same mapping with or without them.

Ctrl-C or SIGTERM (or the caller's ``stop``) stops the sweep: the layers and runs finished are
stored, the searches in flight are dropped and their worker processes ended, and the same call
again goes on from there. Nothing below the command line prints: progress is a callback.
"""
from __future__ import annotations

import json
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..network.cache import writable_cache_dir
from ..network.library import workload_key
from ..network.run import MAPPED, NetworkPlan, UnusableEntry, plan_network
from ..report.results import SWEEP_BREAKDOWN_FILE, SWEEP_SETTINGS_FILE
from ..spec.errors import SpecError, Where
from .spec import Design, SweepSpec, load_sweep
from .store import DB_NAME, Damaged, Store
from .tables import (PARETO_AXES, breakdown_columns, breakdown_of, columns, format_csv,
                     mark_pareto, row_of)
from .tasks import (FAILED, LayerDone, LayerTask, Task, TaskResult, make_tasks, run_layer,
                    summarise)

#: ``cache_dir`` default: the per-user layer cache, else OUTDIR/.cache
DEFAULT_CACHE = "default"
NOT_RUN = "not run"
#: how long to wait for a Dask scheduler to answer
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class SweepProgress:
    designs_done: int           # designs whose every run is known (stored or run now)
    designs: int
    tasks_done: int             # layer tasks known (stored, cached or searched now) of total
    tasks: int
    reused: int                 # of tasks_done: read from the store or the layer cache
    failed: int                 # runs failed so far
    elapsed_s: float
    eta_s: float | None         # from the time per layer searched so far
    last: str                   # what just finished: design / layer, or design / network
    status: str


@dataclass
class SweepResult:
    spec: SweepSpec
    rows: list[dict]                    # one per task, in the spec's order
    columns: list[str]
    outdir: Path | None
    reused: int = 0                     # runs read from the store
    ran: int = 0                        # runs assembled now
    layers_reused: int = 0              # layer tasks read from the store or the layer cache
    layers_searched: int = 0            # layer tasks searched now
    #: of the layers searched now: how many started from a neighbouring design's optimum
    layers_with_incumbents: int = 0
    stopped: bool = False               # interrupted: some runs were not run
    stopped_by: str | None = None       # "interrupted" (Ctrl-C), "terminated" (SIGTERM)
    damaged: list[Damaged] = field(default_factory=list)    # store rows / cache entries redone
    wall_s: float = 0.0
    files: list[str] = field(default_factory=list)
    #: the inputs' notes and the energy estimators' warnings, each once, with its designs
    warnings: dict[str, list[str]] = field(default_factory=dict)
    #: energy per inference by (level, data space) of every run that is ok, long format
    #: (:func:`~mapper.sweep.tables.breakdown_of`; ``breakdown.csv``)
    breakdown: list[dict] = field(default_factory=list)
    breakdown_columns: list[str] = field(default_factory=list)
    #: the columns the ``pareto`` flags are the front over (``sweep.json``): those asked
    #: (``--pareto``), ``cycles`` in place of ``latency_s`` when a design has no clock
    pareto_axes: list[str] = field(default_factory=list)
    pareto_axes_asked: list[str] = field(default_factory=list)
    #: why the axes used differ from those asked; runs without a value on an axis
    pareto_notes: list[str] = field(default_factory=list)

    @property
    def failed_designs(self) -> list[str]:
        """Designs with a run that failed (not those merely not run yet)."""
        return list(dict.fromkeys(r["design"] for r in self.rows if r["status"] == FAILED))

    @property
    def pareto_rows(self) -> list[dict]:
        return [r for r in self.rows if r.get("pareto")]

    def csv(self) -> str:
        return format_csv(self.rows, self.columns)

    def breakdown_csv(self) -> str:
        return format_csv(self.breakdown, self.breakdown_columns)

    def dataframe(self):
        """The results table as a pandas DataFrame (needs pandas)."""
        return _frame(self.rows, self.columns, "dataframe", "rows")

    def breakdown_dataframe(self):
        """The energy breakdown (``breakdown.csv``) as a pandas DataFrame (needs pandas)."""
        return _frame(self.breakdown, self.breakdown_columns, "breakdown_dataframe",
                      "breakdown")


def _frame(rows: list[dict], cols: list[str], method: str, attribute: str):
    try:
        import pandas
    except ImportError:
        raise SpecError(f"SweepResult.{method}() needs pandas (pip install pandas); "
                        f"result.{attribute} holds the same table as dicts") from None
    return pandas.DataFrame(rows, columns=cols)


def run(spec: str | Path | SweepSpec, outdir: str | Path | None = None, *, jobs: int = 1,
        scheduler: str | None = None, cache_dir: str | Path | None = DEFAULT_CACHE,
        pareto_axes: Sequence[str] = PARETO_AXES,
        progress: Callable[[SweepProgress], None] | None = None,
        stop=None, neighbours: bool = True) -> SweepResult:
    """Run a sweep (a spec file or a :class:`SweepSpec`) into ``outdir`` (its ``sweep.db``,
    ``results.csv``, ``pareto.csv``, ``breakdown.csv``, ``sweep.json`` (the Pareto axes),
    figures and ``index.html``; ``None``:
    an in-memory store, no files).
    ``neighbours=False``: no incumbents from neighbouring designs (to measure what they
    save)."""
    from ..mapsearch.stopping import StopFlag, stop_on_signals
    start = time.monotonic()
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    if jobs < 1:
        raise SpecError(f"jobs: expected an integer >= 1, got {jobs}")
    from .tables import METRICS
    if not pareto_axes:
        raise SpecError(f"pareto axes: expected at least one metric column, such as "
                        f"{', '.join(PARETO_AXES)}")
    for axis in pareto_axes:
        if axis not in METRICS:
            raise SpecError(f"unknown Pareto axis {axis!r}; expected metric columns such as "
                            f"{', '.join(PARETO_AXES)}, onchip_storage_bytes, pes, cycles")
    out = Path(outdir) if outdir is not None else None
    cache = _cache_dir(cache_dir, out)
    tasks = make_tasks(spec)
    client = _connect(scheduler) if scheduler else None     # before anything is written
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    store = Store(out / DB_NAME if out is not None else ":memory:")
    own = stop is None
    stop = StopFlag() if own else stop
    try:
        with stop_on_signals(stop) if own else nullcontext():
            result = _Sweep(spec, tasks, store, progress, start, stop,
                            None if cache is None else str(cache), neighbours).go(jobs, client)
    finally:
        store.close()
        if client is not None:
            client.close()
    result.outdir = out
    if result.stopped:
        reason = stop.reason()
        result.stopped_by = str(reason) if reason is not None else "interrupted"
    axes = mark_pareto(result.rows, pareto_axes)
    result.pareto_axes, result.pareto_axes_asked = list(axes.used), list(axes.asked)
    result.pareto_notes = list(axes.notes)
    if out is not None:
        from ..report.outputs import write_run_outputs
        files = {"results.csv": result.csv(),
                 "pareto.csv": format_csv(result.pareto_rows, result.columns),
                 SWEEP_BREAKDOWN_FILE: result.breakdown_csv(),
                 SWEEP_SETTINGS_FILE: json.dumps({"pareto_axes": result.pareto_axes,
                                                  "pareto_axes_asked": result.pareto_axes_asked,
                                                  "pareto_notes": result.pareto_notes},
                                                 indent=1) + "\n"}
        from ..report.page import sweep_page_files      # figures/*.png and index.html
        files.update(sweep_page_files(out, result.rows, result.columns, result.breakdown,
                                      result.pareto_axes, result.pareto_notes))
        write_run_outputs(out, files)
        result.files = [str(out / name) for name in (DB_NAME, *files)]
    result.wall_s = time.monotonic() - start
    return result


def _cache_dir(cache_dir, out: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    if cache_dir != DEFAULT_CACHE:
        return Path(cache_dir)
    return writable_cache_dir(out / ".cache" if out is not None else None)


def _connect(address: str):
    """A Dask distributed client of the cluster at ``address``; bad input if dask is missing
    or nothing answers there."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise SpecError("--scheduler needs Dask distributed: pip install 'dnn-mapper[dask]' "
                        "(or pip install 'dask[distributed]')") from None
    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        raise SpecError(f"no Dask scheduler answers at {address!r}: {e}") from None


@dataclass
class _Run:
    """A run not in the store yet: its task and its plan (None: the design cannot run)."""

    task: Task
    plan: NetworkPlan | None
    failure: str = ""
    error: bool = False             # an internal error: not stored (retried)


def _workload_id(workload) -> str:
    """The same layer on every design: the workload's bounds, projections and coefficients."""
    return repr((workload_key(workload), sorted(workload.coefficients.items())))


def _neighbours(design: Design, designs: Sequence[Design]) -> list[Design]:
    """The designs of the same template with the same parameters but one, in spec order."""
    if not design.template:
        return []
    return [d for d in designs if d.template == design.template and d.name != design.name
            and d.params.keys() == design.params.keys()
            and sum(d.params[k] != design.params[k] for k in d.params) == 1]


class _Sweep:
    def __init__(self, spec: SweepSpec, tasks: list[Task], store: Store, progress, start, stop,
                 cache_dir: str | None, neighbours: bool):
        self.spec, self.tasks, self.store = spec, tasks, store
        self.progress, self.start, self.stop = progress, start, stop
        self.cache_dir, self.use_neighbours = cache_dir, neighbours
        self.results: dict[str, tuple[str, str, dict, list]] = {}
        self.entries: dict[str, dict] = {}          # layer key -> its entry (as stored)
        self.errors: dict[str, LayerDone] = {}      # layer key -> its failed search
        self.optima: dict[tuple[str, str], Any] = {}   # (design, workload id) -> mapping
        self.units: dict[str, tuple[NetworkPlan, int, Design]] = {}   # layer key -> first use
        self.reused = self.ran = self.failed = 0
        self.layers_reused = self.layers_searched = self.with_incumbents = 0
        self.run_start = time.monotonic()
        self.searching_s = 0.0

    # -- the whole sweep ------------------------------------------------------------------
    def go(self, jobs: int, client) -> SweepResult:
        pending: list[_Run] = []
        planned: set[str] = set()
        for t in self.tasks:
            if t.key in self.results or t.key in planned:
                continue
            planned.add(t.key)
            stored = self.store.get(t.key)
            if stored is not None:
                self.results[t.key] = (stored.status, stored.reason, stored.total,
                                       stored.layers)
                self.reused += 1
                self.failed += stored.status == FAILED
            else:
                pending.append(self.plan(t))
                self.report(f"{t.design.name} / {t.network.name}", "loaded")
        for r in pending:
            if r.plan is not None:
                for i, key in enumerate(r.plan.keys):
                    self.units.setdefault(key, (r.plan, i, r.task.design))
        todo = []
        for key, (plan, i, design) in self.units.items():
            entry = self.known(key, plan, i, design)
            if entry is None:
                todo.append(key)
            else:
                self.keep(key, entry)
                self.layers_reused += 1
        for r in pending:
            self.assemble(r)
        stopped = False
        self.run_start = time.monotonic()
        try:
            for done in self.execute(todo, jobs, client):
                if done.entry is None and not done.error:        # stopped early
                    stopped = True
                    break
                self.layers_searched += 1
                self.searching_s = time.monotonic() - self.run_start
                plan, i, design = self.units[done.key]
                if done.entry is not None:
                    entry = json.loads(json.dumps(done.entry))    # as the store gives it back
                    self.store.put_layer(done.key, design=design.name,
                                         layer=plan.distinct[i].name, entry=entry)
                    if entry["status"] == MAPPED:
                        plan.cache.put(done.key, {k: v for k, v in entry.items()
                                                  if k != "status"})
                    self.keep(done.key, entry)
                else:
                    self.errors[done.key] = done
                for r in pending:
                    if r.plan is not None and done.key in r.plan.keys:
                        self.assemble(r)
                self.report(f"{design.name} / {plan.distinct[i].name}",
                            "error" if done.error else done.entry["status"])
                if self.stop.reason() is not None:
                    stopped = True
                    break
        except KeyboardInterrupt:
            stopped = True
        stopped = stopped or len(self.results) < len({t.key for t in self.tasks})
        return self.outcome(stopped)

    def outcome(self, stopped: bool) -> SweepResult:
        rows, breakdown = [], []
        warned: dict[str, list[str]] = {}
        for t in self.tasks:
            status, reason, total, layers = self.results.get(t.key, (NOT_RUN, "", {}, []))
            rows.append(row_of(t, status, reason, total, layers))
            breakdown += breakdown_of(rows[-1], total, self.spec.parameters)
            for line in total.get("warnings", ()):
                names = warned.setdefault(line, [])
                if t.design.name not in names:
                    names.append(t.design.name)
        return SweepResult(self.spec, rows, columns(self.spec.parameters, rows), None,
                           reused=self.reused, ran=self.ran,
                           layers_reused=self.layers_reused,
                           layers_searched=self.layers_searched,
                           layers_with_incumbents=self.with_incumbents, stopped=stopped,
                           damaged=list(self.store.damaged), warnings=warned,
                           breakdown=breakdown,
                           breakdown_columns=breakdown_columns(self.spec.parameters))

    # -- runs -----------------------------------------------------------------------------
    def plan(self, t: Task) -> _Run:
        """The run's inputs loaded, its layers and their keys; a design that cannot load is a
        failed run (stored), a bug a failed run not stored."""
        from energy import EstimationError, TableError

        from ..model.cost import EnergyLookupError
        s = t.search
        try:
            return _Run(t, plan_network(
                t.design.inputs, t.network.path, overrides=t.overrides, objective=t.objective,
                algorithm=s.get("algorithm"), jobs=1, time_limit=s.get("time_limit"),
                search_size=s.get("search_size"), victory_condition=s.get("victory_condition"),
                seed=s.get("seed"), energy_tables=list(t.tables), cache_dir=self.cache_dir))
        except (SpecError, EnergyLookupError, EstimationError, TableError) as e:
            return _Run(t, None, f"invalid design: {e}")
        except Exception as e:                      # a bug: reported, not stored
            return _Run(t, None, f"internal error: {type(e).__name__}: {e}", error=True)

    def assemble(self, r: _Run) -> None:
        """Store the run's total once its last layer is known (or it cannot run)."""
        t = r.task
        if t.key in self.results:
            return
        if r.plan is None:
            self.finish(t, TaskResult(t.key, FAILED, r.failure, error=r.error))
            return
        keys = r.plan.keys
        if not all(k in self.entries or k in self.errors for k in keys):
            return
        failed = [self.errors[k] for k in dict.fromkeys(keys) if k in self.errors]
        if failed:          # stored unless a bug is among the causes (then tried again)
            self.finish(t, TaskResult(t.key, FAILED, "; ".join(dict.fromkeys(
                d.error for d in failed)), error=any(d.internal for d in failed)))
            return
        try:
            layers = [r.plan.from_entry(i, self.entries[k], f"{self.store.path}: layer {k}",
                                        cached=False) for i, k in enumerate(keys)]
        except UnusableEntry as e:                  # checked when read: a bug
            self.finish(t, TaskResult(t.key, FAILED, f"internal error: {e}", error=True))
            return
        self.finish(t, summarise(t, r.plan.result(layers, None)))

    def finish(self, t: Task, r: TaskResult) -> None:
        if not r.error:
            self.store.put(t.key, design=t.design.name, network=t.network.name, batch=t.batch,
                           energy_tables=t.tables_label, status=r.status, reason=r.reason,
                           total=r.total, layers=r.layers)
        # as the store gives it back, so that a resumed sweep's tables are the same
        self.results[t.key] = (r.status, r.reason, json.loads(json.dumps(r.total)),
                               json.loads(json.dumps(r.layers)))
        self.ran += 1
        self.failed += r.status == FAILED

    # -- layers ---------------------------------------------------------------------------
    def known(self, key: str, plan: NetworkPlan, i: int, design: Design) -> dict | None:
        """The layer's entry from the store, else from the per-layer cache (then stored too),
        checked by reading its mapping back; None if it must be searched. What cannot be used
        is reported (:attr:`Store.damaged`) and searched again."""
        entry, where = self.store.get_layer(key), f"{self.store.path}: the stored layer {key[:12]}"
        from_cache = entry is None
        if from_cache:
            cached = plan.cache.get(key)
            self.store.damaged += [Damaged("layer cache", why) for why in plan.cache.damaged]
            plan.cache.damaged.clear()
            if cached is None:
                return None
            entry = {**{k: v for k, v in cached.items() if k != "key"}, "status": MAPPED}
            where = str(plan.cache.path(key))
        try:
            plan.from_entry(i, entry, where)
        except UnusableEntry as e:
            if from_cache:
                self.store.damaged.append(Damaged(e.where, f"{e.why}; searched again"))
            else:
                self.store.drop_layer(key, f"{e.why}; searched again")
            return None
        entry = json.loads(json.dumps(entry))
        if from_cache:
            self.store.put_layer(key, design=design.name, layer=plan.distinct[i].name,
                                 entry=entry)
        return entry

    def keep(self, key: str, entry: dict) -> None:
        plan, i, design = self.units[key]
        self.entries[key] = entry
        if entry["status"] == MAPPED:
            self.optima.setdefault((design.name, _workload_id(plan.distinct[i].workload)),
                                   entry["mapping"])

    def layer_task(self, key: str) -> LayerTask:
        """The search of one layer, made when it is dispatched, so that it starts from the
        optima of the neighbouring designs known by then."""
        plan, i, design = self.units[key]
        incumbents = ()
        if self.use_neighbours and plan.settings.algorithm == "optimal":
            incumbents = self.incumbents(plan, i, design)
            self.with_incumbents += bool(incumbents)
        return LayerTask(key, design.name, plan.distinct[i].name, plan.inputs(i, incumbents),
                         plan.settings)

    def incumbents(self, plan: NetworkPlan, i: int, design: Design) -> tuple:
        """The neighbouring designs' optima of this layer, read as mappings of this design
        (those that do not read back here are left out; the search checks the rest)."""
        from ..spec.timeloop_mapping import read_mapping
        workload = plan.distinct[i].workload
        wid = _workload_id(workload)
        out = []
        for other in _neighbours(design, self.spec.designs):
            mapping = self.optima.get((other.name, wid))
            if mapping is None:
                continue
            try:
                out.append(read_mapping(mapping, Where(f"the optimum of {other.name}",
                                                       "mapping"), plan.spec.arch, workload))
            except (SpecError, ValueError, KeyError, TypeError):
                continue
        return tuple(out)

    def execute(self, todo: list[str], jobs: int, client) -> Iterator[LayerDone]:
        if not todo:
            return
        if client is None and (jobs == 1 or len(todo) == 1):
            for key in todo:
                if self.stop.reason() is not None:
                    return
                yield run_layer(self.layer_task(key), self.stop)
            return
        import joblib
        backend = joblib.parallel_config(backend="dask") if client is not None \
            else nullcontext()
        # a signal stops the wait for the workers at once; leaving the generator early ends
        # joblib's workers (the searches in flight are dropped, nothing of them is stored)
        with backend, warnings.catch_warnings(), self.stop.raising():
            # stopping early cancels the tasks in flight, which joblib warns of: it is meant
            warnings.filterwarnings("ignore", message=".*still being processed by the workers")
            # loky replaces a worker that its memory-leak check or idle timeout ended and
            # warns of it; the tasks not yet taken go to the new one (measured: 324 of 324
            # layer tasks of benchmarks/sweep.py done after it), so the user is not told
            warnings.filterwarnings("ignore", message="A worker stopped while some jobs were "
                                                      "given to the executor")
            n = -1 if client is not None else min(jobs, len(todo))
            # one task per dispatch, dispatched when a worker is free: each layer task is made
            # as late as possible, with the neighbours' optima known by then
            parallel = joblib.Parallel(n_jobs=n, return_as="generator_unordered",
                                       batch_size=1, pre_dispatch="n_jobs")
            yield from parallel(joblib.delayed(run_layer)(self.layer_task(key))
                                for key in todo)

    # -- progress -------------------------------------------------------------------------
    def report(self, last: str, status: str) -> None:
        if self.progress is None:
            return
        designs: dict[str, bool] = {}
        for t in self.tasks:
            designs[t.design.name] = designs.get(t.design.name, True) and t.key in self.results
        done = self.layers_reused + self.layers_searched
        left = len(self.units) - done
        eta = (self.searching_s / self.layers_searched * left if self.layers_searched else None)
        self.progress(SweepProgress(sum(designs.values()), len(designs), done, len(self.units),
                                    self.layers_reused, self.failed,
                                    time.monotonic() - self.start, eta, last, status))
