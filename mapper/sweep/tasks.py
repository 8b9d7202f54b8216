"""The sweep's tasks. A *run* (:class:`Task`) is one (design, energy tables, network, batch): its
row of the results is the network summary of its layers. The work is done per *layer task*
(:class:`LayerTask`): one distinct layer of one design, searched once however many networks
and batch sizes of the design hold it, by the one search pipeline
(:func:`mapper.network.run.search_layer`). A layer task is a plain picklable value, so it runs
the same in this process, in a joblib worker or on a Dask worker; it returns a
:class:`LayerDone` and never raises (a bug is reported in ``error``)."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from ..inputs.templates import Overrides
from ..network.cache import code_version
from ..network.library import load_network, workload_key
from ..mapsearch.pipeline import SearchInputs
from ..mapsearch.settings import SearchSettings
from ..spec.errors import SpecError
from .spec import Design, NetworkRef, SweepSpec
from .store import dir_digest, file_digest, task_key

OK, FAILED = "ok", "failed"


@dataclass(frozen=True)
class Task:
    key: str
    design: Design
    network: NetworkRef
    batch: int | None
    tables_label: str | None
    tables: tuple[str, ...]
    objective: str
    search: dict[str, Any]

    @property
    def overrides(self) -> dict[str, Any]:
        extra = {} if self.batch is None else {"batch": self.batch}
        return {**self.design.params, **self.network.params, **extra}


@dataclass
class TaskResult:
    """A run's outcome: its total and its layers' records (``network.json``'s)."""

    key: str
    status: str                     # OK, FAILED
    reason: str = ""
    total: dict = field(default_factory=dict)       # network.json without "layers"
    layers: list[dict] = field(default_factory=list)
    error: bool = False             # an internal error: reported, not stored (retried)


@dataclass(frozen=True)
class LayerTask:
    """One distinct layer of one design to search (``key``: its layer key)."""

    key: str
    design: str
    layer: str
    inputs: SearchInputs            # with the neighbouring designs' optima as incumbents
    settings: SearchSettings


@dataclass(frozen=True)
class LayerDone:
    """What a layer task returns: the entry to store (:func:`mapper.network.run.layer_entry`),
    or None when the search was stopped early (nothing to store) or failed (``error``)."""

    key: str
    entry: dict | None
    error: str = ""                 # "invalid design: ..." or "internal error: ..."
    #: the error is a bug (retried by the next sweep, not stored), not the design's fault
    #: (an arch or energy-table error: the run is stored as failed with the reason)
    internal: bool = False


def make_tasks(spec: SweepSpec) -> list[Task]:
    """Every (design, tables, network, batch), design-major, each with its key. Reads the
    networks (their layers decide the key); a network that cannot load is bad input."""
    code = code_version()
    designs = {d.name: _design_digest(d) for d in spec.designs}
    tables = {label: [dir_digest(d) for d in dirs] for label, dirs in spec.energy_tables.items()}
    layers: dict[tuple[str, int | None], Any] = {}
    for n in spec.networks:
        for b in spec.batches:
            over = Overrides.of({**n.params, **({} if b is None else {"batch": b})},
                                f"{spec.file}: sweep.networks {n.name}")
            net = load_network(n.path, over)
            layers[n.name, b] = [(e.name, e.repeat, repr(workload_key(e.workload)),
                                  repr(sorted(e.workload.coefficients.items())))
                                 for e in net.layers]
    out = []
    for d in spec.designs:
        for label in spec.table_labels:
            dirs = spec.energy_tables.get(label, ()) if label is not None else ()
            for n in spec.networks:
                for b in spec.batches:
                    key = task_key({"code": code, "design": designs[d.name],
                                    "tables": tables.get(label, []) if label else [],
                                    "network": layers[n.name, b], "batch": b,
                                    "objective": spec.objective, "search": spec.search})
                    out.append(Task(key, d, n, b, label, dirs, spec.objective, spec.search))
    return out


def _design_digest(d: Design) -> dict:
    if d.template:
        return {"template": file_digest(d.template), "params": d.params}
    return {"arch": [file_digest(f) for f in d.arch_files]}


def run_layer(task: LayerTask, stop=None) -> LayerDone:
    """Search one layer; ``stop``: a StopFlag of the caller (in this process). In a worker
    process, SIGINT / SIGTERM make the search return early (then nothing is stored)."""
    from energy import EstimationError, TableError

    from ..model.cost import EnergyLookupError
    from ..network.run import layer_entry, search_layer
    from ..mapsearch.stopping import StopFlag, stop_on_signals
    from ..mapsearch.workers import LocalContext
    own = stop is None
    stop = StopFlag() if own else stop
    try:
        with stop_on_signals(stop) if own else nullcontext():
            outcome = search_layer(task.inputs, task.settings,
                                   context=LocalContext(stop, lambda p: None))
    except (SpecError, EnergyLookupError, EstimationError, TableError) as e:
        return LayerDone(task.key, None, f"invalid design: layer {task.layer}: {e}")
    except Exception as e:                  # a bug: reported, not stored
        return LayerDone(task.key, None, f"internal error: layer {task.layer}: "
                                         f"{type(e).__name__}: {e}", internal=True)
    return LayerDone(task.key, layer_entry(task.layer, task.inputs, outcome))


def summarise(task: Task, result) -> TaskResult:
    """A run's row from its :class:`~mapper.network.run.NetworkResult` (assembled from its
    layers' entries): the network summary, less how this run went (time, cache counts)."""
    from ..network.run import MAPPED
    summary = result.summary()
    summary["dram_level"] = result.arch.storage[-1].name        # the outermost level
    summary["warnings"] = [w for w in result.warnings           # ignored keys, estimators
                           if not w.startswith("warning: layer cache")]
    layers = summary.pop("layers")
    for k in ("wall_s", "cache"):
        summary.pop(k, None)
    for rec in layers:
        ev = result.result_of(rec["name"]).evaluation
        if ev is not None:                     # the first factor of utilization (eq. 3)
            rec["active_pes"] = ev.compute.utilized_instances
        if "search" in rec:
            rec["search"] = {k: v for k, v in rec["search"].items()
                             if k in ("proven_optimal", "feasibility_check", "objective")}
    if not result.complete:
        bad = [r for r in result.layers if r.status != MAPPED]
        why = "; ".join(f"layer {r.name}: {r.status}"
                        + (f" ({' / '.join(r.reasons)})" if r.reasons else "") for r in bad)
        return TaskResult(task.key, FAILED, f"no mapping for {len(bad)} layer(s): {why}",
                          summary, layers)
    return TaskResult(task.key, OK, "", summary, layers)
