"""Running a sweep: every (design, energy tables, network, batch) task, each a whole-network
run, with what the result store already holds reused and everything new stored the moment it
is known; then the tables.

    >>> from mapper.sweep import run
    >>> result = run("examples/sweep/sweep.yaml", "out/sweep", jobs=2)
    >>> result.rows[0]["energy_per_inference_pJ"], result.failed_designs
    >>> result.dataframe()          # with pandas installed

Tasks run in this process (``jobs=1``), over joblib's worker processes (``jobs=N``) or, with
``scheduler="tcp://host:8786"``, on an existing Dask distributed cluster through joblib's dask
backend (``pip install 'dnn-mapper[dask]'``). Identical layers of a design are searched once:
every task reads and writes the per-layer cache (:mod:`mapper.network.cache`), so a layer
already searched for one network or batch is re-evaluated, not searched, for the next.

Ctrl-C or SIGTERM (or the caller's ``stop``) stops the sweep: the runs finished are stored,
the one in flight is dropped (its finished layers are in the layer cache), and the same call
again goes on from there. Nothing below the command line prints: progress is a callback.
"""
from __future__ import annotations

import json
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..network.cache import writable_cache_dir
from ..spec.errors import SpecError
from .spec import SweepSpec, load_sweep
from .store import DB_NAME, Store
from .tables import PARETO_AXES, columns, format_csv, mark_pareto, row_of
from .tasks import FAILED, Task, TaskResult, make_tasks, run_task

#: ``cache_dir`` default: the per-user layer cache, else OUTDIR/.cache
DEFAULT_CACHE = "default"
NOT_RUN = "not run"
#: how long to wait for a Dask scheduler to answer
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class SweepProgress:
    done: int                   # tasks finished (stored or run now) of total
    total: int
    reused: int                 # of done: read from the store
    failed: int
    elapsed_s: float
    eta_s: float | None
    last: str                   # the task that just finished: design / network / batch
    status: str


@dataclass
class SweepResult:
    spec: SweepSpec
    rows: list[dict]                    # one per task, in the spec's order
    columns: list[str]
    outdir: Path | None
    reused: int = 0                     # tasks read from the store
    ran: int = 0                        # tasks run now
    stopped: bool = False               # interrupted: some tasks were not run
    stopped_by: str | None = None       # "interrupted" (Ctrl-C), "terminated" (SIGTERM)
    damaged: list[tuple[str, str]] = field(default_factory=list)   # store rows recomputed
    wall_s: float = 0.0
    files: list[str] = field(default_factory=list)
    #: the inputs' notes and the energy estimators' warnings, each once, with its designs
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed_designs(self) -> list[str]:
        """Designs with a run that failed (not those merely not run yet)."""
        return list(dict.fromkeys(r["design"] for r in self.rows if r["status"] == FAILED))

    @property
    def pareto_rows(self) -> list[dict]:
        return [r for r in self.rows if r.get("pareto")]

    def csv(self) -> str:
        return format_csv(self.rows, self.columns)

    def dataframe(self):
        """The results table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise SpecError("SweepResult.dataframe() needs pandas (pip install pandas); "
                            "result.rows holds the same table as dicts") from None
        return pandas.DataFrame(self.rows, columns=self.columns)


def run(spec: str | Path | SweepSpec, outdir: str | Path | None = None, *, jobs: int = 1,
        scheduler: str | None = None, cache_dir: str | Path | None = DEFAULT_CACHE,
        pareto_axes: Sequence[str] = PARETO_AXES,
        progress: Callable[[SweepProgress], None] | None = None,
        stop=None) -> SweepResult:
    """Run a sweep (a spec file or a :class:`SweepSpec`) into ``outdir`` (its ``sweep.db``,
    ``results.csv`` and ``pareto.csv``; ``None``: an in-memory store, no files)."""
    from ..mapsearch.stopping import StopFlag, stop_on_signals
    start = time.monotonic()
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    if jobs < 1:
        raise SpecError(f"jobs: expected an integer >= 1, got {jobs}")
    from .tables import METRICS
    for axis in pareto_axes:
        if axis not in METRICS:
            raise SpecError(f"unknown Pareto axis {axis!r}; expected metric columns such as "
                            f"{', '.join(PARETO_AXES)}, onchip_storage_bytes, pes, cycles")
    out = Path(outdir) if outdir is not None else None
    cache = _cache_dir(cache_dir, out)
    tasks = make_tasks(spec, None if cache is None else str(cache))
    client = _connect(scheduler) if scheduler else None     # before anything is written
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    store = Store(out / DB_NAME if out is not None else ":memory:")
    own = stop is None
    stop = StopFlag() if own else stop
    try:
        with stop_on_signals(stop) if own else nullcontext():
            result = _Sweep(spec, tasks, store, progress, start, stop).go(jobs, client)
    finally:
        store.close()
        if client is not None:
            client.close()
    result.outdir = out
    if result.stopped:
        reason = stop.reason()
        result.stopped_by = str(reason) if reason is not None else "interrupted"
    mark_pareto(result.rows, pareto_axes)
    if out is not None:
        from ..report.outputs import write_run_outputs
        files = {"results.csv": result.csv(),
                 "pareto.csv": format_csv(result.pareto_rows, result.columns)}
        from ..report.page import sweep_page_files      # figures/*.png and index.html
        files.update(sweep_page_files(out, result.rows, result.columns))
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


class _Sweep:
    def __init__(self, spec: SweepSpec, tasks: list[Task], store: Store, progress, start, stop):
        self.spec, self.tasks, self.store = spec, tasks, store
        self.progress, self.start, self.stop = progress, start, stop
        self.results: dict[str, tuple[str, str, dict, list]] = {}
        self.reused = self.ran = self.failed = 0
        self.ran_s = 0.0

    def go(self, jobs: int, client) -> SweepResult:
        todo = []
        for t in self.tasks:
            stored = self.store.get(t.key)
            if stored is not None and t.key not in self.results:
                self.results[t.key] = (stored.status, stored.reason, stored.total,
                                       stored.layers)
                self.reused += 1
                self.failed += stored.status == FAILED
                self.report(t, stored.status)
            elif stored is None and all(t.key != u.key for u in todo):
                todo.append(t)
        stopped = False
        run_start = time.monotonic()
        try:
            for task, r in self.execute(todo, jobs, client):
                if r.stopped:
                    stopped = True
                    break
                self.ran += 1
                if r.status == FAILED:
                    self.failed += 1
                if not r.error:
                    self.store.put(task.key, design=task.design.name,
                                   network=task.network.name, batch=task.batch,
                                   energy_tables=task.tables_label, status=r.status,
                                   reason=r.reason, total=r.total, layers=r.layers)
                # as the store gives it back, so that a resumed sweep's tables are the same
                total, layers = json.loads(json.dumps(r.total)), json.loads(json.dumps(r.layers))
                self.results[task.key] = (r.status, r.reason, total, layers)
                self.ran_s = time.monotonic() - run_start
                self.report(task, r.status, len(todo))
                if self.stop.reason() is not None:
                    stopped = True
                    break
        except KeyboardInterrupt:
            stopped = True
        stopped = stopped or len(self.results) < len({t.key for t in self.tasks})
        rows = []
        warned: dict[str, list[str]] = {}
        for t in self.tasks:
            status, reason, total, layers = self.results.get(t.key, (NOT_RUN, "", {}, []))
            rows.append(row_of(t, status, reason, total, layers))
            for line in total.get("warnings", ()):
                names = warned.setdefault(line, [])
                if t.design.name not in names:
                    names.append(t.design.name)
        return SweepResult(self.spec, rows, columns(self.spec.parameters, rows), None,
                           reused=self.reused, ran=self.ran, stopped=stopped,
                           damaged=list(self.store.damaged), warnings=warned)

    def execute(self, todo: list[Task], jobs: int, client) -> Iterator[tuple[Task, TaskResult]]:
        if not todo:
            return
        if client is None and (jobs == 1 or len(todo) == 1):
            for t in todo:
                if self.stop.reason() is not None:
                    return
                yield t, run_task(t, self.stop)
            return
        import joblib
        by_key = {t.key: t for t in todo}
        backend = joblib.parallel_config(backend="dask") if client is not None \
            else nullcontext()
        # a signal stops the wait for the workers at once (the runs in flight are dropped;
        # the layers they finished are in the layer cache)
        with backend, warnings.catch_warnings(), self.stop.raising():
            # stopping early cancels the tasks in flight, which joblib warns of: it is meant
            warnings.filterwarnings("ignore", message=".*still being processed by the workers")
            parallel = joblib.Parallel(n_jobs=-1 if client is not None else min(jobs, len(todo)),
                                       return_as="generator_unordered")
            for r in parallel(joblib.delayed(run_task)(t) for t in todo):
                yield by_key[r.key], r

    def report(self, task: Task, status: str, todo: int = 0) -> None:
        if self.progress is None:
            return
        done = self.reused + self.ran
        left = len(self.tasks) - done
        eta = self.ran_s / self.ran * left if self.ran else None
        self.progress(SweepProgress(done, len(self.tasks), self.reused, self.failed,
                                    time.monotonic() - self.start, eta,
                                    f"{task.design.name} / {task.network.name} / batch "
                                    f"{task.batch if task.batch is not None else 'default'}",
                                    status))
