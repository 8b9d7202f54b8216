"""The sweep's tasks: one whole-network run (:func:`mapper.network.run.run_network`, the one
search pipeline over each distinct layer, with the per-layer cache) per (design, energy
tables, network, batch). A task is a plain picklable value, so it runs the same in this
process, in a joblib worker or on a Dask worker; it returns a :class:`TaskResult` and never
raises for a design that cannot run (its status and reason say why)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inputs.templates import Overrides
from ..network.cache import code_version
from ..network.library import load_network, workload_key
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
    cache_dir: str | None

    @property
    def overrides(self) -> dict[str, Any]:
        extra = {} if self.batch is None else {"batch": self.batch}
        return {**self.design.params, **self.network.params, **extra}


@dataclass
class TaskResult:
    key: str
    status: str                     # OK, FAILED
    reason: str = ""
    total: dict = field(default_factory=dict)       # network.json without "layers"
    layers: list[dict] = field(default_factory=list)
    stopped: bool = False           # stopped early: not to be stored
    error: bool = False             # an internal error: reported, not stored (retried)


def make_tasks(spec: SweepSpec, cache_dir: str | None) -> list[Task]:
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
                    out.append(Task(key, d, n, b, label, dirs, spec.objective, spec.search,
                                    cache_dir))
    return out


def _design_digest(d: Design) -> dict:
    if d.template:
        return {"template": file_digest(d.template), "params": d.params}
    return {"arch": [file_digest(f) for f in d.arch_files]}


def run_task(task: Task, stop=None) -> TaskResult:
    """Run one task; ``stop``: a StopFlag of the caller (in this process)."""
    from energy import EstimationError, TableError

    from ..model.cost import EnergyLookupError
    from ..network.run import MAPPED, run_network
    from ..mapsearch.stopping import StopFlag
    s = task.search
    try:
        result = run_network(
            task.design.inputs, task.network.path, overrides=task.overrides,
            objective=task.objective, algorithm=s.get("algorithm"), jobs=1,
            time_limit=s.get("time_limit"), search_size=s.get("search_size"),
            victory_condition=s.get("victory_condition"), seed=s.get("seed"),
            energy_tables=list(task.tables), cache_dir=task.cache_dir,
            stop=stop if stop is not None else StopFlag())
    except (SpecError, EnergyLookupError, EstimationError, TableError) as e:
        return TaskResult(task.key, FAILED, f"invalid design: {e}")
    except Exception as e:                  # a bug: reported, not stored
        return TaskResult(task.key, FAILED, f"internal error: {type(e).__name__}: {e}",
                          error=True)
    summary = result.summary()
    summary["dram_level"] = result.arch.storage[-1].name        # the outermost level
    summary["warnings"] = list(result.warnings)                 # ignored keys, estimators
    layers = summary.pop("layers")
    for k in ("wall_s", "cache"):             # how this run went, not what it found
        summary.pop(k, None)
    for rec in layers:
        ev = result.result_of(rec["name"]).evaluation
        if ev is not None:                     # the first factor of utilization (eq. 3)
            rec["active_pes"] = ev.compute.utilized_instances
        if "search" in rec:
            rec["search"] = {k: v for k, v in rec["search"].items()
                             if k in ("proven_optimal", "feasibility_check", "objective")}
    if result.stopped_by is not None:
        return TaskResult(task.key, FAILED, str(result.stopped_by), summary, layers,
                          stopped=True)
    if not result.complete:
        bad = [r for r in result.layers if r.status != MAPPED]
        why = "; ".join(f"layer {r.name}: {r.status}"
                        + (f" ({' / '.join(r.reasons)})" if r.reasons else "") for r in bad)
        return TaskResult(task.key, FAILED, f"no mapping for {len(bad)} layer(s): {why}",
                          summary, layers)
    return TaskResult(task.key, OK, "", summary, layers)
